"""Least squares over the simplex: the weights of a synthetic control.

Every synthetic control, the real one and each placebo, solves

    minimise  f(w) = 1/2 w' H w - c' w   subject to  w >= 0,  sum(w) = 1,

with ``H = X' X`` and ``c = X' y`` for donor paths ``X`` and the treated path ``y`` (or the
same with a diagonal predictor weighting ``V``: ``H = X' V X``, ``c = X' V y``). The problem
is a small convex quadratic programme in the number of donors ``J``, whatever the length of
the series: once ``H`` is formed (one ``T x J`` product), nothing here depends on ``T``.

:func:`simplex_lstsq` solves it with a primal active-set method (Nocedal & Wright,
*Numerical Optimization*, 2nd ed., 2006, Algorithm 16.3): keep a set of donors whose weights
may be positive, solve the equality-constrained problem on that set exactly (one
``(k+1) x (k+1)`` linear system), step back to feasibility when a weight would turn
negative, and add the donor whose Lagrange multiplier is most negative until none is. The
answer is exact up to rounding, deterministic, and reached in a number of steps close to
the number of donors with positive weight. Convergence is declared when no excluded donor
could lower the objective: every multiplier ``lambda_j = (H w - c)_j - nu`` of an excluded
donor is at least ``-tol * s`` with ``s`` the largest diagonal entry of ``H`` (``tol =
1e-10`` by default).

When several weight vectors fit equally well (collinear donors, or more donors with
positive weight than periods), the problem has no unique minimiser; a ridge of ``1e-8 * s``
on the diagonal of ``H`` (a hundred times the optimality tolerance, so that the method
resolves it) makes it strictly convex and picks the weights of smallest norm among the
near-ties, deterministically, whatever the starting point; it changes the objective by at
most one part in 10^8 of ``s``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["DEFAULT_TOL", "simplex_lstsq", "simplex_lstsq_factor"]

DEFAULT_TOL = 1e-10
_RIDGE = 1e-8


def simplex_lstsq(
    H: np.ndarray,
    c: np.ndarray,
    *,
    start: np.ndarray | None = None,
    tol: float = DEFAULT_TOL,
    max_iter: int | None = None,
) -> tuple[np.ndarray, bool]:
    """Minimise ``1/2 w'Hw - c'w`` over the probability simplex.

    Parameters
    ----------
    H
        Symmetric positive semi-definite ``J x J`` matrix.
    c
        Linear term (length ``J``).
    start
        A feasible starting point (non-negative, summing to one), e.g. the solution of a
        nearby problem; its positive entries form the first working set. Default: the best
        single donor.
    tol
        Relative tolerance of the optimality check (see the module notes).
    max_iter
        Iteration cap (default ``10 * J + 50``).

    Returns
    -------
    weights, converged
        The weights (exactly zero outside the active set, summing to one) and whether the
        optimality check passed within ``max_iter`` steps.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 2.0]])
    >>> y = np.array([0.5, 0.5])
    >>> w, ok = simplex_lstsq(X.T @ X, X.T @ y)
    >>> np.round(w, 6).tolist(), ok
    ([0.5, 0.5, 0.0], True)
    """
    n = len(c)
    scale = float(np.max(np.diag(H))) if n else 0.0
    unit = scale if scale > 0 else 1.0
    ridge = _RIDGE * unit

    def block(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sub = H[idx][:, idx]
        sub.flat[:: len(idx) + 1] += ridge
        return sub, c[idx]

    def gradient(idx: np.ndarray, w_idx: np.ndarray) -> np.ndarray:
        g = H[:, idx] @ w_idx - c
        g[idx] += ridge * w_idx
        return g

    if start is None:
        start = _vertex(int(np.argmin(0.5 * np.diag(H) - c)), n)
    return _active_set(n, block, gradient, start, tol * unit, max_iter)


def simplex_lstsq_factor(
    A: np.ndarray,
    b: np.ndarray,
    *,
    start: np.ndarray | None = None,
    tol: float = DEFAULT_TOL,
    max_iter: int | None = None,
) -> tuple[np.ndarray, bool]:
    """Minimise ``1/2 |A w - b|^2`` over the simplex (``H = A'A``, ``c = A'b`` not formed).

    For a short ``A`` (``K x J`` with ``K`` predictors) each step costs ``O(K J)``
    instead of the ``O(J^2)`` of the Gram form; otherwise as :func:`simplex_lstsq`.
    """
    n = A.shape[1]
    diag = np.einsum("ij,ij->j", A, A)
    scale = float(diag.max()) if n else 0.0
    unit = scale if scale > 0 else 1.0
    ridge = _RIDGE * unit

    def block(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cols = A[:, idx]
        sub = cols.T @ cols
        sub.flat[:: len(idx) + 1] += ridge
        return sub, cols.T @ b

    def gradient(idx: np.ndarray, w_idx: np.ndarray) -> np.ndarray:
        g = A.T @ (A[:, idx] @ w_idx - b)
        g[idx] += ridge * w_idx
        return g

    if start is None:
        start = _vertex(int(np.argmin(0.5 * diag - A.T @ b)), n)
    return _active_set(n, block, gradient, start, tol * unit, max_iter)


def _vertex(k: int, n: int) -> np.ndarray:
    w = np.zeros(n)
    w[k] = 1.0
    return w


def _active_set(
    n: int,
    block: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    gradient: Callable[[np.ndarray, np.ndarray], np.ndarray],
    start: np.ndarray,
    threshold: float,
    max_iter: int | None,
) -> tuple[np.ndarray, bool]:
    """Primal active-set iterations (module notes) from a feasible ``start``."""
    w = np.clip(np.asarray(start, dtype=float), 0.0, None)
    w = w / w.sum()
    free = w > 0
    for _ in range(max_iter if max_iter is not None else 10 * n + 50):
        idx = np.flatnonzero(free)
        H_ff, c_f = block(idx)
        target, nu = _equality_qp(H_ff, c_f)
        if target.min() >= 0:
            w = np.zeros(n)
            w[idx] = target
            multipliers = gradient(idx, target) - nu
            multipliers[idx] = np.inf
            j = int(np.argmin(multipliers))
            if multipliers[j] >= -threshold:
                return w, True
            free[j] = True
            continue
        # step from w towards the target until the first weight reaches zero
        current = w[idx]
        step = target - current
        shrinking = step < 0
        ratios = np.full(len(idx), np.inf)
        ratios[shrinking] = current[shrinking] / -step[shrinking]
        alpha = min(1.0, float(ratios.min()))
        moved = current + alpha * step
        leaving = (ratios <= alpha) | (moved <= 0)
        moved[leaving] = 0.0
        w = np.zeros(n)
        w[idx] = moved / moved.sum()
        free[idx[leaving]] = False
    return w, False


def _equality_qp(H_ff: np.ndarray, c_f: np.ndarray) -> tuple[np.ndarray, float]:
    """Solve ``min 1/2 w'H_ff w - c_f'w`` subject to ``sum(w) = 1``.

    Returns the minimiser and the multiplier ``nu`` of the sum constraint
    (``H_ff w - c_f = nu``).
    """
    k = len(c_f)
    system = np.empty((k + 1, k + 1))
    system[:k, :k] = H_ff
    system[:k, k] = -1.0
    system[k, :k] = 1.0
    system[k, k] = 0.0
    rhs = np.empty(k + 1)
    rhs[:k] = c_f
    rhs[k] = 1.0
    solution = np.linalg.solve(system, rhs)
    return solution[:k], float(solution[k])
