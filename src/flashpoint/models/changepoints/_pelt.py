"""PELT (Killick, Fearnhead & Eckley 2012) with Poisson / negative-binomial segment costs.

The cost of a segment is twice its negative maximised log likelihood, without the terms
that depend on single observations only (they are the same for every segmentation):

* Poisson: ``C(S, m) = 2 (S - S log(S / m))``;
* NB with size ``r``: ``C(S, m) = -2 (m r log(m r / (m r + S)) + S log(S / (m r + S)))``,

with ``S`` the segment total and ``m`` its length. PELT minimises
``sum of segment costs + beta * (number of changes)`` exactly, pruning start points that
can never again be optimal.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

from flashpoint._lazy import lazy_module

optimize = lazy_module("scipy.optimize")
special = lazy_module("scipy.special")
stats = lazy_module("scipy.stats")

__all__ = [
    "garwood",
    "nb_exact_interval",
    "pelt",
    "penalty_value",
    "segment_cost",
]

CostFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def segment_cost(family: str, size: float | None) -> CostFn:
    """Vectorised segment cost ``C(S, m)`` of a family (see the module docstring)."""
    if family == "poisson":

        def poisson(S: np.ndarray, m: np.ndarray) -> np.ndarray:
            return 2.0 * (S - special.xlogy(S, S / m))

        return poisson
    assert size is not None
    r = float(size)

    def negbin(S: np.ndarray, m: np.ndarray) -> np.ndarray:
        mr = m * r
        tot = mr + S
        return -2.0 * (special.xlogy(mr, mr / tot) + special.xlogy(S, S / tot))

    return negbin


def penalty_value(penalty: str | float, n: int) -> tuple[float, bool]:
    """Return the per-change penalty ``beta`` and whether segment lengths enter the cost (MBIC).

    ``"bic"``: ``2 log n`` (one rate and one location per change). ``"mbic"`` (Zhang &
    Siegmund 2007): ``3 k log n + sum_j log(n_j / n)`` over the ``k + 1`` segments of
    lengths ``n_j``, i.e. ``2 log n`` per change plus ``log n_j`` per segment (the constant
    ``-log n`` is dropped).
    """
    if isinstance(penalty, str):
        if penalty == "bic":
            return 2.0 * math.log(n), False
        return 2.0 * math.log(n), True  # mbic
    return float(penalty), False


def pelt(
    cum: np.ndarray,
    cost: CostFn,
    beta: float,
    *,
    min_size: int = 1,
    mbic: bool = False,
) -> tuple[np.ndarray, float]:
    """Exact penalised segmentation by PELT.

    Parameters
    ----------
    cum
        Cumulative counts with a leading 0 (length ``n + 1``).
    cost
        Segment cost ``C(S, m)``.
    beta
        Penalty per change point.
    min_size
        Minimum segment length.
    mbic
        Add ``log(m)`` to each segment's cost (the MBIC).

    Returns
    -------
    changes, objective
        Indices ``i`` (0-based periods) at which a new segment starts, and the minimised
        objective (``sum of costs + beta * k``).

    Notes
    -----
    Start ``s`` is dropped at time ``t`` when ``F(s) + C(s, t) + K > F(t)`` (Killick et al.
    2012, Theorem 3.1), with ``K = 0`` for the likelihood costs and ``K = log(4 / n)`` with
    the MBIC length term (``log a + log b - log(a + b) <= log(n / 4)``). With ``min_size >
    1`` a start marked at ``t`` stays a candidate until ``t + min_size - 1``, because the
    argument needs a split at ``t`` that is admissible. The candidates' ``F(s)``, ``s`` and
    cumulative counts are kept in parallel buffers, so each step is a handful of numpy
    operations on the (small) candidate set.
    """
    n = cum.size - 1
    cumf = cum.astype(np.float64)
    K = min(0.0, math.log(4.0 / n)) if mbic else 0.0
    F = np.full(n + 1, np.inf)
    F[0] = -beta
    prev = np.zeros(n + 1, dtype=np.int64)
    never = float(n + 1)
    # candidate buffers: start s, F(s), cum(s), last time it is still needed
    c_s = np.zeros(n + 1)
    c_f = np.zeros(n + 1)
    c_c = np.zeros(n + 1)
    c_x = np.full(n + 1, never)
    c_f[0] = -beta
    nc = 1
    for t in range(min_size, n + 1):
        s_new = t - min_size
        if s_new >= min_size:
            c_s[nc] = s_new
            c_f[nc] = F[s_new]
            c_c[nc] = cumf[s_new]
            c_x[nc] = never
            nc += 1
        m = t - c_s[:nc]
        c = cost(cumf[t] - c_c[:nc], m)
        if mbic:
            c += np.log(m)
        v = c_f[:nc] + c
        j = int(v.argmin())
        ft = float(v[j]) + beta
        F[t] = ft
        prev[t] = int(c_s[j])
        dead = v > ft - K
        if min_size > 1:
            ex = c_x[:nc]
            dead &= ex == never
            if dead.any():
                ex[dead] = t + min_size - 1
            keep = ex > t
        elif dead.any():
            keep = ~dead
        else:
            continue
        if not keep.all():
            nk = int(keep.sum())
            c_s[:nk] = c_s[:nc][keep]
            c_f[:nk] = c_f[:nc][keep]
            c_c[:nk] = c_c[:nc][keep]
            c_x[:nk] = c_x[:nc][keep]
            nc = nk
    cuts = []
    t = n
    while t > 0:
        s = int(prev[t])
        if s > 0:
            cuts.append(s)
        t = s
    return np.array(sorted(cuts), dtype=np.int64), float(F[n])


def garwood(S: np.ndarray, m: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood 1936) interval of a Poisson rate from ``S`` events in ``m`` periods."""
    S = np.asarray(S, dtype=np.float64)
    lo = np.where(S > 0, stats.chi2.ppf(alpha / 2, 2 * S) / 2, 0.0)
    hi = stats.chi2.ppf(1 - alpha / 2, 2 * S + 2) / 2
    return lo / m, hi / m


