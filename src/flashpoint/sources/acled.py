"""ACLED exports -> the flashpoint event schema.

ACLED (Armed Conflict Location & Event Data) publishes one row per event, dated to the day,
including events without fatalities. :func:`read_acled` maps its documented export columns to
the event schema and keeps the ACLED-specific ones.

"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from os import PathLike
from typing import Any, Literal, overload

import pandas as pd

from flashpoint._deprecate import renamed
from flashpoint.errors import (
    FlashpointValueError,
)
from flashpoint.schemas import (
    ACTOR,
    COUNTRY,
    DATE,
    EVENT_ID,
    SITE,
    Quarantine,
)
from flashpoint.schemas._dates import TzArg, localize, parse_text_dates
from flashpoint.sources._common import (
    OnError,
    _apply_filters,
    _date_problems,
    _filter_values,
    _finish,
    _load,
    _numbers,
    _Problem,
    _reader_arguments,
    _require,
    _warn,
)

__all__ = ["ACLED_COLUMNS", "read_acled"]

ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)
"""Columns of an ACLED export (API and Data Export Tool, 2023-), in file order."""

_RENAMES: dict[str, str] = {
    "event_date": DATE,
    "event_id_cnty": EVENT_ID,
    "location": SITE,
    "actor1": ACTOR,
    # ACLED's ``timestamp`` is the upload time (Unix seconds), not the time of the event: it
    # must not land in the schema's ``timestamp`` column.
    "timestamp": "upload_timestamp",
}
_ACTOR_COLUMNS = ("actor1", "actor2", "assoc_actor_1", "assoc_actor_2")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DATE_STYLES = ("%Y-%m-%d", "%d %B %Y")


@overload
def read_acled(
    path_or_frame: str | PathLike[str] | pd.DataFrame,
    *,
    event_types: str | Iterable[str] | None = ...,
    sub_event_types: str | Iterable[str] | None = ...,
    actors: str | Iterable[str] | None = ...,
    actor_columns: Sequence[str] = ...,
    countries: str | Iterable[str] | None = ...,
    by: str = ...,
    on_error: Literal["raise"] = ...,
    tz: TzArg = ...,
    **deprecated: Any,
) -> pd.DataFrame: ...


@overload
def read_acled(
    path_or_frame: str | PathLike[str] | pd.DataFrame,
    *,
    event_types: str | Iterable[str] | None = ...,
    sub_event_types: str | Iterable[str] | None = ...,
    actors: str | Iterable[str] | None = ...,
    actor_columns: Sequence[str] = ...,
    countries: str | Iterable[str] | None = ...,
    by: str = ...,
    on_error: Literal["quarantine"],
    tz: TzArg = ...,
    **deprecated: Any,
) -> Quarantine: ...


def read_acled(
    path_or_frame: str | PathLike[str] | pd.DataFrame,
    *,
    event_types: str | Iterable[str] | None = None,
    sub_event_types: str | Iterable[str] | None = None,
    actors: str | Iterable[str] | None = None,
    actor_columns: Sequence[str] = _ACTOR_COLUMNS,
    countries: str | Iterable[str] | None = None,
    by: str = COUNTRY,
    on_error: OnError = "raise",
    tz: TzArg = None,
    **deprecated: Any,
) -> pd.DataFrame | Quarantine:
    """Read an ACLED export (CSV file or DataFrame) into the event schema.

    Parameters
    ----------
    path_or_frame
        An ACLED export as CSV (also ``.csv.gz``) or Parquet, or a DataFrame with ACLED's
        column names (for example from the ACLED API). Only ``event_date`` and ``country``
        (or the ``group`` column) are required; the other documented columns
        (:data:`ACLED_COLUMNS`) are mapped or kept when present, so older exports (with
        ``data_id``, ``iso3``, without ``disorder_type``) read too.
    event_types, sub_event_types
        Keep rows whose ``event_type`` / ``sub_event_type`` is one of these, for example
        ``event_types=["Explosions/Remote violence"]``. ``None``: no filter.
    actors
        Keep rows where one of ``actor_columns`` names one of these actors (an
        ``assoc_actor_*`` cell may list several, separated by ``;``).
    actor_columns
        The ACLED columns ``actors`` looks in. Default: ``actor1``, ``actor2``,
        ``assoc_actor_1``, ``assoc_actor_2``. ACLED's actor order carries no direction in
        general, but for remote violence ``actor2`` is the target, so
        ``actor_columns=["actor2"]`` selects attacks *on* an actor.
    countries
        Keep rows whose ``country`` is one of these (ACLED country names, e.g. ``"Iraq"``).
    by
        The column that becomes the group column (kept under its own name, for
        ``fp.count_daily(events, by=by)``), e.g. ``"admin1"`` or ``"event_type"``.
        (``group=`` is the old, deprecated name.)
    on_error
        ``"raise"`` (default): raise one error listing every malformed row.
        ``"quarantine"``: return the valid rows and the rejected rows with a reason each.
    tz
        Time zone whose calendar days count, by the rule of
        :func:`flashpoint.validate_events` (ACLED dates are local days; this matters only
        for a DataFrame whose ``event_date`` holds times with a UTC offset).

    Returns
    -------
    pandas.DataFrame or Quarantine
        One row per event, the index being the row's position in the file (0 = first data
        row), in the file's column order with these columns mapped:

        - ``date`` (``datetime64``, from ``event_date``);
        - ``event_id`` (from ``event_id_cnty``);
        - ``site`` (from ``location``), ``actor`` (from ``actor1``);
        - ``fatalities`` (``Int64``, reported deaths), ``latitude``, ``longitude``
          (``float64``, degrees), ``source``, ``notes``: same names in ACLED;
        - ``upload_timestamp`` (from ACLED's ``timestamp``: Unix seconds of the upload, as
          in the file; not the time of the event);
        - every other column as in the file (``time_precision``, ``event_type``,
          ``sub_event_type``, ``actor2``, ``inter1``, ``geo_precision``, ...).

        With ``on_error="quarantine"``: ``(valid, rejected)``, where ``rejected`` holds the
        rejected rows as read (mapped names) plus a ``reason`` column.

    Raises
    ------
    FileNotFoundError, FileFormatError
        When the file is missing or not a readable CSV/Parquet file.
    FlashpointValueError
        When required columns are missing, a filter is empty or matches no row.
    SchemaValidationError
        With ``on_error="raise"``, when any row is malformed (every failure is listed).

    Warns
    -----
    DataQualityWarning
        When events have ``time_precision`` 2 or 3 (date known to the week or month only).

    See Also
    --------
    flashpoint.read_events : any CSV/Parquet table with a column mapping.
    flashpoint.count_daily : daily counts of the returned events.

    Notes
    -----
    Filters are exact matches (after trimming spaces) and are applied before validation, so
    only the selected rows are validated; a filter that matches no row raises an error
    listing the values present.

    ACLED has shipped two date styles in ``event_date``: ISO ``2023-11-21`` (the API and
    current exports) and ``21 November 2023`` (the Data Export Tool until 2023). Each row is
    parsed with whichever style it matches; a row matching neither is rejected with the
    reason "matches neither ACLED date style". ``time_precision`` is 1 when the sources give
    the day, 2 for a week and 3 for a month; ACLED then codes a day inside that period, so
    such rows add noise to daily counts (the reader warns and keeps them: filter on
    ``time_precision == 1`` to drop them). A count of these events is a count of reported
    events, fatal or not; ``fatalities`` is ACLED's conservative estimate.

    References: Raleigh, C., Linke, A., Hegre, H. and Karlsen, J. (2010). Introducing ACLED:
    An Armed Conflict Location and Event Dataset. *Journal of Peace Research* 47(5),
    651-660; ACLED Codebook (2023 and later editions), acleddata.com.

    Examples
    --------
    >>> import pandas as pd
    >>> from flashpoint.sources.acled import read_acled
    >>> raw = pd.DataFrame({
    ...     "event_id_cnty": ["IRQ1", "SYR1", "SYR2"],
    ...     "event_date": ["2023-11-21", "22 November 2023", "2023-11-22"],
    ...     "event_type": ["Explosions/Remote violence"] * 2 + ["Protests"],
    ...     "country": ["Iraq", "Syria", "Syria"], "fatalities": ["0", "1", "0"]})
    >>> ev = read_acled(raw, event_types="Explosions/Remote violence")
    >>> ev[["date", "country", "event_id", "fatalities"]]
            date country event_id  fatalities
    0 2023-11-21    Iraq     IRQ1           0
    1 2023-11-22   Syria     SYR1           1
    """
    group = renamed(
        deprecated, old="group", new="by", value=by, default=COUNTRY, where="read_acled"
    )
    tz, actor_columns = _reader_arguments(on_error, group, tz, actor_columns)
    table, origin = _load(path_or_frame, "read_acled")
    _require(table, ["event_date", group], origin, "ACLED")
    table = _apply_filters(
        table,
        [
            ("countries", ["country"], _filter_values("countries", countries)),
            ("event_types", ["event_type"], _filter_values("event_types", event_types)),
            (
                "sub_event_types",
                ["sub_event_type"],
                _filter_values("sub_event_types", sub_event_types),
            ),
            ("actors", list(actor_columns), _filter_values("actors", actors)),
        ],
        origin,
        "ACLED",
    )
    clashes = [v for k, v in _RENAMES.items() if k in table.columns and v in table.columns]
    if clashes:
        raise FlashpointValueError(
            f"{origin} already has column(s) {clashes}, which read_acled creates from ACLED's "
            f"columns ({', '.join(f'{k} -> {v}' for k, v in _RENAMES.items())}); drop them first"
        )
    raw = table.rename(columns=_RENAMES)
    table = raw.copy()
    group = _RENAMES.get(group, group)
    problems: list[_Problem] = []
    table[DATE] = _acled_dates(raw[DATE], problems, tz)
    if "time_precision" in table.columns:
        precision = _numbers(table, "time_precision", problems, integer=True)
        table["time_precision"] = precision
        ok = ~table.index.isin([p.label for p in problems])
        coarse = int((precision[ok] > 1).sum())
        if coarse:
            _warn(
                f"{coarse} of {int(ok.sum())} ACLED events have time_precision 2 or 3: their "
                "sources give only the week or the month, and ACLED coded a day inside it. "
                "They are kept; use events[events['time_precision'] == 1] for exact dates"
            )
    return _finish(table, raw, problems, by=group, on_error=on_error, what="ACLED export", tz=tz)


def _acled_dates(raw: pd.Series, problems: list[_Problem], tz: Any) -> pd.Series:
    """Parse ``event_date`` row by row in either ACLED style; record rows matching neither."""
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return localize(raw, tz).dt.floor("D")
    if pd.api.types.is_datetime64_dtype(raw.dtype):  # already parsed (e.g. by the caller)
        return raw
    text = raw.astype("string").str.strip()
    iso = text.str.match(_ISO_DATE).fillna(False).to_numpy(dtype=bool)
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    if iso.any():  # ISO 8601, also with a time and a UTC offset (the time-zone rule)
        parsed[iso] = parse_text_dates(text[iso].astype(object), tz).dt.floor("D")
    if (~iso).any():
        parsed[~iso] = pd.to_datetime(text[~iso], format=_DATE_STYLES[1], errors="coerce")
    _date_problems(
        raw,
        text,
        parsed,
        problems,
        column="event_date",
        expected="matches neither ACLED date style ('2023-11-21' or '21 November 2023')",
        check="acled_date",
        required=False,
    )
    # missing dates stay missing: schema validation reports them
    return parsed
