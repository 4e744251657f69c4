"""Adapters that read external event tables into the flashpoint event schema.

:func:`read_events` reads any CSV or Parquet table given a column mapping. Each adapter
returns validated events (:class:`~flashpoint.schemas.EventSchema`).
"""

from __future__ import annotations

from flashpoint.sources.generic import read_events

__all__ = ["read_events"]
