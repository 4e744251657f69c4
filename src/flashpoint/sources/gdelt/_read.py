"""GDELT 2.0 events -> the flashpoint event schema: :func:`read_gdelt_events`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any, Literal, overload

import pandas as pd

from flashpoint._deprecate import renamed
from flashpoint.errors import FlashpointTypeError, FlashpointValueError
from flashpoint.schemas import COUNTRY, DATE, Quarantine
from flashpoint.schemas._dates import TzArg, localize
from flashpoint.sources._common import (
    OnError,
    _apply_filters,
    _date_problems,
    _filter_values,
    _finish,
    _numbers,
    _Problem,
    _reader_arguments,
    _record,
    _refuse_created,
    _require,
    _warn,
)
from flashpoint.sources.gdelt._files import _named_frame, _read_files, _Source
from flashpoint.sources.gdelt._tables import (
    _FLOATS,
    _INTEGERS,
    _RENAMES,
    FIPS_COUNTRY_NAMES,
)

__all__ = ["read_gdelt_events"]


@overload
def read_gdelt_events(
    path_or_frame: _Source | Sequence[_Source] | pd.DataFrame,
    *,
    root_codes: int | str | Iterable[int | str] | None = ...,
    countries: str | Iterable[str] | None = ...,
    actors: str | Iterable[str] | None = ...,
    actor_columns: Sequence[str] = ...,
    date_column: Literal["SQLDATE", "DATEADDED"] = ...,
    country_names: Mapping[str, str] | None = ...,
    by: str = ...,
    on_error: Literal["raise"] = ...,
    tz: TzArg = ...,
    **deprecated: Any,
) -> pd.DataFrame: ...


@overload
def read_gdelt_events(
    path_or_frame: _Source | Sequence[_Source] | pd.DataFrame,
    *,
    root_codes: int | str | Iterable[int | str] | None = ...,
    countries: str | Iterable[str] | None = ...,
    actors: str | Iterable[str] | None = ...,
    actor_columns: Sequence[str] = ...,
    date_column: Literal["SQLDATE", "DATEADDED"] = ...,
    country_names: Mapping[str, str] | None = ...,
    by: str = ...,
    on_error: Literal["quarantine"],
    tz: TzArg = ...,
    **deprecated: Any,
) -> Quarantine: ...


def read_gdelt_events(
    path_or_frame: _Source | Sequence[_Source] | pd.DataFrame,
    *,
    root_codes: int | str | Iterable[int | str] | None = None,
    countries: str | Iterable[str] | None = None,
    actors: str | Iterable[str] | None = None,
    actor_columns: Sequence[str] = ("Actor1Code", "Actor2Code", "Actor1Name", "Actor2Name"),
    date_column: Literal["SQLDATE", "DATEADDED"] = "SQLDATE",
    country_names: Mapping[str, str] | None = None,
    by: str = COUNTRY,
    on_error: OnError = "raise",
    tz: TzArg = None,
    **deprecated: Any,
) -> pd.DataFrame | Quarantine:
    """Read GDELT 2.0 event files (or a DataFrame of GDELT events) into the event schema.

    Parameters
    ----------
    path_or_frame
        A GDELT 2.0 event file (``20231121150000.export.CSV``, also ``.zip``/``.gz``), a
        list of them, or a DataFrame with the GDELT column names (:data:`GDELT_EVENT_COLUMNS`,
        as in BigQuery; a frame with 61 unnamed columns is named positionally).
    root_codes
        Keep events whose CAMEO ``EventRootCode`` is one of these (ints or strings, ``18``
        or ``"18"``), e.g. ``[18, 19, 20]``: assault, fight, use unconventional mass
        violence. See :data:`CAMEO_ROOT_CODES`.
    countries
        Keep events whose action took place in one of these countries, by name (``"Iraq"``)
        or FIPS 10-4 code (``"IZ"``) of ``ActionGeo_CountryCode``.
    actors
        Keep events where one of ``actor_columns`` equals one of these CAMEO actor codes or
        names (e.g. ``"USAMIL"``, ``"UNITED STATES"``).
    actor_columns
        The GDELT columns ``actors`` looks in. Default: ``Actor1Code``, ``Actor2Code``,
        ``Actor1Name``, ``Actor2Name``; ``["Actor2Code"]`` selects actions *on* an actor.
    date_column
        ``"SQLDATE"`` (default): the date of the event as coded from the article;
        ``"DATEADDED"``: the UTC day GDELT first saw it (``date`` is then a UTC day).
    country_names
        Extra or overriding FIPS code -> name pairs for :data:`FIPS_COUNTRY_NAMES`.
    by
        The column that becomes the group column (default ``country``, the action's
        country name; e.g. ``"ActionGeo_ADM1Code"`` or ``"EventRootCode"``).
        (``group=`` is the old, deprecated name.)
    on_error
        ``"raise"`` (default) or ``"quarantine"`` (valid rows and rejected rows with a reason
        each), as in :func:`flashpoint.validate_events`.
    tz
        Time zone whose calendar days count, by the rule of
        :func:`flashpoint.validate_events`. ``DATEADDED`` is a UTC time: with
        ``date_column="DATEADDED"`` and ``tz="Asia/Baghdad"`` an event added at 22:30 UTC
        falls on the next Baghdad day (``DATEADDED`` itself is converted too). ``SQLDATE`` is
        a date without a time, so ``tz`` does not move it.

    Returns
    -------
    pandas.DataFrame or Quarantine
        One row per event record, the index its position among the records read (0-based,
        across files in the order given), with the GDELT columns (six renamed) plus:

        - ``date`` (``datetime64``): from ``SQLDATE`` (or ``DATEADDED``, see above);
        - ``country``: the name of ``ActionGeo_CountryCode`` (kept as the code when unknown);
        - ``event_id`` (from ``GLOBALEVENTID``), ``site`` (``ActionGeo_FullName``),
          ``latitude``/``longitude`` (``ActionGeo_Lat``/``_Long``, degrees), ``actor``
          (``Actor1Name``), ``source`` (``SOURCEURL``);
        - ``DATEADDED`` as ``datetime64`` (UTC, tz-naive); ``EventRootCode`` as two-digit
          strings; counts (``NumMentions``, ...), ``QuadClass``, ``*Geo_Type`` as ``Int64``;
          ``GoldsteinScale``, ``AvgTone``, other coordinates as ``float64``.

        With ``on_error="quarantine"``: ``(valid, rejected)``, ``rejected`` holding the
        records as read with a ``reason``.

    Raises
    ------
    FileNotFoundError
        When a file does not exist.
    FileFormatError
        When a file is not a GDELT 2.0 event file (no line has 61 tab-separated fields; a
        GDELT 1.0, Mentions or GKG file is named as such) or is not UTF-8 text.
    FlashpointValueError
        On an unknown root code or date column, missing columns, or a filter that matches
        nothing.
    SchemaValidationError
        With ``on_error="raise"``, when any record is malformed: a wrong number of fields,
        ``SQLDATE`` not ``YYYYMMDD``, ``DATEADDED`` not ``YYYYMMDDHHMMSS``, non-numeric
        counts or coordinates, no ``ActionGeo_CountryCode``, a duplicate ``GLOBALEVENTID``.

    Warns
    -----
    DataQualityWarning
        When ``ActionGeo_CountryCode`` holds codes without a name (they are kept as codes).

    See Also
    --------
    flashpoint.count_daily : daily counts of the returned events.
    flashpoint.scale.count_daily_duckdb : count very large event files out of core.

    Notes
    -----
    Filters are exact matches applied before validation. Lines with a wrong number of fields
    are always reported (never filtered out), as their fields cannot be trusted.

    GDELT events are machine-coded from news: one real event may yield several records
    (different articles, actors or locations), and volume follows news coverage. Counts are
    counts of *records*, a proxy whose level is not comparable with ACLED or UCDP GED; use
    them for relative changes. ``IsRootEvent == 1`` or ``NumSources`` thresholds reduce
    noise. ``ActionGeo_CountryCode`` is blank when GDELT could not place the action: such
    records are rejected (no country), not guessed.

    References: Leetaru, K. and Schrodt, P. A. (2013). GDELT: Global Data on Events,
    Location and Tone, 1979-2012. ISA Annual Convention; The GDELT Event Database Data
    Format Codebook V2.0 (2015); Schrodt, P. A. (2012). CAMEO Conflict and Mediation Event
    Observations Event and Actor Codebook, version 1.1b3.

    Examples
    --------
    >>> import pandas as pd
    >>> from flashpoint.sources.gdelt import GDELT_EVENT_COLUMNS, read_gdelt_events
    >>> rec = dict.fromkeys(GDELT_EVENT_COLUMNS, "")
    >>> rows = [rec | {"GLOBALEVENTID": "1", "SQLDATE": "20231121", "EventRootCode": "19",
    ...                "ActionGeo_CountryCode": "IZ", "DATEADDED": "20231121150000"},
    ...         rec | {"GLOBALEVENTID": "2", "SQLDATE": "20231121", "EventRootCode": "04",
    ...                "ActionGeo_CountryCode": "SY", "DATEADDED": "20231121150000"}]
    >>> ev = read_gdelt_events(pd.DataFrame(rows), root_codes=[18, 19, 20])
    >>> ev[["date", "country", "event_id", "EventRootCode"]]
            date country event_id EventRootCode
    0 2023-11-21    Iraq        1            19
    """
    group = renamed(
        deprecated, old="group", new="by", value=by, default=COUNTRY, where="read_gdelt_events"
    )
    tz, actor_columns = _reader_arguments(on_error, group, tz, actor_columns)
    if date_column not in ("SQLDATE", "DATEADDED"):
        raise FlashpointValueError(
            f"date_column must be 'SQLDATE' (event date) or 'DATEADDED' (UTC day first seen); "
            f"got {date_column!r}"
        )
    roots = None if root_codes is None else [_root_code(v) for v in _iter_codes(root_codes)]
    problems: list[_Problem] = []
    table, origin = _load_gdelt(path_or_frame, problems)
    _require(table, ["GLOBALEVENTID", date_column, "ActionGeo_CountryCode"], origin, "GDELT 2.0")
    names = {**FIPS_COUNTRY_NAMES, **{k.upper(): v for k, v in (country_names or {}).items()}}
    code = table["ActionGeo_CountryCode"].astype("string").str.strip().str.upper()
    code = code.mask(code == "")
    _refuse_created(table, (DATE, COUNTRY, *_RENAMES.values()), origin, "read_gdelt_events")
    table.insert(0, COUNTRY, code.map(names).fillna(code))
    if "EventRootCode" in table.columns:
        table["EventRootCode"] = _normalise_roots(table["EventRootCode"])
    malformed = table.index.isin([p.label for p in problems])
    selected = _apply_filters(
        table[~malformed],
        [
            ("root_codes", ["EventRootCode"], roots),
            ("countries", ["ActionGeo_CountryCode", COUNTRY], _country_values(countries)),
            ("actors", list(actor_columns), _filter_values("actors", actors)),
        ],
        origin,
        "GDELT 2.0",
    )
    table = pd.concat([selected, table[malformed]]).sort_index(kind="stable")
    raw = table.rename(columns=_RENAMES)
    group = _RENAMES.get(group, group)
    table = _gdelt_values(raw, problems, date_column=date_column, tz=tz)
    _keep_field_count_problems(problems)
    _warn_unnamed_countries(code.reindex(table.index), names, problems)
    return _finish(
        table, raw, problems, by=group, on_error=on_error, what="GDELT event table", tz=tz
    )


def _load_gdelt(
    path_or_frame: _Source | Sequence[_Source] | pd.DataFrame, problems: list[_Problem]
) -> tuple[pd.DataFrame, str]:
    """Read the files (recording malformed lines) or name a frame's columns."""
    if isinstance(path_or_frame, pd.DataFrame):
        return _named_frame(path_or_frame), "the DataFrame"
    if isinstance(path_or_frame, str | PathLike):
        return _read_files([path_or_frame], problems), Path(path_or_frame).name
    if isinstance(path_or_frame, Sequence) and all(
        isinstance(p, str | PathLike) for p in path_or_frame
    ):
        if not path_or_frame:
            raise FlashpointValueError("no GDELT files given (an empty list)")
        return _read_files(list(path_or_frame), problems), "the GDELT files"
    raise FlashpointTypeError(
        "read_gdelt_events takes a file path, a list of paths or a DataFrame, got "
        f"{type(path_or_frame).__name__}"
    )


