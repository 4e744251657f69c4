"""The generic reader: CSV or Parquet with a column mapping."""

from __future__ import annotations

import csv
from collections.abc import Collection, Mapping
from os import PathLike
from pathlib import Path
from typing import Any, Literal, overload

import pandas as pd

from flashpoint.errors import FileFormatError, FlashpointTypeError, FlashpointValueError
from flashpoint.schemas import DATE, Quarantine, validate_events

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
    FileNotFoundError
        When the file does not exist.
    FileFormatError
        When the suffix is not a supported format, or the content cannot be read as it.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {p} (current folder: {Path.cwd()})")
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


@overload
def read_events(
    path_or_frame: str | PathLike[str] | pd.DataFrame,
    *,
    date: str = ...,
    group: str | None = ...,
    columns: Mapping[str, str] | None = ...,
    date_format: str | None = ...,
    categories: Mapping[str, Collection[Any]] | None = ...,
    on_error: Literal["raise"] = ...,
) -> pd.DataFrame: ...


@overload
def read_events(
    path_or_frame: str | PathLike[str] | pd.DataFrame,
    *,
    date: str = ...,
    group: str | None = ...,
    columns: Mapping[str, str] | None = ...,
    date_format: str | None = ...,
    categories: Mapping[str, Collection[Any]] | None = ...,
    on_error: Literal["quarantine"],
) -> Quarantine: ...


def read_events(
    path_or_frame: str | PathLike[str] | pd.DataFrame,
    *,
    date: str = DATE,
    group: str | None = "country",
    columns: Mapping[str, str] | None = None,
    date_format: str | None = None,
    categories: Mapping[str, Collection[Any]] | None = None,
    on_error: Literal["raise", "quarantine"] = "raise",
) -> pd.DataFrame | Quarantine:
    """Read an event table from a CSV or Parquet file (or a DataFrame) into the event schema.

    Parameters
    ----------
    path_or_frame
        A file (``.csv``, ``.tsv``, compressed ``.csv.gz``, ``.parquet``) or a DataFrame.
    date
        Name of the date column in the source; renamed to ``date``.
    group
        Name of the group column in the source (kept under its own name, and passed as
        ``by=`` to :func:`flashpoint.count_daily`). ``None``: no group column.
    columns
        Other renames, ``{source name: schema name}``, e.g.
        ``{"fatal": "fatalities", "lat": "latitude"}``. Unmapped columns are kept as they are.
    date_format
        ``strftime`` format of the source dates when they are not ISO 8601, e.g.
        ``"%d %B %Y"`` for ``"22 November 2023"``. Rows that do not match are reported.
    categories
        Declared value sets per column, as in :func:`flashpoint.validate_events`.
    on_error
        ``"raise"`` or ``"quarantine"``, as in :func:`flashpoint.validate_events`.

    Returns
    -------
    pandas.DataFrame or Quarantine
        Validated events (see :func:`flashpoint.validate_events`).

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    FileFormatError
        When the file is not a readable CSV or Parquet file.
    SchemaValidationError
        When the mapped table fails validation.

    Examples
    --------
    >>> import pandas as pd
    >>> import flashpoint as fp
    >>> raw = pd.DataFrame({"event_date": ["22/11/2023", "23/11/2023"],
    ...                     "admin0": ["Iraq", "Syria"], "fatal": ["0", "2"]})
    >>> ev = fp.read_events(raw, date="event_date", group="admin0",
    ...                     columns={"fatal": "fatalities"}, date_format="%d/%m/%Y")
    >>> ev[["date", "admin0", "fatalities"]]
            date admin0  fatalities
    0 2023-11-22   Iraq           0
    1 2023-11-23  Syria           2
    """
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
            "Set date=, group= and columns= to the names used in the file"
        )
    if date != DATE:
        if DATE in table.columns:
            raise FlashpointValueError(
                f"{origin} has both '{date}' and '{DATE}' columns; rename or drop '{DATE}' first"
            )
        renames[date] = DATE
    table = table.rename(columns=renames)
    if date_format is not None:
        raw = table[DATE]
        parsed = pd.to_datetime(raw, format=date_format, errors="coerce")
        # keep unparsed values as they were, so validation reports them row by row
        table[DATE] = parsed.astype(object).where(parsed.notna(), raw)
    return validate_events(table, by=group, categories=categories, on_error=on_error)
