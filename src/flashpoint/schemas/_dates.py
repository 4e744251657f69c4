"""Calendar days of events: the time-zone rule, outlying dates and near-duplicate labels.

The time-zone rule
------------------
flashpoint counts events per *local calendar day*. Every reader and counter
(:func:`flashpoint.validate_events`, :func:`flashpoint.read_events`,
:func:`flashpoint.read_acled`, :func:`flashpoint.read_ucdp_ged`,
:func:`flashpoint.read_gdelt_events`, :func:`flashpoint.count_daily` and the
:mod:`flashpoint.scale` backends) turns a date into a day by this one rule:

1. A date or time without a time zone (``2023-11-01``, ``2023-11-01 23:30``) is local and
   taken as written.
2. A time with a UTC offset or a zone (``2023-11-01T23:30:00+03:00``, ``...Z``, a
   timezone-aware column) falls, by default (``tz=None``), on its **local date as
   written**: the wall-clock date at its own offset (here 2023-11-01, time 23:30). Rows
   with different offsets each keep their own wall clock; the offset itself is dropped.
3. With ``tz=`` (an IANA name such as ``"Asia/Baghdad"``, ``"UTC"``, or a fixed offset such
   as ``"+03:00"``), every time that carries an offset is first converted to that zone, then
   its date is taken; times without one are taken to be in ``tz`` already. So
   ``2023-11-01T22:30:00Z`` is 2023-11-01 by default and 2023-11-02 (01:30) with
   ``tz="Asia/Baghdad"``.

The time of day, when there is one, is kept (tz-naive, local) in the ``timestamp`` column.

Outlying dates
--------------
One mistyped year (1900 among 2023 events) would stretch a daily calendar over a century.
:func:`outlying_days` flags the rows that sit alone beyond a long empty stretch: in a table of at
least :data:`MIN_OUTLIER_ROWS` rows, at most 1% of the rows (at least one) separated from the
others by a gap longer than a year and more than :data:`OUTLIER_SPAN_RATIO` times the span of
all the other rows (so they would stretch the calendar more than tenfold).
:func:`flashpoint.validate_events` warns about them; :func:`flashpoint.count_daily` refuses
to build a calendar around them unless ``start=`` / ``end=`` leave them out.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.errors import FlashpointTypeError, FlashpointValueError

__all__ = [
    "MIN_OUTLIER_GAP_DAYS",
    "MIN_OUTLIER_ROWS",
    "OUTLIER_SPAN_RATIO",
    "as_day",
    "check_tz",
    "describe_outliers",
    "localize",
    "near_duplicate_labels",
    "normalize_labels",
    "outlying_days",
    "parse_text_dates",
]

TzArg = str | _dt.tzinfo | None
"""What ``tz=`` accepts: an IANA zone name, ``"UTC"``, a fixed offset such as ``"+03:00"``,
a ``datetime.tzinfo``, or ``None`` (the local date as written)."""

MIN_OUTLIER_GAP_DAYS = 365
"""A date is outlying only when a gap of more than this many days separates it from the rest."""
OUTLIER_SPAN_RATIO = 10
"""... and that gap is more than this many times the span of the other rows."""
MIN_OUTLIER_ROWS = 10
"""Smaller tables are not checked (their calendars are cheap whatever their span)."""

# a time of day followed by a UTC offset or zone designator: the wall clock and the offset
_WITH_OFFSET = re.compile(
    r"^\s*(?P<wall>\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?)\s*"
    r"(?P<offset>[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)\s*$"
)


def check_tz(tz: Any) -> _dt.tzinfo | str | None:
    """Return ``tz`` when pandas can convert to it; raise a clear error otherwise."""
    if tz is None:
        return None
    if not isinstance(tz, str | _dt.tzinfo):
        raise FlashpointTypeError(
            f"tz must be a time zone name such as 'Asia/Baghdad' or 'UTC', a fixed offset "
            f"such as '+03:00', or None (the local date as written); got {type(tz).__name__}"
        )
    try:
        pd.Timestamp("2000-01-01", tz=tz)
    except Exception as err:  # zoneinfo, pytz and dateutil raise unrelated classes
        raise FlashpointValueError(
            f"unknown time zone tz={tz!r}; use an IANA name such as 'Asia/Baghdad', 'UTC', a "
            "fixed offset such as '+03:00', or None to keep the local date as written"
        ) from err
    return tz


def as_day(value: Any, name: str) -> pd.Timestamp:
    """Read one date argument (``start=``, ``min_date=``, ...) as a tz-naive midnight.

    Accepts ISO 8601 text, ``datetime.date``/``datetime``, ``numpy.datetime64`` and
    ``pandas.Timestamp``; a time with an offset falls on its local date as written (the
    rule above). Numbers are refused: ``20231122`` is not a date, and pandas would read it
    as nanoseconds after 1970-01-01.
    """
    if isinstance(value, bool | int | float | np.integer | np.floating):
        raise FlashpointTypeError(
            f"{name}={value!r} is a number, not a date; pass an ISO 8601 date such as "
            f"'2023-11-22' (a number like 20231122 would be read as 1970-01-01)"
        )
    if not isinstance(value, str | _dt.date | np.datetime64 | pd.Timestamp):
        raise FlashpointTypeError(
            f"{name} must be a date such as '2023-11-22' (text, datetime.date or "
            f"pandas.Timestamp); got {type(value).__name__}"
        )
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError) as err:
        raise FlashpointValueError(
            f"cannot read {name}={value!r} as a date; use an ISO 8601 date such as '2023-11-22'"
        ) from err
    if pd.isna(ts):
        raise FlashpointValueError(f"{name} is missing (NaT); pass a date such as '2023-11-22'")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def localize(values: pd.Series, tz: _dt.tzinfo | str | None) -> pd.Series:
    """Apply the rule to a timezone-aware datetime column: tz-naive local times."""
    if tz is not None:
        values = values.dt.tz_convert(tz)
    return values.dt.tz_localize(None).astype("datetime64[us]")


def parse_text_dates(values: pd.Series, tz: _dt.tzinfo | str | None) -> pd.Series:
    """Parse ISO 8601 text (with or without a UTC offset) and date objects by the rule.

    Returns tz-naive ``datetime64[us]``; ``NaT`` where a value is missing or not a date
    (the caller reports those rows). Plain ``YYYY-MM-DD`` text (ten characters: no time, so
    no offset) is parsed in one vectorised pass; only the other values are looked at one by
    one (offsets, date objects, other ISO 8601 forms).
    """
    days, rest = _plain_days(values)
    if days is None:
        return _parse_general(values, tz)
    if rest.any():
        days[rest] = _parse_general(values[rest], tz)
    return days


def _plain_days(values: pd.Series) -> tuple[pd.Series | None, np.ndarray]:
    """Parse the ``YYYY-MM-DD`` values of a text column; flag the rows left to parse."""
    if not isinstance(values.dtype, pd.StringDtype) and (
        values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) != "string"
    ):
        return None, np.zeros(len(values), dtype=bool)
    text = values if isinstance(values.dtype, pd.StringDtype) else values.astype("str")
    short = (text.str.len() == 10).to_numpy(dtype=bool, na_value=False)
    if short.all():  # the common case: no indexing, no second look
        days = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").astype("datetime64[us]")
        return days, days.isna().to_numpy(dtype=bool)
    days = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if short.any():
        parsed = pd.to_datetime(text[short], format="%Y-%m-%d", errors="coerce")
        days[short] = parsed.astype("datetime64[us]")
    rest = text.notna().to_numpy(dtype=bool) & days.isna().to_numpy(dtype=bool)
    return days, rest


def _parse_general(values: pd.Series, tz: _dt.tzinfo | str | None) -> pd.Series:
    """Parse values one kind at a time: offsets, aware datetimes, other date text."""
    obj = values.astype(object)
    aware = obj.map(lambda v: isinstance(v, _dt.datetime) and v.tzinfo is not None).to_numpy(
        dtype=bool
    )
    text = obj.map(lambda v: v if isinstance(v, str) else None)
    parts = text.str.extract(_WITH_OFFSET) if len(text) else None
    offset = (
        parts["offset"].notna().to_numpy(dtype=bool)
        if parts is not None
        else np.zeros(0, dtype=bool)
    )
    datelike = obj.map(
        lambda v: isinstance(v, str | _dt.date | np.datetime64) and not isinstance(v, bool)
    ).to_numpy(dtype=bool)
    plain = datelike & ~aware & ~offset  # numbers and other objects are not dates: NaT
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if plain.any():
        out[plain] = _parse_naive(obj[plain])
    if offset.any() and parts is not None:
        if tz is None:  # the local date as written: the wall clock, offset dropped
            out[offset] = _parse_naive(parts["wall"][offset])
        else:
            utc = pd.to_datetime(
                text[offset].str.replace(r"(UTC|GMT)\s*$", "Z", regex=True),
                format="ISO8601",
                errors="coerce",
                utc=True,
            )
            out[offset] = utc.dt.tz_convert(tz).dt.tz_localize(None).astype("datetime64[us]")
    if aware.any():
        out[aware] = [_naive_datetime(v, tz) for v in obj[aware]]
    return out


def _parse_naive(values: pd.Series) -> pd.Series:
    try:
        parsed = pd.to_datetime(values, format="ISO8601", errors="coerce")
    except (TypeError, ValueError, OverflowError):  # e.g. naive datetime objects mixed oddly
        parsed = pd.Series(
            [pd.to_datetime(v, format="ISO8601", errors="coerce") for v in values],
            index=values.index,
        )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):  # pragma: no cover - defensive
        parsed = parsed.dt.tz_localize(None)
    return parsed.astype("datetime64[us]")


def _naive_datetime(value: _dt.datetime, tz: _dt.tzinfo | str | None) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if tz is not None:
        ts = ts.tz_convert(tz)
    return ts.tz_localize(None)


# --------------------------------------------------------------------------------------------
# Outlying dates
# --------------------------------------------------------------------------------------------
def outlying_days(day: np.ndarray) -> np.ndarray:
    """Flag the rows whose day sits alone beyond a long empty stretch (see module notes).

    Parameters
    ----------
    day
        Day numbers (``int64``, days since 1970-01-01), no missing values.

    Returns
    -------
    numpy.ndarray
        Boolean mask, ``True`` for outlying rows.
    """
    n = len(day)
    if n < MIN_OUTLIER_ROWS:
        return np.zeros(n, dtype=bool)
    u, per_day = _days_and_counts(day)
    if len(u) < 2:
        return np.zeros(n, dtype=bool)
    gaps = np.diff(u)
    before = np.cumsum(per_day)[:-1]  # rows on or before u[i], for the gap after u[i]
    limit = max(1, n // 100)
    long_gap = gaps > MIN_OUTLIER_GAP_DAYS
    head = long_gap & (before <= limit) & (gaps > OUTLIER_SPAN_RATIO * (u[-1] - u[1:]))
    tail = long_gap & (n - before <= limit) & (gaps > OUTLIER_SPAN_RATIO * (u[:-1] - u[0]))
    lo = u[np.flatnonzero(head).max() + 1] if head.any() else u[0]
    hi = u[np.flatnonzero(tail).min()] if tail.any() else u[-1]
    return (day < lo) | (day > hi)


def _days_and_counts(day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Count rows per distinct day: one pass (bincount) when the span is modest."""
    first = int(day.min())
    span = int(day.max()) - first + 1
    if span > 4 * len(day) + 100_000:  # sparse far-apart days: sorting costs less memory
        return np.unique(day, return_counts=True)
    per = np.bincount(day - first, minlength=span)
    present = np.flatnonzero(per)
    return present + first, per[present]


