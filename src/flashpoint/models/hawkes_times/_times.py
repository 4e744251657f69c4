"""Event times for the continuous-time Hawkes fit: checks, window, days, tied times."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.errors import DataQualityWarning, FlashpointTypeError, FlashpointValueError
from flashpoint.models._base import warn
from flashpoint.schemas import DATE, TIMESTAMP

MIN_EVENTS = 10
"""Fewest events :func:`fit_hawkes_times` accepts (three parameters need some data)."""

_DAY = pd.Timedelta(days=1)
_CLOCK_UNITS = ("1h", "1min", "1s", "1ms", "1us")


@dataclass(frozen=True, slots=True)
class _Times:
    days: np.ndarray  # sorted event times, days since the window start
    window: float  # window length in days
    start: pd.Timestamp | float
    end: pd.Timestamp | float
    origin: pd.Timestamp | None  # None: the input was an array of days
    n_ties: int
    ties: str
    resolution_days: float | None


def _as_timestamp(value: Any, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise FlashpointValueError(
            f"{name} must be a date or time such as '2023-10-17' or '2023-10-17 06:30'; "
            f"got {value!r}"
        ) from err
    if ts is pd.NaT:
        raise FlashpointValueError(f"{name} must be a date or time; got a missing value")
    if ts.tz is not None:
        raise FlashpointValueError(
            f"{name}={value!r} has a time zone; flashpoint uses tz-naive times: pass "
            "pd.Timestamp(...).tz_convert(None)"
        )
    return ts


def _timestamps_from_table(events: pd.DataFrame, time: str) -> pd.Series:
    """Return the exact event times of a table (tz-naive datetimes), or raise a clear error."""
    if time in events.columns:
        column = events[time]
    elif (
        time == TIMESTAMP
        and DATE in events.columns
        and pd.api.types.is_datetime64_any_dtype(events[DATE])
        and not bool((events[DATE].dt.floor("D") == events[DATE]).all())
    ):
        column = events[DATE]  # a raw table with times of day in `date`
    else:
        raise FlashpointValueError(
            f"the events table has no {time!r} column with exact event times (columns: "
            f"{', '.join(map(str, events.columns))}). fit_hawkes_times needs times of day: "
            "pass time='<column>' naming them, or, for dates only, fit the daily-count "
            "model on fp.count_daily(events) instead"
        )
    if pd.api.types.is_datetime64_any_dtype(column):
        ts = column
    else:
        try:
            ts = pd.to_datetime(column, format="ISO8601")
        except (TypeError, ValueError) as err:
            raise FlashpointValueError(
                f"column {time!r} must hold event times (ISO 8601 such as "
                f"'2023-10-17T06:30'); it could not be parsed: {err}"
            ) from err
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        raise FlashpointValueError(
            f"column {time!r} has time-zone-aware times; flashpoint uses tz-naive times: "
            f"convert with events[{time!r}].dt.tz_convert(None)"
        )
    missing = ts.isna()
    if bool(missing.all()):
        raise FlashpointValueError(
            f"column {time!r} has no event times (all {len(ts)} values are missing); "
            "fit_hawkes_times needs exact times; for dates only, fit the daily-count model "
            "on fp.count_daily(events)"
        )
    if bool(missing.any()):
        rows = list(ts.index[missing.to_numpy()][:5])
        raise FlashpointValueError(
            f"{int(missing.sum())} of {len(ts)} events have no time in column {time!r} "
            f"(first rows: {rows}); the model needs every event's time: drop or fill them, "
            f"e.g. events.dropna(subset=[{time!r}])"
        )
    return ts


def _days_since(ts: pd.Series, origin: pd.Timestamp) -> np.ndarray:
    """Days from ``origin`` to each time, from exact integer nanoseconds."""
    ns = ts.to_numpy(dtype="datetime64[ns]") - np.datetime64(origin.as_unit("ns"))
    return ns.astype(np.int64) / 86_400e9


def _clock_resolution(ts: pd.Series) -> pd.Timedelta | None:
    """Return the coarsest clock unit (hour, minute, ...) that every time is a multiple of."""
    for unit in _CLOCK_UNITS:
        if bool((ts.dt.floor(unit) == ts).all()):
            return pd.Timedelta(unit)
    return None


def _spread_ties(days: np.ndarray, resolution: float, end: float | None) -> np.ndarray:
    """Spread each run of k equal times evenly over ``[t, t + r)``, r <= the gap to the next time.

    Runs at the end of the window (no room after them) are spread backwards instead.
    """
    out = days.copy()
    values, first, counts = np.unique(days, return_index=True, return_counts=True)
    nxt = np.append(values[1:], np.inf if end is None else end)
    prev = np.insert(values[:-1], 0, -np.inf)
    for j in np.flatnonzero(counts > 1):
        v, i, k, hi, lo = values[j], first[j], counts[j], nxt[j], prev[j]
        room = min(resolution, hi - v)
        steps = np.arange(k) / k
        if room > 0:
            out[i : i + k] = v + room * steps
        else:
            room = min(resolution, v - lo)
            out[i : i + k] = v - room * steps[::-1]
    return out


@dataclass(frozen=True, slots=True)
class _Raw:
    """Sorted event times in days from the origin, before window checks and ties."""

    days: np.ndarray
    end_days: float | None
    origin: pd.Timestamp | None  # None: the input was an array of days
    s0: float  # start of an array input (days)
    start: pd.Timestamp | float
    clock: float | None  # clock resolution in days, when known
    label: tuple[Any, Any]  # first and last event, for messages


def _from_table(events: pd.DataFrame, time: str, start: Any, end: Any, resolution: Any) -> _Raw:
    ts = _timestamps_from_table(events, time).sort_values()
    first, last = ts.iloc[0], ts.iloc[-1]
    start_ts = _as_timestamp(start, "start") if start is not None else first
    end_ts = _as_timestamp(end, "end") if end is not None else None
    unit = _clock_resolution(ts)
    clock = None if unit is None else unit / _DAY
    if isinstance(resolution, str | pd.Timedelta):
        clock = pd.Timedelta(resolution) / _DAY
    elif resolution is not None:
        raise FlashpointTypeError(
            f"resolution must be a time span such as '1min' for an events table; got {resolution!r}"
        )
    return _Raw(
        days=_days_since(ts, start_ts),
        end_days=None if end_ts is None else (end_ts - start_ts) / _DAY,
        origin=start_ts,
        s0=0.0,
        start=start_ts,
        clock=clock,
        label=(first, last),
    )


def _from_array(events: Any, start: Any, end: Any, resolution: Any) -> _Raw:
    if isinstance(events, pd.Series | pd.Index):
        events = events.to_numpy()
    if isinstance(events, str | bytes) or not isinstance(events, Sequence | np.ndarray):
        raise FlashpointTypeError(
            "events must be an event table (DataFrame with exact times) or a 1-D array "
            f"of event times in days; got {type(events).__name__}"
        )
    try:
        arr = np.asarray(events, dtype=float)
    except (TypeError, ValueError) as err:
        raise FlashpointTypeError(
            f"event times must be numbers (days); could not convert them: {err}"
        ) from err
    if arr.ndim != 1:
        raise FlashpointValueError(
            f"event times must be a 1-D array of days; got an array of shape {arr.shape}"
        )
    if arr.size and not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr))[:5].tolist()
        raise FlashpointValueError(
            f"event times must be finite numbers; positions {bad} are NaN or infinite"
        )
    for name, value in (("start", start), ("end", end)):
        if value is not None and not isinstance(value, int | float | np.number):
            raise FlashpointTypeError(
                f"{name} must be a number of days when events is an array; got {value!r}"
            )
    if isinstance(resolution, bool) or not (
        resolution is None or isinstance(resolution, int | float)
    ):
        raise FlashpointTypeError(
            f"resolution must be a number of days when events is an array; got {resolution!r}"
        )
    if arr.size > 1 and not bool(np.all(arr[1:] >= arr[:-1])):  # most inputs come sorted
        arr = np.sort(arr)
    s0 = float(start) if start is not None else (float(arr[0]) if arr.size else 0.0)
    return _Raw(
        days=arr - s0,
        end_days=None if end is None else float(end) - s0,
        origin=None,
        s0=s0,
        start=s0,
        clock=None if resolution is None else float(resolution),
        label=(arr[0], arr[-1]) if arr.size else (None, None),
    )


def _check_window(raw: _Raw, start: Any, end: Any) -> None:
    days, end_days, label = raw.days, raw.end_days, raw.label
    n = days.size
    if n < MIN_EVENTS:
        raise FlashpointValueError(
            f"fit_hawkes_times needs at least {MIN_EVENTS} events to estimate its three "
            f"parameters; got {n}. Pool groups or lengthen the window"
        )
    if end_days is not None and end_days <= 0:
        raise FlashpointValueError(f"end must be after start; got start={start!r}, end={end!r}")
    if end_days is None and days[-1] <= 0:
        raise FlashpointValueError(
            f"all {n} events are at the same time ({label[0]}) and no end was given: the "
            "observation window is empty; pass start and end"
        )
    if days[0] < 0 or (end_days is not None and days[-1] > end_days):
        outside = int(np.sum(days < 0)) + (0 if end_days is None else int(np.sum(days > end_days)))
        raise FlashpointValueError(
            f"{outside} of {n} events lie outside the observation window [start, end] = "
            f"[{raw.start if start is not None else 'first event'}, "
            f"{end if end is not None else 'last event'}] (events span {label[0]} .. "
            f"{label[1]}); filter the events to the window or widen start/end"
        )


def _handle_ties(raw: _Raw, ties: str) -> tuple[np.ndarray, int, float | None]:
    """Tied times: raise, keep, or spread them (with a warning); returns days, count, r."""
    days, end_days = raw.days, raw.end_days
    n = days.size
    distinct = np.diff(days) > 0
    n_ties = int(n - 1 - np.count_nonzero(distinct))
    if not n_ties or ties == "keep":
        return days, n_ties, None
    if ties == "raise":
        raise FlashpointValueError(
            f"{n_ties} events share their time with an earlier event; a Hawkes process "
            "has distinct event times. Use ties='spread' (spread tied events over the "
            "clock resolution) or ties='keep'"
        )
    positive = np.diff(days)[distinct]
    min_gap = float(positive.min()) if positive.size else math.inf
    res_days = raw.clock if raw.clock is not None else min_gap
    if not math.isfinite(res_days):
        res_days = 1.0 if end_days is None else float(end_days - days[0])
    warn(
        f"{n_ties} of {n} events share their time with an earlier event; they were "
        f"spread evenly over at most {res_days * 86400:.6g} s after the shared time "
        "(before it at the end of the window; ties='spread'). Pass ties='keep' to "
        "keep them tied",
        DataQualityWarning,
    )
    return _spread_ties(days, res_days, end_days), n_ties, res_days


def _prepare_times(
    events: pd.DataFrame | np.ndarray | Sequence[float],
    *,
    time: str,
    start: Any,
    end: Any,
    ties: str,
    resolution: Any,
) -> _Times:
    """Check the events and the window; return sorted days since the start, ties handled."""
    if isinstance(events, pd.Series) and pd.api.types.is_datetime64_any_dtype(events):
        events = events.to_frame(name=time)  # a column of timestamps
    if isinstance(events, pd.DataFrame):
        raw = _from_table(events, time, start, end, resolution)
    else:
        raw = _from_array(events, start, end, resolution)
    _check_window(raw, start, end)
    days, n_ties, res_days = _handle_ties(raw, ties)
    end_days = float(days[-1]) if raw.end_days is None else raw.end_days
    end_value: pd.Timestamp | float = (
        raw.s0 + end_days if raw.origin is None else raw.origin + pd.Timedelta(days=end_days)
    )
    return _Times(
        days=days,
        window=float(end_days),
        start=raw.start,
        end=end_value,
        origin=raw.origin,
        n_ties=n_ties,
        ties=ties,
        resolution_days=res_days,
    )
