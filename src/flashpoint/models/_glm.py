"""Count regressions (Poisson, quasi-Poisson, negative binomial) fitted with statsmodels.

A Gaussian family (identity link, ``"gaussian"``) is fitted the same way for continuous
outcomes; it is not in :data:`FAMILIES` (the count families every count model accepts)
but in :data:`ALL_FAMILIES`, for the models that offer it (:func:`flashpoint.fit_its`).

One wrapper, :func:`fit_counts`, fits a design with the requested family and covariance
and returns a :class:`CountFit` holding the estimates, their covariance, the dispersion and
an overdispersion test, so that every model reports them the same way. It also handles the
edges of the data in one place for every model built on it (ITS, trend, event study): a
term whose window holds no event (estimate minus infinity, profile-likelihood bound) and a
term that cannot be estimated at all (no event before it starts: ``NaN`` and a
:class:`~flashpoint.errors.NotEstimableWarning`); see :mod:`flashpoint.models._separation`.

:func:`mean_band`, :func:`predictive_band` and :func:`cumulative_band` turn a fit into
bands: of the mean (parameter uncertainty only) and predictive (parameters and count
noise).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from flashpoint._lazy import lazy_module
from flashpoint.errors import ConvergenceWarning, ModelSpecError, NotEstimableWarning
from flashpoint.models._base import warn
from flashpoint.models._likelihood import nb_logpmf
from flashpoint.models._separation import empty_window_bound, zero_mean_rows

sm = lazy_module("statsmodels.api")
linalg = lazy_module("scipy.linalg")
optimize = lazy_module("scipy.optimize")
special = lazy_module("scipy.special")
stats = lazy_module("scipy.stats")

__all__ = [
    "ALL_FAMILIES",
    "FAMILIES",
    "GAUSSIAN",
    "CountFit",
    "cumulative_band",
    "fit_counts",
    "mean_band",
    "predictive_band",
]

FAMILIES: tuple[str, ...] = ("negbin", "poisson", "quasipoisson")
GAUSSIAN = "gaussian"
ALL_FAMILIES: tuple[str, ...] = (*FAMILIES, GAUSSIAN)
COV_TYPES: tuple[str, ...] = ("model", "hac")
_ALPHA_BOUNDARY = 1e-6  # NB2 dispersion below this is the Poisson boundary
# Gauss-Hermite rule (probabilists') for the parameter part of predictive bands
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(3)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


def _sm_trouble() -> tuple[type[Warning], ...]:
    """Return statsmodels' warnings that mean a fit did not go cleanly."""
    exc = sm.tools.sm_exceptions
    return (exc.ConvergenceWarning, exc.HessianInversionWarning, exc.PerfectSeparationWarning)


