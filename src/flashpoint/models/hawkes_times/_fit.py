"""Fitting the continuous-time exponential Hawkes model: :func:`fit_hawkes_times`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

# one warning class for both Hawkes models (the daily-count model defines it)
from flashpoint._lazy import lazy_module
from flashpoint.errors import (
    ConvergenceWarning,
    FlashpointValueError,
    NonStationaryWarning,
    ShortSeriesWarning,
)
from flashpoint.models._base import check_alpha, check_choice, warn
from flashpoint.models.hawkes_times._likelihood import (
    _compensator_steps,
    _kernel_sums,
    _log_likelihood_from_sums,
)
from flashpoint.models.hawkes_times._optimise import _maximise
from flashpoint.models.hawkes_times._result import HawkesTimesResult
from flashpoint.models.hawkes_times._times import _prepare_times, _Times
from flashpoint.schemas import TIMESTAMP

stats = lazy_module("scipy.stats")

__all__ = ["FEW_EVENTS", "fit_hawkes_times"]

FEW_EVENTS = 50
"""Below this many events a :class:`~flashpoint.errors.ShortSeriesWarning` is emitted."""

_TIES = ("spread", "keep", "raise")


def _summary_table(x: np.ndarray, cov: np.ndarray, alpha: float) -> pd.DataFrame:
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))
    se = np.sqrt(np.diag(cov))
    rel = se / x  # standard error of log(x) by the delta method
    lower = x * np.exp(-z * rel)
    upper = x * np.exp(z * rel)
    beta = x[2]
    half = math.log(2.0) / beta
    rows = [
        ("mu", x[0], se[0], lower[0], upper[0]),
        ("branching_ratio", x[1], se[1], lower[1], upper[1]),
        ("decay", beta, se[2], lower[2], upper[2]),
        ("half_life_days", half, half * rel[2], math.log(2.0) / upper[2], math.log(2.0) / lower[2]),
    ]
    out = pd.DataFrame(rows, columns=["term", "estimate", "std_err", "ci_lower", "ci_upper"])
    out["conf_level"] = 1.0 - alpha
    return out


def _times_column(times: _Times, days: np.ndarray) -> pd.Series | np.ndarray:
    if times.origin is None or not isinstance(times.start, pd.Timestamp):
        return float(times.start) + days
    return pd.Series(times.origin + pd.to_timedelta(np.round(days * 86_400e9), unit="ns"))


_POINT_KINDS = ["before_event", "grid", "after_event"]


def _intensity_frame(
    times: _Times, mu: float, eta: float, beta: float, a: np.ndarray, grid_size: int
) -> pd.DataFrame:
    """Intensity on a grid and just before/after every event, merged in time order.

    ``a`` holds the kernel sums at the events. At equal times the order is: just before
    the event, grid point, just after. The merge is by position (binary search of the
    small grid among the events), not by sorting all rows.
    """
    t = times.days
    n = t.size
    grid = np.linspace(0.0, times.window, grid_size)
    last = np.searchsorted(t, grid, side="left") - 1  # last event strictly before
    excite = np.zeros(grid_size)
    has = last >= 0
    excite[has] = (a[last[has]] + 1.0) * np.exp(-beta * (grid[has] - t[last[has]]))
    ev = np.arange(n)
    pos_before = 2 * ev + np.searchsorted(grid, t, side="left")
    pos_after = 2 * ev + 1 + np.searchsorted(grid, t, side="right")
    lo, hi = np.searchsorted(t, grid, side="left"), np.searchsorted(t, grid, side="right")
    pos_grid = np.arange(grid_size) + 2 * lo + (hi - lo)
    days = np.empty(2 * n + grid_size)
    value = np.empty_like(days)
    codes = np.empty(days.size, dtype=np.int8)
    for pos, d, v, code in (
        (pos_before, t, a, 0),
        (pos_grid, grid, excite, 1),
        (pos_after, t, a + 1.0, 2),
    ):
        days[pos], value[pos], codes[pos] = d, v, code
    return pd.DataFrame(
        {
            "time": _times_column(times, days),
            "days": days,
            "intensity": mu + eta * beta * value,
            "background": np.full(days.size, mu),
            "point": pd.Categorical.from_codes(codes, categories=_POINT_KINDS),  # type: ignore[call-overload]
        },
        copy=False,  # fresh arrays: no need to consolidate (a copy of every row) into a block
    )


def fit_hawkes_times(
    events: pd.DataFrame | np.ndarray | Sequence[float],
    *,
    time: str = TIMESTAMP,
    start: str | pd.Timestamp | float | None = None,
    end: str | pd.Timestamp | float | None = None,
    ties: Literal["spread", "keep", "raise"] = "spread",
    resolution: str | pd.Timedelta | float | None = None,
    alpha: float = 0.05,
    grid_size: int = 1000,
) -> HawkesTimesResult:
    r"""Fit a continuous-time exponential Hawkes process to events with exact times.

    Parameters
    ----------
    events
        An event table with exact times in column ``time`` (``validate_events`` moves a
        time of day out of ``date`` into ``timestamp``), a Series of timestamps, or a 1-D
        array of event times in days. Unsorted times are sorted. Fit one group at a time
        (filter the table first).
    time
        Column of the event times (tz-naive datetimes or ISO 8601 strings). When the
        default ``"timestamp"`` column is missing, a ``date`` column with times of day is
        used.
    start, end
        Observation window. Timestamps (or strings) for a table, numbers of days for an
        array. Default: from the first to the last event; pass the real coverage of the
        data when known (the default conditions on an event at the start). Events outside
        the window raise an error.
    ties
        Events at identical times (a Hawkes process has none; they come from clocks
        rounded to the minute or hour). ``"spread"`` (default): the k events sharing a
        time t are placed at t, t + r/k, ..., t + (k-1) r/k, with r the clock resolution
        (capped at the gap to the next event), so that they excite each other as closely
        spaced events would; a :class:`~flashpoint.errors.DataQualityWarning` says how
        many. ``"keep"``: keep them tied; none excites the others (the kernel sums over
        strictly earlier events), and their rescaled intervals are 0, which the KS test
        will reject. ``"raise"``: raise an error.
    resolution
        Clock resolution used to spread ties: a time span such as ``"1min"`` for a table
        (default: the coarsest of hour, minute, second, ... that every time is a multiple
        of), a number of days for an array (default: the smallest gap between distinct
        times).
    alpha
        Significance level: intervals are at level ``1 - alpha`` and the KS band too.
    grid_size
        Number of grid points at which the fitted intensity is stored for plotting (the
        values just before and after every event are stored as well).

    Returns
    -------
    HawkesTimesResult
        ``summary()`` has one row per parameter: ``term`` (``mu`` in events per day,
        ``branching_ratio``, ``decay`` per day, ``half_life_days``), ``estimate``,
        ``std_err``, ``ci_lower``, ``ci_upper``, ``conf_level``. Goodness of fit is in
        ``ks_statistic`` and ``ks_pvalue``; the per-event residuals in ``residuals``
        (columns listed in :class:`HawkesTimesResult`).

    Raises
    ------
    FlashpointValueError
        No exact times in the table, missing or unparseable times, fewer than
        :data:`MIN_EVENTS` events, events outside ``[start, end]``, ``end`` not after
        ``start``, ties with ``ties="raise"``, a bad ``alpha``.
    FlashpointTypeError
        ``events`` is neither a table nor an array of numbers, or ``start``/``end``/
        ``resolution`` have the wrong type for the input.

    Warns
    -----
    ShortSeriesWarning
        Fewer than :data:`FEW_EVENTS` events.
    DataQualityWarning
        Tied times were spread.
    flashpoint.errors.NonStationaryWarning
        The fitted branching ratio is 1 or more.
    ConvergenceWarning
        The optimiser did not converge, or the information matrix is singular (for
        example when the branching ratio is estimated at 0 and the decay is not
        identified).

    See Also
    --------
    simulate_hawkes_times : draw event times from this model.
    flashpoint.plots.hawkes_times.plot_hawkes_times : plot the fit.

    Notes
    -----
    The conditional intensity (events per day) is

    .. math:: \lambda(t) = \mu + \sum_{t_i < t} \eta \beta e^{-\beta (t - t_i)},

    with background rate :math:`\mu`, branching ratio :math:`\eta` (each event triggers
    :math:`\eta` events on average; stationary when :math:`\eta < 1`) and decay
    :math:`\beta` (mean delay :math:`1/\beta`, half-life :math:`\ln 2 / \beta`). No
    events are assumed before ``start``. The log-likelihood on :math:`[0, T]` is

    .. math:: \ell = \sum_i \log \lambda(t_i) - \mu T
              - \eta \sum_i \left(1 - e^{-\beta (T - t_i)}\right),

    computed with Ozaki's (1979) O(n) recursion :math:`A_i = e^{-\beta (t_i - t_{i-1})}
    (1 + A_{i-1})` for :math:`\sum_{j<i} e^{-\beta (t_i - t_j)}`, and likewise its
    analytic gradient and Hessian. It is maximised over :math:`(\log \mu, \log \eta,
    \log \beta)` from the best start on a grid of decays (L-BFGS-B, then Newton steps).
    Standard errors come from the observed information (analytic Hessian); intervals are
    Wald intervals on the log scale. Goodness of fit uses time rescaling (Ogata 1988;
    Brown et al. 2002): the compensator increments :math:`\Lambda(t_i) - \Lambda(t_{i-1})`
    are iid Exp(1) under the model; the KS test of them uses estimated parameters, so its
    p-value is somewhat conservative.

    References: T. Ozaki (1979), Maximum likelihood estimation of Hawkes' self-exciting
    point processes, Ann. Inst. Stat. Math. 31:145-155. Y. Ogata (1988), Statistical
    models for earthquake occurrences and residual analysis for point processes, JASA
    83:9-27. E. N. Brown et al. (2002), The time-rescaling theorem and its application to
    neural spike train data analysis, Neural Computation 14:325-346.

    Examples
    --------
    >>> from flashpoint.models.hawkes_times import fit_hawkes_times, simulate_hawkes_times
    >>> simulated_times = simulate_hawkes_times(mu=0.5, branching=0.5, decay=2.0,
    ...                                         end=400.0, seed=1)
    >>> fit = fit_hawkes_times(simulated_times, start=0.0, end=400.0)
    >>> fit.summary()[["term", "estimate"]].round(2)
                  term  estimate
    0               mu      0.52
    1  branching_ratio      0.48
    2            decay      1.92
    3   half_life_days      0.36
    >>> bool(fit.ks_pvalue > 0.05)
    True
    """
    alpha = check_alpha(alpha)
    check_choice("ties", ties, _TIES)
    if not isinstance(grid_size, int) or isinstance(grid_size, bool) or grid_size < 2:
        raise FlashpointValueError(f"grid_size must be an integer >= 2; got {grid_size!r}")
    times = _prepare_times(
        events, time=time, start=start, end=end, ties=ties, resolution=resolution
    )
    t, window, n = times.days, times.window, times.days.size
    if n < FEW_EVENTS:
        warn(
            f"only {n} events; the exponential Hawkes fit needs about {FEW_EVENTS} to be "
            "reliable (the decay especially)",
            ShortSeriesWarning,
        )
    x, cov, converged, value, a = _fit_parameters(t, window)
    mu, eta, beta = (float(v) for v in x)
    steps = _compensator_steps(t, mu, eta, beta, a)
    residuals = pd.DataFrame(
        {
            "event": np.arange(n),
            "time": _times_column(times, t),
            "days": t,
            "intensity": mu + eta * beta * a,
            "compensator": np.cumsum(steps),
            "interval": steps,
            "uniform": -np.expm1(-steps),
        }
    )
    ks_statistic, ks_pvalue, ks_curve = _ks_check(steps, alpha)
    poisson = n * math.log(n / window) - n
    return HawkesTimesResult(
        mu=mu,
        branching_ratio=eta,
        decay=beta,
        half_life_days=math.log(2.0) / beta,
        alpha=alpha,
        n_events=n,
        n_ties=times.n_ties,
        ties=times.ties,
        start=times.start,
        end=times.end,
        window_days=window,
        log_likelihood=value,
        poisson_log_likelihood=poisson,
        converged=converged,
        ks_statistic=ks_statistic,
        ks_pvalue=ks_pvalue,
        covariance=cov,
        table=_summary_table(x, cov, alpha),
        residuals=residuals,
        intensity=_intensity_frame(times, mu, eta, beta, a, grid_size),
        ks_curve=ks_curve,
    )


def _fit_parameters(
    t: np.ndarray, window: float
) -> tuple[np.ndarray, np.ndarray, bool, float, np.ndarray]:
    """ML ``(mu, eta, beta)``, covariance, convergence (warns), log-lik, kernel sums ``A``."""
    opt = _maximise(t, window)
    x = np.exp(opt.theta)
    eta = float(x[1])
    if not opt.converged:
        warn(f"the likelihood maximisation did not converge ({opt.message})", ConvergenceWarning)
    if opt.value is None or opt.hessian is None or opt.sums is None:
        sums = _kernel_sums(t, float(x[2]), 2)
        value, _, hess = _log_likelihood_from_sums(t, window, x, 2, sums)
        a = sums[0]
    else:
        value, hess, a = opt.value, opt.hessian, opt.sums
    cov = np.full((3, 3), np.nan)
    if hess is not None:
        info = -hess
        try:
            eigen = np.linalg.eigvalsh(info)
            if eigen.min() > 1e-10 * max(eigen.max(), 1e-300):
                cov = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            pass
    if not np.all(np.isfinite(cov)):
        warn(
            "the observed information is singular (branching ratio "
            f"{eta:.3g}: with no self-excitation the decay is not identified); standard "
            "errors and intervals are NaN",
            ConvergenceWarning,
        )
    if eta >= 1.0:
        warn(
            f"the fitted branching ratio is {eta:.3g} >= 1: the process is not stationary "
            "(explosive); the background rate and the half-life are not interpretable as "
            "long-run quantities",
            NonStationaryWarning,
        )
    return x, cov, opt.converged, value, a


def _ks_check(steps: np.ndarray, alpha: float) -> tuple[float, float, pd.DataFrame]:
    """KS test that the rescaled intervals are Exp(1), and the KS-plot frame (one sort)."""
    n = steps.size
    ordered = np.sort(steps)
    uniform = -np.expm1(-ordered)  # increasing in the interval: already sorted
    rank = np.arange(1, n + 1)
    d_plus = float(np.max(rank / n - uniform))
    d_minus = float(np.max(uniform - (rank - 1) / n))
    statistic = max(d_plus, d_minus)
    pvalue = float(stats.kstwo.sf(statistic, n))  # as scipy.stats.kstest
    half_width = float(stats.kstwo.ppf(1.0 - alpha, n))
    expected = (rank - 0.5) / n
    curve = pd.DataFrame(
        {
            "rank": rank,
            "expected_uniform": expected,
            "observed_uniform": uniform,
            "band_lower": np.clip(expected - half_width, 0.0, 1.0),
            "band_upper": np.clip(expected + half_width, 0.0, 1.0),
            "expected_interval": -np.log1p(-expected),
            "observed_interval": ordered,
        },
        copy=False,  # fresh arrays: no need to consolidate (a copy of every row) into a block
    )
    return statistic, pvalue, curve
