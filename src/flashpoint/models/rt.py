"""Time-varying reproduction number of attack counts (Cori et al. 2013, as in R's EpiEstim).

``estimate_rt`` treats each day's attacks as "offspring" of earlier attacks weighted by a
serial-interval distribution (the typical delay between an attack and the attacks it
provokes) and returns the gamma posterior of the reproduction number over sliding windows:
an escalation index that users of EpiEstim will recognise. ``serial_interval_pmf`` gives the
discretised gamma serial interval EpiEstim uses.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.errors import FlashpointTypeError, FlashpointValueError, ShortSeriesWarning
from flashpoint.models._base import CountSeries, ResultMixin, check_alpha, split_counts, warn
from flashpoint.models._levels import new_level, set_level
from flashpoint.schemas import DATE

if TYPE_CHECKING:
    import plotly.graph_objects as go

stats = lazy_module("scipy.stats")

__all__ = [
    "DEFAULT_SERIAL_INTERVAL",
    "RtResult",
    "SparseWindowWarning",
    "estimate_rt",
    "serial_interval_pmf",
]

DEFAULT_SERIAL_INTERVAL: tuple[float, float] = (4.0, 3.0)
"""Default (mean, sd) in days of the attack-to-attack "serial interval".

A convention, not an estimate. Near-repeat studies of insurgent attacks in Iraq found the
risk of a follow-on attack highest in the first days after an attack and diminishing with
time (Townsley, Johnson & Ratcliffe 2008, Security Journal 21:139-146: highest within 2
days and 1 km of an IED attack; Johnson & Braithwaite 2009, in Reducing Terrorism Through
Situational Crime Prevention, pp. 9-32). An offset gamma with mean 4 and sd 3 days (an
exponential delay shifted by one day) puts 15% of the mass on day 1, 56% within 3 days and
96% within 10 days. Set ``serial_interval=`` to your own assumption (for instance the
triggering kernel of a fitted Hawkes model) and report it.
"""

_TAIL = 1e-10  # truncate the discretised serial interval once the remaining mass is below this


class SparseWindowWarning(ShortSeriesWarning):
    """Some windows hold too few events for a useful reproduction-number estimate.

    EpiEstim's guidance (Cori et al. 2013, web appendix; ``cv_posterior`` in
    ``EpiEstim::make_config``) is to report R only where the posterior coefficient of
    variation is at most 0.3, i.e. about 11 or more events in the window with the default
    prior.
    """


# --------------------------------------------------------------------------------------------
# Serial interval
# --------------------------------------------------------------------------------------------


def serial_interval_pmf(mean: float, sd: float, *, max_delay: int | None = None) -> np.ndarray:
    r"""Discretise a gamma serial interval as EpiEstim does (offset gamma, shift one day).

    Parameters
    ----------
    mean
        Mean of the continuous serial interval in days; must exceed 1 (the shift).
    sd
        Its standard deviation in days (> 0).
    max_delay
        Longest delay kept (days). ``None``: the smallest delay beyond which less than
        1e-10 of the mass remains.

    Returns
    -------
    numpy.ndarray
        ``w`` with ``w[k - 1]`` the probability that the delay is ``k`` days,
        ``k = 1 .. K`` (the delay-0 term is zero by construction and omitted). Not
        renormalised after truncation, as in EpiEstim.

    Raises
    ------
    FlashpointValueError
        If ``mean <= 1``, ``sd <= 0`` or ``max_delay < 1``.

    See Also
    --------
    estimate_rt : uses this when ``serial_interval=(mean, sd)``.

    Notes
    -----
    The serial interval is ``X = 1 + Y`` with ``Y ~ Gamma(shape=((mean-1)/sd)^2,
    scale=sd^2/(mean-1))``; the primary event falls uniformly within its day, so the
    probability that the secondary event falls ``k`` days later is

    .. math:: w_k = \Phi(k) - 2\Phi(k-1) + \Phi(k-2), \qquad
              \Phi(x) = x F_a(x) - a b\, F_{a+1}(x) \;(x > 0),\; 0 \text{ otherwise},

    where :math:`F_a` is the gamma(shape ``a``, scale ``b``) distribution function
    (:math:`\Phi` integrates it). This is the formula of Cori et al. (2013), Web Appendix
    11, implemented in ``EpiEstim::discr_si`` (checked against its published values in
    ``tests/reference/rt.md``).

    Examples
    --------
    >>> from flashpoint.models.rt import serial_interval_pmf
    >>> w = serial_interval_pmf(2.6, 1.5)
    >>> [round(float(v), 7) for v in w[:3]]
    [0.2331721, 0.3585794, 0.1981108]
    """
    for name, value in (("mean", mean), ("sd", sd)):
        if not isinstance(value, int | float) or not np.isfinite(value):
            raise FlashpointValueError(
                f"serial interval {name} must be a finite number of days, got {value!r}"
            )
    if mean <= 1:
        raise FlashpointValueError(
            f"serial interval mean must exceed 1 day (the discretisation shifts it by one day), "
            f"got {mean}"
        )
    if sd <= 0:
        raise FlashpointValueError(f"serial interval sd must be positive, got {sd}")
    if max_delay is not None and (not isinstance(max_delay, int | np.integer) or max_delay < 1):
        raise FlashpointValueError(f"max_delay must be a positive integer, got {max_delay!r}")
    shape = ((mean - 1.0) / sd) ** 2
    scale = sd**2 / (mean - 1.0)

    def integrated_cdf(x: np.ndarray) -> np.ndarray:
        xp = np.maximum(x, 0.0)
        out = xp * stats.gamma.cdf(xp, shape, scale=scale) - shape * scale * stats.gamma.cdf(
            xp, shape + 1.0, scale=scale
        )
        return np.where(x > 0, out, 0.0)

    if max_delay is None:
        # the delay k carries mass from Y in (k-2, k); stop once P(Y > K - 1) is negligible
        tail_y = float(stats.gamma.isf(_TAIL, shape, scale=scale))
        max_delay = int(np.ceil(tail_y)) + 2
    k = np.arange(1, max_delay + 1, dtype=float)
    w = integrated_cdf(k) - 2.0 * integrated_cdf(k - 1.0) + integrated_cdf(k - 2.0)
    return cast(np.ndarray, np.maximum(w, 0.0))


def _serial_interval(
    serial_interval: tuple[float, float] | Sequence[float] | np.ndarray | pd.Series,
) -> tuple[np.ndarray, tuple[float, float] | None]:
    """Return w_1..w_K and the (mean, sd) it came from (None for an explicit vector)."""
    if isinstance(serial_interval, tuple) and len(serial_interval) == 2:
        mean, sd = serial_interval
        return serial_interval_pmf(float(mean), float(sd)), (float(mean), float(sd))
    if isinstance(serial_interval, str | bytes) or not hasattr(serial_interval, "__len__"):
        raise FlashpointTypeError(
            "serial_interval must be a tuple (mean, sd) in days or a probability vector "
            f"w_1..w_K (list or array); got {type(serial_interval).__name__}"
        )
    try:
        w = np.asarray(serial_interval, dtype=float).ravel()
    except (TypeError, ValueError) as err:
        raise FlashpointTypeError(
            "serial_interval must be a tuple (mean, sd) in days or a numeric probability "
            f"vector w_1..w_K; got {serial_interval!r}"
        ) from err
    if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise FlashpointValueError(
            "the serial-interval vector w_1..w_K must hold finite, non-negative probabilities "
            f"(w[0] is the probability of a 1-day delay); got {w.tolist()[:8]}"
        )
    total = float(w.sum())
    if abs(total - 1.0) > 0.01:
        raise FlashpointValueError(
            f"the serial-interval probabilities must sum to 1 (within 0.01), got {total:.4g}; "
            "normalise the vector, or pass (mean, sd) for a discretised gamma"
        )
    return w / total, None


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RtResult(ResultMixin):
    """Time-varying reproduction number per group (Cori et al. 2013).

    Attributes
    ----------
    estimates
        One row per date whose window is complete, per group: see
        :func:`estimate_rt` for the columns.
    by
        Group column of the counts (``None`` for a single series).
    groups
        Groups in order of appearance.
    window
        Window length in days.
    serial_interval
        The serial-interval probabilities used, ``w_1..w_K`` (delays 1..K days).
    serial_interval_params
        ``(mean, sd)`` in days when the serial interval is a discretised gamma, else ``None``.
    prior_shape, prior_scale
        The gamma prior of R.
    alpha
        ``1 - conf_level``.
    cv_posterior
        Posterior coefficient of variation above which an estimate is flagged unreliable.
    """

    estimates: pd.DataFrame = field(compare=False)
    by: str | None
    groups: tuple[Hashable | None, ...]
    window: int
    serial_interval: np.ndarray = field(compare=False)
    serial_interval_params: tuple[float, float] | None
    prior_shape: float
    prior_scale: float
    alpha: float
    cv_posterior: float

    def summary(self, alpha: float | None = None) -> pd.DataFrame:
        """Return the tidy estimates (one row per date and group).

        Parameters
        ----------
        alpha
            Read the credible intervals at level ``1 - alpha`` (default: the estimate's
            ``alpha``); they are recomputed exactly from the gamma posterior
            (``posterior_shape``, ``posterior_scale``).

        Returns
        -------
        pandas.DataFrame
            A copy of :attr:`estimates`; columns as listed in :func:`estimate_rt`.
        """
        out = self.estimates.copy()
        if new_level(self.alpha, alpha) is None or alpha is None:
            return out
        shape, scale = out["posterior_shape"], out["posterior_scale"]
        out["rt_lower"] = stats.gamma.ppf(alpha / 2, shape, scale=scale)
        out["rt_upper"] = stats.gamma.ppf(1 - alpha / 2, shape, scale=scale)
        return set_level(out, alpha)

    def _headline(self) -> str:
        si = (
            f"gamma serial interval mean {self.serial_interval_params[0]:g} d, "
            f"sd {self.serial_interval_params[1]:g} d"
            if self.serial_interval_params is not None
            else f"serial interval over {len(self.serial_interval)} days"
        )
        n_groups = len(self.groups)
        return (
            f"Cori R_t, {self.window}-day windows, {si}, {self.conf_level:.0%} credible "
            f"intervals, {n_groups} group{'s' if n_groups != 1 else ''}, "
            f"{len(self.estimates)} estimates"
        )

    def plot(self, *, events: object = None) -> go.Figure:
        """Draw R_t with its credible band per group (see :func:`flashpoint.plots.plot_rt`)."""
        return self._draw(events=events)


# --------------------------------------------------------------------------------------------
# Estimation
# --------------------------------------------------------------------------------------------


def _infectiousness(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Lambda_t = sum_{s=1}^{K} w_s y_{t-s} (zero history before the first day)."""
    kernel = np.concatenate([[0.0], w])
    return cast(np.ndarray, np.convolve(y.astype(float), kernel)[: len(y)])


