"""Figures of counts: daily bars per group, and event-derived totals against official tallies."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from flashpoint.counts import CUMULATIVE, ROLLING_MEAN, group_column
from flashpoint.errors import FlashpointValueError
from flashpoint.plots._events import add_events
from flashpoint.plots._style import DEFAULT_NOUN, GroupColors, apply_theme, color_for, per_period
from flashpoint.plots._theme import (
    _THEME,
    add_bars,
    add_line,
    finish,
    group_rows,
    group_titles,
    new_figure,
    place,
    text,
)
from flashpoint.schemas import COUNT, DATE, QUALIFIER

__all__ = ["plot_count_heatmap", "plot_counts", "plot_cumulative"]

_QUALIFIER_SYMBOLS = {"exact": "circle", "about": "diamond-open", "at_least": "triangle-up-open"}


def plot_counts(
    counts: pd.DataFrame,
    *,
    by: str | None = None,
    events: Any = None,
    title: str | None = None,
    unit: str | None = None,
    noun: str = DEFAULT_NOUN,
    colors: GroupColors | None = None,
) -> go.Figure:
    """Draw daily counts per group as bars, with a rolling mean when the table has one.

    Parameters
    ----------
    counts
        Tidy counts (from :func:`flashpoint.count_daily`), optionally with a
        ``rolling_mean`` column (from :func:`flashpoint.rolling_mean`), drawn as a line.
    by
        Group column; found by elimination when ``None``. One panel per group.
    events
        Events to mark: a key-events frame (``date``, optional ``end``, ``label``; periods
        such as the truce are shaded), a list of :class:`~flashpoint.EventSpec` or dates.
    title, unit
        Figure title and the y-axis unit (default: "<Noun> per day", "<noun> per day").
    noun
        What the counts count, in the plural.
    colors
        Group -> colour map (:func:`flashpoint.plots.group_colors`): pass one map to every
        figure of a page so that a group keeps its colour (default: palette order).

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``"<group>"`` (bars) and ``"<group>, rolling mean"`` (lines) per panel.

    Examples
    --------
    >>> import flashpoint as fp
    >>> counts = fp.rolling_mean(fp.count_daily(fp.load_attacks()), window=7)
    >>> fig = fp.plot_counts(counts, events=fp.load_key_events().query("kind == 'us_strike'"))
    >>> [t.name for t in fig.data][:2]
    ['Iraq', 'Iraq, rolling mean']
    """
    by = group_column(counts, by)
    unit = unit or per_period(noun)
    groups = list(pd.unique(counts[by])) if by is not None else [None]
    fig = new_figure(len(groups), row_titles=group_titles(groups) if by else None)
    for k, group in enumerate(groups, start=1):
        frame = group_rows(counts, by, group)
        name = "all groups" if group is None else text(group)
        row = k if len(groups) > 1 else None
        color = color_for(colors, group, k - 1)
        add_bars(
            fig,
            frame[DATE],
            frame[COUNT],
            name=name,
            color=color,
            value_label=unit,
            opacity=0.55,
            row=row,
        )
        if ROLLING_MEAN in frame.columns:
            add_line(
                fig,
                frame[DATE],
                frame[ROLLING_MEAN],
                name=f"{name}, rolling mean",
                color=color,
                value_label=unit,
                row=row,
            )
    fig.update_layout(bargap=0.1)
    add_events(fig, events, rows=len(groups))
    return finish(fig, title=title or unit.capitalize(), y_title=unit, rows=len(groups))


def plot_cumulative(
    cumulative_counts: pd.DataFrame,
    reconciliation: pd.DataFrame,
    *,
    by: str | None = None,
    events: Any = None,
    title: str = "Event rows against official cumulative tallies",
    noun: str = DEFAULT_NOUN,
    colors: GroupColors | None = None,
) -> go.Figure:
    """Draw event-derived running totals against the official tallies, per group.

    Parameters
    ----------
    cumulative_counts
        From :func:`flashpoint.cumulative` (``date``, group, ``cumulative``), e.g. with
        ``start="2023-10-17", total="total"`` to match the tallies.
    reconciliation
        From :func:`flashpoint.reconcile_tallies`: official cumulative counts per tally
        date and group (``group``, ``end``, ``official_cumulative``, ``qualifier``).
    by
        Group column of ``cumulative_counts``; found by elimination when ``None``.
    events
        Events to mark.
    title
        Figure title.
    noun
        What the counts count, in the plural.
    colors
        Group -> colour map for the lines of the event rows.

    Returns
    -------
    plotly.graph_objects.Figure
        Per group (panel): a line ``"event rows (<group>)"`` and markers
        ``"official tally (<group>)"`` whose symbol shows the qualifier (circle: exact,
        diamond: about, triangle: at least).
    """
    by = group_column(cumulative_counts.drop(columns=[CUMULATIVE]), by)
    if by is None:
        raise FlashpointValueError(
            "plot_cumulative needs grouped cumulative counts (e.g. fp.cumulative(counts, "
            "total='total'))"
        )
    tally_groups = set(reconciliation["group"])
    groups = [g for g in pd.unique(cumulative_counts[by]) if g in tally_groups]
    fig = new_figure(len(groups), row_titles=[str(g) for g in groups], shared_xaxes=True)
    official = _THEME["colors"]["official"]
    for k, group in enumerate(groups, start=1):
        frame = cumulative_counts[cumulative_counts[by] == group]
        tallies = reconciliation[
            (reconciliation["group"] == group) & reconciliation["official_cumulative"].notna()
        ]
        row = k if len(groups) > 1 else None
        add_line(
            fig,
            frame[DATE],
            frame[CUMULATIVE],
            name=f"event rows ({text(group)})",
            color=color_for(colors, group, k - 1),
            value_label=f"{noun} since the start",
            fmt=".0f",
            row=row,
        )
        symbols = [_QUALIFIER_SYMBOLS.get(q, "circle") for q in tallies[QUALIFIER]]
        fig.add_trace(
            go.Scatter(
                x=list(tallies["end"]),
                y=[float(v) for v in tallies["official_cumulative"]],
                mode="markers",
                name=f"official tally ({text(group)})",
                marker={"color": official, "size": 8, "symbol": symbols},
                customdata=np.column_stack([tallies[QUALIFIER].astype(str)]),
                hovertemplate="official tally<br>%{x|%Y-%m-%d}<br>%{y:.0f} "
                f"{noun} (%{{customdata[0]}})<extra></extra>",
            ),
            **place(row),
        )
    add_events(fig, events, rows=len(groups))
    return finish(
        fig,
        title=title,
        subtitle="markers: circle exact, diamond about, triangle at least (a lower bound)",
        y_title=f"{noun} since the start",
        rows=len(groups),
    )


def plot_count_heatmap(
    counts: pd.DataFrame,
    *,
    by: str | None = None,
    order: list[Any] | None = None,
    title: str = "Events per period, every group",
    unit: str = "events",
) -> go.Figure:
    """Draw a heat map of counts: one row per group, one column per period.

    The overview of many groups at once: its size does not grow with their number beyond one
    row of cells each, so it stays readable (and light) for hundreds of groups.

    Parameters
    ----------
    counts
        Tidy counts on a regular calendar (e.g. weekly totals from
        :func:`flashpoint.resample`), with a group column.
    by
        Group column; found by elimination when ``None``.
    order
        Groups from top to bottom (default: the table's order).
    title, unit
        Figure title and what a cell counts.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``Heatmap`` trace named ``"counts"``: ``z`` has a row per group.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import flashpoint as fp
    >>> rng = np.random.default_rng(0)
    >>> simulated = pd.DataFrame({"date": np.tile(pd.date_range("2024-01-01", periods=5), 3),
    ...                           "region": np.repeat(["A", "B", "C"], 5),
    ...                           "count": rng.poisson(2, 15)})
    >>> fig = fp.plot_count_heatmap(simulated, by="region")
    >>> fig.data[0].z.shape
    (3, 5)
    """
    by = group_column(counts, by)
    if by is None:
        raise FlashpointValueError("plot_count_heatmap needs a group column (pass by=)")
    wide = counts.pivot(index=by, columns=DATE, values=COUNT)
    if order is not None:
        wide = wide.loc[[g for g in order if g in wide.index]]
    dates = pd.DatetimeIndex(wide.columns)
    step = int(np.diff(dates.as_unit("ms").asi8)[0]) if len(dates) > 1 else 86_400_000
    fig = go.Figure(
        go.Heatmap(
            z=wide.to_numpy(dtype=np.float32),
            x0=dates[0].strftime("%Y-%m-%d"),
            dx=step,
            y=[text(g) for g in wide.index],
            name="counts",
            colorscale="Blues",
            colorbar={"title": {"text": unit}},
            hovertemplate=f"%{{y}}<br>%{{x|%Y-%m-%d}}<br>%{{z:.0f}} {unit}<extra></extra>",
        )
    )
    n = len(wide)
    apply_theme(fig, height=int(min(max(_THEME["height"], 160 + 14 * n), 1400)), margin={"l": 160})
    fig.update_xaxes(type="date")
    fig.update_yaxes(autorange="reversed", showticklabels=n <= 80)
    return finish(
        fig,
        title=title,
        subtitle=f"{n} groups, largest at the top",
        x_title="Date",
        y_title="" if n > 80 else "group",
    )
