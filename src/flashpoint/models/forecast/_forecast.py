"""Probabilistic forecasts of daily counts: :func:`forecast`."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from flashpoint.models._base import CountSeries, ResultMixin, check_choice
from flashpoint.models._levels import fixed_level
from flashpoint.models.forecast._auto import _Forecaster, option_values, prepare, seed_field
from flashpoint.models.forecast._models import MODELS, _stack
from flashpoint.models.forecast._predictive import _Predictive, day_stats
from flashpoint.models.hawkes import HawkesResult, fit_hawkes
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
    selection
        ``model="auto"``: one row per group and candidate model: group column, ``model``,
        ``crps`` (mean CRPS of its forecasts over the inner backtest windows, in events;
        NaN: not scored in every window), ``n_windows`` (inner windows scored) and
        ``weight`` (its weight in the forecast). Empty for the other models.
    hawkes
        The fitted :class:`HawkesResult` when the forecast uses the Hawkes model, else
        ``None``.
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
    selection: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)
    hawkes: HawkesResult | None = field(default=None, compare=False, repr=False)

    def summary(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per future day and group, with ``conf_level``.

        Parameters
        ----------
        alpha
            Only the forecast's level (``None`` or its ``alpha``): the prediction intervals
            are quantiles of simulated paths and cannot be recomputed at another level;
            forecast again with ``alpha=`` for another.
        """
        fixed_level(self.alpha, alpha, what="this forecast", kind="simulated prediction")
        out = self.forecast.copy()
        out["conf_level"] = self.conf_level
        return out

    def models_used(self) -> pd.DataFrame:
        """Per group, the model(s) in the forecast and their weights (``auto``: rows > 0)."""
        if self.selection.empty:
            cols = ([self.by] if self.by else []) + ["model", "weight"]
            rows = [([g] if self.by else []) + [self.model, 1.0] for g in self.groups]
            return pd.DataFrame(rows, columns=cols)
        used = self.selection[self.selection["weight"] > 0]
        return used.drop(columns=["crps", "n_windows"]).reset_index(drop=True)

    def _headline(self) -> str:
        total = self.forecast["mean"].sum()
        used = ""
        if self.model == "auto":
            table = self.models_used()
            parts = []
            for g in self.groups:
                rows = table if self.by is None else table[table[self.by] == g]
                mix = " + ".join(
                    f"{w:g} {m}" for m, w in zip(rows["model"], rows["weight"], strict=True)
                )
                parts.append(mix if self.by is None else f"{g}: {mix}")
            used = f" ({'; '.join(parts)})"
        return (
            f"{self.model} forecast{used}, {self.horizon} days from {self.origin.date()}, "
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
    model: Literal["auto", "hawkes", "negbin", "naive_mean", "seasonal_naive"] = "auto",
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
        Tidy daily counts (``date``, optional group column, ``count``), every group on the
        same calendar (as from :func:`flashpoint.count_daily`).
    horizon
        Days ahead.
    model
        ``"auto"`` (default): per group, the model that forecast the recent past best,
        hedged with the naive mean (see Notes); ``"hawkes"``: simulate from the fitted
        self-exciting model (:func:`fit_hawkes`, geometric kernel, no regimes), carrying
        each path's own simulated counts forward; ``"negbin"``: an intercept-only negative
        binomial fitted to the whole history; ``"naive_mean"``: Poisson with the mean of the
        last ``window`` days; ``"seasonal_naive"``: Poisson with the count of the same day
        ``season`` days before.
    by
        Group column (found by elimination when ``None``).
    n_sim
        Simulated paths of the Hawkes model.
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
        Hawkes model only: draw each path's parameters from the asymptotic normal law of
        the estimates (observed information; parameters on a bound stay fixed). ``False``
        (default): plug-in estimates, so intervals ignore estimation error.

    Returns
    -------
    ForecastResult
        ``forecast`` / ``summary()``: ``date``, group column (if any), ``horizon`` (days
        ahead), ``mean``, ``median``, ``pi_lower``, ``pi_upper`` (events per day), and
        ``conf_level`` in ``summary()``. ``selection`` and ``models_used()`` say which
        model(s) ``"auto"`` used per group and their inner backtest scores.

    Raises
    ------
    FlashpointValueError
        On a bad counts table or option, fewer than 3 days, groups on different
        calendars, a ``window`` or ``season`` longer than the series, an all-zero series
        with ``model="hawkes"``, or a forecast too large for the memory budget (the
        message names its size and the option that reduces it).

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

    ``"auto"``: a rolling-origin backtest inside the history. Every candidate (``hawkes``,
    ``negbin``, ``naive_mean``) is refitted at the origins ``n - H - 7 j`` (``j = 0 ..
    J-1``, ``J = min(4, max(2, ceil(21 / H)))``, at least 14 training days; the Hawkes
    model needs ``2 * max_lag``) and scored by its mean CRPS on the ``H`` days after each
    (``seasonal_naive``, a single week's counts as the rate, is not a candidate: it won
    inner windows by chance and then lost badly). The forecast is the equal mixture of the
    best-scoring candidate and ``naive_mean``, or ``naive_mean`` alone when it scored best
    or no inner window fits in the history. The hedge bounds the loss against the naive
    mean: CRPS is convex in the predictive distribution, so the mixture scores at most the
    average of its two parts (on the bundled data and simulated series it scored within 2%
    of the best naive baseline or better, ``benchmarks/bench_forecast.py``). Forecast
    combination: Bates & Granger (1969); Hyndman & Athanasopoulos (2021), section 13.4.

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
    >>> list(fc.selection.columns)  # the inner backtest behind model="auto"
    ['model', 'crps', 'n_windows', 'weight']
    >>> used = fc.models_used()  # its best model, hedged with the naive mean
    >>> float(used.loc[used["model"] == "naive_mean", "weight"].iloc[0])
    0.5
    """
    check_choice("model", model, MODELS)
    by, series, fc = prepare(
        counts,
        models=(model,),
        options=option_values(locals()),
        seed=seed,
        exogenous=exogenous,
        split={"by": by, "drop_all_zero": model == "hawkes", "what": f"model={model!r}"},
        scenario=True,
    )
    alpha = float(alpha)

    def fit_whole() -> HawkesResult:
        res = fit_hawkes(
            counts,
            by=by,
            exogenous=exogenous,
            family=family,
            max_lag=max_lag,
            multivariate=multivariate,
            alpha=alpha,
            ci_method="wald",
        )
        fc.hawkes_models = res.models
        return res

    preds, selection, hawkes = _final_laws(fc, model, fit_whole)
    history = counts[[c for c in (DATE, by, COUNT) if c is not None]].copy()
    return ForecastResult(
        alpha=alpha,
        by=by,
        groups=tuple(s.group for s in series),
        model=model,
        horizon=int(horizon),
        n_sim=int(n_sim),
        seed=seed_field(seed),
        parameter_uncertainty=parameter_uncertainty,
        origin=series[0].dates[-1],
        forecast=_forecast_frame(series, preds, horizon=horizon, alpha=alpha, by=by),
        history=history,
        selection=_stack(selection, by) if selection else pd.DataFrame(),
        hawkes=hawkes,
    )


def _final_laws(
    fc: _Forecaster, model: str, fit_whole: Any
) -> tuple[list[_Predictive], list[pd.DataFrame], HawkesResult | None]:
    """Predictive laws at the last day, the ``auto`` selection and the Hawkes fit (if used)."""
    n = fc.n
    if model == "hawkes":
        hawkes = fit_whole()
        return [p for p in fc.candidate(n, "hawkes") if p is not None], [], hawkes
    if model != "auto":
        return [p for p in fc.candidate(n, model) if p is not None], [], None
    weights, rows = fc.choose(n)
    hawkes = fit_whole() if any("hawkes" in w for w in weights) else None
    return fc.mixture(n, weights), [pd.DataFrame(rows)], hawkes


def _forecast_frame(
    series: list[CountSeries],
    preds: list[_Predictive],
    *,
    horizon: int,
    alpha: float,
    by: str | None,
) -> pd.DataFrame:
    frames = []
    for s, p in zip(series, preds, strict=True):
        st = day_stats(p, alpha=alpha)
        dates = pd.date_range(s.dates[-1] + pd.Timedelta(days=1), periods=horizon, freq="D")
        frames.append(
            pd.DataFrame(
                {
                    DATE: dates.astype(s.dates.dtype),
                    "group": s.group,
                    "horizon": np.arange(1, horizon + 1),
                    "mean": p.mean(),
                    "median": st.median,
                    "pi_lower": st.lower,
                    "pi_upper": st.upper,
                }
            )
        )
    return _stack(frames, by)
