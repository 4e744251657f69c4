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
    phi`` (new count + estimated mean). The threshold, the smallest ``u`` with ``P(Y > u) <=
    alpha``, lies between the smallest and the largest of the nodes' own ``1 - alpha``
    quantiles and is found there by bisection, so memory stays proportional to the number
    of periods whatever the size of the counts.
    """
    mu = fit.mean[:, None]
    phis = _phi_nodes(fit.phi_raw, fit.df, _N_PHI_FARRINGTON)  # (n, k)
    var = phis * mu + (fit.var_mean / fit.phi)[:, None] * phis
    size = mu**2 / np.maximum(var - mu, 1e-12 * mu)
    prob = size / (size + mu)

    def sf(u: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Mixture P(Y > u) of the given rows."""
        return np.asarray(stats.nbinom.sf(u[:, None], size[rows], prob[rows]).mean(axis=1))

    q = stats.nbinom.ppf(1.0 - alpha, size, prob)  # each node: P(Y_k > q_k) <= alpha
    lo, hi = q.min(axis=1) - 1.0, q.max(axis=1)  # mixture sf: > alpha at lo, <= alpha at hi
    open_ = np.flatnonzero(hi - lo > 1)
    while open_.size:
        mid = np.floor((lo[open_] + hi[open_]) / 2)
        below = sf(mid, open_) <= alpha
        hi[open_] = np.where(below, mid, hi[open_])
        lo[open_] = np.where(below, lo[open_], mid)
        open_ = open_[hi[open_] - lo[open_] > 1]
    threshold = hi
    p_value = np.ones(len(y))
    pos = np.flatnonzero(y > 0)
    p_value[pos] = sf(y[pos] - 1.0, pos)
    alarm = y > threshold
    statistic = np.maximum(0.0, -np.log10(np.maximum(p_value, 1e-300)))
    limit = np.full(len(y), -np.log10(alpha))
    disp = (var.mean(axis=1) - fit.mean) / fit.mean**2  # variance of the mixture, as NB alpha
    return threshold, statistic, limit, p_value, disp, alarm
