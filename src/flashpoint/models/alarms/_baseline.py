"""The alarm baseline: a quasi-Poisson log-linear model on each rolling reference window.

Vectorised over windows: one row of a 2-D array per monitored period. Past outbreaks are
down-weighted as in the improved Farrington method (Noufaily et al. 2013); the uncertainty of
the estimated dispersion is carried by the equal-probability nodes of :func:`_phi_nodes`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import cast

import numpy as np

from flashpoint._lazy import lazy_module
from flashpoint.limits import chunk_size

stats = lazy_module("scipy.stats")

__all__ = ["MIN_TREND_EVENTS", "REWEIGHT_THRESHOLD", "TREND_P_VALUE"]

REWEIGHT_THRESHOLD = 2.58
"""Anscombe residual above which a baseline day is down-weighted (Noufaily et al. 2013)."""
TREND_P_VALUE = 0.05
"""Significance level at which a baseline trend is kept (Farrington et al. 1996)."""
MIN_TREND_EVENTS = 5
"""A trend is only considered when the baseline window holds at least this many events."""


@dataclass(frozen=True, slots=True)
class _Baseline:
    """Per monitored period: the baseline prediction and its uncertainty.

    ``mean`` is the predicted mean, ``phi_raw`` the Pearson dispersion estimate (not floored
    at 1) on ``df`` degrees of freedom (``inf``: fixed, not estimated), ``var_mean`` the
    variance of the predicted mean at dispersion ``max(1, phi_raw)``, ``trend`` whether a
    trend was kept.
    """

    mean: np.ndarray
    phi_raw: np.ndarray
    df: np.ndarray
    var_mean: np.ndarray
    trend: np.ndarray

    @property
    def phi(self) -> np.ndarray:
        """Dispersion used for the point prediction, ``max(1, phi_raw)``."""
        return np.maximum(1.0, self.phi_raw)


def _reweight(resid: np.ndarray) -> np.ndarray:
    """Noufaily et al. weights: gamma * r^-2 above the threshold, gamma below; sum = n."""
    r = np.where(resid > REWEIGHT_THRESHOLD, resid, 1.0)
    w = np.where(resid > REWEIGHT_THRESHOLD, 1.0 / r**2, 1.0)
    return cast(np.ndarray, w * (w.shape[1] / w.sum(axis=1, keepdims=True)))


def _anscombe(y: np.ndarray, mu: np.ndarray, phi: np.ndarray, lev: np.ndarray) -> np.ndarray:
    """Anscombe residuals of a quasi-Poisson fit (Farrington et al. 1996)."""
    lev = np.clip(lev, 0.0, 0.999)
    return cast(
        np.ndarray,
        1.5
        * (y ** (2 / 3) - mu ** (2 / 3))
        / (np.sqrt(phi)[:, None] * mu ** (1 / 6) * np.sqrt(1.0 - lev)),
    )


def _constant_fit(y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted mean model per window (row): mean, raw Pearson dispersion, leverages."""
    n = y.shape[1]
    sw = w.sum(axis=1)
    mu = (w * y).sum(axis=1) / sw
    pearson = (w * (y - mu[:, None]) ** 2).sum(axis=1) / mu
    return mu, pearson / max(n - 1, 1), w / sw[:, None]


def _fit_constant(y: np.ndarray, reweight: bool) -> _Baseline:
    w = np.ones_like(y)
    mu, raw, lev = _constant_fit(y, w)
    if reweight:
        mu_full = np.broadcast_to(mu[:, None], y.shape)
        w = _reweight(_anscombe(y, mu_full, np.maximum(1.0, raw), lev))
        mu, raw, _ = _constant_fit(y, w)
    var_mean = np.maximum(1.0, raw) * mu / w.sum(axis=1)
    return _Baseline(
        mean=mu,
        phi_raw=raw,
        df=np.full(len(mu), float(max(y.shape[1] - 1, 1))),
        var_mean=var_mean,
        trend=np.zeros(len(mu), dtype=bool),
    )


