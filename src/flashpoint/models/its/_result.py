"""The result of :func:`flashpoint.fit_its`."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flashpoint.models._base import ResultMixin
from flashpoint.models._glm import GAUSSIAN, CountFit
from flashpoint.models._levels import relevel_rate_table
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
    controls : tuple of str
        Names of the control series (empty without controls).
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
        ``nb_alpha_se``, ``pearson_dispersion`` (Pearson chi2 / df of the Poisson fit;
        the residual variance for ``family="gaussian"``),
        ``lr_statistic`` and ``lr_p_value`` (Poisson vs NB), ``converged``.
    controls_fit : DataFrame
        Per group and control (empty without controls): ``control``, ``transform``
        (``"log1p"``, ``"log"`` or ``"none"``), ``estimate`` (coefficient per unit of the
        transformed control: an elasticity for ``log`` under the log link), ``std_err``,
        ``statistic``, ``p_value``, ``ci_lower``, ``ci_upper``, ``control_sd`` (pre-event
        standard deviation of the transformed control, which standardises its design
        column), ``shift_event``, ``shift`` (the control's change at that event, in
        pre-event sds: mean of up to 14 periods after minus before), ``shift_p_value``
        (rank of that change among the same statistic at every pre-event date) and
        ``shift_flagged`` (larger than all of them, or than 99% when there are 100 or more:
        the :class:`~flashpoint.errors.AffectedControlWarning`).
    pre_fit : DataFrame
        Per group (empty without controls): ``n_pre`` (periods before the first event),
        ``pre_r2`` and ``pre_r2_baseline`` (squared correlation of observed and fitted
        values in a fit of the pre-event periods with and without the controls),
        ``lr_statistic``, ``lr_df``, ``lr_p_value`` (likelihood-ratio test of the controls
        in that fit; ``p > alpha`` raises a :class:`~flashpoint.errors.PoorFitWarning`),
        ``penalty`` (the ridge ``lambda``, 0 without shrinkage) and ``shrinkage``.
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
    controls: tuple[str, ...] = ()
    table: pd.DataFrame = field(compare=False)
    coefficients: pd.DataFrame = field(compare=False)
    fitted: pd.DataFrame = field(compare=False)
    dispersion: pd.DataFrame = field(compare=False)
    controls_fit: pd.DataFrame = field(compare=False, default_factory=pd.DataFrame)
    pre_fit: pd.DataFrame = field(compare=False, default_factory=pd.DataFrame)
    fits: Mapping[Hashable, CountFit] = field(compare=False)
    designs: Mapping[Hashable, pd.DataFrame] = field(compare=False)

    def summary(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per group and event term.

        Parameters
        ----------
        alpha
            Read the intervals at level ``1 - alpha`` (default: the fit's ``alpha``). The
            Wald intervals are recomputed from ``estimate`` and ``std_err``; profile
            intervals (an event without events, an estimated half-life) cannot be, and
            asking for another level then raises a ``FlashpointError`` (refit with
            ``alpha=``).

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
        return relevel_rate_table(
            self.table.copy(),
            self.alpha,
            alpha,
            what="this ITS result",
            ratio=self.family != GAUSSIAN,
            profiled=self.table["half_life_lower"].notna(),
        )

    def _headline(self) -> str:
        groups = ", ".join(map(str, self.groups)) if self.by else "one series"
        controls = f", {len(self.controls)} control(s)" if self.controls else ""
        return (
            f"{self.family} ITS, trend={self.trend}, {len(self.events)} event(s){controls}, "
            f"{groups}; {self.conf_level:.0%} intervals, {self.band} excess bands"
        )

    def impact(self) -> pd.DataFrame:
        """Average and cumulative effect over the post-event periods (CausalImpact-style).

        The post-event periods run from the first one an event acts on to the end of the
        series. The bands come from the cumulative excess band of ``fitted`` on the last
        day (``n_sim`` coefficient draws; with count or Gaussian noise for
        ``band="predictive"``, as R CausalImpact's posterior predictive intervals).

        Returns
        -------
        pandas.DataFrame
            Two rows per group (``measure`` ``"average"`` per period and
            ``"cumulative"``): ``n_post``, ``actual`` (observed), ``counterfactual``
            with ``counterfactual_lower/_upper``, ``excess`` (actual - counterfactual,
            CausalImpact's absolute effect) with ``excess_lower/_upper``,
            ``relative_excess`` (excess / counterfactual, its relative effect) with
            ``relative_excess_lower/_upper`` (``nan`` where the counterfactual band
            reaches 0), ``band`` and ``conf_level``.
        """
        key = self.by if self.by is not None else None
        pieces = self.fitted.groupby(key, sort=False) if key else [(None, self.fitted)]
        rows = []
        for group, frame in pieces:
            post = frame[frame["cumulative_excess"].notna()]
            if post.empty:
                continue
            actual = float(post["count"].sum())
            last = post.iloc[-1]
            cf = float(post["counterfactual"].sum())
            ex_lo, ex_hi = last["cumulative_excess_lower"], last["cumulative_excess_upper"]
            cf_lo, cf_hi = actual - ex_hi, actual - ex_lo
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = (actual - cf) / cf
                rel_lo = actual / cf_hi - 1 if cf_lo > 0 else np.nan
                rel_hi = actual / cf_lo - 1 if cf_lo > 0 else np.nan
            n_post = len(post)
            for measure, d in (("average", n_post), ("cumulative", 1)):
                row = {} if key is None else {key: group}
                row |= {
                    "measure": measure,
                    "n_post": n_post,
                    "actual": actual / d,
                    "counterfactual": cf / d,
                    "counterfactual_lower": cf_lo / d,
                    "counterfactual_upper": cf_hi / d,
                    "excess": (actual - cf) / d,
                    "excess_lower": ex_lo / d,
                    "excess_upper": ex_hi / d,
                    "relative_excess": rel,
                    "relative_excess_lower": rel_lo,
                    "relative_excess_upper": rel_hi,
                    "band": self.band,
                    "conf_level": self.conf_level,
                }
                rows.append(row)
        return pd.DataFrame(rows)

    def design_matrix(self, group: Hashable | None = None) -> pd.DataFrame:
        """Return the design matrix of one group (the only one when ungrouped)."""
        key = self.groups[0] if group is None else group
        return self.designs[key].copy()

    def plot(self) -> go.Figure:
        """Observed, fitted and counterfactual paths and cumulative excess (plotly)."""
        return self._draw()
