"""Alarm days of count series: :func:`detect_alarms`."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import pandas as pd

from flashpoint.counts import group_column
from flashpoint.errors import FlashpointValueError
from flashpoint.models._base import CountSeries, check_choice, split_counts
from flashpoint.models.alarms._baseline import _baseline_for_series
from flashpoint.models.alarms._cusum import _cusum
from flashpoint.models.alarms._farrington import _farrington
from flashpoint.models.alarms._result import AlarmResult
from flashpoint.schemas import COUNT, DATE
from flashpoint.schemas._groups import key_columns

__all__ = ["DEFAULT_ALPHA", "DEFAULT_ARL0", "DEFAULT_KAPPA", "METHODS", "detect_alarms"]

METHODS: tuple[str, ...] = ("nb_cusum", "farrington")
DEFAULT_KAPPA = 2.0
"""Default rate ratio the ``nb_cusum`` is tuned to detect (a doubling of the daily rate)."""
DEFAULT_ARL0 = 200.0
"""Default in-control average run length of ``nb_cusum`` (days): 1 false alarm per 200 days."""
DEFAULT_ALPHA = 0.005
"""Default per-day false-alarm probability of ``farrington`` (the same nominal 0.5% a day)."""

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
    progress: bool = False,
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
    progress
        Show a progress bar (``tqdm.auto``, on standard error) of the exact decision-limit
        computations of ``nb_cusum``, which run for a ``kappa`` / ``arl0`` other than the
        defaults or a baseline outside the shipped table (a few seconds per hundred days).

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
    Rigdon 2004 on CUSUM charts with estimated parameters). For the default design
    (``kappa = 2``, ``arl0 = 200``) the limits are *tabulated*: computed once this way on a
    grid of (``mu_t``, ``phi``, ``1/df``, ``n_eff = phi / (mu_t cv^2)``) by
    ``benchmarks/make_cusum_limits.py``, shipped with the package and interpolated
    (multilinear in ``log h``), so a call spends milliseconds instead of seconds on them;
    other designs and inputs outside the grid are computed exactly on inputs rounded to
    10-25% steps and cached.

    Memory: the baselines are fitted in chunks of monitored periods and the thresholds
    found by bisection, so the working memory stays within the budget of
    :mod:`flashpoint.limits` whatever the length of the series or the size of the
    counts.

    Measured in-control false-alarm rates (``benchmarks/bench_alarms.py``: 40 seeded
    negative-binomial series x 1000 days per setting, means 0.3-20 a day, dispersion 0-1,
    default settings): ``nb_cusum`` 0.52-1.38 x ``1/arl0``; ``farrington`` 0.08-1.21 x
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
    if method == "nb_cusum":
        design = _cusum_design(kappa, arl0, alpha)
    else:
        design = _farrington_design(kappa, arl0, alpha)
    by, freq, series = _split(counts, by=by, first=baseline + guard)
    frames = [
        _monitor(
            s,
            by,
            method,
            design,
            baseline=baseline,
            guard=guard,
            trend=trend,
            reweight=reweight,
            progress=progress,
        )
        for s in series
    ]
    out = pd.concat(frames, ignore_index=True)
    cols = key_columns(DATE, by) + _FRAME_COLUMNS
    return AlarmResult(
        frame=out.loc[:, cols],
        method=method,
        by=by,
        groups=tuple(s.group for s in series),
        freq=freq,
        baseline=baseline,
        guard=guard,
        kappa=design.kappa,
        arl0=design.arl0,
        alpha=design.alpha,
        trend=trend,
        reweight=reweight,
    )


@dataclass(frozen=True, slots=True)
class _Design:
    """The tuning of the chosen method (``None`` for the parameters it does not use)."""

    kappa: float | None = None
    arl0: float | None = None
    alpha: float | None = None


def _number_in(value: object, low: float, high: float) -> float | None:
    """``value`` as a float when it is a number (not a bool) strictly inside (low, high)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and low < value < high:
        return float(value)
    return None


