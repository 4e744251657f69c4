"""Pure transforms from events to regular count series.

``count_daily`` turns an event table into tidy, zero-filled daily counts per group; the other
functions reshape counts (``to_wide``, ``resample``, ``cumulative``) or set them against
cumulative tallies (``tally_intervals``, ``reconcile_tallies``). Every function conserves
events: the counts always sum to the number of events in the window.

A counts table has the columns ``date``, at most one group column (``country`` by default,
any name is allowed) and ``count``; functions that take counts find the group column by
elimination, or take it as ``by=``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.errors import FlashpointTypeError, FlashpointValueError
from flashpoint.schemas import (
    AS_OF_DATE,
    COUNT,
    COUNTRY,
    DATE,
    OFFICIAL,
    QUALIFIER,
    QUALIFIERS,
    STATEMENT_DATE,
    TOTAL,
    validate_events,
)

__all__ = [
    "CUMULATIVE",
    "DAYS",
    "ROLLING_MEAN",
    "count_daily",
    "cumulative",
    "group_column",
    "match_tally_groups",
    "reconcile_tallies",
    "resample",
    "rolling_mean",
    "tally_group_name",
    "tally_intervals",
    "to_wide",
]

DAYS = "days"
"""Number of days a resampled period covers (partial periods at the edges have fewer)."""
CUMULATIVE = "cumulative"
"""Running total of ``count`` per group."""

_DERIVED = {DATE, COUNT, DAYS, CUMULATIVE, "rolling_mean"}
_NS_PER_DAY = 86_400 * 10**9


def group_column(counts: pd.DataFrame, by: str | None = None) -> str | None:
    """Return the group column of a counts table.

    Parameters
    ----------
    counts
        A counts table (``date``, optional group column, ``count``).
    by
        The group column, when the caller knows it. ``None``: find it by elimination
        (the only column other than ``date``, ``count``, ``days`` and ``cumulative``).

    Returns
    -------
    str or None
        The group column, or ``None`` for a single series.

    Raises
    ------
    FlashpointValueError
        When ``by`` is not a column, or several columns could be the group column.

    Examples
    --------
    >>> import pandas as pd
    >>> import flashpoint as fp
    >>> c = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=2),
    ...                   "type": ["IED", "IED"], "count": [3, 4]})
    >>> fp.counts.group_column(c)
    'type'
    """
    if not isinstance(counts, pd.DataFrame):
        raise FlashpointTypeError(
            f"counts must be a pandas DataFrame, got {type(counts).__name__}; build it with "
            "fp.count_daily(events)"
        )
    for col in (DATE, COUNT):
        if col not in counts.columns:
            raise FlashpointValueError(
                f"counts table has no '{col}' column (columns: {list(counts.columns)}); "
                "build it with fp.count_daily(events)"
            )
    if by is not None:
        if by not in counts.columns:
            raise FlashpointValueError(
                f"by={by!r} is not a column of the counts table (columns: {list(counts.columns)})"
            )
        return by
    candidates = [c for c in counts.columns if c not in _DERIVED]
    if len(candidates) > 1:
        raise FlashpointValueError(
            f"cannot tell the group column: {candidates} are all candidates; pass by=<column> "
            "or drop the extra columns"
        )
    return candidates[0] if candidates else None


def _check_event_frame(events: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Light checks on an already-typed event table; full validation otherwise."""
    if not isinstance(events, pd.DataFrame):
        raise FlashpointTypeError(
            f"events must be a pandas DataFrame, got {type(events).__name__}; read files "
            "with fp.read_events(path, ...)"
        )
    needed = [DATE] + ([by] if by is not None else [])
    missing = [c for c in needed if c not in events.columns]
    if missing:
        hint = (
            " (pass by=<your group column>, or by=None for one series)"
            if by is not None and by in missing
            else ""
        )
        raise FlashpointValueError(
            f"events table is missing column(s) {missing}; columns found: "
            f"{list(events.columns)}{hint}"
        )
    dates = events[DATE]
    if not pd.api.types.is_datetime64_dtype(dates.dtype) or isinstance(
        dates.dtype, pd.DatetimeTZDtype
    ):
        # raw or unusual dates: run the full validation, which explains every failure
        return validate_events(events, by=by)
    if len(events) and dates.isna().any():
        rows = list(events.index[dates.isna().to_numpy()][:5])
        raise FlashpointValueError(
            f"events table has missing dates in '{DATE}' (rows {rows}); drop or fix them, or "
            "use fp.validate_events(..., on_error='quarantine') to set them aside"
        )
    if by is not None and len(events):
        nulls = events[by].isna().to_numpy()
        if nulls.any():
            rows = list(events.index[nulls][:5])
            raise FlashpointValueError(
                f"events table has missing values in group column '{by}' (rows {rows}); every "
                "event needs a group: fill them (e.g. 'unknown') or quarantine the rows with "
                "fp.validate_events(..., on_error='quarantine')"
            )
    return events


