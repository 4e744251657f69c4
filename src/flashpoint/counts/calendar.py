"""Day numbers, calendars and zero-filling: the core every counting path shares.

:func:`flashpoint.count_daily` (pandas) and the DuckDB and Dask backends of
:mod:`flashpoint.scale` reduce events to day numbers (days since 1970-01-01) and group values,
then call :func:`zero_fill`, so the three paths give identical tables on the same data. These
are internal helpers (not re-exported by :mod:`flashpoint`).

Memory: a zero-filled table has one row per group and day, so its size is known before it is
built. :func:`zero_fill` estimates it and raises :class:`~flashpoint.errors.MemoryBudgetError`
(naming the size and the arguments that shrink it) when it exceeds the budget of
:mod:`flashpoint.limits`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.errors import (
    DataQualityWarning,
    FlashpointTypeError,
    FlashpointValueError,
    warn,
)
from flashpoint.limits import check_memory
from flashpoint.schemas import COUNT, DATE
from flashpoint.schemas._dates import as_day, describe_outliers, outlying_days

__all__ = ["BYTES_PER_ROW", "calendar_days", "day_number", "day_str", "group_codes", "zero_fill"]

BYTES_PER_ROW = 48
"""Peak bytes per row of a zero-filled table (date, group, count and the temporaries)."""


def group_codes(values: pd.Series, groups: Sequence[Any] | None) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (0..k-1, -1 for unlisted) and their labels."""
    if groups is not None:
        if isinstance(groups, str) or not isinstance(groups, Sequence | pd.Index | np.ndarray):
            raise FlashpointTypeError(
                f"groups= must be a list of group labels such as ['Iraq', 'Syria']; got "
                f"{groups!r}" + (f" (write groups=[{groups!r}])" if isinstance(groups, str) else "")
            )
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


def day_number(value: Any, name: str = "start/end") -> int:
    """Return the days from 1970-01-01 to the date ``value`` (read as by ``as_day``)."""
    ts = as_day(value, name)
    return int((ts - pd.Timestamp("1970-01-01")).days)


def day_str(day: int) -> str:
    """ISO date of a day number."""
    return str(np.datetime64(day, "D"))


def calendar_days(first_day: int, n_days: int) -> pd.DatetimeIndex:
    """``n_days`` consecutive days from the day number ``first_day``."""
    return pd.date_range(pd.Timestamp(np.datetime64(first_day, "D")), periods=n_days, freq="D")


REFUSED_STRETCH_DAYS = 3652
"""Outlying dates that would add more days than this (ten years) to a calendar are refused;
fewer are counted with a warning (a mistyped century costs gigabytes, a stray year does not)."""


def _refuse_outliers(day: np.ndarray, lo: int, hi: int, free_start: bool, free_end: bool) -> None:
    """Refuse a calendar that a few far-away dates stretch (see ``outlying_days``)."""
    inside = day[(day >= lo) & (day <= hi)]
    mask = outlying_days(inside)
    early = mask & (inside < np.median(inside))
    late = mask & ~early
    flagged = (early if free_start else False) | (late if free_end else False)
    if not np.any(flagged):
        return
    dates = pd.Series(inside.astype("datetime64[D]"))
    rest = inside[~mask]
    message = (
        f"{int(np.sum(flagged))} event date(s) lie far outside the others and "
        "{verb} the daily calendar from "
        f"{int(rest.max() - rest.min()) + 1:,} to {hi - lo + 1:,} days: "
        f"{describe_outliers(dates, np.asarray(flagged))}. Check the year (a typo?); count "
        f"a window with start={day_str(int(rest.min()))!r}/end={day_str(int(rest.max()))!r} "
        "(events outside it are not counted; on the command line --start/--end), or set the "
        "rows aside with fp.validate_events(events, min_date=..., on_error='quarantine')"
    )
    if (hi - lo) - int(rest.max() - rest.min()) < REFUSED_STRETCH_DAYS:
        warn(message.format(verb="stretch"), DataQualityWarning)
        return
    raise FlashpointValueError(message.format(verb="would stretch"))


def zero_fill(
    day: np.ndarray,
    values: pd.Series | None,
    weights: np.ndarray | None = None,
    *,
    by: str | None,
    start: str | pd.Timestamp | None,
    end: str | pd.Timestamp | None,
    groups: Sequence[Any] | None,
) -> pd.DataFrame:
    """Tidy zero-filled counts from day numbers and group values.

    Parameters
    ----------
    day
        Day number of each row (``int64``).
    values
        Group value of each row (``None`` for one series).
    weights
        Events each row stands for (an aggregated ``(day, group, n)`` table); ``None``: one.
    by, start, end, groups
        As in :func:`flashpoint.count_daily`.

    Returns
    -------
    pandas.DataFrame
        ``date``, ``<by>`` (when grouped) and ``count`` (``int64``), sorted by group then date.

    Raises
    ------
    FlashpointValueError
        On an empty calendar, ``end`` before ``start``, unlisted groups, or a few far-away
        dates stretching a calendar whose bound is not given.
    MemoryBudgetError
        When the table would exceed the memory budget (checked before allocating).
    """
    lo = day_number(start, "start") if start is not None else (int(day.min()) if len(day) else None)
    hi = day_number(end, "end") if end is not None else (int(day.max()) if len(day) else None)
    if lo is None or hi is None:
        raise FlashpointValueError(
            "no events and no start/end given: cannot build a calendar; pass start= and end="
        )
    if hi < lo:
        raise FlashpointValueError(
            f"end ({day_str(hi)}) is before start ({day_str(lo)}); swap them"
        )
    if start is None or end is None:
        _refuse_outliers(day, lo, hi, start is None, end is None)
    n_days = hi - lo + 1
    codes, labels = (
        group_codes(values, groups)
        if by is not None and values is not None
        else (None, pd.Index([None]))
    )
    n_groups = len(labels)
    check_memory(
        float(n_days) * max(n_groups, 1) * BYTES_PER_ROW,
        f"a daily calendar of {n_days:,} days ({day_str(lo)} to {day_str(hi)}) for "
        f"{n_groups:,} group(s) ({n_days * n_groups:,} rows)",
        "Count a shorter window with start=/end=, fewer groups with groups= (or by=None), "
        "or aggregate first (fp.count_daily_duckdb counts out of core).",
    )
    in_window = (day >= lo) & (day <= hi)
    all_in = bool(in_window.all())
    if not all_in:
        day = day[in_window]
        weights = None if weights is None else weights[in_window]
    if codes is None or values is None:
        counts = np.bincount(day - lo, weights=weights, minlength=n_days)
        return pd.DataFrame({DATE: calendar_days(lo, n_days), COUNT: counts.astype("int64")})
    if not all_in:
        codes = codes[in_window]
    if (codes < 0).any():
        raw = values.to_numpy()
        unknown = pd.unique((raw if all_in else raw[in_window])[codes < 0])
        raise FlashpointValueError(
            f"events belong to groups not listed in groups=: {list(unknown)[:10]}; add them to "
            "groups= or filter the events first (nothing is dropped silently)"
        )
    counts = np.bincount(codes * n_days + (day - lo), weights=weights, minlength=n_groups * n_days)
    return pd.DataFrame(
        {
            DATE: np.tile(calendar_days(lo, n_days).to_numpy(), n_groups),
            by: labels.repeat(n_days),
            COUNT: counts.astype("int64"),
        }
    )
