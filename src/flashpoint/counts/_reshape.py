"""Reshaping tidy counts: one column per group, coarser periods, running totals, rolling means."""

from __future__ import annotations

import pandas as pd

from flashpoint.counts._columns import CUMULATIVE, DAYS, ROLLING_MEAN, group_column
from flashpoint.errors import FlashpointTypeError, FlashpointValueError
from flashpoint.limits import check_memory
from flashpoint.schemas import COUNT, DATE
from flashpoint.schemas._dates import as_day
from flashpoint.schemas._groups import key_columns

__all__ = ["cumulative", "resample", "rolling_mean", "to_wide"]


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

    Raises
    ------
    FlashpointValueError
        When a (date, group) pair repeats, or the counts are not on a complete calendar per
        group (the wide table would have holes; checked before pivoting, so a table of many
        groups with few dates each never allocates its mostly empty wide form).
    MemoryBudgetError
        When the wide table would exceed the memory budget (:mod:`flashpoint.limits`).

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
    keys = key_columns(DATE, by)
    dup = counts.duplicated(subset=keys, keep=False).to_numpy()
    if dup.any():
        rows = counts.loc[dup, keys].head(4).to_dict("records")
        raise FlashpointValueError(
            f"counts have {int(dup.sum())} rows that repeat a ({', '.join(keys)}) pair, e.g. "
            f"{rows}; each date appears once per group. Rebuild them with fp.count_daily, or "
            "sum them first: counts.groupby(['date', <group>], as_index=False)['count'].sum()"
        )
    if by is None:
        return counts.set_index(DATE)[[COUNT]]
    n_dates, n_groups = counts[DATE].nunique(), counts[by].nunique()
    if n_dates * n_groups != len(counts):
        raise FlashpointValueError(
            f"counts are not on a complete calendar per group: {len(counts):,} rows for "
            f"{n_dates:,} dates x {n_groups:,} groups (the wide table would have "
            f"{n_dates * n_groups - len(counts):,} holes); rebuild them with fp.count_daily"
        )
    check_memory(
        float(len(counts)) * 3 * 8,
        f"a wide table of {n_dates:,} dates x {n_groups:,} groups",
        "Reshape fewer groups or a shorter window (filter the counts first).",
    )
    wide = counts.pivot(index=DATE, columns=by, values=COUNT)
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


def resample(counts: pd.DataFrame, freq: str = "W", *, by: str | None = None) -> pd.DataFrame:
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
    if not isinstance(freq, str):
        raise FlashpointTypeError(
            f"freq must be a period such as 'W', 'M', 'Q' or 'Y'; got {freq!r}"
        )
    if not pd.api.types.is_datetime64_dtype(counts[DATE].dtype):
        raise FlashpointValueError(
            f"'{DATE}' must be datetime64 (got {counts[DATE].dtype}); build counts with "
            "fp.count_daily"
        )
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
    cols = [*key_columns(DATE, by), COUNT, DAYS]
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
        counts = counts[counts[DATE] >= as_day(start, "start")]
    if total is not None:
        if by is None:
            raise FlashpointValueError("total= needs grouped counts")
        if (counts[by] == total).any():
            raise FlashpointValueError(
                f"total={total!r} is already a group in '{by}'; the sum over groups would mix "
                "with it. Choose another name, e.g. total='all groups'"
            )
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


def rolling_mean(counts: pd.DataFrame, window: int = 7, *, by: str | None = None) -> pd.DataFrame:
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
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
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
