"""Public validators: build the concrete schema for a table and run the engine."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, cast, overload

import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.errors import (
    DataQualityWarning,
    FlashpointTypeError,
    FlashpointValueError,
    warn,
)
from flashpoint.schemas._dates import (
    TzArg,
    as_day,
    check_tz,
    describe_outliers,
    outlying_days,
)
from flashpoint.schemas._dates import normalize_labels as _normalize_labels
from flashpoint.schemas._engine import (
    _complete_calendar_check,
    _date_range_checks,
    _isin_check,
    _model_schema,
    _Plan,
    _run,
    _unique_rows_check,
    _with_table_checks,
)
from flashpoint.schemas._groups import check_group_name, key_columns, warn_near_duplicates
from flashpoint.schemas._quarantine import Quarantine
from flashpoint.schemas.columns import (
    AS_OF_DATE,
    BASES,
    BASIS,
    COUNT,
    COUNTRY,
    DATE,
    END,
    EVENT_ID,
    FATALITIES,
    KIND,
    LABEL,
    LATITUDE,
    LONGITUDE,
    OFFICIAL,
    QUALIFIER,
    STATEMENT_DATE,
    TIMESTAMP,
    TOTAL,
    WEAPON,
    WEAPONS,
    WOUNDED,
)

if TYPE_CHECKING:
    import pandera.pandas as pa

    from flashpoint.schemas import models
else:  # pandera is imported on the first validation (import time)
    pa = lazy_module("pandera.pandas")
    models = lazy_module("flashpoint.schemas.models")

__all__ = ["validate_counts", "validate_events", "validate_key_events", "validate_tallies"]


# --------------------------------------------------------------------------------------------
# Public validators
# --------------------------------------------------------------------------------------------
_OnError = Literal["raise", "quarantine"]


@overload
def validate_events(
    events: pd.DataFrame,
    *,
    by: str | None = ...,
    categories: Mapping[str, Collection[Any]] | None = ...,
    min_date: str | pd.Timestamp | None = ...,
    max_date: str | pd.Timestamp | None = ...,
    on_error: Literal["raise"] = ...,
    tz: TzArg = ...,
    normalize_labels: bool = ...,
) -> pd.DataFrame: ...


@overload
def validate_events(
    events: pd.DataFrame,
    *,
    by: str | None = ...,
    categories: Mapping[str, Collection[Any]] | None = ...,
    min_date: str | pd.Timestamp | None = ...,
    max_date: str | pd.Timestamp | None = ...,
    on_error: Literal["quarantine"],
    tz: TzArg = ...,
    normalize_labels: bool = ...,
) -> Quarantine: ...


def validate_events(
    events: pd.DataFrame,
    *,
    by: str | None = COUNTRY,
    categories: Mapping[str, Collection[Any]] | None = None,
    min_date: str | pd.Timestamp | None = None,
    max_date: str | pd.Timestamp | None = None,
    on_error: _OnError = "raise",
    tz: TzArg = None,
    normalize_labels: bool = False,
) -> pd.DataFrame | Quarantine:
    """Validate an event table against :class:`EventSchema`.

    Parameters
    ----------
    events
        One row per event with a ``date`` column (``datetime64`` or ISO 8601 strings) and
        the group column ``by``. Optional columns (``site``, ``weapon``, ``actor``,
        ``basis``, ``fatalities``, ``wounded``, ``latitude``, ``longitude``, ``source``,
        ``notes``, ``event_id``, ``timestamp``) are checked when present; other columns are
        kept untouched.
    by
        Name of the group column (``None``: the table has no group column).
    categories
        Declared value sets, ``{column: allowed values}``. ``weapon`` and ``basis`` default
        to :data:`WEAPONS` and :data:`BASES`; pass a set for the group column (or any other
        column) to reject unknown values.
    min_date, max_date
        Plausible date range (inclusive). Default: after 1900-01-01 (that day is the
        spreadsheet placeholder for an unknown date, so it is refused too) and up to today
        (no event lies in the future).
    on_error
        ``"raise"`` (default): raise one :class:`~flashpoint.errors.SchemaValidationError`
        listing every failure. ``"quarantine"``: return the valid rows and the rejected rows
        with a reason each. Table-level problems (missing column, timezone-aware dates, no
        rows) always raise, as no row could be kept.
    tz
        Time zone whose calendar days count (see Notes). ``None`` (default): a time with
        a UTC offset falls on its local date as written.
    normalize_labels
        Trim and collapse spaces in the group column ``by`` and merge labels that differ
        only in case into their commonest spelling (``"Iraq "``, ``"IRAQ"`` -> ``"Iraq"``).
        Default ``False``: such labels are kept apart, with a warning.

    Returns
    -------
    pandas.DataFrame or Quarantine
        The validated frame: ``date`` as tz-naive ``datetime64`` at midnight (a time of day,
        when present, is moved to a ``timestamp`` column), ``fatalities``/``wounded`` as
        ``Int64``, ``latitude``/``longitude`` as ``float64``. The index is kept.
        With ``on_error="quarantine"``, a :class:`Quarantine` ``(valid, rejected)``.

    Raises
    ------
    SchemaValidationError
        When any check fails (``on_error="raise"``) or on a table-level problem. Its
        ``failure_cases`` attribute holds one row per failure.
    FlashpointTypeError
        When ``events`` is not a DataFrame, or an argument has the wrong type.

    Warns
    -----
    DataQualityWarning
        When a few dates lie far outside the others (a mistyped year: they would stretch
        a daily calendar over decades), or when group labels differ only in case or
        spaces. Both warnings name the rows or labels.

    See Also
    --------
    flashpoint.read_events : read a CSV or Parquet file into this schema.
    flashpoint.count_daily : count validated events per day and group.

    Notes
    -----
    Dates and times become calendar days by one rule, shared by every reader (module
    ``flashpoint.schemas._dates``): a value without a time zone is local and taken as
    written; a value with a UTC offset (``2023-11-01T23:30:00+03:00``) or a timezone-aware
    column falls on its local date as written (2023-11-01) unless ``tz=`` names the zone to
    convert to first (``tz="UTC"``: 2023-11-01, 20:30). The time of day goes to
    ``timestamp``.

    Examples
    --------
    >>> import pandas as pd
    >>> import flashpoint as fp
    >>> raw = pd.DataFrame({"date": ["2023-11-21", "2023-11-22", "not a date"],
    ...                     "country": ["Iraq", "Syria", "Iraq"]})
    >>> valid, rejected = fp.validate_events(raw, on_error="quarantine")
    >>> len(valid)
    2
    >>> print(rejected["reason"].iloc[0])
    unparseable date 'not a date' in column 'date'; expected an ISO 8601 date such as '2023-11-22'
    """
    check_group_name(by)
    if categories is not None and not isinstance(categories, Mapping):
        raise FlashpointTypeError(
            f"categories must be a mapping {{column: allowed values}}; got "
            f"{type(categories).__name__}"
        )
    min_ts = None if min_date is None else as_day(min_date, "min_date")
    max_ts = (
        as_day(max_date, "max_date") if max_date is not None else pd.Timestamp.today().normalize()
    )
    if min_ts is not None and min_ts > max_ts:
        raise FlashpointValueError(
            f"min_date ({min_ts.date()}) is after max_date ({max_ts.date()}); swap them"
        )
    schema = _event_schema(by, categories, min_ts, max_ts)
    plan = _Plan(
        table="events table",
        schema=schema,
        date_columns={DATE: True, TIMESTAMP: False},
        int_columns=(FATALITIES, WOUNDED),
        float_columns=(LATITUDE, LONGITUDE),
        required=key_columns(DATE, by),
        fix="Fix the values above at the source, or map columns with fp.read_events(...).",
        can_quarantine=True,
        tz=check_tz(tz),
    )
    if normalize_labels and by is not None and isinstance(events, pd.DataFrame) and by in events:
        events = events.assign(**{by: _normalize_labels(events[by])})
    result = _run(events, plan, on_error)
    valid = result.valid if isinstance(result, Quarantine) else result
    valid = _split_time_of_day(valid)
    _warn_outliers(valid)
    if by is not None:
        warn_near_duplicates(
            valid[by], by, fix="pass normalize_labels=True to fp.validate_events / fp.read_events"
        )
    if isinstance(result, Quarantine):
        return Quarantine(valid, result.rejected)
    return valid


def _event_schema(
    by: str | None,
    categories: Mapping[str, Collection[Any]] | None,
    min_ts: pd.Timestamp | None,
    max_ts: pd.Timestamp,
) -> pa.DataFrameSchema:
    """Build the event schema for a group column, declared categories and a date range.

    Building a pandera schema costs more than validating a small table, so schemas are
    cached by their arguments (when the declared categories can be hashed).
    """
    try:
        key = (
            by,
            None
            if categories is None
            else tuple((col, tuple(allowed)) for col, allowed in categories.items()),
            min_ts,
            max_ts,
        )
        hash(key)
    except TypeError:
        return _build_event_schema(by, categories, min_ts, max_ts)
    if key not in _SCHEMAS:
        if len(_SCHEMAS) >= 64:
            _SCHEMAS.clear()
        _SCHEMAS[key] = _build_event_schema(by, categories, min_ts, max_ts)
    return _SCHEMAS[key]


_SCHEMAS: dict[Any, pa.DataFrameSchema] = {}


def _build_event_schema(
    by: str | None,
    categories: Mapping[str, Collection[Any]] | None,
    min_ts: pd.Timestamp | None,
    max_ts: pd.Timestamp,
) -> pa.DataFrameSchema:
    schema = _model_schema(models.EventSchema)
    schema = schema.remove_columns([COUNTRY])
    if by is not None:
        if by in schema.columns and by != COUNTRY:
            raise FlashpointValueError(
                f"by={by!r} names a typed event column; choose a group column such as 'country'"
            )
        schema = schema.add_columns({by: pa.Column(None, nullable=False, required=True)})
    schema = schema.update_column(DATE, checks=_date_range_checks(DATE, min_ts, max_ts))
    declared: dict[str, Collection[Any]] = {WEAPON: WEAPONS, BASIS: BASES}
    declared.update(categories or {})
    for col, allowed in declared.items():
        if isinstance(allowed, str) or not isinstance(allowed, Collection):
            raise FlashpointTypeError(
                f"categories[{col!r}] must be a collection of allowed values such as "
                f"['a', 'b']; got {allowed!r}"
            )
        if col in schema.columns:
            others = [c for c in schema.columns[col].checks if c.name != "isin"]
            schema = schema.update_column(col, checks=[*others, _isin_check(col, allowed)])
        else:
            schema = schema.add_columns(
                {
                    col: pa.Column(
                        None, nullable=True, required=False, checks=[_isin_check(col, allowed)]
                    )
                }
            )
    if EVENT_ID in schema.columns:
        schema = schema.update_column(EVENT_ID, unique=True, report_duplicates="exclude_first")
    return schema


def _warn_outliers(events: pd.DataFrame) -> None:
    """Warn, naming the rows, when a few dates sit far outside the others."""
    day = events[DATE].to_numpy().astype("datetime64[D]").view("int64")
    mask = outlying_days(day)
    if mask.any():
        warn(
            f"{int(mask.sum())} event date(s) lie far outside the others (a mistyped year?): "
            f"{describe_outliers(events[DATE], mask)}. A daily calendar through them would be "
            "mostly empty: check the year; to set the rows aside pass min_date=/max_date= "
            "(with on_error='quarantine' to keep the other rows), or count a window with "
            "fp.count_daily(..., start=, end=)",
            DataQualityWarning,
        )


def _split_time_of_day(df: pd.DataFrame) -> pd.DataFrame:
    """Floor ``date`` to midnight, keeping any time of day in ``timestamp`` (lossless)."""
    dates = df[DATE]
    floored = dates.dt.floor("D")
    if len(df) == 0 or bool((floored == dates).all()):
        return df
    out = df.copy(deep=False)
    if TIMESTAMP not in out.columns:
        out[TIMESTAMP] = dates
    out[DATE] = floored
    return out


def validate_counts(
    counts: pd.DataFrame, *, by: str | None = COUNTRY, freq: str = "D"
) -> pd.DataFrame:
    """Validate a table of regular counts against :class:`CountsSchema`.

    Parameters
    ----------
    counts
        Columns ``date``, the group column ``by`` (omit with ``by=None``) and ``count``.
    by
        Name of the group column, or ``None`` for a single series.
    freq
        Frequency of the calendar (``"D"`` daily; ``"W-MON"``, ``"MS"``, ... after resampling).

    Returns
    -------
    pandas.DataFrame
        The validated counts, ``count`` as ``int64``.

    Raises
    ------
    SchemaValidationError
        On negative or non-integer counts, duplicate ``(date, group)`` rows, gaps in a
        group's calendar, missing columns or values. Every failure is listed.

    Examples
    --------
    >>> import pandas as pd
    >>> import flashpoint as fp
    >>> counts = pd.DataFrame({"date": pd.date_range("2023-11-20", periods=3),
    ...                        "country": "Iraq", "count": [1, 0, 2]})
    >>> fp.validate_counts(counts)["count"].sum()
    np.int64(3)
    """
    schema = _model_schema(models.CountsSchema).remove_columns([COUNTRY])
    keys = [DATE]
    if by is not None:
        schema = schema.add_columns({by: pa.Column(None, nullable=False, required=True)})
        keys = [DATE, by]
    schema = _with_table_checks(
        schema,
        [
            _unique_rows_check(
                keys, "(" + ", ".join(keys) + ") row: each date appears once per group"
            ),
            _complete_calendar_check(by, freq),
        ],
    )
    plan = _Plan(
        table="counts table",
        schema=schema,
        date_columns={DATE: True},
        int_columns=(COUNT,),
        required=[DATE, COUNT] + ([by] if by is not None else []),
        fix="Build counts with fp.count_daily(events, by=...), which returns a valid table.",
    )
    out = cast(pd.DataFrame, _run(counts, plan, "raise"))
    out[COUNT] = out[COUNT].astype("int64")
    return out


def validate_key_events(key_events: pd.DataFrame) -> pd.DataFrame:
    """Validate a table of key events (interventions) against :class:`KeyEventSchema`.

    Parameters
    ----------
    key_events
        Columns ``date``, ``kind``, ``label`` and optionally ``end`` (last day of a period
        such as a truce) and ``group`` (the group the event applies to; missing: all).

    Returns
    -------
    pandas.DataFrame
        The validated table with ``date``/``end`` as ``datetime64``.

    Raises
    ------
    SchemaValidationError
        On missing columns or values, unparseable dates or an ``end`` before its ``date``.

    Examples
    --------
    >>> import pandas as pd
    >>> import flashpoint as fp
    >>> ev = pd.DataFrame({"date": ["2023-11-22"], "kind": ["us_strike"],
    ...                    "label": ["KH strike"]})
    >>> fp.validate_key_events(ev)["date"].dt.strftime("%Y-%m-%d").tolist()
    ['2023-11-22']
    """
    schema = _model_schema(models.KeyEventSchema)

    def end_after_start(df: pd.DataFrame) -> pd.Series:
        if END not in df.columns:
            return pd.Series(True, index=df.index)
        return df[END].isna() | df[DATE].isna() | (df[END] >= df[DATE])

    schema = _with_table_checks(
        schema, [pa.Check(end_after_start, error="'end' is before 'date'", name="end_after_start")]
    )
    plan = _Plan(
        table="key events table",
        schema=schema,
        date_columns={DATE: True, END: False},
        required=[DATE, KIND, LABEL],
        fix="Each key event needs a date, a kind and a label; a period needs end >= date.",
    )
    return cast(pd.DataFrame, _run(key_events, plan, "raise"))


def validate_tallies(tallies: pd.DataFrame, *, groups: Iterable[str] = ()) -> pd.DataFrame:
    """Validate a table of cumulative tallies against :class:`TallySchema`.

    Parameters
    ----------
    tallies
        Columns ``as_of_date`` (may be missing for an undated figure), ``total``,
        ``qualifier`` (one of :data:`QUALIFIERS`), ``official`` (bool) and optionally
        ``statement_date`` and per-group cumulative counts named in ``groups``.
    groups
        Per-group count columns (for example ``("iraq", "syria", "other")``).

    Returns
    -------
    pandas.DataFrame
        The validated table; counts as ``Int64`` (missing where not given).

    Raises
    ------
    SchemaValidationError
        On unknown qualifiers, negative counts, unparseable dates, missing columns, or a
        ``statement_date`` before its ``as_of_date``.

    Examples
    --------
    >>> import pandas as pd
    >>> import flashpoint as fp
    >>> t = pd.DataFrame({"as_of_date": ["2023-11-23"], "total": [73], "iraq": [36],
    ...                   "syria": [37], "qualifier": ["exact"], "official": [True]})
    >>> fp.validate_tallies(t, groups=["iraq", "syria"])[["total", "iraq"]].iloc[0].tolist()
    [73, 36]
    """
    if isinstance(groups, str):
        raise FlashpointTypeError(
            f"groups must be a list of per-group count columns such as ['iraq', 'syria']; got "
            f"the string {groups!r} (write groups=[{groups!r}])"
        )
    groups = list(groups)
    schema = _model_schema(models.TallySchema)
    schema = schema.add_columns(
        {
            g: pa.Column(pd.Int64Dtype(), nullable=True, required=True, checks=[pa.Check.ge(0)])
            for g in groups
        }
    )

    def stated_after_as_of(df: pd.DataFrame) -> pd.Series:
        if STATEMENT_DATE not in df.columns:
            return pd.Series(True, index=df.index)
        stated, as_of = df[STATEMENT_DATE], df[AS_OF_DATE]
        return stated.isna() | as_of.isna() | (stated >= as_of)

    schema = _with_table_checks(
        schema,
        [
            pa.Check(
                stated_after_as_of,
                error="'statement_date' is before 'as_of_date' (a figure cannot be stated "
                "before the day it counts to; swap or fix the dates)",
                name="stated_after_as_of",
            )
        ],
    )
    plan = _Plan(
        table="tallies table",
        schema=schema,
        date_columns={AS_OF_DATE: False, STATEMENT_DATE: False},
        int_columns=(TOTAL, *groups),
        bool_columns=(OFFICIAL,),
        required=[AS_OF_DATE, TOTAL, QUALIFIER, OFFICIAL, *groups],
        fix="Tallies are cumulative counts since the start of the count, with a qualifier "
        "('exact', 'about', 'at_least') and an official flag.",
    )
    return cast(pd.DataFrame, _run(tallies, plan, "raise"))
