"""Probabilistic forecasts of daily counts and their rolling-origin backtest.

``forecast`` gives, per future day and group, the predictive mean, median and prediction
interval: by simulation from a fitted self-exciting (Hawkes) NB model, from a negative
binomial fitted to the whole history, or from naive baselines (the mean of the last
``window`` days, the same weekday last week). ``backtest`` refits at rolling origins and
scores the predictive distributions with proper scoring rules (CRPS, log score).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special

from flashpoint.errors import FlashpointValueError
from flashpoint.models._base import (
    CountSeries,
    ResultMixin,
    check_alpha,
    check_choice,
    split_counts,
)
from flashpoint.models.hawkes import HawkesResult, fit_hawkes
from flashpoint.models.hawkes._engine import at_bound
from flashpoint.models.hawkes._fit import (
    _exo_on_grid,
    _Exogenous,
    _Model,
    _parse_exogenous,
    fit_models,
)
from flashpoint.models.hawkes._simulate import forward
from flashpoint.schemas import COUNT, DATE

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["BacktestResult", "ForecastResult", "backtest", "forecast"]

MODELS = ("hawkes", "negbin", "naive_mean", "seasonal_naive")
_TAIL = 1e-7


# ------------------------------------------------------------------------------------------
# predictive distributions: mixtures of Poisson / NB2 components
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Predictive:
    """Predictive law of one group over ``H`` days: the mean over ``S`` components.

    ``lam`` (S, H) are the component means and ``r`` (S,) the NB2 sizes (``None``:
    Poisson). For the Hawkes model a component is one simulated path, and ``lam`` its
    conditional mean given the simulated past (a Rao-Blackwellised mixture).
    """

    lam: np.ndarray
    r: np.ndarray | None

    def logpmf_components(self, k: np.ndarray) -> np.ndarray:
        """Log p(k) per component, ``k`` broadcastable to (S, H, ...)."""
        lam = np.maximum(self.lam, 1e-300)[..., None]
        if self.r is None:
            return k * np.log(lam) - lam - special.gammaln(k + 1.0)
        r = self.r[:, None, None]
        return (
            special.gammaln(k + r)
            - special.gammaln(r)
            - special.gammaln(k + 1.0)
            - r * np.log1p(lam / r)
            + k * (np.log(lam) - np.log(r + lam))
        )

    def upper(self) -> int:
        """Return a count above which the predictive mass is negligible (< 1e-7)."""
        m = float(self.lam.max())
        r = float(self.r.min()) if self.r is not None else np.inf
        sd = np.sqrt(m + (m * m / r if np.isfinite(r) else 0.0))
        k = int(np.ceil(m + 12 * sd + 10))
        return k

    def pmf(self) -> np.ndarray:
        """(H, K+1) probabilities of 0..K, the small tail beyond K added to K."""
        K = self.upper()
        k = np.arange(K + 1, dtype=float)[None, None, :]
        p = np.exp(self.logpmf_components(k)).mean(axis=0)
        p[:, -1] += np.clip(1.0 - p.sum(axis=1), 0.0, None)
        return p

    def mean(self) -> np.ndarray:
        return self.lam.mean(axis=0)

    def log_score(self, y: np.ndarray) -> np.ndarray:
        """-log p(y) per day (natural log; lower is better)."""
        lp = self.logpmf_components(np.asarray(y, dtype=float)[None, :, None])[..., 0]
        return -(special.logsumexp(lp, axis=0) - np.log(lp.shape[0]))


def _quantile(cdf: np.ndarray, q: float) -> np.ndarray:
    """Smallest k with F(k) >= q, per row."""
    return np.argmax(cdf >= q - 1e-12, axis=1).astype(float)


def crps_from_pmf(pmf: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Exact CRPS of count distributions given as (H, K+1) pmfs at observations ``y`` (H,).

    ``CRPS(F, y) = sum_{k>=0} (F(k) - 1{y <= k})**2`` (Czado, Gneiting & Held 2009).
    """
    cdf = np.cumsum(pmf, axis=1)
    K = pmf.shape[1] - 1
    k = np.arange(K + 1)[None, :]
    y = np.asarray(y)[:, None]
    body = ((cdf - (y <= k)) ** 2).sum(axis=1)
    return body + np.maximum(y[:, 0] - 1 - K, 0)


