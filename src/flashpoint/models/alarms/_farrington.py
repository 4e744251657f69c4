"""Farrington-type alarms: the upper prediction limit of a single period."""

from __future__ import annotations

import numpy as np

from flashpoint._lazy import lazy_module
from flashpoint.models.alarms._baseline import _Baseline, _phi_nodes

stats = lazy_module("scipy.stats")

_N_PHI_FARRINGTON = 8


def _farrington(
    y: np.ndarray, fit: _Baseline, *, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Upper prediction limit; return threshold, statistic, limit, p-value, dispersion, alarm.

    The predictive distribution of the new count is an equal mixture of negative binomials,
    one per dispersion node, each with mean ``mu`` and variance ``phi_k mu + Var(mu) phi_k /
    phi`` (new count + estimated mean).
    """
    mu = fit.mean[:, None]
    phis = _phi_nodes(fit.phi_raw, fit.df, _N_PHI_FARRINGTON)  # (n, k)
    var = phis * mu + (fit.var_mean / fit.phi)[:, None] * phis
    size = mu**2 / np.maximum(var - mu, 1e-12 * mu)
    prob = size / (size + mu)
    # smallest u with P(Y > u) <= alpha: search the integers up to a safe upper bound
    top = int(max(np.max(stats.nbinom.ppf(1.0 - alpha / _N_PHI_FARRINGTON, size, prob)), 0))
    top = max(top, int(y.max())) + 1
    grid = np.arange(top + 1)
    sf = stats.nbinom.sf(grid[None, None, :], size[:, :, None], prob[:, :, None]).mean(axis=1)
    threshold = np.argmax(sf <= alpha, axis=1).astype(float)
    yi = y.astype(np.int64)
    p_value = np.where(yi > 0, sf[np.arange(len(y)), np.clip(yi - 1, 0, None)], 1.0)
    alarm = y > threshold
    statistic = np.maximum(0.0, -np.log10(np.maximum(p_value, 1e-300)))
    limit = np.full(len(y), -np.log10(alpha))
    disp = (var.mean(axis=1) - fit.mean) / fit.mean**2  # variance of the mixture, as NB alpha
    return threshold, statistic, limit, p_value, disp, alarm
