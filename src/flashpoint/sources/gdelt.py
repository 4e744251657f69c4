"""GDELT 2.0 event files -> the flashpoint event schema.

GDELT codes news reports into CAMEO events every 15 minutes. Its event files
(``YYYYMMDDHHMMSS.export.CSV.zip``) are tab-separated, without a header, with the 61 columns
of the GDELT 2.0 Event Codebook (:data:`GDELT_EVENT_COLUMNS`). :func:`read_gdelt_events`
reads one or several of them (or a DataFrame with those column names, e.g. from BigQuery),
filters by CAMEO root code, and names countries from the FIPS 10-4 codes GDELT uses.
"""

from __future__ import annotations

import gzip
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Literal, overload

import pandas as pd

from flashpoint.errors import FileFormatError, FlashpointTypeError, FlashpointValueError
from flashpoint.schemas import (
    ACTOR,
    COUNTRY,
    DATE,
    EVENT_ID,
    LATITUDE,
    LONGITUDE,
    SITE,
    SOURCE,
    Quarantine,
)
from flashpoint.sources._common import (
    OnError,
    _apply_filters,
    _check_on_error,
    _filter_values,
    _finish,
    _numbers,
    _Problem,
    _require,
    _warn,
)

__all__ = ["CAMEO_ROOT_CODES", "FIPS_COUNTRY_NAMES", "GDELT_EVENT_COLUMNS", "read_gdelt_events"]

GDELT_EVENT_COLUMNS: tuple[str, ...] = (
    "GLOBALEVENTID",
    "SQLDATE",
    "MonthYear",
    "Year",
    "FractionDate",
    *(
        f"Actor{i}{field}"
        for i in (1, 2)
        for field in (
            "Code",
            "Name",
            "CountryCode",
            "KnownGroupCode",
            "EthnicCode",
            "Religion1Code",
            "Religion2Code",
            "Type1Code",
            "Type2Code",
            "Type3Code",
        )
    ),
    "IsRootEvent",
    "EventCode",
    "EventBaseCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
    *(
        f"{who}Geo_{field}"
        for who in ("Actor1", "Actor2", "Action")
        for field in (
            "Type",
            "FullName",
            "CountryCode",
            "ADM1Code",
            "ADM2Code",
            "Lat",
            "Long",
            "FeatureID",
        )
    ),
    "DATEADDED",
    "SOURCEURL",
)
"""The 61 columns of a GDELT 2.0 event record, in file order (GDELT 2.0 Event Codebook; the
second column is called ``Day`` in the codebook and ``SQLDATE`` in GDELT's BigQuery table)."""

CAMEO_ROOT_CODES: dict[str, str] = {
    "01": "Make public statement",
    "02": "Appeal",
    "03": "Express intent to cooperate",
    "04": "Consult",
    "05": "Engage in diplomatic cooperation",
    "06": "Engage in material cooperation",
    "07": "Provide aid",
    "08": "Yield",
    "09": "Investigate",
    "10": "Demand",
    "11": "Disapprove",
    "12": "Reject",
    "13": "Threaten",
    "14": "Protest",
    "15": "Exhibit force posture",
    "16": "Reduce relations",
    "17": "Coerce",
    "18": "Assault",
    "19": "Fight",
    "20": "Use unconventional mass violence",
}
"""CAMEO root event codes (``EventRootCode``) and their names (CAMEO manual 1.1b3)."""

FIPS_COUNTRY_NAMES: dict[str, str] = {
    # Middle East
    "BA": "Bahrain",
    "CY": "Cyprus",
    "EG": "Egypt",
    "GZ": "Gaza Strip",
    "IR": "Iran",
    "IS": "Israel",
    "IZ": "Iraq",
    "JO": "Jordan",
    "KU": "Kuwait",
    "LE": "Lebanon",
    "MU": "Oman",
    "QA": "Qatar",
    "SA": "Saudi Arabia",
    "SY": "Syria",
    "TU": "Turkey",
    "AE": "United Arab Emirates",
    "WE": "West Bank",
    "YM": "Yemen",
    # neighbours and other frequent locations
    "AF": "Afghanistan",
    "AG": "Algeria",
    "AJ": "Azerbaijan",
    "AM": "Armenia",
    "CH": "China",
    "DJ": "Djibouti",
    "ER": "Eritrea",
    "ET": "Ethiopia",
    "FR": "France",
    "GG": "Georgia",
    "GM": "Germany",
    "IN": "India",
    "LY": "Libya",
    "MO": "Morocco",
    "OD": "South Sudan",
    "PK": "Pakistan",
    "RS": "Russia",
    "SO": "Somalia",
    "SU": "Sudan",
    "TS": "Tunisia",
    "UK": "United Kingdom",
    "UP": "Ukraine",
    "US": "United States",
}
"""FIPS 10-4 country codes (as in GDELT's ``*Geo_CountryCode`` columns) -> country names.

Covers the Middle East and frequent neighbours; FIPS codes often differ from ISO 3166 (``IZ``
Iraq, ``IS`` Israel, ``MU`` Oman, ``GM`` Germany, ``RS`` Russia, ``UP`` Ukraine). Codes not
listed are kept as the code and reported; pass ``country_names=`` to add names."""

