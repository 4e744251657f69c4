"""Alarms: days whose count exceeds what the recent baseline predicts.

``detect_alarms`` fits a baseline to a rolling reference window before each day (a
quasi-Poisson log-linear model with an optional trend, down-weighting past outbreaks, as in
the improved Farrington method) and flags the day either when its count is above the upper
prediction limit (``method="farrington"``) or when a negative-binomial CUSUM, tuned to detect
a ``kappa``-fold rise of the rate, crosses its decision limit (``method="nb_cusum"``). Both
methods state their nominal in-control false-alarm rate; the benchmark
``benchmarks/bench_alarms.py`` measures it.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from flashpoint.errors import FlashpointValueError
from flashpoint.models._base import ResultMixin, check_choice, split_counts
from flashpoint.schemas import COUNT, DATE

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["AlarmResult", "detect_alarms"]

METHODS: tuple[str, ...] = ("nb_cusum", "farrington")
DEFAULT_KAPPA = 2.0
"""Default rate ratio the ``nb_cusum`` is tuned to detect (a doubling of the daily rate)."""
DEFAULT_ARL0 = 200.0
"""Default in-control average run length of ``nb_cusum`` (days): 1 false alarm per 200 days."""
DEFAULT_ALPHA = 0.005
"""Default per-day false-alarm probability of ``farrington`` (the same nominal 0.5% a day)."""
REWEIGHT_THRESHOLD = 2.58
"""Anscombe residual above which a baseline day is down-weighted (Noufaily et al. 2013)."""
TREND_P_VALUE = 0.05
"""Significance level at which a baseline trend is kept (Farrington et al. 1996)."""
MIN_TREND_EVENTS = 5
"""A trend is only considered when the baseline window holds at least this many events."""

_FRAME_COLUMNS = [
    COUNT,
    "expected",
    "threshold",
    "statistic",
    "limit",
    "p_value",
    "dispersion",
    "trend",
    "monitored",
    "alarm",
]


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AlarmResult(ResultMixin):
    """Alarm days of one or more count series.

    Attributes
    ----------
    frame
        One row per date and group: see :func:`detect_alarms` for the columns.
    method
        ``"nb_cusum"`` or ``"farrington"``.
    by
        Group column of the counts (``None`` for a single series).
    groups
        Groups in order of appearance.
    freq
        Frequency of the counts (``"D"`` for daily counts).
    baseline, guard
        Reference-window length and the gap between it and the monitored day (periods).
    kappa
        Rate ratio the CUSUM is tuned to detect (``nb_cusum``; ``None`` otherwise).
    arl0
        Target in-control average run length in periods (``nb_cusum``; ``None`` otherwise).
    alpha
        Per-period false-alarm probability (``farrington``; ``None`` otherwise).
    trend, reweight
        Whether the baseline may include a trend and down-weights past outbreaks.
    """

    frame: pd.DataFrame = field(compare=False)
    method: str
    by: str | None
    groups: tuple[Hashable | None, ...]
    freq: str
    baseline: int
    guard: int
    kappa: float | None
    arl0: float | None
    alpha: float | None
    trend: bool
    reweight: bool

    @property
    def nominal_false_alarm_rate(self) -> float:
        """Nominal in-control false alarms per monitored period (``1/arl0`` or ``alpha``)."""
        if self.method == "nb_cusum":
            return 1.0 / cast(float, self.arl0)
        return cast(float, self.alpha)

    @property
    def alarms(self) -> pd.DataFrame:
        """The rows of :attr:`frame` that raised an alarm."""
        return self.frame.loc[self.frame["alarm"]].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Return one row per alarm day.

        Returns
        -------
        pandas.DataFrame
            Columns ``date``, the group column (when there is one), ``count`` (events),
            ``expected`` (baseline events per period), ``threshold`` (the count above which
            the period alarms), ``statistic`` (see :func:`detect_alarms`). Empty (with these
            columns) when no period alarmed.
        """
        cols = (
            [DATE]
            + ([self.by] if self.by is not None else [])
            + [
                COUNT,
                "expected",
                "threshold",
                "statistic",
            ]
        )
        return self.alarms.loc[:, cols]

    def _headline(self) -> str:
        if self.method == "nb_cusum":
            design = f"kappa={self.kappa:g}, ARL0={self.arl0:g}"
        else:
            design = f"alpha={self.alpha:g}"
        n_alarms = int(self.frame["alarm"].sum())
        monitored = int(self.frame["monitored"].sum())
        return (
            f"{self.method} ({design}), baseline {self.baseline} + guard {self.guard} periods, "
            f"{n_alarms} alarm{'s' if n_alarms != 1 else ''} in {monitored} monitored periods"
        )

    def plot(self, *, events: object = None) -> go.Figure:
        """Draw counts, baseline, threshold and alarms (:func:`flashpoint.plots.plot_alarms`)."""
        from flashpoint.plots.surveillance import plot_alarms

        return plot_alarms(self, events=events)


