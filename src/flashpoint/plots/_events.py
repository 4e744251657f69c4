"""Event markers on figures: a line or shaded period per event and labels that do not collide.

The main events (the interventions a report assesses) are drawn distinctly: a solid dark
line and a bold label, against the dotted red lines of other key events.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from flashpoint.plots._theme import _THEME, text

__all__ = ["add_events", "normalize_events"]

_LABEL_ROWS = 3
"""Rows of labels above the panels; a label that fits in none is left to the hover text."""
_LABEL_CHARS = 22
"""Longer labels are abbreviated on the figure (in full in the hover text)."""
_CHAR_PX = 6.2
"""Width of one character of a label (10 px font), in pixels."""


def normalize_events(events: Any) -> pd.DataFrame:
    """Events to mark, as a frame with ``date``, ``end`` (may be NaT), ``label`` and ``main``.

    Accepts ``None``, a key-events frame (``date``, optional ``end``, ``label`` and ``main``, a
    boolean marking the main events), a sequence of objects with ``date``/``end``/``label``
    attributes (such as ``EventSpec``: main events), or a sequence of dates.
    """
    columns = ["date", "end", "label", "main"]
    if events is None:
        return pd.DataFrame(columns=columns)
    if isinstance(events, pd.DataFrame):
        dates = pd.to_datetime(events["date"])
        out = pd.DataFrame(
            {
                "date": dates,
                "end": pd.to_datetime(events["end"]) if "end" in events else pd.NaT,
                "label": events["label"].astype(str)
                if "label" in events
                else dates.dt.strftime("%Y-%m-%d"),
                "main": events["main"].fillna(False).astype(bool) if "main" in events else False,
            }
        )
        return out.reset_index(drop=True)
    return pd.DataFrame([_event_row(ev) for ev in events], columns=columns)


def _event_row(ev: Any) -> dict[str, Any]:
    """One event as a row: a date (not main) or an object with ``date`` (main)."""
    if isinstance(ev, str | _dt.date | np.datetime64) or not hasattr(ev, "date"):
        date = pd.Timestamp(ev)  # includes pd.Timestamp
        return {"date": date, "end": pd.NaT, "label": str(date.date()), "main": False}
    date = pd.Timestamp(ev.date)
    end = getattr(ev, "end", None)
    return {
        "date": date,
        "end": pd.Timestamp(end) if end is not None else pd.NaT,
        "label": str(getattr(ev, "label", None) or date.date()),
        "main": True,
    }


def add_events(fig: go.Figure, events: Any, *, rows: int = 1) -> None:
    """Mark events: a line per date, a shaded band per period, labels on top.

    Main events get a solid dark line and a bold label; others a dotted red line. Labels are
    annotations under the first panel's top, abbreviated past ``_LABEL_CHARS`` characters
    and stacked in up to three rows (in pixels, so they keep their place when the figure is
    resized) so that none overlaps another; a label with no room is left out of the figure.
    Every label is in full in the hover text of the event's marker (trace ``events``).
    """
    ev = normalize_events(events)
    if ev.empty:
        return
    ev = ev.sort_values("date", kind="stable").reset_index(drop=True)
    panels = _panel_refs(fig, rows)
    marks = [shape for _, e in ev.iterrows() for shape in _marks(e, panels)]
    fig.update_layout(shapes=[*fig.layout.shapes, *marks])  # at once: add_vline is slow
    shown, levels = _place_labels(ev, _px_per_day(fig, ev))
    colors = [_THEME["main_event"] if m else _THEME["colors"]["event"] for m in ev["main"]]
    fig.add_trace(
        go.Scatter(
            x=list(ev["date"]),
            y=[0.985] * len(ev),
            mode="markers",
            marker={
                "symbol": "triangle-down",
                "size": [11 if m else 9 for m in ev["main"]],
                "color": colors,
            },
            name="events",
            customdata=np.column_stack([ev["label"].map(text).to_numpy()]),
            hovertemplate="%{customdata[0]}<br>%{x|%Y-%m-%d}<extra>event</extra>",
            showlegend=True,
        )
    )
    _pin_to_top(fig)
    top = fig.layout.yaxis.domain[1] if fig.layout.yaxis.domain else 1.0
    labels = [
        # in pixels under the panel's top: the same place whatever the figure's size
        {
            "x": date,
            "xref": "x",
            "y": top,
            "yref": "paper",
            "yanchor": "top",
            "yshift": -10 - 13 * level,
            "text": label,
            "showarrow": False,
            "font": {"size": 10, "color": color},
            "bgcolor": "rgba(255,255,255,0.6)",
        }
        for date, label, level, color in zip(ev["date"], shown, levels, colors, strict=True)
        if label
    ]
    fig.update_layout(annotations=[*fig.layout.annotations, *labels])


def _panel_refs(fig: go.Figure, rows: int) -> list[tuple[str, str]]:
    """Return the (x axis, y-axis domain) references of each panel of the first column."""
    if rows <= 1:
        return [("x", "y domain")]
    refs = []
    for row in range(1, rows + 1):
        panel = fig.get_subplot(row, 1)
        x = panel.xaxis.plotly_name.replace("axis", "")
        y = panel.yaxis.plotly_name.replace("axis", "")
        refs.append((x, f"{y} domain"))
    return refs


def _marks(e: pd.Series, panels: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Return an event's shaded period, or its line (solid, dark if main), in every panel."""
    if pd.notna(e["end"]) and e["end"] > e["date"]:
        shape: dict[str, Any] = {
            "type": "rect",
            "x0": e["date"],
            "x1": e["end"] + pd.Timedelta(days=1),
            "fillcolor": _THEME["colors"]["period"],
            "line": {"width": 1 if e["main"] else 0, "color": _THEME["main_event"]},
            "layer": "below",
        }
    else:
        line = (
            {"color": _THEME["main_event"], "width": 2}
            if e["main"]
            else {"color": _THEME["colors"]["event"], "width": 1, "dash": "dot"}
        )
        shape = {"type": "line", "x0": e["date"], "x1": e["date"], "line": line}
    return [{**shape, "xref": x, "yref": y, "y0": 0, "y1": 1} for x, y in panels]


