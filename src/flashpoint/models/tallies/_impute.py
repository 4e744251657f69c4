"""Daily counts consistent with official totals, timed by the event rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from flashpoint.counts import (
    TALLY_GROUP,
    count_daily,
    match_tally_groups,
    tally_group_name,
    tally_intervals,
)
from flashpoint.errors import FlashpointValueError
from flashpoint.schemas import COUNT, DATE

__all__ = ["impute_daily_from_tallies"]


def impute_daily_from_tallies(
    tallies: pd.DataFrame,
    events: pd.DataFrame,
    *,
    by: str = "country",
    official: bool | None = True,
    qualifier: Sequence[str] = ("exact", "about"),
    start: str | pd.Timestamp = "2023-10-17",
    prior_weight: float = 0.1,
    group_map: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Estimate daily counts consistent with the official totals, timed by the event rows.

    Each tally interval's official count is spread over its days in proportion to the
    event rows on each day (plus ``prior_weight`` per day, so that days without rows get a
    share and an interval without any row is spread evenly). The result is an
    **estimate**, kept apart from the observed rows: it shows where an event list misses
    attacks (``imputed - rows`` large) or has more than officials counted.

    Parameters
    ----------
    tallies
        Validated tallies.
    events
        Event rows (one per attack) with ``date`` and the group column ``by``.
    by
        Group column of ``events``.
    official, qualifier, start
        As in :func:`flashpoint.tally_intervals`.
    prior_weight
        Weight of each day in addition to its event rows (> 0).
    group_map
        ``{tally column: event group}``; default: case-insensitive name match (``iraq`` ->
        ``Iraq``), the tally column ``other`` taking the unmatched event groups.

    Returns
    -------
    pandas.DataFrame
        One row per day and tally group (``total`` and each matched group): ``group``,
        ``date``, ``rows`` (event rows that day, ``int64``), ``imputed`` (estimated attacks
        that day, ``float64``; sums to the official count of each interval), ``difference``
        (``imputed - rows``).

    Examples
    --------
    >>> import flashpoint as fp
    >>> est = fp.impute_daily_from_tallies(fp.load_tallies(), fp.load_attacks())
    >>> iraq = est[(est["group"] == "Iraq") & (est["date"] <= "2023-11-23")]
    >>> round(iraq["imputed"].sum()), int(iraq["rows"].sum())
    (36, 29)
    """
    if prior_weight <= 0:
        raise FlashpointValueError(f"prior_weight must be positive, got {prior_weight}")
    iv = tally_intervals(tallies, official=official, qualifier=qualifier, start=start)
    iv = iv[iv["monotone"]]
    counts = count_daily(events, by=by, start=start, end=iv["end"].max())
    tally_groups = [g for g in iv[TALLY_GROUP].unique() if g != "total"]
    mapping = match_tally_groups(tally_groups, list(pd.unique(counts[by])), group_map)
    out = []
    for tally_group in ["total", *mapping]:
        if tally_group == "total":
            daily = counts.groupby(DATE)[COUNT].sum()
        else:
            chosen = counts[counts[by].isin(mapping[tally_group])]
            daily = chosen.groupby(DATE)[COUNT].sum()
        name = tally_group_name(tally_group, mapping)
        for _, r in iv[iv[TALLY_GROUP] == tally_group].iterrows():
            days = pd.date_range(r["start"], r["end"], freq="D")
            rows = daily.reindex(days, fill_value=0).to_numpy()
            w = rows + prior_weight
            imputed = int(r["attacks"]) * w / w.sum()
            out.append(
                pd.DataFrame(
                    {
                        "group": name,
                        DATE: days,
                        "rows": rows.astype("int64"),
                        "imputed": imputed,
                        "difference": imputed - rows,
                    }
                )
            )
    return pd.concat(out, ignore_index=True)
