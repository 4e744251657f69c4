"""Figures of escalation indices: the reproduction number R_t and alarm days.

Both functions draw a fitted result and compute nothing: every value plotted is a column of
the result's tidy frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from flashpoint.plots._events import add_events
from flashpoint.plots._style import DEFAULT_NOUN, GroupColors, observed_bar_color, per_period
from flashpoint.plots._theme import (
    _THEME,
    add_band,
    add_bars,
    add_line,
    finish,
    group_rows,
    group_titles,
    hover,
    new_figure,
    place,
)
from flashpoint.schemas import COUNT, DATE

if TYPE_CHECKING:
    from flashpoint.models.alarms import AlarmResult
    from flashpoint.models.rt import RtResult

__all__ = ["plot_alarms", "plot_rt"]


def _panels(frame: pd.DataFrame, by: str | None, groups: tuple[Any, ...]) -> list[pd.DataFrame]:
    """One frame per group, in the result's group order."""
    if by is None:
        return [frame]
    return [group_rows(frame, by, g) for g in groups]


def plot_rt(result: RtResult, *, events: Any = None, noun: str = DEFAULT_NOUN) -> go.Figure:
    """Draw the posterior mean of R_t with its credible band, one panel per group.

    Parameters
    ----------
    result
        From :func:`flashpoint.models.rt.estimate_rt`.
    events
        Events to mark: a key-events frame (``date``, optional ``end``, ``label``), a list
        of objects with ``date``/``label`` attributes, or a list of dates.
    noun
        What the counts count, in the plural (the y-axis title).

    Returns
    -------
    plotly.graph_objects.Figure
        Per group: a credible band (``"<level> credible interval"``), the posterior mean
        (``"R_t (posterior mean)"``), markers on estimates flagged unreliable
        (``"few events (posterior CV > ...)"``, only when there are any) and a dotted
        reference line at R = 1. The x axis is the last day of each window. When a panel
        has reliable estimates, its initial y range spans them (prior-dominated windows can
        reach far higher; zoom out to see them).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from flashpoint.models.rt import estimate_rt
    >>> from flashpoint.plots.surveillance import plot_rt
    >>> rng = np.random.default_rng(1)
    >>> simulated = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=30),
    ...                           "count": rng.poisson(4.0, size=30)})
    >>> fig = plot_rt(estimate_rt(simulated))
    >>> [t.name for t in fig.data][1:]
    ['95% credible interval', 'R_t (posterior mean)']
    """
    panels = _panels(result.estimates, result.by, result.groups)
    rows = len(panels)
    fig = new_figure(rows, row_titles=group_titles(result.groups) if rows > 1 else None)
    for i, panel in enumerate(panels, start=1):
        row = i if rows > 1 else None
        _add_rt_panel(fig, result, panel, row=row, first=i == 1)
        # prior-dominated windows (no recent events) have bands up to ~18 that would flatten
        # the informative part: the initial view spans the reliable estimates (zoom out for all)
        good = panel.loc[panel["reliable"], "rt_upper"]
        if len(good):
            fig.update_yaxes(range=[0.0, max(3.0, 1.1 * float(good.max()))], **place(row))
    add_events(fig, events, rows=rows)
    si = (
        f"serial interval mean {result.serial_interval_params[0]:g} d, "
        f"sd {result.serial_interval_params[1]:g} d"
        if result.serial_interval_params is not None
        else "user-supplied serial interval"
    )
    return finish(
        fig,
        title="Reproduction number R_t (Cori et al. 2013)",
        subtitle=(
            f"{result.window}-day windows ending on each date; {si}; dotted line: R = 1; "
            "open circles: too few events (prior-dominated)"
        ),
        y_title=f"R_t (new {noun} per recent one)",
        x_title="Date (end of window)",
        rows=rows,
    )


def _add_rt_panel(
    fig: go.Figure, result: RtResult, panel: pd.DataFrame, *, row: int | None, first: bool
) -> None:
    """Add one group's R_t: band, posterior mean, unreliable windows and the line R = 1."""
    colors = _THEME["colors"]
    add_band(
        fig,
        panel[DATE],
        panel["rt_lower"],
        panel["rt_upper"],
        name=f"{result.conf_level:.0%} credible interval",
        color=colors["observed"],
        row=row,
        legendgroup="band",
        showlegend=first,
        value_label="R",
    )
    add_line(
        fig,
        panel[DATE],
        panel["rt_mean"],
        name="R_t (posterior mean)",
        color=colors["observed"],
        customdata=panel["window_count"].to_numpy()[:, None],
        hovertemplate=hover(
            "R",
            extra=f"<br>%{{customdata[0]:.0f}} events in the {result.window} days to this date",
        ),
        row=row,
        legendgroup="mean",
        showlegend=first,
    )
    weak = panel.loc[~panel["reliable"]]
    name = f"few events (posterior CV > {result.cv_posterior:g})"
    if len(weak):
        marker = {"color": colors["reference"], "size": 5, "symbol": "circle-open"}
        _add_points(
            fig,
            weak,
            "rt_mean",
            name=name,
            marker=marker,
            row=row,
            hovertemplate=hover("R", extra="<br>few events: prior-dominated"),
        )
    fig.add_hline(
        y=1.0, line={"color": colors["reference"], "width": 1, "dash": "dot"}, **place(row)
    )