def _irls_trend(
    y: np.ndarray, x: np.ndarray, w: np.ndarray, max_iter: int = 60
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted Poisson log-linear fit with intercept + slope, one fit per row.

    Returns the coefficients (m, 2), the information matrices X'WX without phi (m, 2, 2),
    the fitted means (m, n) and a convergence flag (m,).
    """
    m = y.shape[0]
    design = np.column_stack([np.ones_like(x), x])  # (n, 2)
    beta = np.zeros((m, 2))
    beta[:, 0] = np.log((w * y).sum(axis=1) / w.sum(axis=1))
    converged = np.zeros(m, dtype=bool)
    for _ in range(max_iter):
        eta = np.clip(beta @ design.T, -30.0, 30.0)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        wt = w * mu
        info = np.einsum("mn,np,nq->mpq", wt, design, design)
        rhs = np.einsum("mn,np,mn->mp", wt, design, z)
        det = info[:, 0, 0] * info[:, 1, 1] - info[:, 0, 1] ** 2
        ok = det > 1e-12 * np.maximum(info[:, 0, 0] * info[:, 1, 1], 1e-300)
        safe = np.where(ok, det, 1.0)
        new = np.empty_like(beta)
        new[:, 0] = (info[:, 1, 1] * rhs[:, 0] - info[:, 0, 1] * rhs[:, 1]) / safe
        new[:, 1] = (info[:, 0, 0] * rhs[:, 1] - info[:, 0, 1] * rhs[:, 0]) / safe
        new = np.where(ok[:, None], new, beta)
        step = np.abs(new - beta).max(axis=1)
        beta = new
        converged = ok & (step < 1e-8)
        if converged.all():
            break
    mu = np.exp(np.clip(beta @ design.T, -30.0, 30.0))
    info = np.einsum("mn,np,nq->mpq", w * mu, design, design)
    return beta, info, mu, converged & np.all(np.isfinite(beta), axis=1)


def _trend_fit(
    y: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Trend fit per row: beta, covariance at max(1, phi), means, raw phi, leverage, ok."""
    n = y.shape[1]
    beta, info, mu, ok = _irls_trend(y, x, w)
    raw = (w * (y - mu) ** 2 / mu).sum(axis=1) / max(n - 2, 1)
    det = info[:, 0, 0] * info[:, 1, 1] - info[:, 0, 1] ** 2
    det = np.where(ok & (det > 0), det, np.nan)
    inv = np.empty_like(info)
    inv[:, 0, 0] = info[:, 1, 1] / det
    inv[:, 1, 1] = info[:, 0, 0] / det
    inv[:, 0, 1] = inv[:, 1, 0] = -info[:, 0, 1] / det
    design = np.column_stack([np.ones_like(x), x])
    lev = (w * mu) * np.einsum("np,mpq,nq->mn", design, inv, design)
    cov = inv * np.maximum(1.0, raw)[:, None, None]
    return beta, cov, mu, raw, lev, ok & np.isfinite(det)


def _fit_baseline(windows: np.ndarray, *, guard: int, trend: bool, reweight: bool) -> _Baseline:
    """Fit the baseline of each rolling window (rows) and predict ``guard + 1`` periods ahead."""
    n = windows.shape[1]
    y = windows.astype(float)
    base = _fit_constant(y, reweight)
    if not trend:
        return base
    cand = np.flatnonzero(y.sum(axis=1) >= MIN_TREND_EVENTS)
    if cand.size == 0:
        return base
    yc = y[cand]
    x = (np.arange(n) - (n - 1) / 2.0) / n  # centred, scaled time
    x0 = (n + guard - (n - 1) / 2.0) / n  # the monitored period
    w = np.ones_like(yc)
    beta, cov, mu, raw, lev, ok = _trend_fit(yc, x, w)
    if reweight:
        w = _reweight(_anscombe(yc, mu, np.maximum(1.0, raw), lev))
        beta, cov, mu, raw, lev, ok = _trend_fit(yc, x, w)
    se = np.sqrt(np.maximum(cov[:, 1, 1], 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_stat = beta[:, 1] / se
    p = 2.0 * stats.t.sf(np.abs(t_stat), df=max(n - 2, 1))
    vec = np.array([1.0, x0])
    pred = np.exp(np.clip(beta @ vec, -30.0, 30.0))
    var_pred = pred**2 * np.einsum("p,mpq,q->m", vec, cov, vec)
    # Farrington et al. (1996): keep the trend only if significant and the prediction does
    # not exceed the largest count of the baseline window
    keep = ok & (p < TREND_P_VALUE) & (pred <= yc.max(axis=1)) & np.isfinite(var_pred)
    rows = cand[keep]
    mean, phi_raw, df = base.mean.copy(), base.phi_raw.copy(), base.df.copy()
    var_mean, has_trend = base.var_mean.copy(), base.trend.copy()
    mean[rows] = pred[keep]
    phi_raw[rows] = raw[keep]
    df[rows] = float(max(n - 2, 1))
    var_mean[rows] = var_pred[keep]
    has_trend[rows] = True
    return _Baseline(mean=mean, phi_raw=phi_raw, df=df, var_mean=var_mean, trend=has_trend)


_BYTES_PER_WINDOW_DAY = 8 * 24
"""float64 temporaries per (monitored period, baseline day) while the baselines are fitted."""


def _baseline_for_series(
    y: np.ndarray, *, baseline: int, guard: int, trend: bool, reweight: bool
) -> tuple[np.ndarray, _Baseline]:
    """Return the monitored indices and the baseline fitted for each of them.

    The windows are fitted in chunks of monitored periods that fit the memory budget
    (:mod:`flashpoint.limits`), so memory does not grow with the series length.
    """
    idx = np.arange(baseline + guard, len(y))
    step = chunk_size(_BYTES_PER_WINDOW_DAY * baseline, idx.size)
    parts = [
        _baseline_rows(
            y, idx[a : a + step], baseline=baseline, guard=guard, trend=trend, reweight=reweight
        )
        for a in range(0, idx.size, step)
    ]
    return idx, _Baseline(
        **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(_Baseline)}
    )


def _baseline_rows(
    y: np.ndarray, idx: np.ndarray, *, baseline: int, guard: int, trend: bool, reweight: bool
) -> _Baseline:
    """Baselines of the monitored periods ``idx`` (one reference window each)."""
    windows = np.lib.stride_tricks.sliding_window_view(y, baseline)[idx - baseline - guard]
    zero = windows.sum(axis=1) == 0
    mean = np.empty(idx.size)
    phi_raw = np.ones(idx.size)
    df = np.full(idx.size, np.inf)
    var_mean = np.empty(idx.size)
    has_trend = np.zeros(idx.size, dtype=bool)
    # an all-zero window cannot be fitted: use the Jeffreys-prior gamma posterior of a
    # constant Poisson rate, Gamma(0.5, rate=baseline), and no extra dispersion
    mean[zero] = 0.5 / baseline
    var_mean[zero] = 0.5 / baseline**2
    if (~zero).any():
        fit = _fit_baseline(windows[~zero], guard=guard, trend=trend, reweight=reweight)
        mean[~zero] = fit.mean
        phi_raw[~zero] = fit.phi_raw
        var_mean[~zero] = fit.var_mean
        has_trend[~zero] = fit.trend
        # the Pearson dispersion of negative-binomial counts is far more variable than a
        # chi-square on df degrees of freedom: match its variance, phi^2 (2 + excess
        # kurtosis) / df, with a scaled chi-square on 2 df / (2 + excess kurtosis) degrees
        level = windows[~zero].mean(axis=1)
        nb_alpha = (np.maximum(1.0, fit.phi_raw) - 1.0) / level
        kurtosis = 6.0 * nb_alpha + 1.0 / (level * (1.0 + nb_alpha * level))
        df[~zero] = fit.df * 2.0 / (2.0 + kurtosis)
    return _Baseline(mean=mean, phi_raw=phi_raw, df=df, var_mean=var_mean, trend=has_trend)


def _phi_nodes(phi_raw: np.ndarray, df: np.ndarray, k: int) -> np.ndarray:
    """Equal-weight nodes of the dispersion given its estimate, floored at 1, shape (n, k).

    ``df * phi_raw / phi`` is taken as chi-square on ``df`` degrees of freedom (the
    quasi-likelihood approximation), so ``phi = df * phi_raw / chi2_df``; ``df = inf``
    means the dispersion is fixed at ``phi_raw``.
    """
    probs = (np.arange(k) + 0.5) / k
    phi_raw = np.asarray(phi_raw, dtype=float)[:, None]
    df = np.asarray(df, dtype=float)[:, None]
    finite = np.isfinite(df)
    dfs = np.where(finite, df, 1.0)
    ratio = np.where(finite, dfs / stats.chi2.ppf(1.0 - probs[None, :], dfs), 1.0)
    return cast(np.ndarray, np.maximum(1.0, phi_raw * ratio))