@dataclass(frozen=True, slots=True)
class CountFit:
    """A fitted count regression.

    ``params``/``cov`` cover the regression coefficients only (for the negative binomial,
    the dispersion ``nb_alpha`` is reported separately: ``Var(y) = mu + nb_alpha * mu**2``).
    ``llf`` is the maximised log-likelihood; for the quasi-Poisson family it is the Poisson
    log-likelihood (not divided by ``scale``): divide differences by :attr:`dispersion`.
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
    not_estimable: tuple[int, ...] = ()
    """Columns whose estimate diverges with others (e.g. a step with no event before it):
    ``params`` and ``cov`` are ``nan`` there."""
    zero_rows: np.ndarray | None = field(default=None, repr=False)
    """Rows of the data whose fitted mean is 0 because of ``not_estimable`` columns."""
    mean_params: np.ndarray | None = field(default=None, repr=False)
    """Coefficients that reproduce the fitted means when some are not estimable (0 for the
    columns left out of the fit); ``None``: ``params``."""
    mean_cov: np.ndarray | None = field(default=None, repr=False)
    """Covariance of ``mean_params`` (``None``: ``cov``)."""

    @property
    def std_err(self) -> np.ndarray:
        """Standard errors of ``params`` (``nan`` for separated columns)."""
        return np.sqrt(np.clip(np.diag(self.cov), 0, None))

    @property
    def dispersion(self) -> float:
        """Divisor of likelihood-ratio statistics: ``scale`` for quasi-Poisson, else 1."""
        return self.scale if self.family == "quasipoisson" else 1.0

    @property
    def variance_scale(self) -> float:
        """Factor between the covariance and the inverse weighted information ``(X'WX)^-1``.

        The Pearson scale for quasi-Poisson, the residual variance for Gaussian, else 1.
        """
        return self.scale if self.family in ("quasipoisson", GAUSSIAN) else 1.0

    def working_weights(self, mu: np.ndarray) -> np.ndarray:
        """IRLS weights at the means: ``mu / (1 + nb_alpha mu)`` (log link), 1 (Gaussian)."""
        if self.family == GAUSSIAN:
            return np.ones_like(mu)
        return mu / (1.0 + (self.nb_alpha or 0.0) * mu)

    def score_residuals(self, y: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """Residuals whose products with a column sum to its score (up to the scale)."""
        if self.family == GAUSSIAN:
            return y - mu
        return (y - mu) / (1.0 + (self.nb_alpha or 0.0) * mu)

    @property
    def finite_cov(self) -> tuple[list[int], np.ndarray]:
        """Columns that enter the fitted means and their covariance block."""
        params = self.params if self.mean_params is None else self.mean_params
        cov = self.cov if self.mean_cov is None else self.mean_cov
        finite = [
            j
            for j in range(len(params))
            if j not in self.separated and np.isfinite(params[j]) and np.isfinite(cov[j, j])
        ]
        return finite, cov[np.ix_(finite, finite)]

    @property
    def working_params(self) -> np.ndarray:
        """``mean_params`` when some columns are not estimable, else ``params``."""
        return self.params if self.mean_params is None else self.mean_params

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
        ``"poisson"`` (``GLM`` Poisson), ``"quasipoisson"`` (``GLM`` Poisson with the
        Pearson chi2 scale) or ``"gaussian"`` (``GLM`` Gaussian, identity link: least
        squares, ``scale`` the residual variance ``RSS / (n - p)``; ``y`` may be any real
        values; no offset, no separation).
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
        (:func:`~flashpoint.models._separation.empty_window_bound`; the statistic is
        divided by the Pearson dispersion for quasi-Poisson, the NB dispersion is held
        at its estimate).

    Warns
    -----
    NotEstimableWarning
        When the estimates of some columns diverge together (e.g. a step with all-zero
        counts before it): those columns get ``nan`` (``CountFit.not_estimable``) and the
        rows they drive to a zero mean are fitted as 0 (``CountFit.zero_rows``).
    ConvergenceWarning
        When statsmodels reports trouble.
    """
    if family not in ALL_FAMILIES:
        raise ModelSpecError(f"family must be one of {ALL_FAMILIES}, got {family!r}")
    if cov_type not in COV_TYPES:
        raise ModelSpecError(f"cov_type must be one of {COV_TYPES}, got {cov_type!r}")
    kwargs: dict[str, Any] = {
        "names": list(names),
        "family": family,
        "offset": offset,
        "cov_type": cov_type,
        "maxlags": maxlags,
        "where": where,
    }
    if family == GAUSSIAN:
        return _fit_regular(y, X, **kwargs)
    sep = [j for j in separable if X[:, j].any() and not y[X[:, j] != 0].any()]
    if sep:
        return _fit_separated(y, X, separated=sep, alpha=alpha, **kwargs)
    zero = zero_mean_rows(y, X)
    if zero.any():
        return _fit_not_estimable(y, X, zero=zero, **kwargs)
    return _fit_regular(y, X, **kwargs)


def _fit_regular(
    y: np.ndarray,
    X: np.ndarray,
    *,
    names: list[str],
    family: str,
    offset: np.ndarray | None,
    cov_type: str,
    maxlags: int | None,
    where: str,
) -> CountFit:
    """Fit a design whose maximum-likelihood estimate exists."""
    n = len(y)
    fit_kwargs: dict[str, Any] = {}
    if cov_type == "hac":
        lags = maxlags if maxlags is not None else int(np.floor(4 * (n / 100) ** (2 / 9)))
        fit_kwargs = {"cov_type": "HAC", "cov_kwds": {"maxlags": lags}}
    if family == GAUSSIAN:
        return _fit_gaussian(y, X, names=names, offset=offset, fit_kwargs=fit_kwargs, where=where)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pois = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset)
        pois_res = pois.fit(**fit_kwargs, **({"scale": "X2"} if family == "quasipoisson" else {}))
        mu_p = np.asarray(pois_res.fittedvalues)
        llf_poisson = float(sm.families.Poisson().loglike(y, mu_p))
        pearson = float(np.sum((y - mu_p) ** 2 / np.maximum(mu_p, 1e-300)) / max(n - X.shape[1], 1))
        if family == "negbin":
            res, params, cov, nb_alpha, nb_alpha_se, converged = _negbin_or_boundary(
                y, X, offset, pois_res, fit_kwargs
            )
            llf = float(res.llf)
        else:
            res, params, cov = (
                pois_res,
                np.asarray(pois_res.params),
                np.asarray(pois_res.cov_params()),
            )
            nb_alpha, nb_alpha_se, llf = None, None, llf_poisson
            converged = bool(getattr(res, "converged", True))
    if family == "negbin" and nb_alpha == 0.0:
        caught = []  # the NB attempt ended on the Poisson boundary; the Poisson fit is used
    _warn_trouble(caught, converged=converged, cov=cov, family=family, where=where)
    return CountFit(
        family=family,
        names=list(names),
        params=params,
        cov=cov,
        nb_alpha=nb_alpha,
        nb_alpha_se=nb_alpha_se,
        scale=float(res.scale) if family == "quasipoisson" else 1.0,
        llf=llf,
        llf_poisson=llf_poisson,
        pearson_dispersion=pearson,
        n_obs=n,
        converged=converged,
        cov_type=cov_type,
        raw=res,
    )


