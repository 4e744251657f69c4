"""Likelihood of interval counts: daily rates summed over the days of each interval.

W is the (J, T) matrix of day weights per interval: 1 where day t lies in interval j (a daily
offset multiplies its column). Lambda = W @ exp(X beta); A ~ Poisson(Lambda) or
NB2(Lambda, 1/r), with the log-probabilities of :mod:`flashpoint.models._likelihood`.

Terms at the edge of the data are handled as in the daily models
(:mod:`flashpoint.models._separation`): a term whose estimate goes to minus infinity (no
attack attributable to its days) gets the shared profile-likelihood bound, with the
quasi-Poisson dispersion in it; a term whose estimate goes to plus infinity (e.g. no attack
before a step) is not estimable and is reported as ``nan``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from flashpoint._lazy import lazy_module
from flashpoint.models._likelihood import nb_logpmf, poisson_logpmf
from flashpoint.models._separation import empty_window_bound

optimize = lazy_module("scipy.optimize")
special = lazy_module("scipy.special")
stats = lazy_module("scipy.stats")


def _llf_grad(
    beta: np.ndarray, X: np.ndarray, W: np.ndarray, A: np.ndarray, r: float | None
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood, its gradient in beta and ``G = d Lambda / d beta`` (J, p)."""
    lam = np.exp(np.clip(X @ beta, -50, 50))
    Lam = np.maximum(W @ lam, 1e-300)
    G = W @ (lam[:, None] * X)
    if r is None:
        llf = float(np.sum(poisson_logpmf(A, Lam)))
        d_Lam = A / Lam - 1.0
    else:
        llf = float(np.sum(nb_logpmf(A, Lam, r)))
        d_Lam = r * (A - Lam) / (Lam * (r + Lam))
    return llf, G.T @ d_Lam, G


def _poisson_hessian(
    beta: np.ndarray, X: np.ndarray, W: np.ndarray, A: np.ndarray, G: np.ndarray
) -> np.ndarray:
    lam = np.exp(np.clip(X @ beta, -50, 50))
    Lam = np.maximum(W @ lam, 1e-300)
    weight = lam * (W.T @ (A / Lam - 1.0))
    return (X * weight[:, None]).T @ X - G.T @ (G * (A / Lam**2)[:, None])


def _numeric_hessian(fun: Any, x: np.ndarray) -> np.ndarray:
    """Central differences of an analytic gradient, symmetrised."""
    k = len(x)
    H = np.empty((k, k))
    for i in range(k):
        h = 1e-5 * max(1.0, abs(x[i]))
        e = np.zeros(k)
        e[i] = h
        H[:, i] = (fun(x + e) - fun(x - e)) / (2 * h)
    return (H + H.T) / 2


def _max_beta(
    X: np.ndarray, W: np.ndarray, A: np.ndarray, r: float | None, start: np.ndarray | None = None
) -> tuple[np.ndarray, float, bool]:
    """Maximise over beta (Newton for Poisson, BFGS for NB at a fixed size r).

    The interval log-likelihood is not concave in beta everywhere (``log`` of a sum of
    exponentials); where the Hessian is not negative definite the step is a Fisher-scoring
    one, with the expected information ``G' diag(1 / Lambda) G``.
    """
    beta = np.zeros(X.shape[1]) if start is None else start.copy()
    if start is None:
        beta[0] = np.log(max(A.sum() / max(W.sum(), 1e-9), 1e-6))
    if r is not None:
        res = optimize.minimize(
            lambda b: -_llf_grad(b, X, W, A, r)[0],
            beta,
            jac=lambda b: -_llf_grad(b, X, W, A, r)[1],
            method="BFGS",
            options={"gtol": 1e-8, "maxiter": 2000},
        )
        grad = _llf_grad(res.x, X, W, A, r)[1]
        return res.x, -float(res.fun), bool(res.success or np.max(np.abs(grad)) < 1e-5)
    llf, grad, G = _llf_grad(beta, X, W, A, None)
    for _ in range(200):
        hess = _poisson_hessian(beta, X, W, A, G)
        try:  # Newton where the log-likelihood is concave ...
            np.linalg.cholesky(-hess)
        except np.linalg.LinAlgError:  # ... else Fisher scoring (an ascent direction)
            lam_sum = np.maximum(W @ np.exp(np.clip(X @ beta, -50, 50)), 1e-300)
            hess = -G.T @ (G / lam_sum[:, None])
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        t = 1.0
        while True:
            trial = beta - t * step
            new_llf, new_grad, new_G = _llf_grad(trial, X, W, A, None)
            if (np.isfinite(new_llf) and new_llf >= llf - 1e-12) or t < 1e-8:
                break
            t /= 2
        beta, llf, grad, G = trial, new_llf, new_grad, new_G
        if np.max(np.abs(t * step)) < 1e-10:
            return beta, llf, True
    return beta, llf, False


