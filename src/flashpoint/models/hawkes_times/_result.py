"""The result of :func:`fit_hawkes_times`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flashpoint.models._base import ResultMixin
from flashpoint.models._levels import new_level, set_level

__all__ = ["HawkesTimesResult"]

if TYPE_CHECKING:
    import plotly.graph_objects as go


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class HawkesTimesResult(ResultMixin):
    """Fitted continuous-time exponential Hawkes model (from :func:`fit_hawkes_times`).

    Attributes
    ----------
    mu
        Background rate (events per day).
    branching_ratio
        Expected number of events directly triggered by one event (eta); the process is
        stationary when it is below 1.
    decay
        Decay rate beta of the kernel (per day); the mean delay of a triggered event is
        ``1 / decay`` days.
    half_life_days
        ``ln 2 / decay``: days for an event's excitation to halve.
    alpha, conf_level
        Significance level and confidence level ``1 - alpha`` of the intervals.
    n_events
        Number of events fitted.
    n_ties
        Events that shared their time with an earlier one in the input.
    ties
        How ties were handled (``"spread"``, ``"keep"`` or ``"raise"``).
    start, end
        Observation window (timestamps for an event table, days for an array).
    window_days
        Length of the window in days.
    log_likelihood, poisson_log_likelihood
        Maximised log-likelihood, and that of a homogeneous Poisson process (no
        self-excitation) on the same window.
    aic
        Akaike information criterion of the Hawkes fit (3 parameters).
    converged
        Whether the optimiser reported convergence.
    ks_statistic, ks_pvalue
        Kolmogorov-Smirnov test that the rescaled inter-event intervals are Exp(1)
        (time-rescaling goodness of fit).
    covariance
        Inverse observed information of ``(mu, branching_ratio, decay)`` (natural scale);
        NaN where it is not identified.
    residuals
        One row per event: ``event`` (0-based), ``time`` (timestamp, or days for an
        array), ``days`` (days since the window start), ``intensity`` (conditional intensity
        just before the event, events per day), ``compensator`` (expected events since the
        start, ``Lambda(t)``), ``interval`` (rescaled interval ``Lambda(t_i) -
        Lambda(t_{i-1})``, Exp(1) under the model), ``uniform`` (``1 - exp(-interval)``,
        Uniform(0, 1) under the model).
    intensity
        The fitted conditional intensity for plotting: ``time``, ``days``, ``intensity``
        (events per day), ``background`` (``mu``, events per day), ``point`` (``"grid"``,
        ``"before_event"``, ``"after_event"``); sorted by time.
    ks_curve
        KS plot of the rescaled intervals: ``rank``, ``expected_uniform`` (``(rank - 0.5)
        / n``), ``observed_uniform`` (sorted ``uniform``), ``band_lower``/``band_upper``
        (exact KS band at level ``conf_level``), ``expected_interval`` (Exp(1) quantile),
        ``observed_interval`` (sorted ``interval``).
    """

    mu: float
    branching_ratio: float
    decay: float
    half_life_days: float
    alpha: float
    n_events: int
    n_ties: int
    ties: str
    start: pd.Timestamp | float
    end: pd.Timestamp | float
    window_days: float
    log_likelihood: float
    poisson_log_likelihood: float
    converged: bool
    ks_statistic: float
    ks_pvalue: float
    covariance: np.ndarray = field(repr=False, compare=False)
    table: pd.DataFrame = field(repr=False, compare=False)
    residuals: pd.DataFrame = field(repr=False, compare=False)
    intensity: pd.DataFrame = field(repr=False, compare=False)
    ks_curve: pd.DataFrame = field(repr=False, compare=False)

    @property
    def aic(self) -> float:
        """Akaike information criterion, ``2 * 3 - 2 * log_likelihood``."""
        return 6.0 - 2.0 * self.log_likelihood

    def summary(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per parameter.

        Returns
        -------
        pandas.DataFrame
            ``term`` (``mu``: events per day; ``branching_ratio``; ``decay``: per day;
            ``half_life_days``: days), ``estimate``, ``std_err`` (observed information,
            delta method for the half-life), ``ci_lower``/``ci_upper`` (Wald interval on
            the log scale, so always positive) and ``conf_level``.

            ``alpha`` reads the intervals at level ``1 - alpha`` (default: the fit's); they
            are recomputed exactly from ``estimate`` and ``std_err``.
        """
        out = self.table.copy()
        z = new_level(self.alpha, alpha)
        if z is None or alpha is None:
            return out
        est = out["estimate"].to_numpy(float)
        rel = out["std_err"].to_numpy(float) / est  # standard error of the log estimate
        lower, upper = est * np.exp(-z[1] * rel), est * np.exp(z[1] * rel)
        half = out.index[out["term"] == "half_life_days"]
        decay = int(np.flatnonzero(out["term"].to_numpy() == "decay")[0])
        lower[half], upper[half] = np.log(2.0) / upper[decay], np.log(2.0) / lower[decay]
        out["ci_lower"], out["ci_upper"] = lower, upper
        return set_level(out, alpha)

    def _headline(self) -> str:
        ci = self.table.set_index("term").loc["branching_ratio"]
        return (
            f"exponential Hawkes, {self.n_events} events over {self.window_days:.4g} days: "
            f"branching ratio {self.branching_ratio:.3g} ({self.conf_level:.0%} CI "
            f"{ci['ci_lower']:.3g}-{ci['ci_upper']:.3g}), half-life "
            f"{self.half_life_days:.3g} days, background {self.mu:.3g}/day; "
            f"KS p = {self.ks_pvalue:.3g}"
        )

    def plot(self) -> go.Figure:
        """Intensity with event ticks, and the KS plot of the rescaled intervals."""
        return self._draw()
