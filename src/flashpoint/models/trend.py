"""Trend of a count series: fitted rate with its band, growth per week, doubling time."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.errors import OverdispersionWarning
from flashpoint.models._base import (
    ResultMixin,
    check_alpha,
    check_choice,
    split_counts,
    warn,
    warn_if_short,
)
from flashpoint.models._glm import FAMILIES, CountFit, fit_counts, mean_band
from flashpoint.models.design import build_design, natural_spline_basis, time_unit
from flashpoint.schemas import COUNT, DATE

if TYPE_CHECKING:
    import plotly.graph_objects as go

stats = lazy_module("scipy.stats")

__all__ = ["TrendResult", "fit_trend"]

TRENDS = ("linear", "spline")


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TrendResult(ResultMixin):
    """Result of :func:`fit_trend`.

    Attributes
    ----------
    family, trend : str
        Model settings.
    alpha : float
        Intervals at level ``1 - alpha``.
    freq, time_unit : str
        Series frequency and the unit of growth rates (``"week"`` for daily series).
    by : str or None
        Group column.
    groups : tuple
        Groups, in order.
    fitted : DataFrame
        Per date and group: ``count``, ``fitted`` (expected count per period, the trend
        with day-of-week and seasonal terms), ``fitted_lower/upper``, ``growth`` (log-rate
        change per ``time_unit`` at that date) with ``growth_lower/upper``.
    table : DataFrame
        The summary (see :meth:`summary`).
    fits : dict
        ``CountFit`` per group (statsmodels result in ``.raw``).
    """

    family: str
    trend: str
    alpha: float
    freq: str
    time_unit: str
    by: str | None
    groups: tuple[Hashable, ...]
    fitted: pd.DataFrame = field(compare=False)
    table: pd.DataFrame = field(compare=False)
    fits: Mapping[Hashable, CountFit] = field(compare=False)

    def summary(self) -> pd.DataFrame:
        """One row per group: growth at the end of the series and dispersion.

        Returns
        -------
        pandas.DataFrame
            ``<by>``, ``at`` (date the growth refers to: the last date for a spline trend,
            every date for a linear one), ``growth`` (change of the log rate per
            ``time_unit``) with ``growth_lower/upper``, ``percent_change`` (``100 (e^growth
            - 1)``, % per ``time_unit``) with ``percent_change_lower/upper``,
            ``doubling_time`` / ``halving_time`` (in days; only when the interval of the
            growth excludes zero, else missing), ``rate_at_end`` (fitted events per period
            on the last date), ``nb_alpha``, ``lr_p_value`` (test of overdispersion),
            ``pearson_dispersion``, ``n_obs``, ``conf_level``.
        """
        return self.table.copy()

    def _headline(self) -> str:
        level = f"{1 - self.alpha:.0%}"
        return f"{self.family} {self.trend} trend, growth per {self.time_unit}; {level} intervals"

    def plot(self) -> go.Figure:
        """Observed counts and the fitted trend with its band (plotly)."""
        return self._draw()


def fit_trend(
    counts: pd.DataFrame,
    *,
    family: str = "negbin",
    trend: str = "spline",
    spline_df: int | None = None,
    dow: bool = False,
    seasonality: Mapping[float, int] | None = None,
    exposure: str | None = None,
    by: str | None = None,
    alpha: float = 0.05,
) -> TrendResult:
    """Fit the trend of the event rate per group, with growth rates and their intervals.

    Parameters
    ----------
    counts
        Tidy counts on a regular calendar (see :func:`flashpoint.count_daily`).
    family
        ``"negbin"`` (default), ``"poisson"`` or ``"quasipoisson"``.
    trend
        ``"spline"`` (natural cubic spline: the growth rate varies over time) or
        ``"linear"`` (log-linear: one constant growth rate).
    spline_df
        Spline degrees of freedom (default: one per ~8 weeks of daily data, 3 to 8).
    dow
        Add day-of-week terms (daily series).
    seasonality
        Fourier terms ``{period: harmonics}``, period in observations.
    exposure
        Column with a positive exposure (log offset).
    by
        Group column (found by elimination when ``None``).
    alpha
        Intervals at level ``1 - alpha``.

    Returns
    -------
    TrendResult
        ``summary()``: growth per week (per period for non-daily series) with its
        interval, doubling or halving time, overdispersion; ``fitted``: the trend per day
        with its band and the local growth rate.

    Warns
    -----
    OverdispersionWarning
        A Poisson trend on overdispersed counts.
    ShortSeriesWarning, AllZeroGroupWarning
        As their names say.

    Notes
    -----
    ``log E[y_t] = b0 + f(t) (+ day of week, seasonality, log exposure)`` with a
    negative-binomial (NB2) or Poisson likelihood. The growth rate is ``f'(t)`` per week;
    its interval comes from the delta method with the coefficient covariance (for a spline,
    ``f'`` is linear in the coefficients, so the interval is exact given their normal
    approximation). Doubling time ``ln 2 / growth`` (halving time for negative growth) is
    reported only when the growth interval excludes zero.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import flashpoint as fp
    >>> rng = np.random.default_rng(2)
    >>> t = np.arange(140)
    >>> simulated = pd.DataFrame({"date": pd.date_range("2023-01-01", periods=140),
    ...                           "count": rng.poisson(2 * np.exp(0.05 * t / 7))})
    >>> res = fp.fit_trend(simulated, trend="linear", family="poisson")
    >>> res.summary()[["growth", "growth_lower", "growth_upper", "doubling_time"]].round(3)
       growth  growth_lower  growth_upper  doubling_time
    0   0.062         0.046         0.078         78.568
    """
    alpha = check_alpha(alpha)
    check_choice("family", family, FAMILIES)
    check_choice("trend", trend, TRENDS)
    by, freq, series = split_counts(counts, by=by, exposure=exposure, min_obs=3, drop_all_zero=True)
    unit, unit_name = time_unit(freq)
    z = stats.norm.ppf(1 - alpha / 2)
    frames, rows = [], []
    fits: dict[Hashable, CountFit] = {}
    for s in series:
        where = "" if s.group is None else f" for group {s.group!r}"
        warn_if_short(s, 28, "a trend")
        df = spline_df if spline_df is not None else int(np.clip(round(s.n / 56), 3, 8))
        design = build_design(
            s.dates,
            [],
            freq=freq,
            trend=trend,
            spline_df=df,
            seasonality=seasonality,
            dow=dow,
            exposure=s.exposure,
        )
        fit = fit_counts(
            s.y, design.X, names=design.names, family=family, offset=design.offset, where=where
        )
        fits[s.group] = fit
        if family == "poisson" and fit.pearson_dispersion > 1.5:
            warn(
                f"the counts{where} are overdispersed (Pearson dispersion "
                f"{fit.pearson_dispersion:.2f}); use family='negbin'",
                OverdispersionWarning,
            )
        mean, lo, hi = mean_band(fit, design.X, design.offset, alpha)
        grad = _trend_derivative(s.n, trend, unit, df)  # d f / d(time unit), per coefficient
        cols = [
            j for j, name in enumerate(design.names) if name == "trend" or name.startswith("spline")
        ]
        beta = fit.params[cols]
        cov = fit.cov[np.ix_(cols, cols)]
        growth = grad @ beta
        g_se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", grad, cov, grad), 0, None))
        frames.append(
            pd.DataFrame(
                {
                    DATE: s.dates,
                    "group": s.group,
                    COUNT: s.y,
                    "fitted": mean,
                    "fitted_lower": lo,
                    "fitted_upper": hi,
                    "growth": growth,
                    "growth_lower": growth - z * g_se,
                    "growth_upper": growth + z * g_se,
                }
            )
        )
        g, g_lo, g_hi = growth[-1], growth[-1] - z * g_se[-1], growth[-1] + z * g_se[-1]
        days_per_unit = unit if unit == 7.0 else np.nan
        doubling = halving = np.nan
        if g_lo > 0:
            doubling = np.log(2) / g * days_per_unit if unit == 7.0 else np.log(2) / g
        elif g_hi < 0:
            halving = np.log(2) / -g * days_per_unit if unit == 7.0 else np.log(2) / -g
        _lr, lr_p = fit.overdispersion_test()
        rows.append(
            {
                "group": s.group,
                "at": s.dates[-1] if trend == "spline" else pd.NaT,
                "growth": g,
                "growth_lower": g_lo,
                "growth_upper": g_hi,
                "percent_change": 100 * np.expm1(g),
                "percent_change_lower": 100 * np.expm1(g_lo),
                "percent_change_upper": 100 * np.expm1(g_hi),
                "doubling_time": doubling,
                "halving_time": halving,
                "rate_at_end": mean[-1],
                "nb_alpha": fit.nb_alpha,
                "lr_p_value": lr_p,
                "pearson_dispersion": fit.pearson_dispersion,
                "n_obs": s.n,
                "conf_level": 1 - alpha,
            }
        )

    def tidy(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.drop(columns="group") if by is None else frame.rename(columns={"group": by})

    return TrendResult(
        family=family,
        trend=trend,
        alpha=alpha,
        freq=freq,
        time_unit=unit_name,
        by=by,
        groups=tuple(s.group for s in series),
        fitted=tidy(pd.concat(frames, ignore_index=True)),
        table=tidy(pd.DataFrame(rows)),
        fits=fits,
    )


def _trend_derivative(n: int, trend: str, unit: float, df: int) -> np.ndarray:
    """Differentiate the trend columns with respect to time (per trend unit), per row."""
    if trend == "linear":
        return np.ones((n, 1))
    return natural_spline_basis(np.arange(n, dtype=float) / unit, df, derivative=True)
