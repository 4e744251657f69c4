"""In-time placebo fits of one group: the event moved to every placebo date, refitted."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.errors import FlashpointValueError
from flashpoint.models._base import CountSeries
from flashpoint.models._irls import MovingFits, fit_moving_column
from flashpoint.models._moving import fit_moving_window
from flashpoint.models.design import (
    EventSpec,
    event_column,
    event_index,
    event_term_names,
    group_specs,
    time_unit,
)
from flashpoint.models.placebo._windows import fit_windows, window_sides

__all__ = ["GroupFits", "fit_in_time", "placebo_dates"]


@dataclass(frozen=True, slots=True)
class GroupFits:
    """The real fit and the placebo fits of one group (log rate ratios)."""

    group: Hashable | None
    dates: pd.DatetimeIndex
    estimate: np.ndarray
    std_err: np.ndarray
    observed_estimate: float
    observed_std_err: float
    pre: int
    post: int


@dataclass(frozen=True, slots=True)
class _Problem:
    """The shared part of every fit: counts, base columns (all but the target), offset."""

    y: np.ndarray
    base: pd.DataFrame
    offset: np.ndarray | None
    rows: np.ndarray  # rows of the series kept (rows of separated events are left out)
    start: np.ndarray  # starting coefficients: base columns, then the target


def fit_in_time(
    s: CountSeries,
    real: Any,
    specs: Sequence[EventSpec],
    target: EventSpec,
    *,
    freq: str,
    chosen: Sequence[Any] | None,
    window: int | None,
    min_pre: int,
    min_post: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> GroupFits | None:
    """Refit the group's model with the target moved to every placebo date.

    The model is the real one (``real``, from :func:`flashpoint.fit_its`), with the
    negative-binomial dispersion fixed at its estimate. With ``window=None`` every fit
    uses the whole series with the target's column moved; otherwise every fit (the real
    one too) uses a window of the same shape around its date. The real date is fitted by
    the same code as the placebos, so that both statistics come from one estimator.
    Returns ``None`` when the target does not apply to the group.
    """
    mine = group_specs(specs, s.group)
    if target not in mine:
        return None
    fit = real.fits[s.group]
    design = real.designs[s.group]
    column = int(design.columns.get_loc(event_term_names(mine)[mine.index(target)]))
    problem = _problem(s, fit, design, column)
    target = _with_half_life(target, real, s.group)
    calendar = s.dates[problem.rows]
    where = "" if s.group is None else f" in group {s.group!r}"
    real_row = event_index(calendar, target.date)
    unit, _ = time_unit(freq)
    model = {
        "trend": real.trend,
        "spline_df": _spline_df(design),
        "unit": unit,
        "nb_alpha": float(fit.nb_alpha or 0.0),
        "pearson": real.family == "quasipoisson",
    }
    if window is not None:
        length = 0 if target.end is None else event_index(calendar, target.end) - real_row
        sides = window_sides(
            len(calendar),
            real_row,
            target,
            length,
            window=window,
            min_pre=min_pre,
            min_post=min_post,
            where=where,
        )
        w = fit_windows(
            problem.y,
            problem.base,
            problem.offset,
            calendar,
            target,
            real=real_row,
            sides=sides,
            chosen=chosen,
            model=model,
            on_progress=on_progress,
        )
        return _group_fits(s.group, w.dates, w.estimate, w.std_err, w.pre, w.post)
    dates = placebo_dates(calendar, target, chosen, min_pre=min_pre, min_post=min_post)
    if dates.empty:
        raise FlashpointValueError(
            f"no eligible placebo date for {target.name!r}{where} with min_pre={min_pre} "
            f"and min_post={min_post}; lower them or give dates="
        )
    all_dates = pd.DatetimeIndex([target.date, *dates])
    progress = None if on_progress is None else _bar(on_progress, len(all_dates))
    fits = _fit_all(problem, calendar, target, all_dates, unit, model, progress)
    return _group_fits(
        s.group, dates, fits.estimate, fits.std_err, real_row, len(calendar) - real_row
    )


def _bar(on_progress: Callable[[int, int], None], total: int) -> Callable[[int], None]:
    return lambda done: on_progress(done, total)


def _group_fits(
    group: Hashable | None,
    dates: pd.DatetimeIndex,
    est: np.ndarray,
    err: np.ndarray,
    pre: int,
    post: int,
) -> GroupFits:
    """Split the real fit (first) from the placebo fits."""
    return GroupFits(
        group=group,
        dates=dates,
        estimate=est[1:],
        std_err=err[1:],
        observed_estimate=float(est[0]),
        observed_std_err=float(err[0]),
        pre=pre,
        post=post,
    )


def _spline_df(design: pd.DataFrame) -> int:
    return max(1, sum(str(c).startswith("spline[") for c in design.columns))


def _problem(s: CountSeries, fit: Any, frame: pd.DataFrame, column: int) -> _Problem:
    """Build the counts, base columns and starting values; separated events' rows left out.

    An event (other than the target) whose window holds no event has an estimate of
    ``-inf`` in the real fit: its rows carry no information on the others and are left
    out, with its column (as the real fit does).
    """
    y = s.y.astype(float)
    design = frame.to_numpy()
    offset = None if s.exposure is None else np.log(s.exposure)
    separated = [j for j in fit.separated if j != column]
    keep_rows = ~np.any(design[:, separated] != 0, axis=1)
    keep_cols = [j for j in range(design.shape[1]) if j not in separated and j != column]
    start = np.r_[fit.params[keep_cols], fit.params[column]]
    return _Problem(
        y=y[keep_rows],
        base=frame.iloc[np.flatnonzero(keep_rows), keep_cols],
        offset=None if offset is None else offset[keep_rows],
        rows=np.flatnonzero(keep_rows),
        start=np.where(np.isfinite(start), start, 0.0),
    )


def _fit_all(
    problem: _Problem,
    calendar: pd.DatetimeIndex,
    target: EventSpec,
    dates: pd.DatetimeIndex,
    unit: float,
    model: dict[str, Any],
    on_progress: Callable[[int], None] | None,
) -> MovingFits:
    """Fit the whole-series model once per date (steps and pulses by anchored expansion)."""
    kw: dict[str, Any] = {
        "start": problem.start,
        "offset": problem.offset,
        "nb_alpha": model["nb_alpha"],
        "pearson": model["pearson"],
    }
    base = problem.base.to_numpy()
    if target.shape in ("step", "pulse"):
        starts, stops = _windows(calendar, target, dates)
        return fit_moving_window(problem.y, base, starts, stops, on_progress=on_progress, **kw)

    def columns(idx: np.ndarray) -> np.ndarray:
        return np.stack([event_column(target.moved(dates[j]), calendar, unit) for j in idx])

    return fit_moving_column(problem.y, base, columns, len(dates), on_block=on_progress, **kw)


def _windows(
    calendar: pd.DatetimeIndex, target: EventSpec, dates: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``[start, stop)`` of a step or pulse moved to each date (as ``event_column``)."""
    values = calendar.to_numpy()
    starts = np.searchsorted(values, dates.to_numpy(), side="right") - 1
    if target.shape == "step":
        return starts, np.full(len(dates), len(calendar))
    assert target.end is not None  # a pulse has an end
    ends = (dates + (target.end - target.date)).to_numpy()
    return starts, np.searchsorted(values, ends, side="right")


