"""Many fits of one log-link count GLM at once (placebo refits).

:func:`fit_moving_column` fits models that share the rows and differ in one column
(:func:`flashpoint.models._batch.fit_batch` fits small models that differ in their rows).
A placebo test refits the same model with the event column moved to every placebo date:
``y ~ [base, c_j]`` for ``j = 1..m``, where the base columns (intercept, trend, other
events, ...) and the response are shared. Fitting each design separately costs
``O(n p^2)`` per iteration and fit, and stacking the ``m`` designs costs ``O(n m p)``
memory (1.5 GB for 10,000 dates of 10,000 days). :func:`fit_moving_column` instead uses
three facts (*blocked moving-column Newton* in the benchmarks):

1. **Blocks.** Fits are solved a block of adjacent placebo dates at a time, with at most
   ``block_elements`` design entries per block, so the memory is ``O(n)`` (a fixed number
   of ``n``-long rows per block), never ``O(n m)``.
2. **Shared base.** The base columns are the same in every fit: the linear predictors,
   scores and information matrices of a whole block are a few matrix products with the
   base (and the products of its columns, computed once), plus element-wise terms in the
   moving column; no fit's design is ever formed.
3. **Warm starts by row updates.** Moving a step by ``d`` periods changes ``d`` rows of the
   design. Each fit starts from its neighbour in the previous block with one Newton step
   whose score and information are the neighbour's (converged: score ~ 0) plus the exact
   change of the changed rows, ``O(d p^2)`` work instead of ``O(n p^2)``. That start is
   within ``O(step^2)`` of the solution, so one full pass over the data usually confirms
   convergence.

The model is Poisson or negative binomial NB2 with a known dispersion ``alpha``
(``Var = mu + alpha mu^2``, as ``statsmodels.genmod.families.NegativeBinomial(alpha)``),
solved by Newton's method with the observed information (Fisher scoring, i.e.
iteratively reweighted least squares, for Poisson) until the squared Newton decrement
``S' H^{-1} S`` (twice the remaining log-likelihood gain) is below ``tol``. Standard
errors are from the inverse Fisher (expected) information, as statsmodels' GLM reports
them, optionally scaled by the Pearson dispersion (quasi-Poisson).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

import numpy as np

__all__ = ["MovingFits", "fit_moving_column"]

BLOCK_ELEMENTS = 1 << 17
"""Entries per block (fits x rows): 1 MB per block-sized array. Small blocks keep the
neighbours of the warm starts close (the start error grows with the square of their
distance); the per-block overhead is ``O(k n)``, so small blocks cost little."""
_FIRST_BLOCK = 16
_NEAR = 1e-2  # squared Newton decrement below which Newton's method takes over
_ETA_CLIP = 30.0

# status codes of the fits
OK, EMPTY_INSIDE, EMPTY_OUTSIDE, COLLINEAR, NOT_CONVERGED = 0, 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class MovingFits:
    """Coefficients of the moving column, one entry per fit.

    ``estimate`` is ``-inf`` when the column is non-zero only on rows with zero counts
    (``EMPTY_INSIDE``), ``+inf`` when the counts are zero wherever it is zero
    (``EMPTY_OUTSIDE``), ``nan`` when the column is collinear with the base (``COLLINEAR``)
    or the fit did not converge (``NOT_CONVERGED``).
    """

    estimate: np.ndarray
    std_err: np.ndarray
    status: np.ndarray
    params: np.ndarray
    """All coefficients ``(n_fits, q + 1)``, ``nan`` where not fitted."""
    n_passes: int
    """Fits times passes over the data (a measure of the work done)."""
    n_expanded: int = 0
    """Fits solved by the anchored expansion (:mod:`flashpoint.models._moving`)."""


def fit_moving_column(
    y: np.ndarray,
    base: np.ndarray,
    columns: Callable[[np.ndarray], np.ndarray],
    n_fits: int,
    *,
    start: np.ndarray,
    offset: np.ndarray | None = None,
    nb_alpha: float = 0.0,
    pearson: bool = False,
    order: np.ndarray | None = None,
    block_elements: int | None = None,
    max_iter: int = 50,
    tol: float = 1e-10,
    on_block: Callable[[int], None] | None = None,
) -> MovingFits:
    """Fit ``y ~ [base, columns(j)]`` for ``j = 0..n_fits-1``; return the last coefficient.

    Parameters
    ----------
    y
        Counts, shape ``(n,)``.
    base
        The shared columns, shape ``(n, q)``, of full column rank.
    columns
        ``columns(indices)`` returns the moving columns of those fits, shape
        ``(len(indices), n)``, non-negative (event columns are).
    n_fits
        Number of fits.
    start
        Starting coefficients ``(q + 1,)`` for fits without a converged neighbour.
    offset
        Log exposure, shape ``(n,)``.
    nb_alpha
        Known NB2 dispersion (0: Poisson).
    pearson
        Scale the standard errors by the Pearson dispersion ``sum((y - mu)^2 / mu) / (n - p)``
        of each fit (quasi-Poisson; with ``nb_alpha=0`` only).
    order
        Order in which to solve the fits (neighbours should have similar columns, e.g.
        placebo dates sorted); default ``0..n_fits-1``.
    block_elements
        Memory budget: fits per block times ``n`` (default :data:`BLOCK_ELEMENTS`).
    max_iter, tol
        Iteration cap and bound on the squared Newton decrement (statsmodels' GLM stops
        at a deviance change of ``1e-8``, the same scale).
    on_block
        Called with the number of fits done after each block (progress bars).

    Returns
    -------
    MovingFits
    """
    data = _Data.build(y, base, offset, nb_alpha, pearson)
    order = np.arange(n_fits) if order is None else np.asarray(order)
    est = np.full(n_fits, np.nan)
    err = np.full(n_fits, np.nan)
    params = np.full((n_fits, data.q + 1), np.nan)
    status = np.full(n_fits, NOT_CONVERGED)
    qbasis = np.linalg.qr(data.base)[0]
    budget = BLOCK_ELEMENTS if block_elements is None else block_elements
    k_max = max(1, budget // max(data.n, 1))
    # one block when all fits fit in the budget; else small first blocks for warm starts
    size = k_max if len(order) <= k_max else min(_FIRST_BLOCK, k_max)
    pos, passes = 0, 0
    prev: _Solved | None = None
    while pos < len(order):
        idx = order[pos : pos + size]
        col = np.asarray(columns(idx), dtype=float)
        code = _screen(col, data.y, qbasis)
        fit = np.flatnonzero(code == OK)
        beta0 = np.broadcast_to(np.asarray(start, dtype=float), (len(fit), data.q + 1))
        if prev is not None:
            beta0 = _row_update_start(data, col[fit], prev, beta0)
        solved, n_it = _fisher_scoring(data, col[fit], beta0, max_iter=max_iter, tol=tol)
        passes += n_it
        code[fit[~solved.ok]] = NOT_CONVERGED
        e = np.where(code == EMPTY_INSIDE, -np.inf, np.where(code == EMPTY_OUTSIDE, np.inf, np.nan))
        s = np.full(len(idx), np.nan)
        e[fit[solved.ok]] = solved.beta[solved.ok, -1]
        s[fit[solved.ok]] = solved.std_err[solved.ok]
        est[idx], err[idx], status[idx] = e, s, code
        params[idx[fit[solved.ok]]] = solved.beta[solved.ok]
        if solved.ok.any():
            prev = solved.subset(solved.ok, col[fit[solved.ok]])
        pos += len(idx)
        size = min(2 * size, k_max)
        if on_block is not None:
            on_block(pos)
    return MovingFits(estimate=est, std_err=err, status=status, params=params, n_passes=passes)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Shared:
    """What every fit of a moving column shares: outcome, base columns, offset, family."""

    y: np.ndarray
    base: np.ndarray  # (n, q)
    off: np.ndarray
    nb_alpha: float
    pearson: bool

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def q(self) -> int:
        return self.base.shape[1]

    @classmethod
    def build(
        cls,
        y: np.ndarray,
        base: np.ndarray,
        offset: np.ndarray | None,
        nb_alpha: float,
        pearson: bool,
    ) -> Self:
        """Store the inputs as float arrays (a zero offset when ``offset`` is None)."""
        base = np.ascontiguousarray(base, dtype=float)
        off = np.zeros(len(y)) if offset is None else np.asarray(offset, dtype=float)
        return cls(
            y=np.asarray(y, dtype=float),
            base=base,
            off=off,
            nb_alpha=float(nb_alpha),
            pearson=pearson,
            **cls._derived(base, off),
        )

    @staticmethod
    def _derived(base: np.ndarray, off: np.ndarray) -> dict[str, Any]:
        """Compute the fields a subclass adds from the base columns and the offset."""
        return {}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Data(_Shared):
    """The shared parts of every fit, with the products needed by every pass."""

    base_off_t: np.ndarray  # (q + 1, n): base columns and the offset, transposed
    products: np.ndarray  # (n, q(q+1)/2): base_i * base_j, i <= j

    @staticmethod
    def _derived(base: np.ndarray, off: np.ndarray) -> dict[str, Any]:
        i, j = np.triu_indices(base.shape[1])
        return {
            "base_off_t": np.ascontiguousarray(np.column_stack([base, off]).T),
            "products": base[:, i] * base[:, j],
        }


@dataclass(frozen=True, slots=True)
class _Solved:
    """Converged fits of a block: coefficients, Fisher information, standard errors."""

    beta: np.ndarray  # (k, p)
    info: np.ndarray  # (k, p, p) at the last evaluation point
    std_err: np.ndarray  # (k,)
    ok: np.ndarray  # (k,)
    col: np.ndarray | None = None  # (k, n) their moving columns (for the next block)

    def subset(self, keep: np.ndarray, col: np.ndarray) -> _Solved:
        return _Solved(self.beta[keep], self.info[keep], self.std_err[keep], self.ok[keep], col)


def _screen(col: np.ndarray, y: np.ndarray, qbasis: np.ndarray) -> np.ndarray:
    """Status of each fit before fitting: empty windows (infinite MLE) and collinearity."""
    inside = (col > 0) @ y
    code = np.full(len(col), OK)
    code[inside == 0] = EMPTY_INSIDE
    # an indicator column holding every count: the base must send the other rows to zero
    binary = np.all((col == 0) | (col == 1), axis=1)
    code[binary & (inside == y.sum()) & (inside > 0) & (col == 0).any(axis=1)] = EMPTY_OUTSIDE
    norm2 = np.einsum("kn,kn->k", col, col)
    proj = col @ qbasis
    resid2 = norm2 - np.einsum("kq,kq->k", proj, proj)
    code[(resid2 <= 1e-9 * np.maximum(norm2, 1e-300)) & (code == OK)] = COLLINEAR
    return code


def _weights(
    eta: np.ndarray, y: np.ndarray, nb_alpha: float
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray]:
    """Mean (Poisson only), Fisher weight, score residual, Newton weight; overwrites ``eta``.

    NB2: ``w = mu / (1 + a mu) = 1 / (e + a)`` and ``r = (y - mu) / (1 + a mu) =
    (y e - 1) w`` with ``e = exp(-eta)``; the observed-information weight (minus the
    derivative of ``r`` in ``eta``) is ``mu (1 + a y) / (1 + a mu)^2 = w (1 - a w)
    (1 + a y)``, with which Newton's method converges quadratically (Fisher scoring only
    linearly when ``a > 0``). Poisson: all three weights are ``mu``.
    """
    np.clip(eta, -_ETA_CLIP, _ETA_CLIP, out=eta)
    if nb_alpha <= 0:
        mu = np.exp(eta, out=eta)
        return mu, mu, y - mu, mu
    e = np.exp(np.negative(eta, out=eta), out=eta)
    r = y * e
    r -= 1.0
    e += nb_alpha
    w = np.reciprocal(e, out=e)
    r *= w
    newton = 1.0 - nb_alpha * w
    newton *= w
    newton *= 1.0 + nb_alpha * y
    return None, w, r, newton


def _moments(
    data: _Data, beta: np.ndarray, col: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Score ``(k, p)``, observed and Fisher information ``(k, p, p)``, Pearson sums."""
    k, p = beta.shape
    q = p - 1
    coef = np.empty((k, p))
    coef[:, :q], coef[:, q] = beta[:, :q], 1.0
    eta = coef @ data.base_off_t
    eta += beta[:, q:] * col
    mu, w, r, newton = _weights(eta, data.y, data.nb_alpha)
    score = np.empty((k, p))
    score[:, :q] = r @ data.base
    score[:, q] = np.einsum("kn,kn->k", r, col)
    fisher = _information(data, w, col)
    observed = fisher if newton is w else _information(data, newton, col)
    chi2 = np.zeros(k)
    if data.pearson and mu is not None:
        chi2 = np.einsum("kn,kn->k", r, r / np.maximum(mu, 1e-300))
    return score, observed, fisher, chi2


