"""Helpers shared by the format adapters (ACLED, UCDP GED, GDELT).

Filters, per-row format checks merged with :func:`flashpoint.validate_events` into one
report, and data-quality warnings.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from flashpoint.errors import (
    DataQualityWarning,
    FlashpointTypeError,
    FlashpointValueError,
    SchemaValidationError,
    warn,
)
from flashpoint.schemas import DATE, REASON, Quarantine, validate_events
from flashpoint.schemas._dates import check_tz
from flashpoint.schemas._engine import check_on_error
from flashpoint.schemas._groups import check_group_name
from flashpoint.sources.generic import read_table

OnError = Literal["raise", "quarantine"]
"""How a reader treats malformed rows (as in :func:`flashpoint.validate_events`)."""


@dataclass(frozen=True, slots=True)
class _Problem:
    """A format-specific failure of one row, found before schema validation."""

    label: Hashable  # row label (position in the file)
    column: str | None
    check: str
    value: Any
    reason: str  # names the row's value
    summary: str  # the same without the value, to group rows in a report


def _record(
    problems: list[_Problem],
    labels: Iterable[Hashable],
    column: str | None,
    check: str,
    summary: str,
    *,
    values: Iterable[Any] | None = None,
    reasons: Iterable[str] | None = None,
) -> None:
    """Record a problem per row label: its value and reason (default ``None``, ``summary``)."""
    labels = list(labels)
    values = [None] * len(labels) if values is None else values
    reasons = [summary] * len(labels) if reasons is None else reasons
    problems.extend(
        _Problem(label, column, check, value, reason, summary)
        for label, value, reason in zip(labels, values, reasons, strict=True)
    )


def _warn(message: str) -> None:
    """Emit a :class:`DataQualityWarning` attributed to the user's line of code."""
    warn(message, DataQualityWarning)


def _load(
    path_or_frame: str | PathLike[str] | pd.DataFrame, reader: str
) -> tuple[pd.DataFrame, str]:
    """Return the raw table (strings kept as strings) and a name for messages."""
    if isinstance(path_or_frame, pd.DataFrame):
        if not path_or_frame.index.is_unique:
            raise FlashpointValueError(
                f"{reader} needs a DataFrame with a unique index (rejected rows are reported "
                "by index label); call .reset_index(drop=True) first"
            )
        return path_or_frame.copy(deep=False), "the DataFrame"
    if isinstance(path_or_frame, str | PathLike):
        return read_table(path_or_frame), Path(path_or_frame).name
    raise FlashpointTypeError(
        f"{reader} takes a file path or a DataFrame, got {type(path_or_frame).__name__}"
    )


def _columns_arg(name: str, columns: str | Sequence[str]) -> list[str]:
    """Return a list of column names (one name alone is a list of one)."""
    if isinstance(columns, str):
        return [columns]
    if not isinstance(columns, Iterable) or isinstance(columns, Mapping):
        raise FlashpointTypeError(f"{name}= must be a list of column names, got {columns!r}")
    out = list(columns)
    if not out or not all(isinstance(c, str) for c in out):
        raise FlashpointValueError(f"{name}= must be a non-empty list of column names, got {out!r}")
    return out


def _reader_arguments(
    on_error: str, group: Any, tz: Any, actor_columns: str | Sequence[str]
) -> tuple[Any, list[str]]:
    """Check the arguments every format reader shares; return ``tz`` and ``actor_columns``."""
    check_on_error(on_error)
    check_group_name(group, argument="by=", optional=False)
    return check_tz(tz), _columns_arg("actor_columns", actor_columns)


