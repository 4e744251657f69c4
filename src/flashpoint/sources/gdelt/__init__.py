"""GDELT 2.0 event files -> the flashpoint event schema.

GDELT codes news reports into CAMEO events every 15 minutes. Its event files
(``YYYYMMDDHHMMSS.export.CSV.zip``) are tab-separated, without a header, with the 61 columns
of the GDELT 2.0 Event Codebook (:data:`GDELT_EVENT_COLUMNS`). :func:`read_gdelt_events`
reads one or several of them (or a DataFrame with those column names, e.g. from BigQuery),
filters by CAMEO root code, and names countries from the FIPS 10-4 codes GDELT uses.

Modules: ``_tables`` (columns, CAMEO root codes, FIPS country names), ``_files`` (reading the
files) and ``_read`` (:func:`read_gdelt_events`).
"""

from __future__ import annotations

from flashpoint.sources.gdelt._read import read_gdelt_events
from flashpoint.sources.gdelt._tables import (
    CAMEO_ROOT_CODES,
    FIPS_COUNTRY_NAMES,
    GDELT_EVENT_COLUMNS,
)

__all__ = ["CAMEO_ROOT_CODES", "FIPS_COUNTRY_NAMES", "GDELT_EVENT_COLUMNS", "read_gdelt_events"]
