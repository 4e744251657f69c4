"""Column names and declared value sets: the only place they are spelled out.

Renaming a constant's value is a breaking change.
"""

from __future__ import annotations

import pandas as pd

# --------------------------------------------------------------------------------------------
# Column names (the only place they are spelled out)
# --------------------------------------------------------------------------------------------
DATE = "date"
"""Calendar date of an event or a count (tz-naive ``datetime64``, midnight)."""
TIMESTAMP = "timestamp"
"""Exact time of an event when known (tz-naive ``datetime64``)."""
COUNTRY = "country"
"""Default group column."""
GROUP = "group"
"""Group a key event applies to (missing: all groups)."""
COUNT = "count"
EVENT_ID = "event_id"
SITE = "site"
WEAPON = "weapon"
ACTOR = "actor"
BASIS = "basis"
FATALITIES = "fatalities"
WOUNDED = "wounded"
SOURCE = "source"
NOTES = "notes"
LATITUDE = "latitude"
LONGITUDE = "longitude"
END = "end"
KIND = "kind"
LABEL = "label"
AS_OF_DATE = "as_of_date"
STATEMENT_DATE = "statement_date"
TOTAL = "total"
QUALIFIER = "qualifier"
OFFICIAL = "official"
REASON = "reason"

BASES: tuple[str, ...] = ("official", "monitor", "media", "claim")
"""Evidence levels of an event row, strongest first."""
WEAPONS: tuple[str, ...] = (
    "drone",
    "rocket",
    "ballistic_missile",
    "cruise_missile",
    "drone+rocket",
    "mortar",
    "ied",
    "small_arms",
    "artillery",
    "other",
    "unknown",
)
"""Declared weapon categories."""
QUALIFIERS: tuple[str, ...] = ("exact", "about", "at_least")
"""How a cumulative tally is qualified: an exact figure, an approximate one, or a lower bound."""

EARLIEST_DATE = pd.Timestamp("1900-01-01")
"""Default bound of plausible event dates: they lie *after* this day, which is itself refused
(1900-01-01 is the spreadsheet placeholder for an unknown date). ``min_date=`` overrides it."""
