"""The sections of the report: each runs one analysis and adds its figures, tables and notes.

A section function fills the :class:`~flashpoint.report.Section` it is given and computes
nothing the models do not; results other sections or the summary need go into ``state``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from flashpoint.counts import count_daily, cumulative, reconcile_tallies, resample, rolling_mean
from flashpoint.errors import FlashpointError, FlashpointValueError
from flashpoint.models import (
    EventSpec,
    assess_event,
    compare_sources,
    detect_alarms,
    detect_changepoints,
    estimate_rt,
    fit_event_study,
    fit_hawkes,
    fit_its,
    fit_trend,
)
from flashpoint.plots import (
    plot_alarms,
    plot_changepoints,
    plot_count_heatmap,
    plot_counts,
    plot_cumulative,
    plot_effect_overview,
    plot_event_study,
    plot_hawkes,
    plot_its,
    plot_placebo,
    plot_rt,
    plot_tally_fit,
    plot_trend,
)
from flashpoint.report._html import Section
from flashpoint.report._inputs import MIN_EVENTS, ReportData, ReportInputs
from flashpoint.schemas import COUNT, DATE, KIND

__all__ = [
    "alarm_section",
    "changepoint_section",
    "counts_section",
    "event_study_section",
    "hawkes_section",
    "its_section",
    "methods_section",
    "overview_section",
    "placebo_section",
    "rt_section",
    "sources_section",
    "tallies_section",
    "trend_section",
    "verdict_section",
]


def _columns(result: Any, *columns: str) -> pd.DataFrame:
    """Columns of a result's summary, after its group column."""
    return result.summary()[[result.by, *columns]]


def verdict_section(
    s: Section, inputs: ReportInputs, data: ReportData, state: dict[str, Any]
) -> None:
    """Assess each intervention: every reading side by side, in words and a figure."""
    noun = inputs.noun
    totals = data.window.groupby(inputs.by)[COUNT].sum()
    named = [g for g in totals.index if g in data.detail or len(totals) <= inputs.top]
    listed = "; ".join(
        f"{g}: {int(totals[g])} {noun}{'' if totals[g] == 1 else 's'}"
        + ("" if g in data.modelled else " (too few to model)")
        for g in named
    )
    others = len(totals) - len(named)
    if others:
        rest = int(totals.drop(index=named).sum())
        listed += f"; {others} other groups: {rest} {noun}s (see the overview)"
    s.paragraphs.append(f"Window {data.first.date()} to {data.last.date()}. {listed}.")
    if not inputs.interventions:
        s.paragraphs.append(
            "No intervention was given, so no effect is assessed (pass interventions= to "
            "build_report, or --event DATE on the command line)."
        )
        return
    if not len(data.counts):
        raise FlashpointValueError(
            f"no group has the {MIN_EVENTS} {noun}s a model needs in the window; widen the "
            "window or merge groups"
        )
    controls = [c for c in inputs.controls if c in data.modelled]
    left_out = [c for c in inputs.controls if c not in data.modelled]
    if left_out:
        s.notes.append(
            f"Control group(s) {', '.join(map(str, left_out))} have fewer than {MIN_EVENTS} "
            f"{noun}s in the window (or none) and are not used."
        )
    res = assess_event(
        data.counts,
        inputs.interventions,
        by=inputs.by,
        tallies=inputs.tallies,
        tally_start=data.first,
        sources=_window_sources(inputs, data),
        controls=inputs.control_series if inputs.control_series is not None else controls or None,
        noun=noun,
    )
    state["assessment"] = res
    s.intro = (
        "Each intervention's effect on the daily rate, read every reasonable way: the default "
        "model (negative binomial with a linear trend), other trends, robust (HAC) errors, "
        "placebo tests"
        + (", the official tallies" if inputs.tallies is not None else "")
        + (", other sources of the record" if inputs.sources else "")
        + (
            f", the control groups ({', '.join(map(str, controls))}) as predictors"
            + (" and as a synthetic control" if len(controls) >= 2 else "")
            if controls
            else ""
        )
        + (", the control series as predictors" if inputs.control_series is not None else "")
        + ". p-values are Holm-adjusted across groups and events. The evidence is strong "
        "only when the model, robust errors and the in-time placebo test all reject no "
        "change and every reading points the same way."
    )
    s.paragraphs.extend(res.verdicts["sentence"])
    for sp in res.events:
        s.figures.append(res.plot(event=sp.name))
    s.tables.append(
        (
            "Every reading (rate ratio after / before, 95% interval, p-values)",
            res.summary()[[inputs.by, *_READING_COLUMNS]],
        )
    )


