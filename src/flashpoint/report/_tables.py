"""Tables of the page: headings in words, numbers formatted for reading, long tables folded.

A summary's snake_case columns become headings (``rate_ratio_lower`` -> "Rate ratio: lower",
``p_holm`` -> "p (Holm)"); a missing value shows as an em dash, never ``nan`` or ``<NA>``;
p-values below 0.001 as "< 0.001"; a table of more than :data:`FOLD_ROWS` rows sits in a
``<details>`` element that says how many rows it holds. Every cell is HTML-escaped.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FOLD_ROWS", "MISSING", "heading", "table_html"]

FOLD_ROWS = 15
"""Tables with more rows are folded (``<details>``), with a line saying how many."""

MISSING = "\u2014"
"""What a missing value shows as (an em dash)."""

_HEADINGS = {
    "p_value": "p-value",
    "p_holm": "p (Holm)",
    "min_p_value": "Smallest attainable p",
    "lr_p_value": "p (likelihood ratio)",
    "std_err": "Std. error",
    "ci_lower": "CI: lower",
    "ci_upper": "CI: upper",
    "ci_method": "Interval method",
    "nb_alpha": "NB dispersion (alpha)",
    "n_placebo": "Placebos",
    "n_obs": "Observations",
    "rt_mean": "R_t (mean)",
    "rt": "R_t",
    "avg_percent_change": "Average change (%)",
    "last_day_percent_change": "Change on the last day (%)",
    "official_cumulative": "Official total",
    "event_cumulative": "Event rows (total)",
    "window_count": "Events in the window",
    "mean_per_day": "Mean per day",
    "max_per_day": "Most in a day",
    "days_with_events": "Days with events",
    "in_detail": "Shown in detail",
    "df": "Degrees of freedom",
}

_P_COLUMNS = ("p_value", "p_holm", "min_p_value", "lr_p_value")


def heading(column: object) -> str:
    """Return a column's heading in words (``"rate_ratio_lower"`` -> ``"Rate ratio: lower"``)."""
    name = str(column)
    if name in _HEADINGS:
        return _HEADINGS[name]
    for side in ("lower", "upper"):
        if name.endswith(f"_{side}"):
            return f"{heading(name[: -len(side) - 1])}: {side}"
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else name


def _is_p(column: object) -> bool:
    name = str(column)
    return name in _P_COLUMNS or name.endswith("_p_value") or name.startswith("p_")


def _number(value: Any, *, p_value: bool) -> str:
    """Format one number: p-values to 3 decimals, others to 3 significant digits."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    v = float(value)
    if math.isnan(v):
        return MISSING
    if math.isinf(v):
        return "\u221e" if v > 0 else "-\u221e"
    if p_value:
        return "< 0.001" if 0 <= v < 0.001 else f"{v:.3f}"
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _cell(value: Any, *, p_value: bool) -> str:
    """Format one cell of any type; missing values (None, NaN, NaT, <NA>) as an em dash."""
    if value is None or (
        not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)
    ):
        return MISSING
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else str(value)
    if isinstance(value, bool | np.bool_) or pd.api.types.is_number(value):
        return _number(value, p_value=p_value)
    text = str(value)
    return text if text.strip() else MISSING


def table_html(table: pd.DataFrame, *, fold: int = FOLD_ROWS) -> str:
    """Render a table: headings in words, readable numbers, folded past ``fold`` rows."""
    columns = list(table.columns)
    head = "".join(f'<th scope="col">{html.escape(heading(c))}</th>' for c in columns)
    kinds = [_is_p(c) for c in columns]
    body = []
    for row in table.itertuples(index=False, name=None):
        cells = "".join(
            f"<td>{html.escape(_cell(v, p_value=p))}</td>" for v, p in zip(row, kinds, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    page = (
        '<div class="table-wrap"><table><thead><tr>'
        + head
        + "</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table></div>"
    )
    if len(table) > fold:
        return f"<details><summary>Show all {len(table)} rows</summary>{page}</details>"
    return page
