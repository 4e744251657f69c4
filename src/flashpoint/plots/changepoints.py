"""Figure of a change-point result: counts, segment rates and the change probability."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
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
    add_bars,
    add_line,
    finish,
    group_rows,
    group_titles,
    hover,
    new_figure,
    place,
    text,
)

if TYPE_CHECKING:
    from flashpoint.models.changepoints import ChangepointResult

__all__ = ["plot_changepoints"]


def plot_changepoints(
    result: ChangepointResult,
    *,
    events: Any = None,
    title: str | None = None,
    noun: str = DEFAULT_NOUN,
    colors: GroupColors | None = None,
) -> go.Figure:
    """Draw change points: counts, segment rates with their band, change probability.

    One block per group (small multiples): the observed counts as bars, the rate of each
    segment of the point segmentation (MAP for bayes, PELT's otherwise) as a step line
    with its interval band, and a marker on every change point. For ``method="bayes"`` a
    second panel per group shows the posterior probability of a change on each date.

    Parameters
    ----------
    result
        From :func:`flashpoint.models.changepoints.detect_changepoints`.
    events
        Events to mark: a key-events frame (``date``, optional ``end`` and ``label``), a
        sequence of objects with ``date``/``label`` or a sequence of dates.
    title
        Figure title (default: "Change points in the rate of <noun>").
    noun
        What the counts count, in the plural (axis titles and hover text).
    colors
        Group -> colour map for the bars of the observed counts.

    Returns
    -------
    plotly.graph_objects.Figure
        Trace names: ``observed``, ``<level> credible interval`` (bayes) or
        ``<level> confidence interval`` (PELT), ``segment rate``, ``change point`` and, for
        bayes, ``posterior probability of a change``; suffixed with `` (<group>)`` when
        grouped; ``events`` when events are given.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from flashpoint.models.changepoints import detect_changepoints
    >>> from flashpoint.plots.changepoints import plot_changepoints
    >>> rng = np.random.default_rng(7)
    >>> simulated = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=60),
    ...                           "count": rng.poisson(np.r_[[1.0] * 30, [5.0] * 30])})
    >>> fig = plot_changepoints(detect_changepoints(simulated), events=["2024-01-31"])
    >>> [t.name for t in fig.data]  # doctest: +NORMALIZE_WHITESPACE
    ['observed', '95% credible interval (lower)', '95% credible interval', 'segment rate',
     'change point', 'posterior probability of a change', 'events']
    """
    by = result.by
    groups = list(result.groups)
    bayes = result.method == "bayes"
    per_group = 2 if bayes else 1
    n_rows = per_group * len(groups)
    unit = per_period(noun, result.freq)
    fig = new_figure(
        n_rows,
        row_titles=_panel_titles(groups, by, bayes) if n_rows > 1 else None,
        row_heights=([0.68, 0.32] if bayes else [1.0]) * len(groups) if n_rows > 1 else None,
    )
    for k, group in enumerate(groups):
        frame = group_rows(result.daily, by, group)
        sfx = "" if by is None else f" ({text(group)})"
        row = per_group * k + 1 if n_rows > 1 else None
        bars = observed_bar_color(colors, group, k)
        add_observed(fig, frame, unit=unit, suffix=sfx, color=bars, row=row, showlegend=k == 0)
        _add_segments(fig, result, frame, sfx=sfx, first=k == 0, row=row, unit=unit)
        changes = group_rows(result.changes, by, group)
        _add_change_points(fig, result, changes, sfx=sfx, first=k == 0, row=row, unit=unit)
        if bayes:
            _add_probability(fig, frame, row=per_group * k + 2, sfx=sfx, first=k == 0)
    add_events(fig, events, rows=n_rows)
    y_titles = ([unit, "P(change)"] if bayes else [unit]) * len(groups)
    fig = finish(
        fig,
        title=title or f"Change points in the rate of {noun}",
        subtitle=_design(result),
        y_title=unit,
        rows=n_rows,
        row_y_titles=y_titles,
    )
    _stack_title_legend(fig)
    return fig


def _panel_titles(groups: list[Any], by: str | None, bayes: bool) -> list[str]:
    """Return the panel titles: counts and segment rates, then (bayes) the change probability."""
    titles: list[str] = []
    for name in group_titles(groups) if by is not None else [""]:
        lead = f"{name}: " if by is not None else ""
        titles.append(f"{lead}counts and segment rates")
        if bayes:
            titles.append(f"{lead}posterior probability of a change")
    return titles


def _band_name(result: ChangepointResult) -> str:
    level = f"{result.conf_level:.0%}"
    return f"{level} {'credible' if result.method == 'bayes' else 'confidence'} interval"


def _add_segments(
    fig: go.Figure,
    result: ChangepointResult,
    frame: pd.DataFrame,
    *,
    sfx: str,
    first: bool,
    row: int | None,
    unit: str,
) -> None:
    """Each segment's rate as a step line over its interval band."""
    colors = _THEME["colors"]
    x = list(frame["date"])
    add_band(
        fig,
        x,
        frame["rate_lower"],
        frame["rate_upper"],
        name=f"{_band_name(result)}{sfx}",
        color=colors["fitted"],
        row=row,
        legendgroup="band",
        showlegend=first,
        value_label=unit,
    )
    for trace in fig.data[-2:]:
        trace.line.shape = "hv"
    custom = np.column_stack(
        [frame["rate_lower"].to_numpy(), frame["rate_upper"].to_numpy(), frame["segment"]]
    )
    rate_what = "posterior mean" if result.method == "bayes" else "maximum likelihood"
    add_line(
        fig,
        x,
        frame["rate"],
        name=f"segment rate{sfx}",
        color=colors["fitted"],
        shape="hv",
        customdata=custom,
        hovertemplate=hover(
            unit,
            extra=f" ({rate_what}; {result.conf_level:.0%}: %{{customdata[0]:.2f}} to "
            "%{customdata[1]:.2f})<br>segment %{customdata[2]:.0f}",
        ),
        row=row,
        legendgroup="rate",
        showlegend=first,
    )


