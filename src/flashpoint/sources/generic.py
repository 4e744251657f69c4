"""The generic reader: CSV or Parquet with a column mapping."""

from __future__ import annotations

import csv
from collections.abc import Collection, Mapping
from os import PathLike
from pathlib import Path
from typing import Any, Literal, overload

import pandas as pd

from flashpoint._deprecate import renamed
from flashpoint.errors import (
    FileFormatError,
    FlashpointTypeError,
    FlashpointValueError,
    InputFileNotFoundError,
)
from flashpoint.schemas import DATE, Quarantine, validate_events
from flashpoint.schemas._dates import TzArg, check_tz, localize
from flashpoint.schemas._groups import check_group_name

__all__ = ["read_events"]

_CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".csv.zip", ".csv.bz2", ".csv.xz")
_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in _CSV_SUFFIXES + _PARQUET_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def read_table(path: str | PathLike[str]) -> pd.DataFrame:
    """Read a CSV (also tab-separated or compressed) or Parquet file into a DataFrame.

    Parameters
    ----------
    path
        File path; the format is chosen by its suffix.

    Returns
    -------
    pandas.DataFrame
        The table as read, no column converted (strings stay strings).

    Raises
    ------
    InputFileNotFoundError
        When the file does not exist (also a ``FileNotFoundError``).
    FileFormatError
        When the path is a folder, the suffix is not a supported format, or the content
        cannot be read as it (including a file that cannot be opened).
    """
    if not isinstance(path, str | PathLike):
        raise FlashpointTypeError(f"path must be a file path, got {type(path).__name__}")
    p = Path(path)
    if p.is_dir():
        raise FileFormatError(f"{p} is a folder; expected a CSV or Parquet file")
    if not p.is_file():
        raise InputFileNotFoundError(f"no such file: {p} (current folder: {Path.cwd()})")
    suffix = _suffix(p)
    if suffix in _PARQUET_SUFFIXES:
        try:
            import pyarrow  # noqa: F401
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise FileFormatError(
                "reading Parquet needs pyarrow: pip install 'flashpoint[parquet]'"
            ) from err
        try:
            return pd.read_parquet(p)
        except Exception as err:  # pyarrow raises several unrelated classes
            raise FileFormatError(
                f"cannot read {p.name} as Parquet ({type(err).__name__}: {err}); is it a "
                "Parquet file? Rename it to .csv if it is a CSV file"
            ) from err
    if suffix not in _CSV_SUFFIXES:
        raise FileFormatError(
            f"cannot read {p.name}: expected a CSV file (.csv, .tsv, optionally compressed: "
            f".csv.gz) or a Parquet file (.parquet); got {suffix or 'no suffix'!r}. Export the "
            "table to CSV (for Excel: File > Save As > CSV UTF-8)"
        )
    sep = "\t" if suffix.startswith(".tsv") else None
    try:
        if sep is None and suffix in (".csv", ".txt"):
            with p.open(newline="", encoding="utf-8") as fh:
                sample = fh.read(64 * 1024)
            if "\x00" in sample:
                raise FileFormatError(
                    f"{p.name} is not a text file (it holds NUL bytes); expected a CSV file"
                )
            try:
                sep = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
            except csv.Error:
                sep = ","
        return pd.read_csv(p, sep=sep or ",", dtype=str, keep_default_na=True)
    except FileFormatError:
        raise
    except UnicodeDecodeError as err:
        raise FileFormatError(
            f"{p.name} is not UTF-8 text ({err.reason} at byte {err.start}); expected a CSV file "
            "saved as UTF-8"
        ) from err
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise FileFormatError(f"cannot parse {p.name} as CSV: {err}") from err
    except OSError as err:  # permission denied, a device, ...
        raise FileFormatError(
            f"cannot read {p}: {err.strerror or err}; check that the file can be opened"
        ) from err


