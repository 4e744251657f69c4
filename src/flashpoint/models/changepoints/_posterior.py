"""The posterior of one series, with the negative-binomial size integrated or estimated.

For ``family="negbin"`` without a given ``size``, the size ``r`` gets a discrete uniform
prior on :data:`SIZE_GRID` (0.25 to 1024 by factors of 2, and the Poisson limit
``r = inf``), and its posterior is proportional to the marginal likelihood ``p(y | r)``,
the sum over every segmentation (so a size is not rewarded for the changes it allows):

* series of at most :data:`FULL_GRID_N` periods: the size is *integrated out*. Every grid
  value is evaluated and every posterior quantity is the mixture of the per-size
  posteriors with those weights (sizes whose weight is below 1e-10 of the best are left
  out; their weight is added to the reported approximation error).
* longer series: *empirical Bayes*. The size is the grid value with the largest marginal
  likelihood, found by a local search from the value nearest a pilot estimate (maximum
  likelihood within a PELT segmentation); the search assumes the evidence is unimodal in
  log r. With that many observations the weight of the neighbours is usually small, and
  a full mixture would cost one more pair of passes per size; ``size_posterior`` shows
  the evidence of every value evaluated.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from flashpoint.models.changepoints._bayes import (
    BayesFit,
    backward_pass,
    bayes_fit,
    log_prior_normaliser,
    window_prob,
)
from flashpoint.models.changepoints._segment import SegmentModel
from flashpoint.models.changepoints._sweep import Pass

__all__ = ["FULL_GRID_N", "SIZE_GRID", "Posterior", "fit_posterior"]

SIZE_GRID = (*(2.0**k for k in range(-2, 11)), math.inf)
"""Support of the prior of the negative-binomial size (``inf``: the Poisson limit)."""
FULL_GRID_N = 2000
"""Longest series whose NB size is integrated over the whole grid (longer: empirical Bayes)."""
_MIN_WEIGHT = 1e-10


@dataclass(frozen=True, slots=True)
class Posterior:
    """Posterior of one series: a mixture over the sizes that carry weight."""

    sizes: np.ndarray  # sizes evaluated (inf: Poisson; NaN for the Poisson family)
    size_log_evidence: np.ndarray  # log p(y | size) of each
    size_weight: np.ndarray  # their posterior probability under the uniform grid prior
    size_method: str  # "integrated", "empirical Bayes", "given" or "" (Poisson family)
    fits: tuple[BayesFit, ...]  # full posteriors of the sizes used
    weights: np.ndarray  # their weights in the mixture (sum to 1)
    log_evidence: float  # log p(y) (the size integrated out when it is)
    prob_change: np.ndarray
    prob_n_changes: np.ndarray
    approx_error: float  # bound on the total-variation error (pruning + left-out sizes)
    map_changes: np.ndarray  # MAP segmentation under the most probable size

    @property
    def size(self) -> float:
        """The size of the point segmentation (most probable; NaN for Poisson)."""
        return float(self.sizes[int(np.argmax(self.size_weight))])

    def window_prob(self, j0: int, j1: int) -> float:
        """Posterior probability of at least one change in periods ``j0..j1``."""
        return float(
            sum(w * window_prob(f, j0, j1) for w, f in zip(self.weights, self.fits, strict=True))
        )

    def rates(
        self, S: np.ndarray, m: np.ndarray, alpha: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Posterior mean and equal-tailed interval of segment rates (mixture over sizes)."""
        if len(self.fits) == 1:
            return self.fits[0].model.rate_posterior(S, m, alpha)
        parts = [f.model.rate_posterior(S, m, alpha) for f in self.fits]
        mean = np.sum([w * p[0] for w, p in zip(self.weights, parts, strict=True)], axis=0)
        lo = np.min([p[1] for p in parts], axis=0)
        hi = np.max([p[2] for p in parts], axis=0)
        return (
            mean,
            self._quantile(alpha / 2, S, m, lo, hi),
            self._quantile(1 - alpha / 2, S, m, lo, hi),
        )

    def _quantile(
        self, level: float, S: np.ndarray, m: np.ndarray, lo: np.ndarray, hi: np.ndarray
    ) -> np.ndarray:
        """Quantile of the mixture posterior of a rate: bisection between the components'."""
        lo, hi = lo.astype(np.float64), hi.astype(np.float64)
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            cdf = np.sum(
                [
                    w * f.model.rate_cdf(mid, S, m)
                    for w, f in zip(self.weights, self.fits, strict=True)
                ],
                axis=0,
            )
            below = cdf < level
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        return 0.5 * (lo + hi)


