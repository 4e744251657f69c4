"""Assembling the report: :func:`build_report` runs every section on an event table."""

from __future__ import annotations

import datetime as _dt
import time
import warnings
from collections.abc import Callable, Hashable, Sequence
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from flashpoint._progress import progress_bar
from flashpoint.counts import count_daily
from flashpoint.errors import FlashpointError, FlashpointValueError
from flashpoint.models import EventSpec
from flashpoint.plots._style import group_colors
from flashpoint.report._html import Report, Section
from flashpoint.report._inputs import (
    _ALL,
    MIN_EVENTS,
    TOP_GROUPS,
    Look,
    ReportData,
    ReportInputs,
    bundled_inputs,
    file_inputs,
    user_inputs,
)
from flashpoint.report._sections import (
    alarm_section,
    changepoint_section,
    counts_section,
    event_study_section,
    hawkes_section,
    its_section,
    methods_section,
    overview_section,
    placebo_section,
    rt_section,
    sources_section,
    tallies_section,
    trend_section,
    verdict_section,
)
from flashpoint.scale import count_daily_duckdb
from flashpoint.schemas import COUNT, DATE, END, KIND, LABEL
from flashpoint.schemas._dates import as_day, describe_outliers, outlying_days

__all__ = ["MIN_EVENTS", "build_report"]


MAX_NOTES = 12
"""Warnings listed under a section; with many groups the rest are counted, not listed."""


