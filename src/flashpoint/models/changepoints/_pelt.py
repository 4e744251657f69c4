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

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from flashpoint._lazy import lazy_module
from flashpoint.models._likelihood import fit_nb_size

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
    """Vectorised segment cost ``C(S, m)`` of a family (see the module docstring).

    ``S log S`` is written ``S log max(S, 1)`` (0 at ``S = 0``) rather than with
    ``scipy.special.xlogy``, which is several times slower on large blocks.
    """
    if family == "poisson":

        def poisson(S: np.ndarray, m: np.ndarray) -> np.ndarray:
            return 2.0 * S * (1.0 + np.log(m / np.maximum(S, 1.0)))  # one log, not two

        return poisson
    if size is None:
        raise ValueError("the negative-binomial cost needs a size")
    r = float(size)

    def negbin(S: np.ndarray, m: np.ndarray) -> np.ndarray:
        mr = m * r
        log_tot = np.log(mr + S)
        return -2.0 * (mr * (np.log(mr) - log_tot) + S * (np.log(np.maximum(S, 1.0)) - log_tot))

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
    """Exact penalised segmentation by PELT, a block of ends at a time.

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
    argument needs a split at ``t`` that is admissible.

    Vectorised over blocks of :data:`BLOCK` ends (the speed-up over one numpy step per
    end): the candidates that exist when a block starts are scored against all its ends at
    once (cumulative sums give every segment total); the starts inside the block enter
    through the fixed point of the min-plus recursion on the block (Bellman-Ford: at most
    one sweep more than the number of changes inside the block); pruning is applied at
    the end of each block with the first end at which a start failed the test. The result
    is the same optimum as one step per end.
    """
    n = cum.size - 1
    cumf = cum.astype(np.float64)
    K = min(0.0, math.log(4.0 / n)) if mbic else 0.0
    F = np.full(n + 1, np.inf)
    F[0] = -beta
    prev = np.zeros(n + 1, dtype=np.int64)
    cand = np.zeros(1, dtype=np.int64)  # candidate starts, ascending
    marked = np.full(1, _NEVER)  # time a candidate failed the test
    t0 = min_size
    while t0 <= n:
        keep = marked > t0 - min_size  # marked at t: usable up to t + min_size - 1
        cand, marked = cand[keep], marked[keep]
        t1 = min(n + 1, t0 + BLOCK)
        tt = np.arange(t0, t1)
        V = _scores(cumf, cand, tt, cost, min_size, mbic) + F[cand][None, :]
        inner = _scores(cumf, tt, tt, cost, min_size, mbic)
        inner[:, tt < min_size] = np.inf  # starts inside (0, min_size) are not admissible
        best = _block_optimum(V, inner, beta)
        F[t0:t1] = best.value
        old_arg = cand[best.arg_old] if cand.size else np.zeros(t1 - t0, dtype=np.int64)
        prev[t0:t1] = np.where(best.inside, tt[best.arg_inside], old_arg)
        # prune: the first end of the block at which each start fails the test
        new = tt[tt >= min_size]
        Vin = F[new][None, :] + inner[:, tt >= min_size]
        both = np.hstack([V, Vin])
        fails = np.isfinite(both) & (both + K > F[t0:t1, None])
        first = np.where(fails.any(axis=0), tt[fails.argmax(axis=0)], _NEVER)
        cand = np.concatenate([cand, new])
        marked = np.minimum(np.concatenate([marked, np.full(new.size, _NEVER)]), first)
        t0 = t1
    cuts = []
    t = n
    while t > 0:
        s = int(prev[t])
        if s > 0:
            cuts.append(s)
        t = s
    return np.array(sorted(cuts), dtype=np.int64), float(F[n])


BLOCK = 64
"""Ends scored together by :func:`pelt`."""
_NEVER = np.iinfo(np.int64).max


def _scores(
    cumf: np.ndarray, starts: np.ndarray, ends: np.ndarray, cost: CostFn, min_size: int, mbic: bool
) -> np.ndarray:
    """Cost of every segment (start, end] (ends x starts); ``inf`` if shorter than min_size."""
    lengths = ends[:, None] - starts[None, :]
    m = lengths.astype(np.float64)
    S = cumf[ends][:, None] - cumf[starts][None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        c = cost(S, m)
        if mbic:
            c += np.log(m)
    c[lengths < min_size] = np.inf  # in place: no second matrix, no gather and scatter
    return c


class _Optimum(NamedTuple):
    value: np.ndarray  # F(t) of the block's ends
    inside: np.ndarray  # the best start lies inside the block
    arg_old: np.ndarray  # index of the best candidate among the old ones
    arg_inside: np.ndarray  # index of the best start inside the block


def _block_optimum(V: np.ndarray, inner: np.ndarray, beta: float) -> _Optimum:
    """Min-plus fixed point: ``F(t) = beta + min(old_t, min_s F(s) + C(s, t))`` on a block."""
    nb = inner.shape[0]
    arg_old = V.argmin(axis=1) if V.shape[1] else np.zeros(nb, dtype=np.int64)
    old = V[np.arange(nb), arg_old] if V.shape[1] else np.full(nb, np.inf)
    cur = old + beta
    inside = np.zeros(nb, dtype=bool)
    arg_in = np.zeros(nb, dtype=np.int64)
    for _ in range(nb + 1):
        cand = cur[None, :] + inner
        arg_in = cand.argmin(axis=1)
        vin = cand[np.arange(nb), arg_in]
        inside = vin < old
        new = np.where(inside, vin, old) + beta
        if np.array_equal(new, cur):
            break
        cur = new
    return _Optimum(cur, inside, arg_old, arg_in)


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

    The shared :func:`flashpoint.models._likelihood.fit_nb_size` with the segment means;
    ``inf`` when the counts are not overdispersed within segments.
    """
    bounds = np.concatenate([[0], changes, [y.size]])
    sums = np.add.reduceat(y.astype(np.float64), bounds[:-1])
    mu = np.repeat(sums / np.diff(bounds), np.diff(bounds))
    return fit_nb_size(y, mu)
