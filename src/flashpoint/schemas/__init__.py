"""Table schemas, column-name constants and validation.

Every table that crosses a flashpoint boundary has a pandera ``DataFrameModel`` here:

- :class:`EventSchema`: one row per event (``date`` plus a group column, default ``country``);
- :class:`CountsSchema`: regular, zero-filled counts (``date``, group, ``count``);
- :class:`KeyEventSchema`: interventions an analyst tests for an effect (strikes, truces);
- :class:`TallySchema`: cumulative counts reported by officials or other counters.

The models document the columns; the ``validate_*`` functions build the concrete schema for a
given group column and run it lazily, so that one error lists every failure. Column names are
constants of this module (``fp.schemas.DATE``, ...): renaming one is a breaking change.

Validation converts columns to their documented dtypes (ISO 8601 strings to ``datetime64``,
integer-valued strings to ``Int64``, ...) in two steps: first a per-row conversion that
records every value it cannot convert, then the pandera checks (missing values, declared
categories, ranges, uniqueness, calendar completeness). Failures of both steps are reported
together.
"""

from flashpoint.schemas._quarantine import Quarantine
from flashpoint.schemas.columns import (
    ACTOR,
    AS_OF_DATE,
    BASES,
    BASIS,
    COUNT,
    COUNTRY,
    DATE,
    EARLIEST_DATE,
    END,
    EVENT_ID,
    FATALITIES,
    GROUP,
    KIND,
    LABEL,
    LATITUDE,
    LONGITUDE,
    NOTES,
    OFFICIAL,
    QUALIFIER,
    QUALIFIERS,
    REASON,
    SITE,
    SOURCE,
    STATEMENT_DATE,
    TIMESTAMP,
    TOTAL,
    WEAPON,
    WEAPONS,
    WOUNDED,
)
from flashpoint.schemas.validate import (
    validate_counts,
    validate_events,
    validate_key_events,
    validate_tallies,
)

__all__ = [
    "ACTOR",
    "AS_OF_DATE",
    "BASES",
    "BASIS",
    "COUNT",
    "COUNTRY",
    "DATE",
    "EARLIEST_DATE",
    "END",
    "EVENT_ID",
    "FATALITIES",
    "GROUP",
    "KIND",
    "LABEL",
    "LATITUDE",
    "LONGITUDE",
    "NOTES",
    "OFFICIAL",
    "QUALIFIER",
    "QUALIFIERS",
    "REASON",
    "SITE",
    "SOURCE",
    "STATEMENT_DATE",
    "TIMESTAMP",
    "TOTAL",
    "WEAPON",
    "WEAPONS",
    "WOUNDED",
    "CountsSchema",
    "EventSchema",
    "KeyEventSchema",
    "Quarantine",
    "TallySchema",
    "validate_counts",
    "validate_events",
    "validate_key_events",
    "validate_tallies",
]


_MODELS = ("CountsSchema", "EventSchema", "KeyEventSchema", "TallySchema")


def __getattr__(name: str) -> object:
    """Return a pandera model, imported on first use (pandera is slow to import)."""
    if name in _MODELS:
        from flashpoint.schemas import models

        return getattr(models, name)
    raise AttributeError(f"module 'flashpoint.schemas' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
