"""The verdict and the overview of every group: the page's opening sections."""

from __future__ import annotations

from typing import Any

import pandas as pd

from flashpoint.counts import count_daily, resample
from flashpoint.errors import FlashpointValueError
from flashpoint.models import assess_event, fit_its
from flashpoint.plots import plot_count_heatmap, plot_effect_overview
from flashpoint.report._html import Section
from flashpoint.report._inputs import MIN_EVENTS, ReportData, ReportInputs
from flashpoint.report._inputs import summary_columns as _columns
from flashpoint.schemas import COUNT, DATE

__all__ = ["overview_section", "verdict_section"]


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
