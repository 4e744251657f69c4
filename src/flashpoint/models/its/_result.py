"""The result of :func:`flashpoint.fit_its`."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from flashpoint.models._base import ResultMixin
from flashpoint.models._glm import CountFit
from flashpoint.models.design import EventSpec

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["ITSResult"]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ITSResult(ResultMixin):
    """Result of :func:`fit_its`.

    Attributes
    ----------
    family, trend, cov_type : str
        Model settings.
    band : str
        What the excess bands cover: ``"predictive"`` (parameter uncertainty and count
        noise, the default) or ``"parameter"`` (parameter uncertainty only).
    slope : str
        How ``slope`` events are reported: ``"change"`` (change of the trend's slope at
        the event) or ``"post"`` (the slope after the event).
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
        Simulation settings of the cumulative excess band.
    coefficients : DataFrame
        Every model term per group, as fitted (slope events as changes of slope):
        ``term, estimate, std_err, statistic, p_value, ci_lower, ci_upper`` (log scale).
    fitted : DataFrame
        Per date and group, in attacks per period:

        - ``count``; ``fitted`` with ``fitted_lower/_upper``: confidence band of the mean
          (parameter uncertainty only);
        - ``counterfactual`` (the mean with every event term removed) with
          ``counterfactual_lower/_upper``: confidence band of that mean (parameter
          uncertainty only), and ``counterfactual_pred_lower/_upper``: predictive band of
          a count without the events (parameter uncertainty and count noise: "what could
          have happened");
        - ``excess`` (count - counterfactual) with ``excess_lower/_upper`` = count minus
          the counterfactual's predictive band (``band="predictive"``) or its confidence
          band (``band="parameter"``);
        - ``cumulative_excess`` from the first day an event acts, with
          ``cumulative_excess_lower/_upper`` from ``n_sim`` draws (same ``band``).

        Every path of a group is ``nan`` when one of its terms cannot be estimated.
    dispersion : DataFrame
        Per group: ``n_obs``, ``nb_alpha`` (NB2 dispersion, ``Var = mu + alpha mu^2``),
        ``nb_alpha_se``, ``pearson_dispersion`` (Pearson chi2 / df of the Poisson fit),
        ``lr_statistic`` and ``lr_p_value`` (Poisson vs NB), ``converged``.
    fits : dict
        The fitted models per group (``CountFit``, holding the statsmodels result in
        ``.raw``; for a decay with an estimated half-life its covariance includes the
        half-life's uncertainty).
    designs : dict
        The design matrices per group (DataFrames indexed by date).
    """

    family: str
    trend: str
    cov_type: str
    band: str
    slope: str
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
            (log rate ratio), ``std_err``, ``statistic``, ``p_value``, ``ci_lower``,
            ``ci_upper`` (log scale), ``ci_method``, ``p_method``, ``rate_ratio``,
            ``rate_ratio_lower``, ``rate_ratio_upper`` (the multiplicative change in the
            rate: per ``time_unit`` for slopes, at the event for decays), ``half_life``
            (periods; decay only; ``half_life_lower/upper`` when estimated) and
            ``conf_level``.

            ``ci_method``/``p_method`` say how each row was computed:

            - ``"wald"``/``"wald"``: the estimate +- z standard errors, ``statistic`` = z;
            - ``"profile"``/``"likelihood ratio"``: no event fell where the term is
              non-zero (e.g. a truce without attacks): the estimate is ``-inf``, the rate
              ratio 0, its upper bound from the profile likelihood and the p-value from a
              likelihood-ratio test (divided by the dispersion for quasi-Poisson);
            - ``"wald (half-life estimated)"``/``"sup-score bootstrap"`` (``"davies"``
              with ``cov_type="hac"``): a decay whose half-life was estimated: the
              standard error includes the half-life's uncertainty, and the p-value is that
              of the score statistic maximised over the half-life (``statistic``), whose
              null distribution is simulated from the fitted model without the decay
              (the half-life does not exist without an effect);
            - ``"not estimable"``: everything ``nan`` (e.g. no event before a step).
        """
        return self.table.copy()

    def _headline(self) -> str:
        groups = ", ".join(map(str, self.groups)) if self.by else "one series"
        return (
            f"{self.family} ITS, trend={self.trend}, {len(self.events)} event(s), "
            f"{groups}; {self.conf_level:.0%} intervals, {self.band} excess bands"
        )

    def design_matrix(self, group: Hashable | None = None) -> pd.DataFrame:
        """Return the design matrix of one group (the only one when ungrouped)."""
        key = self.groups[0] if group is None else group
        return self.designs[key].copy()

    def plot(self) -> go.Figure:
        """Observed, fitted and counterfactual paths and cumulative excess (plotly)."""
        return self._draw()
