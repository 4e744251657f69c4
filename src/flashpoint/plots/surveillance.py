"""Figures of escalation indices: the reproduction number R_t and alarm days.

Both functions draw a fitted result and compute nothing: every value plotted is a column of
the result's tidy frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from flashpoint.plots._theme import (
    _THEME,
    add_band,
    add_bars,
    add_events,
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


def plot_rt(result: RtResult, *, events: Any = None) -> go.Figure:
    """Draw the posterior mean of R_t with its credible band, one panel per group.

    Parameters
    ----------
    result
        From :func:`flashpoint.models.rt.estimate_rt`.
    events
        Events to mark: a key-events frame (``date``, optional ``end``, ``label``), a list
        of objects with ``date``/``label`` attributes, or a list of dates.

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
    frame = result.estimates
    panels = _panels(frame, result.by, result.groups)
    rows = len(panels)
    titles = group_titles(result.groups)
    fig = new_figure(rows, row_titles=titles if rows > 1 else None)
    level = f"{result.conf_level:.0%}"
    band_name = f"{level} credible interval"
    unreliable_name = f"few events (posterior CV > {result.cv_posterior:g})"
    colors = _THEME["colors"]
    for i, panel in enumerate(panels, start=1):
        first = i == 1
        row = i if rows > 1 else None
        add_band(
            fig,
            panel[DATE],
            panel["rt_lower"],
            panel["rt_upper"],
            name=band_name,
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
        if len(weak):
            fig.add_trace(
                go.Scatter(
                    x=list(weak[DATE]),
                    y=list(weak["rt_mean"]),
                    mode="markers",
                    marker={"color": colors["reference"], "size": 5, "symbol": "circle-open"},
                    name=unreliable_name,
                    legendgroup="weak",
                    showlegend=not any(t.name == unreliable_name for t in fig.data),
                    hovertemplate=hover("R", extra="<br>few events: prior-dominated"),
                ),
                **place(row),
            )
        fig.add_hline(
            y=1.0,
            line={"color": colors["reference"], "width": 1, "dash": "dot"},
            **place(row),
        )
        # prior-dominated windows (no recent events) have bands up to ~18 that would flatten
        # the informative part: the initial view spans the reliable estimates (zoom out for all)
        good = panel.loc[panel["reliable"], "rt_upper"]
        if len(good):
            top = max(3.0, 1.1 * float(good.max()))
            fig.update_yaxes(range=[0.0, top], **place(row))
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
        y_title="R_t (attacks per attack)",
        x_title="Date (end of window)",
        rows=rows,
    )


def plot_alarms(result: AlarmResult, *, events: Any = None) -> go.Figure:
    """Draw daily counts, the baseline and the alarm threshold, with alarm days marked.

    Parameters
    ----------
    result
        From :func:`flashpoint.models.alarms.detect_alarms`.
    events
        Events to mark: a key-events frame (``date``, optional ``end``, ``label``), a list
        of objects with ``date``/``label`` attributes, or a list of dates.

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
    frame = result.frame
    panels = _panels(frame, result.by, result.groups)
    rows = len(panels)
    titles = group_titles(result.groups)
    fig = new_figure(rows, row_titles=titles if rows > 1 else None)
    colors = _THEME["colors"]
    unit = "events" if result.freq == "D" else "events per period"
    for i, panel in enumerate(panels, start=1):
        first = i == 1
        row = i if rows > 1 else None
        add_bars(
            fig,
            panel[DATE],
            panel[COUNT],
            name="count",
            color=colors["observed_bar"],
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
            fig.add_trace(
                go.Scatter(
                    x=list(hits[DATE]),
                    y=list(hits[COUNT]),
                    mode="markers",
                    marker={
                        "color": colors["alarm"],
                        "size": 11,
                        "symbol": "diamond",
                        "line": {"color": "white", "width": 1},
                    },
                    name="alarm",
                    legendgroup="alarm",
                    showlegend=not any(t.name == "alarm" for t in fig.data),
                    customdata=np.column_stack([hits["expected"].to_numpy()]),
                    hovertemplate=hover(unit, fmt="d", extra="<br>expected %{customdata[0]:.2f}"),
                ),
                **place(row),
            )
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
        y_title=f"Attacks ({unit} per day)" if result.freq == "D" else f"Attacks ({unit})",
        rows=rows,
    )
