"""Command line: ``flashpoint report``, ``flashpoint validate FILE``, ``flashpoint counts FILE``.

Thin by design: parse arguments, load, count, fit, report. User errors (bad files, bad
values) print a message and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from flashpoint import __version__
from flashpoint.counts import count_daily, reconcile_tallies
from flashpoint.datasets import load_attacks, load_tallies
from flashpoint.errors import FlashpointError
from flashpoint.schemas import COUNT, DATE
from flashpoint.sources import read_events

__all__ = ["main"]

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flashpoint",
        description="Conflict-event time series: validated counts, event effects, escalation.",
    )
    parser.add_argument("--version", action="version", version=f"flashpoint {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    report = sub.add_parser("report", help="analyse the bundled Iraq/Syria data (or --data)")
    report.add_argument("--data", type=Path, help="event table (CSV or Parquet)")
    report.add_argument("--date-col", default="date", help="date column of --data")
    report.add_argument("--group-col", default="country", help="group column of --data")
    report.add_argument("--basis", action="append", help="evidence basis to keep (repeatable)")

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


def _summary(events: pd.DataFrame, by: str) -> str:
    counts = count_daily(events, by=by)
    lines = [
        f"{len(events)} events, {counts[DATE].min().date()} to {counts[DATE].max().date()}",
        "",
        f"{'group':<12} {'events':>7} {'days':>6} {'per day':>8} {'max/day':>8}",
    ]
    for group, g in counts.groupby(by, sort=True):
        lines.append(
            f"{group!s:<12} {int(g[COUNT].sum()):>7} {len(g):>6} "
            f"{g[COUNT].mean():>8.2f} {int(g[COUNT].max()):>8}"
        )
    return "\n".join(lines)


def _report(args: argparse.Namespace) -> int:
    if args.data is not None:
        events = read_events(args.data, date=args.date_col, group=args.group_col)
        print(_summary(events, args.group_col))
        return EXIT_OK
    events = load_attacks(basis=args.basis)
    print("Attacks on US forces in Iraq, Syria and Jordan (bundled data, all rows)")
    print(_summary(events, "country"))
    rec = reconcile_tallies(events, load_tallies())
    cols = ["group", "end", "official_cumulative", "event_cumulative", "coverage"]
    shown = rec[rec["group"].isin(["total", "iraq", "syria"])][cols]
    print("\nEvent rows against official cumulative tallies (coverage = rows / official):")
    print(shown.to_string(index=False))
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
    except (FlashpointError, FileNotFoundError) as err:
        print(f"flashpoint {args.command}: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
