"""Control series of :func:`flashpoint.fit_its`: input, transforms, the pre-event checks.

Controls come either as groups of the counts table (their counts become predictors of the
other groups, which alone are treated) or as a wide frame indexed by date, one column per
series. Each control is transformed (``log1p`` for counts and ``log`` for positive measures
under the log link, as-is under the identity link), standardised with its pre-event mean
and standard deviation and entered as a design column. Before any fit, per group:

* a ridge penalty is chosen by GCV on the pre-event periods when the controls are many
  relative to them (:mod:`flashpoint.models.its._ridge`);
* the pre-event fit with and without the controls says how well they track the treated
  series (``pre_r2``, the likelihood-ratio test of the controls);
* each control is checked for a shift at each event date, against the same window
  statistic at every pre-event date (an in-time placebo distribution).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.errors import AffectedControlWarning, ModelSpecError, PoorFitWarning
from flashpoint.models._base import CountSeries, counts_group_column, warn
from flashpoint.models._glm import GAUSSIAN, CountFit, fit_counts, mean_band
from flashpoint.models.design import Design, EventSpec, event_index
from flashpoint.models.its._ridge import choose_penalty, fit_ridge, loglik
from flashpoint.schemas import COUNT, DATE

stats = lazy_module("scipy.stats")

__all__ = ["SHRINKAGE", "TRANSFORMS", "ControlSeries", "GroupControls", "split_controls"]

TRANSFORMS = ("auto", "log1p", "log", "none")
SHRINKAGE = ("auto", "ridge", "none")
OBS_PER_CONTROL = 20
"""With ``shrinkage="auto"``, a ridge penalty is used below this many pre-event periods per
control."""
SHIFT_WINDOW = 14
"""Periods on each side of an event compared by the shift check (at most)."""


@dataclass(frozen=True, slots=True)
class ControlSeries:
    """The control series on their calendar, transformed (not yet standardised)."""

    names: tuple[str, ...]
    values: pd.DataFrame
    transforms: tuple[str, ...]
    kind: str  # "groups" (groups of the counts table) or "frame" (a wide frame)


@dataclass(frozen=True, slots=True)
class GroupControls:
    """One group's control columns and what the pre-event checks found."""

    columns: np.ndarray  # (n, k), standardised with the pre-event mean and sd
    design_names: list[str]
    sds: np.ndarray
    penalty: float
    n_pre: int
    quality: dict[str, float]
    shifts: list[tuple[str, float, float, bool]]  # per control: event, shift, p, flagged


# --------------------------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------------------------
def split_controls(
    counts: pd.DataFrame,
    controls: Any,
    *,
    by: str | None,
    exposure: str | None,
    family: str,
    transform: str,
) -> tuple[pd.DataFrame, ControlSeries | None]:
    """Separate the controls from the treated series and transform them.

    Returns the counts of the treated series (the input without control groups) and the
    transformed controls, or the input and ``None`` without controls.
    """
    if controls is None:
        return counts, None
    if transform not in TRANSFORMS:
        raise ModelSpecError(
            f"control_transform must be one of {', '.join(map(repr, TRANSFORMS))}; "
            f"got {transform!r}"
        )
    if isinstance(controls, pd.DataFrame):
        wide, kind = _wide_frame(controls), "frame"
    else:
        counts, wide = _control_groups(counts, controls, by=by, exposure=exposure)
        kind = "groups"
    transforms = tuple(_transform_name(wide[c], transform, family) for c in wide.columns)
    values = pd.DataFrame(
        {c: _transformed(wide[c], t, c) for c, t in zip(wide.columns, transforms, strict=True)},
        index=wide.index,
    )
    return counts, ControlSeries(
        names=tuple(wide.columns), values=values, transforms=transforms, kind=kind
    )


