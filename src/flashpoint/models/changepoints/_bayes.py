"""Bayesian change points of one count series: the posterior from two passes.

Model (Fearnhead 2006, section 2, with the Bernoulli prior on change points): each
boundary between two consecutive periods is a change point independently with probability
``p`` (segments shorter than ``min_size`` are excluded and the prior is renormalised);
within a segment the counts are i.i.d. with a conjugate prior on the segment's parameter
(:mod:`._segment`). A backward pass (on the reversed series) gives the backward sums and
the MAP segmentation, a forward pass the forward sums and the posterior of the number of
changes (:mod:`._sweep`); together they give the posterior probability of a change at
every boundary.

Exactness. With ``eps = 0`` every quantity is exact (sums over all ``2**(n-1)``
segmentations, in floating point). With ``eps > 0`` (the default of
:func:`bayes_fit`) the passes drop start points whose contribution is certified to be
small; the total-variation distance between the reported and the exact posterior over
segmentations is then at most ``approx_error`` (computed from the dropped starts, to first
order), and the MAP segmentation is exact either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from flashpoint._lazy import lazy_module
from flashpoint.models.changepoints._segment import SegmentModel
from flashpoint.models.changepoints._sweep import Pass, run_pass

special = lazy_module("scipy.special")

__all__ = [
    "PRUNE_EPS",
    "BayesFit",
    "backward_pass",
    "bayes_fit",
    "log_prior_normaliser",
    "prior_n_changes",
    "window_prob",
]

PRUNE_EPS = 1e-12
"""Pruning threshold of the certified bound ``rho`` of a start (see :mod:`._sweep`)."""
K_WIDTH = 16
"""Values of the number of changes kept per start (doubled while the lost mass is > 1e-9)."""
K_MAX_WIDTH = 64
"""At most this many (the memory estimate assumes it: a ring of 128 values per period)."""
_K_TOL = 1e-9  # rounding alone loses about 1e-12 per change point
_CHUNK = 1 << 20


def log_prior_normaliser(n: int, p: float, min_size: int) -> float:
    """Log of the prior mass of the segmentations allowed by ``min_size`` (0 when 1)."""
    if min_size <= 1:
        return 0.0
    k = np.arange(0, n // min_size)
    return float(special.logsumexp(_log_prior_terms(n, p, min_size, k)))


def _log_prior_terms(n: int, p: float, min_size: int, k: np.ndarray) -> np.ndarray:
    # number of segmentations with k changes and every segment >= min_size:
    # C(n - (k + 1) * min_size + k, k)  (stars and bars)
    top = n - (k + 1) * min_size + k
    with np.errstate(invalid="ignore"):
        logc = (
            special.gammaln(top + 1.0) - special.gammaln(k + 1.0) - special.gammaln(top - k + 1.0)
        )
    logc = np.where(top >= k, logc, -np.inf)
    return logc + k * math.log(p) + (n - 1 - k) * math.log1p(-p)


def prior_n_changes(n: int, p: float, min_size: int, k_max: int) -> np.ndarray:
    """Prior probability of k = 0..k_max change points."""
    k = np.arange(k_max + 1)
    terms = _log_prior_terms(n, p, min_size, k)
    return np.exp(terms - log_prior_normaliser(n, p, min_size))


@dataclass(frozen=True, slots=True)
class BayesFit:
    """Posterior quantities of one series and one prior (kept for window queries)."""

    model: SegmentModel
    cum: np.ndarray
    p: float
    min_size: int
    la: np.ndarray  # log forward sums, t = 0..n
    lb: np.ndarray  # log backward sums, s = 0..n
    lo: np.ndarray  # first start the forward pass still used for a segment ending at t
    log_z: float  # log of the (unnormalised, constant-free) evidence
    log_evidence: float  # log p(y) under the model (with all constants)
    prob_change: np.ndarray  # P(change on period i), i = 0..n-1 (0 for i = 0)
    prob_n_changes: np.ndarray  # P(k | y), k = 0..K
    tail: float  # posterior mass of k missing from prob_n_changes
    map_changes: np.ndarray  # period indices where the MAP segmentation starts a segment
    log_map: float  # log posterior probability of the MAP segmentation
    approx_error: float  # bound on the total-variation error of the pruned posterior
    pruned: int  # number of start points dropped by the two passes

    @property
    def n(self) -> int:
        """Number of periods."""
        return self.cum.size - 1


def _map_changes(back: Pass, n: int) -> np.ndarray:
    """Map the MAP segmentation of the reversed series back to period indices."""
    assert back.ptr is not None
    cuts = []
    t = n
    while t > 0:
        s = int(back.ptr[t])
        if s > 0:
            cuts.append(n - s)
        t = s
    return np.array(sorted(cuts), dtype=np.int64)


def _drop_bound(run: Pass, prob: np.ndarray, reverse: bool) -> float:
    """First-order bound of the posterior mass lost by one pass's pruning (see _sweep)."""
    if run.drop_t.size == 0:
        return 0.0
    n = prob.size
    idx = n - run.drop_t if reverse else run.drop_t
    return float((run.drop_rho * prob[np.clip(idx, 0, n - 1)]).sum())