# ------------------------------------------------------------------------------------------
# model fitting per origin
# ------------------------------------------------------------------------------------------
def _fit_negbin(y: np.ndarray) -> tuple[float, float]:
    """ML mean and NB2 size r of an intercept-only negative binomial (r = inf: Poisson)."""
    m = float(y.mean())
    if m <= 0:
        return 0.0, np.inf
    if y.var() <= m:
        return m, np.inf

    def nll(logr: float) -> float:
        r = np.exp(logr)
        return -float(
            (
                special.gammaln(y + r)
                - special.gammaln(r)
                + r * np.log(r / (r + m))
                + y * np.log(m / (r + m))
            ).sum()
        )

    res = optimize.minimize_scalar(nll, bounds=(-6.0, 10.0), method="bounded")
    return m, float(np.exp(res.x))


def _baseline(s: CountSeries, model: str, horizon: int, *, window: int, season: int) -> _Predictive:
    y = s.y.astype(float)
    if model == "negbin":
        m, r = _fit_negbin(y)
        lam = np.full((1, horizon), max(m, 0.5 / len(y)))
        return _Predictive(lam=lam, r=None if not np.isfinite(r) else np.array([r]))
    if model == "naive_mean":
        m = y[-window:].mean()
        return _Predictive(lam=np.full((1, horizon), max(m, 0.5 / window)), r=None)
    # seasonal naive: the count on the same day of the last observed season
    idx = len(y) - season + (np.arange(horizon) % season)
    vals = np.where(idx >= 0, y[np.clip(idx, 0, None)], y.mean())
    return _Predictive(lam=np.maximum(vals, 0.5 / season)[None, :], r=None)


def _param_draws(m: _Model, n_sim: int, rng: np.random.Generator) -> np.ndarray:
    """Parameter vectors from the asymptotic normal law (free, estimable ones only)."""
    theta = m.theta
    ok = ~np.isnan(np.diag(m.cov)) & ~at_bound(m.design, theta)
    draws = np.tile(theta, (n_sim, 1))
    if ok.any():
        sub = m.cov[np.ix_(ok, ok)]
        w, V = np.linalg.eigh(0.5 * (sub + sub.T))
        z = rng.standard_normal((n_sim, int(ok.sum())))
        draws[:, ok] = theta[ok] + (z * np.sqrt(np.clip(w, 0, None))) @ V.T
    bounds = m.design.layout.bounds()
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    return np.clip(draws, lo, hi)


def _hawkes_predictive(
    m: _Model,
    horizon: int,
    *,
    n_sim: int,
    rng: np.random.Generator,
    parameter_uncertainty: bool,
) -> list[_Predictive]:
    d = m.design
    lay = d.layout
    L = m.max_lag
    n = d.y.shape[1]
    future = pd.date_range(m.dates[-1] + pd.Timedelta(days=1), periods=horizon, freq="D")
    future_x = (
        np.vstack([_exo_on_grid(e, future) for e in m.exo_future])
        if lay.J
        else np.zeros((0, horizon))
    )
    theta = _param_draws(m, n_sim, rng) if parameter_uncertainty else m.theta
    _, lam = forward(
        lay,
        theta,
        hist_y=d.y[:, n - L :],
        hist_x=m.exo_hist,
        future_x=future_x,
        tau=(n + np.arange(horizon)) / 365.25,
        mu_regime=lay.K_mu - 1,
        eta_regime=lay.K_eta - 1,
        fixed_kernel=d.fixed_kernel,
        rng=rng,
        n_sim=n_sim,
    )
    out = []
    th = np.broadcast_to(theta, (n_sim, lay.size))
    for gi in range(lay.G):
        r = np.exp(-th[:, lay.slices()["logdisp"]][:, gi]) if lay.negbin else None
        out.append(_Predictive(lam=lam[:, gi, :], r=r))
    return out


