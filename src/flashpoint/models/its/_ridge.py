"""Ridge-penalised GLM fits for many control series, and the penalty chosen by GCV.

When control series are many relative to the pre-event periods, their coefficients are
shrunk towards zero: the penalised log-likelihood ``l(beta) - lambda/2 sum_c beta_c^2``
over the (standardised) control columns ``c`` is maximised by penalised iteratively
reweighted least squares (Green & Silverman 1994, *Nonparametric Regression and
Generalized Linear Models*, ch. 5), and ``lambda`` minimises the generalised
cross-validation score of the pre-event fit (Craven & Wahba 1979; for GLMs
``n D(lambda) / (n - edf)^2`` with ``D`` the deviance and ``edf`` the trace of the
influence matrix; Wood 2017, *Generalized Additive Models*, 2nd ed., sec. 6.2).

The covariance is the Bayesian one, ``(X'WX + S)^-1`` times the scale (Wahba 1983;
Nychka 1988, JASA 83:1134-1143: its intervals have close to nominal coverage averaged
over the function, the bias of the shrinkage included), or with ``cov_type="hac"`` the
sandwich ``(X'WX + S)^-1 M (X'WX + S)^-1`` with ``M`` the Newey-West variance of the
scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from flashpoint._lazy import lazy_module
from flashpoint.errors import ConvergenceWarning
from flashpoint.models._base import warn
from flashpoint.models._glm import GAUSSIAN, CountFit, irls
from flashpoint.models._likelihood import fit_nb_size, nb_logpmf, poisson_logpmf

special = lazy_module("scipy.special")

__all__ = ["choose_penalty", "fit_ridge", "loglik"]

RHO_GRID = np.geomspace(1e-4, 1e2, 19)
"""Penalties searched by GCV, per observation and unit of IRLS weight."""


def _irls(
    y: np.ndarray,
    X: np.ndarray,
    *,
    family: str,
    offset: np.ndarray | None,
    nb_alpha: float,
    S: np.ndarray,
    start: np.ndarray | None,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> tuple[np.ndarray, bool]:
    """Penalised IRLS for the log link (Poisson/NB2 at ``nb_alpha``) or least squares."""
    off = np.zeros(len(y)) if offset is None else offset
    if family == GAUSSIAN:
        A = X.T @ X + S
        return np.linalg.solve(A, X.T @ (y - off)), True
    beta = np.zeros(X.shape[1]) if start is None else start.copy()
    if start is None:
        beta[0] = np.log(max(float(np.mean(y)), 1e-8)) - float(np.mean(off))
    beta, _mu, converged = irls(
        y, X, offset, nb_alpha, beta, penalty=S, max_iter=max_iter, tol=tol, clip=30.0
    )
    return beta, converged


def _means(X: np.ndarray, beta: np.ndarray, offset: np.ndarray | None, family: str) -> np.ndarray:
    eta = X @ beta + (0.0 if offset is None else offset)
    return eta if family == GAUSSIAN else np.exp(np.clip(eta, -30.0, 30.0))


def _fit_path(
    y: np.ndarray,
    X: np.ndarray,
    *,
    family: str,
    offset: np.ndarray | None,
    S: np.ndarray,
    nb_alpha: float | None = None,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, float, bool]:
    """Coefficients and NB2 dispersion (estimated when ``nb_alpha`` is None) at penalty S."""
    beta, ok = _irls(y, X, family=family, offset=offset, nb_alpha=0.0, S=S, start=start)
    if family != "negbin":
        return beta, 0.0, ok
    if nb_alpha is not None:
        beta, ok = _irls(y, X, family=family, offset=offset, nb_alpha=nb_alpha, S=S, start=beta)
        return beta, nb_alpha, ok
    alpha = 0.0
    for _ in range(25):  # alternate: dispersion at the means, coefficients at the dispersion
        size = fit_nb_size(y, _means(X, beta, offset, family))
        new_alpha = 0.0 if not np.isfinite(size) else 1.0 / size
        beta, ok = _irls(y, X, family=family, offset=offset, nb_alpha=new_alpha, S=S, start=beta)
        if abs(np.log1p(new_alpha) - np.log1p(alpha)) < 1e-6:
            return beta, new_alpha, ok
        alpha = new_alpha
    return beta, alpha, False


def _weights(mu: np.ndarray, family: str, nb_alpha: float) -> np.ndarray:
    return np.ones_like(mu) if family == GAUSSIAN else mu / (1.0 + nb_alpha * mu)


def _deviance(y: np.ndarray, mu: np.ndarray, family: str, nb_alpha: float) -> float:
    """Deviance of the fit (residual sum of squares for the Gaussian family)."""
    if family == GAUSSIAN:
        return float(np.sum((y - mu) ** 2))
    mu = np.maximum(mu, 1e-300)
    if family == "negbin" and nb_alpha > 0:
        r = 1.0 / nb_alpha
        terms = special.xlogy(y, y / mu) - (y + r) * np.log((y + r) / (mu + r))
    else:
        terms = special.xlogy(y, y / mu) - (y - mu)
    return float(2.0 * np.sum(terms))


def _penalty_matrix(p: int, penalised: Sequence[int], lam: float) -> np.ndarray:
    S = np.zeros((p, p))
    S[list(penalised), list(penalised)] = lam
    return S


def choose_penalty(
    y: np.ndarray,
    X: np.ndarray,
    *,
    family: str,
    offset: np.ndarray | None,
    penalised: Sequence[int],
) -> float:
    """Ridge penalty of the ``penalised`` columns minimising GCV on these rows.

    The penalties searched are ``rho n w`` for ``rho`` in :data:`RHO_GRID` (``w`` the mean
    IRLS weight of the most penalised fit, so that ``rho`` is a share of the information a
    standardised column carries). The NB2 dispersion is estimated once, at the middle of
    the grid, and held during the search.
    """
    n, p = X.shape
    strong = _penalty_matrix(p, penalised, 1e6)
    beta, nb_alpha, _ok = _fit_path(y, X, family=family, offset=offset, S=strong)
    w_bar = float(np.mean(_weights(_means(X, beta, offset, family), family, nb_alpha)))
    lams = RHO_GRID[::-1] * n * max(w_bar, 1e-8)
    if family == "negbin":
        middle = _penalty_matrix(p, penalised, float(lams[len(lams) // 2]))
        _b, nb_alpha, _ok = _fit_path(y, X, family=family, offset=offset, S=middle)
    scores = []
    for lam in lams:  # from strong to weak, each fit starting from the last
        S = _penalty_matrix(p, penalised, float(lam))
        beta, _a, _ok = _fit_path(
            y, X, family=family, offset=offset, S=S, nb_alpha=nb_alpha, start=beta
        )
        mu = _means(X, beta, offset, family)
        Xw = X * _weights(mu, family, nb_alpha)[:, None]
        info = Xw.T @ X
        edf = float(np.trace(np.linalg.solve(info + S, info)))
        dev = _deviance(y, mu, family, nb_alpha)
        scores.append(n * dev / (n - edf) ** 2 if edf < n - 1 else np.inf)
    return float(lams[int(np.argmin(scores))])


def fit_ridge(
    y: np.ndarray,
    X: np.ndarray,
    *,
    names: list[str],
    family: str,
    offset: np.ndarray | None,
    penalty: np.ndarray,
    cov_type: str,
    maxlags: int | None,
    where: str,
) -> CountFit:
    """Fit with a ridge penalty ``penalty[j]`` on each column (0: not penalised).

    Returns a :class:`~flashpoint.models._glm.CountFit` whose ``cov`` is the Bayesian
    covariance (or the HAC sandwich), ``llf`` the unpenalised log-likelihood at the
    estimate and ``raw`` a dict with ``penalty`` and ``edf``.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    S = np.diag(penalty)
    beta_p = None
    if family != GAUSSIAN:
        beta_p, _a, _ok = _fit_path(y, X, family="poisson", offset=offset, S=S)
    beta, nb_alpha, converged = _fit_path(y, X, family=family, offset=offset, S=S, start=beta_p)
    mu = _means(X, beta, offset, family)
    Xw = X * _weights(mu, family, nb_alpha)[:, None]
    info = Xw.T @ X
    bread = np.linalg.inv(info + S)
    edf = float(np.trace(bread @ info))
    resid = (y - mu) if family == GAUSSIAN else (y - mu) / (1.0 + nb_alpha * mu)
    scale = 1.0
    if family == GAUSSIAN:
        scale = float(np.sum(resid**2) / max(n - edf, 1.0))
    elif family == "quasipoisson":
        scale = float(np.sum((y - mu) ** 2 / np.maximum(mu, 1e-300)) / max(n - edf, 1.0))
    if cov_type == "hac":
        cov = bread @ _newey_west_matrix(X * resid[:, None], maxlags) @ bread
    else:
        cov = bread * scale
    if not converged:
        warn(
            f"the ridge-penalised {family} model{where} did not converge; estimates may be "
            "unreliable",
            ConvergenceWarning,
        )
    mu_p = mu if beta_p is None else _means(X, beta_p, offset, "poisson")
    return CountFit(
        family=family,
        names=list(names),
        params=beta,
        cov=cov,
        nb_alpha=nb_alpha if family == "negbin" else None,
        nb_alpha_se=float("nan") if family == "negbin" else None,
        scale=scale,
        llf=loglik(y, mu, family, nb_alpha),
        llf_poisson=float(np.sum(poisson_logpmf(y, mu_p))) if family != GAUSSIAN else np.nan,
        pearson_dispersion=scale
        if family == GAUSSIAN
        else float(np.sum((y - mu_p) ** 2 / np.maximum(mu_p, 1e-300)) / max(n - edf, 1.0)),
        n_obs=n,
        converged=converged,
        cov_type=cov_type,
        raw={"penalty": penalty, "edf": edf},
    )


def loglik(y: np.ndarray, mu: np.ndarray, family: str, nb_alpha: float) -> float:
    """Log-likelihood at the means ``mu`` (Gaussian: at the ML variance ``RSS / n``)."""
    if family == GAUSSIAN:
        n = len(y)
        return float(-n / 2 * (np.log(2 * np.pi * np.mean((y - mu) ** 2)) + 1.0))
    if family == "negbin" and nb_alpha > 0:
        return float(np.sum(nb_logpmf(y, mu, 1.0 / nb_alpha)))
    return float(np.sum(poisson_logpmf(y, mu)))


def _newey_west_matrix(scores: np.ndarray, maxlags: int | None) -> np.ndarray:
    """Newey-West (Bartlett) variance matrix of the column sums of ``scores`` (n, p)."""
    n = scores.shape[0]
    lags = maxlags if maxlags is not None else int(np.floor(4 * (n / 100) ** (2 / 9)))
    out = scores.T @ scores
    for lag in range(1, lags + 1):
        gamma = scores[lag:].T @ scores[:-lag]
        out += (1.0 - lag / (lags + 1.0)) * (gamma + gamma.T)
    return out