def _change_prob(la: np.ndarray, lb: np.ndarray, logp: float, log_z: float) -> np.ndarray:
    """Posterior probability of a change at each boundary (0 for the first period)."""
    n = la.size - 1
    prob = np.zeros(n)
    if n > 1:
        prob[1:] = np.exp(la[1:n] + logp + lb[1:n] - log_z)
    return np.clip(prob, 0.0, 1.0)


def backward_pass(
    cum: np.ndarray, model: SegmentModel, *, p: float, min_size: int, eps: float = PRUNE_EPS
) -> Pass:
    """Run the pass over the reversed series: backward sums, evidence and the MAP."""
    return run_pass(cum[-1] - cum[::-1], model, p, min_size, viterbi=True, eps=eps)


def bayes_fit(
    y: np.ndarray,
    model: SegmentModel,
    *,
    p: float,
    min_size: int,
    eps: float = PRUNE_EPS,
    back: Pass | None = None,
) -> BayesFit:
    """Posterior of one series: backward pass (with the MAP), forward pass (with k).

    The forward pass keeps ``K_WIDTH`` values of the number of changes per start and is
    rerun with twice as many (at most ``K_MAX_WIDTH``) while the mass it loses is above
    1e-9 and halves; the mass still lost is reported as ``tail``.
    ``back`` is the backward pass when it was run already (:func:`backward_pass`).
    """
    n = y.size
    cum = np.concatenate([[0], np.cumsum(y, dtype=np.int64)])
    if back is None:
        back = backward_pass(cum, model, p=p, min_size=min_size, eps=eps)
    lb = back.la[::-1].copy()
    k_cap = n // min_size
    width = min(K_WIDTH, k_cap)
    last_loss = math.inf
    while True:
        fwd = run_pass(cum, model, p, min_size, width=width, eps=eps)
        assert fwd.k_dist is not None
        assert fwd.k_loss is not None
        log_z = max(float(back.la[n]), float(fwd.la[n]))  # both sums are lower bounds
        prob = _change_prob(fwd.la, lb, math.log(p), log_z)
        k_loss = float((fwd.k_loss[1:n] * prob[1:n]).sum() + fwd.k_loss[n])
        if k_loss < _K_TOL or width >= min(k_cap, K_MAX_WIDTH) or k_loss > 0.5 * last_loss:
            break
        last_loss = k_loss
        width = min(2 * width, k_cap, K_MAX_WIDTH)
    post = np.zeros(max(k_cap, fwd.k_lo + fwd.k_dist.size))
    post[fwd.k_lo : fwd.k_lo + fwd.k_dist.size] = fwd.k_dist
    last = int(np.flatnonzero(post > 0).max()) + 1 if (post > 0).any() else 1
    err = _drop_bound(back, prob, reverse=True) + _drop_bound(fwd, prob, reverse=False)
    return BayesFit(
        model=model,
        cum=cum,
        p=p,
        min_size=min_size,
        la=fwd.la,
        lb=lb,
        lo=fwd.lo,
        log_z=log_z,
        log_evidence=log_z + model.constant(y) - log_prior_normaliser(n, p, min_size),
        prob_change=prob,
        prob_n_changes=np.clip(post[:last], 0.0, 1.0),
        tail=max(0.0, 1.0 - float(post.sum())),
        map_changes=_map_changes(back, n),
        log_map=back.log_map - log_z,
        approx_error=err,
        pruned=int(fwd.lo[n] + back.lo[n]),
    )


def window_prob(fit: BayesFit, j0: int, j1: int) -> float:
    """Posterior probability of at least one change starting a segment in periods j0..j1.

    One minus the posterior mass of the segmentations in which a single segment covers
    periods ``j0 - 1`` .. ``j1`` (with the forward pass's pruning windows).
    """
    n = fit.n
    j0, j1 = max(j0, 1), min(j1, n - 1)
    if j0 > j1:
        return 0.0
    logp, log1mp = math.log(fit.p), math.log1p(-fit.p)
    model = fit.model
    t_all = np.arange(j1 + 1, n + 1)
    t_all = t_all[fit.lo[t_all] < j0]  # ends whose window still reaches before j0
    if t_all.size == 0:
        return 1.0
    s_lo = int(fit.lo[t_all].min())
    s_all = np.arange(s_lo, j0)
    sterm = model.c0 + np.where(s_all > 0, logp, 0.0) - s_all * log1mp
    us = fit.la[s_all] + sterm
    tterm = (t_all - 1) * log1mp + np.where(t_all < n, logp, 0.0) + fit.lb[t_all]
    rows = max(1, _CHUNK // max(t_all.size, 1))
    parts = []
    for a in range(0, s_all.size, rows):
        s = s_all[a : a + rows]
        m = t_all[None, :] - s[:, None]
        S = fit.cum[t_all][None, :] - fit.cum[s][:, None]
        ok = (m >= fit.min_size) & (s[:, None] >= fit.lo[t_all][None, :])
        g = np.full(m.shape, -np.inf)
        g[ok] = model.pairs(S[ok], m[ok])
        g += us[a : a + rows, None] + tterm[None, :]
        parts.append(special.logsumexp(g))
    log_no = float(special.logsumexp(parts))
    return float(min(1.0, max(0.0, -math.expm1(log_no - fit.log_z))))