def _gdelt_values(
    raw: pd.DataFrame, problems: list[_Problem], *, date_column: str, tz: TzArg
) -> pd.DataFrame:
    """Convert dates and numbers; record values that do not convert and rows with no country."""
    table = raw.copy()
    table.insert(0, DATE, pd.Series(pd.NaT, index=table.index, dtype="datetime64[us]"))
    sqldate = _fixed_dates(raw, "SQLDATE", "%Y%m%d", 8, problems, required=True)
    added = _fixed_dates(
        raw, "DATEADDED", "%Y%m%d%H%M%S", 14, problems, required=date_column == "DATEADDED"
    )
    if tz is not None:  # DATEADDED is UTC
        added = localize(added.dt.tz_localize("UTC"), tz)
    if "DATEADDED" in table.columns:
        table["DATEADDED"] = added
    table[DATE] = sqldate if date_column == "SQLDATE" else added.dt.floor("D")
    for col in _INTEGERS:
        if col in table.columns:
            table[col] = _numbers(table, col, problems, integer=True)
    for col in _FLOATS:
        if col in table.columns:
            table[col] = _numbers(table, col, problems, integer=False)
    no_place = (
        "no ActionGeo_CountryCode: GDELT could not place the action, so the event has no country"
    )
    no_country = table.index[table[COUNTRY].isna().to_numpy()]
    _record(problems, no_country, "ActionGeo_CountryCode", "not_nullable", no_place)
    return table


