"""One pass of the change-point recursions over a series: sums, MAP and number of changes.

The forward sum over segmentations of the first ``t`` periods is

    A(t) = sum_s A(s) w(s) q**(t - s - 1) L(s, t),    A(0) = 1,

with ``w(0) = 1``, ``w(s) = p`` (a change at boundary ``s``), ``q = 1 - p`` and ``L(s, t)``
the marginal likelihood of the segment of periods ``s+1..t``. The pass runs over blocks of
consecutive ends ``t``:

* *earlier starts* (before the block): a matrix of segment scores, in log space with a
  row maximum (one vectorised numpy expression per block);
* *starts inside the block*: ``A`` on the block solves the unit lower-triangular system
  ``x = b + M x`` (LAPACK ``dtrtrs``) after scaling row ``t`` by ``A(t0)`` times the
  product of the block's one-period maximised likelihoods, which bounds every entry of
  ``M`` by about 1 (no overflow; a block that underflows is split in two);
* the MAP (max-product) recursion uses the same scores; inside a block it is the
  Bellman-Ford fixed point of a max-plus triangular system;
* the number of changes: ``A(t)`` split by the number ``k`` of changes, a window of
  ``width`` values of ``k`` kept per start (the mass outside it is recorded).

Pruning (certified). A start ``s`` is dropped at time ``t`` when

    rho(s, t) = P_t(s) * (q / p) * exp(D(s, t)) < eps,

where ``P_t(s)`` is the filtering probability that the segment ending at ``t`` started
after ``s`` and ``exp(D(s, t)) = sup_theta f(y_{s+1..t} | theta) / L(s, t)`` (maximised over
marginal likelihood of that segment). For every later ``T``, replacing the segment
``(s, T]`` by ``(s, t] + (t, T]`` in any segmentation multiplies its weight by at least
``p / (q exp(D))`` (because ``L(a + b) <= L(b) sup f_a``), so the posterior mass of the
segmentations that use a dropped start is at most ``sum rho(s, t_s) P(change at t_s)``
over the dropped starts: the pass reports each drop so that this bound can be computed
once the posterior is known. A start is also kept while the MAP could still use it
(``rho`` with the max-product weight below 1 certifies that it cannot), so the MAP is
exact. Only the oldest starts are dropped (the window of starts stays contiguous). With a
minimum segment length ``min_size`` a start dropped at ``t`` stays until ``t + min_size``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from flashpoint._lazy import lazy_module
from flashpoint.models.changepoints._segment import Buffers, SegmentModel

linalg = lazy_module("scipy.linalg")

__all__ = ["Pass", "run_pass"]

BLOCK = 64
MAX_CELLS = 1 << 19  # cells of one block matrix (4 MiB of float64)
_PRUNE_CHUNK = 64
_GEMM_CELLS = 1 << 18
_TRIM = 1e-14  # k-values below this fraction of a start's largest are not kept
_TINY, _HUGE = 1e-250, 1e250


@dataclass(frozen=True, slots=True)
class Pass:
    """Outputs of one pass (times ``t = 0..n``)."""

    la: np.ndarray  # log A(t)
    lo: np.ndarray  # first start still used for the segment ending at t
    ptr: np.ndarray | None  # MAP back pointers
    log_map: float  # log of the MAP term (unnormalised)
    k_lo: int  # first k of k_dist
    k_dist: np.ndarray | None  # P(k changes | y) for k = k_lo, k_lo + 1, ...
    k_loss: np.ndarray | None  # mass of k outside the kept window, per start (relative)
    drop_t: np.ndarray  # times of pruning steps
    drop_rho: np.ndarray  # sum of rho over the starts dropped then


class _Sweeper:
    """State of one pass; :meth:`run` fills it block by block."""

    def __init__(
        self,
        cum: np.ndarray,
        model: SegmentModel,
        p: float,
        min_size: int,
        *,
        viterbi: bool,
        width: int | None,
        eps: float,
    ) -> None:
        n = cum.size - 1
        self.n, self.cum, self.model, self.min_size = n, cum, model, min_size
        self.logp, self.logq = math.log(p), math.log1p(-p)
        self.log_odds = self.logq - self.logp
        self.log_eps = math.log(eps) if eps > 0 else -math.inf
        ar = np.arange(n + 1, dtype=np.float64)
        self.uprime = model.c0 + self.logp - ar * self.logq  # u(s) = log A(s) + uprime(s)
        self.uprime[0] = model.c0
        self.tq = (ar - 1.0) * self.logq  # (t - 1) log q
        ell = model.saturated(np.diff(cum).astype(np.float64))
        self.cum_ell = np.concatenate([[0.0], np.cumsum(ell)])
        self.la = np.full(n + 1, -np.inf)
        self.la[0] = 0.0
        self.u = np.full(n + 1, -np.inf)
        self.u[0] = model.c0
        self.lo_row = np.zeros(n + 1, dtype=np.int64)
        self.lo = self.marked = 0
        self.pending: deque[tuple[int, int]] = deque()
        self.drops: list[tuple[int, float]] = []
        self.buf = Buffers()
        self.viterbi = viterbi
        if viterbi:
            self.lv = self.la.copy()
            self.uv = self.u.copy()
            self.ptr = np.zeros(n + 1, dtype=np.int64)
        self.width = width
        if width is not None:
            # start s keeps P(k changes up to and including s) for k in h_lo..h_hi-1, stored
            # in a ring over k: column k mod ring of row s (zero elsewhere)
            self.ring = 1 << max(5, (2 * width - 1).bit_length())
            self.h_lo = np.zeros(n + 1, dtype=np.int64)
            self.h_hi = np.ones(n + 1, dtype=np.int64)
            self.h_ring = np.zeros((n + 1, self.ring))
            self.h_ring[0, 0] = 1.0
            self.k_loss = np.zeros(n + 1)
            self.k_final: tuple[int, np.ndarray] = (0, np.zeros(1))

    # ------------------------------------------------------------------ driver
    def run(self) -> Pass:
        n, t0 = self.n, self.min_size
        while t0 <= n:
            while self.pending and self.pending[0][0] <= t0:
                self.lo = max(self.lo, self.pending.popleft()[1])
            wl = t0 - self.lo
            nb = min(BLOCK, n + 1 - t0, max(1, MAX_CELLS // max(wl, 1)))
            while not self._block(t0, nb):
                nb = max(1, nb // 2)  # the scaled solve underflowed: smaller blocks
            t0 += nb
            if t0 <= n:
                self._prune(t0 - 1)
        drop_t = np.array([d[0] for d in self.drops], dtype=np.int64)
        drop_rho = np.array([d[1] for d in self.drops], dtype=np.float64)
        width = self.width is not None
        return Pass(
            la=self.la,
            lo=self.lo_row,
            ptr=self.ptr if self.viterbi else None,
            log_map=float(self.lv[n]) if self.viterbi else math.nan,
            k_lo=self.k_final[0] if width else 0,
            k_dist=self.k_final[1] if width else None,
            k_loss=self.k_loss if width else None,
            drop_t=drop_t,
            drop_rho=drop_rho,
        )

    # ------------------------------------------------------------------ one block
    def _block(self, t0: int, nb: int) -> bool:
        """Rows ``t0..t0+nb-1``; False when the scaled in-block solve under/overflows."""
        t1 = t0 + nb
        lo, w = self.lo, t0
        G = self.buf.get("G", (nb, w - lo))
        self.model.block(self.cum, t0, nb, lo, w, G, self.u[lo:w], self.buf)  # sum's terms
        for i in range(min(nb, self.min_size - 1)):  # segments shorter than min_size
            G[i, max(0, t0 + i - self.min_size + 1 - lo) :] = -np.inf
        vm = vp = None
        if self.viterbi:
            with np.errstate(invalid="ignore"):
                d = self.uv[lo:w] - self.u[lo:w]
            d[np.isnan(d)] = 0.0  # starts with A(s) = 0: G is -inf there already
            V = np.add(G, d, out=self.buf.get("V", G.shape))  # the max-product terms
            vp = V.argmax(axis=1)
            vm = V[np.arange(nb), vp]
        cm = G.max(axis=1)
        cm_safe = np.where(np.isfinite(cm), cm, 0.0)
        G -= cm_safe[:, None]
        np.exp(G, out=G)
        cs = G.sum(axis=1)
        with np.errstate(divide="ignore"):
            old_log = self.tq[t0:t1] + cm_safe + np.log(cs)
        inside = nb > self.min_size
        gb = self._inside_scores(t0, nb) if inside else None
        phi = old_log
        x = np.ones(nb)
        M = None
        if gb is not None:
            phi = old_log[0] + self.cum_ell[t0:t1] - self.cum_ell[t0]
            logM = (self.tq[t0:t1] - phi)[:, None] + (phi + self.uprime[t0:t1])[None, :] + gb
            M = np.exp(logM)
            with np.errstate(over="ignore", invalid="ignore"):
                b = np.exp(old_log - phi)
                x = linalg.solve_triangular(
                    -M, b, lower=True, unit_diagonal=True, check_finite=False
                )
            if not (np.all(np.isfinite(x)) and x.min() > _TINY and x.max() < _HUGE):
                return False
        self.la[t0:t1] = phi + np.log(x)
        self.u[t0:t1] = self.la[t0:t1] + self.uprime[t0:t1]
        self.lo_row[t0:t1] = lo
        if self.viterbi:
            assert vm is not None
            assert vp is not None
            self._viterbi_rows(t0, nb, vm, lo + vp, gb)
        if self.width is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.where(cs > 0, np.exp(self.tq[t0:t1] + cm_safe - phi), 0.0)
            cF = self._by_k(G, lo, w)
            self._count_rows(t0, nb, cF * scale[:, None], M, x)
        return True

    def _inside_scores(self, t0: int, nb: int) -> np.ndarray | None:
        """Segment scores ``g`` of the starts inside the block (``-inf`` where too short)."""
        tb = np.arange(t0, t0 + nb)
        m = tb[:, None] - tb[None, :]
        ok = m >= self.min_size
        if not ok.any():
            return None
        gb = np.full((nb, nb), -np.inf)
        S = self.cum[t0 : t0 + nb, None] - self.cum[None, t0 : t0 + nb]
        gb[ok] = self.model.pairs(S[ok], m[ok])
        return gb

    def _viterbi_rows(
        self, t0: int, nb: int, vm: np.ndarray, arg: np.ndarray, gb: np.ndarray | None
    ) -> None:
        """MAP values of the block: old starts, then the in-block max-plus fixed point."""
        t1 = t0 + nb
        cur = vm
        if gb is not None:
            rows = np.arange(nb)
            for _ in range(nb + 1):
                uvb = self.tq[t0:t1] + cur + self.uprime[t0:t1]
                cand = gb + uvb[None, :]
                j = cand.argmax(axis=1)
                cmx = cand[rows, j]
                better = cmx > vm
                new = np.where(better, cmx, vm)
                if np.array_equal(new, cur):
                    break
                cur = new
            arg = np.where(better, t0 + j, arg)
        self.lv[t0:t1] = self.tq[t0:t1] + cur
        self.uv[t0:t1] = self.lv[t0:t1] + self.uprime[t0:t1]
        self.ptr[t0:t1] = arg

    # ------------------------------------------------------------------ pruning
    def _prune(self, t: int) -> None:
        """Drop the oldest starts whose certified bound ``rho`` is below eps (see module)."""
        hi = t - self.min_size + 1  # starts evaluated at t
        s0 = start = max(self.marked, self.lo)
        rho = 0.0
        while start < hi:  # the oldest starts first, a chunk at a time, until one stays
            s = np.arange(start, min(hi, start + _PRUNE_CHUNK))
            S = self.cum[t] - self.cum[s]
            base = self.tq[t] + self.log_odds - self.model.c0 + self.model.sup_loglik(S, t - s)
            log_rho = self.u[s] + base - self.la[t]
            drop = log_rho < self.log_eps
            if self.viterbi:
                drop &= self.uv[s] + base - self.lv[t] < -1e-9
            k = int(drop.size if drop.all() else np.argmin(drop))
            rho += float(np.exp(log_rho[:k]).sum())
            start += k
            if k < s.size:
                break
        if start == s0:
            return
        self.drops.append((t, rho))
        self.marked = start
        self.pending.append((t + self.min_size, start))

    # ------------------------------------------------------------------ number of changes
    def _by_k(self, E: np.ndarray, lo: int, w: int) -> np.ndarray:
        """``E @ H``: the block's old-start weights split by the number of changes."""
        hl, hh = self.h_lo[lo:w], self.h_hi[lo:w]
        k0 = self._k0 = int(hl.min())
        F = int(hh.max()) - k0
        R = self.ring
        H = self.h_ring[lo:w]
        if F > R:  # spread wider than the ring: unpack into a frame
            frame = np.zeros((w - lo, F))
            for j in range(R):
                k = hl + (j - hl) % R  # the k of ring column j for each start
                ok = k < hh
                frame[np.flatnonzero(ok), (k - k0)[ok]] = H[ok, j]
            return _matmul(E, frame)
        c0 = k0 % R
        if c0 + F <= R:
            return _matmul(E, H[:, c0 : c0 + F])
        return np.hstack([_matmul(E, H[:, c0:]), _matmul(E, H[:, : c0 + F - R])])

    def _count_rows(
        self, t0: int, nb: int, bF: np.ndarray, M: np.ndarray | None, x: np.ndarray
    ) -> None:
        """Split the block's sums by the number of changes and store each start's window."""
        assert self.width is not None
        W, k0 = self.width, self._k0
        extra = min(W, max(1, nb // self.min_size)) if M is not None else 0
        F = bF.shape[1] + extra
        xi = np.zeros((F, nb))
        xi[: bF.shape[1]] = bF.T
        if M is not None:
            for k in range(1, F):
                xi[k] += M @ xi[k - 1]  # a segment starting inside the block adds a change
        f = xi / x[None, :]
        t1 = t0 + nb
        if t1 > self.n:  # the last row: the distribution of the number of changes
            fn = f[:, self.n - t0]
            self.k_final = (k0, fn.copy())
            self.k_loss[self.n] = max(0.0, 1.0 - float(fn.sum()))
        keep = min(t1, self.n) - t0
        if keep > 0:
            self._store(t0, keep, f[:, :keep], k0)

    def _store(self, t0: int, nb: int, f: np.ndarray, k0: int) -> None:
        """Keep, per new start, the ``width`` values of k with the most mass (trimmed)."""
        W, R = self.width, self.ring
        assert W is not None
        pad = np.vstack([f, np.zeros((W, nb))])
        csum = np.vstack([np.zeros((1, nb)), np.cumsum(pad, axis=0)])
        best = np.argmax(csum[W:] - csum[:-W], axis=0)  # window of W values with most mass
        vals = np.take_along_axis(pad, best[None, :] + np.arange(W)[:, None], axis=0).T
        vals[vals < _TRIM * vals.max(axis=1, keepdims=True)] = 0.0
        nz = vals > 0
        first = np.where(nz.any(axis=1), nz.argmax(axis=1), 0)
        last = W - nz[:, ::-1].argmax(axis=1)
        rows = np.arange(t0, t0 + nb)
        lo_k = k0 + best + 1  # a segment starting after t adds a change
        self.h_lo[rows] = lo_k + first
        self.h_hi[rows] = lo_k + np.maximum(last, first + 1)
        self.h_ring[rows[:, None], (lo_k[:, None] + np.arange(W)[None, :]) % R] = vals
        self.k_loss[rows] = np.maximum(0.0, 1.0 - vals.sum(axis=1))


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Multiply ``a @ b`` in pieces small enough for OpenBLAS to stay on one thread.

    OpenBLAS starts threads for a product above about 2**18 multiply-adds; with other
    processes on the cores that made these (short, wide) products up to 30x slower.
    """
    m, k = a.shape
    step = max(64, _GEMM_CELLS // max(m * b.shape[1], 1))
    if k <= step:
        return a @ b
    out = a[:, :step] @ b[:step]
    for j in range(step, k, step):
        out += a[:, j : j + step] @ b[j : j + step]
    return out


def run_pass(
    cum: np.ndarray,
    model: SegmentModel,
    p: float,
    min_size: int,
    *,
    viterbi: bool = False,
    width: int | None = None,
    eps: float = 0.0,
) -> Pass:
    """Run one pass of the recursions over ``cum`` (cumulative counts with a leading 0).

    ``viterbi`` adds the MAP back pointers, ``width`` tracks the number of changes with
    that many values of ``k`` per start, ``eps`` is the pruning threshold (0: no pruning,
    every sum exact).
    """
    return _Sweeper(cum, model, p, min_size, viterbi=viterbi, width=width, eps=eps).run()
