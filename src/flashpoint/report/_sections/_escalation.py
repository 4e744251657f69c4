"""Escalation: change points, the reproduction number, alarms, self-excitation; methods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from flashpoint.models import (
    EventSpec,
    detect_alarms,
    detect_changepoints,
    estimate_rt,
    fit_hawkes,
)
from flashpoint.plots import plot_alarms, plot_changepoints, plot_hawkes, plot_rt
from flashpoint.report._html import Section
from flashpoint.report._inputs import Look
from flashpoint.schemas import DATE, KIND

__all__ = [
    "alarm_section",
    "changepoint_section",
    "hawkes_section",
    "methods_section",
    "rt_section",
]


def changepoint_section(
    s: Section,
    counts: pd.DataFrame,
    marks: pd.DataFrame,
    interventions: Sequence[EventSpec],
    state: dict[str, Any],
    look: Look,
) -> None:
    res = detect_changepoints(counts, method="bayes", family="negbin")
    state["changepoints"] = res
    s.intro = (
        "Bayesian change-point analysis (negative binomial, product-partition model): "
        "segment rates with 95% credible intervals and the posterior probability of a "
        "change on each day. The prior mean rate is the series' mean (empirical Bayes) and "
        "the NB size is integrated over a grid (estimated for series over 2,000 days); the "
        "posterior is within the stated approximation error of the exact one."
    )
    s.figures.append(plot_changepoints(res, events=marks, noun=look.noun, colors=look.colors))
    s.tables.append(("Segments (posterior mode)", res.summary()))
    if interventions:
        near = res.change_near([sp.date for sp in interventions], within=3)
        state["change_near"] = near
        s.tables.append(("Is there a change within 3 days of the interventions?", near))


def hawkes_section(
    s: Section,
    counts: pd.DataFrame,
    key_events: pd.DataFrame | None,
    kind: str | None,
    interventions: Sequence[EventSpec],
    state: dict[str, Any],
    look: Look,
) -> None:
    exogenous = None
    if key_events is not None and KIND in key_events.columns and kind is not None:
        chosen = key_events[key_events[KIND] == kind]
        exogenous = chosen if len(chosen) else None
    regimes = [interventions[0].date] if interventions else None
    res = fit_hawkes(counts, exogenous=exogenous, regimes=regimes)
    state["hawkes"] = res
    s.intro = (
        "Discrete-time Hawkes model: each day's expected count is a background rate (which "
        "may drift; the model tests whether it does), plus events that follow earlier "
        "events (the branching ratio: expected direct offspring per event)"
        + (f", plus extra events after the {kind} events" if exogenous is not None else "")
        + ". "
        + (
            f"The branching ratio may differ before and after {interventions[0].name}; the "
            "likelihood-ratio test of equal ratios is in the tests table."
            if regimes
            else ""
        )
    )
    s.figures.append(plot_hawkes(res, noun=look.noun))
    s.tables.append(("Parameters (95% profile-likelihood intervals)", res.summary()))
    s.tables.append(("Tests (likelihood ratio)", res.tests))
    if exogenous is not None:
        effects = res.exogenous_effects()
        s.tables.append(("Extra events after each exogenous event", effects))
        for _, row in effects.iterrows():
            where = "" if res.by is None else f"{row[res.by]}: "
            s.notes.append(
                f"{where}the {kind} events are followed by significantly more events "
                "than the background and self-excitation predict."
                if row["significant"]
                else f"{where}no significant change after the {kind} events; nothing here "
                "says they triggered events."
            )
    s.notes.extend(res.notes)
    s.notes.append(
        "A high branching ratio can also reflect pauses and bursts set by outside decisions "
        "(a truce, a halt) that the background does not follow: read it as clustering."
    )


def rt_section(
    s: Section,
    counts: pd.DataFrame,
    marks: pd.DataFrame,
    interventions: Sequence[EventSpec],
    state: dict[str, Any],
    look: Look,
) -> None:
    res = estimate_rt(counts, window=14)
    state["rt"] = res
    s.intro = (
        "Time-varying reproduction number (Cori et al. 2013, as in EpiEstim) over "
        "14-day windows, with a serial interval of mean 4 and sd 3 days (a convention "
        f"for the delay between one of the {look.noun} and those it provokes). R above 1 means "
        f"the recent {look.noun} are followed by more; it is a growth index, about 1 for any "
        "steady series. Windows with few events are flagged as unreliable."
    )
    s.figures.append(plot_rt(res, events=marks, noun=look.noun))
    if interventions:
        table = res.summary()
        day = interventions[0].date
        picks = [day - pd.Timedelta(days=1), day + pd.Timedelta(days=13)]
        shown = table[table[DATE].isin(picks)][
            [
                res.by,
                DATE,
                "window_start",
                "rt_mean",
                "rt_lower",
                "rt_upper",
                "window_count",
                "reliable",
            ]
        ]
        s.tables.append(
            (
                f"R before {interventions[0].name} (window ending the day before) "
                "and after it (the 14 days from it)",
                shown,
            )
        )


def alarm_section(
    s: Section, counts: pd.DataFrame, marks: pd.DataFrame, state: dict[str, Any], look: Look
) -> None:
    res = detect_alarms(counts, method="nb_cusum")
    state["alarms"] = res
    s.intro = (
        "Negative-binomial CUSUM (Hoehle & Paul 2008) against a rolling 28-day baseline "
        "(7-day guard): an alarm when the evidence for a doubling of the rate crosses "
        "a threshold set for an in-control false-alarm rate of 0.5% of days."
    )
    s.figures.append(plot_alarms(res, events=marks, noun=look.noun, colors=look.colors))
    alarms = res.summary()
    if len(alarms):
        s.tables.append(("Alarm days", alarms))
    else:
        s.notes.append("No alarm: no day exceeded the threshold.")


def methods_section(caveat: str) -> Section:
    return Section(
        "Methods and caveats",
        intro=(
            "Counts are daily and zero-filled; every model uses a count likelihood (negative "
            "binomial unless stated) and reports intervals at the 95% level. "
            + (
                f"{caveat} Compare the readings in the verdict before drawing a conclusion. "
                if caveat
                else ""
            )
            + "Warnings raised by the models are listed under each section."
        ),
    )
