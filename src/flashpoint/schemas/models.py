"""pandera DataFrameModels: the documented shape of each table, and the quarantine result."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from flashpoint.schemas._quarantine import Quarantine
from flashpoint.schemas.columns import BASES, QUALIFIERS, WEAPONS

__all__ = ["CountsSchema", "EventSchema", "KeyEventSchema", "Quarantine", "TallySchema"]


# --------------------------------------------------------------------------------------------
# DataFrameModels: the documented shape of each table
# --------------------------------------------------------------------------------------------
class EventSchema(pa.DataFrameModel):
    """One row per event.

    Required: ``date`` and a group column (``country`` by default; any column name can be the
    group, see :func:`validate_events`). Every other column is optional; when present it must
    have the type and values below. Extra columns are kept untouched.
    """

    date: Series[pa.DateTime] = pa.Field(nullable=False)
    country: Series[Any] = pa.Field(nullable=False)
    timestamp: Series[pa.DateTime] | None = pa.Field(nullable=True)
    event_id: Series[Any] | None = pa.Field(nullable=True)
    site: Series[Any] | None = pa.Field(nullable=True)
    weapon: Series[Any] | None = pa.Field(nullable=True, isin=list(WEAPONS))
    actor: Series[Any] | None = pa.Field(nullable=True)
    basis: Series[Any] | None = pa.Field(nullable=True, isin=list(BASES))
    fatalities: Series[pd.Int64Dtype] | None = pa.Field(nullable=True, ge=0)
    wounded: Series[pd.Int64Dtype] | None = pa.Field(nullable=True, ge=0)
    latitude: Series[float] | None = pa.Field(
        nullable=True, in_range={"min_value": -90, "max_value": 90}
    )
    longitude: Series[float] | None = pa.Field(
        nullable=True, in_range={"min_value": -180, "max_value": 180}
    )
    source: Series[Any] | None = pa.Field(nullable=True)
    notes: Series[Any] | None = pa.Field(nullable=True)

    class Config:
        """Keep extra columns."""

        strict = False


class CountsSchema(pa.DataFrameModel):
    """Regular counts: one row per date and group, zero-filled.

    ``(date, group)`` is unique and every group has a complete, gap-free calendar at the
    series frequency (daily unless stated otherwise).
    """

    date: Series[pa.DateTime] = pa.Field(nullable=False)
    country: Series[Any] = pa.Field(nullable=False)
    count: Series[np.int64] = pa.Field(nullable=False, ge=0)

    class Config:
        """Keep extra columns (for example ``days`` after resampling)."""

        strict = False


class KeyEventSchema(pa.DataFrameModel):
    """Interventions: events an analyst tests for an effect.

    ``end`` marks a period (a truce) and must not precede ``date``; ``group`` names the group
    the event applies to (missing: every group).
    """

    date: Series[pa.DateTime] = pa.Field(nullable=False)
    end: Series[pa.DateTime] | None = pa.Field(nullable=True)
    kind: Series[Any] = pa.Field(nullable=False)
    label: Series[Any] = pa.Field(nullable=False)
    group: Series[Any] | None = pa.Field(nullable=True)

    class Config:
        """Keep extra columns."""

        strict = False


class TallySchema(pa.DataFrameModel):
    """Cumulative counts reported by a speaker as of a date.

    ``total`` and the per-group columns (for example ``iraq``, ``syria``) are cumulative
    counts since the start of the count. ``as_of_date`` may be missing (an undated figure):
    such rows are kept and reported, never silently used.
    """

    as_of_date: Series[pa.DateTime] = pa.Field(nullable=True)
    statement_date: Series[pa.DateTime] | None = pa.Field(nullable=True)
    total: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    qualifier: Series[Any] = pa.Field(nullable=False, isin=list(QUALIFIERS))
    official: Series[bool] = pa.Field(nullable=False)

    class Config:
        """Keep extra columns."""

        strict = False


# --------------------------------------------------------------------------------------------
# Results of validation
# --------------------------------------------------------------------------------------------
