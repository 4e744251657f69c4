"""Column names added by the count transforms, and how a counts table's group column is found."""

from __future__ import annotations

import pandas as pd

from flashpoint.errors import FlashpointTypeError, FlashpointValueError
from flashpoint.schemas import COUNT, DATE

__all__ = ["CUMULATIVE", "DAYS", "ROLLING_MEAN", "group_column"]

DAYS = "days"
"""Number of days a resampled period covers (partial periods at the edges have fewer)."""
CUMULATIVE = "cumulative"
"""Running total of ``count`` per group."""
ROLLING_MEAN = "rolling_mean"
"""Trailing mean of ``count`` over a window of periods."""

_DERIVED = {DATE, COUNT, DAYS, CUMULATIVE, ROLLING_MEAN}


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