def count_daily(
    events: pd.DataFrame,
    *,
    by: str | None = COUNTRY,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    groups: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Count events per day and group, zero-filled over a complete calendar.

    Parameters
    ----------
    events
        One row per event with a ``date`` column and the group column ``by``. Raw string
        dates are validated with :func:`flashpoint.validate_events` first.
    by
        Group column (``None``: one series for all events).
    start, end
        First and last day of the calendar (inclusive). Defaults: the first and last event
        date. Events outside ``[start, end]`` are not counted (an explicit window).
    groups
        Groups to include, in this order, even if they have no event (zero series). Events
        of groups not listed raise an error rather than vanish. Default: every group
        present (every category, for a categorical column), sorted.

    Returns
    -------
    pandas.DataFrame
        Tidy counts sorted by group then date, one row per group and day:

        - ``date`` (``datetime64``, midnight): the calendar day;
        - ``<by>``: the group (absent when ``by=None``);
        - ``count`` (``int64``): events that day (0 on days without events).

        It passes :func:`flashpoint.validate_counts`.

    Raises
    ------
    SchemaValidationError
        When raw events fail validation.
    FlashpointValueError
        On missing dates or groups, an empty window, or events of unlisted groups.

    See Also
    --------
    resample : weekly or monthly totals.
    to_wide : one column per group.

    Examples
    --------
    >>> import pandas as pd
    >>> import flashpoint as fp
    >>> ev = pd.DataFrame({"date": ["2023-11-20", "2023-11-22", "2023-11-22"],
    ...                    "country": ["Iraq", "Iraq", "Syria"]})
    >>> fp.count_daily(ev)
            date country  count
    0 2023-11-20    Iraq      1
    1 2023-11-21    Iraq      0
    2 2023-11-22    Iraq      1
    3 2023-11-20   Syria      0
    4 2023-11-21   Syria      0
    5 2023-11-22   Syria      1
    """
    events = _check_event_frame(events, by)
    day = events[DATE].to_numpy().astype("datetime64[D]").view("int64")
    lo = _day_number(start) if start is not None else (int(day.min()) if len(day) else None)
    hi = _day_number(end) if end is not None else (int(day.max()) if len(day) else None)
    if lo is None or hi is None:
        raise FlashpointValueError(
            "no events and no start/end given: cannot build a calendar; pass start= and end="
        )
    if hi < lo:
        raise FlashpointValueError(f"end ({_day_str(hi)}) is before start ({_day_str(lo)})")
    in_window = (day >= lo) & (day <= hi)
    all_in = bool(in_window.all())
    n_days = hi - lo + 1

    if by is None:
        offsets = day - lo if all_in else day[in_window] - lo
        counts = np.bincount(offsets, minlength=n_days)
        return pd.DataFrame({DATE: _calendar(lo, n_days), COUNT: counts.astype("int64")})

    codes, labels = _group_codes(events[by], groups)
    if not all_in:
        codes = codes[in_window]
        day = day[in_window]
    if (codes < 0).any():
        values = events[by].to_numpy()
        unknown = pd.unique((values if all_in else values[in_window])[codes < 0])
        raise FlashpointValueError(
            f"events belong to groups not listed in groups=: {list(unknown)[:10]}; add them to "
            "groups= or filter the events first (nothing is dropped silently)"
        )
    n_groups = len(labels)
    flat = codes * n_days + (day - lo)
    counts = np.bincount(flat, minlength=n_groups * n_days)
    calendar = _calendar(lo, n_days)
    return pd.DataFrame(
        {
            DATE: np.tile(calendar.to_numpy(), n_groups),
            by: labels.repeat(n_days),
            COUNT: counts.astype("int64"),
        }
    )


def _group_codes(values: pd.Series, groups: Sequence[Any] | None) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (0..k-1, -1 for unlisted) and their labels."""
    if groups is not None:
        labels = pd.Index(list(groups))
        if labels.has_duplicates:
            raise FlashpointValueError(
                f"groups= has duplicates: {list(labels[labels.duplicated()])}"
            )
        return labels.get_indexer(values).astype("int64"), labels
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype("int64"), pd.Index(values.cat.categories)
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype("int64"), pd.Index(uniques)


def _day_number(value: str | pd.Timestamp) -> int:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise FlashpointValueError(
            f"cannot read {value!r} as a date; use an ISO date such as '2023-11-22'"
        ) from err
    if ts.tzinfo is not None:
        raise FlashpointValueError(f"start/end must be tz-naive dates, got {ts}")
    return int((ts.normalize() - pd.Timestamp("1970-01-01")).days)


def _day_str(day: int) -> str:
    return str(np.datetime64(day, "D"))


def _calendar(first_day: int, n_days: int) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(np.datetime64(first_day, "D")), periods=n_days, freq="D")


