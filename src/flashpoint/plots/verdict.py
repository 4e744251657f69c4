"""The figure of an event assessment: every reading of one effect (a specification curve)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from flashpoint.errors import FlashpointValueError
from flashpoint.plots._style import log_axis
from flashpoint.plots._theme import _THEME, finish, text

if TYPE_CHECKING:
    from flashpoint.models.assess import AssessmentResult

__all__ = ["plot_assessment"]

_KIND_STYLE = {  # kind of reading: legend name, marker symbol, size, colour
    "model": ("default model", "circle", 12, "#222222"),
    "trend": ("other trend", "square", 9, "#4C72B0"),
    "errors": ("robust (HAC) errors", "diamond", 10, "#DD8452"),
    "source": ("other source", "triangle-up", 10, "#55A868"),
    "controls": ("control series", "star", 11, "#8172B3"),
    "placebo": ("placebo test (p-value only)", "x-thin-open", 9, "#C44E52"),
}


def _rows(result: AssessmentResult, event: str) -> pd.DataFrame:
    table = result.summary()
    table = table[table["event"] == event].copy()
    table["group_label"] = table[result.by].astype(str) if result.by else "all"
    return table.reset_index(drop=True)


def _floor(table: pd.DataFrame) -> float:
    """Where a rate ratio of 0 is drawn on the log axis: a decade below the smallest bound."""
    values = table[["rate_ratio", "rate_ratio_lower", "rate_ratio_upper"]].to_numpy(float)
    positive = values[np.isfinite(values) & (values > 0)]
    return float(10 ** np.floor(np.log10(positive.min())) / 10) if positive.size else 1e-3


def plot_assessment(
    result: AssessmentResult, *, event: str | None = None, title: str | None = None
) -> go.Figure:
    """Draw every reading of one event's effect: a forest plot with the p-values beside it.

    Parameters
    ----------
    result
        From :func:`flashpoint.assess_event`.
    event
        Label of the event to draw (default: the first assessed).
    title
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        Left: one row per group and reading, the rate ratio with its interval on a log axis
        (a dotted line at 1: no change). Right: each reading's Holm-adjusted p-value.
        Placebo tests give a p-value only; the default model's estimate is marked again on
        their row with an open cross. One trace per kind of reading.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import flashpoint as fp
    >>> rng = np.random.default_rng(2)
    >>> dates = pd.date_range("2024-01-01", periods=150)
    >>> simulated = pd.DataFrame({"date": dates, "count": rng.poisson(
    ...     np.where(dates >= "2024-03-15", 6.0, 3.0))})
    >>> res = fp.assess_event(simulated, fp.EventSpec(date="2024-03-15", label="strike"))
    >>> fig = fp.plot_assessment(res)
    >>> [t.name for t in fig.data][:2]
    ['default model', 'other trend']
    """
    event = event or result.events[0].name
    table = _rows(result, event)
    if not len(table):
        names = [sp.name for sp in result.events]
        raise FlashpointValueError(
            f"no readings for event {event!r}; the assessed events are {names}"
        )
    y = [table["group_label"].map(text).tolist(), table["reading"].map(text).tolist()]
    floor = _floor(table)
    fig = make_subplots(
        rows=1, cols=2, shared_yaxes=True, column_widths=[0.78, 0.22], horizontal_spacing=0.02
    )
    model_rr = table.groupby("group_label")["rate_ratio"].first()
    for kind, (name, symbol, size, color) in _KIND_STYLE.items():
        mask = (table["kind"] == kind).to_numpy()
        if not mask.any():
            continue
        placebo_at = model_rr if kind == "placebo" else None
        style = {"name": name, "symbol": symbol, "size": size, "color": color}
        _add_kind(fig, table, mask, y, style=style, floor=floor, placebo_at=placebo_at)
    _add_p_values(fig, table, y, alpha=result.alpha)
    fig.add_vline(x=1, line={"color": _THEME["colors"]["reference"], "dash": "dot"}, row=1, col=1)
    n = len(table)
    fig.update_layout(
        template=_THEME["template"],
        font=_THEME["font"],
        width=_THEME["width"],
        height=max(_THEME["height"], 170 + 26 * n),
        margin={**_THEME["margin"], "l": 260},
        hovermode="closest",
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0, "yref": "paper"},
    )
    level = f"{1 - result.alpha:.0%}"
    finish(
        fig,
        title=title or f"Every reading of the effect of {event}",
        subtitle=f"rate ratio after / before with {level} interval; 0 drawn at {floor:g}; "
        f"right: Holm-adjusted p-value, red at or below {result.alpha:g}",
        x_title="rate ratio (log scale)",
        y_title="",
    )
    bounds = table[["rate_ratio", "rate_ratio_lower", "rate_ratio_upper"]].to_numpy(float)
    log_axis(
        fig, np.maximum(np.nan_to_num(bounds.ravel(), nan=floor), floor), axis="x", row=1, col=1
    )
    fig.update_xaxes(
        range=[0, 1], showticklabels=False, showgrid=False, title_text="p (Holm)", row=1, col=2
    )
    fig.update_yaxes(autorange="reversed")
    return fig


def _add_kind(
    fig: go.Figure,
    table: pd.DataFrame,
    mask: np.ndarray,
    y: list[list[str]],
    *,
    style: dict[str, Any],
    floor: float,
    placebo_at: pd.Series | None,
) -> None:
    """Add the readings of one kind: point and interval (placebo: the model's point, no bar)."""
    rows = table[mask]
    ys = [[y[0][i] for i in np.flatnonzero(mask)], [y[1][i] for i in np.flatnonzero(mask)]]
    if placebo_at is not None:
        point = rows["group_label"].map(placebo_at).to_numpy(float)
        error = None
    else:
        point = rows["rate_ratio"].to_numpy(float)
        shown = np.maximum(np.nan_to_num(point, nan=floor), floor)
        lower = rows["rate_ratio_lower"].to_numpy(float)
        lower = np.where(np.isnan(lower), shown, np.maximum(np.nan_to_num(lower), floor))
        upper = rows["rate_ratio_upper"].to_numpy(float)
        upper = np.where(np.isnan(upper), shown, upper)  # no interval (a rank test): no bar
        upper = np.where(np.isfinite(upper), upper, np.nanmax(shown) * 100)
        error = {
            "type": "data",
            "symmetric": False,
            "array": list(np.maximum(upper - shown, 0)),
            "arrayminus": list(np.maximum(shown - lower, 0)),
        }
    custom = np.column_stack(
        [
            rows["rate_ratio"].to_numpy(float),
            rows["rate_ratio_lower"].to_numpy(float),
            rows["rate_ratio_upper"].to_numpy(float),
            rows["p_value"].to_numpy(float),
            rows["p_holm"].to_numpy(float),
        ]
    )
    hover = (
        "%{y}<br>rate ratio %{customdata[0]:.3g} (%{customdata[1]:.3g} to "
        "%{customdata[2]:.3g})<br>p = %{customdata[3]:.3g}, Holm %{customdata[4]:.3g}"
        "<extra></extra>"
    )
    if placebo_at is not None:
        hover = "%{y}<br>placebo p = %{customdata[3]:.3g}, Holm %{customdata[4]:.3g}<extra></extra>"
    fig.add_trace(
        go.Scatter(
            x=list(np.maximum(np.nan_to_num(point, nan=floor), floor)),
            y=ys,
            mode="markers",
            name=style["name"],
            marker={
                "symbol": style["symbol"],
                "size": style["size"],
                "color": style["color"],
            },
            error_x=error,
            customdata=custom,
            hovertemplate=hover,
        ),
        row=1,
        col=1,
    )


def _add_p_values(fig: go.Figure, table: pd.DataFrame, y: list[list[str]], *, alpha: float) -> None:
    """Write each reading's adjusted p-value in the right column (red at or below alpha)."""
    p = table["p_holm"].to_numpy(float)
    fig.add_trace(
        go.Scatter(
            x=[0.5] * len(p),
            y=y,
            mode="text",
            text=["n/a" if not np.isfinite(v) else f"{v:.2g}" for v in p],
            textfont={
                "size": 12,
                "color": ["#b22222" if v <= alpha else "#444444" for v in np.nan_to_num(p, nan=1)],
            },
            name="adjusted p-value",
            showlegend=False,
            hovertemplate="%{y}<br>Holm-adjusted p = %{text}<extra></extra>",
        ),
        row=1,
        col=2,
    )
