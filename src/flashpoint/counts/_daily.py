"""Events -> tidy, zero-filled daily counts per group (:func:`count_daily`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from flashpoint.counts.calendar import zero_fill
from flashpoint.errors import FlashpointTypeError, FlashpointValueError
from flashpoint.schemas import COUNTRY, DATE, validate_events

__all__ = ["count_daily"]


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
    values = events[by] if by is not None else None
    return zero_fill(day, values, by=by, start=start, end=end, groups=groups)
