"""One theme and the drawing helpers every figure uses.

Nothing here computes: helpers place traces, bands, event markers and titles. Colours,
fonts and sizes live in :data:`_THEME` only; no global plotly default is changed.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = [
    "_THEME",
    "add_band",
    "add_bars",
    "add_fit",
    "add_line",
    "finish",
    "group_color",
    "group_rows",
    "group_titles",
    "hover",
    "new_figure",
    "place",
    "text",
    "xy",
]

_THEME: dict[str, Any] = {
    "template": "plotly_white",
    "font": {"family": "Helvetica, Arial, sans-serif", "size": 13, "color": "#222222"},
    "title_size": 17,
    "width": 960,
    "height": 460,
    "panel_height": 240,
    "margin": {"l": 70, "r": 30, "t": 90, "b": 150},
    "colors": {
        "observed": "#4C72B0",
        "observed_bar": "rgba(76,114,176,0.55)",
        "fitted": "#DD8452",
        "counterfactual": "#55A868",
        "excess": "#8172B3",
        "background": "#937860",
        "self": "#DA8BC3",
        "exogenous": "#C44E52",
        "threshold": "#C44E52",
        "alarm": "#C44E52",
        "official": "#222222",
        "event": "#C44E52",
        "period": "rgba(196,78,82,0.10)",
        "reference": "#7F7F7F",
    },
    "band_opacity": 0.22,
    # group colours: distinct from the fitted (orange), counterfactual (green) and alarm (red)
    "groups": [
        "#4C72B0",
        "#937860",
        "#8172B3",
        "#64B5CD",
        "#CCB974",
        "#DA8BC3",
        "#8C8C8C",
        "#2A9D8F",
        "#6A4C93",
        "#B07AA1",
    ],
    "main_event": "#222222",
    "max_event_labels": 8,
}


def text(value: object) -> str:
    """Escape a user-supplied string for plotly text (labels, titles, names).

    Plotly reads ``<b>``, ``<br>`` and a few other tags in figure text; escaping shows any
    label, ``<script>`` included, as the text it is.
    """
    return html.escape(str(value), quote=False)


def group_color(i: int) -> str:
    """Colour of the i-th group (cycles through the palette)."""
    palette: list[str] = _THEME["groups"]
    return palette[i % len(palette)]


def _rgba(color: str, opacity: float) -> str:
    color = color.lstrip("#")
    r, g, b = (int(color[k : k + 2], 16) for k in (0, 2, 4))
    return f"rgba({r},{g},{b},{opacity})"


def hover(value_label: str, *, fmt: str = ".2f", extra: str = "") -> str:
    """Build a hovertemplate showing the trace name, the date and the value with its unit."""
    return (
        "%{fullData.name}<br>%{x|%Y-%m-%d}<br>"
        + f"%{{y:{fmt}}} {value_label}"
        + extra
        + "<extra></extra>"
    )


def xy(x: Iterable[Any], y: Iterable[Any]) -> dict[str, Any]:
    """Trace coordinates in compact form: ``x0``/``dx`` for a regular calendar, typed ``y``.

    A daily series written as ISO strings costs 27 bytes a day and per trace; as a start
    and a step it costs nothing, and ``y`` as a float32 array is sent as a typed array
    (4 bytes a value). Irregular or non-date ``x`` is kept as it is.
    """
    xs = x if isinstance(x, pd.DatetimeIndex | pd.Series | np.ndarray) else list(x)
    values = np.asarray(list(y) if not isinstance(y, np.ndarray | pd.Series) else y)
    if values.dtype.kind in "iufb":
        values = values.astype(np.float32)  # 7 significant digits are plenty on a screen
    dates = pd.DatetimeIndex(xs) if _is_dates(xs) else None
    if dates is not None and len(dates) >= 3:
        steps = np.diff(dates.as_unit("ms").asi8)  # plotly's date axes count milliseconds
        if (steps == steps[0]).all() and steps[0] > 0:
            return {"x0": dates[0].strftime("%Y-%m-%d %H:%M:%S"), "dx": int(steps[0]), "y": values}
    return {"x": list(xs), "y": values}


def _compact(customdata: Any) -> Any:
    """Hover data as a float32 array when it is numeric (a typed array in the page)."""
    if customdata is None:
        return None
    values = np.asarray(customdata)
    return values.astype(np.float32) if values.dtype.kind in "iufb" else customdata


def _is_dates(x: Any) -> bool:
    if isinstance(x, pd.DatetimeIndex):
        return True
    if isinstance(x, pd.Series):
        return pd.api.types.is_datetime64_any_dtype(x.dtype)
    if isinstance(x, np.ndarray):
        return x.dtype.kind == "M"
    return bool(len(x)) and all(isinstance(v, pd.Timestamp) for v in x[:3])


def new_figure(
    rows: int = 1,
    *,
    row_titles: Sequence[str] | None = None,
    shared_xaxes: bool = True,
    row_heights: Sequence[float] | None = None,
    gap: float = 45.0,
) -> go.Figure:
    """Create an empty themed figure with ``rows`` stacked panels (small multiples).

    The figure grows with the number of panels (``panel_height`` pixels each) and the space
    between panels is ``gap`` pixels whatever their number, so any number of groups fits:
    plotly's fractional spacing is computed from the height, never fixed.
    """
    height = max(_THEME["height"], 90 + rows * _THEME["panel_height"])
    margin = _THEME["margin"]
    plot_height = height - margin["t"] - margin["b"]
    if rows == 1:
        fig = go.Figure()
    else:
        fig = make_subplots(
            rows=rows,
            cols=1,
            shared_xaxes=shared_xaxes,
            subplot_titles=[text(t) for t in row_titles] if row_titles else None,
            row_heights=list(row_heights) if row_heights else None,
            vertical_spacing=min(gap / plot_height, 0.5 / (rows - 1)),
        )
    fig.update_layout(
        template=_THEME["template"],
        font=_THEME["font"],
        width=_THEME["width"],
        height=height,
        margin=margin,
        hovermode="closest",
        # at the foot of the figure, under the x-axis title, whatever the figure's height
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.01, "x": 0},
    )
    return fig


def place(row: int | None) -> dict[str, int]:
    """Return the arguments that put a trace in panel ``row`` (none for a one-panel figure)."""
    return {"row": row, "col": 1} if row is not None else {}


def group_rows(frame: pd.DataFrame, by: str | None, group: Any) -> pd.DataFrame:
    """Return the rows of one group's panel (all rows when there is no group column)."""
    return frame if by is None else frame[frame[by] == group]


