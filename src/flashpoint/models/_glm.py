"""Count regressions (Poisson, quasi-Poisson, negative binomial) fitted with statsmodels.

One wrapper, :func:`fit_counts`, fits a design with the requested family and covariance
and returns a :class:`CountFit` holding the estimates, their covariance, the dispersion and
an overdispersion test, so that every model reports them the same way.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from flashpoint._lazy import lazy_module
from flashpoint.errors import ConvergenceWarning, ModelSpecError
from flashpoint.models._base import warn

sm = lazy_module("statsmodels.api")
optimize = lazy_module("scipy.optimize")
stats = lazy_module("scipy.stats")

__all__ = [
    "FAMILIES",
    "CountFit",
    "cumulative_band",
    "fit_counts",
    "mean_band",
    "simulate_means",
]

FAMILIES: tuple[str, ...] = ("negbin", "poisson", "quasipoisson")
COV_TYPES: tuple[str, ...] = ("model", "hac")
_ALPHA_BOUNDARY = 1e-6  # NB2 dispersion below this is the Poisson boundary


def _sm_trouble() -> tuple[type[Warning], ...]:
    """Return statsmodels' warnings that mean a fit did not go cleanly."""
    exc = sm.tools.sm_exceptions
    return (exc.ConvergenceWarning, exc.HessianInversionWarning, exc.PerfectSeparationWarning)


@dataclass(frozen=True, slots=True)
class CountFit:
    """A fitted count regression.

    ``params``/``cov`` cover the regression coefficients only (for the negative binomial,
    the dispersion ``nb_alpha`` is reported separately: ``Var(y) = mu + nb_alpha * mu**2``).
    """

    family: str
    names: list[str]
    params: np.ndarray
    cov: np.ndarray
    nb_alpha: float | None
    nb_alpha_se: float | None
    scale: float
    llf: float
    llf_poisson: float
    pearson_dispersion: float
    n_obs: int
    converged: bool
    cov_type: str
    raw: Any = field(repr=False)
    separated: dict[int, tuple[float, float]] = field(default_factory=dict)
    """Columns whose estimate is minus infinity (no event where the column is non-zero):
    column -> (profile-likelihood upper bound of the coefficient, likelihood-ratio p-value)."""

    def linear_predictor(self, X: np.ndarray, offset: np.ndarray | None) -> np.ndarray:
        """``X beta + offset``, with ``-inf`` where a separated column is non-zero."""
        finite = [j for j in range(X.shape[1]) if j not in self.separated]
        eta = X[:, finite] @ self.params[finite] + (0.0 if offset is None else offset)
        for j in self.separated:
            eta = np.where(X[:, j] != 0, -np.inf, eta)
        return eta

    @property
    def std_err(self) -> np.ndarray:
        """Standard errors of ``params`` (``nan`` for separated columns)."""
        return np.sqrt(np.clip(np.diag(self.cov), 0, None))

    @property
    def finite_cov(self) -> tuple[list[int], np.ndarray]:
        """Columns with finite estimates and their covariance block."""
        finite = [j for j in range(len(self.params)) if j not in self.separated]
        return finite, self.cov[np.ix_(finite, finite)]

    def overdispersion_test(self) -> tuple[float, float]:
        """Likelihood-ratio test of the Poisson model against the negative binomial.

        Returns the statistic ``2 (llf_nb - llf_poisson)`` and its p-value from the
        50:50 mixture of chi2(0) and chi2(1) (the dispersion sits on the boundary under
        the null; Self & Liang 1987). ``nan`` for non-NB fits.
        """
        if self.family != "negbin":
            return float("nan"), float("nan")
        lr = max(0.0, 2.0 * (self.llf - self.llf_poisson))
        return lr, float(0.5 * stats.chi2.sf(lr, 1)) if lr > 0 else 1.0