def _fit_gaussian(
    y: np.ndarray,
    X: np.ndarray,
    *,
    names: list[str],
    offset: np.ndarray | None,
    fit_kwargs: dict[str, Any],
    where: str,
) -> CountFit:
    """Least squares as a Gaussian GLM (identity link); ``scale`` is ``RSS / (n - p)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sm.GLM(y, X, family=sm.families.Gaussian(), offset=offset).fit(**fit_kwargs)
    cov = np.asarray(res.cov_params())
    _warn_trouble(caught, converged=True, cov=cov, family=GAUSSIAN, where=where)
    scale = float(res.scale)
    return CountFit(
        family=GAUSSIAN,
        names=list(names),
        params=np.asarray(res.params),
        cov=cov,
        nb_alpha=None,
        nb_alpha_se=None,
        scale=scale,
        llf=float(res.llf),
        llf_poisson=float("nan"),
        pearson_dispersion=scale,
        n_obs=len(y),
        converged=True,
        cov_type="hac" if fit_kwargs else "model",
        raw=res,
    )


def _negbin_or_boundary(
    y: np.ndarray,
    X: np.ndarray,
    offset: np.ndarray | None,
    pois_res: Any,
    fit_kwargs: dict[str, Any],
) -> tuple[Any, np.ndarray, np.ndarray, float, float, bool]:
    """NB2 fit, or the Poisson fit when the NB2 maximum sits on ``alpha = 0``."""
    res = _fit_nb(y, X, offset, np.asarray(pois_res.params), fit_kwargs)
    if (
        res is None
        or not np.all(np.isfinite(res.params))
        or res.params[-1] < _ALPHA_BOUNDARY
        or res.llf <= pois_res.llf + 1e-9
    ):
        # no overdispersion: the NB2 maximum sits on alpha = 0, the Poisson model
        converged = bool(getattr(pois_res, "converged", True))
        cov = np.asarray(pois_res.cov_params())
        return pois_res, np.asarray(pois_res.params), cov, 0.0, float("nan"), converged
    cov_full = np.asarray(res.cov_params())
    return (
        res,
        np.asarray(res.params[:-1]),
        cov_full[:-1, :-1],
        float(res.params[-1]),
        float(np.sqrt(max(cov_full[-1, -1], 0.0))),
        bool(res.mle_retvals.get("converged", True)),
    )


def _warn_trouble(
    caught: list[warnings.WarningMessage],
    *,
    converged: bool,
    cov: np.ndarray,
    family: str,
    where: str,
) -> None:
    """One ConvergenceWarning when statsmodels reported trouble or the covariance is bad."""
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


def _fit_separated(
    y: np.ndarray,
    X: np.ndarray,
    *,
    separated: list[int],
    alpha: float,
    **kwargs: Any,
) -> CountFit:
    """Fit with columns whose estimates diverge to minus infinity (see ``fit_counts``)."""
    names, offset = kwargs["names"], kwargs["offset"]
    keep_rows = ~np.any(X[:, separated] != 0, axis=1)
    keep_cols = [j for j in range(X.shape[1]) if j not in separated]
    reduced = fit_counts(
        y[keep_rows],
        X[np.ix_(keep_rows, keep_cols)],
        **{
            **kwargs,
            "names": [names[j] for j in keep_cols],
            "offset": None if offset is None else offset[keep_rows],
        },
    )
    k = X.shape[1]
    params = np.full(k, -np.inf)
    params[keep_cols] = reduced.params
    cov = np.full((k, k), np.nan)
    cov[np.ix_(keep_cols, keep_cols)] = reduced.cov
    nb_alpha = reduced.nb_alpha or 0.0
    info: dict[int, tuple[float, float]] = {}
    for j in separated:
        others = [c for c in range(k) if c != j]

        def profile(t: float, j: int = j, others: list[int] = others) -> float:
            extra = t * X[:, j]
            o = extra if offset is None else offset + extra
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return _fit_quiet(y, X[:, others], nb_alpha=nb_alpha, offset=o)

        info[j] = empty_window_bound(
            profile, reduced.llf, dispersion=reduced.dispersion, alpha=alpha
        )
    return replace(
        reduced,
        names=list(names),
        params=params,
        cov=cov,
        n_obs=len(y),
        separated=info,
        **_expand(reduced, keep_rows, keep_cols, k),
    )


def _fit_not_estimable(
    y: np.ndarray, X: np.ndarray, *, zero: np.ndarray, **kwargs: Any
) -> CountFit:
    """Fit when some estimates diverge together (``zero``: the rows sent to a zero mean).

    The rows are taken out (their mean is 0 at the supremum of the likelihood); the columns
    that the remaining rows cannot identify are reported as ``nan``, and the last of them
    are left out until the design has full rank, so that the fit reproduces the means.
    """
    names, offset = kwargs["names"], kwargs["offset"]
    keep_rows = ~zero
    Xr = X[keep_rows]
    null = linalg.null_space(Xr)
    bad = [j for j in range(X.shape[1]) if np.max(np.abs(null[j]), initial=0.0) > 1e-8]
    keep_cols = list(range(X.shape[1]))
    for j in reversed(bad):  # leave out event columns (last) before the baseline
        trial = [c for c in keep_cols if c != j]
        if np.linalg.matrix_rank(Xr[:, trial]) == np.linalg.matrix_rank(Xr[:, keep_cols]):
            keep_cols = trial
    reduced = fit_counts(
        y[keep_rows],
        Xr[:, keep_cols],
        **{
            **kwargs,
            "names": [names[j] for j in keep_cols],
            "offset": None if offset is None else offset[keep_rows],
        },
    )
    where = kwargs["where"]
    warn(
        f"{', '.join(repr(names[j]) for j in bad)} cannot be estimated{where}: "
        f"{int(zero.sum())} observations with zero counts are fitted exactly by a rate of 0 "
        "(e.g. no event before a step starts), so the estimates diverge; they are reported "
        "as NaN, and so is the counterfactual. Start the series where events occur, or drop "
        "the term",
        NotEstimableWarning,
    )
    k = X.shape[1]
    expanded = _expand(reduced, keep_rows, keep_cols, k)
    params = expanded["mean_params"].copy()
    cov = expanded["mean_cov"].copy()
    params[bad] = np.nan
    cov[bad, :] = np.nan
    cov[:, bad] = np.nan
    zero_rows = zero.copy()
    if expanded["zero_rows"] is not None:
        zero_rows |= expanded["zero_rows"]
    return replace(
        reduced,
        names=list(names),
        params=params,
        cov=cov,
        n_obs=len(y),
        separated={keep_cols[j]: v for j, v in reduced.separated.items()},
        not_estimable=tuple(sorted(set(bad) | set(expanded["not_estimable"]))),
        zero_rows=zero_rows,
        mean_params=expanded["mean_params"],
        mean_cov=expanded["mean_cov"],
    )


def _expand(
    reduced: CountFit, keep_rows: np.ndarray, keep_cols: list[int], k: int
) -> dict[str, Any]:
    """Map the edge-case fields of a fit on a subset of rows/columns back to the full data."""
    mean_params = np.zeros(k)
    mean_params[keep_cols] = reduced.working_params
    mean_cov = np.zeros((k, k))
    mean_cov[np.ix_(keep_cols, keep_cols)] = (
        reduced.cov if reduced.mean_cov is None else reduced.mean_cov
    )
    zero_rows = None
    if reduced.zero_rows is not None:
        zero_rows = np.zeros(len(keep_rows), dtype=bool)
        zero_rows[np.flatnonzero(keep_rows)[reduced.zero_rows]] = True
    not_estimable = tuple(keep_cols[j] for j in reduced.not_estimable)
    return {
        "not_estimable": not_estimable,
        "zero_rows": zero_rows,
        "mean_params": mean_params,
        "mean_cov": mean_cov,
    }


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
    converges in a few steps on clearly overdispersed data. Near the Poisson boundary (a
    moment estimate of at most 0.01), or when Newton fails (it can stall on large counts),
    the dispersion is found by maximising the profile likelihood (a negative-binomial
    regression fitted by IRLS for each value), and Newton's method starts from that point,
    so that the returned estimates and covariance are statsmodels' joint maximum-likelihood
    ones.
    """
    model = sm.NegativeBinomial(y, X, loglike_method="nb2", offset=offset)
    eta = X @ start + (0.0 if offset is None else offset)
    mu = np.exp(eta)
    moment = float(np.mean(((y - mu) ** 2 - y) / np.maximum(mu, 1e-8) ** 2))
    alpha0 = float(np.clip(moment, 0.01, 10.0))

    def newton(params: np.ndarray) -> Any:
        with np.errstate(all="ignore"):
            return model.fit(
                start_params=params, method="newton", maxiter=100, tol=1e-10, disp=0, **fit_kwargs
            )

    if moment > 0.01:  # clearly overdispersed: Newton from the moment estimate
        res = newton(np.append(start, alpha0))
        if _nb_ok(res):
            return res
    # near the Poisson boundary Newton can step to a negative dispersion, where each of
    # statsmodels' Hessians costs a slow polygamma: profile the dispersion first
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
    state = {"beta": np.asarray(start, dtype=float)}

    def negllf(log_alpha: float) -> float:
        beta, llf = _nb_irls(y, X, offset, float(np.exp(log_alpha)), state["beta"])
        if np.all(np.isfinite(beta)):
            state["beta"] = beta
        return -llf

    best = optimize.minimize_scalar(
        negllf, bounds=(np.log(1e-8), np.log(1e3)), method="bounded", options={"xatol": 1e-6}
    )
    alpha = float(np.exp(best.x))
    negllf(float(best.x))
    return np.asarray(state["beta"]), alpha