@dataclass
class _Grid:
    """Lazily built models and backward passes of the sizes of a grid."""

    y: np.ndarray
    family: str
    sizes: tuple[float, ...]
    shape: float
    mean: float
    p: float
    min_size: int

    def __post_init__(self) -> None:
        self.cum = np.concatenate([[0], np.cumsum(self.y, dtype=np.int64)])
        self.models: dict[int, SegmentModel] = {}
        self.backs: dict[int, Pass] = {}
        self.evidence: dict[int, float] = {}

    def model(self, i: int) -> SegmentModel:
        if i not in self.models:
            r = self.sizes[i]
            poisson = self.family == "poisson" or math.isinf(r)
            self.models[i] = SegmentModel(
                "poisson" if poisson else "negbin",
                shape=self.shape,
                mean=self.mean,
                size=None if poisson else r,
                n=self.y.size,
                total=int(self.cum[-1]),
            )
        return self.models[i]

    def score(self, i: int) -> float:
        """Return log p(y | size i), from the backward pass (kept for the full posterior)."""
        if i not in self.evidence:
            n = self.y.size
            self.backs[i] = backward_pass(self.cum, self.model(i), p=self.p, min_size=self.min_size)
            norm = log_prior_normaliser(n, self.p, self.min_size)
            self.evidence[i] = float(self.backs[i].la[n]) + self.model(i).constant(self.y) - norm
        return self.evidence[i]

    def fit(self, i: int) -> BayesFit:
        return bayes_fit(
            self.y, self.model(i), p=self.p, min_size=self.min_size, back=self.backs.get(i)
        )


def _climb(score: Callable[[int], float], start: int, n_grid: int) -> int:
    """Local search for the largest score on a grid (unimodal), from ``start``."""
    best = start
    for step in (-1, 1):
        i = best + step
        while 0 <= i < n_grid and score(i) > score(best):
            best, i = i, i + step
        if best != start:
            break  # improved going this way: the other side of start is lower
    return best


def fit_posterior(
    y: np.ndarray,
    family: str,
    *,
    shape: float,
    mean: float,
    size: float | None,
    p: float,
    min_size: int,
    pilot_size: float = math.inf,
) -> Posterior:
    """Posterior of one series; see the module docstring for how the NB size is handled."""
    sizes = (math.inf,) if family == "poisson" else (SIZE_GRID if size is None else (size,))
    grid = _Grid(y, family, sizes, shape, mean, p, min_size)
    if len(sizes) == 1:
        method = "" if family == "poisson" else "given"
        return _combine(grid, {0: grid.fit(0)}, method)
    if y.size <= FULL_GRID_N:
        for i in range(len(sizes)):
            grid.score(i)
        best = max(grid.evidence.values())
        keep = [i for i, e in grid.evidence.items() if e - best >= math.log(_MIN_WEIGHT)]
        return _combine(grid, {i: grid.fit(i) for i in keep}, "integrated")
    logs = np.log(np.array(sizes[:-1]))
    start = len(sizes) - 1  # beyond the largest finite size (times sqrt 2): the Poisson limit
    if pilot_size < sizes[-2] * math.sqrt(2.0):
        start = int(np.argmin(np.abs(logs - math.log(pilot_size))))
    best_i = _climb(grid.score, start, len(sizes))
    return _combine(grid, {best_i: grid.fit(best_i)}, "empirical Bayes")


def _combine(grid: _Grid, fitted: dict[int, BayesFit], method: str) -> Posterior:
    """Mix the per-size posteriors with their posterior weights."""
    if grid.evidence:
        idx = np.array(sorted(grid.evidence))
        ev = np.array([grid.evidence[i] for i in idx])
        w = np.exp(ev - ev.max())
        w /= w.sum()
        log_ev = float(ev.max() + math.log(np.exp(ev - ev.max()).sum()) - math.log(len(grid.sizes)))
    else:
        idx = np.array(sorted(fitted))
        ev = np.array([fitted[i].log_evidence for i in idx])
        w = np.ones(1)
        log_ev = float(ev[0])
    keep = np.array(sorted(fitted))
    fits = tuple(fitted[int(i)] for i in keep)
    wk = w[np.isin(idx, keep)]
    left_out = max(0.0, 1.0 - float(wk.sum())) if method == "integrated" else 0.0
    wk = wk / wk.sum()
    if method == "empirical Bayes":
        log_ev = fits[0].log_evidence  # the evidence given the chosen size
    post = np.zeros(max(f.prob_n_changes.size for f in fits))
    for wi, f in zip(wk, fits, strict=True):
        post[: f.prob_n_changes.size] += wi * f.prob_n_changes
    top = fits[int(np.argmax(wk))]
    return Posterior(
        sizes=np.array([grid.sizes[i] for i in idx])
        if grid.family == "negbin"
        else np.full(1, np.nan),
        size_log_evidence=ev,
        size_weight=w,
        size_method=method,
        fits=fits,
        weights=wk,
        log_evidence=log_ev,
        prob_change=np.sum([wi * f.prob_change for wi, f in zip(wk, fits, strict=True)], axis=0),
        prob_n_changes=post,
        approx_error=float(sum(wi * f.approx_error for wi, f in zip(wk, fits, strict=True)))
        + left_out,
        map_changes=top.map_changes,
    )