def placebo_dates(
    calendar: pd.DatetimeIndex,
    target: EventSpec,
    chosen: Sequence[Any] | None,
    *,
    min_pre: int,
    min_post: int,
) -> pd.DatetimeIndex:
    """Placebo dates: ``chosen`` as given, or every eligible period.

    Eligible: at least ``min_pre`` periods before, ``min_post`` periods after (a pulse's
    whole window inside the data). The real date itself is never a placebo.
    """
    if chosen is not None:
        out = pd.DatetimeIndex([pd.Timestamp(d).normalize() for d in chosen])
        bad = out[(out <= calendar[0]) | (out > calendar[-1])]
        if len(bad):
            raise FlashpointValueError(
                f"placebo dates must lie after the first and up to the last date "
                f"({calendar[0].date()} .. {calendar[-1].date()}); got {list(bad[:5].date)}"
            )
        return out[out != target.date]
    n = len(calendar)
    real = event_index(calendar, target.date)
    length = 0
    if target.end is not None:
        length = event_index(calendar, target.end) - real
    index = np.arange(max(min_pre, 1), n - max(min_post, length + 1) + 1)
    return calendar[index[index != real]]


def _with_half_life(spec: EventSpec, real: Any, group: Hashable | None) -> EventSpec:
    """Return the event with the half-life the real model used (estimated or given)."""
    if spec.shape != "decay" or spec.half_life is not None:
        return spec
    table = real.table
    rows = table[table["event"] == spec.name]
    if real.by is not None:
        rows = rows[rows[real.by] == group]
    return EventSpec(
        date=spec.date,
        shape="decay",
        label=spec.label,
        half_life=float(rows["half_life"].iloc[0]),
        group=spec.group,
    )
