"""Command line: ``flashpoint report``, ``flashpoint validate FILE``, ``flashpoint counts FILE``.

Thin by design: parse arguments, load, count, fit, report. Exit status and messages:

- 0: done;
- 2: a user error (a bad file, value or path): one message saying what was wrong and how to
  fix it (a validation report lists every failure), never a traceback;
- 1: an unexpected error, which is a bug in flashpoint: one line saying so; the traceback
  only with ``--debug``;
- 130: interrupted (Ctrl-C).

Output files (``--out``) follow the rules of ``flashpoint._output``: never an input file,
never an existing file flashpoint did not write (unless ``--force``), checked before any
work, and written atomically.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flashpoint._output import check_target, write_atomic
from flashpoint._version import __version__
from flashpoint.counts import count_daily
from flashpoint.errors import FlashpointError, FlashpointValueError
from flashpoint.models.design import EventSpec
from flashpoint.schemas import BASES, DATE, validate_key_events
from flashpoint.schemas._dates import as_day
from flashpoint.sources import read_events
from flashpoint.sources.generic import read_table

__all__ = ["main"]

EXIT_OK = 0
EXIT_BUG = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
DEFAULT_OUT = "flashpoint-report.html"


def _parser() -> argparse.ArgumentParser:
    """Build the argument parser: global options, then one named step per subcommand."""
    parser = argparse.ArgumentParser(
        prog="flashpoint",
        description="Conflict-event time series: validated counts, event effects, escalation.",
    )
    parser.add_argument("--version", action="version", version=f"flashpoint {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="print the traceback of an unexpected error"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    commands = (_add_report(sub), _add_validate(sub), _add_counts(sub))
    for command in commands:
        command.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="print the traceback of an unexpected error",
        )
    return parser


def _add_table_options(command: argparse.ArgumentParser, *, by: str | None) -> None:
    """How to read an event table: ``--date-col``, ``--date-format``, ``--by``."""
    command.add_argument("--date-col", default="date", help="date column of the event table")
    command.add_argument(
        "--date-format",
        default=None,
        metavar="FORMAT",
        help="strftime format of the dates, e.g. %%d/%%m/%%Y (default: ISO dates, inferred)",
    )
    command.add_argument(
        "--by",
        "--group-col",
        dest="by",
        default=by,
        metavar="COLUMN",
        help=f"group column of the event table (default: {by or 'country for the bundled data'})"
        "; --group-col is the old spelling",
    )


def _add_report(sub: Any) -> argparse.ArgumentParser:
    """``flashpoint report``: the data, the events to test, the output."""
    report: argparse.ArgumentParser = sub.add_parser(
        "report",
        help="write the HTML report (default: the bundled Iraq/Syria data)",
        description="Analyse an event table and write one self-contained HTML report. With no "
        "arguments: the bundled attacks on US forces in Iraq and Syria, the KH strike "
        "(2023-11-22) and the Gaza truce (2023-11-24 to 2023-12-01).",
    )
    report.add_argument("--data", type=Path, help="event table (CSV or Parquet) to analyse")
    report.add_argument(
        "--out-of-core",
        action="store_true",
        help="count --data with DuckDB without loading the events (a Parquet or CSV file, a "
        "folder or a glob such as 'events/*.parquet', with a 'date' column; needs the scale "
        "extra): for tables larger than memory",
    )
    _add_table_options(report, by=None)
    _add_report_events(report)
    report.add_argument("--basis", action="append", help="keep rows with this basis (repeatable)")
    report.add_argument("--start", help="first day of the models (YYYY-MM-DD)")
    report.add_argument("--end", help="last day of the models (YYYY-MM-DD)")
    _add_report_controls(report)
    _add_report_groups(report)
    _add_output(report, what="HTML file", kind="flashpoint report", default=Path(DEFAULT_OUT))
    report.add_argument("--title", help="title of the report")
    report.add_argument(
        "--noun",
        help="what one row counts, for the text (default: 'attack' for the bundled data, "
        "'event' otherwise)",
    )
    return report


def _add_report_events(report: argparse.ArgumentParser) -> None:
    """``--events-file`` (key events to mark) and ``--event`` (interventions to test)."""
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


def _add_report_controls(report: argparse.ArgumentParser) -> None:
    """Add ``--controls GROUP`` / ``--controls-file CSV``: series no intervention touched."""
    report.add_argument(
        "--controls",
        action="append",
        default=[],
        metavar="GROUP",
        help="a group the interventions did not touch (repeatable): not assessed, it adds the "
        "control-series and synthetic-control readings to the verdict",
    )
    report.add_argument(
        "--controls-file",
        type=Path,
        metavar="CSV",
        help="control series (CSV: a date column and one column per series, e.g. a "
        "news-volume index): they add the control-series reading to the verdict",
    )


def _add_report_groups(report: argparse.ArgumentParser) -> None:
    """Add ``--groups GROUP`` / ``--top N``: which groups get every model and figure."""
    report.add_argument(
        "--groups",
        action="append",
        metavar="GROUP",
        help="a group to show in detail (repeatable; default: the --top largest); the "
        "overview shows every group",
    )
    report.add_argument(
        "--top",
        type=int,
        metavar="N",
        help="how many of the largest groups to show in detail (default: build_report's top, 8)",
    )


def _add_output(
    command: argparse.ArgumentParser, *, what: str, kind: str, default: Path | None
) -> None:
    """``--out`` and ``--force``: where to write, and whether to replace a foreign file."""
    where = "standard output" if default is None else str(default)
    command.add_argument(
        "--out",
        type=Path,
        default=default,
        help=f"output {what} (default: {where}; an existing file is replaced only if it is a "
        f"{kind})",
    )
    command.add_argument(
        "--force", action="store_true", help=f"replace --out even if it is not a {kind}"
    )


def _add_validate(sub: Any) -> argparse.ArgumentParser:
    """``flashpoint validate FILE``."""
    validate: argparse.ArgumentParser = sub.add_parser(
        "validate", help="validate an event table; print every failure"
    )
    validate.add_argument("file", type=Path)
    _add_table_options(validate, by="country")
    return validate


def _add_counts(sub: Any) -> argparse.ArgumentParser:
    """``flashpoint counts FILE``: daily counts as CSV."""
    counts: argparse.ArgumentParser = sub.add_parser(
        "counts", help="write daily counts of an event table as CSV"
    )
    counts.add_argument("file", type=Path)
    _add_table_options(counts, by="country")
    _add_output(counts, what="CSV", kind="flashpoint counts table", default=None)
    counts.add_argument("--start", help="first day of the calendar (YYYY-MM-DD)")
    counts.add_argument("--end", help="last day of the calendar (YYYY-MM-DD)")
    return counts


_DAY = r"\d{4}-\d{2}-\d{2}"
_EVENT = re.compile(rf"^\s*(?P<start>{_DAY})\s*(?:/\s*(?P<end>{_DAY})\s*)?(?::(?P<label>.*))?$")
_TIME_OF_DAY = re.compile(rf"^\s*{_DAY}(?:[T ]|\s*/\s*{_DAY}[T ])\d{{1,2}}:\d{{2}}")
_EVENT_HELP = (
    "expected DATE[/END][:LABEL] with ISO dates, e.g. 2023-11-22:'KH strike' or "
    "2023-11-24/2023-12-01:truce"
)


def _parse_event(text: str) -> EventSpec:
    """``DATE``, ``DATE:LABEL``, ``DATE/END`` or ``DATE/END:LABEL`` (days, no time of day)."""
    if _TIME_OF_DAY.match(text):
        raise FlashpointValueError(
            f"--event {text!r}: a time of day is not allowed (the models count whole days, and "
            f"':' starts the label); give the day only, e.g. {text.strip()[:10]}:label"
        )
    match = _EVENT.match(text)
    if match is None:
        raise FlashpointValueError(f"--event {text!r}: {_EVENT_HELP}")
    start, end = match["start"], match["end"]
    label = (match["label"] or "").strip().strip("'\"").strip()
    for day in (start, end):
        if day is not None:
            try:
                as_day(day, "--event")
            except FlashpointError as err:
                raise FlashpointValueError(
                    f"--event {text!r}: {day} is not a calendar date; {_EVENT_HELP}"
                ) from err
    if end is not None and end < start:
        raise FlashpointValueError(
            f"--event {text!r}: the end {end} is before the start {start}; swap them"
        )
    return EventSpec(
        date=start,
        end=end,
        shape="pulse" if end else "step",
        label=label or None,
    )


def _controls(args: argparse.Namespace) -> list[str] | pd.DataFrame | None:
    """Read the controls: --controls GROUP ... or --controls-file CSV (not both)."""
    if args.controls_file is None:
        return args.controls or None
    if args.controls:
        raise FlashpointValueError(
            "give control groups (--controls) or a file of control series (--controls-file), "
            "not both"
        )
    series = read_table(args.controls_file)
    if DATE not in series.columns:
        raise FlashpointValueError(
            f"--controls-file {args.controls_file} needs a '{DATE}' column and one column per "
            f"series; found columns {list(series.columns)}"
        )
    dates = pd.to_datetime(series[DATE], errors="coerce", format="ISO8601")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise FlashpointValueError(
            f"--controls-file {args.controls_file}: row {row} has no readable date "
            f"({series[DATE].iloc[row]!r}); use ISO dates such as 2023-11-22"
        )
    values = series.drop(columns=[DATE]).apply(pd.to_numeric, errors="coerce")
    bad = [c for c in values.columns if values[c].isna().any()]
    if bad:
        row = int(np.flatnonzero(values[bad[0]].isna().to_numpy())[0])
        raise FlashpointValueError(
            f"--controls-file {args.controls_file}: column {bad[0]!r} row {row} is not a number "
            f"({series[bad[0]].iloc[row]!r}); every control series needs a value on every date"
        )
    return values.set_axis(pd.DatetimeIndex(dates, name=DATE))


def _report(args: argparse.Namespace) -> int:
    from flashpoint.report._html import check_report_target  # plotly loads with the report

    t0 = time.perf_counter()
    out = check_report_target(
        args.out, force=args.force, inputs=(args.data, args.events_file), force_hint="--force"
    )
    unknown = [b for b in args.basis or [] if b not in BASES]
    if unknown:
        raise FlashpointValueError(f"unknown --basis {unknown}; expected some of {list(BASES)}")
    by = args.by or (None if args.data is not None else "country")
    interventions = [_parse_event(e) for e in args.event] or None
    key_events = None
    if args.events_file is not None:
        key_events = validate_key_events(read_table(args.events_file))
    events: Any = None
    if args.data is not None and args.out_of_core:
        events = str(args.data)  # counted by DuckDB inside build_report
    elif args.data is not None:
        events = read_events(args.data, date=args.date_col, by=by, date_format=args.date_format)
    elif args.out_of_core:
        raise FlashpointValueError("--out-of-core needs --data FILES (Parquet or CSV)")
    from flashpoint.report import build_report

    print("building the report ...", file=sys.stderr)
    report = build_report(
        events,
        key_events=key_events,
        interventions=interventions,
        by=by,
        basis=args.basis,
        start=None if args.start is None else as_day(args.start, "--start"),
        end=None if args.end is None else as_day(args.end, "--end"),
        title=args.title,
        source_name=None if args.data is None else args.data.name,
        noun=args.noun,
        controls=_controls(args),
        groups=args.groups,
        **({} if args.top is None else {"top": args.top}),
        progress=True,
    )
    path = report.write(out, force=args.force)
    print(
        f"wrote {path.resolve()} ({path.stat().st_size / 1e6:.1f} MB, {report.n_figures} "
        f"figures, {time.perf_counter() - t0:.1f} s)"
    )
    failed = [s.title for s in report.sections if s.error]
    if failed:
        print(
            f"note: {len(failed)} section(s) could not be computed: {', '.join(failed)}; "
            "the page says why",
            file=sys.stderr,
        )
    print()
    print(report.text_summary())
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    events = read_events(args.file, date=args.date_col, by=args.by, date_format=args.date_format)
    print(f"OK: {args.file} has {len(events)} valid events")
    return EXIT_OK


def _is_counts_csv(path: Path) -> bool:
    """Whether ``path`` starts with the header of a counts table (``date,[group,]count``)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            header = fh.readline().strip().split(",")
    except OSError:
        return False
    return len(header) in (2, 3) and header[0] == DATE and header[-1] == "count"


