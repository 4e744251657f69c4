"""Figures of the tally model: interval rates, fitted daily rates, and the source comparison."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go

from flashpoint.plots._events import add_events
from flashpoint.plots._style import DEFAULT_NOUN, GroupColors, color_for, log_axis, per_period
from flashpoint.plots._theme import (
    _THEME,
    add_fit,
    add_line,
    finish,
    new_figure,
    place,
    text,
)

if TYPE_CHECKING:
    from flashpoint.models.compare import SourceComparisonResult
    from flashpoint.models.tallies import TallyRatesResult

__all__ = ["plot_source_comparison", "plot_tally_fit"]


def plot_tally_fit(
    result: TallyRatesResult,
    *,
    events: Any = None,
    title: str | None = None,
    noun: str = DEFAULT_NOUN,
    colors: GroupColors | None = None,
) -> go.Figure:
    """Draw interval rates from the tallies and the fitted daily rate, per group.

    Each tally interval is a horizontal segment at its average rate (events per day over
    its days); the fitted daily rate is a line with its confidence band; the
    counterfactual (events removed) is dashed.

    Parameters
    ----------
    result
        From :func:`flashpoint.fit_tally_rates`.
    events
        Events to mark (default: the model's events).
    title
        Figure title.
    noun
        What the tallies count, in the plural.
    colors
        Group -> colour map for the tally segments.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import flashpoint as fp
    >>> res = fp.fit_tally_rates(fp.load_tallies(), fp.EventSpec(date="2023-11-22"))
    >>> fig = fp.plot_tally_fit(res)
    >>> fig.data[0].name
    'tally intervals (total)'
    """
    groups = list(result.groups)
    fig = new_figure(len(groups), row_titles=[str(g) for g in groups])
    theme = _THEME["colors"]
    unit = per_period(noun)
    for k, group in enumerate(groups, start=1):
        row = k if len(groups) > 1 else None
        iv = result.intervals[result.intervals["group"] == group]
        xs: list[Any] = []
        ys: list[Any] = []
        for _, r in iv.iterrows():
            xs += [r["start"], r["end"] + np.timedelta64(1, "D"), None]
            ys += [r["rate"], r["rate"], None]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=f"tally intervals ({text(group)})",
                line={"color": color_for(colors, group, k - 1), "width": 3},
                hovertemplate=f"%{{x|%Y-%m-%d}}<br>%{{y:.2f}} {unit} (interval mean)"
                "<extra></extra>",
            ),
            **place(row),
        )
        daily = result.daily[result.daily["group"] == group]
        per_day = f"%{{x|%Y-%m-%d}}<br>%{{y:.2f}} {unit}<extra></extra>"
        add_fit(
            fig,
            daily,
            "rate",
            name=f"fitted daily rate ({text(group)})",
            color=theme["fitted"],
            value_label=unit,
            hovertemplate=per_day,
            row=row,
        )
        add_line(
            fig,
            daily["date"],
            daily["counterfactual"],
            name=f"counterfactual ({text(group)})",
            color=theme["counterfactual"],
            dash="dash",
            hovertemplate=per_day,
            row=row,
        )
    add_events(fig, result.events if events is None else events, rows=len(groups))
    level = f"{1 - result.alpha:.0%}"
    return finish(
        fig,
        title=title or f"Rates of {noun} estimated from official cumulative tallies",
        subtitle=f"segments: {unit} between two tallies; line: {result.family} fit "
        f"with {level} band",
        y_title=unit,
        rows=len(groups),
    )


def plot_source_comparison(
    result: SourceComparisonResult, *, title: str | None = None
) -> go.Figure:
    """Draw a forest plot: each event's rate ratio by group and source, with intervals.

    Parameters
    ----------
    result
        From :func:`flashpoint.compare_sources`.
    title
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        One panel per event; one trace per source and event (named after the source). Groups are
        rows of each panel; the sources are drawn side by side within a row.
    """
    table = result.summary()
    events = list(dict.fromkeys(table["event"]))
    groups = list(dict.fromkeys(table["group"]))
    fig = new_figure(len(events), row_titles=events, shared_xaxes=False, gap=80)
    palette = [
        _THEME["colors"]["official"],
        _THEME["colors"]["fitted"],
        _THEME["colors"]["observed"],
    ]
    symbols = ["circle", "square", "diamond"]
    n_sources = len(result.sources)
    for k, event in enumerate(events, start=1):
        panel = place(k if len(events) > 1 else None)
        sub = table[table["event"] == event]
        for s, source in enumerate(result.sources):
            rows = sub[sub["source"] == source]
            # sources side by side within a group's row
            y = [groups.index(g) + 0.22 * (s - (n_sources - 1) / 2) for g in rows["group"]]
            lower = np.maximum(rows["rate_ratio_lower"].to_numpy(float), 1e-3)
            point = np.maximum(rows["rate_ratio"].to_numpy(float), 1e-3)
            upper = rows["rate_ratio_upper"].to_numpy(float)
            fig.add_trace(
                go.Scatter(
                    x=list(point),
                    y=y,
                    mode="markers",
                    name=source,
                    legendgroup=source,
                    showlegend=k == 1,
                    marker={"color": palette[s % 3], "size": 9, "symbol": symbols[s % 3]},
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": list(upper - point),
                        "arrayminus": list(point - lower),
                        "color": palette[s % 3],
                    },
                    customdata=np.column_stack(
                        [
                            rows["group"].astype(str),
                            rows["rate_ratio_lower"],
                            rows["rate_ratio_upper"],
                            rows["p_value"],
                        ]
                    ),
                    hovertemplate=f"{source}<br>%{{customdata[0]}}: rate ratio %{{x:.2f}} "
                    "(%{customdata[1]:.2f} to %{customdata[2]:.2f}), p = %{customdata[3]:.3f}"
                    "<extra></extra>",
                ),
                **panel,
            )
        fig.add_vline(x=1, line={"color": _THEME["colors"]["reference"], "dash": "dot"}, **panel)
        fig.update_yaxes(
            tickvals=list(range(len(groups))),
            ticktext=[str(g) for g in groups],
            range=[-0.6, len(groups) - 0.4],
            **panel,
        )
    bounds = table[["rate_ratio", "rate_ratio_lower", "rate_ratio_upper"]].to_numpy(float)
    log_axis(fig, np.maximum(bounds.ravel(), 1e-3), axis="x")
    level = f"{1 - result.alpha:.0%}"
    return finish(
        fig,
        title=title or "The same effects from three readings of the record",
        subtitle=f"rate ratio with {level} interval, {result.start.date()} to "
        f"{result.end.date()} (0 plotted at 0.001)",
        x_title="rate ratio (log scale)",
        y_title="group",
        rows=len(events),
    )