def _keep_field_count_problems(problems: list[_Problem]) -> None:
    """Drop the other problems of a line with a wrong field count (its values are misaligned)."""
    misaligned = {p.label for p in problems if p.check == "field_count"}
    problems[:] = [p for p in problems if p.label not in misaligned or p.check == "field_count"]


def _warn_unnamed_countries(
    code: pd.Series, names: Mapping[str, str], problems: list[_Problem]
) -> None:
    """Warn about country codes of valid rows that have no name (they stay codes)."""
    ok = ~code.index.isin([p.label for p in problems])
    known = code[ok]
    unknown = known[known.notna() & ~known.isin(list(names))].value_counts()
    if len(unknown):
        listed = ", ".join(f"{c} ({n})" for c, n in unknown.items())
        _warn(
            f"ActionGeo_CountryCode values without a name in FIPS_COUNTRY_NAMES: {listed}; "
            "they are kept as the code in 'country'. Pass country_names={code: name} to name "
            "them"
        )


def _iter_codes(values: int | str | Iterable[int | str]) -> list[int | str]:
    if isinstance(values, int | str):
        return [values]
    out = list(values)
    if not out:
        raise FlashpointValueError("root_codes= is empty; pass None to keep every event")
    return out


def _root_code(value: int | str) -> str:
    text = str(value).strip()
    if text.isdigit() and 1 <= int(text) <= 20:
        return f"{int(text):02d}"
    raise FlashpointValueError(
        f"root_codes must be CAMEO root codes 1-20 (e.g. 18 assault, 19 fight, 20 use "
        f"unconventional mass violence); got {value!r}"
    )