def add_bars(
    fig: go.Figure,
    x: Iterable[Any],
    y: Iterable[Any],
    *,
    name: str,
    color: str,
    value_label: str,
    fmt: str = ".0f",
    row: int | None = None,
    legendgroup: str | None = None,
    showlegend: bool | None = None,
    opacity: float | None = None,
) -> None:
    """Add bars (observed counts): hover shows the date and the value with its unit."""
    fig.add_trace(
        go.Bar(
            **xy(x, y),
            name=name,
            marker_color=color,
            opacity=opacity,
            hovertemplate=hover(value_label, fmt=fmt),
            legendgroup=legendgroup,
            showlegend=showlegend,
        ),
        **place(row),
    )


def add_line(
    fig: go.Figure,
    x: Iterable[Any],
    y: Iterable[Any],
    *,
    name: str,
    color: str,
    value_label: str = "",
    width: float = 2,
    dash: str | None = None,
    shape: str | None = None,
    mode: str = "lines",
    fmt: str = ".2f",
    hovertemplate: str | None = None,
    customdata: Any = None,
    row: int | None = None,
    legendgroup: str | None = None,
    showlegend: bool | None = None,
) -> None:
    """Add a line (a fitted or reference path); hover: :func:`hover` unless ``hovertemplate``."""
    line: dict[str, Any] = {"color": color, "width": width}
    if dash is not None:
        line["dash"] = dash
    if shape is not None:
        line["shape"] = shape
    fig.add_trace(
        go.Scatter(
            **xy(x, y),
            mode=mode,
            name=name,
            line=line,
            customdata=_compact(customdata),
            hovertemplate=hovertemplate or hover(value_label, fmt=fmt),
            legendgroup=legendgroup,
            showlegend=showlegend,
        ),
        **place(row),
    )


