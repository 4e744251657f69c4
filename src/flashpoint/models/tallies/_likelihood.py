"""Likelihood of interval counts: daily rates summed over the days of each interval.

W is the (J, T) matrix of day weights per interval: 1 where day t lies in interval j (a daily
offset multiplies its column). Lambda = W @ exp(X beta); A ~ Poisson(Lambda) or
NB2(Lambda, 1/r).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from flashpoint._lazy import lazy_module

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
        llf = float(np.sum(special.xlogy(A, Lam) - Lam - special.gammaln(A + 1)))
        d_Lam = A / Lam - 1.0
    else:
        llf = float(
            np.sum(
                special.gammaln(A + r)
                - special.gammaln(r)
                - special.gammaln(A + 1)
                + r * np.log(r / (r + Lam))
                + special.xlogy(A, Lam / (r + Lam))
            )
        )
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
    """Maximise over beta (Newton for Poisson, BFGS for NB at a fixed size r)."""
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


@dataclass(frozen=True, slots=True)
class _IntervalFit:
    beta: np.ndarray
    cov: np.ndarray
    converged: bool
    llf: float
    nb_alpha: float
    separated: dict[int, tuple[float, float]]


def _fit_intervals(
    X: np.ndarray,
    W: np.ndarray,
    A: np.ndarray,
    *,
    family: str,
    event_cols: Sequence[int],
    alpha: float,
) -> _IntervalFit:
    """Fit the interval model, handling event columns whose days meet only zero counts.

    Such a column's estimate is minus infinity (the likelihood keeps growing as the rate
    on its days goes to zero): its days are taken out of the intervals, the rest of the
    model is fitted, and the column gets a profile-likelihood upper bound and a
    likelihood-ratio p-value (dispersion held at its estimate).
    """
    separated = []
    for j in event_cols:
        support = X[:, j] != 0
        touching = W[:, support].sum(axis=1) > 0
        if support.any() and touching.any() and not A[touching].any():
            separated.append(j)
    keep = [j for j in range(X.shape[1]) if j not in separated]
    sep_days = np.any(X[:, separated] != 0, axis=1) if separated else np.zeros(len(X), bool)
    W_red = W * ~sep_days[None, :]
    live = W_red.sum(axis=1) > 0  # intervals of separated days only are fully explained
    Xr, Wr, Ar = X[:, keep], W_red[live], A[live]
    beta_p, llf, converged = _max_beta(Xr, Wr, Ar, None)
    r: float | None = None
    nb_alpha = np.nan
    if family == "negbin":

        def negllf(theta: np.ndarray) -> float:
            return -_llf_grad(theta[:-1], Xr, Wr, Ar, float(np.exp(-theta[-1])))[0]

        def neggrad(theta: np.ndarray) -> np.ndarray:
            b, log_a = theta[:-1], theta[-1]
            rr = float(np.exp(-log_a))
            lam = np.exp(np.clip(Xr @ b, -50, 50))
            Lam = np.maximum(Wr @ lam, 1e-300)
            _llf, g_beta, _G = _llf_grad(b, Xr, Wr, Ar, rr)
            d_r = (
                special.digamma(Ar + rr)
                - special.digamma(rr)
                + np.log(rr / (rr + Lam))
                + 1
                - (Ar + rr) / (rr + Lam)
            )
            return -np.append(g_beta, -rr * np.sum(d_r))

        res = optimize.minimize(
            negllf,
            np.append(beta_p, np.log(0.1)),
            jac=neggrad,
            method="BFGS",
            options={"gtol": 1e-8, "maxiter": 2000},
        )
        theta = res.x
        converged = bool(res.success or np.max(np.abs(neggrad(theta))) < 1e-5)
        cov_full = np.linalg.pinv(_numeric_hessian(neggrad, theta))
        beta_r, cov_r, llf = theta[:-1], cov_full[:-1, :-1], -float(res.fun)
        r, nb_alpha = float(np.exp(-theta[-1])), float(np.exp(theta[-1]))
    else:
        beta_r = beta_p
        _l, _g, G = _llf_grad(beta_r, Xr, Wr, Ar, None)
        cov_r = np.linalg.pinv(-_poisson_hessian(beta_r, Xr, Wr, Ar, G))
    k = X.shape[1]
    beta = np.full(k, -np.inf)
    beta[keep] = beta_r
    cov = np.full((k, k), np.nan)
    cov[np.ix_(keep, keep)] = cov_r
    info: dict[int, tuple[float, float]] = {}
    crit = stats.chi2.ppf(1 - alpha, 1)
    for j in separated:
        others = [c for c in range(k) if c != j]

        def profile(t: float, j: int = j, others: list[int] = others) -> float:
            weights = np.exp(np.clip(t * X[:, j], -50, 50))  # the column as a daily offset
            return _max_beta(X[:, others], W * weights[None, :], A, r)[1]

        target = llf - crit / 2
        try:
            upper = float(
                optimize.brentq(lambda t, lv=target: profile(t) - lv, -30.0, 5.0, xtol=1e-4)
            )
        except ValueError:
            upper = 5.0
        lr = max(0.0, 2 * (llf - profile(0.0)))
        info[j] = (upper, float(stats.chi2.sf(lr, 1)))
    return _IntervalFit(
        beta=beta, cov=cov, converged=converged, llf=llf, nb_alpha=nb_alpha, separated=info
    )


def _membership(starts: np.ndarray, ends: np.ndarray, n_days: int) -> np.ndarray:
    """(J, T) matrix: 1 where day t lies in interval j."""
    t = np.arange(n_days)
    return ((t[None, :] >= starts[:, None]) & (t[None, :] <= ends[:, None])).astype(float)