def _wide_frame(controls: pd.DataFrame) -> pd.DataFrame:
    """Check a wide frame of controls (dates as index or ``date`` column, numeric columns)."""
    frame = controls.set_index(DATE) if DATE in controls.columns else controls
    try:
        index = pd.DatetimeIndex(frame.index)
    except (TypeError, ValueError) as err:
        raise ModelSpecError(
            "controls must be indexed by date (or have a 'date' column); got an index of "
            f"{frame.index.dtype}"
        ) from err
    if index.tz is not None or index.has_duplicates or index.hasnans:
        raise ModelSpecError(
            "the controls' dates must be tz-naive, unique and without gaps in the index"
        )
    if frame.shape[1] == 0:
        raise ModelSpecError("the controls frame has no columns: give one column per series")
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if bad:
        raise ModelSpecError(
            f"control columns must be numeric; {bad} are not. Drop them or convert them"
        )
    values = frame.astype(float)
    values.index = index.normalize()
    values.columns = [str(c) for c in values.columns]
    finite = np.isfinite(values.to_numpy())
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise ModelSpecError(
            f"control {values.columns[col]!r} has a missing or infinite value on "
            f"{values.index[row].date()}; fill or drop it (controls need a value on every date)"
        )
    return values


def _control_groups(
    counts: pd.DataFrame, names: Any, *, by: str | None, exposure: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the counts into treated groups and a wide frame of the control groups' counts."""
    wanted: list[Hashable] = [names] if isinstance(names, str) else list(names)
    column = counts_group_column(counts, by, exposure=exposure)
    if column is None:
        raise ModelSpecError(
            "controls=[...] names groups of the counts table, which has one series (no group "
            "column); pass the controls as a frame indexed by date, one column per series"
        )
    present = set(counts[column].unique())
    missing = [g for g in wanted if g not in present]
    if missing or not wanted:
        raise ModelSpecError(
            f"controls {missing or wanted} are not groups of {column!r} (groups: "
            f"{sorted(map(str, present))}); name groups of the counts table"
        )
    is_control = counts[column].isin(wanted)
    if is_control.all():
        raise ModelSpecError("every group is a control: leave at least one group to treat")
    rows = counts.loc[is_control, [DATE, column, COUNT]]
    if rows.duplicated([DATE, column]).any():
        raise ModelSpecError(f"the control groups have duplicate dates in {column!r}")
    wide = rows.pivot(index=DATE, columns=column, values=COUNT).reindex(columns=wanted)
    if wide.isna().any().any():
        raise ModelSpecError("the control groups do not share one calendar: count them together")
    wide.columns = [str(c) for c in wide.columns]
    return counts.loc[~is_control], wide.astype(float)


def _transform_name(values: pd.Series, transform: str, family: str) -> str:
    """Name the transform of one control: ``auto`` picks log1p, log or none."""
    if transform != "auto":
        return transform
    if family == GAUSSIAN:
        return "none"
    v = values.to_numpy(dtype=float)
    if np.all(v >= 0) and np.all(v % 1 == 0):
        return "log1p"
    return "log" if np.all(v > 0) else "none"


def _transformed(values: pd.Series, transform: str, name: str) -> np.ndarray:
    v = values.to_numpy(dtype=float)
    if transform == "log1p":
        if np.any(v < 0):
            raise ModelSpecError(f"control {name!r} has negative values: log1p needs >= 0")
        return np.log1p(v)
    if transform == "log":
        if np.any(v <= 0):
            raise ModelSpecError(
                f"control {name!r} has values <= 0: log needs positive values (use "
                "control_transform='log1p' or 'none')"
            )
        return np.log(v)
    return v


# --------------------------------------------------------------------------------------------
# one group
# --------------------------------------------------------------------------------------------
def group_controls(
    cs: ControlSeries,
    s: CountSeries,
    specs: Sequence[EventSpec],
    design: Design,
    *,
    family: str,
    shrinkage: str,
    alpha: float,
    where: str,
) -> GroupControls:
    """Standardise the controls for one group, choose the penalty, run the pre-event checks."""
    n_pre = min(event_index(s.dates, sp.date) for sp in specs)
    Z, sds = _standardised(cs, s, n_pre, where)
    base = [j for j in range(design.X.shape[1]) if j not in set(design.event_cols.values())]
    Xb = _full_rank(design.X[:n_pre, base])
    y_pre = s.y[:n_pre].astype(float)
    off = None if design.offset is None else design.offset[:n_pre]
    k = Z.shape[1]
    ridge = shrinkage == "ridge" or (shrinkage == "auto" and n_pre < OBS_PER_CONTROL * k)
    penalty = 0.0
    if ridge and n_pre > 2:
        X_pre = np.column_stack([Xb, Z[:n_pre]])
        penalised = list(range(Xb.shape[1], X_pre.shape[1]))
        penalty = choose_penalty(y_pre, X_pre, family=family, offset=off, penalised=penalised)
    quality = _pre_period_fit(y_pre, Xb, Z[:n_pre], family=family, offset=off, penalty=penalty)
    starts = [(sp.name, event_index(s.dates, sp.date)) for sp in specs]
    shifts = [_shift(Z[:, j], n_pre, starts) for j in range(k)]
    _warn_controls(cs, quality, shifts, alpha=alpha, where=where)
    return GroupControls(
        columns=Z,
        design_names=[f"control[{c}]" for c in cs.names],
        sds=sds,
        penalty=penalty,
        n_pre=n_pre,
        quality=quality,
        shifts=shifts,
    )


def _standardised(
    cs: ControlSeries, s: CountSeries, n_pre: int, where: str
) -> tuple[np.ndarray, np.ndarray]:
    """Put the controls on the group's dates, centred and scaled by pre-event mean and sd."""
    values = cs.values.reindex(s.dates)
    missing = values.isna().any(axis=1).to_numpy()
    if missing.any():
        raise ModelSpecError(
            f"the controls have no value on {int(missing.sum())} date(s) of the series{where} "
            f"(first {s.dates[int(np.argmax(missing))].date()}); give them on every date"
        )
    V = values.to_numpy(dtype=float)
    mean = V[:n_pre].mean(axis=0)
    sd = V[:n_pre].std(axis=0, ddof=1) if n_pre > 1 else np.zeros(V.shape[1])
    flat = ~(sd > 1e-12 * (1.0 + np.abs(mean)))
    if flat.any():
        names = [cs.names[j] for j in np.flatnonzero(flat)]
        raise ModelSpecError(
            f"controls {names} are constant before the first event{where}: they cannot "
            "predict the series; drop them"
        )
    return (V - mean) / sd, sd


def _full_rank(X: np.ndarray) -> np.ndarray:
    """Keep the columns of ``X`` that add rank, in order (spline pieces beyond the rows go)."""
    keep: list[int] = []
    for j in range(X.shape[1]):
        if np.linalg.matrix_rank(X[:, [*keep, j]]) > len(keep):
            keep.append(j)
    return X[:, keep]


def _pre_period_fit(
    y: np.ndarray,
    Xb: np.ndarray,
    Z: np.ndarray,
    *,
    family: str,
    offset: np.ndarray | None,
    penalty: float,
) -> dict[str, float]:
    """How well the controls track the series before the first event.

    The pre-event periods are fitted with the baseline terms alone and with the controls;
    ``pre_r2`` and ``pre_r2_baseline`` are the squared correlations of the observed and
    fitted values of the two fits, and the likelihood-ratio statistic of the controls is
    referred to chi2 with as many degrees of freedom as controls (their effective degrees
    of freedom under a penalty; divided by the Pearson dispersion for quasi-Poisson).
    """
    n, pb, k = len(y), Xb.shape[1], Z.shape[1]
    out = {"n_pre": float(n), "pre_r2": np.nan, "pre_r2_baseline": np.nan}
    out |= {"lr_statistic": np.nan, "lr_df": np.nan, "lr_p_value": np.nan}
    if n <= pb + (k if penalty == 0 else 0) + 1:
        return out
    X = np.column_stack([Xb, Z])
    names = [f"x{j}" for j in range(X.shape[1])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = fit_counts(y, Xb, names=names[:pb], family=family, offset=offset)
        if penalty > 0:
            pen = np.r_[np.zeros(pb), np.full(k, penalty)]
            full = fit_ridge(y, X, names=names, family=family, offset=offset, penalty=pen,
                             cov_type="model", maxlags=None, where="")  # fmt: skip
            df = float(full.raw["edf"]) - pb
        else:
            full = fit_counts(y, X, names=names, family=family, offset=offset)
            df = float(k)
    mu_b, mu_f = _mean(base, Xb, offset), _mean(full, X, offset)
    lr = 2.0 * (_llf(y, mu_f, full) - _llf(y, mu_b, base)) / full.dispersion
    out["pre_r2"], out["pre_r2_baseline"] = _r2(y, mu_f), _r2(y, mu_b)
    out["lr_statistic"], out["lr_df"] = max(lr, 0.0), df
    out["lr_p_value"] = float(stats.chi2.sf(max(lr, 0.0), max(df, 1e-8)))
    return out


def _mean(fit: CountFit, X: np.ndarray, offset: np.ndarray | None) -> np.ndarray:
    return mean_band(fit, X, offset, 0.05)[0]


def _llf(y: np.ndarray, mu: np.ndarray, fit: CountFit) -> float:
    """Log-likelihood at ``mu`` (Gaussian at the ML variance, so that fits compare)."""
    return loglik(y, mu, fit.family, fit.nb_alpha or 0.0)


def _r2(y: np.ndarray, mu: np.ndarray) -> float:
    """Squared correlation of observed and fitted values (0 for a constant fit)."""
    if np.std(y) == 0:
        return float("nan")
    if np.std(mu) <= 1e-12 * (1.0 + abs(float(np.mean(mu)))):
        return 0.0
    return float(np.corrcoef(y, mu)[0, 1] ** 2)


def _shift(
    z: np.ndarray, n_pre: int, starts: list[tuple[str, int]]
) -> tuple[str, float, float, bool]:
    """Find the control's largest shift at an event date and its in-time placebo p-value.

    The shift at period ``e`` is the mean of the ``w`` periods from ``e`` on minus the mean
    of the ``w`` periods before it (``w = min(14, n_pre // 6)``; in pre-event sds). Its
    reference distribution is the same statistic at every pre-event date whose windows end
    before the first event; ``p = (1 + #{|D_t| >= |D_e|}) / (N + 1)`` (``nan`` when
    ``N < 19``). Returns the event with the smallest p (largest shift on ties), and whether
    the shift is flagged: larger than every reference shift, or than 99% of them when there
    are at least 100.
    """
    w = min(SHIFT_WINDOW, n_pre // 6)
    if w < 1:
        return starts[0][0], float("nan"), float("nan"), False
    csum = np.r_[0.0, np.cumsum(z)]

    def stat(e: np.ndarray) -> np.ndarray:
        after = np.minimum(e + w, len(z))
        before = np.maximum(e - w, 0)
        return (csum[after] - csum[e]) / (after - e) - (csum[e] - csum[before]) / (e - before)

    ref = np.abs(stat(np.arange(w, n_pre - w + 1)))
    best = (starts[0][0], float("nan"), float("nan"))
    for name, e in starts:
        d = float(stat(np.array([e]))[0])
        p = float((1 + np.sum(ref >= abs(d))) / (ref.size + 1)) if ref.size >= 19 else np.nan
        if np.isnan(best[1]) or (p, -abs(d)) < (best[2], -abs(best[1])):
            best = (name, d, p)
    flagged = bool(ref.size >= 19 and best[2] <= max(0.01, 1.0 / (ref.size + 1)))
    return (*best, flagged)


def _warn_controls(
    cs: ControlSeries,
    quality: dict[str, float],
    shifts: list[tuple[str, float, float, bool]],
    *,
    alpha: float,
    where: str,
) -> None:
    """PoorFitWarning when the controls do not track; AffectedControlWarning per shift."""
    p = quality["lr_p_value"]
    if np.isfinite(p) and p > alpha:
        warn(
            f"the controls do not track the series{where} before the first event: pre-event "
            f"R^2 {quality['pre_r2']:.2f} with them, {quality['pre_r2_baseline']:.2f} "
            f"without (likelihood-ratio p = {p:.2g}); the counterfactual rests on the trend "
            "and seasonality as without controls. Choose controls that move with the series",
            PoorFitWarning,
        )
    for name, (event, shift, p_shift, flagged) in zip(cs.names, shifts, strict=True):
        if flagged:
            warn(
                f"control {name!r} shifts at event {event!r}{where} by {shift:+.2f} pre-event "
                f"sds, more than at (almost) any pre-event date (p = {p_shift:.2g}). If the "
                "event moved it, it absorbs part of the effect (biased towards none); if a "
                "shock common to both did, adjusting for it is the point",
                AffectedControlWarning,
            )
