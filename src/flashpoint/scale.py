"""Daily counts of event tables too large for pandas: DuckDB over files, or Dask.

Two optional backends (the ``scale`` extra: ``pip install 'flashpoint[scale]'``), imported only
when called:

- :func:`count_daily_duckdb` scans Parquet or CSV files with embedded DuckDB (no server) and
  pushes the group-by down to it; only the aggregated ``(day, group, n)`` table reaches pandas;
- :func:`count_daily_dask` does the same on a Dask DataFrame (a local or distributed cluster).

Both zero-fill exactly like :func:`flashpoint.count_daily`: same columns, dtypes, group order
and calendar, so the three paths give identical tables on the same data.
"""

from __future__ import annotations

import glob
import importlib
import re
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from flashpoint.counts.calendar import zero_fill
from flashpoint.errors import (
    FileFormatError,
    FlashpointTypeError,
    FlashpointValueError,
    InputFileNotFoundError,
    MissingExtraError,
)
from flashpoint.schemas import COUNTRY, DATE
from flashpoint.schemas._dates import TzArg, check_tz, localize
from flashpoint.schemas._groups import check_group_name, key_columns

__all__ = ["MissingExtraError", "count_daily_dask", "count_daily_duckdb"]  # error re-exported

_PARQUET = (".parquet", ".pq", ".parq")
_CSV = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".csv.zst")
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


