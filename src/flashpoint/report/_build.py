"""Assembling the report: :func:`build_report` runs every section on an event table."""

from __future__ import annotations

import datetime as _dt
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from flashpoint.counts import count_daily
from flashpoint.datasets import (
    COUNT_START,
    KH_STRIKE,
    TRUCE_END,
    TRUCE_START,
    load_attacks,
    load_key_events,
    load_tallies,
)
from flashpoint.errors import FlashpointError, FlashpointValueError
from flashpoint.models import EventSpec
from flashpoint.report._html import Report, Section
from flashpoint.report._sections import (
    alarm_section,
    changepoint_section,
    counts_section,
    event_study_section,
    hawkes_section,
    its_section,
    methods_section,
    placebo_section,
    rt_section,
    sources_section,
    tallies_section,
    trend_section,
)
from flashpoint.report._summary import summary_lines
from flashpoint.schemas import COUNT, DATE, END, KIND, LABEL

__all__ = ["MIN_EVENTS", "build_report"]

MIN_EVENTS = 10
"""Groups with fewer events in the window are shown but left out of the models."""


class _Progress:
    """Prints each step that takes over a second (to standard error)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.perf_counter()

    def done(self, name: str, seconds: float) -> None:
        if self.enabled and seconds >= 1.0:
            total = time.perf_counter() - self.start
            print(f"  {name}: {seconds:.1f} s (total {total:.1f} s)", file=sys.stderr)


def _run(section: Section, progress: _Progress, body: Callable[[Section], None]) -> Section:
    """Fill a section; a user-facing error becomes the section's message, warnings notes."""
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            body(section)
        except FlashpointError as err:
            section.error = str(err).splitlines()[0]
    for w in caught:
        if issubclass(w.category, UserWarning):
            note = f"Warning: {w.message}"
            if note not in section.notes:
                section.notes.append(note)
    section.seconds = time.perf_counter() - t0
    progress.done(section.title, section.seconds)
    return section