def fit_counts(
    y: np.ndarray,
    X: np.ndarray,
    *,
    names: list[str],
    family: str = "negbin",
    offset: np.ndarray | None = None,
    cov_type: str = "model",
    maxlags: int | None = None,
    where: str = "",
    separable: Sequence[int] = (),
    alpha: float = 0.05,
) -> CountFit:
    """Fit a count regression of ``y`` on ``X`` with statsmodels.

    Parameters
    ----------
    y, X
        Counts and design (with an intercept column).
    names
        Column names of ``X``.
    family
        ``"negbin"`` (NB2, dispersion by maximum likelihood; statsmodels
        ``NegativeBinomial(loglike_method="nb2")`` fitted by Newton's method),
        ``"poisson"`` (``GLM`` Poisson) or ``"quasipoisson"`` (``GLM`` Poisson with the
        Pearson chi2 scale).
    offset
        Log exposure, or ``None``.
    cov_type
        ``"model"`` (inverse information) or ``"hac"`` (Newey-West, ``maxlags`` lags;
        default ``floor(4 (n/100)^(2/9))``).
    where
        Context for warning messages (e.g. the group).
    separable
        Columns (non-negative event columns) whose support may hold no event at all. Such
        a column's maximum-likelihood estimate is minus infinity: the model is fitted
        without the rows it covers, the coefficient is reported as ``-inf`` with a
        profile-likelihood upper bound (level ``1 - alpha``) and a likelihood-ratio p-value
        (both with the dispersion held at its estimate).
    """
    sep = [j for j in separable if X[:, j].any() and not y[X[:, j] != 0].any()]
    if sep:
        return _fit_separated(
            y,
            X,
            names=names,
            family=family,
            offset=offset,
            cov_type=cov_type,
            maxlags=maxlags,
            where=where,
            separated=sep,
            alpha=alpha,
        )
    if family not in FAMILIES:
        raise ModelSpecError(f"family must be one of {FAMILIES}, got {family!r}")
    nb_alpha: float | None
    nb_alpha_se: float | None
    if cov_type not in COV_TYPES:
        raise ModelSpecError(f"cov_type must be one of {COV_TYPES}, got {cov_type!r}")
    n = len(y)
    fit_kwargs: dict[str, Any] = {}
    if cov_type == "hac":
        lags = maxlags if maxlags is not None else int(np.floor(4 * (n / 100) ** (2 / 9)))
        fit_kwargs = {"cov_type": "HAC", "cov_kwds": {"maxlags": lags}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pois = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset)
        pois_res = (
            pois.fit(**fit_kwargs)
            if family != "quasipoisson"
            else pois.fit(scale="X2", **fit_kwargs)
        )
        mu_p = pois_res.fittedvalues
        pearson = float(np.sum((y - mu_p) ** 2 / np.maximum(mu_p, 1e-300)) / max(n - X.shape[1], 1))
        if family == "negbin":
            res = _fit_nb(y, X, offset, np.asarray(pois_res.params), fit_kwargs)
            boundary = (
                res is None
                or not np.all(np.isfinite(res.params))
                or res.params[-1] < _ALPHA_BOUNDARY
                or res.llf <= pois_res.llf + 1e-9
            )
            if boundary or res is None:
                # no overdispersion: the NB2 maximum sits on alpha = 0, the Poisson model
                res = pois_res
                params = np.asarray(res.params)
                cov = np.asarray(res.cov_params())
                nb_alpha, nb_alpha_se = 0.0, float("nan")
                converged = bool(getattr(res, "converged", True))
            else:
                params = np.asarray(res.params[:-1])
                cov_full = np.asarray(res.cov_params())
                cov = cov_full[:-1, :-1]
                nb_alpha = float(res.params[-1])
                nb_alpha_se = float(np.sqrt(max(cov_full[-1, -1], 0.0)))
                converged = bool(res.mle_retvals.get("converged", True))
            llf = float(res.llf)
            scale = 1.0
        else:
            res = pois_res
            params = np.asarray(res.params)
            cov = np.asarray(res.cov_params())
            nb_alpha, nb_alpha_se = None, None
            converged = bool(getattr(res, "converged", True))
            llf = float(res.llf)
            scale = float(res.scale)
    if family == "negbin" and nb_alpha == 0.0:
        caught = []  # the NB attempt ended on the Poisson boundary; the Poisson fit is used
    problems = [
        str(w.message)
        for w in caught
        if issubclass(w.category, _sm_trouble()) or "overflow" in str(w.message)
    ]
    if not converged or not np.all(np.isfinite(cov)) or problems:
        detail = f" ({problems[0]})" if problems else ""
        warn(
            f"the {family} model{where} did not converge cleanly{detail}; estimates may be "
            "unreliable (few events, a group that is almost all zero, or an event window "
            "with no events)",
            ConvergenceWarning,
        )
    return CountFit(
        family=family,
        names=list(names),
        params=params,
        cov=cov,
        nb_alpha=nb_alpha,
        nb_alpha_se=nb_alpha_se,
        scale=scale,
        llf=llf,
        llf_poisson=float(pois_res.llf),
        pearson_dispersion=pearson,
        n_obs=n,
        converged=converged,
        cov_type=cov_type,
        raw=res,
    )


