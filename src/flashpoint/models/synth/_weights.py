"""Donor weights of one synthetic control: on the outcome path, or on predictors with V.

Outcome only (the default): the weights minimise the pre-period squared distance between
the unit's rate path and the weighted donor paths,

    w* = argmin_w  sum_t (r_1t - sum_j w_j r_jt)^2,   w >= 0, sum_j w_j = 1.

With predictors (Abadie & Gardeazabal 2003; Abadie, Diamond & Hainmueller 2010, JASA
105:493-505): each predictor is divided by its standard deviation across the units of the
problem, the weights minimise ``(X_1 - X_0 w)' V (X_1 - X_0 w)`` for a diagonal ``V >= 0``
with unit trace, and ``V`` is chosen to minimise the pre-period mean squared error of the
outcome path that the weights imply (nested optimisation). The outer problem is not
convex, and local searches from Synth's two starting points (equal weights, and the
regression-based start: the squared coefficients of a cross-unit regression of the
pre-period outcomes on the predictors) often stop at a poorer local optimum (on California's
Proposition 99 they do). So the loss is first evaluated at those two and at 256
quasi-random ``V`` (Halton points spread over the simplex); Nelder-Mead (scipy) over
``v = |x| / sum|x|`` then starts from the two best, each restarted from its best point with
a fresh simplex until a restart improves the loss by less than one part in a million (a
collapsed simplex is how Nelder-Mead stalls); the best end point wins. The search is
deterministic; like any search on this problem it may still miss a better ``V``, so the
fitted ``V`` and the pre-period fit are reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flashpoint._lazy import lazy_module
from flashpoint.models.synth._solver import simplex_lstsq, simplex_lstsq_factor

optimize = lazy_module("scipy.optimize")

__all__ = ["UnitFit", "centred_gram", "fit_outcome", "fit_predictors"]

_MAX_RESTARTS = 20
_N_SCAN = 256
_N_STARTS = 2


@dataclass(frozen=True, slots=True)
class UnitFit:
    """Weights of one unit's synthetic control over its donor pool."""

    weights: np.ndarray
    v: np.ndarray | None
    converged: bool


def centred_gram(rates_pre: np.ndarray) -> np.ndarray:
    """Cross-products of the pre-period paths after removing each period's mean.

    With weights summing to one, subtracting the same number from every unit in a period
    leaves every residual unchanged; removing the common level first keeps the Gram matrix
    well conditioned when all series share a trend.
    """
    centred = rates_pre - rates_pre.mean(axis=1, keepdims=True)
    return centred.T @ centred


def fit_outcome(gram: np.ndarray, unit: int, pool: np.ndarray, *, tol: float) -> UnitFit:
    """Weights on the outcome path (``gram`` from :func:`centred_gram`)."""
    w, ok = simplex_lstsq(gram[np.ix_(pool, pool)], gram[pool, unit], tol=tol)
    return UnitFit(weights=w, v=None, converged=ok)


def fit_predictors(
    X: np.ndarray,
    gram: np.ndarray,
    unit: int,
    pool: np.ndarray,
    *,
    n_pre: int,
    v_fixed: np.ndarray | None,
    tol: float,
) -> UnitFit:
    """Weights on predictors ``X`` (``K x units``) with ``V`` fixed or chosen (module notes)."""
    cols = np.r_[unit, pool]
    block = X[:, cols]
    sd = block.std(axis=1, ddof=1)
    sd[~(sd > 0)] = 1.0
    scaled = block / sd[:, None]
    x1, x0 = scaled[:, 0], scaled[:, 1:]
    g00 = gram[np.ix_(pool, pool)]
    g01 = gram[pool, unit]
    g11 = float(gram[unit, unit])
    state: dict[str, np.ndarray | None] = {"w": None}
    converged = [True]

    def weights_for(v: np.ndarray) -> np.ndarray:
        root = np.sqrt(v)
        w, ok = simplex_lstsq_factor(x0 * root[:, None], x1 * root, start=state["w"], tol=tol)
        state["w"] = w
        converged[0] = converged[0] and ok
        return w

    def loss(x: np.ndarray) -> float:
        w = weights_for(_simplex(x))
        return float(w @ g00 @ w - 2.0 * (w @ g01) + g11) / n_pre

    if v_fixed is not None:
        v = v_fixed / v_fixed.sum()
        return UnitFit(weights=weights_for(v), v=v, converged=converged[0])
    k = len(x1)
    candidates = [np.full(k, 1.0 / k), *_halton_simplex(k, _N_SCAN)]
    regression = _regression_start(scaled, gram, cols)
    if regression is not None:
        candidates.insert(1, regression)
    scanned = np.array([loss(c) for c in candidates])
    options = {"maxfev": 400 * k, "xatol": np.inf, "fatol": 1e-7 * g11 / n_pre}
    best_x, best_loss = candidates[int(np.argmin(scanned))], float(scanned.min())
    for i in np.argsort(scanned, kind="stable")[:_N_STARTS]:
        x, value = candidates[i], float(scanned[i])
        state["w"] = None
        for _ in range(_MAX_RESTARTS):
            res = optimize.minimize(loss, x, method="Nelder-Mead", options=options)
            improved = res.fun < value * (1.0 - 1e-6)
            if res.fun < value:
                x, value = _simplex(res.x), float(res.fun)
            if not improved:
                break
        if value < best_loss:
            best_x, best_loss = x, value
    v = _simplex(best_x)
    state["w"] = None
    return UnitFit(weights=weights_for(v), v=v, converged=converged[0])


def _simplex(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    total = a.sum()
    return a / total if total > 0 else np.full(len(x), 1.0 / len(x))


def _halton_simplex(k: int, n: int) -> list[np.ndarray]:
    """``n`` deterministic, evenly spread points of the ``k``-simplex.

    Halton points (radical inverses in the first ``k`` primes) mapped to the simplex by
    normalised exponential spacings (uniform on the simplex for uniform input).
    """
    primes = [p for p in range(2, 1000) if all(p % d for d in range(2, int(p**0.5) + 1))][:k]
    points = np.empty((n, k))
    for j, base in enumerate(primes):
        for i in range(n):
            f, x, m = 1.0, 0.0, i + 1
            while m > 0:
                f /= base
                x += f * (m % base)
                m //= base
            points[i, j] = x
    spacings = -np.log(points)
    return list(spacings / spacings.sum(axis=1, keepdims=True))


def _regression_start(scaled: np.ndarray, gram: np.ndarray, cols: np.ndarray) -> np.ndarray | None:
    """Synth's regression-based start: ``diag(B B')`` for ``Z' ~ [1, X']`` across units.

    The outcome paths enter only through their cross-products: with ``Z_c`` the centred
    paths of the units, ``B B' = A Z_c' Z_c A'`` for ``A = (X~ X~')^-1 X~`` (``X~`` the
    predictors with an intercept row), so the Gram matrix is enough.
    """
    design = np.vstack([np.ones(scaled.shape[1]), scaled])
    try:
        A = np.linalg.solve(design @ design.T, design)
    except np.linalg.LinAlgError:
        return None
    BBt = A @ gram[np.ix_(cols, cols)] @ A.T
    v = np.clip(np.diag(BBt)[1:], 0.0, None)
    if not np.all(np.isfinite(v)) or v.sum() <= 0:
        return None
    return v / v.sum()
