"""Pure transforms from events to regular count series.

``count_daily`` turns an event table into tidy, zero-filled daily counts per group; the other
functions reshape counts (``to_wide``, ``resample``, ``cumulative``) or set them against
cumulative tallies (``tally_intervals``, ``reconcile_tallies``). Every function conserves
events: the counts always sum to the number of events in the window.

A counts table has the columns ``date``, at most one group column (``country`` by default,
any name is allowed) and ``count``; functions that take counts find the group column by
elimination, or take it as ``by=``.

Modules: ``_columns``, ``_daily`` (:func:`count_daily`), ``_reshape``, ``_tallies`` and
``calendar`` (day numbers and zero-filling, shared with :mod:`flashpoint.scale`).
``TALLY_GROUP`` is importable from here but not in ``__all__``.
"""

from __future__ import annotations

from flashpoint.counts._columns import CUMULATIVE, DAYS, ROLLING_MEAN, group_column
from flashpoint.counts._daily import count_daily
from flashpoint.counts._reshape import cumulative, resample, rolling_mean, to_wide
from flashpoint.counts._tallies import TALLY_GROUP as TALLY_GROUP
from flashpoint.counts._tallies import (
    match_tally_groups,
    reconcile_tallies,
    tally_group_name,
    tally_intervals,
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