def _fit_separated(
    y: np.ndarray,
    X: np.ndarray,
    *,
    names: list[str],
    family: str,
    offset: np.ndarray | None,
    cov_type: str,
    maxlags: int | None,
    where: str,
    separated: list[int],
    alpha: float,
) -> CountFit:
    """Fit with columns whose estimates diverge to minus infinity (see ``fit_counts``)."""
    keep_rows = ~np.any(X[:, separated] != 0, axis=1)
    keep_cols = [j for j in range(X.shape[1]) if j not in separated]
    off = None if offset is None else offset[keep_rows]
    reduced = fit_counts(
        y[keep_rows],
        X[np.ix_(keep_rows, keep_cols)],
        names=[names[j] for j in keep_cols],
        family=family,
        offset=off,
        cov_type=cov_type,
        maxlags=maxlags,
        where=where,
    )
    k = X.shape[1]
    params = np.full(k, -np.inf)
    params[keep_cols] = reduced.params
    cov = np.full((k, k), np.nan)
    cov[np.ix_(keep_cols, keep_cols)] = reduced.cov
    crit = stats.chi2.ppf(1 - alpha, 1)
    nb_alpha = reduced.nb_alpha or 0.0
    # the reduced model's llf at the fixed dispersion (equal to reduced.llf for NB/Poisson)
    info: dict[int, tuple[float, float]] = {}
    for j in separated:
        others = [c for c in range(k) if c != j]

        def profile(t: float, j: int = j, others: list[int] = others) -> float:
            extra = t * X[:, j]
            o = extra if offset is None else offset + extra
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return _fit_quiet(y, X[:, others], nb_alpha=nb_alpha, offset=o)

        target = reduced.llf - crit / 2
        hi = 5.0
        try:
            upper = float(
                optimize.brentq(lambda t, lv=target: profile(t) - lv, -30.0, hi, xtol=1e-4)
            )
        except ValueError:
            upper = hi if profile(hi) > target else float("-inf")
        without = profile(0.0)
        lr = max(0.0, 2 * (reduced.llf - without))
        info[j] = (upper, float(stats.chi2.sf(lr, 1)))
    return replace(reduced, names=list(names), params=params, cov=cov, n_obs=len(y), separated=info)


def _fit_quiet(
    y: np.ndarray, X: np.ndarray, *, nb_alpha: float, offset: np.ndarray | None
) -> float:
    """Maximised log-likelihood over beta at a fixed dispersion (used for profiles)."""
    family = (
        sm.families.Poisson() if nb_alpha <= 0 else sm.families.NegativeBinomial(alpha=nb_alpha)
    )
    return float(sm.GLM(y, X, family=family, offset=offset).fit(maxiter=100).llf)


def _fit_nb(
    y: np.ndarray,
    X: np.ndarray,
    offset: np.ndarray | None,
    start: np.ndarray,
    fit_kwargs: dict[str, Any],
) -> Any | None:
    """Fit statsmodels' NB2 model robustly (``None``: the maximum is at alpha = 0).

    Newton's method from the Poisson estimates and a moment estimate of the dispersion
    converges in a few steps on most data. When it does not (it can step to a negative
    dispersion near the Poisson boundary, or stall on large counts), the dispersion is
    found by maximising the profile likelihood (a negative-binomial GLM fitted by IRLS for
    each value), and Newton's method is restarted from that point, so that the returned
    estimates and covariance are statsmodels' joint maximum-likelihood ones.
    """
    model = sm.NegativeBinomial(y, X, loglike_method="nb2", offset=offset)
    eta = X @ start + (0.0 if offset is None else offset)
    mu = np.exp(eta)
    alpha0 = float(np.clip(np.mean(((y - mu) ** 2 - y) / np.maximum(mu, 1e-8) ** 2), 0.01, 10.0))

    def newton(params: np.ndarray) -> Any:
        with np.errstate(all="ignore"):
            return model.fit(
                start_params=params, method="newton", maxiter=100, tol=1e-10, disp=0, **fit_kwargs
            )

    res = newton(np.append(start, alpha0))
    if _nb_ok(res):
        return res
    beta, alpha = _profile_nb(y, X, offset, start)
    if alpha < 10 * _ALPHA_BOUNDARY:
        return None  # the maximum is on the Poisson boundary
    res = newton(np.append(beta, alpha))
    if _nb_ok(res):
        return res
    with np.errstate(all="ignore"):
        return model.fit(
            start_params=np.append(beta, alpha),
            method="bfgs",
            maxiter=2000,
            gtol=1e-8,
            disp=0,
            **fit_kwargs,
        )


def _nb_ok(res: Any) -> bool:
    params = np.asarray(res.params)
    return bool(
        np.all(np.isfinite(params))
        and params[-1] > 0
        and res.mle_retvals.get("converged", False)
        and np.all(np.isfinite(np.asarray(res.bse)))
    )