_FAR = 30.0  # a coefficient of +-30 multiplies a rate by 1e13: the limit, for edge checks


@dataclass(frozen=True, slots=True)
class _IntervalFit:
    """The fitted interval model.

    ``beta``/``cov`` have ``-inf``/``nan`` for separated columns and ``nan`` for columns
    that are not estimable; ``cov`` is scaled by ``dispersion`` (quasi-Poisson). ``rate`` is
    the fitted daily rate (0 on separated days; for a term that is not estimable, the
    limit of the fit as its coefficient grows).
    """

    beta: np.ndarray
    cov: np.ndarray
    converged: bool
    llf: float
    nb_alpha: float
    pearson: float
    dispersion: float
    rate: np.ndarray
    separated: dict[int, tuple[float, float]]
    not_estimable: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Reduced:
    """The model fitted with separated columns' days removed and pinned columns fixed."""

    free: list[int]
    separated: list[int]
    pinned: list[int]
    beta: np.ndarray
    cov: np.ndarray
    llf: float
    converged: bool
    r: float | None
    weights: np.ndarray  # daily multiplier: 0 on separated days, exp(+30 x) for pinned terms


def _fit_intervals(
    X: np.ndarray,
    W: np.ndarray,
    A: np.ndarray,
    *,
    family: str,
    event_cols: Sequence[int],
    alpha: float,
) -> _IntervalFit:
    """Fit the interval model, with the edge cases of its event columns.

    A column whose days meet only zero counts has the estimate minus infinity; so does a
    column whose likelihood still grows at ``-30`` (its days' attacks are better explained
    by the neighbouring days). Its days are taken out of the intervals, the rest of the
    model is fitted, and the column gets the profile-likelihood upper bound and
    likelihood-ratio p-value of :func:`~flashpoint.models._separation.empty_window_bound`
    (NB dispersion held at its estimate; statistic divided by the Pearson dispersion for
    quasi-Poisson). A column whose likelihood still grows at ``+30`` (e.g. a step with no
    attack before it) is not estimable: it is pinned there, reported as ``nan``, and the
    other terms are estimated at that limit.
    """
    separated: list[int] = []
    for j in event_cols:
        support = X[:, j] != 0
        touching = W[:, support].sum(axis=1) > 0
        if support.any() and touching.any() and not A[touching].any():
            separated.append(j)
    pinned: list[int] = []
    while True:
        red = _fit_reduced(X, W, A, family=family, separated=separated, pinned=pinned)
        moved = False
        for j in [c for c in event_cols if c in red.free]:
            prof = _profile(X, W, A, red, j)
            if prof(-_FAR) >= red.llf - 1e-3:
                separated.append(j)
            elif prof(_FAR) >= red.llf - 1e-3:
                pinned.append(j)
            else:
                continue
            moved = True
            break
        if not moved:
            break
    return _assemble(X, W, A, red, family=family, separated=separated, pinned=pinned, alpha=alpha)


def _fit_reduced(
    X: np.ndarray,
    W: np.ndarray,
    A: np.ndarray,
    *,
    family: str,
    separated: list[int],
    pinned: list[int],
) -> _Reduced:
    """Maximise the likelihood over the free columns (NB: and the dispersion)."""
    weights = _day_weights(X, separated, pinned)
    free = [j for j in range(X.shape[1]) if j not in separated and j not in pinned]
    Wr = W * weights[None, :]
    live = Wr.sum(axis=1) > 0  # intervals of separated days only are fully explained
    Xr, Wr, Ar = X[:, free], Wr[live], A[live]
    beta, llf, converged = _max_beta(Xr, Wr, Ar, None)
    if family != "negbin":
        _l, _g, G = _llf_grad(beta, Xr, Wr, Ar, None)
        cov = np.linalg.pinv(-_poisson_hessian(beta, Xr, Wr, Ar, G))
        return _Reduced(
            free, list(separated), list(pinned), beta, cov, llf, converged, None, weights
        )
    beta, cov, llf, converged, r = _fit_nb_intervals(Xr, Wr, Ar, beta)
    return _Reduced(free, list(separated), list(pinned), beta, cov, llf, converged, r, weights)


