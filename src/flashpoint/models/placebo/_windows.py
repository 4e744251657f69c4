"""Same-shape window placebos: every fit uses ``pre`` periods before and ``post`` after.

The real event is fitted on the rows ``[d0 - pre, d0 + post)`` and every placebo on a
window of the same shape at another position, with the same local model (intercept, the
trend refitted in window time, the other terms restricted to the window), so that absent
an effect every statistic has the same distribution and only overlapping windows are
correlated (see :func:`flashpoint.placebo_test`, Notes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.errors import FlashpointValueError, ShortSeriesWarning
from flashpoint.models._base import warn
from flashpoint.models._batch import fit_batch
from flashpoint.models._irls import BLOCK_ELEMENTS
from flashpoint.models.design import EventSpec, event_column, trend_columns

__all__ = ["WindowFits", "fit_windows", "window_sides"]

_TREND_PREFIXES = ("trend", "spline[")
SIDE_BY_SIDE = 3
"""Windows side by side below which the size is rough (a ShortSeriesWarning)."""


@dataclass(frozen=True, slots=True)
class WindowFits:
    """Log rate ratios of the real window (index 0) and of every placebo window."""

    dates: pd.DatetimeIndex  # placebo dates
    estimate: np.ndarray  # real first, then placebos
    std_err: np.ndarray
    pre: int
    post: int


def window_sides(
    n: int,
    real: int,
    target: EventSpec,
    length: int,
    *,
    window: int,
    min_pre: int,
    min_post: int,
    where: str,
) -> tuple[int, int]:
    """Periods before and after the event in every window (``length``: pulse periods)."""
    pre = min(real, window)
    post = min(n - real, max(window, length + 1))
    if pre < min_pre or post < min_post:
        raise FlashpointValueError(
            f"event {target.name!r}{where} has {real} periods before it and {n - real} from "
            f"it on: windows of {pre} + {post} periods are shorter than min_pre={min_pre} / "
            f"min_post={min_post}; lower them, or use window=None (the whole series)"
        )
    if n < SIDE_BY_SIDE * (pre + post):
        warn(
            f"the {n} periods{where} hold only {n / (pre + post):.1f} windows of {pre + post} "
            "side by side: with so few nearly independent placebo windows the size of the "
            "test is rough (benchmarks/bench_placebo.py: 12% at nominal 10% for an event 12 "
            "days before the end of 120 days); read the p-value as indicative, or pass a "
            "smaller window=",
            ShortSeriesWarning,
        )
    return pre, post


def fit_windows(
    y: np.ndarray,
    design: pd.DataFrame,
    offset: np.ndarray | None,
    calendar: pd.DatetimeIndex,
    target: EventSpec,
    *,
    real: int,
    sides: tuple[int, int],
    chosen: Sequence[Any] | None,
    model: dict[str, Any],
    on_progress: Callable[[int, int], None] | None = None,
) -> WindowFits:
    """Fit the real window and every placebo window of the same shape.

    ``design`` holds the real model's columns without the target (rows as ``y``);
    ``model`` has ``trend``, ``spline_df``, ``unit``, ``nb_alpha`` and ``pearson``.
    """
    pre, post = sides
    starts = _placebo_starts(len(y), real, pre, post, calendar, chosen)
    local = _local_design(design, calendar[real - pre : real + post], target, model)
    positions = np.r_[real, starts]
    est = np.full(len(positions), np.nan)
    err = np.full(len(positions), np.nan)
    other = design.to_numpy()[:, _other_columns(design)]
    k = max(1, BLOCK_ELEMENTS // ((pre + post) * (local.shape[1] + other.shape[1])))
    start = None
    for lo in range(0, len(positions), k):
        block = positions[lo : lo + k]
        e, s, start = _fit_block(y, other, offset, local, block - pre, start, model)
        est[lo : lo + k], err[lo : lo + k] = e, s
        if on_progress is not None:
            on_progress(min(lo + k, len(positions)), len(positions))
    return WindowFits(dates=calendar[starts], estimate=est, std_err=err, pre=pre, post=post)


def _placebo_starts(
    n: int,
    real: int,
    pre: int,
    post: int,
    calendar: pd.DatetimeIndex,
    chosen: Sequence[Any] | None,
) -> np.ndarray:
    """Event rows of the placebo windows: every window inside the data, or ``chosen``."""
    if chosen is None:
        rows = np.arange(pre, n - post + 1)
        return rows[rows != real]
    dates = pd.DatetimeIndex([pd.Timestamp(d).normalize() for d in chosen])
    rows = np.searchsorted(calendar.to_numpy(), dates.to_numpy(), side="right") - 1
    bad = dates[(rows - pre < 0) | (rows + post > n)]
    if len(bad):
        raise FlashpointValueError(
            f"placebo windows of {pre} periods before and {post} from the date must lie inside "
            f"the data ({calendar[0].date()} .. {calendar[-1].date()}); these do not: "
            f"{list(bad[:5].date)}"
        )
    return rows[rows != real]


@dataclass(frozen=True, slots=True)
class _Local:
    """Columns shared by every window: intercept, trend in window time, the event."""

    columns: np.ndarray  # (L, q_local)
    trend_count: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.columns.shape


def _local_design(
    design: pd.DataFrame, dates: pd.DatetimeIndex, target: EventSpec, model: dict[str, Any]
) -> _Local:
    L = len(dates)
    trend, names = trend_columns(L, model["trend"], model["unit"], model["spline_df"])
    event = event_column(target, dates, model["unit"])
    return _Local(np.column_stack([np.ones(L), trend, event]), len(names))


def _other_columns(design: pd.DataFrame) -> list[int]:
    """Columns restricted to each window: all but the intercept and the trend."""
    return [
        j
        for j, name in enumerate(design.columns)
        if name != "const" and not str(name).startswith(_TREND_PREFIXES)
    ]


def _fit_block(
    y: np.ndarray,
    other: np.ndarray,
    offset: np.ndarray | None,
    local: _Local,
    first: np.ndarray,
    start: np.ndarray | None,
    model: dict[str, Any],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit the windows starting at rows ``first``; return estimates, errors, last coefs."""
    L = local.shape[0]
    rows = first[:, None] + np.arange(L)[None, :]
    restricted = other[rows]  # (k, L, q_o)
    # a term constant inside a window (an event outside it, or covering it) is not estimated
    restricted = np.where(np.ptp(restricted, axis=1, keepdims=True) > 0, restricted, 0.0)
    shared = np.broadcast_to(local.columns, (len(first), *local.columns.shape))
    X = np.concatenate([shared[:, :, :-1], restricted, shared[:, :, -1:]], axis=2)
    yw = y[rows].astype(float)
    est = _separated(yw, local.columns[:, -1])  # -inf / +inf, or nan: to fit
    fit = np.flatnonzero(np.isnan(est) & ~_collinear(X))  # rank deficient: stays nan
    err = np.full(len(first), np.nan)
    if start is None:
        start = np.zeros(X.shape[2])
        start[0] = np.log(max(yw.mean(), 1e-3))
    if fit.size == 0:
        return est, err, start
    params, se, ok = fit_batch(
        yw[fit],
        X[fit],
        offset=None if offset is None else offset[rows[fit]],
        start=np.broadcast_to(start, (fit.size, X.shape[2])).copy(),
        nb_alpha=model["nb_alpha"],
        pearson=model["pearson"],
    )
    est[fit] = np.where(ok, params[:, -1], np.nan)
    err[fit] = np.where(ok, se[:, -1], np.nan)
    good = np.flatnonzero(ok & np.all(np.isfinite(params), axis=1))
    return est, err, params[good[-1]] if good.size else start


def _separated(y: np.ndarray, event: np.ndarray) -> np.ndarray:
    """``-inf`` where the event's rows hold no count, ``+inf`` where only they do, else nan."""
    inside = y @ (event > 0)
    total = y.sum(axis=1)
    out = np.full(len(y), np.nan)
    out[inside == 0] = -np.inf
    if np.all((event == 0) | (event == 1)):
        out[(inside == total) & (inside > 0)] = np.inf
    return out


def _collinear(X: np.ndarray) -> np.ndarray:
    """Windows whose design (without unused columns) is numerically rank deficient."""
    used = np.any(X != 0, axis=1)
    norms = np.sqrt(np.einsum("klp,klp->kp", X, X))
    scaled = X / np.where(norms > 0, norms, 1.0)[:, None, :]
    gram = np.matmul(scaled.transpose(0, 2, 1), scaled)
    eig = np.linalg.eigvalsh(gram + np.eye(X.shape[2]) * (~used)[:, :, None])
    return eig[:, 0] < 1e-10
