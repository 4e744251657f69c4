"""Negative-binomial CUSUM: log-likelihood-ratio increments and the decision limit.

The decision limit gives a target in-control average run length (Brook & Evans 1972 Markov
chain), averaged over the uncertainty of the baseline; limits are computed on a grid of
design inputs and cached.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import cast

import numpy as np

from flashpoint._lazy import lazy_module
from flashpoint.models.alarms._baseline import _Baseline, _phi_nodes

linalg = lazy_module("scipy.linalg")
optimize = lazy_module("scipy.optimize")
stats = lazy_module("scipy.stats")

_N_STATES = 60
_N_QUAD_MEAN = 6
_N_QUAD_PHI = 4


def _llr_coefficients(
    mu: np.ndarray, alpha: np.ndarray, kappa: float
) -> tuple[np.ndarray, np.ndarray]:
    """LLR of NB(kappa*mu, alpha) against NB(mu, alpha) for a count y is c0 + c1*y."""
    mu = np.asarray(mu, dtype=float)
    alpha = np.asarray(alpha, dtype=float)
    small = alpha < 1e-10
    a = np.where(small, 1.0, alpha)
    c = np.log1p(a * mu) - np.log1p(a * kappa * mu)
    c0 = np.where(small, -mu * (kappa - 1.0), c / a)
    c1 = np.where(small, np.log(kappa), np.log(kappa) + c)
    return c0, c1


def _nb_cdf_table(mu: np.ndarray, alpha: np.ndarray, top: int) -> np.ndarray:
    """NB (Poisson where alpha = 0) distribution functions at 0..top, one row per (mu, alpha)."""
    y = np.arange(top + 1)[None, :]
    mu = np.asarray(mu, dtype=float)[:, None]
    alpha = np.asarray(alpha, dtype=float)[:, None]
    size = 1.0 / np.maximum(alpha, 1e-10)
    nb = stats.nbinom.cdf(y, size, size / (size + mu))
    return cast(np.ndarray, np.where(alpha < 1e-10, stats.poisson.cdf(y, mu), nb))


def _false_alarm_rate(
    h: float, mu: float, disp: float, kappa: float, mu_true: np.ndarray, disp_true: np.ndarray
) -> float:
    """Mean of 1/ARL of the CUSUM tuned at (mu, disp) over data means/dispersions (pairs).

    Brook & Evans (1972) Markov-chain approximation of the run length: the statistic on
    [0, h] is discretised into ``_N_STATES`` states; the in-control ARL from S = 0 solves
    (I - Q) L = 1.
    """
    c0, c1 = (float(v) for v in _llr_coefficients(np.array(mu), np.array(disp), kappa))
    m = _N_STATES
    d = h / m
    s = np.arange(m) * d
    upper = (np.arange(m) + 0.5) * d
    # largest integer y with s + c0 + c1*y below the upper edge of state j
    ymax = np.ceil((upper[None, :] - s[:, None] - c0) / c1).astype(np.int64) - 1
    top = max(int(ymax.max()), 0)
    table = _nb_cdf_table(mu_true, disp_true, top)
    cdf = np.where(ymax[None] >= 0, table[:, np.clip(ymax, 0, None)], 0.0)
    # a chain that (numerically) never leaves [0, h] has an infinite run length: the tiny
    # leak keeps I - Q invertible and caps the run length at about 1e13 periods
    q = np.diff(cdf, axis=2, prepend=0.0) * (1.0 - 1e-13)
    eye = np.eye(m)
    ones = np.ones(m)
    with warnings.catch_warnings():
        # near-absorbing-free chains (tiny means) are ill-conditioned by design; the leak
        # above bounds the answer, which only needs to be "very long"
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        arl = np.array([linalg.solve(eye - qk, ones, check_finite=False)[0] for qk in q])
    arl = np.where(np.isfinite(arl) & (arl >= 1.0), arl, 1e15)
    return float(np.mean(1.0 / arl))


@lru_cache(maxsize=50_000)
def _decision_limit(
    mu: float, phi_raw: float, df: float, cv2: float, kappa: float, arl0: float
) -> float:
    """Decision limit h giving an expected in-control false-alarm rate of 1/arl0.

    The chart uses the estimated mean ``mu`` and dispersion ``max(1, phi_raw)``. Both are
    estimated from the baseline window, so the rate is averaged over their uncertainty: the
    true mean over a gamma distribution with mean ``mu`` and squared coefficient of variation
    ``cv2``, the true dispersion over the chi-square nodes of :func:`_phi_nodes` (cf. Jones,
    Champ & Rigdon 2004 on CUSUM charts with estimated parameters).
    """
    disp = (max(1.0, phi_raw) - 1.0) / mu
    if cv2 > 0:
        shape = 1.0 / cv2
        probs = (np.arange(_N_QUAD_MEAN) + 0.5) / _N_QUAD_MEAN
        mus = stats.gamma.ppf(probs, shape, scale=mu / shape)
    else:
        mus = np.array([mu])
    phis = _phi_nodes(np.array([phi_raw]), np.array([df]), _N_QUAD_PHI)[0]
    phis = np.unique(phis)
    mu_true = np.repeat(mus, len(phis))
    disp_true = np.tile((phis - 1.0) / mu, len(mus))
    target = np.log(1.0 / arl0)

    def excess(log_h: float) -> float:
        rate = _false_alarm_rate(float(np.exp(log_h)), mu, disp, kappa, mu_true, disp_true)
        return float(np.log(rate) - target)

    lo, hi = np.log(1e-3), np.log(0.5)
    if excess(lo) <= 0:
        return float(np.exp(lo))  # even the smallest limit alarms rarely enough
    while excess(hi) > 0:
        lo, hi = hi, hi + np.log(2.0)
        if hi > np.log(1e4):  # pragma: no cover - guards against a runaway search
            break
    return float(np.exp(optimize.brentq(excess, lo, hi, xtol=2e-3)))


def _design_key(
    mu: float, phi_raw: float, df: float, cv2: float
) -> tuple[float, float, float, float]:
    """Round the design inputs (10% steps in mu, 15% in phi and df, 25% in cv2) to reuse limits."""

    def snap(v: float, step: float) -> float:
        return float(np.exp(np.round(np.log(v) / step) * step))

    return (
        snap(mu, 0.1),
        snap(max(phi_raw, 0.05), 0.15),
        df if not np.isfinite(df) else snap(max(df, 0.5), 0.15),
        0.0 if cv2 < 1e-4 else snap(cv2, 0.25),
    )


def _cusum(
    y: np.ndarray, fit: _Baseline, *, kappa: float, arl0: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run the NB CUSUM; return threshold (count), statistic, limit, dispersion and alarm."""
    mu = fit.mean
    disp = (fit.phi - 1.0) / mu  # NB alpha with the quasi-Poisson variance at mu
    cv2 = fit.var_mean / mu**2
    c0, c1 = _llr_coefficients(mu, disp, kappa)
    n = len(y)
    threshold = np.empty(n)
    statistic = np.empty(n)
    limit = np.empty(n)
    alarm = np.zeros(n, dtype=bool)
    s_prev = 0.0
    for i in range(n):
        key = _design_key(float(mu[i]), float(fit.phi_raw[i]), float(fit.df[i]), float(cv2[i]))
        h = _decision_limit(*key, kappa, arl0)
        limit[i] = h
        threshold[i] = (h - s_prev - c0[i]) / c1[i]
        s = max(0.0, s_prev + c0[i] + c1[i] * y[i])
        statistic[i] = s
        if s > h:
            alarm[i] = True
            s = 0.0  # restart after an alarm
        s_prev = s
    return threshold, statistic, limit, disp, alarm
