"""Trend of a count series: fitted rate with its band, average growth over a stated window.

The headline is the average growth of the trend over a stated window (by default the last
28 days of a daily series), with its interval; the slope of the trend on the last day is
kept under a name that says so.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.errors import ModelSpecError, OverdispersionWarning
from flashpoint.models._base import (
    CountSeries,
    ResultMixin,
    check_alpha,
    check_choice,
    split_counts,
    warn,
    warn_if_short,
)
from flashpoint.models._glm import FAMILIES, CountFit, fit_counts, mean_band
from flashpoint.models._levels import new_level, set_level, wald_interval
from flashpoint.models.design import DateLike, build_design, natural_spline_basis, time_unit
from flashpoint.schemas import COUNT, DATE

if TYPE_CHECKING:
    import plotly.graph_objects as go

stats = lazy_module("scipy.stats")

__all__ = ["TrendResult", "fit_trend"]

TRENDS = ("linear", "spline")
GrowthWindow = int | tuple[DateLike, DateLike] | None


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
    growth_window : int, (date, date) or None
        The window of the average growth as requested (see :func:`fit_trend`); the dates
        it resolved to are ``growth_start`` / ``growth_end`` in the summary.
    by : str or None
        Group column.
    groups : tuple
        Groups, in order.
    fitted : DataFrame
        Per date and group: ``count``, ``fitted`` (expected count per period, the trend
        with day-of-week and seasonal terms), ``fitted_lower/upper``, ``growth`` (slope of
        the log rate per ``time_unit`` on that date) with ``growth_lower/upper``.
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
    growth_window: GrowthWindow
    by: str | None
    groups: tuple[Hashable, ...]
    fitted: pd.DataFrame = field(compare=False)
    table: pd.DataFrame = field(compare=False)
    fits: Mapping[Hashable, CountFit] = field(compare=False)

    def summary(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per group: average growth over the window, last-day slope, dispersion.

        Parameters
        ----------
        alpha
            Read the intervals at level ``1 - alpha`` (default: the fit's ``alpha``); the
            Wald intervals of the growth rates (and the doubling / halving times, shown
            when the interval excludes zero) are recomputed.

        Returns
        -------
        pandas.DataFrame
            ``<by>``;
            ``growth_start``, ``growth_end`` (first and last date of the growth window);
            ``avg_growth`` (average change of the log rate per ``time_unit`` over the
            window: ``(f(growth_end) - f(growth_start))`` divided by the window's length in
            ``time_unit``) with ``avg_growth_lower/upper``; ``avg_percent_change``
            (``100 (e^avg_growth - 1)``, % per ``time_unit``) with
            ``avg_percent_change_lower/upper``;
            ``doubling_time`` / ``halving_time`` (periods of the series, days for daily
            counts, at the average growth; only when its interval excludes zero, else
            missing);
            ``last_day`` (the last date), ``last_day_growth`` (slope of the log rate per
            ``time_unit`` on the last day) with ``last_day_growth_lower/upper``,
            ``last_day_percent_change`` with ``last_day_percent_change_lower/upper``;
            ``rate_at_end`` (fitted events per period on the last date), ``nb_alpha``,
            ``lr_p_value`` (test of overdispersion), ``pearson_dispersion``, ``n_obs``,
            ``conf_level``.
        """
        out = self.table.copy()
        z = new_level(self.alpha, alpha)
        if z is None or alpha is None:
            return out
        for name in ("avg", "last_day"):
            wald_interval(
                out,
                z,
                estimate=f"{name}_growth",
                bounds=(f"{name}_growth_lower", f"{name}_growth_upper"),
                derived=(
                    (f"{name}_percent_change_lower", f"{name}_percent_change_upper", "percent"),
                ),
            )
        unit = time_unit(self.freq)[0]
        g = out["avg_growth"]
        out["doubling_time"] = np.where(out["avg_growth_lower"] > 0, np.log(2) / g * unit, np.nan)
        out["halving_time"] = np.where(out["avg_growth_upper"] < 0, np.log(2) / -g * unit, np.nan)
        return set_level(out, alpha)

    def _headline(self) -> str:
        level = f"{1 - self.alpha:.0%}"
        return (
            f"{self.family} {self.trend} trend, average growth per {self.time_unit} over "
            f"{_describe_window(self.growth_window, self.time_unit)}; {level} intervals"
        )

    def plot(self) -> go.Figure:
        """Observed counts and the fitted trend with its band (plotly)."""
        return self._draw()


