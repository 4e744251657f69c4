"""The validation engine: per-row conversion, pandera checks, one report of every failure."""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.errors import FlashpointTypeError, FlashpointValueError, SchemaValidationError
from flashpoint.schemas._dates import localize, parse_text_dates
from flashpoint.schemas._quarantine import Quarantine
from flashpoint.schemas.columns import DATE, EARLIEST_DATE, REASON

if TYPE_CHECKING:
    import pandera.errors as pa_errors
    import pandera.pandas as pa
else:  # pandera costs about a third of a second to import: load it on the first validation
    pa = lazy_module("pandera.pandas")
    pa_errors = lazy_module("pandera.errors")

_MAX_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class _Failure:
    column: str | None
    check: str
    position: int | None  # row position, None for column/table-level failures
    value: Any
    reason: str


# --------------------------------------------------------------------------------------------
# Per-row converters (step 1)
# --------------------------------------------------------------------------------------------
def _describe(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.isoformat().split("T")[0]
    return repr(value) if isinstance(value, str) else str(value)


def _short(value: Any) -> str:
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.isoformat().split("T")[0]
    return str(value.item() if isinstance(value, np.generic) else value)


def _coerce_dates(
    s: pd.Series,
    column: str,
    *,
    required: bool,
    failures: list[_Failure],
    tz: _dt.tzinfo | str | None = None,
) -> pd.Series | None:
    """Convert a column to tz-naive datetime64 by the time-zone rule (``_dates``).

    Records what cannot be converted. Returns ``None`` when the whole column is unusable (a
    table-level failure was recorded).
    """
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        parsed = localize(s, tz)
    elif pd.api.types.is_datetime64_dtype(s.dtype):
        parsed = s
    elif pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        if len(s) and bool(s.isna().all()):
            parsed = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
        else:
            failures.append(
                _Failure(
                    column,
                    "dtype",
                    None,
                    str(s.dtype),
                    f"column '{column}' has dtype {s.dtype}; expected datetime64 or ISO 8601 "
                    f"date strings ('YYYY-MM-DD'). Convert it first, e.g. with "
                    f"pd.to_datetime(df['{column}'], unit=...) for epoch numbers, or "
                    f"format='%Y%m%d' for numbers such as 20231122",
                )
            )
            return None
    else:
        values = s if isinstance(s.dtype, pd.StringDtype) else s.astype(object)
        parsed = parse_text_dates(values, tz)
        bad = parsed.isna().to_numpy() & values.notna().to_numpy()
        if bad.any():
            n_ok = int((values.notna().to_numpy() & ~bad).sum())
            for pos in np.flatnonzero(bad):
                raw = values.iloc[pos]
                reason = f"unparseable date {_describe(raw)} in column '{column}'"
                if _parses_some_other_way(raw):
                    reason += (
                        " (mixed date formats: it is not ISO 8601 'YYYY-MM-DD'"
                        + (" while the other rows are" if n_ok else "")
                        + "; convert the column with pd.to_datetime(..., format=...) first)"
                    )
                else:
                    reason += "; expected an ISO 8601 date such as '2023-11-22'"
                failures.append(_Failure(column, "date_parse", int(pos), raw, reason))
    parsed = parsed.astype("datetime64[us]")
    if required:
        missing = parsed.isna().to_numpy().copy()
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            missing &= s.isna().to_numpy()
        for pos in np.flatnonzero(missing):
            failures.append(
                _Failure(column, "not_nullable", int(pos), None, f"missing date in '{column}'")
            )
    return parsed


def _parses_some_other_way(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return not pd.isna(pd.to_datetime(value, format="mixed", dayfirst=True))
    except (TypeError, ValueError, OverflowError):
        return False


def _coerce_numbers(
    s: pd.Series, column: str, *, integer: bool, failures: list[_Failure]
) -> pd.Series:
    """Convert a column to Int64 (``integer``) or float64, recording failures per row."""
    if pd.api.types.is_bool_dtype(s.dtype):
        failures.append(
            _Failure(
                column,
                "dtype",
                None,
                str(s.dtype),
                f"column '{column}' is boolean; expected numbers",
            )
        )
        return s
    if integer and pd.api.types.is_integer_dtype(s.dtype):
        return s.astype("Int64") if s.dtype != "Int64" else s
    if not integer and pd.api.types.is_float_dtype(s.dtype):
        return s.astype("float64") if s.dtype != "float64" else s
    if pd.api.types.is_numeric_dtype(s.dtype):
        num = s.astype("float64")
        unconvertible = np.zeros(len(s), dtype=bool)
    else:
        num = pd.to_numeric(s.astype(object), errors="coerce").astype("float64")
        unconvertible = num.isna().to_numpy() & s.notna().to_numpy()
        for pos in np.flatnonzero(unconvertible):
            raw = s.iloc[pos]
            kind = "a whole number" if integer else "a number"
            failures.append(
                _Failure(
                    column,
                    "dtype",
                    int(pos),
                    raw,
                    f"value {_describe(raw)} in column '{column}' is not {kind}",
                )
            )
    if not integer:
        return num
    arr = num.to_numpy()
    fractional = np.isfinite(arr) & (np.floor(arr) != arr)
    for pos in np.flatnonzero(fractional):
        failures.append(
            _Failure(
                column,
                "dtype",
                int(pos),
                arr[pos],
                f"value {arr[pos]} in column '{column}' is not a whole number "
                "(counts and casualties are integers)",
            )
        )
    infinite = np.isinf(arr)
    for pos in np.flatnonzero(infinite):
        failures.append(
            _Failure(column, "dtype", int(pos), arr[pos], f"infinite value in column '{column}'")
        )
    arr = np.where(fractional | infinite | unconvertible, np.nan, arr)
    return pd.Series(pd.array(arr, dtype="Float64"), index=s.index).round().astype("Int64")


def _coerce_bool(s: pd.Series, column: str, *, failures: list[_Failure]) -> pd.Series:
    if pd.api.types.is_bool_dtype(s.dtype) and s.dtype != "boolean":
        return s
    mapping = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
    out = s.astype(object).map(
        lambda v: v if isinstance(v, bool | np.bool_) else mapping.get(str(v).strip().lower())
    )
    bad = out.isna().to_numpy()
    for pos in np.flatnonzero(bad):
        failures.append(
            _Failure(
                column,
                "dtype",
                int(pos),
                s.iloc[pos],
                f"value {_describe(s.iloc[pos])} in column '{column}' is not True/False",
            )
        )
    return out.where(~bad, False).astype(bool)


# --------------------------------------------------------------------------------------------
# Checks used by several schemas (step 2)
# --------------------------------------------------------------------------------------------
def _date_range_checks(
    column: str, min_date: pd.Timestamp | None, max_date: pd.Timestamp
) -> list[pa.Check]:
    """Plausible dates: after 1900-01-01 (``min_date=None``) or from ``min_date`` on."""
    if min_date is None:
        too_early = pa.Check(
            lambda s: s.isna() | (s > EARLIEST_DATE),
            element_wise=False,
            error=f"date on or before {EARLIEST_DATE.date()} in '{column}' ({EARLIEST_DATE.date()} "
            "is the spreadsheet placeholder for an unknown date; check the year, or pass "
            "min_date= to allow older events)",
            name="date_not_too_early",
        )
    else:
        too_early = pa.Check(
            lambda s: s.isna() | (s >= min_date),
            element_wise=False,
            error=f"date before {min_date.date()} in '{column}' (check the year, or pass an "
            "earlier min_date=)",
            name="date_not_too_early",
        )
    return [
        too_early,
        pa.Check(
            lambda s: s.isna() | (s <= max_date),
            element_wise=False,
            error=f"date in the future (after {max_date.date()}) in '{column}' (check the "
            "year, or pass max_date=)",
            name="date_not_in_future",
        ),
    ]


def _isin_check(column: str, allowed: Collection[Any]) -> pa.Check:
    allowed_list = list(allowed)
    shown = ", ".join(repr(a) for a in allowed_list[:12]) + (
        ", ..." if len(allowed_list) > 12 else ""
    )
    return pa.Check(
        lambda s: s.isna() | s.isin(allowed_list),
        element_wise=False,
        error=f"unknown category in '{column}'; expected one of {shown} "
        "(fix the value, or declare it with categories=)",
        name="isin",
    )


def _unique_rows_check(columns: list[str], what: str) -> pa.Check:
    def check(df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(subset=columns, keep="first")

    return pa.Check(check, error=f"duplicate {what}", name="unique_rows")


def _complete_calendar_check(by: str | None, freq: str) -> pa.Check:
    """Flag each row that is followed by a gap in its group's calendar."""
    step = pd.tseries.frequencies.to_offset(freq)

    def check(df: pd.DataFrame) -> pd.Series:
        if by is None:
            dates = df[DATE]
            order = np.argsort(dates.to_numpy(), kind="stable")
            d = dates.to_numpy()[order]
            expected_next = (pd.DatetimeIndex(d) + step).to_numpy()
            ok_sorted = np.ones(len(d), dtype=bool)
            ok_sorted[:-1] = d[1:] <= expected_next[:-1]
            ok = np.empty(len(d), dtype=bool)
            ok[order] = ok_sorted
            return pd.Series(ok, index=df.index)
        sorted_df = df[[by, DATE]].sort_values([by, DATE], kind="stable")
        nxt = sorted_df.groupby(by, sort=False, observed=True)[DATE].shift(-1)
        expected = pd.DatetimeIndex(sorted_df[DATE]) + step
        ok = nxt.isna().to_numpy() | (nxt.to_numpy() <= expected.to_numpy())
        return pd.Series(ok, index=sorted_df.index).reindex(df.index)

    return pa.Check(
        check,
        error=f"gap in the calendar after this date (expected consecutive dates at frequency "
        f"'{freq}'; build counts with fp.count_daily, which zero-fills)",
        name="complete_calendar",
    )


# --------------------------------------------------------------------------------------------
# The validation engine
# --------------------------------------------------------------------------------------------
_PANDERA_REASONS: dict[str, Callable[[str, Any], str]] = {
    "not_nullable": lambda col, v: f"missing value in required column '{col}'",
    "greater_than_or_equal_to": lambda col, v: f"negative value {v} in '{col}'; expected >= 0",
    "in_range": lambda col, v: f"value {v} out of range in '{col}'",
    "column_in_dataframe": lambda col, v: f"column '{v}' is missing",
    "field_uniqueness": lambda col, v: (
        f"duplicate value {_describe(v)} in '{col}' (must be unique)"
    ),
}


def _translate_pandera(failure_cases: pd.DataFrame, positions: pd.Index) -> list[_Failure]:
    """Turn pandera's failure_cases table into our failure records (one per row and check)."""
    out: list[_Failure] = []
    seen: set[tuple[Any, ...]] = set()
    records = zip(
        failure_cases["check"],
        failure_cases["column"],
        failure_cases["index"],
        failure_cases["failure_case"],
        failure_cases["schema_context"],
        strict=True,
    )
    for raw_check, raw_column, idx, value, raw_context in records:
        check = str(raw_check)
        column = None if _is_missing(raw_column) else str(raw_column)
        pos = None if _is_missing(idx) else int(idx)
        context = str(raw_context)
        key_name = check.split("(")[0]
        if context == "DataFrameSchema" and pos is not None:
            # a row-level dataframe check: pandera reports every column; keep one record
            key = (check, pos)
            if key in seen:
                continue
            seen.add(key)
            same = failure_cases[
                (failure_cases["check"] == raw_check) & (failure_cases["index"] == idx)
            ]
            row = ", ".join(
                f"{c}={_short(v)}"
                for c, v in zip(same["column"], same["failure_case"], strict=True)
            )
            out.append(_Failure(None, "dataframe_check", pos, row, check))
            continue
        if key_name == "column_in_dataframe":
            value = value if value is not None else column
            out.append(
                _Failure(
                    str(value), "column_in_dataframe", None, None, f"column '{value}' is missing"
                )
            )
            continue
        if key_name in _PANDERA_REASONS:
            reason = _PANDERA_REASONS[key_name](column or "", value)
        elif key_name.startswith("unique") or key_name == "field_uniqueness":
            reason = f"duplicate value {_describe(value)} in '{column}' (must be unique)"
        elif key_name.startswith("dtype"):
            reason = f"column '{column}' has dtype {value}; expected {check[6:-1]}"
        else:
            reason = check
            if value is not None and pos is not None and "unknown category" in check:
                reason = f"{check.split(';')[0]}: {_describe(value)};{check.split(';', 1)[1]}"
        out.append(_Failure(column, key_name, pos, value, reason))
    return out


def _format_report(
    table: str, failures: list[_Failure], labels: pd.Index, n_rows: int, fix: str
) -> str:
    rows_bad = {f.position for f in failures if f.position is not None}
    header = f"{table} failed validation: {len(failures)} problem(s)"
    if rows_bad:
        header += f" in {len(rows_bad)} of {n_rows} rows"
    lines = [header + "."]
    grouped: dict[tuple[str | None, str], list[_Failure]] = {}
    for f in failures:
        base_reason = f.reason if f.position is None else _generic_reason(f)
        grouped.setdefault((f.column, base_reason), []).append(f)
    for (_column, reason), items in grouped.items():
        rowed = [f for f in items if f.position is not None]
        if not rowed:
            lines.append(f"- {reason}")
            continue
        examples = ", ".join(_example(f, labels) for f in rowed[:_MAX_EXAMPLES])
        more = f" (and {len(rowed) - _MAX_EXAMPLES} more)" if len(rowed) > _MAX_EXAMPLES else ""
        lines.append(f"- {reason} [{len(rowed)} row(s)]: {examples}{more}")
    lines.append(fix)
    return "\n".join(lines)


def _example(f: _Failure, labels: pd.Index) -> str:
    """``row <label>: <value>`` for one failure of the report."""
    text = f"row {_describe(labels[f.position if f.position is not None else 0])}"
    if _is_missing(f.value):
        return text
    if f.check == "dataframe_check":  # the value is a description of the row
        return f"{text}: {f.value}"
    return f"{text}: {_describe(f.value)}"


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _generic_reason(f: _Failure) -> str:
    """Reason without the row's own value, so that rows with one problem group together."""
    if f.check in {"date_parse"}:
        return f.reason.replace(f" {_describe(f.value)}", "", 1)
    if f.check in {"dtype", "greater_than_or_equal_to", "field_uniqueness", "in_range"}:
        if f.value is None:
            return f.reason
        token = f" {_describe(f.value)}"
        if token in f.reason:
            return f.reason.replace(token, "", 1)
        return f.reason.replace(f" {f.value}", "", 1) if str(f.value).strip() else f.reason
    if f.check == "isin":
        return f.reason.replace(f": {_describe(f.value)}", "", 1)
    if f.check == "dataframe_check":
        return f.reason
    return f.reason


def _failure_table(failures: list[_Failure], labels: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "column": [f.column for f in failures],
            "check": [f.check for f in failures],
            "index": [None if f.position is None else labels[f.position] for f in failures],
            "failure_case": [f.value for f in failures],
            REASON: [f.reason for f in failures],
        }
    )


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to convert and check one table."""

    table: str
    schema: pa.DataFrameSchema
    date_columns: Mapping[str, bool]  # column -> required
    int_columns: Iterable[str] = ()
    float_columns: Iterable[str] = ()
    bool_columns: Iterable[str] = ()
    required: Iterable[str] = ()
    fix: str = ""
    can_quarantine: bool = False
    tz: _dt.tzinfo | str | None = None


def check_on_error(on_error: str) -> None:
    """Raise unless ``on_error`` is ``"raise"`` or ``"quarantine"``."""
    if on_error not in ("raise", "quarantine"):
        raise FlashpointValueError(f"on_error must be 'raise' or 'quarantine', got {on_error!r}")


def _check_table(df: Any, plan: _Plan) -> None:
    """Raise when ``df`` is not a DataFrame, lacks a required column or has no rows."""
    if not isinstance(df, pd.DataFrame):
        raise FlashpointTypeError(
            f"{plan.table} must be a pandas DataFrame, got {type(df).__name__}. "
            "Read files with fp.read_events(path, ...) first."
        )
    failures: list[_Failure] = []
    missing = [c for c in plan.required if c not in df.columns]
    for c in missing:
        found = ", ".join(map(str, df.columns[:20])) or "(none)"
        failures.append(
            _Failure(
                c,
                "column_in_dataframe",
                None,
                None,
                f"required column '{c}' is missing (columns found: {found}); rename your column "
                f"to '{c}' or map it with fp.read_events(..., columns=...)",
            )
        )
    if len(df) == 0:
        failures.append(
            _Failure(
                None,
                "not_empty",
                None,
                None,
                f"the {plan.table} has no rows; there is nothing to validate or count "
                "(check the file, or the filters applied before validation)",
            )
        )
    if failures:
        raise SchemaValidationError(
            _format_report(plan.table, failures, df.index, len(df), plan.fix),
            _failure_table(failures, df.index),
        )


def _convert_values(work: pd.DataFrame, plan: _Plan, failures: list[_Failure]) -> None:
    """Convert the plan's date, integer, float and boolean columns in place, row by row."""
    for col, required in plan.date_columns.items():
        if col in work.columns:
            converted = _coerce_dates(
                work[col], col, required=required, failures=failures, tz=plan.tz
            )
            if converted is not None and converted is not work[col]:
                work[col] = converted
    for col in plan.int_columns:
        if col in work.columns:
            work[col] = _coerce_numbers(work[col], col, integer=True, failures=failures)
    for col in plan.float_columns:
        if col in work.columns:
            work[col] = _coerce_numbers(work[col], col, integer=False, failures=failures)
    for col in plan.bool_columns:
        if col in work.columns:
            work[col] = _coerce_bool(work[col], col, failures=failures)


def _run(df: Any, plan: _Plan, on_error: str) -> pd.DataFrame | Quarantine:
    """Validate ``df`` by ``plan``: columns present, values converted, schema checks.

    Failures of every step are reported together; with ``on_error="quarantine"`` the rows
    that fail are set aside with their reasons (a failure of the whole table still raises).
    """
    check_on_error(on_error)
    _check_table(df, plan)
    labels = df.index
    work = df.copy(deep=False)
    work.index = pd.RangeIndex(len(work))
    failures: list[_Failure] = []
    _convert_values(work, plan, failures)
    table_level = [f for f in failures if f.position is None]
    if not table_level:
        try:
            plan.schema.validate(work, lazy=True, inplace=True)
        except pa_errors.SchemaErrors as err:
            # values step 1 could not convert are missing now: do not report them twice
            already = {(f.column, f.position) for f in failures}
            failures.extend(
                f
                for f in _translate_pandera(err.failure_cases, work.index)
                if (f.column, f.position) not in already
            )
    table_level = [f for f in failures if f.position is None]
    if table_level or (failures and on_error == "raise"):
        fix = plan.fix
        if not table_level and plan.can_quarantine:
            fix += (
                "\nOr call with on_error='quarantine' to get the valid rows and the rejected "
                "rows with a reason each."
            )
        raise SchemaValidationError(
            _format_report(plan.table, failures, labels, len(df), fix),
            _failure_table(failures, labels),
        )
    work.index = labels
    if on_error == "raise":
        return work
    return _quarantine(df, work, failures)


def _quarantine(df: pd.DataFrame, work: pd.DataFrame, failures: list[_Failure]) -> Quarantine:
    """Split into valid rows (converted) and rejected rows (as given, with their reasons)."""
    bad_positions = sorted({f.position for f in failures if f.position is not None})
    reasons: dict[int, list[str]] = {}
    for f in failures:
        if f.position is not None and f.reason not in reasons.setdefault(f.position, []):
            reasons[f.position].append(f.reason)
    mask = np.zeros(len(df), dtype=bool)
    mask[bad_positions] = True
    rejected = df.iloc[bad_positions].copy()
    rejected[REASON] = ["; ".join(reasons[p]) for p in bad_positions]
    return Quarantine(valid=work.iloc[np.flatnonzero(~mask)], rejected=rejected)


@functools.cache
def _model_schema(model: type[pa.DataFrameModel]) -> pa.DataFrameSchema:
    """Build the model's schema with category checks that explain themselves (cached)."""
    schema = model.to_schema()
    for name, column in schema.columns.items():
        checks = [
            _isin_check(name, c.statistics["allowed_values"]) if c.name == "isin" else c
            for c in column.checks
        ]
        schema = schema.update_column(name, checks=checks)
    return schema


def _with_table_checks(schema: pa.DataFrameSchema, checks: list[pa.Check]) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(columns=schema.columns, checks=checks, strict=False, name=schema.name)
