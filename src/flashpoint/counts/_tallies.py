"""Counts set against cumulative tallies: intervals between tallies, and their reconciliation.

Officials report running totals; :func:`tally_intervals` turns them into counts over the
intervals between successive tallies (resolving same-day contradictions by one stated rule),
and :func:`reconcile_tallies` compares event-derived counts with them interval by interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.counts._columns import CUMULATIVE, DAYS, group_column
from flashpoint.counts._daily import count_daily
from flashpoint.errors import (
    DataQualityWarning,
    FlashpointTypeError,
    FlashpointValueError,
    warn,
)
from flashpoint.schemas import (
    AS_OF_DATE,
    COUNT,
    COUNTRY,
    DATE,
    OFFICIAL,
    QUALIFIER,
    QUALIFIERS,
    REASON,
    STATEMENT_DATE,
    TOTAL,
    validate_tallies,
)
from flashpoint.schemas._dates import as_day

__all__ = [
    "TALLY_GROUP",
    "match_tally_groups",
    "reconcile_tallies",
    "tally_group_name",
    "tally_intervals",
]

TALLY_GROUP = "group"
_QUALIFIER_RANK = {q: i for i, q in enumerate(QUALIFIERS)}


def _tally_groups(tallies: pd.DataFrame, group_columns: Iterable[str] | None) -> list[str]:
    if group_columns is not None:
        if isinstance(group_columns, str):
            raise FlashpointTypeError(
                f"group_columns must be a list of tally columns, got the string "
                f"{group_columns!r} (write group_columns=[{group_columns!r}])"
            )
        cols = list(group_columns)
        missing = [c for c in cols if c not in tallies.columns]
        if missing:
            raise FlashpointValueError(
                f"group_columns {missing} are not tally columns (columns: {list(tallies.columns)})"
            )
        return cols
    known = {AS_OF_DATE, STATEMENT_DATE, TOTAL, QUALIFIER, OFFICIAL}
    return [
        c
        for c in tallies.columns
        if c not in known
        and pd.api.types.is_integer_dtype(tallies[c].dtype)
        and not pd.api.types.is_bool_dtype(tallies[c].dtype)
        and not str(c).startswith("us_")
    ]


def _check_arguments(tallies: Any, official: Any, qualifier: Any) -> tuple[pd.DataFrame, list[str]]:
    if not isinstance(tallies, pd.DataFrame):
        raise FlashpointTypeError(
            f"tallies must be a pandas DataFrame, got {type(tallies).__name__}; load them with "
            "fp.load_tallies() or validate them with fp.validate_tallies()"
        )
    if official is not None and not isinstance(official, bool | np.bool_):
        raise FlashpointTypeError(f"official must be True, False or None; got {official!r}")
    qualifiers = [qualifier] if isinstance(qualifier, str) else list(qualifier)
    bad_q = [q for q in qualifiers if q not in QUALIFIERS]
    if bad_q or not qualifiers:
        raise FlashpointValueError(
            f"unknown qualifier(s) {bad_q or qualifiers}; expected some of {QUALIFIERS}"
        )
    for col in (AS_OF_DATE, TOTAL, QUALIFIER, OFFICIAL):
        if col not in tallies.columns:
            raise FlashpointValueError(
                f"tallies table has no '{col}' column; load it with fp.load_tallies() or "
                "validate it with fp.validate_tallies()"
            )
    return tallies, qualifiers


def _refuse_before_start(t: pd.DataFrame, start_ts: pd.Timestamp) -> None:
    """Refuse tallies dated before ``start``, the day their cumulative count starts."""
    early = t[t[AS_OF_DATE] < start_ts]
    if len(early):
        shown = ", ".join(
            f"row {i!r}: {int(r[TOTAL])} as of {pd.Timestamp(r[AS_OF_DATE]).date()}"
            for i, r in early.head(5).iterrows()
        )
        raise FlashpointValueError(
            f"{len(early)} tally(ies) are dated before start={str(start_ts.date())!r}, the day "
            f"the cumulative count starts ({shown}): their intervals would end before they "
            "start. Pass the start the tallies count from (start= on or before "
            f"{pd.Timestamp(early[AS_OF_DATE].min()).date()}), or drop those rows"
        )


def _split_reason(row: pd.Series, groups: list[str]) -> str:
    given = {g: row[g] for g in groups if pd.notna(row[g])}
    parts = " + ".join(f"{g} {int(v)}" for g, v in given.items())
    return (
        f"split {parts} = {sum(int(v) for v in given.values())} does not add up to the total "
        f"{int(row[TOTAL])} as of {pd.Timestamp(row[AS_OF_DATE]).date()}: the per-group "
        "figures of this tally are not used (the groups' intervals run on to their next tally)"
    )


def tally_intervals(
    tallies: pd.DataFrame,
    *,
    official: bool | None = True,
    qualifier: Sequence[str] = ("exact", "about"),
    start: str | pd.Timestamp = "2023-10-17",
    group_columns: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Turn cumulative tallies into counts over the intervals between them.

    Parameters
    ----------
    tallies
        Tallies (see :func:`flashpoint.load_tallies`): ``as_of_date``, ``total``,
        per-group cumulative columns, ``qualifier``, ``official``. They are validated with
        :func:`flashpoint.validate_tallies` first (negative counts, unknown qualifiers,
        a statement before its ``as_of_date`` raise).
    official
        Keep only official (``True``) or unofficial (``False``) tallies; ``None`` keeps both.
    qualifier
        Qualifiers to use (one or several). Lower bounds (``"at_least"``) are left out by
        default.
    start
        First day of the count (the day the cumulative tallies count from). No tally may
        be dated before it.
    group_columns
        Per-group cumulative columns (default: every integer column other than the known
        ones, e.g. ``iraq``, ``syria``, ``other``).

    Returns
    -------
    pandas.DataFrame
        One row per interval and group (``total`` first, then each group column):

        - ``group``: ``"total"`` or the tally column (``"iraq"``, ...);
        - ``start``, ``end``: first and last day of the interval (``end`` is the tally's
          ``as_of_date``; ``start`` the day after the previous tally that gives this
          group's figure: a tally without a split ends an interval of ``total`` only);
        - ``days`` (``int64``): days in the interval (at least 1);
        - ``cumulative`` (``Int64``): the tally itself;
        - ``attacks`` (``Int64``): cumulative minus the previous cumulative;
        - ``qualifier``: of the tally ending the interval;
        - ``monotone`` (``bool``): ``False`` when the tally is lower than the previous one
          (a contradiction between sources: ``attacks`` is negative); models leave such
          intervals out;
        - ``alternatives``: other same-day tallies that were not used, and why;
        - ``reason``: why an interval is flagged (a falling tally) or why the tally's split
          was not used (it does not add up to the total); empty otherwise.

    Raises
    ------
    SchemaValidationError
        When the tallies fail :func:`flashpoint.validate_tallies`.
    FlashpointValueError
        On an unknown qualifier, a missing column, a tally dated before ``start``, or no
        usable tally.
    FlashpointTypeError
        When ``tallies`` is not a DataFrame or ``official`` is not a bool or None.

    Warns
    -----
    DataQualityWarning
        When a tally's per-group split does not add up to its total (the split is not
        used; the rows are named).

    Notes
    -----
    Same-day tallies are resolved by one rule, applied in order: (1) the more precise
    qualifier (``exact`` > ``about`` > ``at_least``); (2) a split that adds up to the
    total (per-group figures present and summing to ``total``) over a missing or
    inconsistent one; (3) the later ``statement_date``; (4) file order. Rows without
    ``as_of_date`` or ``total`` cannot be placed and are left out; the unused rows of a day
    are listed in ``alternatives``. A split that does not add up is not used for the
    groups, and says so in ``reason``.

    Examples
    --------
    >>> import flashpoint as fp
    >>> iv = fp.counts.tally_intervals(fp.load_tallies())
    >>> row = iv[(iv["group"] == "total") & (iv["end"] == "2023-11-23")].iloc[0]
    >>> int(row["cumulative"]), int(row["attacks"]), int(row["days"])
    (73, 7, 2)
    """
    tallies, qualifiers = _check_arguments(tallies, official, qualifier)
    groups = _tally_groups(tallies, group_columns)
    tallies = validate_tallies(tallies, groups=groups)
    start_ts = as_day(start, "start")
    t = tallies.reset_index(drop=True)
    usable = t[AS_OF_DATE].notna() & t[TOTAL].notna() & t[QUALIFIER].isin(qualifiers)
    if official is not None:
        usable &= t[OFFICIAL] == official
    t = t[usable].copy()
    _refuse_before_start(t, start_ts)
    chosen, alternatives, bad_split = _resolve_days(t, groups)
    rows = _interval_rows(chosen, groups, alternatives, bad_split, start_ts)
    out = pd.DataFrame(rows)
    if out.empty:
        raise FlashpointValueError(
            "no usable tallies after filtering (official, qualifier, dated with a total)"
        )
    out[CUMULATIVE] = out[CUMULATIVE].astype("Int64")
    out["attacks"] = out["attacks"].astype("Int64")
    out[DAYS] = out[DAYS].astype("int64")
    return out