def _day_weights(X: np.ndarray, separated: list[int], pinned: list[int]) -> np.ndarray:
    """Daily rate multipliers: 0 on separated columns' days, ``exp(30 x)`` for pinned ones."""
    weights = np.ones(X.shape[0])
    for j in separated:
        weights[X[:, j] != 0] = 0.0
    for j in pinned:
        weights *= np.exp(np.clip(_FAR * X[:, j], -50, 50))
    return weights


def _fit_nb_intervals(
    X: np.ndarray, W: np.ndarray, A: np.ndarray, start: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float, bool, float]:
    """Joint maximum likelihood of beta and the NB size (BFGS on ``log alpha``)."""

    def negllf(theta: np.ndarray) -> float:
        return -_llf_grad(theta[:-1], X, W, A, float(np.exp(-theta[-1])))[0]

    def neggrad(theta: np.ndarray) -> np.ndarray:
        b, log_a = theta[:-1], theta[-1]
        rr = float(np.exp(-log_a))
        lam = np.exp(np.clip(X @ b, -50, 50))
        Lam = np.maximum(W @ lam, 1e-300)
        _llf, g_beta, _G = _llf_grad(b, X, W, A, rr)
        d_r = (
            special.digamma(A + rr)
            - special.digamma(rr)
            + np.log(rr / (rr + Lam))
            + 1
            - (A + rr) / (rr + Lam)
        )
        return -np.append(g_beta, -rr * np.sum(d_r))

    res = optimize.minimize(
        negllf,
        np.append(start, np.log(0.1)),
        jac=neggrad,
        method="BFGS",
        options={"gtol": 1e-8, "maxiter": 2000},
    )
    theta = res.x
    converged = bool(res.success or np.max(np.abs(neggrad(theta))) < 1e-5)
    cov_full = np.linalg.pinv(_numeric_hessian(neggrad, theta))
    return theta[:-1], cov_full[:-1, :-1], -float(res.fun), converged, float(np.exp(-theta[-1]))


def _profile(
    X: np.ndarray, W: np.ndarray, A: np.ndarray, red: _Reduced, j: int
) -> Callable[[float], float]:
    """``t -> `` the log-likelihood maximised over the other free columns, column j at t.

    Column ``j`` (free, or separated: its days are restored) enters as a daily offset; the
    other separated and pinned columns stay as in ``red``; the NB size is held fixed.
    """
    weights = _day_weights(X, [c for c in red.separated if c != j], red.pinned)
    others = [c for c in red.free if c != j]

    def profile(t: float) -> float:
        day = weights * np.exp(np.clip(t * X[:, j], -50, 50))
        Wt = W * day[None, :]
        live = Wt.sum(axis=1) > 0
        return _max_beta(X[:, others], Wt[live], A[live], red.r)[1]

    return profile


def _assemble(
    X: np.ndarray,
    W: np.ndarray,
    A: np.ndarray,
    red: _Reduced,
    *,
    family: str,
    separated: list[int],
    pinned: list[int],
    alpha: float,
) -> _IntervalFit:
    """Full-size estimates, the dispersion, the rates and the separated columns' bounds."""
    k = X.shape[1]
    lam = red.weights * np.exp(np.clip(X[:, red.free] @ red.beta, -50, 50))
    Lam = W @ lam
    live = Lam > 0
    pearson = float(
        np.sum((A[live] - Lam[live]) ** 2 / Lam[live]) / max(int(live.sum()) - len(red.free), 1)
    )
    dispersion = max(pearson, 1.0) if family == "quasipoisson" else 1.0
    beta = np.full(k, np.nan)
    beta[separated] = -np.inf
    beta[red.free] = red.beta
    cov = np.full((k, k), np.nan)
    cov[np.ix_(red.free, red.free)] = red.cov * dispersion
    info = {
        j: empty_window_bound(
            _profile(X, W, A, red, j), red.llf, dispersion=dispersion, alpha=alpha
        )
        for j in separated
    }
    return _IntervalFit(
        beta=beta,
        cov=cov,
        converged=red.converged,
        llf=red.llf,
        nb_alpha=np.nan if red.r is None else 1.0 / red.r,
        pearson=pearson,
        dispersion=dispersion,
        rate=lam,
        separated=info,
        not_estimable=tuple(pinned),
    )


def _membership(starts: np.ndarray, ends: np.ndarray, n_days: int) -> np.ndarray:
    """(J, T) matrix: 1 where day t lies in interval j."""
    t = np.arange(n_days)
    return ((t[None, :] >= starts[:, None]) & (t[None, :] <= ends[:, None])).astype(float)
