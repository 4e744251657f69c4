"""UCDP Georeferenced Event Dataset (GED) -> the flashpoint event schema.

UCDP GED records events of organised violence with at least one direct death. An event is
dated by a span, ``date_start`` to ``date_end``, which is a single day when the sources give
the day and longer otherwise; :func:`read_ucdp_ged` turns spans into daily events by an
explicit rule (``multi_day``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from os import PathLike
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from flashpoint._deprecate import renamed
from flashpoint.errors import FlashpointValueError
from flashpoint.limits import check_memory
from flashpoint.schemas import COUNTRY, DATE, EVENT_ID, FATALITIES, SITE, SOURCE, Quarantine
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
    _record,
    _refuse_created,
    _require,
    _warn,
)

__all__ = ["GED_COLUMNS", "SPAN_DAYS", "WEIGHT", "read_ucdp_ged"]

GED_COLUMNS: tuple[str, ...] = (
    "id",
    "relid",
    "year",
    "active_year",
    "code_status",
    "type_of_violence",
    "conflict_dset_id",
    "conflict_new_id",
    "conflict_name",
    "dyad_dset_id",
    "dyad_new_id",
    "dyad_name",
    "side_a_dset_id",
    "side_a_new_id",
    "side_a",
    "side_b_dset_id",
    "side_b_new_id",
    "side_b",
    "number_of_sources",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
    "where_prec",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "geom_wkt",
    "priogrid_gid",
    "country",
    "country_id",
    "region",
    "event_clarity",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
    "gwnoa",
    "gwnob",
)
"""Columns of the UCDP GED global CSV (versions 20.1-24.1), in file order."""

WEIGHT = "weight"
"""Share of an event carried by one row: ``1 / span_days`` with ``multi_day="spread"``, 1 else."""
SPAN_DAYS = "span_days"
"""Length of the event's date span in days (``date_end - date_start + 1``)."""