def _import(module: str, function: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as err:
        package = module.split(".")[0]
        raise MissingExtraError(
            f"{function} needs {package}, which is not installed. Install the optional "
            f"'scale' extra: pip install 'flashpoint[scale]' (duckdb and dask[dataframe])"
        ) from err


# --------------------------------------------------------------------------------------------
# Checks shared by both backends (zero-filling: flashpoint.counts.calendar.zero_fill)
# --------------------------------------------------------------------------------------------
def _check_nulls(n_dates: int, n_groups: int, by: str | None, where: str) -> None:
    if n_dates:
        raise FlashpointValueError(
            f"{where} has {n_dates} event(s) with a missing date in '{DATE}'; drop or fix them, "
            "or quarantine them with fp.validate_events(..., on_error='quarantine')"
        )
    if n_groups:
        raise FlashpointValueError(
            f"{where} has {n_groups} event(s) with a missing value in group column '{by}'; "
            "every event needs a group: fill them (e.g. 'unknown') or drop them first"
        )


# --------------------------------------------------------------------------------------------
# DuckDB
# --------------------------------------------------------------------------------------------
def _kind(path: str) -> str:
    name = path.lower()
    if name.endswith(_PARQUET):
        return "parquet"
    if name.endswith(_CSV):
        return "csv"
    raise FileFormatError(
        f"cannot count {Path(path).name}: expected Parquet (.parquet) or CSV (.csv, .tsv, "
        ".csv.gz) files"
    )


def _resolve(source: str | PathLike[str] | Sequence[str | PathLike[str]]) -> tuple[list[str], str]:
    """Expand a file, a folder, a glob or a list of them; return the files and their format."""
    if isinstance(source, str | PathLike):
        items: list[str | PathLike[str]] = [source]
    elif isinstance(source, Sequence) and all(isinstance(s, str | PathLike) for s in source):
        items = list(source)
    else:
        raise FlashpointTypeError(
            "source must be a file path, a folder, a glob pattern ('events/*.parquet') or a "
            f"list of paths; got {type(source).__name__}. For a pandas DataFrame use "
            "fp.count_daily, for a Dask DataFrame count_daily_dask"
        )
    if not items:
        raise FlashpointValueError("source is an empty list of files")
    files: list[str] = []
    for item in items:
        text = str(item)
        if any(ch in text for ch in "*?["):
            found = sorted(glob.glob(text, recursive=True))
            if not found:
                raise InputFileNotFoundError(
                    f"no file matches {text!r} (current folder: {Path.cwd()})"
                )
            files.extend(found)
        elif Path(text).is_dir():
            found = sorted(
                str(p) for p in Path(text).iterdir() if p.is_file() and p.name.endswith(_PARQUET)
            ) or sorted(
                str(p) for p in Path(text).iterdir() if p.is_file() and p.name.endswith(_CSV)
            )
            if not found:
                raise InputFileNotFoundError(f"folder {text} holds no Parquet or CSV files")
            files.extend(found)
        elif Path(text).is_file():
            files.append(text)
        else:
            raise InputFileNotFoundError(f"no such file: {text} (current folder: {Path.cwd()})")
    kinds = {_kind(f) for f in files}
    if len(kinds) > 1:
        raise FileFormatError(
            "source mixes Parquet and CSV files; count each format separately or convert one"
        )
    return files, kinds.pop()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def count_daily_duckdb(
    source: str | PathLike[str] | Sequence[str | PathLike[str]],
    *,
    by: str | None = COUNTRY,
    date: str = DATE,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    groups: Sequence[Any] | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    tz: TzArg = None,
) -> pd.DataFrame:
    r"""Count events per day and group in Parquet or CSV files with embedded DuckDB.

    The files are scanned by DuckDB (in process, no server), which groups the events by day
    and group; pandas only receives one row per (day, group) with events, then zero-fills.
    Memory therefore depends on the number of days and groups, not on the number of events.

    Parameters
    ----------
    source
        A Parquet or CSV file, a folder of them, a glob pattern (``"events/*.parquet"``) or a
        list of paths. All files must share the format and the two columns used.
    by
        Group column (``None``: one series for all events).
    date
        Name of the date column in the files: a ``DATE`` or tz-naive ``TIMESTAMP`` column
        (a time of day is floored to the day), or text in ISO 8601 (``2023-11-21``).
    start, end
        First and last day of the calendar (inclusive). Defaults: first and last event date.
        Events outside ``[start, end]`` are not counted.
    groups
        Groups to include, in this order, even if they have no event. Events of other groups
        inside the window raise an error. Default: every group present, sorted.
    threads
        DuckDB worker threads (DuckDB's ``threads`` setting; default: all cores).
    memory_limit
        DuckDB's ``memory_limit`` setting, e.g. ``"2GB"`` (default: DuckDB's, 80% of RAM).
    tz
        Time zone whose calendar days count, by the rule of
        :func:`flashpoint.validate_events`: ISO text with a UTC offset falls on its local
        date as written unless ``tz`` is given. A ``TIMESTAMPTZ`` column stores instants,
        not the offsets they were written with: its days are UTC days unless ``tz`` is
        given.

    Returns
    -------
    pandas.DataFrame
        Tidy counts sorted by group then date, identical to :func:`flashpoint.count_daily` on
        the same events read into pandas:

        - ``date`` (``datetime64``, midnight): the calendar day;
        - ``<by>``: the group (absent when ``by=None``);
        - ``count`` (``int64``): events that day (0 on days without events).

    Raises
    ------
    MissingExtraError
        When duckdb is not installed (``pip install 'flashpoint[scale]'``).
    InputFileNotFoundError
        When a file, folder or pattern matches nothing (also a ``FileNotFoundError``).
    FileFormatError
        On mixed or unsupported formats, or files DuckDB cannot read.
    FlashpointValueError
        On missing columns, a non-date ``date`` column, unparseable or missing dates,
        missing groups, an empty window or events of unlisted groups.
    MemoryBudgetError
        When the zero-filled table would exceed the memory budget.

    See Also
    --------
    flashpoint.count_daily : the pandas path (same result on data that fits in memory).
    count_daily_dask : the same on a Dask DataFrame.

    Notes
    -----
    The count for group :math:`g` on day :math:`d` is
    :math:`c_{g,d} = \#\{i : \lfloor t_i \rfloor = d,\ g_i = g\}`, computed by DuckDB as
    ``GROUP BY day, group``; the zero-filled table then has one row per group and calendar
    day, so :math:`\sum_{g,d} c_{g,d}` equals the number of events in the window. A
    categorical group column is seen by DuckDB as text: pass ``groups=`` to keep categories
    without events or a custom order. DuckDB: Raasveldt, M. and Muehleisen, H. (2019).
    DuckDB: an Embeddable Analytical Database. *SIGMOD '19*, 1981-1984.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("duckdb")  # the example needs the scale extra
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> from flashpoint.scale import count_daily_duckdb
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"date": ["2023-11-20", "2023-11-22", "2023-11-22"],
    ...               "country": ["Iraq", "Iraq", "Syria"]}).to_csv(folder / "ev.csv", index=False)
    >>> count_daily_duckdb(folder / "ev.csv")
            date country  count
    0 2023-11-20    Iraq      1
    1 2023-11-21    Iraq      0
    2 2023-11-22    Iraq      1
    3 2023-11-20   Syria      0
    4 2023-11-21   Syria      0
    5 2023-11-22   Syria      1
    """
    duckdb = _import("duckdb", "count_daily_duckdb")
    tz, files, kind = _duckdb_arguments(source, by, date, tz, threads, memory_limit)
    listing = "[" + ", ".join(_literal(f) for f in files) + "]"
    where = files[0] if len(files) == 1 else f"{len(files)} files ({Path(files[0]).name}, ...)"
    con = duckdb.connect(database=":memory:")
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"SET TimeZone = {_literal(tz or 'UTC')}")
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit is not None:
            con.execute(f"SET memory_limit = {_literal(str(memory_limit))}")
        relation, day_sql, bad_sql = _duckdb_relation(
            con, duckdb, listing, kind, where, date=date, by=by, local=tz is None
        )
        agg = _duckdb_aggregate(con, duckdb, relation, day_sql, bad_sql, where, date=date, by=by)
    finally:
        con.close()
    null_day = agg["fp_day"].isna().to_numpy()
    null_group = (
        agg["fp_group"].isna().to_numpy() & ~null_day if by is not None else null_day & False
    )
    _check_nulls(
        int(agg.loc[null_day, "fp_n"].sum()), int(agg.loc[null_group, "fp_n"].sum()), by, where
    )
    return zero_fill(
        agg["fp_day"].to_numpy(dtype="int64"),
        agg["fp_group"].rename(by) if by is not None else None,
        agg["fp_n"].to_numpy(dtype="int64"),
        by=by,
        start=start,
        end=end,
        groups=groups,
    )