def estimate_rt(
    counts: pd.DataFrame,
    *,
    serial_interval: tuple[float, float] | Sequence[float] | np.ndarray = DEFAULT_SERIAL_INTERVAL,
    window: int = 7,
    prior_shape: float = 1.0,
    prior_scale: float = 5.0,
    alpha: float = 0.05,
    cv_posterior: float = 0.3,
    by: str | None = None,
) -> RtResult:
    r"""Estimate the time-varying reproduction number R_t of daily counts (Cori et al. 2013).

    Parameters
    ----------
    counts
        Tidy daily counts (``date``, optional group column, ``count``), e.g. from
        :func:`flashpoint.count_daily`; a complete daily calendar per group.
    serial_interval
        Either a tuple ``(mean, sd)`` in days of a gamma distribution, discretised as in
        EpiEstim (:func:`serial_interval_pmf`), or a probability vector ``w_1..w_K`` (list
        or array; ``w[0]`` is the probability of a one-day delay) summing to 1. Default
        :data:`DEFAULT_SERIAL_INTERVAL` = (4, 3): see its note; report the choice.
    window
        Length in days of the sliding window ending on each date (EpiEstim's default 7).
    prior_shape, prior_scale
        Gamma prior of R (shape, scale); EpiEstim's default is mean 5, sd 5 (shape 1,
        scale 5).
    alpha
        One minus the level of the equal-tailed credible intervals (0.05 gives 95%).
    cv_posterior
        Estimates whose posterior coefficient of variation exceeds this are flagged
        ``reliable = False`` and counted in a :class:`SparseWindowWarning` (EpiEstim's
        ``cv_posterior``, default 0.3).
    by
        Group column; found by elimination when ``None``.

    Returns
    -------
    RtResult
        ``estimates`` / ``summary()`` has one row per date and group, from the first date
        whose window starts on the series' second day (EpiEstim's default ``t_start = 2``):

        - ``date``: last day of the window (the day R_t refers to);
        - the group column (when there is one);
        - ``window_start``: first day of the window;
        - ``rt_mean``, ``rt_median``: posterior mean and median of R (attacks per attack,
          dimensionless);
        - ``rt_lower``, ``rt_upper``: equal-tailed credible interval at ``conf_level``;
        - ``rt_sd``: posterior standard deviation;
        - ``conf_level``: ``1 - alpha``;
        - ``window_count``: events in the window (count);
        - ``infectiousness``: sum over the window of Lambda_t (expected events per unit R);
        - ``posterior_shape``, ``posterior_scale``: the gamma posterior of R;
        - ``posterior_cv``: its coefficient of variation, ``1/sqrt(posterior_shape)``;
        - ``reliable``: ``posterior_cv <= cv_posterior``.

    Raises
    ------
    FlashpointValueError
        On bad counts (see :func:`flashpoint.models._base.split_counts`), counts that are not
        daily, a series shorter than ``window + 1`` days, or invalid parameters.
    FlashpointTypeError
        When ``serial_interval`` is neither a ``(mean, sd)`` tuple nor a numeric vector.

    Warns
    -----
    SparseWindowWarning
        When some windows hold too few events for the posterior CV to reach
        ``cv_posterior`` (about 11 events with the default prior).

    See Also
    --------
    serial_interval_pmf : the discretised gamma serial interval.
    flashpoint.models.alarms.detect_alarms : days above what the recent baseline predicts.

    Notes
    -----
    The renewal model (Fraser 2007; Cori et al. 2013) takes the events on day t as Poisson
    with mean :math:`R_t \Lambda_t`, where the total infectiousness is
    :math:`\Lambda_t = \sum_{s \ge 1} w_s I_{t-s}`. Assuming R constant over the window
    :math:`\tau = t-\text{window}+1, \dots, t` and a Gamma(``a``, scale ``b``) prior,
    the posterior is

    .. math:: R_\tau \mid I \sim \mathrm{Gamma}\Big(
              \text{shape} = a + \sum_{s \in \tau} I_s, \;
              \text{scale} = \big(1/b + \sum_{s \in \tau} \Lambda_s\big)^{-1}\Big).

    The first day's events only seed Lambda (EpiEstim treats them as imported). Results
    match EpiEstim's published output to 1e-6 (``tests/reference/rt.md``).

    Reading R_t on conflict data: R_t compares today's attacks with the attacks of the
    previous days weighted by the serial interval. Any stationary series, whether
    self-exciting or not, gives R_t near 1; R_t above 1 means attacks are rising faster
    than their recent history implies (escalation), below 1 a decline. It is an index of
    growth, not a measured causal effect of one attack on the next; for self-excitation
    use the branching ratio of a Hawkes model.

    References: Cori A, Ferguson NM, Fraser C, Cauchemez S (2013). A new framework and
    software to estimate time-varying reproduction numbers during epidemics. Am J Epidemiol
    178:1505-1512.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from flashpoint.models.rt import estimate_rt
    >>> rng = np.random.default_rng(1)
    >>> simulated = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=40),
    ...                           "count": rng.poisson(3.0, size=40)})
    >>> res = estimate_rt(simulated, serial_interval=(4.0, 3.0))
    >>> s = res.summary()
    >>> len(s), float(s["conf_level"].iloc[0])
    (33, 0.95)
    >>> bool(0.6 < s["rt_mean"].median() < 1.5)
    True
    """
    alpha = check_alpha(alpha)
    window = _check_rt_settings(window, prior_shape, prior_scale, cv_posterior)
    w, si_params = _serial_interval(serial_interval)
    by, freq, series = split_counts(counts, by=by)
    if freq != "D":
        raise FlashpointValueError(
            f"estimate_rt needs daily counts (the serial interval is in days); got frequency "
            f"{freq!r}. Use fp.count_daily(events) without resampling"
        )
    prior = (float(prior_shape), float(prior_scale))
    frames = [_rt_posterior(s, w, window, prior, alpha, cv_posterior) for s in series]
    if by is not None:
        for s, frame in zip(series, frames, strict=True):
            frame.insert(1, by, [s.group] * len(frame))
    _warn_sparse_windows(series, frames, prior_shape, cv_posterior)
    estimates = pd.concat(frames, ignore_index=True)
    return RtResult(
        estimates=estimates,
        by=by,
        groups=tuple(s.group for s in series),
        window=window,
        serial_interval=w,
        serial_interval_params=si_params,
        prior_shape=float(prior_shape),
        prior_scale=float(prior_scale),
        alpha=alpha,
        cv_posterior=float(cv_posterior),
    )