def add_fit(
    fig: go.Figure,
    frame: pd.DataFrame,
    column: str,
    *,
    name: str,
    color: str,
    value_label: str,
    row: int | None = None,
    legendgroup: str | None = None,
    showlegend: bool | None = None,
    line_name: str | None = None,
    dash: str | None = None,
    hovertemplate: str | None = None,
) -> None:
    """Add ``frame[column]`` by ``date`` as a line over its band ``<column>_lower/_upper``.

    The legend shows the line, not the band. The band is named ``name`` (its lower edge
    ``name (lower)``), the line ``line_name`` (default ``name``); both share ``legendgroup``
    (default: the band's is ``name``, the line has none).
    """
    x = list(frame["date"])
    add_band(
        fig,
        x,
        frame[f"{column}_lower"],
        frame[f"{column}_upper"],
        name=name,
        color=color,
        row=row,
        legendgroup=legendgroup,
        showlegend=False,
        value_label=value_label,
    )
    add_line(
        fig,
        x,
        frame[column],
        name=line_name or name,
        color=color,
        value_label=value_label,
        dash=dash,
        hovertemplate=hovertemplate,
        row=row,
        legendgroup=legendgroup,
        showlegend=showlegend,
    )


def add_band(
    fig: go.Figure,
    x: Iterable[Any],
    lower: Iterable[float],
    upper: Iterable[float],
    *,
    name: str,
    color: str,
    row: int | None = None,
    legendgroup: str | None = None,
    showlegend: bool = True,
    value_label: str = "",
) -> None:
    """Add a filled interval band (two traces: the lower edge, then the upper filled to it)."""
    x = list(x)
    kwargs = place(row)
    group = legendgroup or name
    fig.add_trace(
        go.Scatter(
            **xy(x, lower),
            mode="lines",
            line={"width": 0},
            name=f"{name} (lower)",
            legendgroup=group,
            showlegend=False,
            hovertemplate=hover(value_label),
        ),
        **kwargs,
    )
    fig.add_trace(
        go.Scatter(
            **xy(x, upper),
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=_rgba(color, _THEME["band_opacity"]) if color.startswith("#") else color,
            name=name,
            legendgroup=group,
            showlegend=showlegend,
            hovertemplate=hover(value_label),
        ),
        **kwargs,
    )


def finish(
    fig: go.Figure,
    *,
    title: str,
    x_title: str = "Date",
    y_title: str,
    rows: int = 1,
    row_y_titles: Sequence[str] | None = None,
    subtitle: str | None = None,
) -> go.Figure:
    """Set the title, axis titles (with units) and the theme's title font."""
    heading = text(title)
    if subtitle is not None:
        # a long subtitle in two lines: it must fit a figure narrowed to a 800 px page
        lines = textwrap.wrap(subtitle, 115, break_long_words=False) or [""]
        heading += "".join(f"<br><sup>{text(line)}</sup>" for line in lines[:2])
        if len(lines) > 2:
            heading += f"<sup> {text(' '.join(lines[2:]))}</sup>"
    fig.update_layout(title={"text": heading, "font": {"size": _THEME["title_size"]}, "x": 0.01})
    if rows == 1:
        fig.update_xaxes(title_text=x_title)
        fig.update_yaxes(title_text=y_title, selector={"overlaying": None})
    else:
        fig.update_xaxes(title_text=x_title, row=rows, col=1)
        titles = list(row_y_titles) if row_y_titles else [y_title] * rows
        for i, t in enumerate(titles, start=1):
            fig.update_yaxes(title_text=t, row=i, col=1)
    return fig


def group_titles(groups: Iterable[Hashable | None]) -> list[str]:
    """Panel titles for small multiples."""
    return ["all events" if g is None else str(g) for g in groups]  # escaped by new_figure
