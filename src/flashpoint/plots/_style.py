"""Words, colours and axes shared by every figure: units from a noun, one colour per group.

Nothing here computes a statistic: these helpers name what a figure counts (``noun``), give
each group the same colour in every figure (:func:`group_colors`) and write readable ticks
on log axes (:func:`log_axis`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from flashpoint.plots._theme import _THEME, add_bars

__all__ = [
    "DEFAULT_NOUN",
    "GroupColors",
    "add_observed",
    "apply_theme",
    "color_for",
    "group_colors",
    "log_axis",
    "log_ticks",
    "observed_bar_color",
    "per_period",
    "period_name",
]

DEFAULT_NOUN = "events"
"""What the counts count, in the plural, when a plot is not told (``noun=``)."""

GroupColors = Mapping[Hashable, str]
"""A group -> colour (``#rrggbb``) map, one for a whole page (see :func:`group_colors`)."""

_PERIODS = {"D": "day", "B": "business day", "W": "week", "MS": "month", "ME": "month",
            "M": "month", "QS": "quarter", "QE": "quarter", "YS": "year", "YE": "year"}  # fmt: skip


def period_name(freq: str) -> str:
    """Name of one period of a pandas frequency (``"W-SUN"`` -> ``"week"``)."""
    return _PERIODS.get(freq.split("-")[0], "period")


def per_period(noun: str, freq: str = "D") -> str:
    """Return the unit of a rate: ``"attacks per day"`` from ``noun="attacks"``, ``freq="D"``."""
    return f"{noun} per {period_name(freq)}"


def group_colors(groups: Iterable[Hashable]) -> dict[Hashable, str]:
    """Give each group a colour of the theme's group palette, in the order given.

    Pass the same map to every figure of a page (``colors=``) so that a group has one colour
    throughout; order the groups by volume so that the largest get the most distinct colours.
    The palette avoids the colours figures use for fitted, counterfactual and threshold lines.

    Examples
    --------
    >>> group_colors(["North", "South"])
    {'North': '#4C72B0', 'South': '#937860'}
    """
    palette: list[str] = _THEME["groups"]
    return {g: palette[i % len(palette)] for i, g in enumerate(dict.fromkeys(groups))}


def color_for(colors: GroupColors | None, group: Hashable, index: int) -> str:
    """Colour of ``group``: from ``colors`` when it names it, else the palette's ``index``-th."""
    if colors is not None and group in colors:
        return colors[group]
    palette: list[str] = _THEME["groups"]
    return palette[index % len(palette)]


def observed_bar_color(colors: GroupColors | None, group: Hashable, index: int) -> str:
    """Colour of a group's observed-count bars: its group colour, translucent."""
    if colors is None:
        return str(_THEME["colors"]["observed_bar"])
    color = color_for(colors, group, index).lstrip("#")
    r, g, b = (int(color[k : k + 2], 16) for k in (0, 2, 4))
    return f"rgba({r},{g},{b},0.55)"


def add_observed(
    fig: go.Figure,
    frame: pd.DataFrame,
    *,
    unit: str,
    suffix: str = "",
    color: str | None = None,
    row: int | None = None,
    showlegend: bool = True,
    column: str = "count",
    name: str = "observed",
) -> None:
    """Add a panel's observed counts as bars (``frame[column]`` by ``frame["date"]``)."""
    add_bars(
        fig,
        frame["date"],
        frame[column],
        name=f"{name}{suffix}",
        color=color or _THEME["colors"]["observed_bar"],
        value_label=unit,
        row=row,
        legendgroup=name,
        showlegend=showlegend,
    )


def apply_theme(
    fig: go.Figure, *, height: int | None = None, margin: Mapping[str, int] | None = None
) -> go.Figure:
    """Apply the theme's template, font, width, height and margins to a figure built by hand."""
    fig.update_layout(
        template=_THEME["template"],
        font=_THEME["font"],
        width=_THEME["width"],
        height=height or _THEME["height"],
        margin={**_THEME["margin"], **(margin or {})},
    )
    return fig


def log_ticks(values: Iterable[float]) -> list[float]:
    """Ticks at 1, 2 and 5 times a power of ten spanning the positive finite ``values``.

    Fewer when the span covers many decades (1 and 3, then powers of ten only), so that an
    axis never shows plotly's crowded minor digits ("2 3 4 5 6 7 8 9").
    """
    arr = np.asarray(list(values), dtype=float)
    arr = arr[np.isfinite(arr) & (arr > 0)]
    if not arr.size:
        return [0.1, 1.0, 10.0]
    lo, hi = math.floor(math.log10(arr.min())), math.ceil(math.log10(arr.max()))
    decades = hi - lo
    steps = (1, 2, 5) if decades <= 3 else (1, 3) if decades <= 6 else (1,)
    ticks = [float(f"{m * 10.0**e:.12g}") for e in range(lo, hi + 1) for m in steps]
    inside = [t for t in ticks if arr.min() / 1.5 <= t <= arr.max() * 1.5]
    return inside if len(inside) >= 2 else ticks


def _tick_text(value: float) -> str:
    return f"{value:g}" if 1e-4 <= value < 1e6 else f"{value:.0e}"


def log_axis(fig: go.Figure, values: Iterable[float], *, axis: str = "y", **where: Any) -> None:
    """Make an axis logarithmic with labelled 1-2-5 ticks spanning ``values``.

    ``where`` selects the axis as in ``fig.update_yaxes`` (``row=``, ``col=``).
    """
    ticks = log_ticks(values)
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    update(type="log", tickvals=ticks, ticktext=[_tick_text(t) for t in ticks], **where)