def _require(table: pd.DataFrame, columns: Iterable[str], origin: str, fmt: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        shown = ", ".join(map(str, table.columns[:15])) + (
            ", ..." if len(table.columns) > 15 else ""
        )
        raise FlashpointValueError(
            f"{origin} has no column(s) {missing}, which a {fmt} file has; its columns are "
            f"[{shown}]. Is it a {fmt} file? Rename the columns to the documented names"
        )


def _refuse_created(table: pd.DataFrame, columns: Iterable[str], origin: str, reader: str) -> None:
    """Raise when the table already has columns the reader creates."""
    clashes = [c for c in columns if c in table.columns]
    if clashes:
        raise FlashpointValueError(
            f"{origin} already has column(s) {clashes}, which {reader} creates; drop or "
            "rename them first"
        )


def _date_problems(
    values: pd.Series,
    text: pd.Series,
    parsed: pd.Series,
    problems: list[_Problem],
    *,
    column: str,
    expected: str,
    check: str = "date_parse",
    required: bool,
) -> None:
    """Record the dates that did not parse and, when ``required``, the missing ones.

    ``values`` are the dates as read, ``text`` the same as trimmed strings and ``parsed`` the
    dates (``NaT`` where parsing failed); an empty or missing ``text`` is a missing date. A
    failure's reason reads ``"<column> <value> <expected>"``.
    """
    missing = (text.isna() | (text == "")).fillna(True).to_numpy(dtype=bool)
    bad = parsed.isna().to_numpy() & ~missing
    reasons = [f"{column} {value!r} {expected}" for value in values[bad]]
    _record(
        problems,
        values.index[bad],
        column,
        check,
        f"{column} {expected}",
        values=values[bad],
        reasons=reasons,
    )
    if required:
        _record(problems, values.index[missing], column, "not_nullable", f"missing {column}")


def _filter_values(name: str, values: str | int | Iterable[Any] | None) -> list[str] | None:
    """Normalise a filter argument: ``None`` (no filter), one value or a collection."""
    if values is None:
        return None
    if isinstance(values, str | int) and not isinstance(values, bool):
        return [str(values).strip()]
    if isinstance(values, bool | float | Mapping) or not isinstance(values, Iterable):
        raise FlashpointTypeError(
            f"{name}= must be a value or a list of values to keep (text or whole numbers); "
            f"got {values!r}"
        )
    out = [str(v).strip() for v in values]
    if not out:
        raise FlashpointValueError(f"{name}= is empty; pass None to keep every row")
    return out


def _match(table: pd.DataFrame, columns: Sequence[str], values: Iterable[str]) -> np.ndarray:
    """Rows where any of ``columns`` equals one of ``values`` (also inside '; ' lists)."""
    wanted = set(values)
    mask = np.zeros(len(table), dtype=bool)
    for col in columns:
        s = table[col].astype("string").str.strip()
        hit = s.isin(wanted).fillna(False).to_numpy(dtype=bool, copy=True)
        listed = s.str.contains(";", regex=False).fillna(False).to_numpy(dtype=bool)
        if listed.any():
            parts = s[listed].str.split(";")
            hit[listed] |= parts.map(
                lambda items: any(p.strip() in wanted for p in items)
            ).to_numpy(dtype=bool)
        mask |= hit
    return mask


def _apply_filters(
    table: pd.DataFrame,
    filters: Sequence[tuple[str, Sequence[str], list[str] | None]],
    origin: str,
    fmt: str,
) -> pd.DataFrame:
    """Keep the rows that pass every filter ``(argument name, columns, values)``."""
    applied: list[str] = []
    for name, columns, values in filters:
        if values is None:
            continue
        _require(table, columns, origin, fmt)
        mask = _match(table, columns, values)
        if not mask.any():
            present = (
                pd.concat([table[c] for c in columns]).dropna().astype(str).value_counts().index
            )
            after = f" after {', '.join(applied)}" if applied else ""
            raise FlashpointValueError(
                f"no row of {origin} matches {name}={values!r}{after}; values found in "
                f"{list(columns)}: {list(present[:10])}. Check the spelling (matching is exact)"
            )
        table = table[mask]
        applied.append(f"{name}=")
    return table


def _numbers(
    table: pd.DataFrame,
    column: str,
    problems: list[_Problem],
    *,
    integer: bool,
    nonnegative: bool = False,
) -> pd.Series:
    """Convert a column to ``Int64`` / ``float64``, recording values that are not numbers."""
    raw = table[column]
    num = pd.to_numeric(raw.astype("string").str.strip(), errors="coerce").astype("Float64")
    given = (
        raw.notna().to_numpy() & (raw.astype("string").str.strip() != "").fillna(False).to_numpy()
    )
    bad = num.isna().to_numpy(dtype=bool, na_value=True) & given
    kind = "a whole number" if integer else "a number"
    if integer:
        frac = (num.notna() & (num != num.round())).to_numpy(dtype=bool, na_value=False)
        bad |= frac
    if nonnegative:
        bad |= (num < 0).to_numpy(dtype=bool, na_value=False)
        kind += " >= 0"
    _record(
        problems,
        table.index[bad],
        column,
        "dtype",
        f"value in '{column}' is not {kind}",
        values=raw[bad],
        reasons=[f"value {value!r} in '{column}' is not {kind}" for value in raw[bad]],
    )
    num = num.mask(pd.Series(bad, index=num.index))
    return num.round().astype("Int64") if integer else num.astype("float64")


def _empty_valid(table: pd.DataFrame) -> pd.DataFrame:
    out = table.iloc[:0].copy()
    out[DATE] = pd.to_datetime(out[DATE]).astype("datetime64[us]")
    return out


def _report(what: str, problems: list[_Problem], n_rows: int) -> str:
    rows_bad = {p.label for p in problems}
    lines = [
        f"{what} failed validation: {len(problems)} problem(s) in {len(rows_bad)} of {n_rows} rows."
    ]
    grouped: dict[str, list[_Problem]] = {}
    for p in problems:
        grouped.setdefault(p.summary, []).append(p)
    for summary, items in grouped.items():
        examples = ", ".join(f"row {p.label!r}: {p.value!r}" for p in items[:5])
        more = f" (and {len(items) - 5} more)" if len(items) > 5 else ""
        lines.append(f"- {summary} [{len(items)} row(s)]: {examples}{more}")
    return "\n".join(lines)


def _finish(
    table: pd.DataFrame,
    raw: pd.DataFrame,
    problems: list[_Problem],
    *,
    by: str | None,
    on_error: str,
    what: str,
    tz: Any = None,
) -> pd.DataFrame | Quarantine:
    """Validate the rows without format problems and merge both kinds of rejection.

    ``table`` holds converted values, ``raw`` the same rows (same index) as read; rejected
    rows are reported from ``raw``. Rows with a format problem skip schema validation, so a
    row is reported once, with its format problem.
    """
    fix = (
        "Fix the rows at the source, or call with on_error='quarantine' to get the valid rows "
        "and the rejected rows with a reason each."
    )
    if not problems:
        if on_error == "raise":
            return validate_events(table, by=by, tz=tz)
        q = validate_events(table, by=by, on_error="quarantine", tz=tz)
        return Quarantine(q.valid, _raw_rejected(raw, q.rejected.index, q.rejected[REASON]))
    bad = pd.Index(list(dict.fromkeys(p.label for p in problems)))
    rest = table[~table.index.isin(bad)]
    if on_error == "raise":
        message = _report(what, problems, len(table))
        cases = pd.DataFrame(
            {
                "column": [p.column for p in problems],
                "check": [p.check for p in problems],
                "index": [p.label for p in problems],
                "failure_case": [p.value for p in problems],
                REASON: [p.reason for p in problems],
            }
        )
        if len(rest):
            try:
                validate_events(rest, by=by, tz=tz)
            except SchemaValidationError as err:
                # the validator's report ends with its own advice (quarantine included)
                message += "\nThe other rows: " + str(err)
                cases = pd.concat([cases, err.failure_cases], ignore_index=True)
                raise SchemaValidationError(message, cases) from None
        raise SchemaValidationError(message + "\n" + fix, cases)
    reasons: dict[Hashable, list[str]] = {}
    for p in problems:
        reasons.setdefault(p.label, []).append(p.reason)
    if len(rest):
        q = validate_events(rest, by=by, on_error="quarantine", tz=tz)
        valid = q.valid
        for label, reason in zip(q.rejected.index, q.rejected[REASON], strict=True):
            reasons[label] = [str(reason)]
    else:
        valid = _empty_valid(rest)
    labels = pd.Index(list(reasons))
    return Quarantine(valid, _raw_rejected(raw, labels, ["; ".join(reasons[k]) for k in labels]))


def _raw_rejected(raw: pd.DataFrame, labels: pd.Index, reasons: Iterable[Any]) -> pd.DataFrame:
    """Rejected rows as read, in file order, with their reasons."""
    by_label = dict(zip(labels, reasons, strict=True))
    order = np.sort(raw.index.get_indexer(labels))
    out = raw.iloc[order].copy()
    out[REASON] = [by_label[k] for k in out.index]
    return out
