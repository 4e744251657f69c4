"""Figures of the tests of an effect: placebo distribution, event study, every group's ratio."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from flashpoint.errors import FlashpointValueError
from flashpoint.plots._style import apply_theme, log_axis
from flashpoint.plots._theme import (
    _THEME,
    finish,
    group_rows,
    group_titles,
    new_figure,
    place,
    text,
)
from flashpoint.schemas import COUNT

if TYPE_CHECKING:
    from flashpoint.models.event_study import EventStudyResult
    from flashpoint.models.its import ITSResult
    from flashpoint.models.placebo import PlaceboResult

__all__ = ["plot_effect_overview", "plot_event_study", "plot_placebo"]


def _suffix(by: str | None, group: object) -> str:
    return "" if by is None else f" ({text(group)})"


def plot_placebo(result: PlaceboResult, *, title: str | None = None) -> go.Figure:
    """Draw the placebo distribution of the effect with the observed effect marked.

    One panel per group: the placebo statistics (z statistic or log rate ratio) as a
    histogram, a vertical line at the observed value, and the rank p-value with the
    smallest p-value the test can return in the panel title.

    Parameters
    ----------
    result
        From :func:`flashpoint.placebo_test`.
    title
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    summary = result.summary()
    groups = list(summary[result.by]) if result.by else [None]
    titles = []
    for _, row in summary.iterrows():
        name = f"{row[result.by]}: " if result.by else ""
        titles.append(
            f"{name}rank p-value {row['p_value']:.3f} ({int(row['n_placebo'])} placebos, "
            f"smallest attainable {row['min_p_value']:.3f})"
        )
    fig = new_figure(len(groups), row_titles=titles, shared_xaxes=False, gap=80)
    colors = _THEME["colors"]
    stat_label = "z statistic" if result.statistic == "z" else "log rate ratio"
    for k, group in enumerate(groups, start=1):
        frame = group_rows(result.placebos, result.by, group)
        observed = summary.iloc[k - 1]["observed"]
        panel = k if len(groups) > 1 else None
        kw = place(panel)
        fig.add_trace(
            go.Histogram(
                x=frame["statistic"].to_numpy(dtype=np.float32),
                name=f"placebo {stat_label}{_suffix(result.by, group)}",
                marker_color=colors["reference"],
                opacity=0.75,
                nbinsx=40,
                hovertemplate=f"{stat_label} %{{x}}<br>%{{y}} placebo dates<extra></extra>",
            ),
            **kw,
        )
        fig.add_vline(
            x=observed,
            line={"color": colors["event"], "width": 2},
            annotation_text=f"observed {observed:.2f}",
            **kw,
        )
    fig = finish(
        fig,
        title=title or f"Placebo test: {result.event}",
        subtitle=_placebo_design(result),
        x_title=stat_label,
        y_title="placebo dates",
        rows=len(groups),
    )
    return fig


def _placebo_design(result: PlaceboResult) -> str:
    if result.kind == "across_group":
        return "the event's statistic in every group"
    if result.window is None:
        return "event moved to every placebo date; every fit on the whole series"
    return (
        f"event moved to every placebo date; every fit on up to {result.window} periods "
        "before and from its date"
    )


