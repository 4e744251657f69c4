"""Adapters that read external event tables into the flashpoint event schema.

:func:`read_events` reads any CSV or Parquet table given a column mapping; :func:`read_acled`,
:func:`read_ucdp_ged` and :func:`read_gdelt_events` read the documented exports of ACLED,
UCDP GED and GDELT 2.0. Each returns validated events
(:class:`~flashpoint.schemas.EventSchema`).
"""

from __future__ import annotations

from flashpoint.sources.acled import read_acled
from flashpoint.sources.gdelt import read_gdelt_events
from flashpoint.sources.generic import read_events
from flashpoint.sources.ucdp import read_ucdp_ged

__all__ = ["read_acled", "read_events", "read_gdelt_events", "read_ucdp_ged"]