_READING_COLUMNS = [
    "event",
    "reading",
    "rate_ratio",
    "rate_ratio_lower",
    "rate_ratio_upper",
    "p_value",
    "p_holm",
    "min_p_value",
    "note",
]


def _window_sources(inputs: ReportInputs, data: ReportData) -> dict[str, pd.DataFrame]:
    """Count each further source of the record over the model window and groups."""
    out = {}
    for name, rows in inputs.sources.items():
        rows = rows[rows[inputs.by].isin(data.modelled)]
        rows = rows[(rows[DATE] >= data.first) & (rows[DATE] <= data.last)]
        out[name] = count_daily(
            rows, by=inputs.by, start=data.first, end=data.last, groups=data.modelled
        )
    return out


def overview_section(
    s: Section, inputs: ReportInputs, data: ReportData, state: dict[str, Any]
) -> None:
    """Every group at a glance: counts over time, and each intervention's rate ratio."""
    by, noun = inputs.by, inputs.noun
    totals = data.window.groupby(by)[COUNT].sum().sort_values(ascending=False, kind="stable")
    weekly = (data.last - data.first).days > 180
    shown = resample(data.window, freq="W", by=by) if weekly else data.window
    period = "week" if weekly else "day"
    s.intro = (
        f"All {len(totals)} groups; the sections below show the {len(data.detail)} in detail "
        + ("you chose" if inputs.groups is not None else "with the most " + noun + "s")
        + f" ({', '.join(map(str, data.detail))}). Choose others with groups= "
        "(CLI: --groups) or more with top= (--top)."
    )
    s.figures.append(
        plot_count_heatmap(
            shown,
            by=by,
            order=list(totals.index),
            title=f"{noun.capitalize()}s per {period}, every group",
            unit=f"{noun}s per {period}",
        )
    )
    table = totals.rename(f"{noun}s").reset_index()
    table["modelled"] = table[by].isin(data.modelled)
    table["in_detail"] = table[by].isin(data.detail)
    s.tables.append((f"{noun.capitalize()}s per group in the window", table))
    if inputs.interventions and len(data.modelled) > 1:
        modelled = data.window[data.window[by].isin(data.modelled)]
        res = fit_its(modelled, inputs.interventions, by=by, band="parameter", n_sim=50)
        for sp in inputs.interventions:
            s.figures.append(plot_effect_overview(res, event=sp.name))
        s.tables.append(
            (
                "Rate ratio per group and intervention (default model only; the verdict "
                "reads the detailed groups every way)",
                _columns(res, "event", "rate_ratio", "rate_ratio_lower", "rate_ratio_upper")
                .assign(p_value=res.summary()["p_value"])
                .sort_values(["event", "rate_ratio"]),
            )
        )


def counts_section(
    s: Section, counts: pd.DataFrame, by: str, marks: pd.DataFrame, noun: str
) -> None:
    s.intro = (
        f"{noun.capitalize()}s per day and group (bars) with their 7-day trailing mean (line). "
        "Markers: the interventions and key events; shaded: periods such as a truce."
    )
    s.figures.append(
        plot_counts(rolling_mean(counts, window=7), by=by, events=marks, title="Events per day")
    )
    table = (
        counts.groupby(by)
        .agg(
            events=(COUNT, "sum"),
            days=(COUNT, "size"),
            mean_per_day=(COUNT, "mean"),
            max_per_day=(COUNT, "max"),
            days_with_events=(COUNT, lambda c: int((c > 0).sum())),
        )
        .reset_index()
    )
    s.tables.append(("Events per group", table))


