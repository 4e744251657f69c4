"""Probabilistic forecasts of daily counts: :func:`forecast`."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from flashpoint.models._base import ResultMixin, check_alpha, check_choice, split_counts
from flashpoint.models.forecast._models import FAMILIES, MODELS, _check_common, _predict, _stack
from flashpoint.models.forecast._predictive import _quantile
from flashpoint.models.hawkes import HawkesResult, fit_hawkes
from flashpoint.models.hawkes._fit import _parse_exogenous
from flashpoint.schemas import COUNT, DATE

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["ForecastResult", "forecast"]


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
        return self._draw(history=history, events=events)


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
    check_choice("family", family, FAMILIES)
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
    out = _stack(frames, by)
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