def _cusum_design(kappa: object, arl0: object, alpha: object) -> _Design:
    if alpha is not None:
        raise FlashpointValueError(
            "alpha is the per-period false-alarm probability of method='farrington'; "
            "for method='nb_cusum' set the in-control run length arl0= instead"
        )
    kappa = DEFAULT_KAPPA if kappa is None else kappa
    kappa_ok = _number_in(kappa, 1.0, np.inf)
    if kappa_ok is None:
        raise FlashpointValueError(
            f"kappa is the rate ratio the CUSUM should detect and must exceed 1 (2 = a "
            f"doubling), got {kappa!r}"
        )
    arl0 = DEFAULT_ARL0 if arl0 is None else arl0
    arl0_ok = _number_in(arl0, 1.0, 1e7)
    if arl0_ok is None:
        raise FlashpointValueError(
            f"arl0 is the in-control average run length in periods and must be between 1 "
            f"and 1e7 (200 = one false alarm per 200 days), got {arl0!r}"
        )
    return _Design(kappa=kappa_ok, arl0=arl0_ok)


def _farrington_design(kappa: object, arl0: object, alpha: object) -> _Design:
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
    alpha_ok = _number_in(alpha, 0.0, 0.5)
    if alpha_ok is None:
        raise FlashpointValueError(
            f"alpha is the per-period false-alarm probability and must be in (0, 0.5) "
            f"(0.005 = one false alarm per 200 days), got {alpha!r}"
        )
    return _Design(alpha=alpha_ok)


def _split(
    counts: pd.DataFrame, *, by: str | None, first: int
) -> tuple[str | None, str, list[CountSeries]]:
    """Split the counts by group; every group needs more than ``first`` periods."""
    if DATE in counts.columns:  # before split_counts, which cannot even infer a frequency
        by_col = group_column(counts, by)  # from fewer than two periods
        sizes = (
            counts.groupby(by_col, sort=False, observed=True).size()
            if by_col
            else {None: len(counts)}
        )
        for group, size in dict(sizes).items():
            _check_length(int(size), group, first)
    by, freq, series = split_counts(counts, by=by)
    for s in series:
        _check_length(s.n, s.group, first)
    return by, freq, series


def _check_length(n: int, group: Hashable | None, first: int) -> None:
    if n <= first:
        where = "" if group is None else f" in group {group!r}"
        raise FlashpointValueError(
            f"{n} periods{where}, but the first monitored period needs baseline + guard = "
            f"{first} periods before it; lower baseline= or guard=, or use a longer series"
        )


def _monitor(
    s: CountSeries,
    by: str | None,
    method: str,
    design: _Design,
    *,
    baseline: int,
    guard: int,
    trend: bool,
    reweight: bool,
    progress: bool = False,
) -> pd.DataFrame:
    """Fit the rolling baselines of one series, run the method, return its per-period frame."""
    idx, fit = _baseline_for_series(
        s.y, baseline=baseline, guard=guard, trend=trend, reweight=reweight
    )
    ym = s.y[idx].astype(float)
    p_value = np.full(idx.size, np.nan)
    if method == "nb_cusum":
        threshold, statistic, limit, disp, alarm = _cusum(
            ym,
            fit,
            kappa=cast(float, design.kappa),
            arl0=cast(float, design.arl0),
            progress=progress,
        )
    else:
        threshold, statistic, limit, p_value, disp, alarm = _farrington(
            ym, fit, alpha=cast(float, design.alpha)
        )
    n = s.n
    frame = pd.DataFrame(
        {
            DATE: s.dates,
            COUNT: s.y,
            "expected": _spread(n, idx, fit.mean),
            "threshold": _spread(n, idx, threshold),
            "statistic": _spread(n, idx, statistic),
            "limit": _spread(n, idx, limit),
            "p_value": _spread(n, idx, p_value),
            "dispersion": _spread(n, idx, disp),
            "trend": _spread(n, idx, fit.trend, flag=True),
            "monitored": _spread(n, idx, np.ones(idx.size, dtype=bool), flag=True),
            "alarm": _spread(n, idx, alarm, flag=True),
        }
    )
    if by is not None:
        frame.insert(1, by, [s.group] * len(frame))
    return frame