def _describe_window(window: GrowthWindow, unit: str) -> str:
    if window is None:
        return "the whole series"
    if isinstance(window, int):
        return f"the last {window} {'days' if unit == 'week' else 'periods'}"
    start, end = (pd.Timestamp(d).date() for d in window)
    return f"{start} to {end}"


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
    growth_window: GrowthWindow = 28,
    alpha: float = 0.05,
) -> TrendResult:
    """Fit the trend of the event rate per group, with its average growth over a window.

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
    growth_window
        Window of the headline average growth: a number of periods ending on the last
        date (days for daily counts; default 28, four weeks; the whole series when it is
        shorter), a ``(start, end)`` pair of dates inside the series, or ``None`` for the
        whole series.
    alpha
        Intervals at level ``1 - alpha``.

    Returns
    -------
    TrendResult
        ``summary()``: average growth per week (per period for non-daily series) over
        the window with its interval, doubling or halving time, the slope on the last
        day, overdispersion; ``fitted``: the trend per day with its band and the local
        growth rate.

    Raises
    ------
    ModelSpecError
        A ``growth_window`` that is not a positive whole number, or dates outside the
        series or in the wrong order.

    Warns
    -----
    OverdispersionWarning
        A Poisson trend on overdispersed counts.
    ShortSeriesWarning, AllZeroGroupWarning
        As their names say.

    Notes
    -----
    ``log E[y_t] = b0 + f(t) (+ day of week, seasonality, log exposure)`` with a
    negative-binomial (NB2) or Poisson likelihood; ``t`` in weeks for daily series.

    - ``avg_growth`` is ``(f(t_end) - f(t_start)) / (t_end - t_start)``, the average of
      the slope ``f'`` over the window (``t_end - t_start`` is exactly four weeks by
      default). It is a linear combination ``c' beta`` of the trend coefficients, so its
      delta-method interval ``c' beta +- z sqrt(c' V c)`` is exact given their normal
      approximation; for a linear trend ``c = 1`` and it is the trend coefficient with
      its Wald interval. Day-of-week and seasonal terms are not part of ``f``.
    - Why four weeks by default: the slope of a spline on the last day depends on the
      last few days only (beyond its last knot the spline is a straight line), so it
      swings with them and has the widest interval of any date; an average over whole
      weeks answers "where has the rate gone lately" with a stated span. ``None`` gives
      the change over the whole series, a different question.
    - ``last_day_growth`` is ``f'`` on the last day, with its delta-method interval.
    - Doubling time ``ln 2 / avg_growth`` (halving time for negative growth), in days
      for daily series, is reported only when the ``avg_growth`` interval excludes zero.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import flashpoint as fp
    >>> rng = np.random.default_rng(2)
    >>> t = np.arange(140)
    >>> simulated = pd.DataFrame({"date": pd.date_range("2023-01-01", periods=140),
    ...                           "count": rng.poisson(2 * np.exp(0.05 * t / 7))})
    >>> res = fp.fit_trend(simulated, trend="linear", family="poisson")
    >>> row = res.summary().iloc[0]
    >>> str(row["growth_start"].date()), str(row["growth_end"].date())
    ('2023-04-22', '2023-05-20')
    >>> row[["avg_growth", "avg_growth_lower", "avg_growth_upper", "doubling_time"]].round(3)
    avg_growth           0.062
    avg_growth_lower     0.046
    avg_growth_upper     0.078
    doubling_time       78.568
    Name: 0, dtype: object
    """
    alpha = check_alpha(alpha)
    check_choice("family", family, FAMILIES)
    check_choice("trend", trend, TRENDS)
    _check_growth_window(growth_window)
    by, freq, series = split_counts(counts, by=by, exposure=exposure, min_obs=3, drop_all_zero=True)
    unit, unit_name = time_unit(freq)
    cfg = _Settings(
        family=family,
        trend=trend,
        spline_df=spline_df,
        dow=dow,
        seasonality=seasonality,
        freq=freq,
        unit=unit,
        alpha=alpha,
        growth_window=growth_window,
    )
    fits = {s.group: _fit_series(s, cfg) for s in series}
    frames = [_fitted_frame(s, fits[s.group], cfg) for s in series]
    rows = [_summary_row(s, fits[s.group], cfg) for s in series]

    def tidy(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.drop(columns="group") if by is None else frame.rename(columns={"group": by})

    return TrendResult(
        family=family,
        trend=trend,
        alpha=alpha,
        freq=freq,
        time_unit=unit_name,
        growth_window=growth_window,
        by=by,
        groups=tuple(s.group for s in series),
        fitted=tidy(pd.concat(frames, ignore_index=True)),
        table=tidy(pd.DataFrame(rows)),
        fits={g: f.fit for g, f in fits.items()},
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Settings:
    family: str
    trend: str
    spline_df: int | None
    dow: bool
    seasonality: Mapping[float, int] | None
    freq: str
    unit: float  # periods per growth unit (7 for daily series)
    alpha: float
    growth_window: GrowthWindow


@dataclass(frozen=True, slots=True)
class _SeriesFit:
    fit: CountFit
    X: np.ndarray
    offset: np.ndarray | None
    trend_cols: list[int]
    spline_df: int


def _check_growth_window(window: GrowthWindow) -> None:
    if window is None:
        return
    if isinstance(window, bool) or (isinstance(window, int) and window < 1):
        raise ModelSpecError(
            f"growth_window must be a whole number of periods >= 1, a (start, end) pair of "
            f"dates or None; got {window!r}"
        )
    if isinstance(window, int):
        return
    if not isinstance(window, tuple | list) or len(window) != 2:
        raise ModelSpecError(
            f"growth_window must be a whole number of periods, a (start, end) pair of dates "
            f"or None; got {window!r}"
        )


def _fit_series(s: CountSeries, cfg: _Settings) -> _SeriesFit:
    """Fit the trend model of one series (with the overdispersion warning for Poisson)."""
    where = "" if s.group is None else f" for group {s.group!r}"
    warn_if_short(s, 28, "a trend")
    df = cfg.spline_df if cfg.spline_df is not None else int(np.clip(round(s.n / 56), 3, 8))
    design = build_design(
        s.dates,
        [],
        freq=cfg.freq,
        trend=cfg.trend,
        spline_df=df,
        seasonality=cfg.seasonality,
        dow=cfg.dow,
        exposure=s.exposure,
    )
    fit = fit_counts(
        s.y, design.X, names=design.names, family=cfg.family, offset=design.offset, where=where
    )
    if cfg.family == "poisson" and fit.pearson_dispersion > 1.5:
        warn(
            f"the counts{where} are overdispersed (Pearson dispersion "
            f"{fit.pearson_dispersion:.2f}); use family='negbin'",
            OverdispersionWarning,
        )
    cols = [
        j for j, name in enumerate(design.names) if name == "trend" or name.startswith("spline")
    ]
    return _SeriesFit(fit=fit, X=design.X, offset=design.offset, trend_cols=cols, spline_df=df)


def _local_growth(sf: _SeriesFit, n: int, cfg: _Settings) -> tuple[np.ndarray, np.ndarray]:
    """Slope of the trend per time unit on every date, with its standard error."""
    grad = _trend_derivative(n, cfg.trend, cfg.unit, sf.spline_df)
    beta = sf.fit.params[sf.trend_cols]
    cov = sf.fit.cov[np.ix_(sf.trend_cols, sf.trend_cols)]
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", grad, cov, grad), 0, None))
    return grad @ beta, se


def _fitted_frame(s: CountSeries, sf: _SeriesFit, cfg: _Settings) -> pd.DataFrame:
    """Per date: count, fitted mean with its band, local growth with its interval."""
    z = stats.norm.ppf(1 - cfg.alpha / 2)
    mean, lo, hi = mean_band(sf.fit, sf.X, sf.offset, cfg.alpha)
    growth, g_se = _local_growth(sf, s.n, cfg)
    return pd.DataFrame(
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


def _window_positions(s: CountSeries, window: GrowthWindow) -> tuple[int, int]:
    """First and last position of the growth window in the series."""
    if window is None:
        return 0, s.n - 1
    if isinstance(window, int):
        return max(0, s.n - 1 - window), s.n - 1
    where = "" if s.group is None else f" of group {s.group!r}"
    try:
        start, end = (pd.Timestamp(d) for d in window)
    except (TypeError, ValueError) as err:
        raise ModelSpecError(
            f"cannot read growth_window={window!r} as two dates; use ISO dates such as "
            "('2024-01-01', '2024-02-01')"
        ) from err
    first, last = s.dates[0], s.dates[-1]
    if not first <= start < end <= last:
        raise ModelSpecError(
            f"growth_window must be two dates in order inside the series{where} "
            f"({first.date()} to {last.date()}); got {start.date()} to {end.date()}"
        )
    i0 = int(s.dates.searchsorted(start))
    i1 = int(s.dates.searchsorted(end, side="right")) - 1
    if i1 <= i0:
        raise ModelSpecError(
            f"growth_window {start.date()} to {end.date()} holds fewer than two dates of the "
            f"series{where}; widen it"
        )
    return i0, i1


def _average_growth(
    sf: _SeriesFit, i0: int, i1: int, unit: float, z: float
) -> tuple[float, float, float]:
    """Average slope of the trend between positions i0 and i1, with its interval."""
    c = (sf.X[i1, sf.trend_cols] - sf.X[i0, sf.trend_cols]) / ((i1 - i0) / unit)
    cov = sf.fit.cov[np.ix_(sf.trend_cols, sf.trend_cols)]
    g = float(c @ sf.fit.params[sf.trend_cols])
    se = float(np.sqrt(max(c @ cov @ c, 0.0)))
    return g, g - z * se, g + z * se


def _summary_row(s: CountSeries, sf: _SeriesFit, cfg: _Settings) -> dict[str, Any]:
    """One summary row: average growth over the window, last-day slope, dispersion."""
    z = stats.norm.ppf(1 - cfg.alpha / 2)
    i0, i1 = _window_positions(s, cfg.growth_window)
    g, g_lo, g_hi = _average_growth(sf, i0, i1, cfg.unit, z)
    growth, g_se = _local_growth(sf, s.n, cfg)
    last, last_se = growth[-1], g_se[-1]
    doubling = halving = np.nan
    if g_lo > 0:
        doubling = np.log(2) / g * cfg.unit
    elif g_hi < 0:
        halving = np.log(2) / -g * cfg.unit
    end_offset = None if sf.offset is None else sf.offset[-1:]
    mean, _lo, _hi = mean_band(sf.fit, sf.X[-1:], end_offset, cfg.alpha)
    _lr, lr_p = sf.fit.overdispersion_test()
    return {
        "group": s.group,
        "growth_start": s.dates[i0],
        "growth_end": s.dates[i1],
        "avg_growth": g,
        "avg_growth_lower": g_lo,
        "avg_growth_upper": g_hi,
        "avg_percent_change": 100 * np.expm1(g),
        "avg_percent_change_lower": 100 * np.expm1(g_lo),
        "avg_percent_change_upper": 100 * np.expm1(g_hi),
        "doubling_time": doubling,
        "halving_time": halving,
        "last_day": s.dates[-1],
        "last_day_growth": last,
        "last_day_growth_lower": last - z * last_se,
        "last_day_growth_upper": last + z * last_se,
        "last_day_percent_change": 100 * np.expm1(last),
        "last_day_percent_change_lower": 100 * np.expm1(last - z * last_se),
        "last_day_percent_change_upper": 100 * np.expm1(last + z * last_se),
        "rate_at_end": float(mean[0]),
        "nb_alpha": sf.fit.nb_alpha,
        "lr_p_value": lr_p,
        "pearson_dispersion": sf.fit.pearson_dispersion,
        "n_obs": s.n,
        "conf_level": 1 - cfg.alpha,
    }


def _trend_derivative(n: int, trend: str, unit: float, df: int) -> np.ndarray:
    """Differentiate the trend columns with respect to time (per trend unit), per row."""
    if trend == "linear":
        return np.ones((n, 1))
    return natural_spline_basis(np.arange(n, dtype=float) / unit, df, derivative=True)