def _resolve_days(
    t: pd.DataFrame, groups: list[str]
) -> tuple[pd.DataFrame, dict[Any, str], dict[Any, str]]:
    """One tally per day by the rule of :func:`tally_intervals`; unused splits blanked."""
    parts = t[groups] if groups else pd.DataFrame(index=t.index)
    split_complete = parts.notna().all(axis=1) if groups else pd.Series(False, index=t.index)
    split_sum = parts.fillna(0).sum(axis=1) if groups else pd.Series(0, index=t.index)
    consistent = split_complete & (split_sum == t[TOTAL])
    # a split given in full that does not add up is not used for the groups
    any_given = parts.notna().any(axis=1) if groups else pd.Series(False, index=t.index)
    inconsistent = any_given & (split_sum > t[TOTAL]) | (split_complete & ~consistent)
    bad_split = {i: _split_reason(t.loc[i], groups) for i in t.index[inconsistent.to_numpy()]}
    for g in groups:
        t.loc[inconsistent, g] = pd.NA
    # parts given that already add up to the total imply zero for the parts not given
    implied_zero = any_given & ~inconsistent & (split_sum == t[TOTAL])
    for g in groups:
        t.loc[implied_zero & t[g].isna(), g] = 0
    consistent = consistent | implied_zero
    t["_qrank"] = t[QUALIFIER].map(_QUALIFIER_RANK)
    t["_split"] = np.where(consistent, 0, 1)
    stmt = t[STATEMENT_DATE] if STATEMENT_DATE in t.columns else pd.Series(pd.NaT, index=t.index)
    t["_stmt"] = stmt.fillna(t[AS_OF_DATE])
    t["_order"] = np.arange(len(t))
    t = t.sort_values(
        [AS_OF_DATE, "_qrank", "_split", "_stmt", "_order"],
        ascending=[True, True, True, False, True],
        kind="stable",
    )
    alternatives: dict[Any, str] = {}
    keep_idx: list[Any] = []
    given = any_given.to_dict()
    for _day, day_rows in t.groupby(AS_OF_DATE, sort=True):
        kept = day_rows.index[0]
        keep_idx.append(kept)
        others = day_rows.iloc[1:]
        alternatives[kept] = "; ".join(
            f"{int(r[TOTAL])} ({r[QUALIFIER]}"
            + (", split inconsistent" if i in bad_split else "")
            + (", no split" if groups and not given[i] else "")
            + ")"
            for i, r in others.iterrows()
        )
    chosen = t.loc[keep_idx]
    used_bad = {i: r for i, r in bad_split.items() if i in set(keep_idx)}
    if used_bad:
        warn(
            f"{len(used_bad)} tally(ies) give a per-group split that does not add up to their "
            f"total; the splits are not used: {'; '.join(list(used_bad.values())[:3])}",
            DataQualityWarning,
        )
    return chosen, alternatives, used_bad


