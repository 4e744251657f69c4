"""Figure of a continuous-time Hawkes fit: intensity with event ticks, and the KS plot.

Draws only: the intensity curve, the residual quantiles and the KS band are computed by
:func:`flashpoint.models.hawkes_times.fit_hawkes_times` and stored on its result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from flashpoint.plots._theme import _THEME, add_band, finish, new_figure

if TYPE_CHECKING:
    from flashpoint.models.hawkes_times import HawkesTimesResult

__all__ = ["plot_hawkes_times"]


def plot_hawkes_times(result: HawkesTimesResult, *, title: str | None = None) -> go.Figure:
    """Plot a fitted exponential Hawkes model: intensity over time and the KS plot.

    Parameters
    ----------
    result
        A :class:`~flashpoint.models.hawkes_times.HawkesTimesResult`.
    title
        Figure title (default: the model with its branching ratio and KS p-value).

    Returns
    -------
    plotly.graph_objects.Figure
        Two panels. Top: the fitted conditional intensity (events per day) with the
        background rate and a tick per event. Bottom: KS plot of the time-rescaled
        intervals (empirical against model quantiles of ``1 - exp(-interval)``) with the
        diagonal and the KS band at the result's confidence level.

    See Also
    --------
    flashpoint.models.hawkes_times.fit_hawkes_times : the fit drawn here.

    Notes
    -----
    Points inside the band everywhere mean the KS test does not reject the model at level
    ``alpha`` (Brown et al. 2002, Neural Computation 14:325-346).

    Examples
    --------
    >>> from flashpoint.models.hawkes_times import fit_hawkes_times, simulate_hawkes_times
    >>> from flashpoint.plots.hawkes_times import plot_hawkes_times
    >>> simulated_times = simulate_hawkes_times(mu=0.5, branching=0.5, decay=2.0,
    ...                                         end=200.0, seed=3)
    >>> fig = plot_hawkes_times(fit_hawkes_times(simulated_times, start=0.0, end=200.0))
    >>> [trace.name for trace in fig.data]  # doctest: +NORMALIZE_WHITESPACE
    ['conditional intensity', 'background rate', 'events', 'KS band (lower)', 'KS band',
     'diagonal (model)', 'rescaled intervals']
    """
    level = f"{result.conf_level:.0%}"
    is_dates = result.intensity["time"].dtype.kind == "M"
    fig = new_figure(
        2,
        row_titles=[
            "Fitted conditional intensity",
            "Time-rescaling goodness of fit (KS plot)",
        ],
        shared_xaxes=False,
        gap=90,
    )
    # hover: the theme's hover() shows dates only; event times need the time of day
    time_fmt = "%{x|%Y-%m-%d %H:%M}" if is_dates else "day %{x:.3f}"
    _add_intensity(fig, result, time_fmt)
    _add_ks(fig, result, level)
    start = result.start.strftime("%Y-%m-%d") if isinstance(result.start, pd.Timestamp) else None
    subtitle = (
        f"{result.n_events} events"
        + (f" from {start}" if start else "")
        + f" | branching ratio {result.branching_ratio:.3g}, half-life "
        f"{result.half_life_days:.3g} days | KS D = {result.ks_statistic:.3f}, "
        f"p = {result.ks_pvalue:.3g} ({level} band)"
    )
    finish(
        fig,
        title=title or "Self-exciting (Hawkes) model of event times",
        subtitle=subtitle,
        x_title="Model quantile of the rescaled interval (uniform scale)",
        y_title="events per day",
        rows=2,
        row_y_titles=["Intensity (events per day)", "Empirical quantile"],
    )
    fig.update_xaxes(title_text="Time" if is_dates else "Time (days since start)", row=1, col=1)
    return _lay_out(fig)


def _add_intensity(fig: go.Figure, result: HawkesTimesResult, time_fmt: str) -> None:
    """Add the top panel: the fitted intensity, the background rate and a tick per event."""
    colors = _THEME["colors"]
    curve = result.intensity
    fig.add_trace(
        go.Scatter(
            x=curve["time"],
            y=curve["intensity"],
            mode="lines",
            name="conditional intensity",
            line={"color": colors["fitted"], "width": 1.5},
            hovertemplate=f"%{{fullData.name}}<br>{time_fmt}<br>%{{y:.3g}} events per day"
            "<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=curve["time"].iloc[[0, -1]],
            y=[result.mu, result.mu],
            mode="lines",
            name="background rate",
            line={"color": colors["background"], "width": 1.2, "dash": "dash"},
            hovertemplate="%{fullData.name}<br>%{y:.3g} events per day<extra></extra>",
        ),
        row=1,
        col=1,
    )
    events = result.residuals
    fig.add_trace(
        go.Scatter(
            x=events["time"],
            y=np.zeros(len(events)),
            mode="markers",
            name="events",
            marker={"symbol": "line-ns-open", "size": 10, "color": colors["observed"]},
            customdata=np.column_stack([events["event"], events["intensity"]]),
            hovertemplate=f"event %{{customdata[0]}}<br>{time_fmt}<br>intensity just "
            "before: %{customdata[1]:.3g} events per day<extra>events</extra>",
        ),
        row=1,
        col=1,
    )


def _add_ks(fig: go.Figure, result: HawkesTimesResult, level: str) -> None:
    """Add the bottom panel: the KS band, the diagonal and the rescaled intervals."""
    colors = _THEME["colors"]
    ks = result.ks_curve
    add_band(
        fig,
        ks["expected_uniform"],
        ks["band_lower"],
        ks["band_upper"],
        name="KS band",
        color=colors["reference"],
        row=2,
        value_label=f"({level} KS band)",
    )
    # add_band's hover shows dates; the KS axes are quantiles
    for trace in fig.data[-2:]:
        trace.hovertemplate = (
            "%{fullData.name}<br>model quantile %{x:.3f}<br>%{y:.3f}<extra></extra>"
        )
    fig.add_trace(
        go.Scatter(
            x=[0.0, 1.0],
            y=[0.0, 1.0],
            mode="lines",
            name="diagonal (model)",
            line={"color": colors["reference"], "width": 1, "dash": "dot"},
            hoverinfo="skip",
        ),
        row=2,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=ks["expected_uniform"],
            y=ks["observed_uniform"],
            mode="lines+markers" if len(ks) <= 2000 else "lines",
            name="rescaled intervals",
            line={"color": colors["observed"], "width": 1.5},
            marker={"size": 3},
            customdata=np.column_stack([ks["rank"], ks["observed_interval"]]),
            hovertemplate="rank %{customdata[0]}<br>model quantile %{x:.3f}<br>"
            "empirical quantile %{y:.3f}<br>interval %{customdata[1]:.3g}<extra></extra>",
        ),
        row=2,
        col=1,
    )


def _lay_out(fig: go.Figure) -> go.Figure:
    """Make room for the subtitle and a legend above the panel titles; fix the KS axes."""
    top = _THEME["margin"]["t"] + 70
    fig.update_layout(
        height=max(fig.layout.height or 0, 2 * _THEME["panel_height"] + 300),
        margin={**_THEME["margin"], "t": top},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.09, "x": 0, "yref": "paper"},
    )
    fig.update_layout(title={"y": 0.975, "yanchor": "top"})
    fig.update_xaxes(range=[0, 1], row=2, col=1)
    fig.update_yaxes(range=[0, 1], row=2, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    return fig
