"""Day numbers, calendars and zero-filling: the core every counting path shares.

:func:`flashpoint.count_daily` (pandas) and the DuckDB and Dask backends of
:mod:`flashpoint.scale` reduce events to day numbers (days since 1970-01-01) and group values,
then call :func:`zero_fill`, so the three paths give identical tables on the same data. These
are internal helpers (not re-exported by :mod:`flashpoint`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.errors import FlashpointValueError
from flashpoint.schemas import COUNT, DATE

__all__ = ["calendar_days", "day_number", "day_str", "group_codes", "zero_fill"]


def group_codes(values: pd.Series, groups: Sequence[Any] | None) -> tuple[np.ndarray, pd.Index]:
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


def day_number(value: str | pd.Timestamp) -> int:
    """Days from 1970-01-01 to the (tz-naive) date ``value``."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise FlashpointValueError(
            f"cannot read {value!r} as a date; use an ISO date such as '2023-11-22'"
        ) from err
    if ts.tzinfo is not None:
        raise FlashpointValueError(f"start/end must be tz-naive dates, got {ts}")
    return int((ts.normalize() - pd.Timestamp("1970-01-01")).days)


def day_str(day: int) -> str:
    """ISO date of a day number."""
    return str(np.datetime64(day, "D"))


def calendar_days(first_day: int, n_days: int) -> pd.DatetimeIndex:
    """``n_days`` consecutive days from the day number ``first_day``."""
    return pd.date_range(pd.Timestamp(np.datetime64(first_day, "D")), periods=n_days, freq="D")


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
    """
    lo = day_number(start) if start is not None else (int(day.min()) if len(day) else None)
    hi = day_number(end) if end is not None else (int(day.max()) if len(day) else None)
    if lo is None or hi is None:
        raise FlashpointValueError(
            "no events and no start/end given: cannot build a calendar; pass start= and end="
        )
    if hi < lo:
        raise FlashpointValueError(f"end ({day_str(hi)}) is before start ({day_str(lo)})")
    in_window = (day >= lo) & (day <= hi)
    all_in = bool(in_window.all())
    n_days = hi - lo + 1
    if not all_in:
        day = day[in_window]
        weights = None if weights is None else weights[in_window]
    if by is None or values is None:
        counts = np.bincount(day - lo, weights=weights, minlength=n_days)
        return pd.DataFrame({DATE: calendar_days(lo, n_days), COUNT: counts.astype("int64")})
    codes, labels = group_codes(values, groups)
    if not all_in:
        codes = codes[in_window]
    if (codes < 0).any():
        raw = values.to_numpy()
        unknown = pd.unique((raw if all_in else raw[in_window])[codes < 0])
        raise FlashpointValueError(
            f"events belong to groups not listed in groups=: {list(unknown)[:10]}; add them to "
            "groups= or filter the events first (nothing is dropped silently)"
        )
    n_groups = len(labels)
    counts = np.bincount(codes * n_days + (day - lo), weights=weights, minlength=n_groups * n_days)
    return pd.DataFrame(
        {
            DATE: np.tile(calendar_days(lo, n_days).to_numpy(), n_groups),
            by: labels.repeat(n_days),
            COUNT: counts.astype("int64"),
        }
    )
