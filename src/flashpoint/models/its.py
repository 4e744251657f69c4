"""Interrupted time series: how the rate changed after events.

:func:`fit_its` fits a segmented count regression per group: a baseline (intercept and
trend, optional seasonality, day-of-week and exposure) plus one term per intervention event
with its response shape (step, slope, pulse, decay). It reports rate ratios with confidence
intervals, the counterfactual path without the events, and the excess attacks (observed
minus counterfactual) per day and cumulated, with intervals simulated from the parameter
covariance.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.errors import OverdispersionWarning
from flashpoint.models._base import (
    CountSeries,
    ResultMixin,
    check_alpha,
    check_choice,
    split_counts,
    warn,
    warn_if_short,
)
from flashpoint.models._glm import FAMILIES, CountFit, cumulative_band, fit_counts, mean_band
from flashpoint.models.design import (
    Design,
    EventSpec,
    as_event_specs,
    build_design,
    check_event_range,
    event_term_names,
    group_specs,
    time_unit,
)
from flashpoint.schemas import COUNT, DATE

if TYPE_CHECKING:
    import plotly.graph_objects as go

optimize = lazy_module("scipy.optimize")
stats = lazy_module("scipy.stats")

__all__ = ["ITSResult", "fit_its"]

TRENDS = ("linear", "spline", "none")
_HALF_LIFE_GRID = np.array([0.5, 1, 2, 3, 5, 7, 10, 14, 21, 30, 45, 60, 90, 120])


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ITSResult(ResultMixin):
    """Result of :func:`fit_its`.

    Attributes
    ----------
    family, trend, cov_type : str
        Model settings.
    alpha : float
        Significance level; intervals are at level ``conf_level = 1 - alpha``.
    freq : str
        Frequency of the series.
    time_unit : str
        Unit of trend and slope terms (``"week"`` for daily series).
    by : str or None
        Group column.
    groups : tuple
        Groups analysed, in order.
    events : tuple of EventSpec
        The interventions.
    n_sim, seed : int
        Simulation settings of the cumulative excess interval.
    coefficients : DataFrame
        Every model term per group: ``term, estimate, std_err, statistic, p_value,
        ci_lower, ci_upper`` (log scale).
    fitted : DataFrame
        Per date and group: ``count``, ``fitted`` (with ``fitted_lower/upper``),
        ``counterfactual`` (events removed; ``counterfactual_lower/upper``), ``excess``
        (count - counterfactual; ``excess_lower/upper``) and ``cumulative_excess`` from the
        first event on (``cumulative_excess_lower/upper``); attacks per period.
    dispersion : DataFrame
        Per group: ``n_obs``, ``nb_alpha`` (NB2 dispersion, ``Var = mu + alpha mu^2``),
        ``nb_alpha_se``, ``pearson_dispersion`` (Pearson chi2 / df of the Poisson fit),
        ``lr_statistic`` and ``lr_p_value`` (Poisson vs NB), ``converged``.
    fits : dict
        The fitted models per group (``CountFit``, holding the statsmodels result in
        ``.raw``).
    designs : dict
        The design matrices per group (DataFrames indexed by date).
    """

    family: str
    trend: str
    cov_type: str
    alpha: float
    freq: str
    time_unit: str
    by: str | None
    groups: tuple[Hashable, ...]
    events: tuple[EventSpec, ...]
    n_sim: int
    seed: int | None
    table: pd.DataFrame = field(compare=False)
    coefficients: pd.DataFrame = field(compare=False)
    fitted: pd.DataFrame = field(compare=False)
    dispersion: pd.DataFrame = field(compare=False)
    fits: Mapping[Hashable, CountFit] = field(compare=False)
    designs: Mapping[Hashable, pd.DataFrame] = field(compare=False)

    def summary(self) -> pd.DataFrame:
        """One row per group and event term.

        Returns
        -------
        pandas.DataFrame
            ``<by>`` (when grouped), ``event`` (label), ``shape``, ``term``, ``estimate``
            (log rate ratio), ``std_err``, ``statistic`` (z), ``p_value``, ``ci_lower``,
            ``ci_upper`` (log scale), ``ci_method`` (``"wald"``; ``"profile"`` when no
            event falls where the term is non-zero, e.g. a truce without attacks: the
            estimate is then ``-inf``, the rate ratio 0, its upper bound from the profile
            likelihood and the p-value from a likelihood-ratio test), ``rate_ratio``,
            ``rate_ratio_lower``, ``rate_ratio_upper`` (the multiplicative change in the
            rate: per ``time_unit`` for slopes, at the event for decays), ``half_life``
            (periods; decay only; ``half_life_lower/upper`` when estimated) and
            ``conf_level``.
        """
        return self.table.copy()

    def _headline(self) -> str:
        groups = ", ".join(map(str, self.groups)) if self.by else "one series"
        return (
            f"{self.family} ITS, trend={self.trend}, {len(self.events)} event(s), "
            f"{groups}; {self.conf_level:.0%} intervals"
        )

    def design_matrix(self, group: Hashable | None = None) -> pd.DataFrame:
        """Return the design matrix of one group (the only one when ungrouped)."""
        key = self.groups[0] if group is None else group
        return self.designs[key].copy()

    def plot(self) -> go.Figure:
        """Observed, fitted and counterfactual paths and cumulative excess (plotly)."""
        return self._draw()


def _decay_profile(
    s: CountSeries,
    specs: list[EventSpec],
    *,
    family: str,
    design_kwargs: dict[str, Any],
    alpha: float,
    where: str,
) -> tuple[list[EventSpec], dict[str, tuple[float, float, float]]]:
    """Estimate unknown half-lives by profile likelihood (coordinate-wise, two sweeps)."""
    unknown = [k for k, sp in enumerate(specs) if sp.shape == "decay" and sp.half_life is None]
    if not unknown:
        return specs, {}
    current = [replace(sp, half_life=7.0) if k in unknown else sp for k, sp in enumerate(specs)]
    offset = None if s.exposure is None else np.log(s.exposure)

    def llf_at(k: int, h: float) -> float:
        trial = list(current)
        trial[k] = replace(current[k], half_life=float(h))
        d = build_design(s.dates, trial, **design_kwargs, exposure=s.exposure)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fit_counts(
                s.y, d.X, names=d.names, family=family, offset=offset, where=where
            ).llf

    intervals: dict[str, tuple[float, float, float]] = {}
    crit = stats.chi2.ppf(1 - alpha, 1) / 2
    for _sweep in range(2):
        for k in unknown:
            grid_ll = np.array([llf_at(k, h) for h in _HALF_LIFE_GRID])
            j = int(np.argmax(grid_ll))
            lo = np.log(_HALF_LIFE_GRID[max(j - 1, 0)])
            hi = np.log(_HALF_LIFE_GRID[min(j + 1, len(_HALF_LIFE_GRID) - 1)])
            best = optimize.minimize_scalar(
                lambda lh, k=k: -llf_at(k, float(np.exp(lh))),
                bounds=(lo, hi),
                method="bounded",
                options={"xatol": 1e-3},
            )
            h_hat = float(np.exp(best.x))
            ll_max = -float(best.fun)
            current[k] = replace(current[k], half_life=h_hat)
            inside = _HALF_LIFE_GRID[grid_ll >= ll_max - crit]
            lower = float(inside.min()) if inside.size else h_hat
            upper = float(inside.max()) if inside.size else h_hat
            # refine the bounds between grid points by root finding on the profile
            lower = _profile_bound(
                lambda h, k=k: llf_at(k, h), h_hat, ll_max - crit, lower, down=True
            )
            upper = _profile_bound(
                lambda h, k=k: llf_at(k, h), h_hat, ll_max - crit, upper, down=False
            )
            intervals[event_term_names(current)[k]] = (h_hat, lower, upper)
    return current, intervals


def _profile_bound(llf: Any, h_hat: float, level: float, guess: float, *, down: bool) -> float:
    """Where the profile log-likelihood crosses ``level`` below/above ``h_hat``."""
    edge = _HALF_LIFE_GRID[0] if down else _HALF_LIFE_GRID[-1]
    if llf(edge) >= level:
        return 0.0 if down else float("inf")
    a, b = (edge, h_hat) if down else (h_hat, edge)
    try:
        return float(optimize.brentq(lambda h: llf(h) - level, a, b, xtol=1e-2 * max(guess, 1.0)))
    except ValueError:  # pragma: no cover - flat profile
        return guess


def fit_its(
    counts: pd.DataFrame,
    events: Any,
    *,
    by: str | None = None,
    family: str = "negbin",
    trend: str = "linear",
    spline_df: int = 4,
    seasonality: Mapping[float, int] | None = None,
    dow: bool = False,
    exposure: str | None = None,
    cov_type: str = "model",
    maxlags: int | None = None,
    alpha: float = 0.05,
    n_sim: int = 1000,
    seed: int | None = 0,
    min_pre: int = 14,
) -> ITSResult:
    r"""Fit an interrupted time series model with any number of events, per group.

    Parameters
    ----------
    counts
        Tidy counts (``date``, optional group column, ``count``) on a regular calendar,
        e.g. from :func:`flashpoint.count_daily` or :func:`flashpoint.resample`.
    events
        The interventions: a date (a step), an :class:`EventSpec`, a list of them, or a
        key-events frame (``date``, optional ``end``/``label``/``group``/``shape``/
        ``half_life``; rows with ``end`` are pulses).
    by
        Group column (found by elimination when ``None``). Every group gets its own model;
        an event with ``group`` set enters only that group's model.
    family
        ``"negbin"`` (default: NB2 with the dispersion estimated), ``"poisson"`` or
        ``"quasipoisson"`` (Poisson with Pearson-scaled standard errors).
    trend
        Baseline trend: ``"linear"`` (log-linear in time), ``"spline"`` (natural cubic
        spline with ``spline_df`` degrees of freedom) or ``"none"``.
    spline_df
        Degrees of freedom of the spline trend.
    seasonality
        Fourier terms ``{period: harmonics}`` with the period in observations, e.g.
        ``{7: 1}`` (weekly cycle of daily data) or ``{12: 2}`` (yearly cycle of monthly data).
    dow
        Add day-of-week indicators (daily series only).
    exposure
        Column of ``counts`` holding a positive exposure (days covered, population, ...),
        entered as ``log(exposure)`` offset; rates are then per unit of exposure.
    cov_type
        ``"model"`` (inverse information) or ``"hac"`` (heteroskedasticity and
        autocorrelation robust, Newey-West with ``maxlags`` lags).
    maxlags
        Lags of the HAC covariance (default ``floor(4 (n/100)^(2/9))``).
    alpha
        Significance level: intervals at level ``1 - alpha``.
    n_sim
        Coefficient draws for the interval of the cumulative excess.
    seed
        Seed of those draws (results are reproducible).
    min_pre
        Warn (:class:`~flashpoint.errors.FewPreEventDaysWarning`) when fewer observations
        precede an event.

    Returns
    -------
    ITSResult
        ``summary()`` gives one row per event term and group with the rate ratio and its
        interval; ``fitted`` holds the paths and excess attacks; ``plot()`` draws them.

    Raises
    ------
    EventRangeError
        When an event lies outside the data or events overlap so that an effect cannot be
        estimated (e.g. two steps on one date).
    ModelSpecError
        On an unknown family, trend, event shape or covariance type.
    FlashpointValueError
        When the counts are not a regular, complete calendar.

    Warns
    -----
    OverdispersionWarning
        When a Poisson model is fitted to overdispersed counts.
    FewPreEventDaysWarning, ShortSeriesWarning, AllZeroGroupWarning, ConvergenceWarning
        As their names say.

    See Also
    --------
    fit_trend : the trend alone.
    placebo_test : in-time and across-group placebo inference for one event.
    fit_event_study : average effect of many events of one kind.

    Notes
    -----
    The model for the count ``y_t`` of a group is

    .. math:: \log E[y_t] = \beta_0 + f(t) + \sum_k \beta_k x_{kt} + s(t) + \log e_t,

    with ``f`` the trend, ``x_k`` the event columns (see :mod:`flashpoint.models.design`),
    ``s`` seasonal terms and ``e_t`` the exposure; ``y_t`` is negative binomial (NB2,
    ``Var = mu + alpha mu^2``) or Poisson. ``exp(beta_k)`` is the rate ratio of event k.
    This is segmented regression for interrupted time series (Wagner et al. 2002, J Clin
    Pharm Ther 27:299-309; Bernal, Cummins & Gasparrini 2017, Int J Epidemiol 46:348-355)
    with a count likelihood. Unknown decay half-lives are estimated by profile likelihood
    (their uncertainty is not propagated into the other intervals). The counterfactual is
    the fitted mean with every event column set to zero. Its band is
    ``exp(eta +- z se)``, which is exactly the band of ``exp(X beta*)`` for coefficients
    ``beta*`` drawn from their estimated normal distribution; the daily excess band is the
    count minus that band; the cumulative excess band is the quantiles of the cumulated
    excess over ``n_sim`` such draws (parameter uncertainty only, not the count noise).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import flashpoint as fp
    >>> rng = np.random.default_rng(1)
    >>> dates = pd.date_range("2023-01-01", periods=120)
    >>> simulated = pd.DataFrame({"date": dates, "count": rng.poisson(
    ...     np.where(dates >= "2023-03-01", 4.0, 2.0))})
    >>> res = fp.fit_its(simulated, "2023-03-01", family="poisson", trend="none")
    >>> res.summary()[["event", "rate_ratio", "rate_ratio_lower", "rate_ratio_upper"]].round(2)
                 event  rate_ratio  rate_ratio_lower  rate_ratio_upper
    0  step 2023-03-01        1.67              1.34              2.07
    """
    alpha = check_alpha(alpha)
    check_choice("family", family, FAMILIES)
    check_choice("trend", trend, TRENDS)
    specs = as_event_specs(events)
    by, freq, series = split_counts(counts, by=by, exposure=exposure, min_obs=3, drop_all_zero=True)
    _unit, unit_name = time_unit(freq)
    design_kwargs: dict[str, Any] = {
        "freq": freq,
        "trend": trend,
        "spline_df": spline_df,
        "seasonality": seasonality,
        "dow": dow,
    }
    rows, coef_rows, fitted_frames, disp_rows = [], [], [], []
    fits: dict[Hashable, CountFit] = {}
    designs: dict[Hashable, pd.DataFrame] = {}
    z = stats.norm.ppf(1 - alpha / 2)
    for s in series:
        where = "" if s.group is None else f" for group {s.group!r}"
        mine = group_specs(specs, s.group)
        warn_if_short(s, 30, "an interrupted time series")
        for sp in mine:
            check_event_range(sp, s.dates, s.group, min_pre=min_pre)
        mine, half_lives = _decay_profile(
            s, mine, family=family, design_kwargs=design_kwargs, alpha=alpha, where=where
        )
        design = build_design(s.dates, mine, **design_kwargs, exposure=s.exposure)
        fit = fit_counts(
            s.y,
            design.X,
            names=design.names,
            family=family,
            offset=design.offset,
            cov_type=cov_type,
            maxlags=maxlags,
            where=where,
            separable=list(design.event_cols.values()),
            alpha=alpha,
        )
        fits[s.group] = fit
        designs[s.group] = design.frame(s.dates)
        if family == "poisson" and fit.pearson_dispersion > 1.5:
            warn(
                f"the counts{where} are overdispersed (Pearson dispersion "
                f"{fit.pearson_dispersion:.2f} > 1): Poisson standard errors are too small; "
                "use family='negbin' (default) or 'quasipoisson'",
                OverdispersionWarning,
            )
        lr, lr_p = fit.overdispersion_test()
        disp_rows.append(
            {
                "group": s.group,
                "n_obs": s.n,
                "nb_alpha": fit.nb_alpha,
                "nb_alpha_se": fit.nb_alpha_se,
                "pearson_dispersion": fit.pearson_dispersion,
                "lr_statistic": lr,
                "lr_p_value": lr_p,
                "converged": fit.converged,
            }
        )
        se = fit.std_err
        with np.errstate(invalid="ignore"):
            stat = fit.params / np.where(se > 0, se, np.nan)
        pvals = 2 * stats.norm.sf(np.abs(stat))
        for j, name in enumerate(design.names):
            coef_rows.append(
                {
                    "group": s.group,
                    "term": name,
                    "estimate": fit.params[j],
                    "std_err": se[j],
                    "statistic": stat[j],
                    "p_value": pvals[j],
                    "ci_lower": fit.params[j] - z * se[j],
                    "ci_upper": fit.params[j] + z * se[j],
                }
            )
        for sp, term in zip(mine, event_term_names(mine), strict=True):
            j = design.event_cols[term]
            est, err = fit.params[j], se[j]
            lo, hi, p_value, method = est - z * err, est + z * err, pvals[j], "wald"
            if j in fit.separated:  # no event where the column is non-zero
                lo, (hi, p_value), method = -np.inf, fit.separated[j], "profile"
            hl = half_lives.get(term)
            rows.append(
                {
                    "group": s.group,
                    "event": sp.name,
                    "shape": sp.shape,
                    "term": term,
                    "estimate": est,
                    "std_err": err,
                    "statistic": stat[j],
                    "p_value": p_value,
                    "ci_lower": lo,
                    "ci_upper": hi,
                    "ci_method": method,
                    "rate_ratio": _exp(est),
                    "rate_ratio_lower": _exp(lo),
                    "rate_ratio_upper": _exp(hi),
                    "half_life": sp.half_life if sp.shape == "decay" else np.nan,
                    "half_life_lower": hl[1] if hl else np.nan,
                    "half_life_upper": hl[2] if hl else np.nan,
                    "conf_level": 1 - alpha,
                }
            )
        fitted_frames.append(_paths(s, design, fit, alpha=alpha, n_sim=n_sim, seed=seed))

    def tidy(records: list[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
        frame = pd.DataFrame(records) if not isinstance(records, pd.DataFrame) else records
        if by is None:
            del frame["group"]  # in place: the frame is ours
            return frame
        return frame.rename(columns={"group": by})

    return ITSResult(
        family=family,
        trend=trend,
        cov_type=cov_type,
        alpha=alpha,
        freq=freq,
        time_unit=unit_name,
        by=by,
        groups=tuple(s.group for s in series),
        events=specs,
        n_sim=n_sim,
        seed=seed,
        table=tidy(rows),
        coefficients=tidy(coef_rows),
        fitted=tidy(pd.concat(fitted_frames, ignore_index=True)),
        dispersion=tidy(disp_rows),
        fits=fits,
        designs=designs,
    )


def _paths(
    s: CountSeries, design: Design, fit: CountFit, *, alpha: float, n_sim: int, seed: int | None
) -> pd.DataFrame:
    """Fitted and counterfactual paths, excess and cumulative excess with intervals.

    The counterfactual band is ``exp(eta +- z se)`` on the log scale: with the coefficients
    drawn from their normal approximation, the quantiles of ``exp(X beta*)`` are exactly
    that, so no simulation is needed per day. The daily excess band follows from it
    (``count`` minus the band). Only the cumulative excess, a sum over days, needs the
    ``n_sim`` coefficient draws, and only from the first day an event acts.
    """
    X_cf = design.X.copy()
    event_cols = list(design.event_cols.values())
    X_cf[:, event_cols] = 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        fitted, fitted_lo, fitted_hi = mean_band(fit, design.X, design.offset, alpha)
        cf, cf_lo, cf_hi = mean_band(fit, X_cf, design.offset, alpha)
        y = s.y.astype(float)
        excess = y - cf
        affected = np.flatnonzero(np.any(design.X[:, event_cols] != 0, axis=1))
        first = int(affected[0]) if affected.size else len(y)
        cum = np.full(len(y), np.nan)
        cum_lo = np.full(len(y), np.nan)
        cum_hi = np.full(len(y), np.nan)
        if first < len(y):
            offset = None if design.offset is None else design.offset[first:]
            cf_lo_cum, cf_hi_cum = cumulative_band(
                fit, X_cf[first:], offset, alpha=alpha, n_sim=n_sim, seed=seed
            )
            observed = np.cumsum(y[first:])
            cum[first:] = np.cumsum(excess[first:])
            # quantiles of (observed - counterfactual) = observed - reversed quantiles
            cum_lo[first:], cum_hi[first:] = observed - cf_hi_cum, observed - cf_lo_cum
    return pd.DataFrame(
        {
            DATE: s.dates,
            "group": s.group,
            COUNT: s.y,
            "fitted": fitted,
            "fitted_lower": fitted_lo,
            "fitted_upper": fitted_hi,
            "counterfactual": cf,
            "counterfactual_lower": cf_lo,
            "counterfactual_upper": cf_hi,
            "excess": excess,
            "excess_lower": y - cf_hi,
            "excess_upper": y - cf_lo,
            "cumulative_excess": cum,
            "cumulative_excess_lower": cum_lo,
            "cumulative_excess_upper": cum_hi,
        }
    )


def _exp(value: float) -> float:
    """``exp`` without overflow warnings (a degenerate estimate gives ``inf``)."""
    with np.errstate(over="ignore"):
        return float(np.exp(value))