@overload
def read_events(
    path_or_frame: str | PathLike[str] | pd.DataFrame,
    *,
    date: str = ...,
    by: str | None = ...,
    columns: Mapping[str, str] | None = ...,
    date_format: str | None = ...,
    categories: Mapping[str, Collection[Any]] | None = ...,
    on_error: Literal["raise"] = ...,
    tz: TzArg = ...,
    normalize_labels: bool = ...,
    **deprecated: Any,
) -> pd.DataFrame: ...


@overload
def read_events(
    path_or_frame: str | PathLike[str] | pd.DataFrame,
    *,
    date: str = ...,
    by: str | None = ...,
    columns: Mapping[str, str] | None = ...,
    date_format: str | None = ...,
    categories: Mapping[str, Collection[Any]] | None = ...,
    on_error: Literal["quarantine"],
    tz: TzArg = ...,
    normalize_labels: bool = ...,
    **deprecated: Any,
) -> Quarantine: ...


def read_events(
    path_or_frame: str | PathLike[str] | pd.DataFrame,
    *,
    date: str = DATE,
    by: str | None = "country",
    columns: Mapping[str, str] | None = None,
    date_format: str | None = None,
    categories: Mapping[str, Collection[Any]] | None = None,
    on_error: Literal["raise", "quarantine"] = "raise",
    tz: TzArg = None,
    normalize_labels: bool = False,
    **deprecated: Any,
) -> pd.DataFrame | Quarantine:
    """Read an event table from a CSV or Parquet file (or a DataFrame) into the event schema.

    Parameters
    ----------
    path_or_frame
        A file (``.csv``, ``.tsv``, compressed ``.csv.gz``, ``.parquet``) or a DataFrame.
    date
        Name of the date column in the source; renamed to ``date``.
    by
        Name of the group column in the source (kept under its own name, and passed as
        ``by=`` to :func:`flashpoint.count_daily`). ``None``: no group column.
        (``group=`` is the old, deprecated name.)
    columns
        Other renames, ``{source name: schema name}``, e.g.
        ``{"fatal": "fatalities", "lat": "latitude"}``. Unmapped columns are kept as they are.
    date_format
        ``strftime`` format of the source dates when they are not ISO 8601, e.g.
        ``"%d %B %Y"`` for ``"22 November 2023"``. Rows that do not match are reported. A
        format with ``%z`` reads UTC offsets, which follow the rule of ``tz``.
    categories
        Declared value sets per column, as in :func:`flashpoint.validate_events`.
    on_error
        ``"raise"`` or ``"quarantine"``, as in :func:`flashpoint.validate_events`.
    tz, normalize_labels
        As in :func:`flashpoint.validate_events`: the zone whose calendar days count (by
        default a time with a UTC offset falls on its local date as written), and whether
        to merge group labels that differ only in case or spaces.

    Returns
    -------
    pandas.DataFrame or Quarantine
        Validated events (see :func:`flashpoint.validate_events`).

    Raises
    ------
    InputFileNotFoundError
        When the file does not exist (also a ``FileNotFoundError``).
    FileFormatError
        When the file is not a readable CSV or Parquet file.
    FlashpointValueError
        When a named column is missing, a rename collides with an existing column, or
        ``date_format`` is not a valid format.
    FlashpointTypeError
        When an argument has the wrong type.
    SchemaValidationError
        When the mapped table fails validation.

    Examples
    --------
    >>> import pandas as pd
    >>> import flashpoint as fp
    >>> raw = pd.DataFrame({"event_date": ["22/11/2023", "23/11/2023"],
    ...                     "admin0": ["Iraq", "Syria"], "fatal": ["0", "2"]})
    >>> ev = fp.read_events(raw, date="event_date", by="admin0",
    ...                     columns={"fatal": "fatalities"}, date_format="%d/%m/%Y")
    >>> ev[["date", "admin0", "fatalities"]]
            date admin0  fatalities
    0 2023-11-22   Iraq           0
    1 2023-11-23  Syria           2
    """
    group = renamed(
        deprecated, old="group", new="by", value=by, default="country", where="read_events"
    )
    _check_read_arguments(date, group, columns, date_format)
    tz = check_tz(tz)
    if isinstance(path_or_frame, pd.DataFrame):
        table = path_or_frame.copy(deep=False)
        origin = "the DataFrame"
    elif isinstance(path_or_frame, str | PathLike):
        table = read_table(path_or_frame)
        origin = Path(path_or_frame).name
    else:
        raise FlashpointTypeError(
            f"read_events takes a file path or a DataFrame, got {type(path_or_frame).__name__}"
        )
    renames = dict(columns or {})
    needed = [date] + ([group] if group is not None else []) + list(renames)
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise FlashpointValueError(
            f"{origin} has no column(s) {missing}; its columns are {list(table.columns)}. "
            "Set date=, by= and columns= to the names used in the file"
        )
    if date != DATE:
        renames[date] = DATE
    _check_renames(table, renames, origin)
    table = table.rename(columns=renames)
    if date_format is not None:
        table[DATE] = _parse_with_format(table[DATE], date_format, tz)
    return validate_events(
        table,
        by=group,
        categories=categories,
        on_error=on_error,
        tz=tz,
        normalize_labels=normalize_labels,
    )