# --------------------------------------------------------------------------------------------
# Baseline: quasi-Poisson log-linear model on each rolling window (vectorised over windows)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Baseline:
    """Per monitored period: the baseline prediction and its uncertainty.

    ``mean`` is the predicted mean, ``phi_raw`` the Pearson dispersion estimate (not floored
    at 1) on ``df`` degrees of freedom (``inf``: fixed, not estimated), ``var_mean`` the
    variance of the predicted mean at dispersion ``max(1, phi_raw)``, ``trend`` whether a
    trend was kept.
    """

    mean: np.ndarray
    phi_raw: np.ndarray
    df: np.ndarray
    var_mean: np.ndarray
    trend: np.ndarray

    @property
    def phi(self) -> np.ndarray:
        """Dispersion used for the point prediction, ``max(1, phi_raw)``."""
        return np.maximum(1.0, self.phi_raw)


def _reweight(resid: np.ndarray) -> np.ndarray:
    """Noufaily et al. weights: gamma * r^-2 above the threshold, gamma below; sum = n."""
    r = np.where(resid > REWEIGHT_THRESHOLD, resid, 1.0)
    w = np.where(resid > REWEIGHT_THRESHOLD, 1.0 / r**2, 1.0)
    return cast(np.ndarray, w * (w.shape[1] / w.sum(axis=1, keepdims=True)))


def _anscombe(y: np.ndarray, mu: np.ndarray, phi: np.ndarray, lev: np.ndarray) -> np.ndarray:
    """Anscombe residuals of a quasi-Poisson fit (Farrington et al. 1996)."""
    lev = np.clip(lev, 0.0, 0.999)
    return cast(
        np.ndarray,
        1.5
        * (y ** (2 / 3) - mu ** (2 / 3))
        / (np.sqrt(phi)[:, None] * mu ** (1 / 6) * np.sqrt(1.0 - lev)),
    )


