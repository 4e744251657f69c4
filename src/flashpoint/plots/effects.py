"""Figures of a rate over time and the effect of events on it: ITS and trend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from flashpoint.plots._events import add_events
from flashpoint.plots._style import (
    DEFAULT_NOUN,
    GroupColors,
    add_observed,
    observed_bar_color,
    per_period,
)
from flashpoint.plots._theme import (
    _THEME,
    add_band,
    add_fit,
    finish,
    group_rows,
    group_titles,
    new_figure,
    place,
    text,
)

if TYPE_CHECKING:
    from flashpoint.models.its import ITSResult
    from flashpoint.models.trend import TrendResult

__all__ = ["plot_its", "plot_trend"]


def _suffix(by: str | None, group: Any) -> str:
    return "" if by is None else f" ({text(group)})"


def plot_its(
    result: ITSResult,
    *,
    events: Any = None,
    title: str | None = None,
    noun: str = DEFAULT_NOUN,
    colors: GroupColors | None = None,
) -> go.Figure:
    """Draw an interrupted time series fit: paths per group and cumulative excess events.

    For each group, a panel with the observed counts, the fitted mean with the confidence
    band of the mean, and the counterfactual (events removed) with two bands: the
    confidence band of its mean (parameter uncertainty) and the wider prediction band of
    the counts (parameters and count noise: what could have happened); below it, a panel
    with the cumulative excess events (observed minus counterfactual) since the first
    event, with the band the fit chose (``result.band``). Each band's name says what it
    covers (legend group and hover).

    Parameters
    ----------
    result
        From :func:`flashpoint.fit_its`.
    events
        Events to mark (default: the model's events).
    title
        Figure title.
    noun
        What the counts count, in the plural (axis titles and hover text).
    colors
        Group -> colour map (from :func:`flashpoint.plots.group_colors`) for the bars of the
        observed counts; default: one colour for every group.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import flashpoint as fp
    >>> rng = np.random.default_rng(0)
    >>> simulated = pd.DataFrame({"date": pd.date_range("2023-01-01", periods=60),
    ...                           "count": rng.poisson(2, 60)})
    >>> fig = fp.plot_its(fp.fit_its(simulated, "2023-02-01", family="poisson"), noun="strikes")
    >>> [t.name for t in fig.data][:3]
    ['observed', 'fitted: 95% CI of the mean (lower)', 'fitted: 95% CI of the mean']
    >>> fig.layout.yaxis.title.text
    'strikes per day'
    """
    groups = result.groups
    by = result.by
    n_rows = 2 * len(groups)
    heights = [0.68, 0.32] * len(groups)
    fig = new_figure(n_rows, row_titles=_its_titles(groups, by), row_heights=heights)
    unit = per_period(noun, result.freq)
    bands = _its_bands(result)
    for k, group in enumerate(groups):
        frame = group_rows(result.fitted, by, group)
        sfx = _suffix(by, group)
        bars = observed_bar_color(colors, group, k)
        _add_its_paths(fig, frame, row=2 * k + 1, sfx=sfx, unit=unit, bands=bands, bars=bars)
        _add_its_excess(fig, frame, row=2 * k + 2, sfx=sfx, noun=noun, band=bands["excess"])
    add_events(fig, result.events if events is None else events, rows=n_rows)
    return finish(
        fig,
        title=title or "Interrupted time series: rate before and after the events",
        subtitle=f"{result.family} model, {result.trend} trend; excess band: {bands['excess']}",
        y_title=unit,
        rows=n_rows,
        row_y_titles=[unit, f"excess {noun}"] * len(groups),
    )


def _its_titles(groups: Sequence[Any], by: str | None) -> list[str]:
    """Two panel titles per group: the paths, then the cumulative excess."""
    titles: list[str] = []
    for g in group_titles(groups if by else [None]):
        label = "" if not by else f"{g}: "
        titles += [f"{label}observed, fitted and counterfactual", f"{label}cumulative excess"]
    return titles


def _its_bands(result: ITSResult) -> dict[str, str]:
    """Names of the bands: each says what it covers."""
    level = f"{1 - result.alpha:.0%}"
    prediction = f"{level} prediction interval (parameters + count noise)"
    excess = prediction if result.band == "predictive" else f"{level} CI (parameters only)"
    return {"mean": f"{level} CI of the mean", "prediction": prediction, "excess": excess}


def _add_its_paths(
    fig: go.Figure,
    frame: pd.DataFrame,
    *,
    row: int,
    sfx: str,
    unit: str,
    bands: dict[str, str],
    bars: str,
) -> None:
    """Observed counts, the fitted mean and the counterfactual with its two bands."""
    colors = _THEME["colors"]
    add_observed(fig, frame, unit=unit, suffix=sfx, color=bars, row=row)
    add_fit(
        fig,
        frame,
        "fitted",
        name=f"fitted: {bands['mean']}{sfx}",
        line_name=f"fitted{sfx}",
        color=colors["fitted"],
        value_label=unit,
        row=row,
        legendgroup="fitted",
        showlegend=True,
    )
    add_band(
        fig,
        list(frame["date"]),
        frame["counterfactual_pred_lower"],
        frame["counterfactual_pred_upper"],
        name=f"counterfactual: {bands['prediction']}{sfx}",
        color=colors["counterfactual"],
        row=row,
        legendgroup="counterfactual",
        showlegend=False,
        value_label=unit,
    )
    add_fit(
        fig,
        frame,
        "counterfactual",
        name=f"counterfactual: {bands['mean']}{sfx}",
        line_name=f"counterfactual (no events){sfx}",
        dash="dash",
        color=colors["counterfactual"],
        value_label=unit,
        row=row,
        legendgroup="counterfactual",
        showlegend=True,
    )


def _add_its_excess(
    fig: go.Figure, frame: pd.DataFrame, *, row: int, sfx: str, noun: str, band: str
) -> None:
    """Add the cumulative excess (observed - counterfactual) with its band and a line at 0."""
    colors = _THEME["colors"]
    add_fit(
        fig,
        frame,
        "cumulative_excess",
        name=f"cumulative excess: {band}{sfx}",
        line_name=f"cumulative excess{sfx}",
        color=colors["excess"],
        value_label=noun,
        row=row,
        legendgroup="excess",
        showlegend=True,
    )
    fig.add_hline(y=0, line={"color": colors["reference"], "width": 1}, row=row, col=1)


def plot_trend(
    result: TrendResult,
    *,
    events: Any = None,
    title: str | None = None,
    noun: str = DEFAULT_NOUN,
    colors: GroupColors | None = None,
) -> go.Figure:
    """Draw the fitted trend per group with its band over the observed counts.

    The window of the average growth (``growth_start`` to ``growth_end`` in the summary)
    is shaded, and the panel titles (the subtitle for one group) state that growth with
    its interval.

    Parameters
    ----------
    result
        From :func:`flashpoint.fit_trend`.
    events
        Events to mark.
    title
        Figure title.
    noun
        What the counts count, in the plural (axis titles and hover text).
    colors
        Group -> colour map for the bars of the observed counts.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    groups = result.groups
    by = result.by
    summary = result.summary()
    growth = [
        f"average {row['avg_percent_change']:+.0f}% per {result.time_unit} "
        f"({row['avg_percent_change_lower']:+.0f} to {row['avg_percent_change_upper']:+.0f}) "
        f"over {row['growth_start'].date()} to {row['growth_end'].date()}"
        for _, row in summary.iterrows()
    ]
    row_titles = [f"{g}: {t}" for g, t in zip(group_titles(groups), growth, strict=True)]
    fig = new_figure(len(groups), row_titles=row_titles if by else None)
    palette = _THEME["colors"]
    unit = per_period(noun, result.freq)
    for k, group in enumerate(groups, start=1):
        frame = group_rows(result.fitted, by, group)
        sfx = _suffix(by, group)
        row = k if len(groups) > 1 else None
        bars = observed_bar_color(colors, group, k - 1)
        add_observed(fig, frame, unit=unit, suffix=sfx, color=bars, row=row, showlegend=k == 1)
        add_fit(
            fig,
            frame,
            "fitted",
            name=f"trend{sfx}",
            color=palette["fitted"],
            value_label=unit,
            row=row,
            legendgroup=f"trend{sfx}",
        )
        window = summary.iloc[k - 1]  # after the traces: plotly skips empty panels
        fig.add_vrect(
            x0=window["growth_start"],
            x1=window["growth_end"],
            fillcolor=palette["reference"],
            opacity=0.12,
            line_width=0,
            layer="below",
            **place(k if len(groups) > 1 else None),
            **({"annotation_text": "average growth window"} if k == 1 else {}),
        )
    add_events(fig, events, rows=len(groups))
    level = f"{1 - result.alpha:.0%}"
    headline = "" if by else f"; {growth[0]}"
    return finish(
        fig,
        title=title or f"Trend of the rate of {noun}",
        subtitle=f"{result.family} model, {result.trend} trend{headline}; {level} intervals",
        y_title=unit,
        rows=len(groups),
    )