def _check_read_arguments(date: Any, group: Any, columns: Any, date_format: Any) -> None:
    if not isinstance(date, str):
        raise FlashpointTypeError(f"date= must be the name of the date column, got {date!r}")
    check_group_name(group, argument="by=")
    if columns is not None and not isinstance(columns, Mapping):
        raise FlashpointTypeError(
            "columns= must map source names to schema names, e.g. {'fatal': 'fatalities'}; "
            f"got {type(columns).__name__}"
        )
    if date_format is not None and not isinstance(date_format, str):
        raise FlashpointTypeError(
            f"date_format= must be a strftime format such as '%d/%m/%Y', got {date_format!r}"
        )


def _check_renames(table: pd.DataFrame, renames: Mapping[str, str], origin: str) -> None:
    """Refuse renames that would give two columns one name."""
    targets = list(renames.values())
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise FlashpointValueError(
            f"several columns would be renamed to {twice} (date= and columns= map onto the same "
            "name); map each schema column once"
        )
    kept = [c for c in table.columns if c not in renames]
    clashes = sorted({t for t in targets if t in kept}, key=str)
    if clashes:
        raise FlashpointValueError(
            f"{origin} already has column(s) {clashes}, which date=/columns= would create; "
            "rename or drop the existing column(s) first"
        )


def _parse_with_format(raw: pd.Series, date_format: str, tz: Any) -> pd.Series:
    """Parse with ``date_format``; keep unparsed values as they were (reported row by row)."""
    if isinstance(raw.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(raw.dtype):
        return raw  # already dates: the format does not apply
    text = raw.astype("string").str.strip()
    try:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
    except ValueError as err:
        if "mixed time" in str(err).lower() or "timezone" in str(err).lower():
            parsed = pd.to_datetime(text, format=date_format, errors="coerce", utc=True)
            if tz is None:  # the local date as written, row by row
                parsed = pd.Series(
                    [_wall(v, date_format) for v in text], index=raw.index, dtype="datetime64[us]"
                )
        else:
            raise FlashpointValueError(
                f"date_format={date_format!r} is not a valid strftime format ({err}); use "
                "codes such as '%d/%m/%Y' or '%d %B %Y'"
            ) from err
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = localize(parsed, tz)
    if len(text) and bool(parsed.isna().all()) and bool(text.notna().any()):
        example = text.dropna().iloc[0]
        raise FlashpointValueError(
            f"no date matches date_format={date_format!r} (e.g. {example!r}); check the format "
            "codes ('%d/%m/%Y' reads '22/11/2023', '%d %B %Y' reads '22 November 2023')"
        )
    return parsed.astype(object).where(parsed.notna(), raw)


def _wall(value: Any, date_format: str) -> Any:
    if pd.isna(value):
        return pd.NaT
    try:
        ts = pd.to_datetime(value, format=date_format)
    except (TypeError, ValueError):
        return pd.NaT
    return ts.tz_localize(None) if ts.tzinfo is not None else ts