def tallies_section(
    s: Section,
    events: pd.DataFrame,
    tallies: pd.DataFrame,
    counts: pd.DataFrame,
    by: str,
    marks: pd.DataFrame,
    first: pd.Timestamp,
    caveat: str,
) -> None:
    s.intro = (
        "Cumulative event rows (lines) against the officials' running totals (markers: circle "
        "exact, diamond approximate, triangle a lower bound). The coverage table below gives "
        "event rows / official tally at each tally. " + caveat
    ).strip()
    rec = reconcile_tallies(
        events, tallies, by=by, qualifier=("exact", "about", "at_least"), start=first
    )
    cum = cumulative(counts, start=first, total="total")
    last_tally = rec["end"].max()
    s.figures.append(
        plot_cumulative(
            cum[cum[DATE] <= last_tally + pd.Timedelta(days=7)], rec, by=by, events=marks
        )
    )
    exact = reconcile_tallies(events, tallies, by=by, start=first)
    shown = exact[exact["official_cumulative"].fillna(0) > 0][
        ["group", "end", "qualifier", "official_cumulative", "event_cumulative", "coverage"]
    ]
    s.tables.append(
        (
            "Coverage: event rows / official tally, at each official tally (exact or approximate)",
            shown,
        )
    )
    alt = exact[(exact["group"] == "total") & (exact["alternatives"] != "")][
        ["end", "official_cumulative", "alternatives"]
    ]
    if len(alt):
        s.tables.append(("Same-day tallies that disagree (the one used, and the others)", alt))
    flagged = exact[~exact["monotone"]]
    for _, r in flagged.iterrows():
        s.notes.append(
            f"The tally of {r['end'].date()} ({r['official_cumulative']}) is lower than "
            f"the one before it for group {r['group']}: the sources contradict each "
            "other; this interval is not used by the models."
        )


def trend_section(
    s: Section, counts: pd.DataFrame, marks: pd.DataFrame, state: dict[str, Any]
) -> None:
    res = fit_trend(counts)
    state["trend"] = res
    s.intro = (
        "Negative-binomial regression with a natural-spline trend per group: the expected "
        "events per day with a 95% band. Growth is the average change of the rate per week "
        "over the shaded span (the last 4 weeks of the window), with its 95% interval; the "
        "spline's slope on the last day alone is much less certain and is shown beside it."
    )
    s.figures.append(plot_trend(res, events=marks))
    s.tables.append(
        (
            "Average growth over the last 4 weeks (and on the last day alone)",
            _columns(
                res,
                "growth_start",
                "growth_end",
                "avg_percent_change",
                "avg_percent_change_lower",
                "avg_percent_change_upper",
                "last_day_percent_change",
                "doubling_time",
                "halving_time",
                "nb_alpha",
                "lr_p_value",
            ),
        )
    )


def its_section(s: Section, state: dict[str, Any], noun: str) -> None:
    res = state["assessment"].its  # the verdict's default reading, drawn in full
    s.intro = (
        "Interrupted time series, the verdict's default reading: a negative-binomial "
        "regression of the daily counts per group on a linear trend and one term per "
        f"intervention. Rate ratios above 1 mean more {noun}s per day than the trend "
        f"predicts. The lower panels show the cumulative excess {noun}s against the "
        "counterfactual without the events, with a 95% prediction interval (parameter "
        "uncertainty and count noise: what could have happened without the events)."
    )
    s.figures.append(plot_its(res))
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
    s.figures.append(plot_tally_fit(comparison.tally_fit))
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


def changepoint_section(
    s: Section,
    counts: pd.DataFrame,
    marks: pd.DataFrame,
    interventions: Sequence[EventSpec],
    state: dict[str, Any],
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
    s.figures.append(plot_changepoints(res, events=marks))
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
    s.figures.append(plot_hawkes(res))
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
) -> None:
    res = estimate_rt(counts, window=14)
    state["rt"] = res
    s.intro = (
        "Time-varying reproduction number (Cori et al. 2013, as in EpiEstim) over "
        "14-day windows, with a serial interval of mean 4 and sd 3 days (a convention "
        "for the delay between an attack and the attacks it provokes). R above 1 means "
        "the recent attacks are followed by more; it is a growth index, about 1 for any "
        "steady series. Windows with few events are flagged as unreliable."
    )
    s.figures.append(plot_rt(res, events=marks))
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
    s: Section, counts: pd.DataFrame, marks: pd.DataFrame, state: dict[str, Any]
) -> None:
    res = detect_alarms(counts, method="nb_cusum")
    state["alarms"] = res
    s.intro = (
        "Negative-binomial CUSUM (Hoehle & Paul 2008) against a rolling 28-day baseline "
        "(7-day guard): an alarm when the evidence for a doubling of the rate crosses "
        "a threshold set for an in-control false-alarm rate of 0.5% of days."
    )
    s.figures.append(plot_alarms(res, events=marks))
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
