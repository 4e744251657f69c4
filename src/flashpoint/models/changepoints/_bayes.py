"""Exact Bayesian change-point recursions for count series (product partition model).

Model (Fearnhead 2006, section 2, with the geometric / Bernoulli prior on change points):
each boundary between two consecutive periods is a change point independently with
probability ``p`` (segments shorter than ``min_size`` are excluded and the prior is
renormalised); within a segment the counts are i.i.d. Poisson(lambda) with
lambda ~ Gamma(a, b), or negative binomial NB(r, q) with q ~ Beta(alpha0, beta0). Both are
conjugate, so the marginal likelihood of a segment depends on its total ``S`` and its length
``m`` only, and sums over all 2**(n-1) segmentations reduce to O(n**2) recursions:

    A(t) = sum_s A(s) w(s) (1 - p)**(t - s - 1) L(s, t),   A(0) = 1,

with ``w(0) = 1`` and ``w(s) = p`` otherwise (``A`` is the forward sum over segmentations of
the first ``t`` periods); the backward sum is the same recursion on the reversed series.
Everything is computed in log space, a block of rows at a time with numpy; the sums are
exact (no pruning, no sampling): terms below exp(-700) times the row maximum are rounded to
exp(-700), which changes no result by more than 1e-290 relative. Only the product that
tracks the number of changes leaves out the starts whose weight is below 1e-20 of the
block's largest for every row of a block (error below 1e-12 on P(k | y)); the number of
tracked changes K is adaptive and the recursion is rerun with a larger K until the
posterior mass above K is below 1e-12.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from flashpoint._lazy import lazy_module

special = lazy_module("scipy.special")
stats = lazy_module("scipy.stats")

__all__ = [
    "BayesFit",
    "SegmentModel",
    "bayes_fit",
    "log_prior_normaliser",
    "prior_n_changes",
    "window_prob",
]

_FLOOR = -700.0  # exp() below this is rounded up to exp(-700): avoids slow denormals
_BLOCK = 256
_MAX_CELLS = 2_000_000
_TINY = 1e-20


class SegmentModel:
    """Log marginal likelihood of one segment from its total ``S`` and length ``m``.

    ``loglik`` omits the per-observation constant (``-sum log y!`` for Poisson,
    ``sum log C(y + r - 1, y)`` for NB), which is the same for every segmentation and is
    returned by :meth:`constant`; :attr:`c0` is the per-segment prior normaliser.
    """

    def __init__(
        self, family: str, *, shape: float, mean: float, size: float | None, n: int, total: int
    ) -> None:
        self.family = family
        self.n = n
        self.total = total
        self.shape = float(shape)
        self.mean = float(mean)
        m = np.arange(n + 1, dtype=np.float64)
        s = np.arange(total + 1, dtype=np.float64)
        if family == "poisson":
            self.a = self.shape
            self.b = self.shape / self.mean
            self.size = math.nan
            self.c0 = self.a * math.log(self.b) - math.lgamma(self.a)
            self._lg_s = special.gammaln(self.a + s)  # lgamma(a + S)
            self._rev_lb = np.log(self.b + m)[::-1].copy()  # log(b + m), reversed
            self._rev_alb = self.a * self._rev_lb
        else:
            assert size is not None
            r = float(size)
            self.size = r
            # q ~ Beta(alpha0, beta0) with beta0 = shape, alpha0 = 1 + shape * r / mean: the
            # prior mean of the segment mean r (1 - q) / q is `mean`; as r -> inf this tends
            # to the Gamma(shape, shape / mean) prior of the Poisson model.
            self.beta0 = self.shape
            self.alpha0 = 1.0 + self.shape * r / self.mean
            self.c0 = -float(special.betaln(self.alpha0, self.beta0))
            self._lg_s = special.gammaln(self.beta0 + s)  # lgamma(beta0 + S)
            self._rev_lgm = special.gammaln(self.alpha0 + r * m)[::-1].copy()
            self._rev_mr = (self.alpha0 + self.beta0 + r * m)[::-1].copy()

    # ---------------------------------------------------------------- segment scores
    def constant(self, y: np.ndarray) -> float:
        """Per-observation part of the log likelihood (same for every segmentation)."""
        yf = y.astype(np.float64)
        if self.family == "poisson":
            return -float(special.gammaln(yf + 1.0).sum())
        r = self.size
        return float((special.gammaln(yf + r) - special.gammaln(r) - special.gammaln(yf + 1)).sum())

    def pairs(self, S: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Scores of arbitrary (total, length) pairs (``m >= 1``), gather-based."""
        S = np.asarray(S, dtype=np.int64)
        m = np.asarray(m, dtype=np.int64)
        n = self.n
        if self.family == "poisson":
            lb = self._rev_lb[n - m]
            return self._lg_s[S] - (self.a + S) * lb
        x = self._rev_mr[n - m] + S
        return self._lg_s[S] + self._rev_lgm[n - m] - special.gammaln(x)

    def toeplitz_block(
        self,
        cum: np.ndarray,
        cumf: np.ndarray,
        t0: int,
        nb: int,
        w: int,
        out: np.ndarray,
        work_i: np.ndarray,
        work_f: np.ndarray,
    ) -> None:
        """Scores of rows t = t0..t0+nb-1 against starts s = 0..w-1 (w <= t0) into ``out``."""
        n = self.n
        np.subtract(cum[t0 : t0 + nb, None], cum[None, :w], out=work_i)
        np.take(self._lg_s, work_i, out=out, mode="clip")
        np.subtract(cumf[t0 : t0 + nb, None], cumf[None, :w], out=work_f)  # S as float
        c = n - t0  # rev index of m = t0 - s at (i=0, s=0)
        if self.family == "poisson":
            lb = _toeplitz(self._rev_lb, c, nb, w)
            np.multiply(work_f, lb, out=work_f)
            np.subtract(out, work_f, out=out)
            np.subtract(out, _toeplitz(self._rev_alb, c, nb, w), out=out)
        else:
            np.add(work_f, _toeplitz(self._rev_mr, c, nb, w), out=work_f)
            special.gammaln(work_f, out=work_f)
            np.subtract(out, work_f, out=out)
            np.add(out, _toeplitz(self._rev_lgm, c, nb, w), out=out)

    # ---------------------------------------------------------------- segment posterior
    def rate_posterior(
        self, S: np.ndarray, m: np.ndarray, alpha: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Posterior mean and equal-tailed (1 - alpha) interval of a segment's mean rate."""
        S = np.asarray(S, dtype=np.float64)
        m = np.asarray(m, dtype=np.float64)
        if self.family == "poisson":
            shape, rate = self.a + S, self.b + m
            mean = shape / rate
            lo = stats.gamma.ppf(alpha / 2, shape) / rate
            hi = stats.gamma.ppf(1 - alpha / 2, shape) / rate
            return mean, lo, hi
        r = self.size
        a1, b1 = self.alpha0 + r * m, self.beta0 + S
        mean = np.where(a1 > 1, r * b1 / np.maximum(a1 - 1, 1e-300), np.inf)
        q_hi = stats.beta.ppf(1 - alpha / 2, a1, b1)
        q_lo = stats.beta.ppf(alpha / 2, a1, b1)
        lo = r * (1 - q_hi) / q_hi
        with np.errstate(divide="ignore"):
            hi = r * (1 - q_lo) / q_lo
        return mean, lo, hi


def _toeplitz(rev: np.ndarray, c: int, nb: int, w: int) -> np.ndarray:
    """Read-only view ``V[i, j] = rev[c - i + j]`` (shape nb x w) without copying."""
    if c - nb + 1 < 0 or c + w > rev.size:
        raise IndexError("Toeplitz view out of range")  # pragma: no cover - internal guard
    step = rev.strides[0]
    return as_strided(rev[c:], shape=(nb, w), strides=(-step, step), writeable=False)


@dataclass(frozen=True, slots=True)
class _Forward:
    la: np.ndarray  # log A(t), t = 0..n
    frac: np.ndarray | None  # posterior P(k changes), k = 0..K (truncated)
    ptr: np.ndarray | None  # Viterbi back pointers
    log_map: float  # log of the MAP term (unnormalised)


def _forward(
    cum: np.ndarray,
    model: SegmentModel,
    logp: float,
    log1mp: float,
    min_size: int,
    *,
    n_track: int | None = None,
    viterbi: bool = False,
) -> _Forward:
    """Forward recursion: log A(t), optionally P(k | y) (k <= n_track) and the MAP path."""
    n = cum.size - 1
    cumf = cum.astype(np.float64)
    ar = np.arange(n + 1, dtype=np.float64)
    sterm = model.c0 + logp - ar * log1mp  # start-dependent terms of a segment (s >= 1)
    sterm[0] = model.c0
    la = np.full(n + 1, -np.inf)
    la[0] = 0.0
    u = np.full(n + 1, -np.inf)  # u(s) = log A(s) + sterm(s)
    u[0] = sterm[0]
    H: np.ndarray | None = None
    frac: np.ndarray | None = None
    if n_track is not None:
        # H[k, s] = P(k - 1 changes before s | A(s)) for s >= 1 (a segment starting after s
        # adds one change); H[:, 0] = (1, 0, ...). Stored by k so that every product below
        # is a matrix-vector product (single-threaded BLAS: no thread start-up per block).
        H = np.zeros((n_track + 1, n + 1))
        H[0, 0] = 1.0
        frac = np.zeros(n_track + 1)
    uv = ptr = None
    log_map = -math.inf
    if viterbi:
        uv = u.copy()
        ptr = np.zeros(n + 1, dtype=np.int64)
    block = max(16, min(_BLOCK, _MAX_CELLS // max(n, 1)))
    flat_f = np.empty(block * n)
    flat_g = np.empty(block * n)
    flat_i = np.empty(block * n, dtype=np.int64)
    flat_v = np.empty(block * n) if viterbi else None
    t0 = 1
    while t0 <= n:
        t1 = min(n + 1, t0 + block)
        nb = t1 - t0
        w = t0
        G = flat_g[: nb * w].reshape(nb, w)
        work_f = flat_f[: nb * w].reshape(nb, w)
        model.toeplitz_block(cum, cumf, t0, nb, w, G, flat_i[: nb * w].reshape(nb, w), work_f)
        for i in range(min(nb, min_size - 1)):  # segments shorter than min_size
            lo = t0 + i - min_size + 1
            if lo < w:
                G[i, max(lo, 0) :] = -np.inf
        if viterbi:
            assert flat_v is not None
            assert uv is not None
            GV = flat_v[: nb * w].reshape(nb, w)
            np.add(G, uv[None, :w], out=GV)
            vp = GV.argmax(axis=1)
            vm = GV[np.arange(nb), vp]
        np.add(G, u[None, :w], out=G)
        cm = G.max(axis=1)
        cm_safe = np.where(np.isfinite(cm), cm, 0.0)
        np.subtract(G, cm_safe[:, None], out=work_f)
        np.maximum(work_f, _FLOOR, out=work_f)
        np.exp(work_f, out=work_f)
        cs = work_f.sum(axis=1)
        cF = None
        if H is not None:
            # starts whose weight is at the floor for every row of the block add nothing
            # (< 1e-290 relative): leave them out of the product
            live = np.flatnonzero(work_f.max(axis=0) > _TINY)
            lo = int(live[0]) if live.size else w
            wl = work_f[:, lo:]
            cF = np.empty((nb, H.shape[0]))
            for k in range(H.shape[0]):
                cF[:, k] = wl @ H[k, lo:w]
        # within the block: starts s in [t0, t - min_size], computed row by row
        tb = np.arange(t0, t1)
        mb = tb[:, None] - tb[None, :]
        Sb = cum[t0:t1, None] - cum[None, t0:t1]
        ok = mb >= min_size
        gb = np.full((nb, nb), -np.inf)
        if ok.any():
            gb[ok] = model.pairs(Sb[ok], mb[ok])
        for i in range(nb):
            t = t0 + i
            hi = t - min_size - t0 + 1
            cmi = float(cm[i])
            M = cmi
            e = None
            if hi > 0:
                v = gb[i, :hi] + u[t0 : t0 + hi]
                mv = float(v.max())
                M = max(cmi, mv)
            if math.isinf(M):  # no admissible start: A(t) = 0
                la[t] = -math.inf
                u[t] = -math.inf
                scale = 0.0
                tot = 0.0
            else:
                scale = math.exp(cmi - M) if cmi > -math.inf else 0.0
                tot = float(cs[i]) * scale
                if hi > 0:
                    e = np.exp(v - M)
                    tot += float(e.sum())
                la[t] = (t - 1) * log1mp + M + math.log(tot)
                u[t] = la[t] + sterm[t]
            if H is not None and frac is not None and cF is not None:
                f = cF[i] * scale
                if e is not None:
                    f = f + H[:, t0 : t0 + hi] @ e
                f = f / tot if tot > 0 else f * 0.0
                if t < n:
                    H[1:, t] = f[:-1]
                else:
                    frac = f
            if viterbi and uv is not None and ptr is not None:
                best, arg = float(vm[i]), int(vp[i])
                if hi > 0:
                    vv = gb[i, :hi] + uv[t0 : t0 + hi]
                    j = int(vv.argmax())
                    if vv[j] > best:
                        best, arg = float(vv[j]), t0 + j
                vt = (t - 1) * log1mp + best
                ptr[t] = arg
                uv[t] = vt + sterm[t] if best > -math.inf else -math.inf
                if t == n:
                    log_map = vt
        t0 = t1
    return _Forward(la=la, frac=frac, ptr=ptr, log_map=log_map)


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
    """Exact posterior quantities of one series (kept for on-demand window queries)."""

    model: SegmentModel
    cum: np.ndarray
    p: float
    min_size: int
    la: np.ndarray  # log forward sums, t = 0..n
    lb: np.ndarray  # log backward sums, s = 0..n
    log_z: float  # log of the (unnormalised, constant-free) evidence
    log_evidence: float  # log p(y) under the model (with all constants)
    prob_change: np.ndarray  # P(change on period i), i = 0..n-1 (0 for i = 0)
    prob_n_changes: np.ndarray  # P(k | y), k = 0..K
    tail: float  # P(k > K | y)
    map_changes: np.ndarray  # period indices where the MAP segmentation starts a segment

    @property
    def n(self) -> int:
        """Number of periods."""
        return self.cum.size - 1


def bayes_fit(y: np.ndarray, model: SegmentModel, *, p: float, min_size: int) -> BayesFit:
    """Run the backward (with MAP) and forward (with the number of changes) recursions."""
    n = y.size
    cum = np.concatenate([[0], np.cumsum(y, dtype=np.int64)])
    rev = cum[-1] - cum[::-1]
    logp, log1mp = math.log(p), math.log1p(-p)
    back = _forward(rev, model, logp, log1mp, min_size, viterbi=True)
    # MAP segmentation of the reversed series, mapped back
    assert back.ptr is not None
    cuts = []
    t = n
    while t > 0:
        s = int(back.ptr[t])
        if s > 0:
            cuts.append(n - s)
        t = s
    map_changes = np.array(sorted(cuts), dtype=np.int64)
    k_cap = max(n // min_size - 1, 0)
    k_track = min(k_cap, max(12, 2 * map_changes.size + 10))
    while True:
        fwd = _forward(cum, model, logp, log1mp, min_size, n_track=k_track)
        assert fwd.frac is not None
        tail = max(0.0, 1.0 - float(fwd.frac.sum()))
        if tail < 1e-12 or k_track >= k_cap:
            break
        k_track = min(k_cap, 4 * k_track)
    la = fwd.la
    lb = back.la[::-1].copy()
    log_z = float(la[n])
    prob = np.zeros(n)
    if n > 1:
        prob[1:] = np.exp(la[1:n] + logp + lb[1:n] - log_z)
    log_evidence = log_z + model.constant(y) - log_prior_normaliser(n, p, min_size)
    return BayesFit(
        model=model,
        cum=cum,
        p=p,
        min_size=min_size,
        la=la,
        lb=lb,
        log_z=log_z,
        log_evidence=log_evidence,
        prob_change=np.clip(prob, 0.0, 1.0),
        prob_n_changes=np.clip(fwd.frac, 0.0, 1.0),
        tail=tail,
        map_changes=map_changes,
    )


def window_prob(fit: BayesFit, j0: int, j1: int) -> float:
    """Posterior probability of at least one change starting a segment in periods j0..j1.

    Computed exactly as one minus the posterior mass of the segmentations in which a
    single segment covers periods ``j0 - 1`` .. ``j1``.
    """
    n = fit.n
    j0, j1 = max(j0, 1), min(j1, n - 1)
    if j0 > j1:
        return 0.0
    logp, log1mp = math.log(fit.p), math.log1p(-fit.p)
    model = fit.model
    s_all = np.arange(0, j0)  # segment starts after s (covers period j0 - 1)
    t_all = np.arange(j1 + 1, n + 1)  # segment ends at t (covers period j1)
    sterm = model.c0 + np.where(s_all > 0, logp, 0.0) - s_all * log1mp
    us = fit.la[s_all] + sterm
    tterm = (t_all - 1) * log1mp + np.where(t_all < n, logp, 0.0) + fit.lb[t_all]
    rows = max(1, _MAX_CELLS // max(t_all.size, 1))
    parts = []
    for a in range(0, s_all.size, rows):
        s = s_all[a : a + rows]
        m = t_all[None, :] - s[:, None]
        S = fit.cum[t_all][None, :] - fit.cum[s][:, None]
        ok = m >= fit.min_size
        g = np.full(m.shape, -np.inf)
        g[ok] = model.pairs(S[ok], m[ok])
        g += us[a : a + rows, None] + tterm[None, :]
        parts.append(special.logsumexp(g))
    log_no = float(special.logsumexp(parts)) if parts else -math.inf
    return float(min(1.0, max(0.0, -math.expm1(log_no - fit.log_z))))