_RENAMES = {
    "GLOBALEVENTID": EVENT_ID,
    "ActionGeo_FullName": SITE,
    "ActionGeo_Lat": LATITUDE,
    "ActionGeo_Long": LONGITUDE,
    "Actor1Name": ACTOR,
    "SOURCEURL": SOURCE,
}
_INTEGERS = (
    "MonthYear",
    "Year",
    "IsRootEvent",
    "QuadClass",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "Actor1Geo_Type",
    "Actor2Geo_Type",
    "ActionGeo_Type",
)
_FLOATS = (
    "FractionDate",
    "GoldsteinScale",
    "AvgTone",
    "Actor1Geo_Lat",
    "Actor1Geo_Long",
    "Actor2Geo_Lat",
    "Actor2Geo_Long",
)
_N_FIELDS = len(GDELT_EVENT_COLUMNS)
_OTHER_LAYOUTS = {
    57: "a GDELT 1.0 event file (57 columns, before March 2013)",
    58: "a GDELT 1.0 event file (58 columns)",
    16: "a GDELT 2.0 Mentions file (16 columns)",
    27: "a GDELT 2.1 GKG file (27 columns)",
}

_Source = str | PathLike[str]


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
    group: str = ...,
    on_error: Literal["raise"] = ...,
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
    group: str = ...,
    on_error: Literal["quarantine"],
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
    group: str = COUNTRY,
    on_error: OnError = "raise",
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
    group
        The column that becomes the group column (default ``country``, the action's
        country name; e.g. ``"ActionGeo_ADM1Code"`` or ``"EventRootCode"``).
    on_error
        ``"raise"`` (default) or ``"quarantine"`` (valid rows and rejected rows with a reason
        each), as in :func:`flashpoint.validate_events`.

    Filters are exact matches applied before validation. Lines with a wrong number of fields
    are always reported (never filtered out), as their fields cannot be trusted.

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
    _check_on_error(on_error)
    if date_column not in ("SQLDATE", "DATEADDED"):
        raise FlashpointValueError(
            f"date_column must be 'SQLDATE' (event date) or 'DATEADDED' (UTC day first seen); "
            f"got {date_column!r}"
        )
    roots = None if root_codes is None else [_root_code(v) for v in _iter_codes(root_codes)]
    problems: list[_Problem] = []
    if isinstance(path_or_frame, pd.DataFrame):
        table, origin = _named_frame(path_or_frame), "the DataFrame"
    elif isinstance(path_or_frame, str | PathLike):
        table, origin = _read_files([path_or_frame], problems), Path(path_or_frame).name
    elif isinstance(path_or_frame, Sequence) and all(
        isinstance(p, str | PathLike) for p in path_or_frame
    ):
        if not path_or_frame:
            raise FlashpointValueError("no GDELT files given (an empty list)")
        table, origin = _read_files(list(path_or_frame), problems), "the GDELT files"
    else:
        raise FlashpointTypeError(
            "read_gdelt_events takes a file path, a list of paths or a DataFrame, got "
            f"{type(path_or_frame).__name__}"
        )
    _require(table, ["GLOBALEVENTID", date_column, "ActionGeo_CountryCode"], origin, "GDELT 2.0")
    names = {**FIPS_COUNTRY_NAMES, **{k.upper(): v for k, v in (country_names or {}).items()}}
    code = table["ActionGeo_CountryCode"].astype("string").str.strip().str.upper()
    code = code.mask(code == "")
    created = [c for c in (DATE, COUNTRY, *_RENAMES.values()) if c in table.columns]
    if created:
        raise FlashpointValueError(
            f"{origin} already has column(s) {created}, which read_gdelt_events creates; drop "
            "or rename them first"
        )
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
    table = raw.copy()
    table.insert(0, DATE, pd.Series(pd.NaT, index=table.index, dtype="datetime64[us]"))
    sqldate = _fixed_dates(raw, "SQLDATE", "%Y%m%d", 8, problems, required=True)
    added = _fixed_dates(
        raw, "DATEADDED", "%Y%m%d%H%M%S", 14, problems, required=date_column == "DATEADDED"
    )
    if "DATEADDED" in table.columns:
        table["DATEADDED"] = added
    table[DATE] = sqldate if date_column == "SQLDATE" else added.dt.floor("D")
    for col in _INTEGERS:
        if col in table.columns:
            table[col] = _numbers(table, col, problems, integer=True)
    for col in _FLOATS:
        if col in table.columns:
            table[col] = _numbers(table, col, problems, integer=False)
    no_country = table[COUNTRY].isna().to_numpy()
    for label in table.index[no_country]:
        problems.append(
            _Problem(
                label,
                "ActionGeo_CountryCode",
                "not_nullable",
                None,
                "no ActionGeo_CountryCode: GDELT could not place the action, so the event has "
                "no country",
                "no ActionGeo_CountryCode: GDELT could not place the action, so the event has "
                "no country",
            )
        )
    # a line with a wrong number of fields has misaligned values: report only that
    misaligned = {p.label for p in problems if p.check == "field_count"}
    problems[:] = [p for p in problems if p.label not in misaligned or p.check == "field_count"]
    ok = ~table.index.isin([p.label for p in problems])
    known = code.reindex(table.index)[ok]
    unknown = known[known.notna() & ~known.isin(list(names))].value_counts()
    if len(unknown):
        listed = ", ".join(f"{c} ({n})" for c, n in unknown.items())
        _warn(
            f"ActionGeo_CountryCode values without a name in FIPS_COUNTRY_NAMES: {listed}; "
            "they are kept as the code in 'country'. Pass country_names={code: name} to name "
            "them"
        )
    return _finish(table, raw, problems, by=group, on_error=on_error, what="GDELT event table")


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