def to_wide(counts: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Reshape tidy counts to one column per group.

    Parameters
    ----------
    counts
        Tidy counts (``date``, group, ``count``).
    by
        Group column; found by elimination when ``None``.

    Returns
    -------
    pandas.DataFrame
        Index ``date``; one ``int64`` column per group (columns named after the groups, the
        column index named ``by``). A single series gives one column ``count``.

    Examples
    --------
    >>> import pandas as pd
    >>> import flashpoint as fp
    >>> ev = pd.DataFrame({"date": ["2023-11-21", "2023-11-22"], "country": ["Iraq", "Syria"]})
    >>> fp.to_wide(fp.count_daily(ev))
    country     Iraq  Syria
    date
    2023-11-21     1      0
    2023-11-22     0      1
    """
    by = group_column(counts, by)
    if by is None:
        return counts.set_index(DATE)[[COUNT]]
    wide = counts.pivot(index=DATE, columns=by, values=COUNT)
    if wide.isna().to_numpy().any():
        raise FlashpointValueError(
            "counts are not on a complete calendar per group (the wide table has holes); "
            "rebuild them with fp.count_daily"
        )
    return wide.astype("int64")


_PERIOD_ALIASES = {
    "W": "W-SUN",
    "ME": "M",
    "MS": "M",
    "QE": "Q",
    "QS": "Q",
    "YE": "Y",
    "YS": "Y",
    "A": "Y",
}


def resample(counts: pd.DataFrame, *, freq: str = "W", by: str | None = None) -> pd.DataFrame:
    """Aggregate daily counts to weekly, monthly, quarterly or yearly totals.

    Totals are kept exactly: every day falls in one period. Periods at the edges may be
    partial; the ``days`` column says how many days each period covers, so rates
    (``count / days``) stay comparable and ``days`` can serve as a model exposure.

    Parameters
    ----------
    counts
        Tidy daily counts.
    freq
        ``"W"`` (weeks Monday-Sunday), ``"W-<DAY>"`` (weeks ending on that day), ``"M"``,
        ``"Q"`` or ``"Y"`` (also accepted: ``"MS"``, ``"ME"``, ``"QS"``, ``"YS"``).
    by
        Group column; found by elimination when ``None``.

    Returns
    -------
    pandas.DataFrame
        ``date`` (first day of the period), the group column, ``count`` (``int64``, total in
        the period), ``days`` (``int64``, days of the period present in the data).

    Examples
    --------
    >>> import pandas as pd
    >>> import flashpoint as fp
    >>> c = pd.DataFrame({"date": pd.date_range("2023-11-01", "2023-12-31"),
    ...                   "country": "Iraq", "count": 1})
    >>> fp.resample(c, freq="M")
            date country  count  days
    0 2023-11-01    Iraq     30    30
    1 2023-12-01    Iraq     31    31
    """
    by = group_column(counts, by)
    alias = _PERIOD_ALIASES.get(freq, freq)
    try:
        periods = counts[DATE].dt.to_period(alias)
    except (ValueError, TypeError) as err:
        raise FlashpointValueError(
            f"unknown resampling frequency {freq!r}; use 'W', 'M', 'Q' or 'Y'"
        ) from err
    starts = periods.dt.start_time.dt.normalize().astype(counts[DATE].dtype)
    keys = ([counts[by]] if by is not None else []) + [starts.rename(DATE)]
    grouped = counts.groupby(keys, sort=True, observed=True)[COUNT]
    out = grouped.agg(["sum", "size"]).reset_index()
    out = out.rename(columns={"sum": COUNT, "size": DAYS})
    cols = [DATE] + ([by] if by is not None else []) + [COUNT, DAYS]
    out = out[cols]
    out[COUNT] = out[COUNT].astype("int64")
    out[DAYS] = out[DAYS].astype("int64")
    return out


def cumulative(
    counts: pd.DataFrame,
    *,
    by: str | None = None,
    start: str | pd.Timestamp | None = None,
    total: str | None = None,
) -> pd.DataFrame:
    """Add the running total per group.

    Parameters
    ----------
    counts
        Tidy counts.
    by
        Group column; found by elimination when ``None``.
    start
        First day of the running total (rows before it are dropped), e.g. the day official
        tallies count from. Default: the first day of the table.
    total
        When given, also add a group with this name holding the sum over all groups
        (e.g. ``total="total"``), to compare with overall tallies.

    Returns
    -------
    pandas.DataFrame
        The input columns (rows from ``start`` on) plus ``cumulative`` (``int64``): events
        from ``start`` through this date, per group; sorted by group then date.

    Examples
    --------
    >>> import pandas as pd
    >>> import flashpoint as fp
    >>> c = pd.DataFrame({"date": pd.date_range("2023-11-20", periods=3),
    ...                   "country": "Iraq", "count": [1, 0, 2]})
    >>> fp.cumulative(c)["cumulative"].tolist()
    [1, 1, 3]
    >>> fp.cumulative(c, start="2023-11-21")["cumulative"].tolist()
    [0, 2]
    """
    by = group_column(counts, by)
    if start is not None:
        counts = counts[counts[DATE] >= pd.Timestamp(start)]
    if total is not None:
        if by is None:
            raise FlashpointValueError("total= needs grouped counts")
        summed = counts.groupby(DATE, sort=True)[COUNT].sum().reset_index()
        summed[by] = total
        counts = pd.concat(
            [counts[[DATE, by, COUNT]], summed[[DATE, by, COUNT]]], ignore_index=True
        )
    keys = ([by] if by is not None else []) + [DATE]
    out = counts.sort_values(keys, kind="stable").reset_index(drop=True)
    if by is None:
        out[CUMULATIVE] = out[COUNT].cumsum().astype("int64")
    else:
        out[CUMULATIVE] = out.groupby(by, sort=False, observed=True)[COUNT].cumsum().astype("int64")
    return out


ROLLING_MEAN = "rolling_mean"
"""Trailing mean of ``count`` over a window of periods."""


def rolling_mean(counts: pd.DataFrame, *, window: int = 7, by: str | None = None) -> pd.DataFrame:
    """Add the trailing mean of the counts over ``window`` periods, per group.

    Parameters
    ----------
    counts
        Tidy counts.
    window
        Number of periods averaged (the current one and the ``window - 1`` before it).
    by
        Group column; found by elimination when ``None``.

    Returns
    -------
    pandas.DataFrame
        The input plus ``rolling_mean`` (``float64``, events per period; missing for the
        first ``window - 1`` periods of each group), in the input's row order.

    Examples
    --------
    >>> import pandas as pd
    >>> import flashpoint as fp
    >>> c = pd.DataFrame({"date": pd.date_range("2023-11-20", periods=4), "count": [1, 0, 2, 3]})
    >>> fp.rolling_mean(c, window=2)["rolling_mean"].tolist()
    [nan, 0.5, 1.0, 2.5]
    """
    if not isinstance(window, int) or window < 1:
        raise FlashpointValueError(f"window must be a positive integer, got {window!r}")
    by = group_column(counts, by)
    keys = ([by] if by is not None else []) + [DATE]
    out = counts.sort_values(keys, kind="stable").copy()
    if by is None:
        out[ROLLING_MEAN] = out[COUNT].rolling(window, min_periods=window).mean()
    else:
        out[ROLLING_MEAN] = out.groupby(by, sort=False, observed=True)[COUNT].transform(
            lambda s: s.rolling(window, min_periods=window).mean()
        )
    return out.loc[counts.index]


# --------------------------------------------------------------------------------------------
# Tallies
# --------------------------------------------------------------------------------------------
TALLY_GROUP = "group"
_QUALIFIER_RANK = {q: i for i, q in enumerate(QUALIFIERS)}


def _tally_groups(tallies: pd.DataFrame, group_columns: Iterable[str] | None) -> list[str]:
    if group_columns is not None:
        cols = list(group_columns)
        missing = [c for c in cols if c not in tallies.columns]
        if missing:
            raise FlashpointValueError(f"group_columns {missing} are not tally columns")
        return cols
    known = {AS_OF_DATE, STATEMENT_DATE, TOTAL, QUALIFIER, OFFICIAL}
    return [
        c
        for c in tallies.columns
        if c not in known and str(tallies[c].dtype) == "Int64" and not str(c).startswith("us_")
    ]


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
        Validated tallies (see :func:`flashpoint.load_tallies`): ``as_of_date``, ``total``,
        per-group cumulative columns, ``qualifier``, ``official``.
    official
        Keep only official (``True``) or unofficial (``False``) tallies; ``None`` keeps both.
    qualifier
        Qualifiers to use. Lower bounds (``"at_least"``) are left out by default.
    start
        First day of the count (the day the cumulative tallies count from).
    group_columns
        Per-group cumulative columns (default: every ``Int64`` column other than the
        known ones, e.g. ``iraq``, ``syria``, ``other``).

    Returns
    -------
    pandas.DataFrame
        One row per interval and group (``total`` first, then each group column):

        - ``group``: ``"total"`` or the tally column (``"iraq"``, ...);
        - ``start``, ``end``: first and last day of the interval (``end`` is the tally's
          ``as_of_date``; ``start`` the day after the previous tally that gives this
          group's figure: a tally without a split ends an interval of ``total`` only);
        - ``days`` (``int64``): days in the interval;
        - ``cumulative`` (``Int64``): the tally itself;
        - ``attacks`` (``Int64``): cumulative minus the previous cumulative;
        - ``qualifier``: of the tally ending the interval;
        - ``monotone`` (``bool``): ``False`` when the tally is lower than the previous one
          (a contradiction between sources: ``attacks`` is negative);
        - ``alternatives``: other same-day tallies that were not used, and why.

    Notes
    -----
    Same-day tallies are resolved by one rule, applied in order: (1) the more precise
    qualifier (``exact`` > ``about`` > ``at_least``); (2) a split that adds up to the
    total (per-group figures present and summing to ``total``) over a missing or
    inconsistent one; (3) the later ``statement_date``; (4) file order. Rows without
    ``as_of_date`` or ``total`` cannot be placed and are left out; the unused rows of a day
    are listed in ``alternatives``. A split that does not add up is not used for the groups.

    Examples
    --------
    >>> import flashpoint as fp
    >>> iv = fp.counts.tally_intervals(fp.load_tallies())
    >>> row = iv[(iv["group"] == "total") & (iv["end"] == "2023-11-23")].iloc[0]
    >>> int(row["cumulative"]), int(row["attacks"]), int(row["days"])
    (73, 7, 2)
    """
    bad_q = [q for q in qualifier if q not in QUALIFIERS]
    if bad_q:
        raise FlashpointValueError(f"unknown qualifier(s) {bad_q}; expected some of {QUALIFIERS}")
    for col in (AS_OF_DATE, TOTAL, QUALIFIER, OFFICIAL):
        if col not in tallies.columns:
            raise FlashpointValueError(
                f"tallies table has no '{col}' column; load it with fp.load_tallies() or "
                "validate it with fp.validate_tallies()"
            )
    groups = _tally_groups(tallies, group_columns)
    t = tallies.reset_index(drop=True)
    usable = t[AS_OF_DATE].notna() & t[TOTAL].notna() & t[QUALIFIER].isin(list(qualifier))
    if official is not None:
        usable &= t[OFFICIAL] == official
    t = t[usable].copy()
    parts = t[groups] if groups else pd.DataFrame(index=t.index)
    split_complete = parts.notna().all(axis=1) if groups else pd.Series(False, index=t.index)
    split_sum = parts.fillna(0).sum(axis=1) if groups else pd.Series(0, index=t.index)
    consistent = split_complete & (split_sum == t[TOTAL])
    # a split given in full that does not add up is not used for the groups
    any_given = parts.notna().any(axis=1) if groups else pd.Series(False, index=t.index)
    inconsistent = any_given & (split_sum > t[TOTAL]) | (split_complete & ~consistent)
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
    inconsistent_by_row = inconsistent.to_dict()
    given_by_row = any_given.to_dict()
    for _day, day_rows in t.groupby(AS_OF_DATE, sort=True):
        kept = day_rows.index[0]
        keep_idx.append(kept)
        others = day_rows.iloc[1:]
        alternatives[kept] = "; ".join(
            f"{int(r[TOTAL])} ({r[QUALIFIER]}"
            + (", split inconsistent" if inconsistent_by_row[i] else "")
            + (", no split" if groups and not given_by_row[i] else "")
            + ")"
            for i, r in others.iterrows()
        )
    chosen = t.loc[keep_idx]
    start_ts = pd.Timestamp(start).normalize()
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
                }
            )
            prev_end = end_day
            prev_cum = cum
    out = pd.DataFrame(rows)
    if out.empty:
        raise FlashpointValueError(
            "no usable tallies after filtering (official, qualifier, dated with a total)"
        )
    out[CUMULATIVE] = out[CUMULATIVE].astype("Int64")
    out["attacks"] = out["attacks"].astype("Int64")
    out[DAYS] = out[DAYS].astype("int64")
    return out


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
        - ``monotone``, ``alternatives``: as in :func:`tally_intervals`.

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
    start_ts = pd.Timestamp(start).normalize()
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
    ]
    return out[cols].reset_index(drop=True)


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """``num / den`` as Float64, missing where the denominator is missing or not positive."""
    den = den.astype("Float64")
    return (num.astype("Float64") / den.where(den > 0)).astype("Float64")