def _interval_rows(
    chosen: pd.DataFrame,
    groups: list[str],
    alternatives: dict[Any, str],
    bad_split: dict[Any, str],
    start_ts: pd.Timestamp,
) -> list[dict[str, Any]]:
    """One row per interval between successive tallies of each group."""
    rows: list[dict[str, Any]] = []
    for group in ["total", *groups]:
        col = TOTAL if group == "total" else group
        prev_end = start_ts - pd.Timedelta(days=1)
        prev_cum: Any = 0
        for idx, r in chosen.iterrows():
            cum = r[col]
            if pd.isna(cum):
                continue  # this tally gives no figure for the group: the interval runs on
            end_day = pd.Timestamp(r[AS_OF_DATE]).normalize()
            attacks = int(cum) - int(prev_cum)
            reason = bad_split.get(idx, "") if group == "total" else ""
            if attacks < 0:
                reason = (
                    f"the tally {int(cum)} ({r[QUALIFIER]}) as of {end_day.date()} is lower than "
                    f"{int(prev_cum)} as of {prev_end.date()}: sources disagree or a count was "
                    "revised; the interval's count is negative and models leave it out"
                )
            rows.append(
                {
                    TALLY_GROUP: group,
                    "start": prev_end + pd.Timedelta(days=1),
                    "end": end_day,
                    DAYS: int((end_day - prev_end).days),
                    CUMULATIVE: cum,
                    "attacks": attacks,
                    QUALIFIER: r[QUALIFIER],
                    "monotone": attacks >= 0,
                    "alternatives": alternatives.get(idx, ""),
                    REASON: reason,
                }
            )
            prev_end = end_day
            prev_cum = cum
    return rows