def describe_outliers(dates: pd.Series, mask: np.ndarray, *, limit: int = 5) -> str:
    """``row <label>: <date>, ...; the other N rows fall between A and B``."""
    rows = dates[mask]
    shown = ", ".join(
        f"row {label!r}: {pd.Timestamp(d).date()}"
        for label, d in zip(rows.index[:limit], rows.iloc[:limit], strict=True)
    )
    more = f" (and {len(rows) - limit} more)" if len(rows) > limit else ""
    rest = dates[~mask]
    return (
        f"{shown}{more}; the other {len(rest)} rows fall between "
        f"{pd.Timestamp(rest.min()).date()} and {pd.Timestamp(rest.max()).date()}"
    )


# --------------------------------------------------------------------------------------------
# Group labels that differ only in case or spaces
# --------------------------------------------------------------------------------------------
def _label_key(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    return value


def near_duplicate_labels(values: pd.Series) -> list[list[Hashable]]:
    """Return the sets of labels that differ only in case or spaces (``"Iraq "``, ``"IRAQ"``)."""
    uniques = pd.unique(values.dropna())
    if len(uniques) < 2:
        return []
    found: dict[Any, list[Hashable]] = {}
    for u in uniques:
        if isinstance(u, str):
            found.setdefault(_label_key(u), []).append(u)
    return [sorted(v, key=str) for v in found.values() if len(v) > 1]


def normalize_labels(values: pd.Series) -> pd.Series:
    """Trim and collapse spaces, and merge labels equal up to case into the commonest spelling.

    Ties go to the spelling seen first. Values that are not strings are left as they are.
    """
    is_text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if not is_text.any():
        return values
    trimmed = values.copy()
    text = [" ".join(str(v).split()) for v in values[is_text]]
    seen: dict[str, tuple[int, int]] = {}  # spelling -> (count, first position)
    for pos, t in enumerate(text):
        n, first = seen.get(t, (0, pos))
        seen[t] = (n + 1, first)
    best: dict[str, tuple[int, int, str]] = {}  # key -> (-count, first position, spelling)
    for t, (n, first) in seen.items():
        key = t.casefold()
        if key not in best or (-n, first) < best[key][:2]:
            best[key] = (-n, first, t)
    trimmed[is_text] = [best[t.casefold()][2] for t in text]
    return trimmed