def _duckdb_arguments(
    source: str | PathLike[str] | Sequence[str | PathLike[str]],
    by: Any,
    date: Any,
    tz: Any,
    threads: Any,
    memory_limit: Any,
) -> tuple[str | None, list[str], str]:
    """Check the arguments; return the zone name, the files and their format."""
    tz = check_tz(tz)
    if tz is not None and not isinstance(tz, str):
        raise FlashpointTypeError(
            f"count_daily_duckdb takes tz as a zone name such as 'Asia/Baghdad', got {tz!r}"
        )
    check_group_name(by)
    if not isinstance(date, str):
        raise FlashpointTypeError(f"date must be a column name, got {date!r}")
    files, kind = _resolve(source)
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise FlashpointValueError(f"threads must be a positive integer, got {threads!r}")
    if memory_limit is not None and not _MEMORY.match(str(memory_limit)):
        raise FlashpointValueError(
            f"memory_limit must be a size such as '2GB' or '500MB', got {memory_limit!r}"
        )
    return tz, files, kind


def _duckdb_relation(
    con: Any,
    duckdb: ModuleType,
    listing: str,
    kind: str,
    where: str,
    *,
    date: str,
    by: str | None,
    local: bool,
) -> tuple[str, str, str]:
    """Return the files as a DuckDB relation, with SQL for each event's day and bad dates.

    The date and group columns must exist; CSV dates are read as text so that UTC offsets
    follow the time-zone rule.
    """
    relation = (
        f"read_parquet({listing})" if kind == "parquet" else f"read_csv({listing}, header = true)"
    )
    try:
        schema = {
            row[0]: str(row[1])
            for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        }
    except duckdb.Error as err:
        raise FileFormatError(f"DuckDB cannot read {where}: {err}") from err
    missing = [c for c in key_columns(date, by) if c not in schema]
    if missing:
        raise FlashpointValueError(
            f"{where} has no column(s) {missing}; its columns are {list(schema)}. Set "
            "date= and by= to the names used in the files"
        )
    if kind == "csv":  # dates as text, so that UTC offsets follow the time-zone rule
        types = f"{{{_literal(date)}: 'VARCHAR'}}"
        relation = f"read_csv({listing}, header = true, types = {types})"
        schema[date] = "VARCHAR"
    day_sql, bad_sql = _day_expression(_quote(date), schema[date], date, local=local)
    return relation, day_sql, bad_sql


