"""Coefficients whose maximum-likelihood estimates diverge, shared by every count model.

Two things go wrong at the edges of a count regression, and both have one implementation
here:

* **An empty window** (a truce without attacks): no event falls where a non-negative
  column is non-zero, so its estimate is minus infinity. The rate ratio is then 0 and the
  only informative number is an upper bound. :func:`empty_window_bound` gives the
  profile-likelihood bound and the likelihood-ratio p-value, with the dispersion in it
  (the statistic of a quasi-Poisson model is divided by its Pearson dispersion), for the
  daily models (:func:`flashpoint.models._glm.fit_counts`) and the tally model alike.
* **No event before a term starts** (all-zero counts before a step, or no pre-event data):
  the estimate diverges to plus infinity together with the baseline, and nothing about
  the term can be estimated. :func:`zero_mean_rows` finds such rows exactly (the data,
  not the optimiser, decide), so that the models report ``NaN`` with a
  :class:`~flashpoint.errors.NotEstimableWarning` instead of a rate ratio of ``1e10``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from flashpoint._lazy import lazy_module

linalg = lazy_module("scipy.linalg")
optimize = lazy_module("scipy.optimize")
sparse = lazy_module("scipy.sparse")
stats = lazy_module("scipy.stats")

__all__ = ["empty_window_bound", "zero_mean_rows"]

_FAR = 30.0  # a coefficient of -30 multiplies the rate by 1e-13: the limit, for profiles


def empty_window_bound(
    profile: Callable[[float], float],
    llf_max: float,
    *,
    dispersion: float = 1.0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Upper bound and p-value of a coefficient whose estimate is minus infinity.

    Parameters
    ----------
    profile
        ``profile(t)``: the log-likelihood maximised over the other coefficients with this
        one fixed at ``t`` (the column entered as an offset ``t x``), dispersion held fixed.
    llf_max
        Its supremum, reached as ``t -> -inf`` (the fit without the column's rows).
    dispersion
        Divides the likelihood-ratio statistic: the Pearson dispersion of a quasi-Poisson
        fit, 1 for Poisson and negative-binomial likelihoods.
    alpha
        The bound is at level ``1 - alpha``.

    Returns
    -------
    upper, p_value
        ``upper`` solves ``2 (llf_max - profile(t)) / dispersion = chi2_{1, 1-alpha}``
        (``inf`` when the data cannot bound it); ``p_value`` is ``P(chi2_1 > LR(0))`` for
        the hypothesis that the coefficient is 0 (no effect).

    Notes
    -----
    For a quasi-Poisson model the statistic is the scaled deviance difference
    ``(D(t) - D_min) / phi`` (McCullagh & Nelder 1989, *Generalized Linear Models*,
    2nd ed., sec. 9.3), the analogue of dividing the squared Wald statistic by ``phi``.

    Examples
    --------
    >>> import numpy as np
    >>> # a Poisson mean mu * exp(t) over 10 days with no event: llf(t) = -10 mu exp(t)
    >>> upper, p = empty_window_bound(lambda t: -10 * 2.0 * np.exp(t), 0.0)
    >>> round(float(np.exp(upper)) * 10 * 2.0, 3)  # the rate bound: 1.92 events in 10 days
    1.921
    """
    crit = float(stats.chi2.ppf(1 - alpha, 1))
    cache: dict[float, float] = {}

    def excess(t: float) -> float:
        if t not in cache:
            cache[t] = 2.0 * (llf_max - profile(t)) / dispersion - crit
        return cache[t]

    lr0 = max(0.0, excess(0.0) + crit)
    p_value = float(stats.chi2.sf(lr0, 1))
    lo = -_FAR
    while excess(lo) > 0:  # significant even at exp(-30): a very long, busy window
        if lo < -8 * _FAR:
            return -math.inf, p_value
        lo *= 2
    hi = 0.0
    while excess(hi) <= 0:
        hi += 5.0 if hi < 20 else hi
        if hi > 4 * _FAR:
            return math.inf, p_value
    upper = float(optimize.brentq(excess, lo, hi, xtol=1e-5))
    return upper, p_value


def zero_mean_rows(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Rows whose mean is zero at the supremum of a log-link count likelihood.

    The Poisson (and negative-binomial) maximum-likelihood estimate exists unless some
    direction ``d`` gives ``X_i d = 0`` where ``y_i > 0`` and ``X_i d <= 0`` where
    ``y_i = 0``, with at least one strict inequality: moving along ``d`` then raises the
    likelihood for ever while the means of those zero-count rows go to 0 (Santos Silva &
    Tenreyro 2010, *Economics Letters* 107:310-312). A step with all-zero counts before it
    is the common case: the baseline goes to minus infinity and the step to plus infinity.

    Returns a boolean mask of the rows that such directions send to zero (the largest set,
    found by one linear programme, as in Correia, Guimaraes & Zylkin 2019, arXiv:1903.01633);
    all False when the estimate exists, which a rank check settles without the programme.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1]])  # intercept and a step
    >>> zero_mean_rows(np.array([0, 0, 0, 2, 1, 3]), X).tolist()
    [True, True, True, False, False, False]
    >>> zero_mean_rows(np.array([1, 0, 0, 2, 1, 3]), X).any()
    np.False_
    """
    y = np.asarray(y)
    positive = y > 0
    zero = np.zeros(len(y), dtype=bool)
    Xp = X[positive]
    if Xp.shape[0] >= X.shape[1] and np.linalg.matrix_rank(Xp) == X.shape[1]:
        return zero
    null = linalg.null_space(Xp) if Xp.shape[0] else np.eye(X.shape[1])
    rows = np.flatnonzero(~positive)
    if null.shape[1] == 0 or rows.size == 0:
        return zero
    A = X[rows] @ null  # the zero-count rows, in the coordinates of the null space
    m, n0 = A.shape[1], A.shape[0]
    # variables (c, s): maximise sum(s) subject to A c + s <= 0, 0 <= s <= 1
    res = optimize.linprog(
        np.r_[np.zeros(m), -np.ones(n0)],
        A_ub=sparse.hstack([sparse.csr_matrix(A), sparse.eye(n0)]).tocsr(),
        b_ub=np.zeros(n0),
        bounds=[(-1e6, 1e6)] * m + [(0.0, 1.0)] * n0,
        method="highs",
    )
    if res.status != 0:  # pragma: no cover - the programme is always feasible (c = 0)
        return zero
    zero[rows[res.x[m:] > 0.5]] = True
    return zero