def _counts(args: argparse.Namespace) -> int:
    out = None
    if args.out is not None:
        out = check_target(
            args.out,
            recognise=_is_counts_csv,
            what="counts table",
            inputs=(args.file,),
            force=args.force,
            force_hint="--force",
        )
    events = read_events(args.file, date=args.date_col, by=args.by, date_format=args.date_format)
    counts = count_daily(events, by=args.by, start=args.start, end=args.end)
    if out is None:
        counts.to_csv(sys.stdout, index=False, date_format="%Y-%m-%d")
    else:
        write_atomic(out, counts.to_csv(index=False, date_format="%Y-%m-%d"))
        print(f"wrote {len(counts)} rows to {out}", file=sys.stderr)
    return EXIT_OK


def _warning_printer(command: str) -> Callable[..., None]:
    """Print flashpoint's warnings as one ``flashpoint <command>: warning: ...`` line each."""

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        print(f"flashpoint {command}: warning: {message}", file=sys.stderr)

    return show


def _say(command: str, message: str) -> None:
    print(f"flashpoint {command}: error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 on bad input, 1 on an unexpected error (a bug), 130
        when interrupted.
    """
    args = _parser().parse_args(argv)
    handlers = {"report": _report, "validate": _validate, "counts": _counts}
    debug = bool(getattr(args, "debug", False))
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_printer(args.command)
            return handlers[args.command](args)
    except (FlashpointError, FileNotFoundError, IsADirectoryError, PermissionError) as err:
        if debug:
            traceback.print_exc()
        _say(args.command, str(err).strip() or type(err).__name__)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into a command that stopped reading (e.g. head)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return EXIT_OK
    except KeyboardInterrupt:
        _say(args.command, "interrupted; nothing was written")
        return EXIT_INTERRUPTED
    except Exception as err:
        if debug:
            traceback.print_exc()
        first = (str(err).strip().splitlines() or [""])[0]
        _say(
            args.command,
            f"internal error ({type(err).__name__}: {first}). This is a bug in flashpoint: "
            "please report it" + ("" if debug else "; run again with --debug to see the traceback"),
        )
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