def nb_exact_interval(
    S: np.ndarray, m: np.ndarray, size: float, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Exact interval of an NB mean with known size from a segment total.

    ``S`` is NB(m r, q) (failures before the ``m r``-th success, ``mean = r (1 - q) / q``
    per period); inverting ``P(S <= s; q) = I_q(m r, s + 1)`` and ``P(S >= s; q) =
    I_{1-q}(s, m r)`` at ``alpha / 2`` gives the equal-tailed limits (Casella & Berger
    2002, ex. 9.21 style; tends to the Garwood interval as ``r`` grows).
    """
    S = np.asarray(S, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    k = m * size
    q_lo = stats.beta.ppf(alpha / 2, k, S + 1)  # upper limit of the mean
    hi = size * (1 - q_lo) / q_lo
    with np.errstate(invalid="ignore"):
        one_minus_q = np.where(S > 0, stats.beta.ppf(alpha / 2, np.maximum(S, 1e-300), k), 0.0)
    lo = size * one_minus_q / (1 - one_minus_q)
    return lo, hi


def estimate_size(y: np.ndarray, changes: np.ndarray) -> float:
    """Maximum-likelihood NB size given a segmentation (segment means fixed at their MLE).

    Returns ``inf`` when the counts are not overdispersed within segments.
    """
    bounds = np.concatenate([[0], changes, [y.size]])
    mu = np.repeat(
        [y[a:b].mean() for a, b in itertools.pairwise(bounds)],
        np.diff(bounds),
    )
    live = mu > 0  # an all-zero segment says nothing about the size
    yy, mm = y[live].astype(np.float64), mu[live]
    if yy.size < 2:
        return math.inf

    def nll(log_r: float) -> float:
        r = math.exp(log_r)
        ll = (
            special.gammaln(yy + r)
            - special.gammaln(r)
            + r * np.log(r / (r + mm))
            + special.xlogy(yy, mm / (r + mm))
        )
        return -float(ll.sum())

    lo, hi = math.log(1e-3), math.log(1e5)
    res = optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded")
    if res.x > hi - 0.05:
        return math.inf
    return float(math.exp(res.x))