def match_tally_groups(
    tally_groups: Sequence[str],
    event_groups: Sequence[Any],
    group_map: Mapping[str, str] | None = None,
) -> dict[str, list[Any]]:
    """Match tally columns to the event groups they count.

    Parameters
    ----------
    tally_groups
        Per-group tally columns (``iraq``, ``syria``, ``other``, ...).
    event_groups
        Group values of the event table (``Iraq``, ``Syria``, ``Jordan``, ...).
    group_map
        Explicit ``{tally column: event group}``; when ``None``, names are matched
        case-insensitively and a column ``other`` takes every unmatched event group.

    Returns
    -------
    dict
        ``{tally column: [event groups]}`` for the columns that match.
    """
    if group_map is not None:
        return {k: [v] for k, v in group_map.items()}
    lower = {str(g).lower(): g for g in event_groups}
    mapping: dict[str, list[Any]] = {g: [lower[g]] for g in tally_groups if g in lower}
    if "other" in tally_groups and "other" not in lower:
        matched = {v for vs in mapping.values() for v in vs}
        mapping["other"] = [g for g in event_groups if g not in matched]
    return mapping


def tally_group_name(tally_group: str, mapping: Mapping[str, list[Any]]) -> Any:
    """Name of a tally group in results: its event group when it counts exactly one."""
    groups = mapping.get(tally_group, [])
    return groups[0] if len(groups) == 1 else tally_group