def _duckdb_aggregate(
    con: Any,
    duckdb: ModuleType,
    relation: str,
    day_sql: str,
    bad_sql: str,
    where: str,
    *,
    date: str,
    by: str | None,
) -> pd.DataFrame:
    """Count events per (day, group) in DuckDB; refuse values that are not dates."""
    group_sql = f", {_quote(by)} AS fp_group" if by is not None else ""
    sql = (
        f"SELECT datediff('day', DATE '1970-01-01', {day_sql}) AS fp_day{group_sql}, "
        f"{bad_sql} AS fp_bad, count(*) AS fp_n FROM {relation} GROUP BY ALL"
    )
    try:
        agg = con.execute(sql).df()
        if bool(agg["fp_bad"].any()):
            examples = con.execute(
                f"SELECT DISTINCT {_quote(date)} FROM {relation} WHERE {bad_sql} LIMIT 5"
            ).fetchall()
            n_bad = int(agg.loc[agg["fp_bad"].astype(bool), "fp_n"].sum())
            raise FlashpointValueError(
                f"{where}: {n_bad} value(s) of '{date}' are not dates, e.g. "
                f"{[e[0] for e in examples]}; expected ISO 8601 dates such as '2023-11-22'. "
                "Fix them, or read and validate the file with fp.read_events"
            )
    except duckdb.Error as err:
        raise FileFormatError(f"DuckDB failed on {where}: {err}") from err
    return agg


_SQL_WALL = (
    r"^\s*(\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?)\s*"
    r"(Z|z|UTC|GMT|[+-]\d{2}(:?\d{2})?)\s*$"
)


def _day_expression(column: str, sql_type: str, name: str, *, local: bool) -> tuple[str, str]:
    """Return SQL for the day of each event, and for 'this value is not a date'.

    The session's ``TimeZone`` is ``tz`` (or UTC), so casts of ``TIMESTAMPTZ`` values to
    ``DATE`` give days in that zone: the time-zone rule of ``flashpoint.schemas._dates``.
    """
    upper = sql_type.upper()
    if upper in ("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"):
        return f"CAST({column} AS DATE)", "false"
    if upper == "DATE":
        return column, "false"
    if upper.startswith("TIMESTAMP"):
        return f"CAST({column} AS DATE)", "false"
    if upper == "VARCHAR":
        if local:  # the local date as written: drop a UTC offset after a time of day
            wall = f"regexp_replace({column}, {_literal(_SQL_WALL)}, '\\1')"
            day = f"CAST(TRY_CAST({wall} AS TIMESTAMP) AS DATE)"
        else:  # offsets convert to the session zone; times without one are taken in it
            day = f"CAST(TRY_CAST({column} AS TIMESTAMPTZ) AS DATE)"
        return day, f"({day} IS NULL AND {column} IS NOT NULL)"
    raise FlashpointValueError(
        f"column '{name}' has type {sql_type}; expected DATE, TIMESTAMP or ISO 8601 text. "
        "Convert it when writing the files"
    )


# --------------------------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------------------------
def _day_numbers(dates: pd.Series, tz: Any = None) -> pd.Series:
    """Days since 1970-01-01 (the same flooring and time-zone rule as fp.count_daily)."""
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = localize(dates, tz)
    return pd.Series(
        dates.to_numpy().astype("datetime64[D]").view("int64"), index=dates.index, name="fp_day"
    )