def _px_per_day(fig: go.Figure, ev: pd.DataFrame) -> float:
    """Pixels per day on the x axis, from the span of the figure's dates and the events."""
    lows, highs = [ev["date"].min()], [ev["date"].max()]
    for trace in fig.data:
        span = _trace_dates(trace)
        if span is not None:
            lows.append(span[0])
            highs.append(span[1])
    days = max((max(highs) - min(lows)).days, 1)
    margin = _THEME["margin"]
    width = (fig.layout.width or _THEME["width"]) - margin["l"] - margin["r"]
    return 0.85 * float(width) / days  # a page narrower than the figure shrinks it


def _trace_dates(trace: Any) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last date of a trace on a date axis (``x`` or ``x0``/``dx``), else None."""
    try:
        if getattr(trace, "x0", None) is not None and getattr(trace, "dx", None):
            start = pd.Timestamp(trace.x0)
            n = len(trace.y) if trace.y is not None else 1
            return start, start + pd.Timedelta(milliseconds=float(trace.dx) * max(n - 1, 0))
        x = getattr(trace, "x", None)
        if x is None or not len(x):
            return None
        dates = pd.to_datetime(pd.Series(list(x)).dropna(), errors="coerce").dropna()
        if not len(dates) or dates.dt.year.min() < 1900:
            return None
        return dates.min(), dates.max()
    except (TypeError, ValueError, OverflowError):
        return None


def _place_labels(ev: pd.DataFrame, px_per_day: float) -> tuple[list[str], list[int]]:
    """Abbreviate each label and give it a row where it overlaps no other (main ones first).

    Returns the text shown (``""`` when no row has room) and each marker's row.
    """
    short = [
        lab if len(lab) <= _LABEL_CHARS else lab[: _LABEL_CHARS - 1] + "…" for lab in ev["label"]
    ]
    escaped = [text(lab) for lab in short]  # abbreviated first: an entity is never cut
    shown = [""] * len(ev)
    levels = [0] * len(ev)
    taken: list[list[tuple[float, float]]] = [[] for _ in range(_LABEL_ROWS)]
    day0 = ev["date"].min()
    order = sorted(range(len(ev)), key=lambda i: (not ev["main"].iloc[i], i))
    for i in order:
        centre = (ev["date"].iloc[i] - day0).days * px_per_day
        half = 0.5 * _CHAR_PX * len(short[i]) + 4
        span = (centre - half, centre + half)
        for level, used in enumerate(taken):
            if all(span[1] < a or span[0] > b for a, b in used):
                used.append(span)
                levels[i] = level
                shown[i] = f"<b>{escaped[i]}</b>" if ev["main"].iloc[i] else escaped[i]
                break
    return shown, levels


def _pin_to_top(fig: go.Figure) -> None:
    """Put the last trace (event markers) on an overlay axis spanning 0..1 at the top."""
    trace = fig.data[-1]
    trace.update(yaxis="y100")
    base = fig.layout.yaxis.domain if fig.layout.yaxis.domain else (0, 1)
    fig.update_layout(
        yaxis100={
            "overlaying": "y",
            "range": [0, 1],
            "visible": False,
            "fixedrange": True,
            "domain": list(base),
        }
    )