def plot_event_study(result: EventStudyResult, *, title: str | None = None) -> go.Figure:
    """Draw rate ratios by window relative to the events, with intervals.

    Parameters
    ----------
    result
        From :func:`flashpoint.fit_event_study`.
    title
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    summary = result.summary()
    groups = list(pd.unique(summary[result.by])) if result.by else [None]
    fig = new_figure(
        len(groups), row_titles=group_titles(groups) if result.by else None, shared_xaxes=True
    )
    colors = _THEME["colors"]
    for k, group in enumerate(groups, start=1):
        frame = group_rows(summary, result.by, group)
        mid = (frame["start"] + frame["end"]) / 2
        row = k if len(groups) > 1 else None
        kw = place(row)
        pre = frame["end"] < 0
        fig.add_trace(
            go.Scatter(
                x=list(mid),
                y=list(frame["rate_ratio"]),
                mode="markers",
                name=f"rate ratio{_suffix(result.by, group)}",
                marker={
                    "color": np.where(pre, colors["reference"], colors["fitted"]).tolist(),
                    "size": 10,
                },
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": list(frame["rate_ratio_upper"] - frame["rate_ratio"]),
                    "arrayminus": list(frame["rate_ratio"] - frame["rate_ratio_lower"]),
                    "color": colors["fitted"],
                },
                customdata=np.column_stack(
                    [frame["window"], frame["rate_ratio_lower"], frame["rate_ratio_upper"]]
                ),
                hovertemplate="days %{customdata[0]}<br>rate ratio %{y:.2f} "
                "(%{customdata[1]:.2f} to %{customdata[2]:.2f})<extra></extra>",
            ),
            **kw,
        )
        fig.add_hline(y=1, line={"color": colors["reference"], "dash": "dot"}, **kw)
        fig.add_vline(x=0, line={"color": colors["event"], "dash": "dot"}, **kw)
    bounds = summary[["rate_ratio", "rate_ratio_lower", "rate_ratio_upper"]].to_numpy(float)
    log_axis(fig, bounds.ravel())
    level = f"{1 - result.alpha:.0%}"
    refs = sorted(set(result.reference_days.values()))
    ref = f"{refs[0]}" if len(refs) == 1 else f"{refs[0]} to {refs[-1]}"
    dates = "" if result.n_event_dates == result.n_events else f" on {result.n_event_dates} dates"
    return finish(
        fig,
        title=title or f"Event study: {result.n_events} events{dates}, {ref} reference days",
        subtitle=f"rate ratio against the days outside every window; bars: {level} intervals",
        x_title="days relative to the event",
        y_title="rate ratio (log scale)",
        rows=len(groups),
    )


def plot_effect_overview(
    result: ITSResult, *, event: str | None = None, title: str | None = None
) -> go.Figure:
    """Draw one event's rate ratio in every group against the group's volume (a funnel plot).

    Small groups scatter widely around 1 by chance; large groups far from 1 stand out. The
    figure keeps its size whatever the number of groups.

    Parameters
    ----------
    result
        From :func:`flashpoint.fit_its` with a group column.
    event
        Label of the event (default: the first).
    title
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        One trace ``"groups"``: x the events in the group's series, y the rate ratio (log
        axis) with its interval; rate ratios of 0 are drawn at the axis floor.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import flashpoint as fp
    >>> rng = np.random.default_rng(0)
    >>> dates = pd.date_range("2024-01-01", periods=90)
    >>> simulated = pd.DataFrame({"date": np.tile(dates, 4), "region": np.repeat(list("ABCD"), 90),
    ...                           "count": rng.poisson(3, 360)})
    >>> fig = fp.plot_effect_overview(fp.fit_its(simulated, "2024-02-15", by="region"))
    >>> len(fig.data[0].x)
    4
    """
    table = result.summary()
    event = event or result.events[0].name
    rows = table[table["event"] == event]
    if not len(rows) or result.by is None:
        raise FlashpointValueError(
            f"no grouped rate ratios for event {event!r}; the events are "
            f"{[e.name for e in result.events]} (an overview needs a group column)"
        )
    volume = result.fitted.groupby(result.by)[COUNT].sum()
    x = rows[result.by].map(volume).to_numpy(dtype=float)
    rr = rows["rate_ratio"].to_numpy(dtype=float)
    lower, upper = (
        rows["rate_ratio_lower"].to_numpy(float),
        rows["rate_ratio_upper"].to_numpy(float),
    )
    positive = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in (rr, lower, upper)])
    floor = float(positive.min() / 2) if positive.size else 1e-3
    shown = np.clip(np.nan_to_num(rr, nan=1.0), floor, None)
    fig = go.Figure(
        go.Scatter(
            x=x,
            y=shown,
            mode="markers",
            name="groups",
            text=[text(g) for g in rows[result.by]],
            marker={"size": 7, "color": _THEME["colors"]["observed"], "opacity": 0.75},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": np.nan_to_num(np.clip(upper, floor, shown.max() * 1e3) - shown),
                "arrayminus": np.nan_to_num(shown - np.clip(lower, floor, None)),
                "thickness": 1,
                "width": 0,
                "color": "rgba(76,114,176,0.35)",
            },
            customdata=np.column_stack([rr, lower, upper, rows["p_value"].to_numpy(float)]),
            hovertemplate="%{text}<br>%{x:.0f} events<br>rate ratio %{customdata[0]:.3g} "
            "(%{customdata[1]:.3g} to %{customdata[2]:.3g}), p = %{customdata[3]:.3g}"
            "<extra></extra>",
        )
    )
    fig.add_hline(y=1, line={"color": _THEME["colors"]["reference"], "dash": "dot"})
    apply_theme(fig, height=_THEME["height"] + 60)
    log_axis(fig, x, axis="x")
    log_axis(fig, np.concatenate([shown, np.clip(lower, floor, None), upper]))
    level = f"{result.conf_level:.0%}"
    return finish(
        fig,
        title=title or f"{event}: rate ratio in every group",
        subtitle=f"{len(rows)} groups; {result.family} ITS with a {result.trend} trend, "
        f"{level} intervals; the dotted line is no change",
        x_title="events in the group's series (log scale)",
        y_title="rate ratio after / before (log scale)",
    )
