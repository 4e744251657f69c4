"""The short text summary of the report: one line per group with the headline estimates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from flashpoint.models import EventSpec
from flashpoint.schemas import COUNT, DATE

__all__ = ["summary_lines"]


def _fmt_rr(row: pd.Series) -> str:
    if row["rate_ratio"] == 0:
        return f"0 (upper bound {row['rate_ratio_upper']:.2f})"
    return (
        f"{row['rate_ratio']:.2f} ({row['rate_ratio_lower']:.2f} to "
        f"{row['rate_ratio_upper']:.2f}, p = {row['p_value']:.3f})"
    )


def summary_lines(
    title: str,
    events: pd.DataFrame,
    window: pd.DataFrame,
    by: str,
    modelled: Sequence[Any],
    state: dict[str, Any],
    interventions: Sequence[EventSpec],
) -> list[str]:
    lines = [title, f"window {window[DATE].min().date()} to {window[DATE].max().date()}"]
    target = interventions[0].name if interventions else None
    for g in sorted(window[by].unique(), key=str):
        n = int(window.loc[window[by] == g, COUNT].sum())
        parts = [f"{g}: {n} attack{'' if n == 1 else 's'}"]
        if g in modelled:
            trend = state.get("trend")
            if trend is not None:
                t = trend.summary().set_index(trend.by)
                if g in t.index:
                    r = t.loc[g]
                    parts.append(
                        f"trend {r['percent_change']:+.0f}%/week "
                        f"({r['percent_change_lower']:+.0f} to "
                        f"{r['percent_change_upper']:+.0f})"
                    )
            its = state.get("its")
            if its is not None and target is not None:
                tab = its.summary()
                row = tab[(tab[its.by] == g) & (tab["event"] == target)]
                if len(row):
                    parts.append(f"{target} rate ratio {_fmt_rr(row.iloc[0])}")
            cps = state.get("changepoints")
            if cps is not None:
                ch = cps.changes
                ch = ch[ch[cps.by] == g] if cps.by else ch
                dates = ", ".join(str(pd.Timestamp(d).date()) for d in ch[DATE]) or "none"
                parts.append(f"change points {dates}")
            hawkes = state.get("hawkes")
            if hawkes is not None:
                parts.append(_branching_text(hawkes, g))
            alarms = state.get("alarms")
            if alarms is not None:
                days = alarms.summary()
                days = days[days[alarms.by] == g] if alarms.by else days
                listed = ", ".join(str(pd.Timestamp(d).date()) for d in days[DATE]) or "none"
                parts.append(f"alarm days {listed}")
        else:
            parts.append("too few events to model")
        lines.append("; ".join(parts))
    return lines


def _branching_text(res: Any, group: Any) -> str:
    """Branching ratio per regime, e.g. ``before 2023-11-22 0.00 (0.00 to 0.60)``."""
    table = res.summary()
    rows = table[table["term"] == "branching_ratio"]
    if res.by is not None:
        rows = rows[rows[res.by] == group]
    if "source" in rows.columns and res.by is not None:
        rows = rows[rows["source"].astype(str) == str(group)]
    if not len(rows):
        return "branching ratio n/a"
    parts = []
    for _, r in rows.iterrows():
        if "regime_start" in rows.columns and pd.notna(r["regime_start"]) and len(rows) > 1:
            label = f"from {pd.Timestamp(r['regime_start']).date()} "
        else:
            label = ""
        parts.append(f"{label}{r['estimate']:.2f} ({r['ci_lower']:.2f} to {r['ci_upper']:.2f})")
    return "branching ratio " + ", ".join(parts)
