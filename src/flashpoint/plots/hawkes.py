"""Figures of the self-exciting model, forecasts and backtests (draw only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from flashpoint.plots._events import add_events
from flashpoint.plots._style import DEFAULT_NOUN, per_period
from flashpoint.plots._theme import (
    _THEME,
    add_band,
    add_bars,
    add_line,
    finish,
    group_color,
    group_rows,
    group_titles,
    hover,
    new_figure,
    place,
    xy,
)

if TYPE_CHECKING:
    from flashpoint.models.forecast import BacktestResult, ForecastResult
    from flashpoint.models.hawkes import HawkesResult

__all__ = ["plot_backtest", "plot_forecast", "plot_hawkes"]


def _room_for_subtitle(fig: go.Figure) -> go.Figure:
    """Extra top margin so that the title, its subtitle and the legend do not overlap."""
    extra = 45
    margin = dict(_THEME["margin"])
    margin["t"] = margin["t"] + extra
    height = fig.layout.height
    plot_height = height - margin["t"] - margin["b"]
    fig.update_layout(
        margin=margin,
        title={"y": 1 - 28 / height, "yanchor": "top", "yref": "container"},
        legend={"y": 1.0 + 24 / plot_height, "yanchor": "bottom", "yref": "paper"},
    )
    return fig


def _exogenous_label(result: HawkesResult, group: Any) -> str:
    """Name of the exogenous part: "triggered by" only when every stream's size is significant.

    Otherwise the neutral "after <kind> events" (expected extra events after them, which
    the data do not distinguish from chance at the result's level).
    """
    eff = result.exogenous_effects()
    if result.by is not None:
        eff = eff[eff[result.by] == group]
    kinds = " / ".join(str(k) for k in eff["source"].unique())
    verb = "triggered by" if len(eff) and bool(eff["significant"].all()) else "after"
    return f"{verb} {kinds} events"


def _areas(
    result: HawkesResult, grp: Any, dec: Any, x: list[Any], noun: str
) -> list[tuple[Any, ...]]:
    """Return the stacked parts of one panel: (name, x, y, colour, legend group)."""
    colors = _THEME["colors"]
    areas: list[tuple[Any, ...]] = [
        ("background", x, dec["background"], colors["background"], "background")
    ]
    if result.multivariate:
        src = group_rows(result.self_excitation, result.by, grp)
        for j, source in enumerate(result.groups):
            part = src[src["source"] == source]
            name = f"after {source} {noun}"
            areas.append((name, part["date"], part["self_excited"], group_color(j + 6), name))
    else:
        areas.append(("self-excited", x, dec["self_excited"], colors["self"], "self"))
    if result.exogenous:
        name = _exogenous_label(result, grp)
        areas.append((name, x, dec["exogenous"], colors["exogenous"], name))
    return areas


def plot_hawkes(result: HawkesResult, *, events: Any = None, noun: str = DEFAULT_NOUN) -> go.Figure:
    """Stacked expected events per day: background, self-excited and exogenous parts.

    Parameters
    ----------
    result
        A fitted :class:`~flashpoint.models.hawkes.HawkesResult`.
    events
        Events to mark (key-events frame, ``EventSpec`` objects or dates), e.g. the US
        strikes used as exogenous events.
    noun
        What the counts count, in the plural (axis title, hover text, area names).

    Returns
    -------
    plotly.graph_objects.Figure
        One panel per group (small multiples): stacked areas ``background``,
        ``self-excited`` (for a multivariate model one area per source group, ``after
        <source> <noun>``) and, when the model has exogenous events, the expected extra
        events after them: ``triggered by <kind> events`` when every exogenous size of
        the group is significant at the result's level, ``after <kind> events``
        otherwise; and the observed counts as markers (``observed``). The subtitle says
        when excitation is not identified (``result.identifiable``).

    Examples
    --------
    >>> from flashpoint.models.hawkes import fit_hawkes, simulate_hawkes_counts
    >>> res = fit_hawkes(simulate_hawkes_counts(120, seed=2), ci_method="wald")
    >>> [t.name for t in plot_hawkes(res).data]
    ['background', 'self-excited', 'observed']
    """
    groups = list(result.groups)
    rows = len(groups)
    unit = per_period(noun)
    fig = new_figure(rows, row_titles=group_titles(groups) if rows > 1 else None)
    shown: set[str] = set()
    for i, grp in enumerate(groups, start=1):
        dec = group_rows(result.decomposition, result.by, grp)
        row = i if rows > 1 else None
        x = list(dec["date"])
        for name, xs, ys, color, legendgroup in _areas(result, grp, dec, x, noun):
            fig.add_trace(
                go.Scatter(
                    **xy(xs, ys),
                    name=name,
                    stackgroup=f"stack{i}",
                    mode="lines",
                    line={"width": 0.5, "color": color},
                    legendgroup=legendgroup,
                    showlegend=legendgroup not in shown,
                    hovertemplate=hover(unit),
                ),
                **place(row),
            )
            shown.add(legendgroup)
        fig.add_trace(
            go.Scatter(
                **xy(x, dec["count"]),
                name="observed",
                mode="markers",
                marker={"size": 5, "color": _THEME["colors"]["observed"]},
                legendgroup="observed",
                showlegend=i == 1,
                hovertemplate=hover(unit, fmt=".0f"),
            ),
            **place(row),
        )
    add_events(fig, events, rows=rows)
    caveat = "" if result.identifiable else "; excitation not identified (see notes)"
    sub = f"{result.family} model, {result.max_lag}-day kernel; expected {unit}, stacked{caveat}"
    finish(
        fig,
        title="Self-excitation: background, self-excited and exogenous parts",
        y_title=unit,
        rows=rows,
        subtitle=sub,
    )
    return _room_for_subtitle(fig)


def plot_forecast(
    result: ForecastResult,
    *,
    history: int | None = 90,
    events: Any = None,
    noun: str = DEFAULT_NOUN,
) -> go.Figure:
    """Observed history, forecast median, mean and prediction band, per group.

    Parameters
    ----------
    result
        A :class:`~flashpoint.models.forecast.ForecastResult`.
    history
        Last observed days to show (``None``: all).
    events
        Events to mark.
    noun
        What the counts count, in the plural.

    Returns
    -------
    plotly.graph_objects.Figure
        One panel per group: ``observed`` (bars), ``<level> prediction interval`` (band),
        ``forecast median`` and ``forecast mean`` (lines).

    Examples
    --------
    >>> from flashpoint.models.hawkes import simulate_hawkes_counts
    >>> from flashpoint.models.forecast import forecast
    >>> fc = forecast(simulate_hawkes_counts(100, seed=2), model="naive_mean", horizon=7)
    >>> [t.name for t in plot_forecast(fc).data]
    ['observed', '95% prediction interval (lower)', '95% prediction interval',
     'forecast median', 'forecast mean']
    """
    groups = list(result.groups)
    rows = len(groups)
    fig = new_figure(rows, row_titles=group_titles(groups) if rows > 1 else None)
    colors = _THEME["colors"]
    by = result.by
    unit = per_period(noun)
    band = f"{result.conf_level:.0%} prediction interval"
    for i, grp in enumerate(groups, start=1):
        hist = group_rows(result.history, by, grp).sort_values("date")
        if history is not None:
            hist = hist.tail(history)
        fc = group_rows(result.forecast, by, grp)
        row = i if rows > 1 else None
        first = i == 1
        add_bars(
            fig,
            hist["date"],
            hist["count"],
            name="observed",
            color=colors["observed_bar"],
            value_label=unit,
            row=row,
            legendgroup="observed",
            showlegend=first,
        )
        add_band(
            fig,
            fc["date"],
            fc["pi_lower"],
            fc["pi_upper"],
            name=band,
            color=colors["fitted"],
            row=row,
            showlegend=first,
            value_label=unit,
        )
        add_line(
            fig,
            fc["date"],
            fc["median"],
            name="forecast median",
            mode="lines+markers",
            color=colors["fitted"],
            value_label=unit,
            fmt=".0f",
            row=row,
            legendgroup="median",
            showlegend=first,
        )
        add_line(
            fig,
            fc["date"],
            fc["mean"],
            name="forecast mean",
            color=colors["fitted"],
            width=1.5,
            dash="dash",
            value_label=unit,
            row=row,
            legendgroup="mean",
            showlegend=first,
        )
    add_events(fig, events, rows=rows)
    subtitle = f"from {result.origin.date()}; {band}"
    if result.model == "auto":
        used = result.models_used()
        parts = []
        for grp in groups:
            u = group_rows(used, by, grp)
            mix = " + ".join(f"{w:g} {m}" for m, w in zip(u["model"], u["weight"], strict=True))
            parts.append(mix if by is None else f"{grp}: {mix}")
        subtitle += "; chosen by backtest: " + "; ".join(parts)
    finish(
        fig,
        title=f"Forecast of {noun}: {result.model} model, {result.horizon} days ahead",
        y_title=unit,
        rows=rows,
        subtitle=subtitle,
    )
    return _room_for_subtitle(fig)


def plot_backtest(result: BacktestResult, *, noun: str = DEFAULT_NOUN) -> go.Figure:
    """Mean score by days ahead, one line per model (lower is better).

    Parameters
    ----------
    result
        A :class:`~flashpoint.models.forecast.BacktestResult`.
    noun
        What the counts count, in the plural (the unit of the CRPS).

    Returns
    -------
    plotly.graph_objects.Figure
        One line per model, named after it.
    """
    col = "crps" if result.score == "crps" else "log_score"
    unit = noun if result.score == "crps" else "nats"
    fig = new_figure(1)
    for j, model in enumerate(result.models):
        s = result.scores[result.scores["model"] == model]
        m = s.groupby("horizon")[col].mean()
        fig.add_trace(
            go.Scatter(
                x=list(m.index),
                y=list(m.to_numpy()),
                name=model,
                mode="lines+markers",
                line={"color": group_color(j)},
                hovertemplate="%{fullData.name}<br>%{x} days ahead<br>%{y:.3f} "
                + unit
                + "<extra></extra>",
            )
        )
    label = "CRPS" if result.score == "crps" else "log score"
    return finish(
        fig,
        title=f"Backtest: mean {label} by days ahead ({len(result.origins)} origins)",
        x_title="days ahead",
        y_title=f"mean {label} ({unit})",
        subtitle=f"lower is better; baseline {result.baseline}",
    )
