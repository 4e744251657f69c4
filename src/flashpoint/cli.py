"""Command line: ``flashpoint report``, ``flashpoint validate FILE``, ``flashpoint counts FILE``.

Thin by design: parse arguments, load, count, fit, report. User errors (bad files, bad
values) print a message and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from flashpoint._version import __version__
from flashpoint.counts import count_daily
from flashpoint.errors import FlashpointError, FlashpointValueError
from flashpoint.models.design import EventSpec
from flashpoint.schemas import validate_key_events
from flashpoint.sources import read_events
from flashpoint.sources.generic import read_table

__all__ = ["main"]

EXIT_OK = 0
EXIT_BAD_INPUT = 2
DEFAULT_OUT = "flashpoint-report.html"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flashpoint",
        description="Conflict-event time series: validated counts, event effects, escalation.",
    )
    parser.add_argument("--version", action="version", version=f"flashpoint {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    report = sub.add_parser(
        "report",
        help="write the HTML report (default: the bundled Iraq/Syria data)",
        description="Analyse an event table and write one self-contained HTML report. With no "
        "arguments: the bundled attacks on US forces in Iraq and Syria, the KH strike "
        "(2023-11-22) and the Gaza truce (2023-11-24 to 2023-12-01).",
    )
    report.add_argument("--data", type=Path, help="event table (CSV or Parquet) to analyse")
    report.add_argument("--date-col", default="date", help="date column of --data")
    report.add_argument("--group-col", default=None, help="group column of --data")
    report.add_argument("--by", default=None, help="group column (default: country)")
    report.add_argument(
        "--events-file",
        type=Path,
        help="key events (CSV: date, kind, label, optional end and group) to mark, pool in "
        "the event study and use as exogenous events",
    )
    report.add_argument(
        "--event",
        action="append",
        default=[],
        metavar="DATE[/END][:LABEL]",
        help="an intervention to test (repeatable): a date for a step, DATE/END for a window "
        "such as a truce, with an optional label, e.g. 2023-11-22:'KH strike'",
    )
    report.add_argument("--basis", action="append", help="keep rows with this basis (repeatable)")
    report.add_argument("--start", help="first day of the models (YYYY-MM-DD)")
    report.add_argument("--end", help="last day of the models (YYYY-MM-DD)")
    report.add_argument("--out", type=Path, default=Path(DEFAULT_OUT), help="output HTML file")
    report.add_argument("--title", help="title of the report")
    report.add_argument(
        "--controls",
        action="append",
        default=[],
        metavar="GROUP",
        help="a group the interventions did not touch (repeatable): not assessed, it adds the "
        "synthetic-control reading to the verdict",
    )
    report.add_argument(
        "--noun",
        help="what one row counts, for the text (default: 'attack' for the bundled data, "
        "'event' otherwise)",
    )

    validate = sub.add_parser("validate", help="validate an event table; print every failure")
    validate.add_argument("file", type=Path)
    validate.add_argument("--date-col", default="date")
    validate.add_argument("--group-col", default="country")

    counts = sub.add_parser("counts", help="write daily counts of an event table as CSV")
    counts.add_argument("file", type=Path)
    counts.add_argument("--date-col", default="date")
    counts.add_argument("--group-col", default="country")
    counts.add_argument("--out", type=Path, help="output CSV (default: standard output)")
    return parser


def _parse_event(text: str) -> EventSpec:
    """``DATE``, ``DATE:LABEL``, ``DATE/END`` or ``DATE/END:LABEL``."""
    when, _, label = text.partition(":")
    start, _, end = when.partition("/")
    try:
        pd.Timestamp(start.strip())
        if end:
            pd.Timestamp(end.strip())
    except (ValueError, TypeError) as err:
        raise FlashpointValueError(
            f"--event {text!r}: expected DATE[/END][:LABEL] with ISO dates, e.g. "
            "2023-11-22:'KH strike' or 2023-11-24/2023-12-01:truce"
        ) from err
    return EventSpec(
        date=start.strip(),
        end=end.strip() or None,
        shape="pulse" if end else "step",
        label=label.strip() or None,
    )


def _report(args: argparse.Namespace) -> int:
    from flashpoint.report import build_report  # plotly is loaded only for the report

    t0 = time.perf_counter()
    if args.group_col and args.by and args.group_col != args.by:
        raise FlashpointValueError("--by and --group-col name different columns; give one")
    by = args.by or args.group_col or (None if args.data is not None else "country")
    interventions = [_parse_event(e) for e in args.event] or None
    key_events = None
    if args.events_file is not None:
        key_events = validate_key_events(read_table(args.events_file))
    events = None
    if args.data is not None:
        events = read_events(args.data, date=args.date_col, group=by)
    print("building the report ...", file=sys.stderr)
    report = build_report(
        events,
        key_events=key_events,
        interventions=interventions,
        by=by,
        basis=args.basis,
        start=args.start,
        end=args.end,
        title=args.title,
        source_name=None if args.data is None else args.data.name,
        noun=args.noun,
        controls=args.controls or None,
        progress=True,
    )
    path = report.write(args.out)
    print(
        f"wrote {path.resolve()} ({path.stat().st_size / 1e6:.1f} MB, {report.n_figures} "
        f"figures, {time.perf_counter() - t0:.1f} s)"
    )
    print()
    print(report.text_summary())
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    events = read_events(args.file, date=args.date_col, group=args.group_col)
    print(f"OK: {args.file} has {len(events)} valid events")
    return EXIT_OK


def _counts(args: argparse.Namespace) -> int:
    events = read_events(args.file, date=args.date_col, group=args.group_col)
    counts = count_daily(events, by=args.group_col)
    if args.out is None:
        counts.to_csv(sys.stdout, index=False, date_format="%Y-%m-%d")
    else:
        counts.to_csv(args.out, index=False, date_format="%Y-%m-%d")
        print(f"wrote {len(counts)} rows to {args.out}", file=sys.stderr)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 on bad input.
    """
    args = _parser().parse_args(argv)
    handlers = {"report": _report, "validate": _validate, "counts": _counts}
    try:
        return handlers[args.command](args)
    except (FlashpointError, FileNotFoundError, IsADirectoryError, PermissionError) as err:
        print(f"flashpoint {args.command}: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into a command that stopped reading (e.g. head)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