def count_daily_dask(
    ddf: Any,
    *,
    by: str | None = COUNTRY,
    date: str = DATE,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    groups: Sequence[Any] | None = None,
    tz: TzArg = None,
) -> pd.DataFrame:
    """Count events per day and group in a Dask DataFrame.

    The group-by runs on the Dask scheduler in use (threads by default, or a distributed
    cluster); only one row per (day, group) with events comes back, then zero-filling
    happens in pandas.

    Parameters
    ----------
    ddf
        A ``dask.dataframe.DataFrame`` with a ``datetime64`` date column and the group
        column ``by`` (e.g. ``dd.read_parquet("events/*.parquet")``).
    by
        Group column (``None``: one series for all events).
    date
        Name of the date column (a time of day is floored to the day).
    start, end, groups, tz
        As in :func:`flashpoint.count_daily` (a timezone-aware date column falls on its
        local dates, or on ``tz``'s).

    Returns
    -------
    pandas.DataFrame
        ``date`` (``datetime64``), ``<by>``, ``count`` (``int64``, events per day), sorted by
        group then date and zero-filled: identical to ``fp.count_daily(ddf.compute(), ...)``.

    Raises
    ------
    MissingExtraError
        When dask is not installed (``pip install 'flashpoint[scale]'``).
    FlashpointTypeError
        When ``ddf`` is not a Dask DataFrame.
    FlashpointValueError
        On missing columns, non-datetime dates, missing dates or groups, an empty window or
        events of unlisted groups.
    MemoryBudgetError
        When the zero-filled table would exceed the memory budget.

    See Also
    --------
    count_daily_duckdb : the same over Parquet/CSV files without a cluster.
    flashpoint.count_daily : the pandas path.

    Notes
    -----
    Each partition maps dates to day numbers exactly as :func:`flashpoint.count_daily`
    does (``datetime64[D]``), Dask sums ``size()`` per (day, group) across partitions, and
    the counts :math:`c_{g,d}` are zero-filled over the calendar: their sum is the number of
    events in the window. Dask: Rocklin, M. (2015). Dask: Parallel Computation with Blocked
    Algorithms and Task Scheduling. *Proceedings of the 14th Python in Science Conference*.

    Examples
    --------
    >>> import pytest; dd = pytest.importorskip("dask.dataframe")  # needs the scale extra
    >>> import pandas as pd
    >>> from flashpoint.scale import count_daily_dask
    >>> ev = pd.DataFrame({"date": pd.to_datetime(["2023-11-20", "2023-11-22", "2023-11-22"]),
    ...                    "country": ["Iraq", "Iraq", "Syria"]})
    >>> count_daily_dask(dd.from_pandas(ev, npartitions=2))["count"].tolist()
    [1, 0, 1, 0, 0, 1]
    """
    dd = _import("dask.dataframe", "count_daily_dask")
    dask = _import("dask", "count_daily_dask")
    if not isinstance(ddf, dd.DataFrame):
        raise FlashpointTypeError(
            f"ddf must be a dask.dataframe.DataFrame, got {type(ddf).__name__}; for a pandas "
            "DataFrame use fp.count_daily, for files count_daily_duckdb"
        )
    needed = key_columns(date, by)
    missing = [c for c in needed if c not in ddf.columns]
    if missing:
        raise FlashpointValueError(
            f"the Dask DataFrame has no column(s) {missing}; its columns are {list(ddf.columns)}"
        )
    tz = check_tz(tz)
    dtype = ddf[date].dtype
    if not isinstance(dtype, pd.DatetimeTZDtype) and not pd.api.types.is_datetime64_dtype(dtype):
        raise FlashpointValueError(
            f"column '{date}' has dtype {dtype}; expected datetime64. Convert it with "
            f"ddf['{date}'] = dd.to_datetime(ddf['{date}'], format='ISO8601')"
        )
    part = ddf[needed]
    day = part[date].map_partitions(_day_numbers, tz, meta=("fp_day", "int64"))
    keys = key_columns("fp_day", by)
    sizes = part.assign(fp_day=day).groupby(keys, observed=True).size()
    n_dates = part[date].isna().sum()
    n_groups = part[by].isna().sum() if by is not None else 0
    sizes, n_dates, n_groups = dask.compute(sizes, n_dates, n_groups)
    _check_nulls(int(n_dates), int(n_groups), by, "the Dask DataFrame")
    agg = sizes.rename("fp_n").reset_index()
    if (
        by is not None
        and isinstance(agg[by].dtype, pd.StringDtype)
        and dask.config.get("dataframe.convert-string", None) is not False
    ):
        # Dask stores text as "string[pyarrow]" whatever the input dtype; return pandas'
        # default text dtype, as pd.read_parquet / pd.read_csv (and count_daily on them) give
        agg[by] = agg[by].astype("str")
    return zero_fill(
        agg["fp_day"].to_numpy(dtype="int64"),
        agg[by] if by is not None else None,
        agg["fp_n"].to_numpy(dtype="int64"),
        by=by,
        start=start,
        end=end,
        groups=groups,
    )
