"""Conjugate segment scores: the marginal likelihood of one segment from its total and length.

Within a segment the counts are i.i.d. Poisson(lambda) with lambda ~ Gamma(a, b), or
negative binomial NB(r, q) (``Var = mu + mu**2 / r``) with q ~ Beta(alpha0, beta0). Both
are conjugate, so the log marginal likelihood of a segment of length ``m`` and total ``S``
is a closed form in ``(S, m)`` (up to per-observation constants that are the same for
every segmentation):

* Poisson: ``c0 + lgamma(a + S) - (a + S) log(b + m)``, ``c0 = a log b - lgamma(a)``;
* NB: ``c0 + lgamma(beta0 + S) + lgamma(alpha0 + r m) - lgamma(alpha0 + beta0 + r m + S)``,
  ``c0 = -log B(alpha0, beta0)``.

These are the specialised cumulative-sum forms the recursions need (a score per pair of
cumulative counts); the per-observation constants come from
:func:`flashpoint.models._likelihood.poisson_logpmf` / ``nb_logpmf`` (their value at the
saturated mean, minus the saturated kernel), so that the evidence is a proper log p(y).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from flashpoint._lazy import lazy_module
from flashpoint.models._likelihood import nb_logpmf, poisson_logpmf

special = lazy_module("scipy.special")
stats = lazy_module("scipy.stats")

__all__ = ["Buffers", "SegmentModel", "toeplitz"]

_TABLE_MAX = 1 << 22  # largest segment total with a lookup table of lgamma (32 MiB)
_RUN_CELLS = 2048  # fewest cells per run of equal-total rows worth a numpy call
_STIRLING_MIN = 10.0  # Stirling's series below is accurate to 2e-14 from here on
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
# Stirling coefficients B_2k / (2k (2k - 1)) for k = 1..5 (Abramowitz & Stegun 6.1.40)
_C1, _C3, _C5, _C7, _C9 = 1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188


class Buffers:
    """Reusable work arrays: a fresh multi-megabyte array per block costs page faults."""

    def __init__(self) -> None:
        self._flat: dict[tuple[str, str], np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
        """Return an uninitialised array of ``shape`` backed by the cached buffer ``name``."""
        size = math.prod(shape)
        key = (name, np.dtype(dtype).str)
        flat = self._flat.get(key)
        if flat is None or flat.size < size:
            flat = self._flat[key] = np.empty(max(size, 1), dtype=dtype)
        return flat[:size].reshape(shape)


def toeplitz(rev: np.ndarray, c: int, nb: int, w: int) -> np.ndarray:
    """Read-only view ``V[i, j] = rev[c - i + j]`` (shape nb x w) without copying."""
    if c - nb + 1 < 0 or c + w > rev.size:
        raise IndexError("Toeplitz view out of range")  # pragma: no cover - internal guard
    step = rev.strides[0]
    return as_strided(rev[c:], shape=(nb, w), strides=(-step, step), writeable=False)


def lgamma_big(
    x: np.ndarray, out: np.ndarray, w1: np.ndarray, w2: np.ndarray, acc: np.ndarray
) -> np.ndarray:
    """``log Gamma(x)`` for ``x >= 10`` by Stirling's series (absolute error < 2e-14).

    Five times faster than ``scipy.special.gammaln`` on large blocks; ``w1``, ``w2`` and
    ``acc`` are work arrays of the shape of ``x``.
    """
    np.log(x, out=w1)
    np.subtract(x, 0.5, out=out)
    np.multiply(out, w1, out=out)
    np.subtract(out, x, out=out)  # (x - 1/2) log x - x
    np.reciprocal(x, out=w1)  # 1 / x
    np.multiply(w1, w1, out=w2)  # 1 / x^2
    np.multiply(w2, _C9, out=acc)
    for c in (_C7, _C5, _C3):
        acc += c
        acc *= w2
    acc += _C1
    acc *= w1
    out += acc
    out += _HALF_LOG_2PI
    return out


class SegmentModel:
    """Segment scores of one family and prior, for a series of ``n`` periods.

    ``g(S, m)`` below is the log marginal likelihood without ``c0`` (the recursions add
    ``c0`` once per segment) and without the per-observation constants (:meth:`constant`).
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
        s_max = min(total, _TABLE_MAX)
        s = np.arange(s_max + 1, dtype=np.float64)
        self.m_exact = 1  # lengths below this are scored with scipy's gammaln (NB)
        if family == "poisson":
            self.a, self.b = self.shape, self.shape / self.mean
            self.size = math.inf
            self.c0 = self.a * math.log(self.b) - math.lgamma(self.a)
            self._s_off = self.a
            self._rev_lb = np.log(self.b + m)[::-1].copy()  # log(b + m), reversed
        else:
            if size is None:
                raise ValueError("a negative-binomial segment model needs a size")
            r = float(size)
            self.size = r
            # q ~ Beta(alpha0, beta0) with beta0 = shape, alpha0 = 1 + shape * r / mean: the
            # prior mean of the segment mean r (1 - q) / q is `mean`; as r -> inf this tends
            # to the Gamma(shape, shape / mean) prior of the Poisson model.
            self.beta0 = self.shape
            self.alpha0 = 1.0 + self.shape * r / self.mean
            self.c0 = -float(special.betaln(self.alpha0, self.beta0))
            self._s_off = self.beta0
            self._rev_lgm = special.gammaln(self.alpha0 + r * m)[::-1].copy()
            self._rev_x = (self.alpha0 + self.beta0 + r * m)[::-1].copy()
            need = (_STIRLING_MIN - self.alpha0 - self.beta0) / r
            self.m_exact = max(1, math.ceil(need))
        self._lg_s = special.gammaln(self._s_off + s) if total <= _TABLE_MAX else None

    # ------------------------------------------------------------------ scores
    def lg_s(self, S: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``lgamma(offset + S)`` from the table (or computed when the totals are huge)."""
        if self._lg_s is not None:
            return np.take(self._lg_s, S, out=out)
        res = special.gammaln(self._s_off + np.asarray(S, dtype=np.float64))
        if out is None:
            return np.asarray(res)
        out[...] = res
        return out

    def pairs(self, S: np.ndarray, m: np.ndarray) -> np.ndarray:
        """``g(S, m)`` of arbitrary (total, length) pairs (``m >= 1``), with scipy's gammaln."""
        S = np.asarray(S, dtype=np.int64)
        mf = np.asarray(m, dtype=np.float64)
        if self.family == "poisson":
            return self.lg_s(S) - (self.a + S) * np.log(self.b + mf)
        r = self.size
        x = self.alpha0 + self.beta0 + r * mf + S
        return self.lg_s(S) + special.gammaln(self.alpha0 + r * mf) - special.gammaln(x)

    def block(
        self,
        cum: np.ndarray,
        t0: int,
        nb: int,
        lo: int,
        w: int,
        out: np.ndarray,
        col: np.ndarray,
        buf: Buffers,
    ) -> np.ndarray:
        """``g + col`` for rows ``t = t0..t0+nb-1`` (ends) x starts ``s = lo..w-1`` into out.

        ``col`` is added to every row (a per-start term). Needs ``w <= t0`` (every start
        before every end). Rows with equal cumulative counts (no event between them: sparse
        series) share their totals per start, which saves the per-cell table look-up and
        folds ``col`` into the per-start part.
        """
        wl = w - lo
        c = self.n - t0 + lo  # reversed index of m = t0 - lo at (row 0, column 0)
        ends = cum[t0 : t0 + nb]
        cuts = np.flatnonzero(np.diff(ends)) + 1
        if (cuts.size + 1) * _RUN_CELLS <= nb * wl:  # runs of rows long or wide enough
            for i0, i1 in zip(np.r_[0, cuts], np.r_[cuts, nb], strict=True):
                S = ends[i0] - cum[lo:w]
                self._rows_same_total(S, c - i0, i1 - i0, wl, out[i0:i1], col, buf)
        else:
            S2 = np.subtract(ends[:, None], cum[None, lo:w], out=buf.get("S", (nb, wl), np.int64))
            self._rows(S2, c, nb, wl, out, buf)
            out += col
        if self.family == "negbin" and self.m_exact > 1:
            # lengths too short for Stirling's series: exact gammaln on that corner
            j0 = max(0, wl - self.m_exact + 1)
            if j0 < wl:
                tt = np.arange(t0, t0 + nb)[:, None]
                ss = np.arange(lo + j0, w)[None, :]
                S2 = cum[tt] - cum[ss]
                out[:, j0:] = self.pairs(S2, tt - ss) + col[j0:]
        return out

    def _rows_same_total(
        self,
        S: np.ndarray,
        c: int,
        nb: int,
        wl: int,
        out: np.ndarray,
        col: np.ndarray,
        buf: Buffers,
    ) -> None:
        lg = self.lg_s(S) + col
        if self.family == "poisson":
            np.multiply(toeplitz(self._rev_lb, c, nb, wl), self.a + S, out=out)
            np.subtract(lg, out, out=out)
            return
        x = np.add(toeplitz(self._rev_x, c, nb, wl), S, out=buf.get("x", (nb, wl)))
        w = [buf.get(k, (nb, wl)) for k in ("w1", "w2", "w3")]
        lgamma_big(x, out, *w)
        np.subtract(lg, out, out=out)
        out += toeplitz(self._rev_lgm, c, nb, wl)

    def _rows(
        self, S2: np.ndarray, c: int, nb: int, wl: int, out: np.ndarray, buf: Buffers
    ) -> None:
        self.lg_s(S2, out=out)
        work = buf.get("x", (nb, wl))
        if self.family == "poisson":
            np.add(S2, self.a, out=work)
            work *= toeplitz(self._rev_lb, c, nb, wl)
            out -= work
            return
        np.add(S2, toeplitz(self._rev_x, c, nb, wl), out=work)
        lg = buf.get("lg", (nb, wl))
        lgamma_big(work, lg, *(buf.get(k, (nb, wl)) for k in ("w1", "w2", "w3")))
        out -= lg
        out += toeplitz(self._rev_lgm, c, nb, wl)

    # ------------------------------------------------------------------ bounds
    def sup_loglik(self, S: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Maximised log likelihood of a segment (same constants as ``c0 + g``)."""
        S = np.asarray(S, dtype=np.float64)
        m = np.asarray(m, dtype=np.float64)
        if self.family == "poisson":
            return special.xlogy(S, S / m) - S
        mr = m * self.size
        tot = mr + S
        return special.xlogy(mr, mr / tot) + special.xlogy(S, S / tot)

    def saturated(self, y: np.ndarray) -> np.ndarray:
        """Per-period upper bound of the segment score: the maximised one-period likelihood."""
        return self.sup_loglik(y, np.ones_like(y, dtype=np.float64))

    def constant(self, y: np.ndarray) -> float:
        """Per-observation part of the log likelihood (the same for every segmentation).

        The saturated log-pmf (each count at its own mean, from the shared
        ``poisson_logpmf`` / ``nb_logpmf``) minus its kernel :meth:`saturated`.
        """
        yf = y.astype(np.float64)
        poisson = self.family == "poisson"
        full = poisson_logpmf(yf, yf) if poisson else nb_logpmf(yf, yf, self.size)
        return float((full - self.saturated(yf)).sum())

    # ------------------------------------------------------------------ posterior
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

    def rate_cdf(self, x: np.ndarray, S: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Posterior probability that a segment's mean rate is at most ``x``."""
        x = np.asarray(x, dtype=np.float64)
        if self.family == "poisson":
            return np.asarray(special.gammainc(self.a + S, x * (self.b + m)))
        r = self.size
        # mean <= x  <=>  q >= r / (r + x), q ~ Beta(alpha0 + r m, beta0 + S)
        return np.asarray(special.betainc(self.beta0 + S, self.alpha0 + r * m, x / (r + x)))
