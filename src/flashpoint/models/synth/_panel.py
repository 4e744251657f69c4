"""The balanced panel a synthetic control works on, and its predictors.

:func:`build_panel` checks a tidy counts table once and lays it out as ``T x N`` arrays
(periods by units): counts, exposure and rates. :func:`predictor_values` computes the
pre-period summaries (averages of columns over windows) that an Abadie-style specification
matches on.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from flashpoint.errors import FlashpointValueError, ModelSpecError
from flashpoint.models._base import CountSeries, split_counts
from flashpoint.schemas import DATE

__all__ = ["RATE", "Panel", "PredictorSpec", "build_panel", "parse_predictors", "predictor_values"]

RATE = "rate"
"""Name that stands for the outcome rate (count / exposure) in a predictor specification."""

DateLike = pd.Timestamp | str | _dt.date | np.datetime64


@dataclass(frozen=True, slots=True)
class Panel:
    """Counts of every unit on one calendar.

    Attributes
    ----------
    by, freq
        Group column and frequency.
    dates
        The common calendar (``T`` periods).
    units
        Unit labels (``N``), sorted.
    counts, exposure, rates
        ``T x N`` arrays; ``exposure`` is one per period when no exposure column is given.
    columns
        ``T x N`` arrays of the extra columns that predictors use.
    """

    by: str
    freq: str
    dates: pd.DatetimeIndex
    units: tuple[Hashable, ...]
    counts: np.ndarray
    exposure: np.ndarray
    rates: np.ndarray
    columns: Mapping[str, np.ndarray]

    def index(self, unit: Hashable) -> int:
        """Column of ``unit``."""
        return self.units.index(unit)


@dataclass(frozen=True, slots=True)
class PredictorSpec:
    """One predictor: the mean of ``column`` over ``[start, end]`` (both inclusive)."""

    name: str
    column: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None


def parse_predictors(predictors: Mapping[str, Sequence[object]] | None) -> list[PredictorSpec]:
    """Read ``{name: (column, start, end)}`` into :class:`PredictorSpec` objects."""
    if predictors is None:
        return []
    if not isinstance(predictors, Mapping) or not predictors:
        raise ModelSpecError(
            "predictors must be a non-empty mapping {name: (column, start, end)}, e.g. "
            "{'rate_1975': ('rate', '1975-01-01', '1975-12-31')}; got "
            f"{type(predictors).__name__}"
        )
    specs = []
    for name, spec in predictors.items():
        if isinstance(spec, str) or not isinstance(spec, Sequence) or len(spec) != 3:
            raise ModelSpecError(
                f"predictor {name!r} must be (column, start, end) with start/end a date or "
                f"None (the whole pre-period); got {spec!r}"
            )
        column, start, end = spec
        try:
            lo = None if start is None else pd.Timestamp(start)  # type: ignore[arg-type]
            hi = None if end is None else pd.Timestamp(end)  # type: ignore[arg-type]
        except (TypeError, ValueError) as err:
            raise ModelSpecError(
                f"cannot read the window of predictor {name!r}: {start!r} .. {end!r}"
            ) from err
        if lo is not None and hi is not None and hi < lo:
            raise ModelSpecError(f"predictor {name!r} ends ({hi.date()}) before it starts")
        specs.append(PredictorSpec(name=str(name), column=str(column), start=lo, end=hi))
    return specs


def build_panel(
    counts: pd.DataFrame,
    *,
    by: str | None,
    freq: str | None,
    exposure: str | None,
    columns: Sequence[str],
) -> Panel:
    """Split a tidy counts table into a balanced ``T x N`` panel (see :class:`Panel`)."""
    if not isinstance(counts, pd.DataFrame):
        raise FlashpointValueError(
            f"counts must be a pandas DataFrame, got {type(counts).__name__}; build it with "
            "fp.count_daily(events, by=...)"
        )
    missing = [c for c in columns if c not in counts.columns]
    if missing:
        raise ModelSpecError(
            f"predictor column(s) {missing} are not in the counts table (columns: "
            f"{list(counts.columns)}); use '{RATE}' for the outcome rate"
        )
    extra = [c for c in counts.columns if c in columns and c not in (by, exposure)]
    by, freq_, series = split_counts(
        counts.drop(columns=extra), by=by, freq=freq, exposure=exposure, min_obs=3
    )
    if by is None:
        raise ModelSpecError(
            "a synthetic control compares one group with others, but the counts table has "
            "no group column; count with fp.count_daily(events, by='country') or pass by="
        )
    series = _sorted_units(series)  # results do not depend on the row order
    dates = series[0].dates
    for s in series[1:]:
        if not s.dates.equals(dates):
            raise FlashpointValueError(
                f"group {s.group!r} covers {s.dates[0].date()} .. {s.dates[-1].date()} "
                f"({s.n} periods) but group {series[0].group!r} covers {dates[0].date()} .. "
                f"{dates[-1].date()} ({len(dates)}); a synthetic control needs every group on "
                "the same calendar: count with fp.count_daily(events, by=...) and one start/end"
            )
    y = np.column_stack([s.y for s in series]).astype(float)
    e = (
        np.column_stack([s.exposure for s in series])  # type: ignore[misc]
        if exposure is not None
        else np.ones_like(y)
    )
    units = tuple(s.group for s in series)
    wide: dict[str, np.ndarray] = {}
    for col in extra:
        table = counts.pivot(index=DATE, columns=by, values=col)
        wide[col] = table.reindex(index=dates, columns=list(units)).to_numpy(dtype=float)
    return Panel(
        by=by,
        freq=freq_,
        dates=dates,
        units=units,
        counts=y,
        exposure=e,
        rates=y / e,
        columns=wide,
    )


def _sorted_units(series: list[CountSeries]) -> list[CountSeries]:
    try:
        return sorted(series, key=lambda s: s.group)  # type: ignore[arg-type,return-value]
    except TypeError:  # labels of mixed types
        return sorted(series, key=lambda s: (type(s.group).__name__, str(s.group)))


def predictor_values(
    panel: Panel, specs: Sequence[PredictorSpec], units: Sequence[int], pre_stop: int
) -> np.ndarray:
    """Predictor matrix ``K x len(units)``: means over each window, cut at the pre-period.

    Windows are clipped to the pre-period (periods ``0 .. pre_stop - 1``); missing values
    are left out of the means.

    Raises
    ------
    ModelSpecError
        When a window holds no pre-period date, or a unit has no value in it.
    """
    dates = panel.dates[:pre_stop]
    out = np.empty((len(specs), len(units)))
    for k, spec in enumerate(specs):
        mask = np.ones(len(dates), dtype=bool)
        if spec.start is not None:
            mask &= dates >= spec.start
        if spec.end is not None:
            mask &= dates <= spec.end
        if not mask.any():
            raise ModelSpecError(
                f"predictor {spec.name!r} covers no period before the event "
                f"({dates[0].date()} .. {dates[-1].date()}); give a window inside the "
                "pre-period"
            )
        source = panel.rates if spec.column == RATE else panel.columns[spec.column]
        block = source[:pre_stop][mask][:, list(units)]
        empty = np.all(np.isnan(block), axis=0)
        if empty.any():
            unit = panel.units[units[int(np.argmax(empty))]]
            raise ModelSpecError(
                f"predictor {spec.name!r}: unit {unit!r} has no value of {spec.column!r} in "
                "its window; widen the window or leave the unit out of donors="
            )
        out[k] = np.nanmean(block, axis=0)
    return out