def _profile_nb(
    y: np.ndarray, X: np.ndarray, offset: np.ndarray | None, start: np.ndarray
) -> tuple[np.ndarray, float]:
    """Maximise the NB2 likelihood over log(alpha), with beta from an IRLS fit at each alpha."""
    state = {"beta": start}

    def negllf(log_alpha: float) -> float:
        glm = sm.GLM(
            y, X, family=sm.families.NegativeBinomial(alpha=float(np.exp(log_alpha))), offset=offset
        )
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            r = glm.fit(start_params=state["beta"], maxiter=100)
        state["beta"] = np.asarray(r.params)
        return -float(r.llf)

    best = optimize.minimize_scalar(
        negllf, bounds=(np.log(1e-8), np.log(1e3)), method="bounded", options={"xatol": 1e-6}
    )
    alpha = float(np.exp(best.x))
    negllf(float(best.x))
    return np.asarray(state["beta"]), alpha


def mean_band(
    fit: CountFit, X: np.ndarray, offset: np.ndarray | None, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fitted mean and its confidence band (delta method on the log scale).

    Rows covered by a separated column have mean 0; their upper bound uses the column's
    profile-likelihood bound.
    """
    finite, cov = fit.finite_cov
    Xf = X[:, finite]
    eta = Xf @ fit.params[finite] + (0.0 if offset is None else offset)
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", Xf, cov, Xf), 0, None))
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(over="ignore"):
        mean, lower, upper = np.exp(eta), np.exp(eta - z * se), np.exp(eta + z * se)
    for j, (bound, _p) in fit.separated.items():
        hit = X[:, j] != 0
        upper = np.where(hit, np.exp(eta + z * se + bound * X[:, j]), upper)
        mean = np.where(hit, 0.0, mean)
        lower = np.where(hit, 0.0, lower)
    return mean, lower, upper


def simulate_means(
    fit: CountFit, X: np.ndarray, offset: np.ndarray | None, *, n_sim: int, seed: int | None
) -> np.ndarray:
    """Means ``exp(X beta*)`` for ``n_sim`` draws of beta from N(beta_hat, cov): (n, n_sim).

    Separated columns keep their ``-inf`` coefficient (mean 0 where they are non-zero).
    """
    rng = np.random.default_rng(seed)
    finite, cov = fit.finite_cov
    draws = rng.multivariate_normal(fit.params[finite], cov, size=n_sim, method="eigh")
    eta = X[:, finite] @ draws.T
    if offset is not None:
        eta = eta + offset[:, None]
    for j in fit.separated:
        eta = np.where((X[:, j] != 0)[:, None], -np.inf, eta)
    with np.errstate(over="ignore"):
        return np.exp(eta)


def cumulative_band(
    fit: CountFit,
    X: np.ndarray,
    offset: np.ndarray | None,
    *,
    alpha: float,
    n_sim: int,
    seed: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Band of the running sum of the means over ``n_sim`` coefficient draws.

    Returns the ``alpha/2`` and ``1 - alpha/2`` quantiles (linear interpolation between
    order statistics, as ``numpy.quantile``) of ``cumsum(exp(X beta*))`` for
    ``beta* ~ N(beta_hat, cov)``, per row. Sorting each row of draws once is several
    times faster than ``numpy.quantile`` on the cumulated draws.
    """
    rng = np.random.default_rng(seed)
    finite, cov = fit.finite_cov
    draws = rng.multivariate_normal(fit.params[finite], cov, size=n_sim, method="eigh")
    eta = X[:, finite] @ draws.T  # (rows, n_sim): the running sum goes down the rows
    if offset is not None:
        eta += offset[:, None]
    for j in fit.separated:
        eta[X[:, j] != 0, :] = -np.inf
    with np.errstate(over="ignore"):
        np.exp(eta, out=eta)
    np.cumsum(eta, axis=0, out=eta)
    eta.sort(axis=1)
    return _order_quantile(eta, alpha / 2), _order_quantile(eta, 1 - alpha / 2)


def _order_quantile(sorted_draws: np.ndarray, q: float) -> np.ndarray:
    """Quantile ``q`` per row of draws sorted along axis 1 (numpy's linear method)."""
    position = q * (sorted_draws.shape[1] - 1)
    below = int(np.floor(position))
    above = min(below + 1, sorted_draws.shape[1] - 1)
    frac = position - below
    return sorted_draws[:, below] + frac * (sorted_draws[:, above] - sorted_draws[:, below])
