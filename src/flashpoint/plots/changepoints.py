"""Figure of a change-point result: counts, segment rates and the change probability."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
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
    text,
)

if TYPE_CHECKING:
    from flashpoint.models.changepoints import ChangepointResult

__all__ = ["plot_changepoints"]

_PERIODS = {"D": "day", "B": "business day", "W": "week", "MS": "month", "ME": "month",
            "M": "month", "QS": "quarter", "QE": "quarter", "YS": "year", "YE": "year"}  # fmt: skip


def _period_name(freq: str) -> str:
    return _PERIODS.get(freq.split("-")[0], "period")


def plot_changepoints(
    result: ChangepointResult, *, events: Any = None, title: str | None = None
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
        Figure title (default: "Change points in the attack rate").

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
    unit = f"attacks per {_period_name(result.freq)}"
    names = group_titles(groups) if by is not None else [""]
    titles: list[str] = []
    for name in names:
        lead = f"{name}: " if by is not None else ""
        titles.append(f"{lead}counts and segment rates")
        if bayes:
            titles.append(f"{lead}posterior probability of a change")
    heights = ([0.68, 0.32] if bayes else [1.0]) * len(groups)
    fig = new_figure(
        n_rows,
        row_titles=titles if n_rows > 1 else None,
        row_heights=heights if n_rows > 1 else None,
    )
    colors = _THEME["colors"]
    level = f"{result.conf_level:.0%}"
    band_name = f"{level} credible interval" if bayes else f"{level} confidence interval"
    rate_what = "posterior mean" if bayes else "maximum likelihood"
    for k, group in enumerate(groups):
        frame = group_rows(result.daily, by, group)
        changes = group_rows(result.changes, by, group)
        sfx = "" if by is None else f" ({text(group)})"
        first = k == 0
        main = per_group * k + 1 if n_rows > 1 else None
        kw = place(main)
        x = list(frame["date"])
        add_bars(
            fig,
            x,
            frame["count"],
            name=f"observed{sfx}",
            color=colors["observed_bar"],
            value_label=unit,
            row=main,
            legendgroup="observed",
            showlegend=first,
        )
        add_band(
            fig,
            x,
            frame["rate_lower"],
            frame["rate_upper"],
            name=f"{band_name}{sfx}",
            color=colors["fitted"],
            row=main,
            legendgroup="band",
            showlegend=first,
            value_label=unit,
        )
        for trace in fig.data[-2:]:
            trace.line.shape = "hv"
        custom = np.column_stack(
            [frame["rate_lower"].to_numpy(), frame["rate_upper"].to_numpy(), frame["segment"]]
        )
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
                extra=f" ({rate_what}; {level}: %{{customdata[0]:.2f}} to "
                "%{customdata[1]:.2f})<br>segment %{customdata[2]:.0f}",
            ),
            row=main,
            legendgroup="rate",
            showlegend=first,
        )
        prob = changes["prob_change"].to_numpy(dtype=float)
        fig.add_trace(
            go.Scatter(
                x=list(changes["date"]),
                y=list(changes["rate_after"]),
                mode="markers",
                marker={"symbol": "diamond", "size": 10, "color": colors["exogenous"]},
                name=f"change point{sfx}",
                customdata=np.column_stack(
                    [changes["rate_before"].to_numpy(), changes["rate_after"].to_numpy(), prob]
                )
                if len(changes)
                else None,
                hovertemplate="%{fullData.name}<br>new segment from %{x|%Y-%m-%d}<br>rate "
                "%{customdata[0]:.2f} -> %{customdata[1]:.2f} "
                + unit
                + ("<br>P(change on this date) %{customdata[2]:.2f}" if bayes else "")
                + "<extra></extra>",
                legendgroup="change",
                showlegend=first,
            ),
            **kw,
        )
        if bayes:
            low = per_group * k + 2
            add_bars(
                fig,
                x,
                frame["prob_change"],
                name=f"posterior probability of a change{sfx}",
                color=colors["excess"],
                value_label="posterior probability of a change on this date",
                fmt=".2f",
                row=low,
                legendgroup="prob",
                showlegend=first,
            )
            fig.update_yaxes(range=[0, 1.02], row=low, col=1)
    add_events(fig, events, rows=n_rows)
    y_titles = ([unit, "posterior probability"] if bayes else [unit]) * len(groups)
    what = (
        f"Bayesian {result.family} model (prior mean rate: "
        f"{'the mean count' if result.prior_mean is None else f'{result.prior_mean:g}'}), "
        f"MAP segmentation; band: {level} credible interval of the segment rate"
        if bayes
        else f"PELT, {result.family} cost, penalty {result.penalty}; band: {level} exact "
        "confidence interval of the segment rate"
    )
    fig = finish(
        fig,
        title=title or "Change points in the attack rate",
        subtitle=what,
        y_title=unit,
        rows=n_rows,
        row_y_titles=y_titles,
    )
    _stack_title_legend(fig)
    return fig


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
        legend={"y": 1.0 + 26 / inner, "yanchor": "bottom"},
    )