def _run(section: Section, body: Callable[[Section], None]) -> Section:
    """Fill a section; any error becomes the section's message, warnings its notes.

    A section that fails, for whatever reason, says why in its place and the rest of the
    report is still written. A flashpoint error (the data do not allow the analysis) shows
    its message; any other exception is a bug in flashpoint and shows its type and
    message as such. ``KeyboardInterrupt`` and ``SystemExit`` are not caught.
    """
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            body(section)
        except FlashpointError as err:
            section.error = _first_line(err)
        except Exception as err:
            section.error = (
                f"internal error ({type(err).__name__}: {_first_line(err)}); this is a bug in "
                "flashpoint, please report it with the data that triggers it"
            )
    notes = dict.fromkeys(
        f"Warning: {w.message}" for w in caught if issubclass(w.category, UserWarning)
    )
    fresh = [n for n in notes if n not in section.notes]
    section.notes.extend(fresh[:MAX_NOTES])
    if len(fresh) > MAX_NOTES:
        section.notes.append(f"... and {len(fresh) - MAX_NOTES} more warnings like these.")
    section.seconds = time.perf_counter() - t0
    return section


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def build_report(
    events: pd.DataFrame | str | PathLike[str] | Sequence[str | PathLike[str]] | None = None,
    *,
    key_events: pd.DataFrame | None = None,
    interventions: Sequence[EventSpec] | None = None,
    study_kind: str | None = None,
    tallies: pd.DataFrame | None = None,
    controls: Sequence[Hashable] | pd.DataFrame | None = None,
    by: str | None = None,
    groups: Sequence[Hashable] | None = None,
    top: int = TOP_GROUPS,
    basis: Sequence[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    title: str | None = None,
    source_name: str | None = None,
    noun: str | None = None,
    progress: bool = False,
) -> Report:
    """Analyse an event table and assemble the report.

    The page opens with the verdict on each intervention (:func:`flashpoint.assess_event`:
    every reading of its effect side by side, and what they add up to), then the counts,
    the models and their caveats.

    Parameters
    ----------
    events
        Validated events (default: the bundled attacks, :func:`flashpoint.load_attacks`,
        with the bundled key events, tallies and interventions below), or an event table
        on disk: a Parquet or CSV file, a folder, a glob such as ``"events/*.parquet"`` or a
        list of paths, with a ``date`` column and the ``by`` column. Files are counted out
        of core by DuckDB (:func:`flashpoint.count_daily_duckdb`, the ``scale`` extra): only
        the counts per day and group enter memory, so a table of 100 million events gives a
        report; ``basis=`` and ``tallies=`` need the rows in memory and are refused then.
    key_events
        Key events to mark on the figures and, by ``study_kind``, to pool in the event
        study (bundled data: :func:`flashpoint.load_key_events`).
    interventions
        The events whose effect is assessed (the verdict, interrupted time series, placebo
        test). Bundled data: the KH strike (2023-11-22, a step) and the Gaza truce
        (2023-11-24 to 2023-12-01, a pulse). None for other data: the report then shows
        the counts and the escalation models only.
    study_kind
        ``kind`` of the key events pooled in the event study (bundled data: ``"us_strike"``;
        otherwise the most frequent kind).
    tallies
        Official cumulative tallies to reconcile with (bundled data:
        :func:`flashpoint.load_tallies`); they count from ``start``.
    controls
        Series the interventions did not touch: groups of ``events`` (neighbours,
        comparable places: not assessed; they add the control-series and
        synthetic-control readings to the verdict), or a wide frame of series indexed by
        date (it adds the control-series reading).
    by
        Group column of ``events`` (bundled data: ``country``).
    groups, top
        The groups shown in detail (every model and figure): ``groups``, or the ``top``
        largest by volume. An overview section shows every group; with many groups the
        report's cost grows with ``top``, not with the number of groups. ``None`` for other data
        analyses all events as one series.
    basis
        Keep only event rows with these ``basis`` values.
    start, end
        Window of the models (default: the whole table; bundled data: 2023-10-17, the
        official count's start, to 2024-02-04, the last attack before a pause of almost
        three months).
    title
        Title of the page.
    source_name
        How to name the data in the page (e.g. the file name).
    noun
        What one row counts, for the text (bundled data: ``"attack"``; default ``"event"``).
    progress
        Show a progress bar (tqdm, on standard error or as a notebook widget): one step per
        section.

    Returns
    -------
    Report
        Write it with :meth:`Report.write`; :meth:`Report.text_summary` is the verdict in
        text (the title and the first section's sentences).

    Examples
    --------
    >>> import flashpoint as fp
    >>> report = fp.build_report()
    >>> report.sections[0].anchor, report.n_figures >= 10
    ('verdict', True)
    """
    if events is None:
        inputs = bundled_inputs(key_events, interventions, study_kind, tallies, basis, start, end)
    elif isinstance(events, pd.DataFrame):
        inputs = user_inputs(events, key_events, interventions, study_kind, tallies, by, basis)
    else:  # files on disk: counted out of core
        inputs = file_inputs(events, key_events, interventions, study_kind, tallies, by, basis)
    if events is None:
        inputs.by = by or inputs.by
    else:
        inputs.start = None if start is None else as_day(start, "start")
        inputs.end = None if end is None else as_day(end, "end")
    inputs.title = title or inputs.title
    inputs.source_name = source_name or inputs.source_name
    inputs.noun = noun or inputs.noun
    if isinstance(controls, pd.DataFrame):
        inputs.control_series = controls
    else:
        inputs.controls = list(controls or [])
    inputs.groups = None if groups is None else list(groups)
    inputs.top = int(top)
    data = _prepare(inputs)
    sections = _sections(inputs, data, progress=progress)
    return Report(
        title=inputs.title,
        description=_description(inputs, data),
        sections=tuple(sections),
        summary_lines=(inputs.title, *sections[0].paragraphs),
        generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        groups=tuple(str(g) for g in data.detail),
        group_column=inputs.by,
    )


def _prepare(inputs: ReportInputs) -> ReportData:
    """Count the events: the whole record, the model window and the groups modelled."""
    if inputs.start is not None and inputs.end is not None and inputs.end <= inputs.start:
        raise FlashpointValueError(
            f"end ({inputs.end.date()}) must be after start ({inputs.start.date()}); swap "
            "them or widen the window"
        )
    if inputs.files is not None:
        return _data(inputs, *_file_counts(inputs))
    return _data(inputs, *_table_counts(inputs))


def _table_counts(
    inputs: ReportInputs,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp, pd.Timestamp]:
    """Count an event table in memory: the whole record and the model window."""
    events, by = inputs.events, inputs.by
    if len(events) == 0:
        raise FlashpointValueError(
            "no events left to analyse: the table is empty after basis= (check --basis and "
            "the file)"
        )
    events = inputs.events = _window_events(inputs)
    all_counts = count_daily(events, by=by)
    first = inputs.start if inputs.start is not None else all_counts[DATE].min()
    last = inputs.end if inputs.end is not None else all_counts[DATE].max()
    inside = events[(events[DATE] >= first) & (events[DATE] <= last)]
    groups = sorted(events[by].unique(), key=str)
    window = count_daily(inside, by=by, start=first, end=last, groups=groups)
    return all_counts, window, first, last


def _file_counts(
    inputs: ReportInputs,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp, pd.Timestamp]:
    """Count an event table on disk with DuckDB: only counts per day and group reach pandas."""

    def count(**window: Any) -> pd.DataFrame:
        counts = count_daily_duckdb(inputs.files, by=inputs.files_by, **window)
        if inputs.files_by is None:
            counts = counts.assign(**{inputs.by: _ALL})[[DATE, inputs.by, COUNT]]
        return counts

    all_counts = count()
    if len(all_counts) == 0 or int(all_counts[COUNT].sum()) == 0:
        raise FlashpointValueError(f"no events in {inputs.source_name}; check the files")
    inputs.n_events = int(all_counts[COUNT].sum())
    first = inputs.start if inputs.start is not None else all_counts[DATE].min()
    last = inputs.end if inputs.end is not None else all_counts[DATE].max()
    if inputs.start is None and inputs.end is None:
        return all_counts, all_counts, first, last  # the window is the record: one scan
    if inputs.files_by is None:
        window = count(start=first, end=last)
    else:
        groups = sorted(all_counts[inputs.by].unique(), key=str)
        window = count(start=first, end=last, groups=groups)
    return all_counts, window, first, last


def _data(
    inputs: ReportInputs,
    all_counts: pd.DataFrame,
    window: pd.DataFrame,
    first: pd.Timestamp,
    last: pd.Timestamp,
) -> ReportData:
    """Choose the groups modelled and shown in detail, and their colours and marks."""
    by = inputs.by
    totals = window.groupby(by)[COUNT].sum()
    modelled = [g for g in totals.index if totals[g] >= MIN_EVENTS]
    marks = _marks(inputs.key_events, inputs.interventions, inputs.study_kind)
    detail = _detail_groups(inputs, totals, modelled)
    by_volume = totals.sort_values(ascending=False, kind="stable").index
    colors = group_colors([*detail, *by_volume])  # the detailed groups get the first colours
    return ReportData(
        all_counts=all_counts,
        window=window,
        counts=window[window[by].isin(detail)].reset_index(drop=True),
        modelled=modelled,
        detail=detail,
        small=[g for g in totals.index if totals[g] < MIN_EVENTS],
        first=first,
        last=last,
        marks=marks,
        window_marks=marks[(marks[DATE] >= first) & (marks[DATE] <= last)],
        colors=colors,
    )


def _detail_groups(
    inputs: ReportInputs, totals: pd.Series, modelled: Sequence[Hashable]
) -> list[Hashable]:
    """Choose the groups shown in detail: those asked for, else the largest, plus controls."""
    if inputs.groups is not None:
        unknown = [g for g in inputs.groups if g not in totals.index]
        if unknown:
            known = ", ".join(map(str, list(totals.index)[:20]))
            raise FlashpointValueError(
                f"groups= names {unknown}, which have no events in the data (groups: {known}"
                f"{', ...' if len(totals) > 20 else ''}); check the names"
            )
        few = [g for g in inputs.groups if g not in modelled]
        if few:
            inputs.notes.append(
                f"Left out of the detail: {', '.join(map(str, few))} (fewer than {MIN_EVENTS} "
                f"{inputs.noun}s in the window)."
            )
        chosen = [g for g in inputs.groups if g in modelled]
    else:
        if inputs.top < 1:
            raise FlashpointValueError(f"top= must be at least 1, got {inputs.top}")
        ranked = totals[totals.index.isin(list(modelled))].sort_values(
            ascending=False, kind="stable"
        )
        chosen = list(ranked.index[: inputs.top])
    extra = [c for c in inputs.controls if c in modelled and c not in chosen]
    return [g for g in modelled if g in chosen or g in extra]


def _window_events(inputs: ReportInputs) -> pd.DataFrame:
    """Leave out far-away rows outside the window (with a note); refuse a window far off.

    A mistyped year (1900 among 2023 rows) outside ``start``/``end`` would stretch the
    record's calendar over a century: such rows are left out of the whole report, and the
    description says which. A window far from every event would fit mostly empty days.
    """
    events, start, end = inputs.events, inputs.start, inputs.end
    if start is None and end is None:
        return events
    dates = events[DATE]
    inside = (start is None or dates >= start) & (end is None or dates <= end)
    drop = outlying_days(dates.to_numpy().astype("datetime64[D]").view("int64"))
    drop &= ~np.asarray(inside, dtype=bool)
    if drop.any():
        inputs.notes.append(
            f"Left out {int(drop.sum())} row(s) outside the window whose dates lie far from "
            f"the others: {describe_outliers(dates, drop)}."
        )
        events, dates = events[~drop], dates[~drop]
    first, last = dates.min(), dates.max()
    span = max(int((last - first).days), 1)
    data = f"the data run from {first.date()} to {last.date()}"
    if (start is not None and start > last) or (end is not None and end < first):
        raise FlashpointValueError(
            f"start/end leave no data: {data}. Choose a window that overlaps them"
        )
    for name, gap, side in (
        ("start", None if start is None else (first - start).days, "before the first"),
        ("end", None if end is None else (end - last).days, "after the last"),
    ):
        if gap is not None and gap > max(365, span):
            raise FlashpointValueError(
                f"{name} is {gap:,} days {side} event ({data}): the models would fit mostly "
                f"empty days. Choose a {name} near the data or leave it out"
            )
    return events


def _sections(inputs: ReportInputs, data: ReportData, *, progress: bool) -> list[Section]:
    """Run every section in the page's order (the verdict first), one bar step each."""
    plan = _plan(inputs, data)
    sections: list[Section] = []
    with progress_bar(len(plan), desc="report", progress=progress, unit="section") as bar:
        for title, anchor, when, body in plan:
            bar.set_postfix_str(title)
            if when():
                sections.append(_run(Section(title, anchor=anchor), body))
            bar.update()
    return [*sections, methods_section(inputs.caveat)]


_Step = tuple[str, str | None, Callable[[], bool], Callable[[Section], None]]


def _plan(inputs: ReportInputs, data: ReportData) -> list[_Step]:
    """List the sections: title, anchor, whether to run it (asked when its turn comes), body."""
    by, counts, caveat = inputs.by, data.counts, inputs.caveat
    i, marks, wmarks = inputs.interventions, data.marks, data.window_marks
    tallies, key_events, kind = inputs.tallies, inputs.key_events, inputs.study_kind
    look = Look(noun=f"{inputs.noun}s", colors=data.colors)
    state: dict[str, Any] = {}
    n_groups = data.window[by].nunique()
    always, modelled = (lambda: True), (lambda: bool(len(counts)))

    def assessed() -> bool:
        return bool(len(counts)) and bool(i) and "assessment" in state

    def step(
        title: str,
        body: Callable[[Section], None],
        when: Callable[[], bool] = modelled,
        anchor: str | None = None,
    ) -> _Step:
        return (title, anchor, when, body)

    plan = [step("Verdict", lambda s: verdict_section(s, inputs, data, state), always, "verdict")]
    if n_groups > len(data.detail) and n_groups > inputs.top:
        plan.append(
            step(
                "All groups", lambda s: overview_section(s, inputs, data, state), always, "overview"
            )
        )
    plan.append(
        step(
            "Daily counts",
            lambda s: counts_section(s, data.all_counts, by, marks, look, data.detail),
            always,
        )
    )
    if tallies is not None:
        plan.append(
            step(
                "Event rows against the official tallies",
                lambda s: tallies_section(
                    s, inputs.events, tallies, data.all_counts, by, marks, data.first, caveat, look
                ),
                always,
            )
        )
    plan.append(step("Trend", lambda s: trend_section(s, counts, wmarks, state, look)))
    if i:
        plan += [
            step(
                "Did the rate change after the events?",
                lambda s: its_section(s, state, look),
                assessed,
            ),
            step("Placebo test", lambda s: placebo_section(s, state), assessed),
        ]
    if inputs.bundled and tallies is not None and i:
        plan.append(
            step(
                "The same question from the official tallies",
                lambda s: sources_section(s, tallies, inputs.events, i, data.first, look),
            )
        )
    if key_events is not None and len(key_events):
        plan.append(step("Event study", lambda s: event_study_section(s, counts, key_events, kind)))
    return [
        *plan,
        step("Change points", lambda s: changepoint_section(s, counts, wmarks, i, state, look)),
        step("Reproduction number", lambda s: rt_section(s, counts, wmarks, i, state, look)),
        step("Alarms", lambda s: alarm_section(s, counts, wmarks, state, look)),
        step(
            "Self-excitation (Hawkes)",
            lambda s: hawkes_section(s, counts, key_events, kind, i, state, look),
        ),
    ]


def _description(inputs: ReportInputs, data: ReportData) -> str:
    """Say what was analysed: data, window, groups modelled and interventions."""
    text = (
        f"Data: {inputs.source_name}; "
        f"{inputs.n_events if inputs.n_events is not None else len(inputs.events):,} "
        f"{inputs.noun}s from "
        f"{data.all_counts[DATE].min().date()} to {data.all_counts[DATE].max().date()}. "
        f"Models use {data.first.date()} to {data.last.date()} and the groups with at least "
        f"{MIN_EVENTS} {inputs.noun}s ({', '.join(map(str, data.modelled)) or 'none'})."
    )
    if data.small:
        text += f" Left out of the models: {', '.join(map(str, data.small))}."
    text += "".join(f" {note}" for note in inputs.notes)
    if inputs.interventions:
        text += " Interventions: " + "; ".join(
            f"{s.name} ({s.shape}, {s.date.date()}"
            + (f" to {s.end.date()}" if s.end is not None else "")
            + ")"
            for s in inputs.interventions
        )
        text += "."
    return text


def _marks(
    key_events: pd.DataFrame | None, interventions: Sequence[EventSpec], kind: str | None
) -> pd.DataFrame:
    """Collect the events to mark on figures.

    The interventions, then the key events of ``kind`` (all of them when ``kind`` is
    ``None`` or absent from the table).
    """
    rows: list[dict[str, Any]] = [
        {DATE: s.date, END: s.end if s.end is not None else pd.NaT, LABEL: s.name, "main": True}
        for s in interventions
    ]
    if key_events is not None and len(key_events):
        ke = key_events
        if kind is not None and KIND in ke.columns and (ke[KIND] == kind).any():
            ke = ke[ke[KIND] == kind]
        for _, r in ke.iterrows():
            if any(pd.Timestamp(r[DATE]) == x[DATE] for x in rows):
                continue
            rows.append(
                {
                    DATE: pd.Timestamp(r[DATE]),
                    END: pd.Timestamp(r[END]) if END in ke.columns and pd.notna(r[END]) else pd.NaT,
                    LABEL: str(r[LABEL]) if LABEL in ke.columns else str(r[DATE])[:10],
                    "main": False,
                }
            )
    return pd.DataFrame(rows, columns=[DATE, END, LABEL, "main"])
