"""The counts: daily counts per group, against the official tallies, and their trend."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import pandas as pd

from flashpoint.counts import cumulative, reconcile_tallies, rolling_mean
from flashpoint.models import fit_trend
from flashpoint.plots import plot_counts, plot_cumulative, plot_trend
from flashpoint.report._html import Section
from flashpoint.report._inputs import Look
from flashpoint.report._inputs import summary_columns as _columns
from flashpoint.schemas import COUNT, DATE

__all__ = ["counts_section", "tallies_section", "trend_section"]


def counts_section(
    s: Section,
    counts: pd.DataFrame,
    by: str,
    marks: pd.DataFrame,
    look: Look,
    detail: Sequence[Hashable] | None = None,
) -> None:
    s.intro = (
        f"{look.noun.capitalize()} per day and group (bars) with their 7-day trailing mean (line). "
        "Markers: the interventions and key events; shaded: periods such as a truce."
    )
    shown = counts
    if detail is not None and counts[by].nunique() > len(detail):
        # one panel per group would grow the page with every group: the figure shows the
        # groups in detail, the overview's heat map and the table below show every group
        shown = counts[counts[by].isin(list(detail))]
        s.intro += (
            f" The figure shows the {len(detail)} groups in detail; the table lists every group "
            "and the overview above maps them all."
        )
    s.figures.append(
        plot_counts(
            rolling_mean(shown, window=7),
            by=by,
            events=marks,
            title=f"{look.noun.capitalize()} per day",
            noun=look.noun,
            colors=look.colors,
        )
    )
    table = (
        counts.groupby(by)
        .agg(
            events=(COUNT, "sum"),
            days=(COUNT, "size"),
            mean_per_day=(COUNT, "mean"),
            max_per_day=(COUNT, "max"),
            days_with_events=(COUNT, lambda c: int((c > 0).sum())),
        )
        .reset_index()
    )
    s.tables.append((f"{look.noun.capitalize()} per group", table))


def tallies_section(
    s: Section,
    events: pd.DataFrame,
    tallies: pd.DataFrame,
    counts: pd.DataFrame,
    by: str,
    marks: pd.DataFrame,
    first: pd.Timestamp,
    caveat: str,
    look: Look,
) -> None:
    s.intro = (
        "Cumulative event rows (lines) against the officials' running totals (markers: circle "
        "exact, diamond approximate, triangle a lower bound). The coverage table below gives "
        "event rows / official tally at each tally. " + caveat
    ).strip()
    rec = reconcile_tallies(
        events, tallies, by=by, qualifier=("exact", "about", "at_least"), start=first
    )
    cum = cumulative(counts, start=first, total="total")
    last_tally = rec["end"].max()
    s.figures.append(
        plot_cumulative(
            cum[cum[DATE] <= last_tally + pd.Timedelta(days=7)],
            rec,
            by=by,
            events=marks,
            noun=look.noun,
            colors=look.colors,
        )
    )
    exact = reconcile_tallies(events, tallies, by=by, start=first)
    shown = exact[exact["official_cumulative"].fillna(0) > 0][
        ["group", "end", "qualifier", "official_cumulative", "event_cumulative", "coverage"]
    ]
    s.tables.append(
        (
            "Coverage: event rows / official tally, at each official tally (exact or approximate)",
            shown,
        )
    )
    alt = exact[(exact["group"] == "total") & (exact["alternatives"] != "")][
        ["end", "official_cumulative", "alternatives"]
    ]
    if len(alt):
        s.tables.append(("Same-day tallies that disagree (the one used, and the others)", alt))
    flagged = exact[~exact["monotone"]]
    for _, r in flagged.iterrows():
        s.notes.append(
            f"The tally of {r['end'].date()} ({r['official_cumulative']}) is lower than "
            f"the one before it for group {r['group']}: the sources contradict each "
            "other; this interval is not used by the models."
        )


def trend_section(
    s: Section, counts: pd.DataFrame, marks: pd.DataFrame, state: dict[str, Any], look: Look
) -> None:
    res = fit_trend(counts)
    state["trend"] = res
    s.intro = (
        "Negative-binomial regression with a natural-spline trend per group: the expected "
        f"{look.noun} per day with a 95% band. Growth is the average change of the rate per week "
        "over the shaded span (the last 4 weeks of the window), with its 95% interval; the "
        "spline's slope on the last day alone is much less certain and is shown beside it."
    )
    s.figures.append(plot_trend(res, events=marks, noun=look.noun, colors=look.colors))
    s.tables.append(
        (
            "Average growth over the last 4 weeks (and on the last day alone)",
            _columns(
                res,
                "growth_start",
                "growth_end",
                "avg_percent_change",
                "avg_percent_change_lower",
                "avg_percent_change_upper",
                "last_day_percent_change",
                "doubling_time",
                "halving_time",
                "nb_alpha",
                "lr_p_value",
            ),
        )
    )