def _constant_fit(y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted mean model per window (row): mean, raw Pearson dispersion, leverages."""
    n = y.shape[1]
    sw = w.sum(axis=1)
    mu = (w * y).sum(axis=1) / sw
    pearson = (w * (y - mu[:, None]) ** 2).sum(axis=1) / mu
    return mu, pearson / max(n - 1, 1), w / sw[:, None]


def _fit_constant(y: np.ndarray, reweight: bool) -> _Baseline:
    w = np.ones_like(y)
    mu, raw, lev = _constant_fit(y, w)
    if reweight:
        mu_full = np.broadcast_to(mu[:, None], y.shape)
        w = _reweight(_anscombe(y, mu_full, np.maximum(1.0, raw), lev))
        mu, raw, _ = _constant_fit(y, w)
    var_mean = np.maximum(1.0, raw) * mu / w.sum(axis=1)
    return _Baseline(
        mean=mu,
        phi_raw=raw,
        df=np.full(len(mu), float(max(y.shape[1] - 1, 1))),
        var_mean=var_mean,
        trend=np.zeros(len(mu), dtype=bool),
    )


def _irls_trend(
    y: np.ndarray, x: np.ndarray, w: np.ndarray, max_iter: int = 60
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted Poisson log-linear fit with intercept + slope, one fit per row.

    Returns the coefficients (m, 2), the information matrices X'WX without phi (m, 2, 2),
    the fitted means (m, n) and a convergence flag (m,).
    """
    m = y.shape[0]
    design = np.column_stack([np.ones_like(x), x])  # (n, 2)
    beta = np.zeros((m, 2))
    beta[:, 0] = np.log((w * y).sum(axis=1) / w.sum(axis=1))
    converged = np.zeros(m, dtype=bool)
    for _ in range(max_iter):
        eta = np.clip(beta @ design.T, -30.0, 30.0)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        wt = w * mu
        info = np.einsum("mn,np,nq->mpq", wt, design, design)
        rhs = np.einsum("mn,np,mn->mp", wt, design, z)
        det = info[:, 0, 0] * info[:, 1, 1] - info[:, 0, 1] ** 2
        ok = det > 1e-12 * np.maximum(info[:, 0, 0] * info[:, 1, 1], 1e-300)
        safe = np.where(ok, det, 1.0)
        new = np.empty_like(beta)
        new[:, 0] = (info[:, 1, 1] * rhs[:, 0] - info[:, 0, 1] * rhs[:, 1]) / safe
        new[:, 1] = (info[:, 0, 0] * rhs[:, 1] - info[:, 0, 1] * rhs[:, 0]) / safe
        new = np.where(ok[:, None], new, beta)
        step = np.abs(new - beta).max(axis=1)
        beta = new
        converged = ok & (step < 1e-8)
        if converged.all():
            break
    mu = np.exp(np.clip(beta @ design.T, -30.0, 30.0))
    info = np.einsum("mn,np,nq->mpq", w * mu, design, design)
    return beta, info, mu, converged & np.all(np.isfinite(beta), axis=1)


def _trend_fit(
    y: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Trend fit per row: beta, covariance at max(1, phi), means, raw phi, leverage, ok."""
    n = y.shape[1]
    beta, info, mu, ok = _irls_trend(y, x, w)
    raw = (w * (y - mu) ** 2 / mu).sum(axis=1) / max(n - 2, 1)
    det = info[:, 0, 0] * info[:, 1, 1] - info[:, 0, 1] ** 2
    det = np.where(ok & (det > 0), det, np.nan)
    inv = np.empty_like(info)
    inv[:, 0, 0] = info[:, 1, 1] / det
    inv[:, 1, 1] = info[:, 0, 0] / det
    inv[:, 0, 1] = inv[:, 1, 0] = -info[:, 0, 1] / det
    design = np.column_stack([np.ones_like(x), x])
    lev = (w * mu) * np.einsum("np,mpq,nq->mn", design, inv, design)
    cov = inv * np.maximum(1.0, raw)[:, None, None]
    return beta, cov, mu, raw, lev, ok & np.isfinite(det)


def _fit_baseline(windows: np.ndarray, *, guard: int, trend: bool, reweight: bool) -> _Baseline:
    """Fit the baseline of each rolling window (rows) and predict ``guard + 1`` periods ahead."""
    n = windows.shape[1]
    y = windows.astype(float)
    base = _fit_constant(y, reweight)
    if not trend:
        return base
    cand = np.flatnonzero(y.sum(axis=1) >= MIN_TREND_EVENTS)
    if cand.size == 0:
        return base
    yc = y[cand]
    x = (np.arange(n) - (n - 1) / 2.0) / n  # centred, scaled time
    x0 = (n + guard - (n - 1) / 2.0) / n  # the monitored period
    w = np.ones_like(yc)
    beta, cov, mu, raw, lev, ok = _trend_fit(yc, x, w)
    if reweight:
        w = _reweight(_anscombe(yc, mu, np.maximum(1.0, raw), lev))
        beta, cov, mu, raw, lev, ok = _trend_fit(yc, x, w)
    se = np.sqrt(np.maximum(cov[:, 1, 1], 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_stat = beta[:, 1] / se
    p = 2.0 * stats.t.sf(np.abs(t_stat), df=max(n - 2, 1))
    vec = np.array([1.0, x0])
    pred = np.exp(np.clip(beta @ vec, -30.0, 30.0))
    var_pred = pred**2 * np.einsum("p,mpq,q->m", vec, cov, vec)
    # Farrington et al. (1996): keep the trend only if significant and the prediction does
    # not exceed the largest count of the baseline window
    keep = ok & (p < TREND_P_VALUE) & (pred <= yc.max(axis=1)) & np.isfinite(var_pred)
    rows = cand[keep]
    mean, phi_raw, df = base.mean.copy(), base.phi_raw.copy(), base.df.copy()
    var_mean, has_trend = base.var_mean.copy(), base.trend.copy()
    mean[rows] = pred[keep]
    phi_raw[rows] = raw[keep]
    df[rows] = float(max(n - 2, 1))
    var_mean[rows] = var_pred[keep]
    has_trend[rows] = True
    return _Baseline(mean=mean, phi_raw=phi_raw, df=df, var_mean=var_mean, trend=has_trend)


def _baseline_for_series(
    y: np.ndarray, *, baseline: int, guard: int, trend: bool, reweight: bool
) -> tuple[np.ndarray, _Baseline]:
    """Return the monitored indices and the baseline fitted for each of them."""
    first = baseline + guard
    idx = np.arange(first, len(y))
    windows = np.lib.stride_tricks.sliding_window_view(y, baseline)[idx - first]
    zero = windows.sum(axis=1) == 0
    mean = np.empty(idx.size)
    phi_raw = np.ones(idx.size)
    df = np.full(idx.size, np.inf)
    var_mean = np.empty(idx.size)
    has_trend = np.zeros(idx.size, dtype=bool)
    # an all-zero window cannot be fitted: use the Jeffreys-prior gamma posterior of a
    # constant Poisson rate, Gamma(0.5, rate=baseline), and no extra dispersion
    mean[zero] = 0.5 / baseline
    var_mean[zero] = 0.5 / baseline**2
    if (~zero).any():
        fit = _fit_baseline(windows[~zero], guard=guard, trend=trend, reweight=reweight)
        mean[~zero] = fit.mean
        phi_raw[~zero] = fit.phi_raw
        df[~zero] = fit.df
        var_mean[~zero] = fit.var_mean
        has_trend[~zero] = fit.trend
        # the Pearson dispersion of negative-binomial counts is far more variable than a
        # chi-square on df degrees of freedom: match its variance, phi^2 (2 + excess
        # kurtosis) / df, with a scaled chi-square on 2 df / (2 + excess kurtosis) degrees
        level = windows[~zero].mean(axis=1)
        nb_alpha = (np.maximum(1.0, fit.phi_raw) - 1.0) / level
        kurtosis = 6.0 * nb_alpha + 1.0 / (level * (1.0 + nb_alpha * level))
        df[~zero] = fit.df * 2.0 / (2.0 + kurtosis)
    return idx, _Baseline(mean=mean, phi_raw=phi_raw, df=df, var_mean=var_mean, trend=has_trend)


def _phi_nodes(phi_raw: np.ndarray, df: np.ndarray, k: int) -> np.ndarray:
    """Equal-weight nodes of the dispersion given its estimate, floored at 1, shape (n, k).

    ``df * phi_raw / phi`` is taken as chi-square on ``df`` degrees of freedom (the
    quasi-likelihood approximation), so ``phi = df * phi_raw / chi2_df``; ``df = inf``
    means the dispersion is fixed at ``phi_raw``.
    """
    probs = (np.arange(k) + 0.5) / k
    phi_raw = np.asarray(phi_raw, dtype=float)[:, None]
    df = np.asarray(df, dtype=float)[:, None]
    finite = np.isfinite(df)
    dfs = np.where(finite, df, 1.0)
    ratio = np.where(finite, dfs / stats.chi2.ppf(1.0 - probs[None, :], dfs), 1.0)
    return cast(np.ndarray, np.maximum(1.0, phi_raw * ratio))


# --------------------------------------------------------------------------------------------
# Farrington: upper prediction limit of a single period
# --------------------------------------------------------------------------------------------

_N_PHI_FARRINGTON = 8


def _farrington(
    y: np.ndarray, fit: _Baseline, *, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Upper prediction limit; return threshold, statistic, limit, p-value, dispersion, alarm.

    The predictive distribution of the new count is an equal mixture of negative binomials,
    one per dispersion node, each with mean ``mu`` and variance ``phi_k mu + Var(mu) phi_k /
    phi`` (new count + estimated mean).
    """
    mu = fit.mean[:, None]
    phis = _phi_nodes(fit.phi_raw, fit.df, _N_PHI_FARRINGTON)  # (n, k)
    var = phis * mu + (fit.var_mean / fit.phi)[:, None] * phis
    size = mu**2 / np.maximum(var - mu, 1e-12 * mu)
    prob = size / (size + mu)
    # smallest u with P(Y > u) <= alpha: search the integers up to a safe upper bound
    top = int(max(np.max(stats.nbinom.ppf(1.0 - alpha / _N_PHI_FARRINGTON, size, prob)), 0))
    top = max(top, int(y.max())) + 1
    grid = np.arange(top + 1)
    sf = stats.nbinom.sf(grid[None, None, :], size[:, :, None], prob[:, :, None]).mean(axis=1)
    threshold = np.argmax(sf <= alpha, axis=1).astype(float)
    yi = y.astype(np.int64)
    p_value = np.where(yi > 0, sf[np.arange(len(y)), np.clip(yi - 1, 0, None)], 1.0)
    alarm = y > threshold
    statistic = np.maximum(0.0, -np.log10(np.maximum(p_value, 1e-300)))
    limit = np.full(len(y), -np.log10(alpha))
    disp = (var.mean(axis=1) - fit.mean) / fit.mean**2  # variance of the mixture, as NB alpha
    return threshold, statistic, limit, p_value, disp, alarm


# --------------------------------------------------------------------------------------------
# Negative-binomial CUSUM: log-likelihood-ratio increments and the decision limit
# --------------------------------------------------------------------------------------------

_N_STATES = 60
_N_QUAD_MEAN = 6
_N_QUAD_PHI = 4


def _llr_coefficients(
    mu: np.ndarray, alpha: np.ndarray, kappa: float
) -> tuple[np.ndarray, np.ndarray]:
    """LLR of NB(kappa*mu, alpha) against NB(mu, alpha) for a count y is c0 + c1*y."""
    mu = np.asarray(mu, dtype=float)
    alpha = np.asarray(alpha, dtype=float)
    small = alpha < 1e-10
    a = np.where(small, 1.0, alpha)
    c = np.log1p(a * mu) - np.log1p(a * kappa * mu)
    c0 = np.where(small, -mu * (kappa - 1.0), c / a)
    c1 = np.where(small, np.log(kappa), np.log(kappa) + c)
    return c0, c1


def _nb_cdf_table(mu: np.ndarray, alpha: np.ndarray, top: int) -> np.ndarray:
    """NB (Poisson where alpha = 0) distribution functions at 0..top, one row per (mu, alpha)."""
    y = np.arange(top + 1)[None, :]
    mu = np.asarray(mu, dtype=float)[:, None]
    alpha = np.asarray(alpha, dtype=float)[:, None]
    size = 1.0 / np.maximum(alpha, 1e-10)
    nb = stats.nbinom.cdf(y, size, size / (size + mu))
    return cast(np.ndarray, np.where(alpha < 1e-10, stats.poisson.cdf(y, mu), nb))


def _false_alarm_rate(
    h: float, mu: float, disp: float, kappa: float, mu_true: np.ndarray, disp_true: np.ndarray
) -> float:
    """Mean of 1/ARL of the CUSUM tuned at (mu, disp) over data means/dispersions (pairs).

    Brook & Evans (1972) Markov-chain approximation of the run length: the statistic on
    [0, h] is discretised into ``_N_STATES`` states; the in-control ARL from S = 0 solves
    (I - Q) L = 1.
    """
    c0, c1 = (float(v) for v in _llr_coefficients(np.array(mu), np.array(disp), kappa))
    m = _N_STATES
    d = h / m
    s = np.arange(m) * d
    upper = (np.arange(m) + 0.5) * d
    # largest integer y with s + c0 + c1*y below the upper edge of state j
    ymax = np.ceil((upper[None, :] - s[:, None] - c0) / c1).astype(np.int64) - 1
    top = max(int(ymax.max()), 0)
    table = _nb_cdf_table(mu_true, disp_true, top)
    cdf = np.where(ymax[None] >= 0, table[:, np.clip(ymax, 0, None)], 0.0)
    # a chain that (numerically) never leaves [0, h] has an infinite run length: the tiny
    # leak keeps I - Q invertible and caps the run length at about 1e13 periods
    q = np.diff(cdf, axis=2, prepend=0.0) * (1.0 - 1e-13)
    eye = np.eye(m)
    ones = np.ones(m)
    with warnings.catch_warnings():
        # near-absorbing-free chains (tiny means) are ill-conditioned by design; the leak
        # above bounds the answer, which only needs to be "very long"
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        arl = np.array([linalg.solve(eye - qk, ones, check_finite=False)[0] for qk in q])
    arl = np.where(np.isfinite(arl) & (arl >= 1.0), arl, 1e15)
    return float(np.mean(1.0 / arl))


@lru_cache(maxsize=50_000)
def _decision_limit(
    mu: float, phi_raw: float, df: float, cv2: float, kappa: float, arl0: float
) -> float:
    """Decision limit h giving an expected in-control false-alarm rate of 1/arl0.

    The chart uses the estimated mean ``mu`` and dispersion ``max(1, phi_raw)``. Both are
    estimated from the baseline window, so the rate is averaged over their uncertainty: the
    true mean over a gamma distribution with mean ``mu`` and squared coefficient of variation
    ``cv2``, the true dispersion over the chi-square nodes of :func:`_phi_nodes` (cf. Jones,
    Champ & Rigdon 2004 on CUSUM charts with estimated parameters).
    """
    disp = (max(1.0, phi_raw) - 1.0) / mu
    if cv2 > 0:
        shape = 1.0 / cv2
        probs = (np.arange(_N_QUAD_MEAN) + 0.5) / _N_QUAD_MEAN
        mus = stats.gamma.ppf(probs, shape, scale=mu / shape)
    else:
        mus = np.array([mu])
    phis = _phi_nodes(np.array([phi_raw]), np.array([df]), _N_QUAD_PHI)[0]
    phis = np.unique(phis)
    mu_true = np.repeat(mus, len(phis))
    disp_true = np.tile((phis - 1.0) / mu, len(mus))
    target = np.log(1.0 / arl0)

    def excess(log_h: float) -> float:
        rate = _false_alarm_rate(float(np.exp(log_h)), mu, disp, kappa, mu_true, disp_true)
        return float(np.log(rate) - target)

    lo, hi = np.log(1e-3), np.log(0.5)
    if excess(lo) <= 0:
        return float(np.exp(lo))  # even the smallest limit alarms rarely enough
    while excess(hi) > 0:
        lo, hi = hi, hi + np.log(2.0)
        if hi > np.log(1e4):  # pragma: no cover - guards against a runaway search
            break
    return float(np.exp(optimize.brentq(excess, lo, hi, xtol=2e-3)))


def _design_key(
    mu: float, phi_raw: float, df: float, cv2: float
) -> tuple[float, float, float, float]:
    """Round the design inputs (10% steps in mu, 15% in phi and df, 25% in cv2) to reuse limits."""

    def snap(v: float, step: float) -> float:
        return float(np.exp(np.round(np.log(v) / step) * step))

    return (
        snap(mu, 0.1),
        snap(max(phi_raw, 0.05), 0.15),
        df if not np.isfinite(df) else snap(max(df, 0.5), 0.15),
        0.0 if cv2 < 1e-4 else snap(cv2, 0.25),
    )


def _cusum(
    y: np.ndarray, fit: _Baseline, *, kappa: float, arl0: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run the NB CUSUM; return threshold (count), statistic, limit, dispersion and alarm."""
    mu = fit.mean
    disp = (fit.phi - 1.0) / mu  # NB alpha with the quasi-Poisson variance at mu
    cv2 = fit.var_mean / mu**2
    c0, c1 = _llr_coefficients(mu, disp, kappa)
    n = len(y)
    threshold = np.empty(n)
    statistic = np.empty(n)
    limit = np.empty(n)
    alarm = np.zeros(n, dtype=bool)
    s_prev = 0.0
    for i in range(n):
        key = _design_key(float(mu[i]), float(fit.phi_raw[i]), float(fit.df[i]), float(cv2[i]))
        h = _decision_limit(*key, kappa, arl0)
        limit[i] = h
        threshold[i] = (h - s_prev - c0[i]) / c1[i]
        s = max(0.0, s_prev + c0[i] + c1[i] * y[i])
        statistic[i] = s
        if s > h:
            alarm[i] = True
            s = 0.0  # restart after an alarm
        s_prev = s
    return threshold, statistic, limit, disp, alarm


# --------------------------------------------------------------------------------------------
# Public function
# --------------------------------------------------------------------------------------------


def _spread(n: int, idx: np.ndarray, values: np.ndarray, *, flag: bool = False) -> np.ndarray:
    """Place per-monitored-period values on the full calendar (NaN / False elsewhere)."""
    out = np.zeros(n, dtype=bool) if flag else np.full(n, np.nan)
    out[idx] = values
    return out


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise FlashpointValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def detect_alarms(
    counts: pd.DataFrame,
    *,
    method: Literal["nb_cusum", "farrington"] = "nb_cusum",
    baseline: int = 28,
    guard: int = 7,
    kappa: float | None = None,
    arl0: float | None = None,
    alpha: float | None = None,
    trend: bool = False,
    reweight: bool = True,
    by: str | None = None,
) -> AlarmResult:
    r"""Flag days whose count exceeds what the recent baseline predicts.

    Parameters
    ----------
    counts
        Tidy counts (``date``, optional group column, ``count``) on a complete calendar,
        e.g. from :func:`flashpoint.count_daily`. Periods are days for daily counts.
    method
        ``"nb_cusum"`` (default): a negative-binomial CUSUM that accumulates evidence for a
        ``kappa``-fold rise of the rate (Höhle & Paul 2008); good at sustained rises.
        ``"farrington"``: a single-day upper prediction limit (improved Farrington method,
        Noufaily et al. 2013, adapted to daily data); good at one-day spikes.
    baseline
        Length of the rolling reference window, in periods (default 28 days).
    guard
        Periods between the end of the reference window and the monitored period (default
        7), so that a rise is not absorbed into its own baseline at once.
    kappa
        ``nb_cusum``: the rate ratio (> 1) the CUSUM is tuned to detect (default 2, a
        doubling). Not used by ``farrington``.
    arl0
        ``nb_cusum``: target in-control average run length in periods (default 200: one
        false alarm per 200 in-control days on average). Not used by ``farrington``.
    alpha
        ``farrington``: per-period false-alarm probability (default 0.005). Not used by
        ``nb_cusum``.
    trend
        Let the baseline include a log-linear trend, kept only when significant at 5% and
        when its prediction does not exceed the largest count of the window (Farrington
        et al. 1996); considered only for windows with at least 5 events. Off by default:
        on a 4-week daily window the trend is extrapolated ``guard + 1`` days ahead and is
        unstable (on the bundled Syria series it predicted 0.1 attacks/day where the
        window averaged 1, and 3.9 where it averaged 0.7).
    reweight
        Down-weight baseline periods with Anscombe residuals above 2.58 (past outbreaks),
        as in Noufaily et al. (2013).
    by
        Group column; found by elimination when ``None``.

    Returns
    -------
    AlarmResult
        ``summary()`` has one row per alarm (``date``, group, ``count``, ``expected``,
        ``threshold``, ``statistic``). ``frame`` has one row per period and group:

        - ``date``; the group column (when there is one);
        - ``count``: events in the period;
        - ``expected``: baseline prediction (events per period); NaN before monitoring starts;
        - ``threshold``: the count above which the period alarms (events); for ``nb_cusum``
          it depends on the CUSUM carried over from the previous period;
        - ``statistic``: ``nb_cusum``: the CUSUM S_t (log-likelihood-ratio units, after this
          period, before the restart); ``farrington``: ``-log10(p_value)``;
        - ``limit``: the decision limit of ``statistic`` (``h_t``; ``-log10(alpha)``);
        - ``p_value``: ``farrington``: P(count >= observed) under the baseline's predictive
          distribution; NaN for ``nb_cusum``;
        - ``dispersion``: negative-binomial dispersion used (variance = mean + dispersion *
          mean^2; for ``farrington`` it includes the uncertainty of the baseline mean);
        - ``trend``: whether the baseline kept a trend;
        - ``monitored``: whether the period had a full reference window;
        - ``alarm``: ``count > threshold`` (equivalently ``statistic`` beyond ``limit``).

    Raises
    ------
    FlashpointValueError
        On bad counts (see :func:`flashpoint.models._base.split_counts`), an unknown
        method, ``baseline < 7``, ``guard < 0``, ``kappa <= 1``, ``arl0 <= 1``, ``alpha``
        outside (0, 0.5), a parameter given to the method that does not use it, or a series
        too short to monitor any period (fewer than ``baseline + guard + 1`` periods).

    See Also
    --------
    flashpoint.models.rt.estimate_rt : the reproduction number as an escalation index.

    Notes
    -----
    Baseline (both methods). For period t the reference window is the ``baseline`` periods
    ending ``guard`` periods before t. A quasi-Poisson model ``log mu_s = b0 (+ b1 s)`` is
    fitted to it by iteratively reweighted least squares with dispersion
    ``phi = max(1, Pearson X^2 / (n - p))``; periods with Anscombe residual above 2.58
    get weight proportional to ``r^-2`` and the model is refitted (Noufaily et al. 2013).
    It predicts ``mu_t`` with variance ``Var(mu_t)`` (delta method). A window without events
    uses the Jeffreys posterior Gamma(0.5, rate = ``baseline``) of a Poisson rate.

    Uncertainty of the baseline. ``phi`` is estimated from a few weeks of counts, so it is
    treated as uncertain: ``df * phi_hat / phi`` is taken as chi-square with
    ``df = 2 (n - p) / (2 + k)`` degrees of freedom, where ``k = 6 d + 1/(m (1 + d m))`` is
    the excess kurtosis of a negative binomial at the window's mean ``m`` and dispersion
    ``d`` (a moment match: the Pearson dispersion of negative-binomial counts varies far
    more than a chi-square on ``n - p`` degrees of freedom). Eight (``farrington``) or four
    (``nb_cusum``) equal-probability nodes of that distribution, floored at 1, are used.

    ``farrington``: the threshold is the ``1 - alpha`` quantile of the predictive
    distribution of the new count, an equal mixture over the dispersion nodes ``phi_k`` of
    negative binomials with mean ``mu_t`` and variance ``phi_k mu_t + Var(mu_t) phi_k/phi``
    (the prediction variance: Farrington et al. 1996 include ``Var(mu_t)``; Noufaily et al.
    2013 use a negative-binomial quantile). Simplifications for daily data: no seasonal
    terms (the reference window is the recent past, not the same weeks of past years) and no
    "5 cases in 4 weeks" rule. Nominal false-alarm rate: ``alpha`` per monitored period;
    discreteness makes it lower at low counts.

    ``nb_cusum`` (Höhle & Paul 2008): with ``d_t = (phi_t - 1)/mu_t`` the count is
    NB(mean ``mu_t``, dispersion ``d_t``) in control and NB(``kappa mu_t``, ``d_t``) out of
    control; the CUSUM is ``S_t = max(0, S_{t-1} + LLR_t)`` with

    .. math:: \mathrm{LLR}_t = y_t \log\kappa + (y_t + 1/d_t)
              \log\frac{1 + d_t\mu_t}{1 + d_t\kappa\mu_t},

    restarted at 0 after each alarm. The decision limit ``h_t`` makes the expected
    in-control false-alarm rate equal to ``1/arl0``: the run length is computed with the
    Markov-chain approximation of Brook & Evans (1972) and ``1/ARL`` is averaged over the
    uncertainty of the baseline (true mean on six gamma nodes with mean ``mu_t`` and
    variance ``Var(mu_t)``, true dispersion on the four nodes above; cf. Jones, Champ &
    Rigdon 2004 on CUSUM charts with estimated parameters). Limits are computed on a grid
    (10% steps in ``mu_t``) and cached.

    Measured in-control false-alarm rates (``benchmarks/bench_alarms.py``: 40 seeded
    negative-binomial series x 1000 days per setting, means 0.3-20 a day, dispersion 0-1,
    default settings): ``nb_cusum`` 0.56-1.45 x ``1/arl0``; ``farrington`` 0.08-1.21 x
    ``alpha`` (lowest for Poisson counts at 0.3 a day, where the threshold must jump by whole
    counts). With the baseline plugged in as if known, the rates were 1.5-2.8 x nominal.

    References: Höhle M, Paul M (2008). Count data regression charts for the monitoring of
    surveillance time series. Comput Stat Data Anal 52:4357-4368. Noufaily A, Enki DG,
    Farrington P, Garthwaite P, Andrews N, Charlett A (2013). An improved algorithm for
    outbreak detection in multiple surveillance systems. Stat Med 32:1206-1222. Jones LA,
    Champ CW, Rigdon SE (2004). The run length distribution of the CUSUM with estimated
    parameters. J Qual Technol 36:95-108. Farrington
    CP, Andrews NJ, Beale AD, Catchpole MA (1996). A statistical algorithm for the early
    detection of outbreaks of infectious disease. J R Stat Soc A 159:547-563. Brook D, Evans
    DA (1972). An approach to the probability distribution of CUSUM run length. Biometrika
    59:539-549.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from flashpoint.models.alarms import detect_alarms
    >>> rng = np.random.default_rng(3)
    >>> y = rng.poisson(2.0, size=90)
    >>> y[70:] += rng.poisson(6.0, size=20)  # simulated escalation from day 70
    >>> simulated = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=90),
    ...                           "count": y})
    >>> res = detect_alarms(simulated, method="nb_cusum")
    >>> first = res.summary()["date"].min()
    >>> bool(pd.Timestamp("2024-03-11") <= first <= pd.Timestamp("2024-03-14"))
    True
    >>> far = detect_alarms(simulated, method="farrington")
    >>> far.nominal_false_alarm_rate
    0.005
    """
    method = cast(Literal["nb_cusum", "farrington"], check_choice("method", method, METHODS))
    baseline = _check_int("baseline", baseline, 7)
    guard = _check_int("guard", guard, 0)
    if not isinstance(trend, bool) or not isinstance(reweight, bool):
        raise FlashpointValueError(
            f"trend and reweight must be True or False, got trend={trend!r}, reweight={reweight!r}"
        )
    kappa_used: float | None = None
    if method == "nb_cusum":
        if alpha is not None:
            raise FlashpointValueError(
                "alpha is the per-period false-alarm probability of method='farrington'; "
                "for method='nb_cusum' set the in-control run length arl0= instead"
            )
        kappa = DEFAULT_KAPPA if kappa is None else kappa
        if not isinstance(kappa, int | float) or isinstance(kappa, bool) or not kappa > 1:
            raise FlashpointValueError(
                f"kappa is the rate ratio the CUSUM should detect and must exceed 1 (2 = a "
                f"doubling), got {kappa!r}"
            )
        arl0 = DEFAULT_ARL0 if arl0 is None else arl0
        if not isinstance(arl0, int | float) or isinstance(arl0, bool) or not 1 < arl0 < 1e7:
            raise FlashpointValueError(
                f"arl0 is the in-control average run length in periods and must be between 1 "
                f"and 1e7 (200 = one false alarm per 200 days), got {arl0!r}"
            )
        arl0 = float(arl0)
        kappa_used = float(kappa)
    else:
        if arl0 is not None:
            raise FlashpointValueError(
                "arl0 is the in-control run length of method='nb_cusum'; for "
                "method='farrington' set the per-period false-alarm probability alpha= instead"
            )
        if kappa is not None:
            raise FlashpointValueError(
                "kappa tunes method='nb_cusum'; method='farrington' has no kappa (leave it unset)"
            )
        alpha = DEFAULT_ALPHA if alpha is None else alpha
        if not isinstance(alpha, int | float) or isinstance(alpha, bool) or not 0 < alpha < 0.5:
            raise FlashpointValueError(
                f"alpha is the per-period false-alarm probability and must be in (0, 0.5) "
                f"(0.005 = one false alarm per 200 days), got {alpha!r}"
            )
        alpha = float(alpha)
    by, freq, series = split_counts(counts, by=by)
    frames = []
    for s in series:
        where = "" if s.group is None else f" in group {s.group!r}"
        if s.n <= baseline + guard:
            raise FlashpointValueError(
                f"{s.n} periods{where}, but the first monitored period needs baseline + guard = "
                f"{baseline + guard} periods before it; lower baseline= or guard=, or use a "
                "longer series"
            )
        y = s.y.astype(float)
        idx, fit = _baseline_for_series(
            s.y, baseline=baseline, guard=guard, trend=trend, reweight=reweight
        )
        ym = y[idx]
        p_value = np.full(idx.size, np.nan)
        if method == "nb_cusum":
            threshold, statistic, limit, disp, alarm = _cusum(
                ym, fit, kappa=cast(float, kappa_used), arl0=cast(float, arl0)
            )
        else:
            threshold, statistic, limit, p_value, disp, alarm = _farrington(
                ym, fit, alpha=cast(float, alpha)
            )

        n, at = s.n, idx
        frame = pd.DataFrame(
            {
                DATE: s.dates,
                COUNT: s.y,
                "expected": _spread(n, at, fit.mean),
                "threshold": _spread(n, at, threshold),
                "statistic": _spread(n, at, statistic),
                "limit": _spread(n, at, limit),
                "p_value": _spread(n, at, p_value),
                "dispersion": _spread(n, at, disp),
                "trend": _spread(n, at, fit.trend, flag=True),
                "monitored": _spread(n, at, np.ones(idx.size, dtype=bool), flag=True),
                "alarm": _spread(n, at, alarm, flag=True),
            }
        )
        if by is not None:
            frame.insert(1, by, [s.group] * len(frame))
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    cols = [DATE] + ([by] if by is not None else []) + _FRAME_COLUMNS
    return AlarmResult(
        frame=out.loc[:, cols],
        method=method,
        by=by,
        groups=tuple(s.group for s in series),
        freq=freq,
        baseline=baseline,
        guard=guard,
        kappa=kappa_used,
        arl0=arl0 if method == "nb_cusum" else None,
        alpha=alpha if method == "farrington" else None,
        trend=trend,
        reweight=reweight,
    )
