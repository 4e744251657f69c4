"""Events -> tidy, zero-filled daily counts per group (:func:`count_daily`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from flashpoint.counts.calendar import zero_fill
from flashpoint.errors import (
    FlashpointTypeError,
    FlashpointValueError,
)
from flashpoint.schemas import COUNTRY, DATE, EARLIEST_DATE, validate_events
from flashpoint.schemas._dates import TzArg, check_tz, localize
from flashpoint.schemas._groups import check_group_name, key_columns, warn_near_duplicates

__all__ = ["count_daily"]


def _check_event_frame(events: pd.DataFrame, by: str | None, tz: Any) -> pd.DataFrame:
    """Light checks on an already-typed event table; full validation otherwise."""
    if not isinstance(events, pd.DataFrame):
        raise FlashpointTypeError(
            f"events must be a pandas DataFrame, got {type(events).__name__}; read files "
            "with fp.read_events(path, ...)"
        )
    check_group_name(by)
    needed = key_columns(DATE, by)
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
    if isinstance(dates.dtype, pd.DatetimeTZDtype):  # the time-zone rule, then light checks
        events = events.assign(**{DATE: localize(dates, check_tz(tz))})
        dates = events[DATE]
    elif not pd.api.types.is_datetime64_dtype(dates.dtype):
        # raw or unusual dates: run the full validation, which explains every failure
        return validate_events(events, by=by, tz=tz)
    if len(events) and dates.isna().any():
        rows = list(events.index[dates.isna().to_numpy()][:5])
        raise FlashpointValueError(
            f"events table has missing dates in '{DATE}' (rows {rows}); drop or fix them, or "
            "use fp.validate_events(..., on_error='quarantine') to set them aside"
        )
    _check_plausible(dates)
    if by is not None and len(events):
        nulls = events[by].isna().to_numpy()
        if nulls.any():
            rows = list(events.index[nulls][:5])
            raise FlashpointValueError(
                f"events table has missing values in group column '{by}' (rows {rows}); every "
                "event needs a group: fill them (e.g. 'unknown') or quarantine the rows with "
                "fp.validate_events(..., on_error='quarantine')"
            )
        warn_near_duplicates(
            events[by],
            by,
            fix="pass the events through fp.validate_events(events, normalize_labels=True)",
        )
    return events


def _check_plausible(dates: pd.Series) -> None:
    """Refuse typed dates on or before 1900-01-01 (placeholders, mistyped centuries).

    Dates after today are allowed here (simulated series may run past today); raw dates
    go through :func:`flashpoint.validate_events`, which refuses them unless
    ``max_date=`` allows them.
    """
    bad = (dates <= EARLIEST_DATE).to_numpy()
    if bad.any():
        rows = ", ".join(
            f"row {label!r}: {pd.Timestamp(d).date()}"
            for label, d in zip(dates.index[bad][:5], dates[bad].iloc[:5], strict=True)
        )
        raise FlashpointValueError(
            f"events table has implausible dates in '{DATE}' ({int(bad.sum())} row(s): {rows}): "
            f"on or before {EARLIEST_DATE.date()}, the spreadsheet placeholder for an unknown "
            "date. Fix them, or run fp.validate_events(events, min_date=..., "
            "on_error='quarantine') to set them aside (min_date= also allows older events)"
        )


def count_daily(
    events: pd.DataFrame,
    *,
    by: str | None = COUNTRY,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    groups: Sequence[Any] | None = None,
    tz: TzArg = None,
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
    tz
        Time zone whose calendar days count, for dates with a UTC offset or a
        timezone-aware ``date`` column. ``None`` (default): each event falls on its local
        date as written (the rule of :func:`flashpoint.validate_events`).

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
        On missing dates or groups, implausible dates (on or before 1900-01-01; raw dates
        are also refused after today, typed ones are not), an empty window, events of
        unlisted groups, or a few dates so far from the others that the calendar through
        them would be mostly empty (pass ``start=``/``end=`` to count a window instead).
    MemoryBudgetError
        When the zero-filled table would exceed the memory budget (checked before anything
        is allocated; see :mod:`flashpoint.limits`).

    Warns
    -----
    DataQualityWarning
        When group labels differ only in case or spaces (``"Iraq"``, ``"Iraq "``).

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
    events = _check_event_frame(events, by, tz)
    day = events[DATE].to_numpy().astype("datetime64[D]").view("int64")
    values = events[by] if by is not None else None
    return zero_fill(day, values, by=by, start=start, end=end, groups=groups)