_RENAMES = {"where_coordinates": SITE, "source_article": SOURCE}
_DEATHS = ("best", "low", "high", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")
_CODES = ("type_of_violence", "date_prec", "where_prec", "event_clarity")


@overload
def read_ucdp_ged(
    path_or_frame: str | PathLike[str] | pd.DataFrame,
    *,
    multi_day: Literal["first", "spread"] = ...,
    types_of_violence: int | Iterable[int] | None = ...,
    actors: str | Iterable[str] | None = ...,
    actor_columns: Sequence[str] = ...,
    countries: str | Iterable[str] | None = ...,
    by: str = ...,
    on_error: Literal["raise"] = ...,
    tz: TzArg = ...,
    **deprecated: Any,
) -> pd.DataFrame: ...


@overload
def read_ucdp_ged(
    path_or_frame: str | PathLike[str] | pd.DataFrame,
    *,
    multi_day: Literal["first", "spread"] = ...,
    types_of_violence: int | Iterable[int] | None = ...,
    actors: str | Iterable[str] | None = ...,
    actor_columns: Sequence[str] = ...,
    countries: str | Iterable[str] | None = ...,
    by: str = ...,
    on_error: Literal["quarantine"],
    tz: TzArg = ...,
    **deprecated: Any,
) -> Quarantine: ...


def read_ucdp_ged(
    path_or_frame: str | PathLike[str] | pd.DataFrame,
    *,
    multi_day: Literal["first", "spread"] = "first",
    types_of_violence: int | Iterable[int] | None = None,
    actors: str | Iterable[str] | None = None,
    actor_columns: Sequence[str] = ("side_a", "side_b"),
    countries: str | Iterable[str] | None = None,
    by: str = COUNTRY,
    on_error: OnError = "raise",
    tz: TzArg = None,
    **deprecated: Any,
) -> pd.DataFrame | Quarantine:
    """Read UCDP GED events (CSV file or DataFrame) into the event schema.

    Parameters
    ----------
    path_or_frame
        The GED CSV (``GEDEvent_v24_1.csv``, also ``.csv.gz``), a Parquet copy, or a
        DataFrame with GED's column names (:data:`GED_COLUMNS`). Required: ``id``,
        ``date_start``, ``date_end``, ``best`` and the ``group`` column.
    multi_day
        How an event whose span covers several days (``date_start < date_end``) is dated:

        - ``"first"`` (default): one row per event, on ``date_start``;
        - ``"spread"``: one row per day of the span, each with ``weight = 1 / span_days``.

        See Notes for what :func:`flashpoint.count_daily` then counts.
    types_of_violence
        Keep events of these UCDP types: 1 state-based conflict, 2 non-state conflict,
        3 one-sided violence.
    actors
        Keep events where one of ``actor_columns`` (default ``side_a``, ``side_b``) is one of
        these names, e.g. ``"IS"`` or ``"Government of Iraq"``.
    actor_columns
        The GED columns ``actors`` looks in.
    countries
        Keep events whose ``country`` is one of these GED country names.
    by
        The column that becomes the group column, e.g. ``"adm_1"`` or ``"conflict_name"``.
        (``group=`` is the old, deprecated name.)
    on_error
        ``"raise"`` (default) or ``"quarantine"`` (valid rows and rejected rows with a reason
        each), as in :func:`flashpoint.validate_events`.
    tz
        Time zone whose calendar days count, by the rule of
        :func:`flashpoint.validate_events` (GED dates are local days; this matters only
        for dates given with a UTC offset).

    Returns
    -------
    pandas.DataFrame or Quarantine
        The GED columns as in the file, with:

        - ``date`` (``datetime64``): ``date_start`` (``"first"``) or each day of the span
          (``"spread"``);
        - ``date_start``, ``date_end`` converted to ``datetime64``;
        - ``event_id``: GED ``id`` (``"first"``) or ``"<id>:<YYYY-MM-DD>"`` (``"spread"``);
          ``id`` itself is kept;
        - ``fatalities`` (``Int64``, deaths): ``best`` (``"first"``), or ``best`` split over
          the days of the span (``"spread"``: ``best // span_days`` each day, plus one on the
          first ``best % span_days`` days, so an event's rows sum to ``best``);
        - ``best``, ``low``, ``high``, ``deaths_*`` (``Int64``, deaths): the event's totals,
          repeated on each row of a spread event;
        - ``span_days`` (``int64``, days) and ``weight`` (``float64``, events);
        - ``site`` (from ``where_coordinates``), ``source`` (from ``source_article``).

        The index is the event's position in the file (repeated on each day of a spread
        event). With ``on_error="quarantine"``: ``(valid, rejected)``; ``rejected`` holds
        whole events as read, with a ``reason``.

    Raises
    ------
    FileNotFoundError, FileFormatError
        When the file is missing or unreadable.
    FlashpointValueError
        On missing columns, an unknown ``multi_day`` or violence type, or a filter that
        matches nothing.
    SchemaValidationError
        With ``on_error="raise"``, when any event is malformed: unparseable or missing
        dates, ``date_end`` before ``date_start`` or in the future, deaths that are not
        whole numbers >= 0, ``best`` outside ``[low, high]``, bad coordinates, duplicate ids.

    MemoryBudgetError
        With ``multi_day="spread"``, when the event-days would exceed the memory budget.

    Warns
    -----
    DataQualityWarning
        With ``multi_day="first"``, when events span several days (they are counted on
        their first possible day).

    See Also
    --------
    flashpoint.count_daily : daily counts of the returned events.
    flashpoint.sources.acled.read_acled : ACLED exports (includes non-fatal events).

    Notes
    -----
    Conservation, for ``n`` valid events with spans ``s_i = date_end - date_start + 1``
    days and best estimates ``b_i``:

    - ``"first"``: ``count_daily`` counts each event once, on ``date_start``:
      ``sum(count) = n``. Events dated to a week, month or year (``date_prec`` 3-5) land on
      the first day of that period.
    - ``"spread"``: one row per event-day. ``count_daily`` counts rows, so its ``count`` on
      day ``d`` is the number of events *active* on ``d`` and ``sum(count) = sum(s_i)``
      (event-days, not events). The fractional event count per day is the sum of
      ``weight`` (``sum(weight) = n``, each event's weights summing to 1 up to float
      rounding): ``events.groupby("date")["weight"].sum()``. ``sum(fatalities) = sum(b_i)``
      exactly.

    ``date_prec`` codes (GED codebook): 1 exact day; 2 a span of 2-6 days; 3 a week;
    4 a month; 5 a year. GED includes only events with at least one death, so its counts
    are not comparable with ACLED's, which include non-fatal events.

    References: Sundberg, R. and Melander, E. (2013). Introducing the UCDP Georeferenced
    Event Dataset. *Journal of Peace Research* 50(4), 523-532; UCDP GED Codebook, version
    24.1, Uppsala Conflict Data Program (ucdp.uu.se).

    Examples
    --------
    >>> import pandas as pd
    >>> from flashpoint.sources.ucdp import read_ucdp_ged
    >>> raw = pd.DataFrame({
    ...     "id": ["1", "2"], "country": ["Iraq", "Syria"],
    ...     "date_start": ["2023-11-20 00:00:00.000", "2023-11-21 00:00:00.000"],
    ...     "date_end": ["2023-11-20 00:00:00.000", "2023-11-23 00:00:00.000"],
    ...     "best": ["2", "4"], "low": ["2", "3"], "high": ["2", "6"]})
    >>> ev = read_ucdp_ged(raw, multi_day="spread")
    >>> ev = ev.assign(weight=ev["weight"].round(3))
    >>> ev[["date", "country", "event_id", "fatalities", "weight"]]
            date country        event_id  fatalities  weight
    0 2023-11-20    Iraq    1:2023-11-20           2   1.000
    1 2023-11-21   Syria    2:2023-11-21           2   0.333
    1 2023-11-22   Syria    2:2023-11-22           1   0.333
    1 2023-11-23   Syria    2:2023-11-23           1   0.333
    """
    group = renamed(
        deprecated, old="group", new="by", value=by, default=COUNTRY, where="read_ucdp_ged"
    )
    tz, actor_columns = _reader_arguments(on_error, group, tz, actor_columns)
    violence = _check_ged_choices(multi_day, types_of_violence)
    table, origin = _load(path_or_frame, "read_ucdp_ged")
    _require(table, ["id", "date_start", "date_end", "best", group], origin, "UCDP GED")
    table = _apply_filters(
        table,
        [
            ("countries", ["country"], _filter_values("countries", countries)),
            ("types_of_violence", ["type_of_violence"], violence),
            ("actors", list(actor_columns), _filter_values("actors", actors)),
        ],
        origin,
        "UCDP GED",
    )
    created = [DATE, EVENT_ID, FATALITIES, WEIGHT, SPAN_DAYS, *_RENAMES.values()]
    _refuse_created(table, created, origin, "read_ucdp_ged")
    raw = table.rename(columns=_RENAMES)
    group = _RENAMES.get(group, group)
    problems: list[_Problem] = []
    start, end = _ged_spans(raw, problems, tz)
    table = _ged_numbers(raw.copy(), problems)
    table = _with_event_columns(table, raw, start, end)
    result = _finish(
        table, raw, problems, by=group, on_error=on_error, what="UCDP GED table", tz=tz
    )
    valid = result.valid if isinstance(result, Quarantine) else result
    valid = _date_by_rule(valid, multi_day)
    if isinstance(result, Quarantine):
        return Quarantine(valid, result.rejected)
    return valid


def _check_ged_choices(
    multi_day: str, types_of_violence: int | Iterable[int] | None
) -> list[str] | None:
    """Check ``multi_day``; return the violence types to keep (``None``: all)."""
    if multi_day not in ("first", "spread"):
        raise FlashpointValueError(
            f"multi_day must be 'first' (count an event on date_start) or 'spread' (one row "
            f"per day of its span, weighted 1/span_days); got {multi_day!r}"
        )
    violence = _filter_values("types_of_violence", types_of_violence)
    if violence is not None:
        unknown = [v for v in violence if v not in ("1", "2", "3")]
        if unknown:
            raise FlashpointValueError(
                f"types_of_violence must be among 1 (state-based), 2 (non-state), 3 "
                f"(one-sided); got {unknown}"
            )
    return violence


def _ged_spans(raw: pd.DataFrame, problems: list[_Problem], tz: Any) -> tuple[pd.Series, pd.Series]:
    """Parse ``date_start`` and ``date_end``; record spans that run backwards or end later."""
    start = _ged_dates(raw, "date_start", problems, tz)
    end = _ged_dates(raw, "date_end", problems, tz)
    backwards = (end < start).fillna(False).to_numpy(dtype=bool)
    spans = list(zip(start[backwards], end[backwards], strict=True))
    _record(
        problems,
        raw.index[backwards],
        "date_end",
        "date_order",
        "date_end is before date_start",
        values=[f"{s.date()}..{e.date()}" for s, e in spans],
        reasons=[f"date_end {e.date()} is before date_start {s.date()}" for s, e in spans],
    )
    future = (end > pd.Timestamp.today().normalize()).fillna(False).to_numpy(dtype=bool)
    _record(
        problems,
        raw.index[future],
        "date_end",
        "date_not_in_future",
        "date_end is in the future (a mistyped year?)",
        values=[str(e.date()) for e in end[future]],
        reasons=[f"date_end {e.date()} is in the future (a mistyped year?)" for e in end[future]],
    )
    return start, end


def _ged_numbers(table: pd.DataFrame, problems: list[_Problem]) -> pd.DataFrame:
    """Convert deaths and codes to ``Int64``; record bad values and ``best`` outside its range."""
    for col in _DEATHS:
        if col in table.columns:
            table[col] = _numbers(table, col, problems, integer=True, nonnegative=True)
    for col in _CODES:
        if col in table.columns:
            table[col] = _numbers(table, col, problems, integer=True)
    if "low" in table.columns and "high" in table.columns:
        best, low, high = table["best"], table["low"], table["high"]
        outside = ((best < low) | (best > high)).fillna(False).to_numpy(dtype=bool)
        ranges = zip(best[outside], low[outside], high[outside], strict=True)
        _record(
            problems,
            table.index[outside],
            "best",
            "best_in_range",
            "best estimate is outside [low, high]",
            values=best[outside],
            reasons=[
                f"best estimate {b} is outside [low, high] = [{lo}, {hi}]" for b, lo, hi in ranges
            ],
        )
    return table


def _with_event_columns(
    table: pd.DataFrame, raw: pd.DataFrame, start: pd.Series, end: pd.Series
) -> pd.DataFrame:
    """Put the schema's columns (date, event id, fatalities) and the span in front."""
    table["date_start"] = start
    table["date_end"] = end
    span = ((end - start).dt.days + 1).astype("Int64")
    front = pd.DataFrame(
        {
            DATE: start,
            EVENT_ID: raw["id"].astype("string").str.strip(),
            FATALITIES: table["best"],
            SPAN_DAYS: span,
            WEIGHT: 1.0,
        },
        index=table.index,
    )
    return pd.concat([front, table], axis=1)


def _date_by_rule(valid: pd.DataFrame, multi_day: str) -> pd.DataFrame:
    """Apply ``multi_day``: spread events over their spans, or warn about long spans."""
    valid[SPAN_DAYS] = valid[SPAN_DAYS].astype("int64")
    if multi_day == "spread":
        return _spread(valid)
    long = valid[SPAN_DAYS] > 1
    if long.any():
        _warn(
            f"{int(long.sum())} of {len(valid)} GED events span several days (up to "
            f"{int(valid[SPAN_DAYS].max())}); multi_day='first' counts each on its "
            "date_start, which moves events dated to a week, month or year to its first "
            "day. Use multi_day='spread' to spread them over their span"
        )
    return valid


def _ged_dates(raw: pd.DataFrame, column: str, problems: list[_Problem], tz: Any) -> pd.Series:
    """Parse a GED date column ('2023-11-21' or '2023-11-21 00:00:00.000') to midnight."""
    values = raw[column]
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return localize(values, tz).dt.normalize()
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.dt.normalize().astype("datetime64[us]")
    text = values.astype("string").str.strip()
    parsed = parse_text_dates(text.astype(object), tz)
    _date_problems(
        values,
        text,
        parsed,
        problems,
        column=column,
        expected="is not a date (GED writes '2023-11-21 00:00:00.000')",
        required=True,
    )
    return parsed.dt.normalize()


def _spread(events: pd.DataFrame) -> pd.DataFrame:
    """One row per day of each event's span; weights and fatalities split (see Notes)."""
    span = events[SPAN_DAYS].to_numpy(dtype="int64")
    if len(events) == 0 or bool((span == 1).all()):
        return events
    n_rows = int(span.sum())
    check_memory(
        float(n_rows) * (len(events.columns) + 2) * 16,
        f"multi_day='spread' of {len(events):,} events into {n_rows:,} event-days (the longest "
        f"spans {int(span.max()):,} days)",
        "Use multi_day='first', or leave out the events with long spans (span_days) first.",
    )
    rows = np.repeat(np.arange(len(events)), span)
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(span) - span, span)
    out = events.iloc[rows].copy()
    out[DATE] = out["date_start"] + pd.to_timedelta(offset, unit="D")
    out[WEIGHT] = 1.0 / out[SPAN_DAYS].to_numpy(dtype="float64")
    best = out["best"]
    days = pd.Series(out[SPAN_DAYS].to_numpy(), index=out.index, dtype="Int64")
    out[FATALITIES] = best // days + (pd.Series(offset, index=out.index) < best % days).astype(
        "Int64"
    )
    out[EVENT_ID] = out["id"].astype("string").str.strip() + ":" + out[DATE].dt.strftime("%Y-%m-%d")
    return out