def _add_points(
    fig: go.Figure,
    points: pd.DataFrame,
    column: str,
    *,
    name: str,
    marker: dict[str, Any],
    row: int | None,
    hovertemplate: str,
    customdata: Any = None,
) -> None:
    """Mark some dates of a panel (legend entry once per figure)."""
    fig.add_trace(
        go.Scatter(
            x=list(points[DATE]),
            y=list(points[column]),
            mode="markers",
            marker=marker,
            name=name,
            legendgroup=name,
            showlegend=not any(t.name == name for t in fig.data),
            customdata=customdata,
            hovertemplate=hovertemplate,
        ),
        **place(row),
    )


def plot_alarms(
    result: AlarmResult,
    *,
    events: Any = None,
    noun: str = DEFAULT_NOUN,
    colors: GroupColors | None = None,
) -> go.Figure:
    """Draw daily counts, the baseline and the alarm threshold, with alarm days marked.

    Parameters
    ----------
    result
        From :func:`flashpoint.models.alarms.detect_alarms`.
    events
        Events to mark: a key-events frame (``date``, optional ``end``, ``label``), a list
        of objects with ``date``/``label`` attributes, or a list of dates.
    noun
        What the counts count, in the plural (axis title and hover text).
    colors
        Group -> colour map for the bars of the counts.

    Returns
    -------
    plotly.graph_objects.Figure
        Per group: bars of the counts (``"count"``), the baseline expectation
        (``"expected (baseline)"``), the alarm threshold (``"threshold"``) and markers on
        alarm days (``"alarm"``, only when there are any). Baseline and threshold are drawn
        on monitored days only.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from flashpoint.models.alarms import detect_alarms
    >>> from flashpoint.plots.surveillance import plot_alarms
    >>> rng = np.random.default_rng(2)
    >>> simulated = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=60),
    ...                           "count": rng.poisson(2.0, size=60)})
    >>> fig = plot_alarms(detect_alarms(simulated, method="farrington"))
    >>> [t.name for t in fig.data][:3]
    ['count', 'expected (baseline)', 'threshold']
    """
    panels = _panels(result.frame, result.by, result.groups)
    rows = len(panels)
    fig = new_figure(rows, row_titles=group_titles(result.groups) if rows > 1 else None)
    unit = noun if result.freq == "D" else f"{noun} per period"
    for i, (group, panel) in enumerate(zip(result.groups or (None,), panels, strict=False)):
        row = i + 1 if rows > 1 else None
        bars = observed_bar_color(colors, group, i)
        _add_alarm_panel(fig, panel, unit=unit, row=row, first=i == 0, bars=bars)
    add_events(fig, events, rows=rows)
    if result.method == "nb_cusum":
        design = (
            f"negative-binomial CUSUM for a {result.kappa:g}-fold rise, in-control ARL "
            f"{result.arl0:g} periods"
        )
    else:
        design = f"Farrington-type upper prediction limit, alpha = {result.alpha:g} per period"
    fig.update_layout(bargap=0.1)
    return finish(
        fig,
        title="Alarm days: counts above what the recent baseline predicts",
        subtitle=(
            f"{design}; baseline {result.baseline} periods ending {result.guard} before each day"
        ),
        y_title=per_period(noun, result.freq),
        rows=rows,
    )


def _add_alarm_panel(
    fig: go.Figure, panel: pd.DataFrame, *, unit: str, row: int | None, first: bool, bars: str
) -> None:
    """Add one group's counts, baseline and threshold (on monitored days) and alarm days."""
    colors = _THEME["colors"]
    add_bars(
        fig,
        panel[DATE],
        panel[COUNT],
        name="count",
        color=bars,
        value_label=unit,
        fmt="d",
        row=row,
        legendgroup="count",
        showlegend=first,
    )
    mon = panel.loc[panel["monitored"]]
    add_line(
        fig,
        mon[DATE],
        mon["expected"],
        name="expected (baseline)",
        color=colors["fitted"],
        value_label=unit,
        row=row,
        legendgroup="expected",
        showlegend=first,
    )
    add_line(
        fig,
        mon[DATE],
        mon["threshold"],
        name="threshold",
        color=colors["threshold"],
        width=1.5,
        dash="dash",
        shape="hv",
        hovertemplate=hover(unit, extra="<br>alarm if the count is above"),
        row=row,
        legendgroup="threshold",
        showlegend=first,
    )
    hits = panel.loc[panel["alarm"]]
    if len(hits):
        marker = {
            "color": colors["alarm"],
            "size": 11,
            "symbol": "diamond",
            "line": {"color": "white", "width": 1},
        }
        _add_points(
            fig,
            hits,
            COUNT,
            name="alarm",
            marker=marker,
            row=row,
            customdata=np.column_stack([hits["expected"].to_numpy()]),
            hovertemplate=hover(unit, fmt="d", extra="<br>expected %{customdata[0]:.2f}"),
        )