def _predict(
    series: list[CountSeries],
    model: str,
    horizon: int,
    *,
    window: int,
    season: int,
    n_sim: int,
    rng: np.random.Generator,
    multivariate: bool,
    exo: list[Any],
    max_lag: int,
    family: str,
    parameter_uncertainty: bool,
    models: Sequence[_Model] | None = None,
) -> list[_Predictive]:
    if model != "hawkes":
        return [_baseline(s, model, horizon, window=window, season=season) for s in series]
    if models is None:
        models = fit_models(
            series,
            multivariate=multivariate,
            exo=exo,
            fixed_kernel=None,
            max_lag=max_lag,
            regime_starts=(),
            trend=False,
            family=family,
            warn_user=False,
        )
    out: list[_Predictive] = []
    for m in models:
        out += _hawkes_predictive(
            m, horizon, n_sim=n_sim, rng=rng, parameter_uncertainty=parameter_uncertainty
        )
    return out


def _check_common(horizon: int, n_sim: int, window: int, season: int, max_lag: int) -> None:
    for name, v, lo in (
        ("horizon", horizon, 1),
        ("n_sim", n_sim, 10),
        ("window", window, 1),
        ("season", season, 1),
        ("max_lag", max_lag, 1),
    ):
        if not isinstance(v, int | np.integer) or v < lo:
            raise FlashpointValueError(f"{name} must be an integer >= {lo}, got {v!r}")


# ------------------------------------------------------------------------------------------
# forecast
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ForecastResult(ResultMixin):
    """Predictive distribution of the next ``horizon`` days, per group.

    Attributes
    ----------
    alpha, by, groups, model, horizon, n_sim, seed, parameter_uncertainty
        The inputs that matter (``seed`` as given).
    origin
        Last observed day.
    forecast
        ``date``, group column, ``horizon`` (days ahead, 1..H), ``mean``, ``median``,
        ``pi_lower``/``pi_upper`` (prediction interval at ``conf_level``), all in events per
        day.
    history
        The observed counts the forecast starts from.
    hawkes
        The fitted :class:`HawkesResult` (``model="hawkes"``), else ``None``.
    """

    alpha: float
    by: str | None
    groups: tuple[Hashable | None, ...]
    model: str
    horizon: int
    n_sim: int
    seed: int | None
    parameter_uncertainty: bool
    origin: pd.Timestamp
    forecast: pd.DataFrame = field(compare=False)
    history: pd.DataFrame = field(compare=False)
    hawkes: HawkesResult | None = field(default=None, compare=False, repr=False)

    @property
    def conf_level(self) -> float:
        """Level of the prediction intervals (``1 - alpha``)."""
        return 1.0 - self.alpha

    def summary(self) -> pd.DataFrame:
        """One row per future day and group, with ``conf_level``."""
        out = self.forecast.copy()
        out["conf_level"] = self.conf_level
        return out

    def _headline(self) -> str:
        total = self.forecast["mean"].sum()
        return (
            f"{self.model} forecast, {self.horizon} days from {self.origin.date()}, "
            f"{len(self.groups)} group(s), expected {total:.1f} events in total, "
            f"{self.conf_level:.0%} prediction intervals"
        )

    def plot(self, *, history: int | None = 90, events: Any = None) -> go.Figure:
        """Observed history, forecast median and prediction band per group."""
        from flashpoint.plots.hawkes import plot_forecast

        return plot_forecast(self, history=history, events=events)


