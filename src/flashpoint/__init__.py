"""flashpoint: conflict-event time series.

Validated event tables, zero-filled daily counts, count models of trend and event effects,
escalation dynamics, and interactive figures.

>>> import flashpoint as fp
>>> counts = fp.count_daily(fp.load_attacks(), by="country")
>>> int(counts["count"].sum())
180
"""

from __future__ import annotations

from flashpoint import counts, datasets, errors, schemas, sources
from flashpoint.counts import (
    count_daily,
    cumulative,
    reconcile_tallies,
    resample,
    tally_intervals,
    to_wide,
)
from flashpoint.datasets import load_attacks, load_iraq2006, load_key_events, load_tallies
from flashpoint.errors import FlashpointError, FlashpointWarning, SchemaValidationError
from flashpoint.schemas import (
    Quarantine,
    validate_counts,
    validate_events,
    validate_key_events,
    validate_tallies,
)
from flashpoint.sources import read_events

__version__ = "0.1.0"

__all__ = [
    "FlashpointError",
    "FlashpointWarning",
    "Quarantine",
    "SchemaValidationError",
    "__version__",
    "count_daily",
    "counts",
    "cumulative",
    "datasets",
    "errors",
    "load_attacks",
    "load_iraq2006",
    "load_key_events",
    "load_tallies",
    "read_events",
    "reconcile_tallies",
    "resample",
    "schemas",
    "sources",
    "tally_intervals",
    "to_wide",
    "validate_counts",
    "validate_events",
    "validate_key_events",
    "validate_tallies",
]
