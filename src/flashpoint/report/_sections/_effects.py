"""The effect of the interventions: ITS, placebo test, the tallies' reading, event study."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from flashpoint.errors import FlashpointError, FlashpointValueError
from flashpoint.models import EventSpec, compare_sources, fit_event_study
from flashpoint.plots import plot_event_study, plot_its, plot_placebo, plot_tally_fit
from flashpoint.report._html import Section
from flashpoint.report._inputs import Look
from flashpoint.report._inputs import summary_columns as _columns
from flashpoint.schemas import KIND

__all__ = [
    "EVENT_STUDY_WINDOWS",
    "event_study_section",
    "its_section",
    "placebo_section",
    "sources_section",
]


def its_section(s: Section, state: dict[str, Any], look: Look) -> None:
    noun = look.noun
    res = state["assessment"].its  # the verdict's default reading, drawn in full
    s.intro = (
        "Interrupted time series, the verdict's default reading: a negative-binomial "
        "regression of the daily counts per group on a linear trend and one term per "
        f"intervention. Rate ratios above 1 mean more {noun} per day than the trend "
        f"predicts. The lower panels show the cumulative excess {noun} against the "
        "counterfactual without the events, with a 95% prediction interval (parameter "
        "uncertainty and count noise: what could have happened without the events)."
    )
    s.figures.append(plot_its(res, noun=noun, colors=look.colors))
    table = _columns(
        res,
        "event",
        "shape",
        "rate_ratio",
        "rate_ratio_lower",
        "rate_ratio_upper",
        "p_value",
        "ci_method",
    )
    s.tables.append(("Rate ratios (95% intervals)", table))
    s.tables.append(
        ("Dispersion (NB2 alpha; likelihood-ratio test against Poisson)", res.dispersion)
    )
    methods = set(res.summary()["ci_method"])
    if "profile" in methods:
        s.notes.append(
            "A rate ratio of 0 means no event fell in the term's window; its upper "
            "bound is from the profile likelihood and its p-value from a "
            "likelihood-ratio test (divided by the dispersion under quasi-Poisson)."
        )
    if "not estimable" in methods:
        s.notes.append(
            "A term marked 'not estimable' has no event before it (or none outside it), so "
            "its estimate would run to infinity; it is reported as missing, not as a number."
        )


def placebo_section(s: Section, state: dict[str, Any]) -> None:
    assessment = state["assessment"]
    target = assessment.events[0].name
    res = assessment.placebos[("in_time", target)]  # the verdict's in-time placebo reading
    s.intro = (
        f"In-time placebo test of {target}: the same model refitted with "
        "the event moved to every other eligible date; the p-value is the rank of the "
        "real estimate among the placebo estimates (two-sided)."
    )
    s.figures.append(plot_placebo(res))
    s.tables.append(
        (
            "Placebo inference",
            _columns(
                res, "observed", "rate_ratio", "n_placebo", "placebo_mean", "placebo_sd", "p_value"
            ),
        )
    )


def sources_section(
    s: Section,
    tallies: pd.DataFrame,
    events: pd.DataFrame,
    interventions: Sequence[EventSpec],
    first: pd.Timestamp,
    look: Look,
) -> None:
    comparison = compare_sources(tallies, events, list(interventions), start=first)
    s.intro = (
        "The same effects estimated from three readings of the record: the officials' "
        "cumulative tallies (daily rates fitted to the counts between successive tallies, "
        "quasi-Poisson), the event rows US officials confirmed, and all event rows "
        f"(negative binomial), over {comparison.start.date()} to {comparison.end.date()}."
    )
    s.figures.append(comparison.plot())
    s.tables.append(("Rate ratios by source (95% intervals)", comparison.summary()))
    s.figures.append(plot_tally_fit(comparison.tally_fit, noun=look.noun, colors=look.colors))
    s.notes += [f"Warning: {w}" for w in comparison.warnings]


EVENT_STUDY_WINDOWS = (
    ((-3, -1), (0, 0), (1, 3), (4, 7)),
    ((0, 0), (1, 3), (4, 7)),
)
"""The window sets of the report's event study (days relative to each event): with and
without a pre-event window, since the estimates move with the choice."""


def event_study_section(
    s: Section, counts: pd.DataFrame, key_events: pd.DataFrame, kind: str | None
) -> None:
    if KIND in key_events.columns:
        kind = kind or str(key_events[KIND].value_counts().index[0])
        chosen = key_events[key_events[KIND] == kind]
    else:
        chosen = key_events
    results = []
    for k, windows in enumerate(EVENT_STUDY_WINDOWS):
        try:
            results.append(fit_event_study(counts, chosen, windows=windows, per_event=k == 0))
        except FlashpointError as err:
            s.notes.append(f"Windows {list(windows)}: not available: {str(err).splitlines()[0]}")
    if not results:
        raise FlashpointValueError(
            f"no window set leaves enough reference days for the {len(chosen)} key events of "
            f"kind {kind!r} (see the notes)"
        )
    res = results[0]
    s.intro = (
        f"Event study of {res.n_events} events of kind {kind!r} on {res.n_event_dates} "
        "dates: the rate in windows of days before and after the events against the days "
        "outside every window (negative binomial with a spline trend). Pre-event windows "
        "test for anticipation or reverse causality. Two window sets are shown because the "
        "estimates move with the choice."
    )
    s.figures.append(plot_event_study(res))
    for r in results:
        spans = "; ".join(r.summary()["window"].drop_duplicates())
        s.tables.append(
            (
                f"Rate ratio by window (days {spans})",
                _columns(
                    r,
                    "window",
                    "rate_ratio",
                    "rate_ratio_lower",
                    "rate_ratio_upper",
                    "p_value",
                    "event_days",
                    "reference_days",
                ),
            )
        )
    if len(res.pretrend):
        s.tables.append(("Pre-trend test (pre-event windows jointly equal to 1)", res.pretrend))
    s.tables.append(("Each event date: the days after it", res.per_event))