def forecast(
    counts: pd.DataFrame,
    *,
    horizon: int = 14,
    model: Literal["hawkes", "negbin", "naive_mean", "seasonal_naive"] = "hawkes",
    by: str | None = None,
    n_sim: int = 2000,
    seed: int | np.random.Generator | None = None,
    alpha: float = 0.05,
    window: int = 28,
    season: int = 7,
    multivariate: bool = False,
    exogenous: Any = None,
    max_lag: int = 21,
    family: Literal["negbin", "poisson"] = "negbin",
    parameter_uncertainty: bool = False,
) -> ForecastResult:
    """Forecast daily counts with prediction intervals.

    Parameters
    ----------
    counts
        Tidy daily counts (``date``, optional group column, ``count``).
    horizon
        Days ahead.
    model
        ``"hawkes"``: simulate from the fitted self-exciting model (:func:`fit_hawkes`,
        geometric kernel, no regimes), carrying each path's own simulated counts forward;
        ``"negbin"``: an intercept-only negative binomial fitted to the whole history;
        ``"naive_mean"``: Poisson with the mean of the last ``window`` days;
        ``"seasonal_naive"``: Poisson with the count of the same day ``season`` days before.
    by
        Group column (found by elimination when ``None``).
    n_sim
        Simulated paths (``"hawkes"``).
    seed
        Seed or generator for the simulation.
    alpha
        1 - level of the prediction intervals.
    window
        Days averaged by ``"naive_mean"``.
    season
        Period in days of ``"seasonal_naive"``.
    multivariate, exogenous, max_lag, family
        Passed to the Hawkes fit. Exogenous events dated after the last day are used as
        known future events (a scenario); otherwise none are assumed.
    parameter_uncertainty
        ``"hawkes"`` only: draw each path's parameters from the asymptotic normal law of the
        estimates (observed information; parameters on a bound stay fixed). ``False``
        (default): plug-in estimates, so intervals ignore estimation error.

    Returns
    -------
    ForecastResult
        ``forecast`` / ``summary()``: ``date``, group column (if any), ``horizon`` (days
        ahead), ``mean``, ``median``, ``pi_lower``, ``pi_upper`` (events per day), and
        ``conf_level`` in ``summary()``.

    Raises
    ------
    FlashpointValueError
        On a bad counts table or option.

    See Also
    --------
    backtest : Rolling-origin evaluation of these forecasts.
    fit_hawkes : The self-exciting model.

    Notes
    -----
    Each forecast is a predictive distribution for the count of each future day: a
    mixture ``p(k) = (1/S) sum_s NB2(k; lambda_s, r)`` over ``S`` simulated paths, where
    ``lambda_s`` is the Hawkes intensity given the path's simulated past (a
    Rao-Blackwellised estimate of the predictive law; Poisson when ``family="poisson"``),
    or a single Poisson / NB2 law for the baselines. The mean is the mean of the
    mixture, the median and the interval bounds are its quantiles (smallest ``k`` with
    ``F(k) >= q``), so intervals of counts cover at least their level up to simulation
    error. Naive rates are floored at half an event per window so that log scores stay
    finite. Baselines as in Hyndman & Athanasopoulos, *Forecasting: Principles and
    Practice* (3rd ed., 2021).

    Examples
    --------
    >>> from flashpoint.models.hawkes import simulate_hawkes_counts
    >>> from flashpoint.models.forecast import forecast
    >>> simulated = simulate_hawkes_counts(300, background=0.6, branching_ratio=0.5, seed=4)
    >>> fc = forecast(simulated, horizon=7, n_sim=500, seed=1)
    >>> list(fc.forecast.columns)
    ['date', 'horizon', 'mean', 'median', 'pi_lower', 'pi_upper']
    >>> bool((fc.forecast["pi_lower"] <= fc.forecast["pi_upper"]).all())
    True
    """
    alpha = check_alpha(alpha)
    check_choice("model", model, MODELS)
    check_choice("family", family, ("negbin", "poisson"))
    _check_common(horizon, n_sim, window, season, max_lag)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    hawkes = None
    models = None
    if model == "hawkes":
        hawkes = fit_hawkes(
            counts,
            by=by,
            exogenous=exogenous,
            family=family,
            max_lag=max_lag,
            multivariate=multivariate,
            alpha=alpha,
            ci_method="wald",
        )
        models = hawkes.models
    by, _, series = split_counts(
        counts, by=by, freq="D", min_obs=3, drop_all_zero=model == "hawkes"
    )
    preds = _predict(
        series,
        model,
        horizon,
        window=window,
        season=season,
        n_sim=n_sim,
        rng=rng,
        multivariate=multivariate,
        exo=_parse_exogenous(exogenous),
        max_lag=max_lag,
        family=family,
        parameter_uncertainty=parameter_uncertainty,
        models=models,
    )
    frames = []
    for s, p in zip(series, preds, strict=True):
        cdf = np.cumsum(p.pmf(), axis=1)
        dates = pd.date_range(s.dates[-1] + pd.Timedelta(days=1), periods=horizon, freq="D")
        f = pd.DataFrame(
            {
                DATE: dates.astype(s.dates.dtype),
                "group": s.group,
                "horizon": np.arange(1, horizon + 1),
                "mean": p.mean(),
                "median": _quantile(cdf, 0.5),
                "pi_lower": _quantile(cdf, alpha / 2),
                "pi_upper": _quantile(cdf, 1 - alpha / 2),
            }
        )
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out = out.drop(columns="group") if by is None else out.rename(columns={"group": by})
    history = counts[[c for c in (DATE, by, COUNT) if c is not None]].copy()
    return ForecastResult(
        alpha=alpha,
        by=by,
        groups=tuple(s.group for s in series),
        model=model,
        horizon=int(horizon),
        n_sim=int(n_sim),
        seed=seed if isinstance(seed, int) else None,
        parameter_uncertainty=parameter_uncertainty,
        origin=series[0].dates[-1],
        forecast=out,
        history=history,
        hawkes=hawkes,
    )