def build_report(
    events: pd.DataFrame | None = None,
    *,
    key_events: pd.DataFrame | None = None,
    interventions: Sequence[EventSpec] | None = None,
    study_kind: str | None = None,
    tallies: pd.DataFrame | None = None,
    by: str = "country",
    basis: Sequence[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    title: str | None = None,
    source_name: str | None = None,
    progress: bool = False,
) -> Report:
    """Analyse an event table and assemble the report.

    Parameters
    ----------
    events
        Validated events (default: the bundled attacks, :func:`flashpoint.load_attacks`).
    key_events
        Key events to mark on the figures and, by ``study_kind``, to pool in the event
        study (default for the bundled data: :func:`flashpoint.load_key_events`).
    interventions
        The events whose effect is estimated (interrupted time series, placebo test,
        tallies). Default for the bundled data: the KH strike (2023-11-22, a step) and the
        Gaza truce (2023-11-24 to 2023-12-01, a pulse). The first one is the placebo test's
        target.
    study_kind
        ``kind`` of the key events pooled in the event study (default ``"us_strike"`` for
        the bundled data, else the most frequent kind).
    tallies
        Cumulative tallies to reconcile with (default for the bundled data:
        :func:`flashpoint.load_tallies`).
    by
        Group column of ``events``.
    basis
        Keep only event rows with these ``basis`` values (bundled data).
    start, end
        Window of the models. Default for the bundled data: 2023-10-17 (the official count's
        start) to 2024-02-04 (the last attack before a pause of almost three months);
        otherwise the whole table.
    title
        Title of the page.
    source_name
        How to name the data in the page (e.g. the file name).
    progress
        Print steps that take over a second to standard error.

    Returns
    -------
    Report
        Write it with :meth:`Report.write`; :meth:`Report.text_summary` is the summary.

    Examples
    --------
    >>> import flashpoint as fp
    >>> report = fp.build_report()
    >>> report.n_figures >= 10
    True
    """
    bundled = events is None
    if events is None:
        events = load_attacks(basis=basis)
        key_events = load_key_events() if key_events is None else key_events
        tallies = load_tallies() if tallies is None else tallies
        if interventions is None:
            interventions = [
                EventSpec(date=KH_STRIKE, label="KH strike"),
                EventSpec(date=TRUCE_START, end=TRUCE_END, shape="pulse", label="Gaza truce"),
            ]
        study_kind = study_kind or "us_strike"
        start = COUNT_START if start is None else start
        end = pd.Timestamp("2024-02-04") if end is None else end
        source_name = source_name or "bundled data: attacks on US forces in Iraq, Syria and Jordan"
        basis_text = "all evidence levels" if not basis else "basis " + ", ".join(basis)
        source_name += f" ({basis_text})"
    elif basis:
        if "basis" not in events.columns:
            raise FlashpointValueError("basis= needs a 'basis' column in the event table")
        events = events[events["basis"].isin(list(basis))]
    if by not in events.columns:
        raise FlashpointValueError(
            f"the event table has no group column {by!r} (columns: {list(events.columns)}); "
            "pass by= (CLI: --by or --group-col)"
        )
    if len(events) == 0:
        raise FlashpointValueError("no events left to analyse (check --basis and the file)")
    interventions = list(interventions or [])
    marks = _marks(key_events, interventions)
    all_counts = count_daily(events, by=by)
    first = pd.Timestamp(start) if start is not None else all_counts[DATE].min()
    last = pd.Timestamp(end) if end is not None else all_counts[DATE].max()
    if last <= first:
        raise FlashpointValueError(f"end ({last.date()}) must be after start ({first.date()})")
    # the model figures cover the window only: mark the events inside it
    window_marks = marks[(marks[DATE] >= first) & (marks[DATE] <= last)]
    window = count_daily(
        events[(events[DATE] >= first) & (events[DATE] <= last)],
        by=by,
        start=first,
        end=last,
        groups=sorted(events[by].unique()),
    )
    totals = window.groupby(by)[COUNT].sum()
    modelled = [g for g in totals.index if totals[g] >= MIN_EVENTS]
    small = [g for g in totals.index if totals[g] < MIN_EVENTS]
    counts = window[window[by].isin(modelled)].reset_index(drop=True)
    prog = _Progress(progress)
    title = title or (
        "Attacks on US forces in Iraq and Syria, 2023-24" if bundled else "Event report"
    )
    description = (
        f"Data: {source_name or 'event table'}; {len(events)} events from "
        f"{all_counts[DATE].min().date()} to {all_counts[DATE].max().date()}. Models use "
        f"{first.date()} to {last.date()} and the groups with at least {MIN_EVENTS} events "
        f"({', '.join(map(str, modelled)) or 'none'})."
        + (f" Left out of the models: {', '.join(map(str, small))}." if small else "")
        + (
            " Interventions: "
            + "; ".join(
                f"{s.name} ({s.shape}, {s.date.date()}"
                + (f" to {s.end.date()}" if s.end is not None else "")
                + ")"
                for s in interventions
            )
            + "."
            if interventions
            else ""
        )
    )
    state: dict[str, Any] = {}
    sections: list[Section] = []

    def add(title: str, body: Callable[[Section], None]) -> None:
        sections.append(_run(Section(title), prog, body))

    add("Daily counts", lambda s: counts_section(s, all_counts, by, marks))
    if tallies is not None:
        add(
            "Event rows against the official tallies",
            lambda s: tallies_section(s, events, tallies, all_counts, by, marks, first),
        )
    if len(counts):
        add("Trend", lambda s: trend_section(s, counts, window_marks, state))
        if interventions:
            add(
                "Did the rate change after the events?",
                lambda s: its_section(s, counts, interventions, state),
            )
            add("Placebo test", lambda s: placebo_section(s, counts, interventions))
        if tallies is not None and interventions and bundled:
            add(
                "The same question from the official tallies",
                lambda s: sources_section(s, tallies, events, interventions, first),
            )
        if key_events is not None and len(key_events):
            add("Event study", lambda s: event_study_section(s, counts, key_events, study_kind))
        add(
            "Change points",
            lambda s: changepoint_section(s, counts, window_marks, interventions, state),
        )
        add(
            "Reproduction number",
            lambda s: rt_section(s, counts, window_marks, interventions, state),
        )
        add("Alarms", lambda s: alarm_section(s, counts, window_marks, state))
        add(
            "Self-excitation (Hawkes)",
            lambda s: hawkes_section(s, counts, key_events, study_kind, interventions, state),
        )
    sections.append(methods_section())
    summary = summary_lines(title, events, window, by, modelled, state, interventions)
    return Report(
        title=title,
        description=description,
        sections=tuple(sections),
        summary_lines=tuple(summary),
        generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _marks(key_events: pd.DataFrame | None, interventions: Sequence[EventSpec]) -> pd.DataFrame:
    """Events to mark on figures: the interventions, then US strikes or all key events."""
    rows = [
        {DATE: s.date, END: s.end if s.end is not None else pd.NaT, LABEL: s.name}
        for s in interventions
    ]
    if key_events is not None and len(key_events):
        ke = key_events
        if KIND in ke.columns and (ke[KIND] == "us_strike").any():
            ke = ke[ke[KIND] == "us_strike"]
        for _, r in ke.iterrows():
            if any(pd.Timestamp(r[DATE]) == x[DATE] for x in rows):
                continue
            rows.append(
                {
                    DATE: pd.Timestamp(r[DATE]),
                    END: pd.Timestamp(r[END]) if END in ke.columns and pd.notna(r[END]) else pd.NaT,
                    LABEL: str(r[LABEL]) if LABEL in ke.columns else str(r[DATE])[:10],
                }
            )
    return pd.DataFrame(rows, columns=[DATE, END, LABEL])