def _check_rt_settings(window: Any, prior_shape: Any, prior_scale: Any, cv_posterior: Any) -> int:
    """Check the window (returned as int), the gamma prior and the reliability threshold."""
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 1:
        raise FlashpointValueError(
            f"window must be a positive whole number of days, got {window!r}"
        )
    for name, value in (("prior_shape", prior_shape), ("prior_scale", prior_scale)):
        if not isinstance(value, int | float) or not np.isfinite(value) or value <= 0:
            raise FlashpointValueError(f"{name} must be a positive number, got {value!r}")
    if not isinstance(cv_posterior, int | float) or not cv_posterior > 0:
        raise FlashpointValueError(f"cv_posterior must be a positive number, got {cv_posterior!r}")
    return int(window)


def _rt_posterior(
    s: CountSeries,
    w: np.ndarray,
    window: int,
    prior: tuple[float, float],
    alpha: float,
    cv_posterior: float,
) -> pd.DataFrame:
    """Gamma posterior of R over each window of one series (Cori et al. 2013)."""
    where = "" if s.group is None else f" (group {s.group!r})"
    if s.n < window + 1:
        raise FlashpointValueError(
            f"{s.n} days of counts{where}; a {window}-day window starting on the second "
            f"day needs at least {window + 1}. Lower window= or use a longer series"
        )
    prior_shape, prior_scale = prior
    y = s.y.astype(float)
    lam = _infectiousness(y, w)
    cy = np.concatenate([[0.0], np.cumsum(y)])
    cl = np.concatenate([[0.0], np.cumsum(lam)])
    end = np.arange(window, s.n)  # 0-based last day; window starts at day >= 1
    start = end - window + 1
    sum_i = cy[end + 1] - cy[start]
    sum_lam = cl[end + 1] - cl[start]
    shape = prior_shape + sum_i
    scale = 1.0 / (1.0 / prior_scale + sum_lam)
    cv = 1.0 / np.sqrt(shape)
    lower_q, upper_q = alpha / 2.0, 1.0 - alpha / 2.0
    return pd.DataFrame(
        {
            DATE: s.dates[end],
            "window_start": s.dates[start],
            "rt_mean": shape * scale,
            "rt_median": stats.gamma.ppf(0.5, shape, scale=scale),
            "rt_lower": stats.gamma.ppf(lower_q, shape, scale=scale),
            "rt_upper": stats.gamma.ppf(upper_q, shape, scale=scale),
            "rt_sd": np.sqrt(shape) * scale,
            "conf_level": 1.0 - alpha,
            "window_count": sum_i.astype(np.int64),
            "infectiousness": sum_lam,
            "posterior_shape": shape,
            "posterior_scale": scale,
            "posterior_cv": cv,
            "reliable": cv <= cv_posterior,
        }
    )


def _warn_sparse_windows(
    series: list[CountSeries], frames: list[pd.DataFrame], prior_shape: float, cv_posterior: float
) -> None:
    """Warn once about the windows whose posterior CV exceeds ``cv_posterior``."""
    sparse: list[str] = []
    for s, frame in zip(series, frames, strict=True):
        n_bad = int((~frame["reliable"]).sum())
        if n_bad:
            where = "" if s.group is None else f" (group {s.group!r})"
            sparse.append(f"{n_bad} of {len(frame)}{where}")
    if sparse:
        min_events = int(np.ceil(1.0 / cv_posterior**2 - prior_shape))
        warn(
            f"{'; '.join(sparse)} R_t windows hold fewer than about {min_events} events "
            f"(posterior CV above {cv_posterior}); those estimates are flagged reliable=False "
            f"and are dominated by the prior. Widen window= to pool more days",
            SparseWindowWarning,
        )
