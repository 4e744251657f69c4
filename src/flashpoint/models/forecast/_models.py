"""The forecasting models: a fitted Hawkes model simulated forward, and the baselines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.errors import FlashpointValueError
from flashpoint.models._base import CountSeries
from flashpoint.models.forecast._predictive import _Predictive
from flashpoint.models.hawkes._engine import at_bound
from flashpoint.models.hawkes._fit import _exo_on_grid, _Model, fit_models
from flashpoint.models.hawkes._simulate import forward

optimize = lazy_module("scipy.optimize")
special = lazy_module("scipy.special")

__all__ = ["FAMILIES", "MODELS"]

MODELS = ("hawkes", "negbin", "naive_mean", "seasonal_naive")
FAMILIES = ("negbin", "poisson")


def _fit_negbin(y: np.ndarray) -> tuple[float, float]:
    """ML mean and NB2 size r of an intercept-only negative binomial (r = inf: Poisson)."""
    m = float(y.mean())
    if m <= 0:
        return 0.0, np.inf
    if y.var() <= m:
        return m, np.inf

    def nll(logr: float) -> float:
        r = np.exp(logr)
        return -float(
            (
                special.gammaln(y + r)
                - special.gammaln(r)
                + r * np.log(r / (r + m))
                + y * np.log(m / (r + m))
            ).sum()
        )

    res = optimize.minimize_scalar(nll, bounds=(-6.0, 10.0), method="bounded")
    return m, float(np.exp(res.x))


def _baseline(s: CountSeries, model: str, horizon: int, *, window: int, season: int) -> _Predictive:
    y = s.y.astype(float)
    if model == "negbin":
        m, r = _fit_negbin(y)
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
        if not isinstance(v, int | np.integer) or v < lo:
            raise FlashpointValueError(f"{name} must be an integer >= {lo}, got {v!r}")


def _stack(frames: list[pd.DataFrame], by: str | None) -> pd.DataFrame:
    """Stack per-group frames; their ``group`` column takes the counts' name (none: dropped)."""
    out = pd.concat(frames, ignore_index=True)
    return out.drop(columns="group") if by is None else out.rename(columns={"group": by})
