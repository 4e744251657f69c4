"""The plain-text summary of a result: ``print(result)`` (like lifelines' ``print_summary``).

Four parts: the result type and its headline; the data it was fitted to (first and last
date, days, events, groups) where the result holds them; its settings and key fit facts
(the scalar fields of the dataclass, plus what the class adds in ``_facts()``); then the
``summary()`` table as text.
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.schemas import COUNT, DATE

__all__ = ["describe"]

_WIDTH = 100
_MAX_ROWS = 30
_SKIP = {"by", "groups", "alpha"}  # shown in the data and level lines


def _fmt(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    if isinstance(value, pd.Timestamp):
        return str(value.date()) if value == value.normalize() else str(value)
    if isinstance(value, tuple):
        return ", ".join(_fmt(v) for v in value) if value else "none"
    return str(value)


def _scalar(value: Any) -> bool:
    simple = (str, int, float, bool, np.integer, np.floating, np.bool_, pd.Timestamp)
    if isinstance(value, simple):
        return True
    return (
        isinstance(value, tuple) and len(value) <= 6 and all(isinstance(v, simple) for v in value)
    )


def _data_frame(result: Any) -> pd.DataFrame | None:
    """Return the first table of observed counts (``date``, ``count``) the result holds."""
    for f in dataclasses.fields(result):
        value = getattr(result, f.name, None)
        if isinstance(value, pd.DataFrame) and {DATE, COUNT} <= set(value.columns):
            return value
    return None


def data_lines(result: Any) -> list[tuple[str, str]]:
    """Return the ``data`` (span, days, events) and ``groups`` lines, where known."""
    lines: list[tuple[str, str]] = []
    frame = _data_frame(result)
    if frame is not None and len(frame):
        dates = pd.DatetimeIndex(frame[DATE])
        events = pd.to_numeric(frame[COUNT], errors="coerce").sum()
        lines.append(
            (
                "data",
                f"{dates.min().date()} to {dates.max().date()} ({dates.nunique()} periods, "
                f"{_fmt(float(events)) if events % 1 else int(events)} events)",
            )
        )
    else:
        start, end = getattr(result, "start", None), getattr(result, "end", None)
        if start is not None and end is not None:
            lines.append(("data", f"{_fmt(start)} to {_fmt(end)}"))
    groups: Iterable[Hashable] | None = getattr(result, "groups", None)
    if groups:
        by = getattr(result, "by", None)
        names = [str(g) for g in groups if g is not None]
        if names:
            label = "groups" if by is None else f"groups ({by})"
            lines.append((label, ", ".join(names)))
    return lines


def fact_lines(result: Any) -> list[tuple[str, str]]:
    """Return the settings and fit facts: scalar fields, level, the class's ``_facts()``."""
    lines = [
        (f.name, _fmt(getattr(result, f.name)))
        for f in dataclasses.fields(result)
        if f.name not in _SKIP
        and not f.name.startswith("_")
        and getattr(result, f.name) is not None
        and _scalar(getattr(result, f.name))
    ]
    level = getattr(result, "conf_level", float("nan"))
    if level == level:
        lines.append(("conf_level", f"{level:.0%}"))
    lines.extend(result._facts())
    return lines


def _block(pairs: list[tuple[str, str]]) -> list[str]:
    """Align ``name  value`` lines; wrap long values under their first line."""
    if not pairs:
        return []
    width = max(len(k) for k, _ in pairs) + 2
    lines = []
    for key, value in pairs:
        wrapped = textwrap.wrap(value, _WIDTH - width) or [""]
        lines.append(f"{key:<{width}}{wrapped[0]}")
        lines.extend(" " * width + more for more in wrapped[1:])
    return lines


def _table_text(table: pd.DataFrame) -> str:
    """Format the summary table: wide tables in column blocks, long ones cut in the middle."""
    if table.empty:
        return f"(no rows; columns: {', '.join(map(str, table.columns))})"
    text = table.to_string(
        index=False,
        float_format=lambda v: f"{v:.4g}",
        na_rep="",
        line_width=_WIDTH,
        max_rows=_MAX_ROWS,
        min_rows=_MAX_ROWS // 2,
    )
    if len(table) > _MAX_ROWS:
        text += f"\n({len(table)} rows; result.summary() holds them all)"
    return text


def describe(result: Any) -> str:
    """Return the text summary of ``result`` (see the module docstring)."""
    rule = "-" * _WIDTH
    head = textwrap.wrap(
        f"{type(result).__name__}: {result._headline()}", _WIDTH, subsequent_indent="    "
    )
    parts = [*head, rule, *_block(data_lines(result) + fact_lines(result)), rule]
    parts.append(_table_text(result.summary()))
    return "\n".join(parts)