def _named_frame(frame: pd.DataFrame) -> pd.DataFrame:
    if not frame.index.is_unique:
        raise FlashpointValueError(
            "read_gdelt_events needs a DataFrame with a unique index (rejected rows are "
            "reported by index label); call .reset_index(drop=True) first"
        )
    if len(frame.columns) == _N_FIELDS and list(frame.columns) == list(range(_N_FIELDS)):
        frame = frame.set_axis(list(GDELT_EVENT_COLUMNS), axis=1)  # read with header=None
    out = frame.copy(deep=False)
    for col in out.columns:  # GDELT writes a missing value as an empty field
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].mask(out[col].astype("string").str.strip() == "")
    return out


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path} (current folder: {Path.cwd()})")
    name = path.name.lower()
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist() if not m.endswith("/")]
                if len(members) != 1:
                    raise FileFormatError(
                        f"{path.name} holds {len(members)} files; a GDELT archive holds one "
                        "event file"
                    )
                data = archive.read(members[0])
        elif name.endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        else:
            data = path.read_bytes()
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise FileFormatError(f"cannot read {path.name}: {err}") from err
    if b"\x00" in data[:65536]:
        raise FileFormatError(f"{path.name} is not a text file (it holds NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise FileFormatError(
            f"{path.name} is not UTF-8 text ({err.reason} at byte {err.start}); GDELT files "
            "are UTF-8"
        ) from err


def _read_files(paths: list[_Source], problems: list[_Problem]) -> pd.DataFrame:
    """Split each file into 61 fields per line; lines with another count become problems."""
    rows: list[list[str]] = []
    for path in paths:
        p = Path(path)
        counts: dict[int, int] = {}
        for lineno, line in enumerate(_read_text(p).split("\n"), start=1):
            line = line.rstrip("\r")
            if not line:
                continue
            fields = line.split("\t")
            if lineno == 1 and fields[0].strip().upper() == "GLOBALEVENTID":
                continue  # a header added by some export tools
            counts[len(fields)] = counts.get(len(fields), 0) + 1
            if len(fields) != _N_FIELDS:
                problems.append(
                    _Problem(
                        len(rows),
                        None,
                        "field_count",
                        f"{p.name}:{lineno}",
                        f"line {lineno} of {p.name} has {len(fields)} tab-separated fields; a "
                        f"GDELT 2.0 event record has {_N_FIELDS}",
                        f"a line does not have the {_N_FIELDS} tab-separated fields of a GDELT "
                        "2.0 event record",
                    )
                )
                fields = (fields + [""] * _N_FIELDS)[:_N_FIELDS]
            rows.append(fields)
        if counts and _N_FIELDS not in counts:
            common = max(counts, key=lambda k: counts[k])
            guess = _OTHER_LAYOUTS.get(common, "not a GDELT 2.0 event file")
            raise FileFormatError(
                f"{p.name} has lines of {sorted(counts)} tab-separated fields, none of "
                f"{_N_FIELDS}: it looks like {guess}. read_gdelt_events reads GDELT 2.0 event "
                "files (*.export.CSV)"
            )
    table = pd.DataFrame(rows, columns=list(GDELT_EVENT_COLUMNS), dtype="str")
    return table.mask(table == "")


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
    missing = (text.isna() | (text == "")).fillna(True).to_numpy(dtype=bool)
    example = "20231121" if width == 8 else "20231121150000"
    pattern = "YYYYMMDD" if width == 8 else "YYYYMMDDHHMMSS"
    bad = parsed.isna().to_numpy() & ~missing
    for label, value in zip(raw.index[bad], values[bad], strict=True):
        problems.append(
            _Problem(
                label,
                column,
                "date_parse",
                value,
                f"{column} {value!r} is not a {pattern} date (e.g. '{example}')",
                f"{column} is not a {pattern} date (e.g. '{example}')",
            )
        )
    if required:
        for label in raw.index[missing]:
            problems.append(
                _Problem(
                    label, column, "not_nullable", None, f"missing {column}", f"missing {column}"
                )
            )
    return parsed