# ------------------------------------------------------------------------------------------
# backtest
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class BacktestResult(ResultMixin):
    """Rolling-origin evaluation of forecasts with proper scores.

    Attributes
    ----------
    alpha, by, groups, models, baseline, score, horizon, initial, step, n_sim, seed
        The inputs that matter.
    origins
        The forecast origins (last day of each training window).
    scores
        One row per origin, model, group and day ahead: ``origin``, ``date``, group column,
        ``model``, ``horizon`` (days ahead), ``count`` (observed), ``mean`` (predicted
        events per day), ``crps`` (events), ``log_score`` (nats), ``covered`` (observed
        count inside the prediction interval), ``pit`` (randomised probability integral
        transform: uniform on [0, 1] when the forecasts are calibrated; Czado, Gneiting &
        Held 2009).
    """

    alpha: float
    by: str | None
    groups: tuple[Hashable | None, ...]
    models: tuple[str, ...]
    baseline: str
    score: str
    horizon: int
    initial: int
    step: int
    n_sim: int
    seed: int | None
    origins: tuple[pd.Timestamp, ...]
    scores: pd.DataFrame = field(compare=False)

    @property
    def conf_level(self) -> float:
        """Level of the prediction intervals whose coverage is reported."""
        return 1.0 - self.alpha

    def summary(self) -> pd.DataFrame:
        """One row per model: mean score, its standard error, skill and coverage.

        Columns: ``model``, ``score`` (``"crps"`` or ``"log"``), ``mean_score`` (lower is
        better; CRPS in events, log score in nats), ``std_err`` (across origins),
        ``skill`` (``1 - mean_score / mean_score of the baseline``; > 0 beats it),
        ``coverage`` (share of observed counts inside the prediction intervals),
        ``conf_level``, ``n_forecasts`` (scored days x groups), ``n_origins``.
        """
        col = "crps" if self.score == "crps" else "log_score"
        rows = []
        for model in self.models:
            s = self.scores[self.scores["model"] == model]
            per_origin = s.groupby("origin")[col].mean()
            rows.append(
                {
                    "model": model,
                    "score": self.score,
                    "mean_score": float(s[col].mean()),
                    "std_err": float(per_origin.std(ddof=1) / np.sqrt(len(per_origin)))
                    if len(per_origin) > 1
                    else np.nan,
                    "coverage": float(s["covered"].mean()),
                    "conf_level": self.conf_level,
                    "n_forecasts": len(s),
                    "n_origins": int(per_origin.size),
                }
            )
        out = pd.DataFrame(rows)
        base = out.loc[out["model"] == self.baseline, "mean_score"]
        ref = float(base.iloc[0]) if len(base) else np.nan
        out.insert(4, "skill", 1.0 - out["mean_score"] / ref)
        return out

    def _headline(self) -> str:
        s = self.summary().sort_values("mean_score")
        best = s.iloc[0]
        return (
            f"{len(self.origins)} origins x {self.horizon} days, {self.score} score; best "
            f"{best['model']} ({best['mean_score']:.3f}, skill {best['skill']:+.1%} vs "
            f"{self.baseline})"
        )

    def plot(self) -> go.Figure:
        """Mean score by days ahead, one line per model."""
        from flashpoint.plots.hawkes import plot_backtest

        return plot_backtest(self)