def _normalise_roots(values: pd.Series) -> pd.Series:
    """Two-digit strings ('1' and 1 -> '01'), as GDELT writes them."""
    text = values.astype("string").str.strip()
    digits = text.str.fullmatch(r"\d{1,2}").fillna(False)
    return text.where(~digits, text.str.zfill(2))


def _country_values(countries: str | Iterable[str] | None) -> list[str] | None:
    values = _filter_values("countries", countries)
    if values is None:
        return None
    # FIPS codes are upper case; names are matched as given
    return values + [v.upper() for v in values if len(v) == 2]


_DIGITS = {8: re.compile(r"^\d{8}$"), 14: re.compile(r"^\d{14}$")}


def _fixed_dates(
    raw: pd.DataFrame,
    column: str,
    fmt: str,
    width: int,
    problems: list[_Problem],
    *,
    required: bool,
) -> pd.Series:
    """Parse ``YYYYMMDD`` / ``YYYYMMDDHHMMSS`` values, recording the ones that are not."""
    if column not in raw.columns:
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    values = raw[column]
    text = values.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    shaped = text.str.match(_DIGITS[width]).fillna(False).to_numpy(dtype=bool)
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    if shaped.any():
        parsed[shaped] = pd.to_datetime(text[shaped], format=fmt, errors="coerce")
    example = "20231121" if width == 8 else "20231121150000"
    pattern = "YYYYMMDD" if width == 8 else "YYYYMMDDHHMMSS"
    _date_problems(
        values,
        text,
        parsed,
        problems,
        column=column,
        expected=f"is not a {pattern} date (e.g. '{example}')",
        required=required,
    )
    return parsed
