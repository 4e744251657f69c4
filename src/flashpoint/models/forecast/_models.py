"""The forecasting models: a fitted Hawkes model simulated forward, and the baselines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.errors import AllZeroGroupWarning, FlashpointValueError, warn
from flashpoint.limits import check_memory
from flashpoint.models._base import CountSeries, split_counts
from flashpoint.models._likelihood import fit_nb_size
from flashpoint.models.forecast._predictive import _Predictive
from flashpoint.models.hawkes._engine import at_bound
from flashpoint.models.hawkes._fit import _exo_on_grid, _Model, fit_models
from flashpoint.models.hawkes._simulate import forward

__all__ = ["BASELINES", "FAMILIES", "MODELS"]

BASELINES = ("negbin", "naive_mean", "seasonal_naive")
MODELS = ("auto", "hawkes", *BASELINES)
FAMILIES = ("negbin", "poisson")


def _baseline(s: CountSeries, model: str, horizon: int, *, window: int, season: int) -> _Predictive:
    """Predictive law of a baseline model fitted to the whole series ``s``."""
    y = s.y.astype(float)
    if model == "negbin":
        m = float(y.mean())
        r = fit_nb_size(y, np.full(y.size, m)) if m > 0 else np.inf
        lam = np.full((1, horizon), max(m, 0.5 / len(y)))
        return _Predictive(lam=lam, r=None if not np.isfinite(r) else np.array([r]))
    if model == "naive_mean":
        m = y[-window:].mean()
        return _Predictive(lam=np.full((1, horizon), max(m, 0.5 / window)), r=None)
    # seasonal naive: the count on the same day of the last observed season
    idx = len(y) - season + (np.arange(horizon) % season)
    vals = np.where(idx >= 0, y[np.clip(idx, 0, None)], y.mean())
    return _Predictive(lam=np.maximum(vals, 0.5 / season)[None, :], r=None)


def _param_draws(m: _Model, n_sim: int, rng: np.random.Generator) -> np.ndarray:
    """Parameter vectors from the asymptotic normal law (free, estimable ones only)."""
    theta = m.theta
    ok = ~np.isnan(np.diag(m.cov)) & ~at_bound(m.design, theta)
    draws = np.tile(theta, (n_sim, 1))
    if ok.any():
        sub = m.cov[np.ix_(ok, ok)]
        w, V = np.linalg.eigh(0.5 * (sub + sub.T))
        z = rng.standard_normal((n_sim, int(ok.sum())))
        draws[:, ok] = theta[ok] + (z * np.sqrt(np.clip(w, 0, None))) @ V.T
    bounds = m.design.layout.bounds()
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    return np.clip(draws, lo, hi)


def check_simulation_memory(n_sim: int, n_groups: int, horizon: int, max_lag: int) -> None:
    """Refuse a Hawkes simulation whose paths would not fit the memory budget."""
    check_memory(
        8.0 * 4 * n_sim * n_groups * (horizon + max_lag),
        what=f"simulating {n_sim} paths x {n_groups} group(s) x {horizon} days",
        fix="lower n_sim= or horizon=",
    )


def _hawkes_predictive(
    m: _Model,
    horizon: int,
    *,
    n_sim: int,
    rng: np.random.Generator,
    parameter_uncertainty: bool,
) -> list[_Predictive]:
    d = m.design
    lay = d.layout
    L = m.max_lag
    n = d.y.shape[1]
    check_simulation_memory(n_sim, lay.G, horizon, L)
    future = pd.date_range(m.dates[-1] + pd.Timedelta(days=1), periods=horizon, freq="D")
    future_x = (
        np.vstack([_exo_on_grid(e, future) for e in m.exo_future])
        if lay.J
        else np.zeros((0, horizon))
    )
    theta = _param_draws(m, n_sim, rng) if parameter_uncertainty else m.theta
    _, lam = forward(
        lay,
        theta,
        hist_y=d.y[:, n - L :],
        hist_x=m.exo_hist,
        future_x=future_x,
        tau=(n + np.arange(horizon)) / 365.25,
        mu_regime=lay.K_mu - 1,
        eta_regime=lay.K_eta - 1,
        fixed_kernel=d.fixed_kernel,
        rng=rng,
        n_sim=n_sim,
    )
    out = []
    th = np.broadcast_to(theta, (n_sim, lay.size))
    for gi in range(lay.G):
        r = np.exp(-th[:, lay.slices()["logdisp"]][:, gi]) if lay.negbin else None
        out.append(_Predictive(lam=lam[:, gi, :], r=r))
    return out


def _predict(
    series: list[CountSeries],
    model: str,
    horizon: int,
    *,
    window: int,
    season: int,
    n_sim: int,
    rng: np.random.Generator,
    multivariate: bool,
    exo: list[Any],
    max_lag: int,
    family: str,
    parameter_uncertainty: bool,
    models: Sequence[_Model] | None = None,
) -> list[_Predictive]:
    """One predictive law per series from ``model`` (not ``"auto"``) fitted to the series."""
    if model != "hawkes":
        return [_baseline(s, model, horizon, window=window, season=season) for s in series]
    if models is None:
        models = fit_models(
            series,
            multivariate=multivariate,
            exo=exo,
            fixed_kernel=None,
            max_lag=max_lag,
            regime_starts=(),
            trend=False,
            family=family,
            warn_user=False,
        )
    out: list[_Predictive] = []
    for m in models:
        out += _hawkes_predictive(
            m, horizon, n_sim=n_sim, rng=rng, parameter_uncertainty=parameter_uncertainty
        )
    return out


def _check_common(horizon: int, n_sim: int, window: int, season: int, max_lag: int) -> None:
    for name, v, lo in (
        ("horizon", horizon, 1),
        ("n_sim", n_sim, 10),
        ("window", window, 1),
        ("season", season, 1),
        ("max_lag", max_lag, 1),
    ):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
            raise FlashpointValueError(f"{name} must be an integer >= {lo}, got {v!r}")


def _check_size(horizon: int, n_sim: int, n_groups: int, max_lag: int, *, hawkes: bool) -> None:
    """Refuse, before fitting anything, a forecast whose arrays cannot fit the memory budget.

    The per-day arrays (means, quantiles, scores: about 16 numbers a day and group) must
    fit; the probability grids are then evaluated a chunk of days at a time.
    """
    check_memory(
        8.0 * 16 * horizon * n_groups,
        what=f"a forecast of {horizon} days x {n_groups} group(s)",
        fix="lower horizon=",
    )
    if hawkes:
        check_simulation_memory(n_sim, n_groups, horizon, max_lag)


def _check_lengths(n_days: int, *, window: int, season: int, models: Sequence[str]) -> None:
    """Refuse a window or season longer than the series (an error, not a silent no-op)."""
    used = []
    if {"auto", "naive_mean"} & set(models):
        used.append(("window", window))
    if "seasonal_naive" in models:
        used.append(("season", season))
    for name, v in used:
        if v > n_days:
            raise FlashpointValueError(
                f"{name}={v} days is longer than the series ({n_days} days); lower {name}= "
                "or use a longer series"
            )


def _split(
    counts: pd.DataFrame,
    *,
    by: str | None,
    min_days: int,
    drop_all_zero: bool,
    what: str,
    zero_fix: str = "use model='auto' or 'naive_mean', which forecast about zero",
) -> tuple[str | None, list[CountSeries]]:
    """Check the counts (one calendar for all groups, enough days) and split them by group."""
    by, _, series = split_counts(counts, by=by, freq="D", min_obs=1)
    first = series[0]
    for s in series:
        where = "" if s.group is None else f" in group {s.group!r}"
        if s.n < min_days:
            raise FlashpointValueError(
                f"{what} needs at least {min_days} days of counts; found {s.n}{where}; pass "
                "a longer series"
            )
        if not s.dates.equals(first.dates):
            raise FlashpointValueError(
                f"every group must cover the same days; group {s.group!r} covers "
                f"{s.dates[0].date()}..{s.dates[-1].date()} and group {first.group!r} "
                f"{first.dates[0].date()}..{first.dates[-1].date()}; build the counts with "
                "fp.count_daily on all groups at once"
            )
    if not drop_all_zero:
        return by, series
    kept = [s for s in series if s.y.any()]
    for s in series:
        if not s.y.any() and kept:
            warn(f"group {s.group!r} has no events; it is left out", AllZeroGroupWarning)
    if not kept:
        raise FlashpointValueError(
            f"every series is all zero (no events in {first.n} days), and {what} needs "
            f"events; {zero_fix}"
        )
    return by, kept


def _stack(frames: list[pd.DataFrame], by: str | None) -> pd.DataFrame:
    """Stack per-group frames; their ``group`` column takes the counts' name (none: dropped)."""
    out = pd.concat(frames, ignore_index=True)
    return out.drop(columns="group") if by is None else out.rename(columns={"group": by})