def _nb_irls(
    y: np.ndarray,
    X: np.ndarray,
    offset: np.ndarray | None,
    alpha: float,
    beta: np.ndarray,
) -> tuple[np.ndarray, float]:
    """NB2 regression at a fixed dispersion: the coefficients and the log likelihood."""
    beta, mu, _converged = irls(y, X, offset, alpha, beta)
    with np.errstate(all="ignore"):
        llf = float(np.sum(nb_logpmf(y, mu, 1.0 / alpha)))
    return beta, (llf if np.isfinite(llf) else -np.inf)


def irls(
    y: np.ndarray,
    X: np.ndarray,
    offset: np.ndarray | None,
    nb_alpha: float,
    beta: np.ndarray,
    *,
    penalty: np.ndarray | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
    clip: float = 700.0,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Log-link NB2 regression at a fixed dispersion (Poisson at 0) by IRLS.

    With ``penalty`` ``S`` the coefficients maximise the likelihood minus ``b' S b / 2``
    (ridge). Each step solves the weighted normal equations (weights
    ``mu / (1 + nb_alpha mu)``): O(n k^2) a step in one matrix product, the cost that
    matters when the dispersion's profile needs some forty fits of a long series. The fit
    has converged when the fitted means stop moving: coefficients of nearly collinear
    columns (a spline basis) may drift along a flat ridge without changing them.

    Returns
    -------
    tuple
        The coefficients, the fitted means and whether the iteration converged.
    """
    off = 0.0 if offset is None else offset
    converged = False
    with np.errstate(all="ignore"):
        lin = X @ beta
        for _ in range(max_iter):
            eta = np.clip(lin + off, -clip, clip)
            mu = np.exp(eta)
            w = mu / (1.0 + nb_alpha * mu)
            z = eta - off + (y - mu) / np.maximum(mu, 1e-300)
            beta = _weighted_solve(X, w, z, penalty)
            new = X @ beta
            converged = bool(np.max(np.abs(new - lin)) <= tol * (1.0 + np.max(np.abs(new))))
            lin = new
            if converged:
                break
        mu = np.exp(np.clip(lin + off, -clip, clip))
    return beta, mu, converged


def _weighted_solve(
    X: np.ndarray, w: np.ndarray, z: np.ndarray, penalty: np.ndarray | None = None
) -> np.ndarray:
    """Solve ``(X' W X + S) b = X' W z`` (Cholesky; least squares if it is singular)."""
    xtw = X.T * w
    gram = xtw @ X if penalty is None else xtw @ X + penalty
    rhs = xtw @ z
    try:
        factor = linalg.cho_factor(gram, check_finite=False)
        return np.asarray(linalg.cho_solve(factor, rhs, check_finite=False))
    except (np.linalg.LinAlgError, ValueError):
        return np.asarray(np.linalg.lstsq(gram, rhs, rcond=None)[0])


def _linear_predictor(
    fit: CountFit, X: np.ndarray, offset: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, list[int], np.ndarray]:
    """``X beta`` (+ offset) over the columns that enter the means, its standard error."""
    finite, cov = fit.finite_cov
    Xf = X[:, finite]
    eta = Xf @ fit.working_params[finite] + (0.0 if offset is None else offset)
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", Xf, cov, Xf), 0, None))
    return eta, se, finite, cov


def mean_band(
    fit: CountFit,
    X: np.ndarray,
    offset: np.ndarray | None,
    alpha: float,
    *,
    counterfactual: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fitted mean and its confidence band (delta method on the log scale).

    The band covers parameter uncertainty only: it is exactly the band of ``exp(X beta*)``
    for coefficients drawn from their estimated normal distribution. Rows covered by a
    separated column have mean 0; their upper bound uses the column's profile-likelihood
    bound. ``X`` is the fitted design unless ``counterfactual`` is set; when columns are
    not estimable, the fitted rows they drive to zero have mean 0 (upper bound ``nan``)
    and a counterfactual is ``nan`` throughout.
    """
    eta, se, _finite, _cov = _linear_predictor(fit, X, offset)
    z = stats.norm.ppf(1 - alpha / 2)
    if fit.family == GAUSSIAN:  # identity link
        return eta, eta - z * se, eta + z * se
    with np.errstate(over="ignore"):
        mean, lower, upper = np.exp(eta), np.exp(eta - z * se), np.exp(eta + z * se)
    for j, (bound, _p) in fit.separated.items():
        hit = X[:, j] != 0
        upper = np.where(hit, np.exp(eta + z * se + bound * X[:, j]), upper)
        mean = np.where(hit, 0.0, mean)
        lower = np.where(hit, 0.0, lower)
    if fit.not_estimable:
        if counterfactual:
            return np.full(len(eta), np.nan), np.full(len(eta), np.nan), np.full(len(eta), np.nan)
        if fit.zero_rows is not None:
            mean, lower = np.where(fit.zero_rows, 0.0, mean), np.where(fit.zero_rows, 0.0, lower)
            upper = np.where(fit.zero_rows, np.nan, upper)
    return mean, lower, upper


def predictive_band(
    fit: CountFit, X: np.ndarray, offset: np.ndarray | None, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Predictive interval of a new count per row: parameter uncertainty and count noise.

    The predictive distribution of ``y*`` is the count distribution of the fit (NB2 with
    the estimated ``nb_alpha``, Poisson, or for quasi-Poisson the negative binomial with
    ``Var = phi mu``, i.e. size ``mu / (phi - 1)``; Poisson when ``phi <= 1``) mixed over
    the normal approximation of the linear predictor ``eta ~ N(eta_hat, se^2)``, which is
    integrated by 3-point Gauss-Hermite quadrature. The bounds are its exact ``alpha/2``
    and ``1 - alpha/2`` quantiles (integers: the smallest ``k`` with ``F(k) >= q``), so
    the interval covers a new count with probability at least ``1 - alpha``. Rows covered
    by a separated column, and every row when columns are not estimable, get ``nan``.
    For the Gaussian family the band is ``eta +- z sqrt(se^2 + scale)`` (not integers).
    """
    eta, se, _finite, _cov = _linear_predictor(fit, X, offset)
    n = len(eta)
    if fit.family == GAUSSIAN:
        half = stats.norm.ppf(1 - alpha / 2) * np.sqrt(se**2 + fit.scale)
        return eta - half, eta + half
    if fit.not_estimable:
        return np.full(n, np.nan), np.full(n, np.nan)
    with np.errstate(over="ignore"):
        mu = np.exp(eta[:, None] + se[:, None] * _GH_NODES[None, :])
    lower, upper = _mixture_quantiles(fit, mu, (alpha / 2, 1 - alpha / 2))
    for j in fit.separated:
        hit = X[:, j] != 0
        lower, upper = np.where(hit, np.nan, lower), np.where(hit, np.nan, upper)
    return lower, upper


_TABLE_CELLS = 2_000_000  # probability-table cells per block of rows
_TABLE_MAX_COUNT = 5_000  # above this, quantiles are found with the incomplete beta function


def _mixture_quantiles(fit: CountFit, mu: np.ndarray, probs: tuple[float, ...]) -> list[np.ndarray]:
    """Smallest integer ``k`` per row with mixture ``F(k) >= q``, for each ``q`` in probs.

    The probabilities of ``0, ..., K`` (``K`` a little above the largest quantile's
    gamma approximation) are summed per row: one log-pmf per cell
    (:func:`~flashpoint.models._likelihood.nb_logpmf`). Rows whose quantile lies beyond
    ``K``, and every row when ``K`` is very large, are searched with the regularised
    incomplete beta (gamma) function instead.
    """
    n = mu.shape[0]
    out = [np.full(n, np.nan) for _ in probs]
    live = np.flatnonzero(np.all(np.isfinite(mu), axis=1))
    mean, var = _count_moments(fit, mu[live])
    top = _gamma_quantile(mean, var, stats.norm.ppf(max(probs)))
    count_max = int(np.max(top, initial=0.0) * 1.2 + 10)
    if count_max <= _TABLE_MAX_COUNT:
        block = max(1, _TABLE_CELLS // (count_max + 1))
        for start in range(0, live.size, block):
            rows = live[start : start + block]
            cdf = np.cumsum(_mixture_pmf(fit, mu[rows], count_max), axis=1)
            for q, target in zip(probs, out, strict=True):
                reached = cdf >= q
                target[rows] = np.where(reached[:, -1], np.argmax(reached, axis=1), np.nan)
    for q, target in zip(probs, out, strict=True):
        missing = live[np.isnan(target[live])]
        if missing.size:
            target[missing] = _search_quantile(fit, mu[missing], q)
    return out


def _mixture_pmf(fit: CountFit, mu: np.ndarray, count_max: int) -> np.ndarray:
    """``P(Y = k)`` for ``k = 0..count_max`` per row, averaged over the quadrature means."""
    k = np.arange(count_max + 1, dtype=float)[None, :]
    total = np.zeros((mu.shape[0], count_max + 1))
    for node, weight in enumerate(_GH_WEIGHTS):
        m = mu[:, node : node + 1]
        total += weight * np.exp(nb_logpmf(k, m, _count_size(fit, m)))
    return total


def _count_size(fit: CountFit, mu: np.ndarray) -> np.ndarray | float:
    """NB size of the fit's count distribution (``inf``: Poisson)."""
    if fit.family == "negbin" and (fit.nb_alpha or 0.0) > 0:
        return 1.0 / float(fit.nb_alpha)  # type: ignore[arg-type]
    if fit.family == "quasipoisson" and fit.scale > 1.0:
        return np.maximum(mu, 1e-300) / (fit.scale - 1.0)
    return np.inf


def _count_cdf(fit: CountFit, k: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """``P(Y <= k)`` of the fit's count distribution, averaged over the quadrature means."""
    kk = np.maximum(k, 0.0)[:, None] + 1.0
    size = _count_size(fit, mu)
    if np.all(np.isinf(size)):
        cdf = special.gammaincc(kk, mu)
    else:
        cdf = special.betainc(size, kk, size / (size + mu))
    return np.where(k >= 0, cdf @ _GH_WEIGHTS, 0.0)


def _count_moments(fit: CountFit, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the mixture (a starting point for the quantile search)."""
    mean = mu @ _GH_WEIGHTS
    size = _count_size(fit, mu)
    second = (mu + mu**2 / size + mu**2) @ _GH_WEIGHTS
    return mean, np.maximum(second - mean**2, 1e-12)


def _search_quantile(fit: CountFit, mu: np.ndarray, q: float) -> np.ndarray:
    """Smallest integer ``k`` per row with mixture ``F(k) >= q``, by stepping from a guess."""
    mean, var = _count_moments(fit, mu)
    k = np.maximum(np.floor(_gamma_quantile(mean, var, stats.norm.ppf(q))), 0.0)
    rows = np.arange(len(k))
    cdf = _count_cdf(fit, k, mu)
    up = rows[cdf < q]
    while up.size:  # step up until F(k) >= q
        k[up] += 1
        cdf[up] = _count_cdf(fit, k[up], mu[up])
        up = up[cdf[up] < q]
    below = _count_cdf(fit, k - 1, mu)
    down = rows[below >= q]
    while down.size:  # step down while F(k - 1) >= q
        k[down] -= 1
        below[down] = _count_cdf(fit, k[down] - 1, mu[down])
        down = down[below[down] >= q]
    return k


def _gamma_quantile(mean: np.ndarray, var: np.ndarray, z: np.ndarray | float) -> np.ndarray:
    """Quantile of the gamma law with this mean and variance at normal score ``z``.

    Wilson & Hilferty (1931): ``X / mean`` is close to the cube of a normal variable with
    mean ``1 - u^2`` and sd ``u``, ``u = sd / (3 mean)``, so the quantile is ``mean (1 +
    u (z - u))^3``. Works in place on ``var`` (which it overwrites) to stay fast on the
    (rows, draws) arrays of :func:`cumulative_band`; 0 where the mean is 0.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.sqrt(var, out=var)
        u /= mean
        u *= 1.0 / 3.0
        root = np.subtract(z, u)
        root *= u
        root += 1.0
        np.fmax(root, 0.0, out=root)  # also turns the nan of a zero mean into 0
        out = np.multiply(root, root, out=u)  # the cube, in var's memory
        out *= root
        out *= mean
    return out


def cumulative_band(
    fit: CountFit,
    X: np.ndarray,
    offset: np.ndarray | None,
    *,
    alpha: float,
    n_sim: int,
    seed: int | None,
    predictive: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Band of the running sum of the counts (``predictive``) or of the means.

    For ``n_sim`` draws ``beta* ~ N(beta_hat, cov)``, the running sums of the means
    ``M_k = sum_{t <= k} exp(x_t beta*)`` are computed per row. With ``predictive=False``
    the band is their ``alpha/2`` and ``1 - alpha/2`` quantiles (parameter uncertainty
    only; for the Gaussian family the means are ``x_t beta*`` and the noise added for
    ``predictive=True`` is normal with variance ``k scale`` after ``k`` rows). With
    ``predictive=True`` (default) each draw also gets count noise: the running
    sum of the counts given ``beta*`` has mean ``M_k`` and variance ``V_k = M_k +
    nb_alpha * sum mu_t^2`` (NB2, the sum of squares taken at the point estimate, whose
    spread over the draws is of second order; ``phi M_k`` for quasi-Poisson, ``M_k`` for
    Poisson), and it is drawn from the gamma law with those moments (Wilson-Hilferty
    transform of one normal score per draw; the rows' marginal quantiles only need
    independent draws per row). Quantiles by linear interpolation between order statistics, as
    ``numpy.quantile``; partitioning each row of draws at the four order statistics
    needed is several times faster.
    """
    rng = np.random.default_rng(seed)
    finite, cov = fit.finite_cov
    draws = rng.multivariate_normal(fit.working_params[finite], cov, size=n_sim, method="eigh")
    eta = X[:, finite] @ draws.T  # (rows, n_sim): the running sum goes down the rows
    if offset is not None:
        eta += offset[:, None]
    for j in fit.separated:
        eta[X[:, j] != 0, :] = -np.inf
    if fit.family == GAUSSIAN:
        np.cumsum(eta, axis=0, out=eta)
        if predictive:
            rows = np.arange(1, len(eta) + 1, dtype=float)[:, None]
            eta += np.sqrt(rows * fit.scale) * rng.standard_normal(n_sim)[None, :]
    else:
        eta = _count_running_sums(fit, X, offset, eta, rng, finite=finite, predictive=predictive)
    probs = (alpha / 2, 1 - alpha / 2)
    eta.partition(sorted({k for q in probs for k in _order_positions(q, n_sim)[:2]}), axis=1)
    return _order_quantile(eta, probs[0]), _order_quantile(eta, probs[1])


def _count_running_sums(
    fit: CountFit,
    X: np.ndarray,
    offset: np.ndarray | None,
    eta: np.ndarray,
    rng: np.random.Generator,
    *,
    finite: list[int],
    predictive: bool,
) -> np.ndarray:
    """Return running sums of counts (``predictive``) or means from linear predictors.

    Works in the memory of ``eta``.
    """
    n_sim = int(eta.shape[1])
    with np.errstate(over="ignore"):
        np.exp(eta, out=eta)
    if predictive:
        noise = rng.standard_normal(n_sim)
        if fit.family == "negbin" and (fit.nb_alpha or 0.0) > 0:
            # sum mu_t^2 at the point estimate: its spread over the draws is second order
            mu_hat = np.exp(
                X[:, finite] @ fit.working_params[finite] + (offset if offset is not None else 0.0)
            )
            for j in fit.separated:
                mu_hat[X[:, j] != 0] = 0.0
            squares = float(fit.nb_alpha) * np.cumsum(mu_hat**2)  # type: ignore[arg-type]
            np.cumsum(eta, axis=0, out=eta)
            var = eta + squares[:, None]
        else:
            np.cumsum(eta, axis=0, out=eta)
            var = eta * max(fit.scale, 1.0) if fit.family == "quasipoisson" else eta.copy()
        return _gamma_quantile(eta, var, noise[None, :])
    np.cumsum(eta, axis=0, out=eta)
    return eta


def _order_positions(q: float, n: int) -> tuple[int, int, float]:
    """Order statistics around quantile ``q`` of ``n`` draws and the weight of the upper."""
    position = q * (n - 1)
    below = int(np.floor(position))
    return below, min(below + 1, n - 1), position - below


def _order_quantile(draws: np.ndarray, q: float) -> np.ndarray:
    """Quantile ``q`` per row (numpy's linear method) of draws partitioned along axis 1.

    The draws must be partitioned at the order statistics around ``q`` (sorting would do
    too; partitioning is faster).
    """
    below, above, frac = _order_positions(q, draws.shape[1])
    return draws[:, below] + frac * (draws[:, above] - draws[:, below])