def backtest(
    counts: pd.DataFrame,
    *,
    horizon: int = 14,
    initial: int | None = None,
    step: int = 7,
    models: Sequence[str] = ("hawkes", "negbin", "naive_mean", "seasonal_naive"),
    baseline: str = "naive_mean",
    score: Literal["crps", "log"] = "crps",
    by: str | None = None,
    n_sim: int = 500,
    seed: int | np.random.Generator | None = None,
    alpha: float = 0.05,
    window: int = 28,
    season: int = 7,
    multivariate: bool = False,
    exogenous: Any = None,
    max_lag: int = 21,
    family: Literal["negbin", "poisson"] = "negbin",
) -> BacktestResult:
    """Rolling-origin backtest of count forecasts with proper scores.

    Parameters
    ----------
    counts
        Tidy daily counts (``date``, optional group column, ``count``).
    horizon
        Days ahead scored at each origin.
    initial
        Days in the first training window (default: half the series, at least
        ``2 * max_lag``).
    step
        Days between origins.
    models
        Models to compare (see :func:`forecast`).
    baseline
        Reference model of the skill score (must be in ``models``).
    score
        Score of the summary: ``"crps"`` (continuous ranked probability score, exact for
        count distributions) or ``"log"`` (negative log predictive probability). Both are
        kept in ``scores``.
    by, n_sim, seed, alpha, window, season, multivariate, exogenous, max_lag, family
        As in :func:`forecast`.

    Returns
    -------
    BacktestResult
        ``summary()`` has one row per model; ``scores`` one row per forecast day.

    Raises
    ------
    FlashpointValueError
        On bad options or a series too short for one origin.

    See Also
    --------
    forecast : One forecast.

    Notes
    -----
    Each origin ``o = initial, initial + step, ...`` (while ``o + horizon`` days exist) fits
    every model on days ``1..o`` and forecasts days ``o+1..o+horizon`` (Tashman 2000).
    Exogenous events after the origin are unknown at the origin and left out.
    CRPS is computed exactly from the predictive probabilities,
    ``CRPS(F, y) = sum_k (F(k) - 1{y <= k})**2`` (Gneiting & Raftery 2007; Czado, Gneiting
    & Held 2009); the log score is ``-log p(y)``. Both are negatively oriented (lower is
    better). Skill is ``1 - S_model / S_baseline``.

    Examples
    --------
    >>> from flashpoint.models.hawkes import simulate_hawkes_counts
    >>> from flashpoint.models.forecast import backtest
    >>> simulated = simulate_hawkes_counts(200, background=0.6, branching_ratio=0.5, seed=4)
    >>> bt = backtest(simulated, horizon=7, initial=150, step=14, n_sim=200, seed=1,
    ...               models=("negbin", "naive_mean"))
    >>> bt.summary()[["model", "n_forecasts", "n_origins"]]
            model  n_forecasts  n_origins
    0      negbin           28          4
    1  naive_mean           28          4
    """
    alpha = check_alpha(alpha)
    check_choice("score", score, ("crps", "log"))
    check_choice("family", family, ("negbin", "poisson"))
    models = tuple(models)
    if not models:
        raise FlashpointValueError("models must name at least one model")
    for m in models:
        check_choice("model", m, MODELS)
    if baseline not in models:
        raise FlashpointValueError(
            f"baseline {baseline!r} is not among models {models}; add it to models"
        )
    _check_common(horizon, n_sim, window, season, max_lag)
    if not isinstance(step, int | np.integer) or step < 1:
        raise FlashpointValueError(f"step must be an integer >= 1, got {step!r}")
    by, _, series = split_counts(counts, by=by, freq="D", min_obs=3, drop_all_zero=True)
    n = series[0].n
    if any(s.n != n for s in series):
        raise FlashpointValueError("every group must cover the same days (use fp.count_daily)")
    init = max(n // 2, 2 * max_lag) if initial is None else int(initial)
    if init < 2 * max_lag or init + horizon > n:
        raise FlashpointValueError(
            f"initial={init} leaves no origin: need 2 * max_lag ({2 * max_lag}) <= initial "
            f"<= n_days - horizon ({n} - {horizon})"
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    exo = _parse_exogenous(exogenous)
    origins = list(range(init, n - horizon + 1, step))
    rows = []
    for o in origins:
        train = [CountSeries(group=s.group, dates=s.dates[:o], y=s.y[:o]) for s in series]
        # exogenous events after the origin are not known at the origin: leave them out
        cut = series[0].dates[o - 1]
        exo_o = [
            _Exogenous(name=e.name, dates=e.dates[e.dates <= cut], x=e.x[e.dates <= cut])
            for e in exo
        ]
        for model in models:
            preds = _predict(
                train,
                model,
                horizon,
                window=window,
                season=season,
                n_sim=n_sim,
                rng=rng,
                multivariate=multivariate,
                exo=exo_o,
                max_lag=max_lag,
                family=family,
                parameter_uncertainty=False,
            )
            for s, p in zip(series, preds, strict=True):
                y = s.y[o : o + horizon]
                pmf = p.pmf()
                cdf = np.cumsum(pmf, axis=1)
                lo, hi = _quantile(cdf, alpha / 2), _quantile(cdf, 1 - alpha / 2)
                ar, top = np.arange(horizon), cdf.shape[1] - 1
                f_y = cdf[ar, np.minimum(y, top)]
                f_below = np.where(y > 0, cdf[ar, np.minimum(y - 1, top)], 0.0)
                pit = f_below + rng.uniform(size=horizon) * (f_y - f_below)
                rows.append(
                    pd.DataFrame(
                        {
                            "origin": s.dates[o - 1],
                            DATE: s.dates[o : o + horizon],
                            "group": s.group,
                            "model": model,
                            "horizon": np.arange(1, horizon + 1),
                            COUNT: y,
                            "mean": p.mean(),
                            "crps": crps_from_pmf(pmf, y),
                            "log_score": p.log_score(y),
                            "covered": (y >= lo) & (y <= hi),
                            "pit": pit,
                        }
                    )
                )
    scores = pd.concat(rows, ignore_index=True)
    scores = scores.drop(columns="group") if by is None else scores.rename(columns={"group": by})
    return BacktestResult(
        alpha=alpha,
        by=by,
        groups=tuple(s.group for s in series),
        models=models,
        baseline=baseline,
        score=score,
        horizon=int(horizon),
        initial=init,
        step=int(step),
        n_sim=int(n_sim),
        seed=seed if isinstance(seed, int) else None,
        origins=tuple(series[0].dates[o - 1] for o in origins),
        scores=scores,
    )