def _add_change_points(
    fig: go.Figure,
    result: ChangepointResult,
    changes: pd.DataFrame,
    *,
    sfx: str,
    first: bool,
    row: int | None,
    unit: str,
) -> None:
    """Mark each change point at the new segment's rate."""
    bayes = result.method == "bayes"
    prob = changes["prob_change"].to_numpy(dtype=float)
    custom = np.column_stack(
        [changes["rate_before"].to_numpy(), changes["rate_after"].to_numpy(), prob]
    )
    fig.add_trace(
        go.Scatter(
            x=list(changes["date"]),
            y=list(changes["rate_after"]),
            mode="markers",
            marker={"symbol": "diamond", "size": 10, "color": _THEME["colors"]["exogenous"]},
            name=f"change point{sfx}",
            customdata=custom if len(changes) else None,
            hovertemplate="%{fullData.name}<br>new segment from %{x|%Y-%m-%d}<br>rate "
            "%{customdata[0]:.2f} -> %{customdata[1]:.2f} "
            + unit
            + ("<br>P(change on this date) %{customdata[2]:.2f}" if bayes else "")
            + "<extra></extra>",
            legendgroup="change",
            showlegend=first,
        ),
        **place(row),
    )


def _add_probability(
    fig: go.Figure, frame: pd.DataFrame, *, row: int, sfx: str, first: bool
) -> None:
    """Add the posterior probability of a change on each date as bars in the panel below."""
    add_bars(
        fig,
        list(frame["date"]),
        frame["prob_change"],
        name=f"posterior probability of a change{sfx}",
        color=_THEME["colors"]["excess"],
        value_label="posterior probability of a change on this date",
        fmt=".2f",
        row=row,
        legendgroup="prob",
        showlegend=first,
    )
    fig.update_yaxes(range=[0, 1.02], row=row, col=1)


def _design(result: ChangepointResult) -> str:
    """Return the subtitle: the model and what the band is."""
    level = f"{result.conf_level:.0%}"
    if result.method == "bayes":
        prior = "the mean count" if result.prior_mean is None else f"{result.prior_mean:g}"
        return (
            f"Bayesian {result.family} model (prior mean rate: {prior}), MAP segmentation; "
            f"band: {level} credible interval of the segment rate"
        )
    return (
        f"PELT, {result.family} cost, penalty {result.penalty}; band: {level} exact "
        "confidence interval of the segment rate"
    )


def _stack_title_legend(fig: go.Figure) -> None:
    """Title at the top, then the legend, then the panel titles: no overlaps."""
    margin = _THEME["margin"]
    names = [t.name for t in fig.data if t.showlegend is not False]
    font = _THEME["font"]["size"]
    text_px = sum(0.6 * font * len(str(nm)) + 40 for nm in names)
    lines = max(1, int(np.ceil(text_px / (_THEME["width"] - margin["l"] - margin["r"]))))
    top = 100 + 22 * lines
    height = fig.layout.height or _THEME["height"]
    inner = height - top - margin["b"]
    fig.update_layout(
        margin={**margin, "t": top},
        title={"y": 1 - 30 / height, "yanchor": "top"},
        legend={"y": 1.0 + 26 / inner, "yanchor": "bottom", "yref": "paper"},
    )