def _information(data: _Data, w: np.ndarray, col: np.ndarray) -> np.ndarray:
    """``sum_t w_t x_t x_t'`` for ``x_t = [base_t, col_t]``, one matrix per row of ``w``."""
    k, q = len(w), data.q
    info = np.empty((k, q + 1, q + 1))
    i, j = np.triu_indices(q)
    info[:, i, j] = info[:, j, i] = w @ data.products
    wc = w * col
    info[:, :q, q] = info[:, q, :q] = wc @ data.base
    info[:, q, q] = np.einsum("kn,kn->k", wc, col)
    return info


def _fisher_scoring(
    data: _Data, col: np.ndarray, beta: np.ndarray, *, max_iter: int, tol: float
) -> tuple[_Solved, int]:
    """Iterate a block's fits to convergence; return them and the number of passes."""
    k, p = beta.shape
    beta = beta.copy()
    info_out = np.full((k, p, p), np.nan)
    se = np.full(k, np.nan)
    ok = np.zeros(k, dtype=bool)
    near = np.zeros(k, dtype=bool)  # close enough for Newton's method
    act = np.arange(k)
    n_pass = 0
    for _ in range(max_iter):
        if act.size == 0:
            break
        n_pass += act.size
        score, observed, fisher, chi2 = _moments(data, beta[act], col[act] if act.size < k else col)
        step, good, decrement = _newton_step(observed, fisher, score, near[act])
        near[act] = decrement < _NEAR
        done = good & (decrement < tol)
        beta[act[good]] += step[good]
        if done.any():
            d = act[done]
            cov_pp = np.linalg.inv(fisher[done])[:, -1, -1]
            scale = chi2[done] / max(data.n - p, 1) if data.pearson else 1.0
            se[d] = np.sqrt(np.clip(cov_pp * scale, 0.0, None))
            info_out[d] = observed[done]
            ok[d] = True
        act = act[~done & good]
    return _Solved(beta, info_out, se, ok), n_pass