def reconcile_tallies(
    events_or_counts: pd.DataFrame,
    tallies: pd.DataFrame,
    *,
    by: str | None = COUNTRY,
    official: bool | None = True,
    qualifier: Sequence[str] = ("exact", "about"),
    start: str | pd.Timestamp = "2023-10-17",
    group_map: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Set event-derived counts against cumulative tallies, interval by interval.

    Parameters
    ----------
    events_or_counts
        An event table (counted with :func:`count_daily`) or a daily counts table.
    tallies
        Validated tallies (see :func:`tally_intervals` for how they are resolved).
    by
        Group column of the events/counts (``None``: compare totals only).
    official, qualifier, start
        As in :func:`tally_intervals`.
    group_map
        Which event group each tally column counts, ``{tally column: event group}``.
        Default: a case-insensitive match of names (``iraq`` -> ``Iraq``); a tally column
        ``other`` counts every event group no other column matches.

    Returns
    -------
    pandas.DataFrame
        One row per tally interval and group: ``total``, then each tally column, named
        after the event group it counts (``Iraq`` for the tally column ``iraq``):

        - ``group``, ``start``, ``end``, ``days``, ``qualifier``: as in :func:`tally_intervals`;
        - ``official_cumulative``, ``event_cumulative``: counts from ``start`` of the whole
          count through ``end`` (``Int64``);
        - ``official_interval``, ``event_interval``: counts within the interval;
        - ``coverage``: ``event_cumulative / official_cumulative`` (above 1: the event list
          has more rows than the tally; below 1: it misses attacks);
        - ``interval_coverage``: the same ratio within the interval;
        - ``monotone``, ``alternatives``, ``reason``: as in :func:`tally_intervals`.

    Examples
    --------
    >>> import flashpoint as fp
    >>> rec = fp.reconcile_tallies(fp.load_attacks(), fp.load_tallies())
    >>> cols = ["group", "official_cumulative", "event_cumulative", "coverage"]
    >>> print(rec.loc[rec["end"] == "2023-11-23", cols].round(2).to_string(index=False))
     group  official_cumulative  event_cumulative  coverage
     total                   73                76      1.04
      Iraq                   36                29      0.81
     Syria                   37                47      1.27
    Jordan                    0                 0      <NA>
    """
    intervals = tally_intervals(tallies, official=official, qualifier=qualifier, start=start)
    if COUNT in events_or_counts.columns:
        counts = events_or_counts
        by = group_column(counts, by)
    else:
        counts = count_daily(events_or_counts, by=by)
    tally_groups = [g for g in intervals[TALLY_GROUP].unique() if g != "total"]
    event_groups = [] if by is None else list(pd.unique(counts[by]))
    mapping = match_tally_groups(tally_groups, event_groups, group_map)
    start_ts = as_day(start, "start")
    dates = counts[DATE]
    day_totals: dict[str, pd.Series] = {}
    in_range = dates >= start_ts
    day_totals["total"] = counts[in_range].groupby(DATE)[COUNT].sum()
    for tg, egs in mapping.items():
        sel = in_range & counts[by].isin(egs) if by is not None else in_range
        day_totals[tg] = counts[sel].groupby(DATE)[COUNT].sum()
    out = intervals[intervals[TALLY_GROUP].isin(["total", *mapping])].copy()

    def cum_through(group: str, day: pd.Timestamp) -> int:
        s = day_totals[group]
        return int(s[s.index <= day].sum())

    out["official_cumulative"] = out[CUMULATIVE]
    out["event_cumulative"] = [
        cum_through(g, e) for g, e in zip(out[TALLY_GROUP], out["end"], strict=True)
    ]
    out["official_interval"] = out["attacks"]
    prev_day = out["start"] - pd.Timedelta(days=1)
    out["event_interval"] = out["event_cumulative"] - [
        cum_through(g, d) for g, d in zip(out[TALLY_GROUP], prev_day, strict=True)
    ]
    last_data_day = dates.max()
    beyond = out["end"] > last_data_day
    if beyond.any():
        out.loc[beyond, ["event_cumulative", "event_interval"]] = np.nan
    for col in ("event_cumulative", "event_interval"):
        out[col] = out[col].astype("Int64")
    out["coverage"] = _ratio(out["event_cumulative"], out["official_cumulative"])
    out["interval_coverage"] = _ratio(out["event_interval"], out["official_interval"])
    # name each group after the event group it counts, when it counts exactly one
    out[TALLY_GROUP] = out[TALLY_GROUP].map(lambda g: tally_group_name(g, mapping))
    cols = [
        TALLY_GROUP,
        "start",
        "end",
        DAYS,
        QUALIFIER,
        "official_cumulative",
        "event_cumulative",
        "coverage",
        "official_interval",
        "event_interval",
        "interval_coverage",
        "monotone",
        "alternatives",
        REASON,
    ]
    return out[cols].reset_index(drop=True)


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """``num / den`` as Float64, missing where the denominator is missing or not positive."""
    den = den.astype("Float64")
    return (num.astype("Float64") / den.where(den > 0)).astype("Float64")
