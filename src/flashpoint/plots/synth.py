"""Figure of a synthetic control: treated vs synthetic, and the gap among the placebo gaps."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from flashpoint.errors import FlashpointValueError
from flashpoint.plots._events import add_events
from flashpoint.plots._theme import (
    _THEME,
    add_line,
    finish,
    new_figure,
    text,
)

if TYPE_CHECKING:
    from flashpoint.models.synth import SyntheticControlResult

__all__ = ["plot_synthetic_control"]


def plot_synthetic_control(
    result: SyntheticControlResult,
    *,
    treated: Hashable | None = None,
    event: str | None = None,
    kind: str = "event",
    cumulative: bool = False,
    show_poor_fit: bool = False,
    title: str | None = None,
) -> go.Figure:
    """Draw one synthetic-control analysis: the paths and the gap among placebo gaps.

    Top panel: the treated unit's observed rate and its synthetic control. Bottom panel:
    the gap (observed - synthetic, rate scale; or the cumulative gap in counts from the
    event on) of the treated unit, over the same gap of every in-space placebo in grey.

    Parameters
    ----------
    result
        From :func:`flashpoint.fit_synthetic_control`.
    treated, event, kind
        Which analysis to draw (default: the first row of ``result.summary()`` of this
        ``kind``: ``"event"`` or ``"in_time"``).
    cumulative
        Draw the cumulative gap in counts instead of the gap in rates (easier to read on
        noisy daily counts).
    show_poor_fit
        Also draw the placebos flagged ``poor_fit`` (hidden by default, as in Abadie,
        Diamond & Hainmueller 2010: their gaps dwarf the others and say little).
    title
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import flashpoint as fp
    >>> rng = np.random.default_rng(0)
    >>> dates = pd.date_range("2023-01-01", periods=60)
    >>> simulated = pd.DataFrame({"date": np.tile(dates, 4),
    ...                           "unit": np.repeat(["a", "b", "c", "d"], 60),
    ...                           "count": rng.poisson(5, 240)})
    >>> res = fp.fit_synthetic_control(simulated, treated="a", event="2023-02-15", alpha=0.5)
    >>> fig = fp.plot_synthetic_control(res)
    >>> [t.name for t in fig.data][:3]
    ['observed: a', 'synthetic a', 'placebo gaps']
    """
    row = _pick(result, treated, event, kind)
    key = (row["treated"], row["event"], row["kind"])
    paths = _rows(result.paths, key)
    units = _rows(result.placebos, key)
    hidden = set() if show_poor_fit else set(units.loc[units["poor_fit"], "unit"])
    own = paths[paths["role"] == "treated"]
    name = text(row["treated"])
    rate_label = f"events {result.rate_unit}"
    if cumulative:
        gap_column, gap_label, gap_title = "cumulative_gap", "events", "cumulative gap<br>(events)"
    else:
        gap_column, gap_label, gap_title = "gap", rate_label, f"gap<br>({rate_label})"
    fig = new_figure(
        2,
        row_titles=[
            f"{name}: observed and synthetic",
            "cumulative gap: observed - synthetic" if cumulative else "gap: observed - synthetic",
        ],
        row_heights=[0.55, 0.45],
    )
    _add_treated_paths(fig, own, name=name, rate_label=rate_label)
    placebo_paths = paths[(paths["role"] == "placebo") & ~paths["unit"].isin(hidden)]
    _add_gaps(fig, own, placebo_paths, name=name, column=gap_column, label=gap_label)
    fig.add_hline(y=0, line={"color": _THEME["colors"]["reference"], "width": 1}, row=2, col=1)
    marker = "in-time placebo" if row["kind"] == "in_time" else str(row["event"])
    add_events(fig, pd.DataFrame({"date": [row["date"]], "label": [marker]}), rows=2)
    shown = len(units) - 1 - len(hidden)
    subtitle = (
        f"{int(row['n_donors'])} donors; pre-period RMSPE {row['pre_rmspe']:.3g}, "
        f"post/pre ratio {row['rmspe_ratio']:.3g}; placebo p = {row['p_value']:.3g} "
        f"({int(row['n_placebos'])} placebos, {shown} drawn"
        + ("" if show_poor_fit or not hidden else f", {len(hidden)} poor fits hidden")
        + ")"
    )
    return finish(
        fig,
        title=title
        or (
            f"In-time placebo: {row['treated']}, {row['event']} moved to {row['date'].date()}"
            if row["kind"] == "in_time"
            else f"Synthetic control: {row['treated']} and {row['event']}"
        ),
        subtitle=subtitle,
        y_title=rate_label,
        rows=2,
        row_y_titles=[rate_label, gap_title],
    )


def _add_treated_paths(fig: go.Figure, own: pd.DataFrame, *, name: str, rate_label: str) -> None:
    """Add the top panel: the treated unit's observed rate and its synthetic control."""
    colors = _THEME["colors"]
    add_line(
        fig,
        own["date"],
        own["observed"],
        name=f"observed: {name}",
        color=colors["observed"],
        value_label=rate_label,
        row=1,
    )
    add_line(
        fig,
        own["date"],
        own["synthetic"],
        name=f"synthetic {name}",
        color=colors["counterfactual"],
        value_label=rate_label,
        dash="dash",
        row=1,
    )


def _add_gaps(
    fig: go.Figure,
    own: pd.DataFrame,
    placebos: pd.DataFrame,
    *,
    name: str,
    column: str,
    label: str,
) -> None:
    """Add the bottom panel: each placebo's gap in grey, then the treated unit's gap."""
    colors = _THEME["colors"]
    for k, (unit, frame) in enumerate(placebos.groupby("unit", sort=False)):
        add_line(
            fig,
            frame["date"],
            frame[column],
            name="placebo gaps",
            color=colors["reference"],
            width=1,
            value_label=label,
            hovertemplate=f"placebo {text(unit)}<br>%{{x|%Y-%m-%d}}<br>"
            f"%{{y:.2f}} {label}<extra></extra>",
            row=2,
            legendgroup="placebos",
            showlegend=k == 0,
        )
    add_line(
        fig,
        own["date"],
        own[column],
        name=f"gap: {name}",
        color=colors["event"],
        width=2.5,
        value_label=label,
        row=2,
    )


def _pick(
    result: SyntheticControlResult, treated: Hashable | None, event: str | None, kind: str
) -> pd.Series:
    table = result.summary()
    mask = table["kind"] == kind
    if treated is not None:
        mask &= table["treated"] == treated
    if event is not None:
        mask &= table["event"] == event
    if not mask.any():
        raise FlashpointValueError(
            f"no analysis with treated={treated!r}, event={event!r}, kind={kind!r}; the "
            f"result holds: {table[['treated', 'event', 'kind']].to_dict('records')}"
        )
    return table[mask].iloc[0]


def _rows(frame: pd.DataFrame, key: tuple[Hashable, str, str]) -> pd.DataFrame:
    treated, event, kind = key
    mask = (frame["treated"] == treated) & (frame["event"] == event) & (frame["kind"] == kind)
    return frame[mask]