def _newton_step(
    observed: np.ndarray, fisher: np.ndarray, score: np.ndarray, near: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Take Fisher scoring steps far from the solution (robust), Newton's near it (fast).

    Returns the steps, whether they are finite, and the squared decrements ``S' H^{-1} S``.
    """
    info = np.where(near[:, None, None], observed, fisher)
    step, good = _solve(info, score)
    decrement = np.where(good, np.einsum("kp,kp->k", score, step), np.inf)
    return step, good, decrement


def _solve(info: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Newton steps ``info^{-1} score``; ``good`` is False where ``info`` is singular."""
    try:
        step = np.linalg.solve(info, score[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        step = np.full_like(score, np.nan)
        for i in range(len(score)):
            try:
                step[i] = np.linalg.solve(info[i], score[i])
            except np.linalg.LinAlgError:
                continue
    return step, np.all(np.isfinite(step), axis=1)


def _row_update_start(data: _Data, col: np.ndarray, prev: _Solved, cold: np.ndarray) -> np.ndarray:
    """One Newton step from each fit's neighbour in the previous block, by row updates.

    The neighbour (converged: score ~ 0) differs from the fit only on the rows where
    their moving columns differ, so the fit's score and information at the neighbour's
    coefficients are the neighbour's plus the change of those rows.
    """
    assert prev.col is not None
    k = len(col)
    p = prev.beta.shape[1]
    q = p - 1
    nb = np.minimum(np.arange(k), len(prev.col) - 1)
    cp = prev.col[nb]
    changed = np.flatnonzero(np.any(col != cp, axis=0))
    b = prev.beta[nb]
    if changed.size == 0:
        return b
    if changed.size > max(4 * k, 64):  # e.g. slopes: every later row changes
        return np.where(np.isfinite(b), b, cold)
    bu = data.base[changed]
    cj, ci = col[:, changed], cp[:, changed]
    lin = b[:, :q] @ bu.T + data.off[changed]
    _mj, _fj, rj, wj = _weights(lin + b[:, q:] * cj, data.y[changed], data.nb_alpha)
    _mi, _fi, ri, wi = _weights(lin + b[:, q:] * ci, data.y[changed], data.nb_alpha)
    score = np.empty((k, p))
    score[:, :q] = (rj - ri) @ bu
    score[:, q] = np.einsum("kn,kn->k", rj, cj) - np.einsum("kn,kn->k", ri, ci)
    info = prev.info[nb].copy()
    info[:, :q, :q] += np.einsum("kn,na,nb->kab", wj - wi, bu, bu)
    cross = (wj * cj - wi * ci) @ bu
    info[:, :q, q] += cross
    info[:, q, :q] += cross
    info[:, q, q] += np.einsum("kn,kn->k", wj * cj, cj) - np.einsum("kn,kn->k", wi * ci, ci)
    step, good = _solve(info, score)
    return np.where(good[:, None], b + step, b)
