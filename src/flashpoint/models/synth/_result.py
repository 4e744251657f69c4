"""The result of :func:`flashpoint.fit_synthetic_control`."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from flashpoint.models._base import ResultMixin
from flashpoint.models._levels import fixed_level
from flashpoint.models.design import EventSpec

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["SyntheticControlResult"]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class SyntheticControlResult(ResultMixin):
    """Result of :func:`flashpoint.fit_synthetic_control`.

    One *analysis* per treated unit and event (``kind="event"``), plus one per in-time
    placebo date when asked for (``kind="in_time"``). Every frame below has the columns
    ``treated`` (the treated unit, a group of ``by``), ``event`` (its label) and ``kind``
    that say which analysis a row belongs to.

    Attributes
    ----------
    by : str
        Group column of the counts (the units).
    freq : str
        Frequency of the series.
    rate_unit : str
        Unit of every rate: ``"per day"`` (one period) without exposure, ``"per unit of
        <exposure>"`` with it.
    exposure : str or None
        Exposure column.
    treated : tuple
        Treated units.
    events : tuple of EventSpec
        The events.
    in_time : Timestamp or None
        The in-time placebo date.
    alpha : float
        Level of ``reject`` and of the minimum-p-value warning.
    poor_fit_ratio : float
        A placebo whose pre-period RMSPE exceeds this multiple of the treated unit's is
        flagged ``poor_fit``.
    predictors : tuple of str
        Names of the predictors (empty: weights fitted on the outcome path).
    table : DataFrame
        The summary (see :meth:`summary`).
    weights : DataFrame
        ``treated, event, kind, donor, weight``: the treated unit's donor weights (every
        donor, largest first; they are non-negative and sum to one).
    placebos : DataFrame
        One row per unit of each analysis, the treated unit first (``role`` "treated")
        then every donor refitted as if treated (``role`` "placebo"): ``unit, role,
        pre_rmspe, post_rmspe, rmspe_ratio, average_gap`` (rate scale), ``rank`` (of
        ``rmspe_ratio``, 1 = largest) and ``poor_fit``.
    paths : DataFrame
        Long form, one row per unit and date: ``unit, role, date, observed, synthetic,
        gap`` (rates: observed - synthetic) and ``cumulative_gap`` (in counts, from the
        event on, with the unit's exposure; missing before the event).
    predictor_balance : DataFrame
        With predictors: ``predictor, v_weight`` (the fitted diagonal of ``V``),
        ``treated_value, synthetic_value, donor_mean`` for the treated unit; else empty.
    """

    by: str
    freq: str
    rate_unit: str
    exposure: str | None
    treated: tuple[Hashable, ...]
    events: tuple[EventSpec, ...]
    in_time: pd.Timestamp | None
    alpha: float
    poor_fit_ratio: float
    predictors: tuple[str, ...]
    table: pd.DataFrame = field(compare=False)
    weights: pd.DataFrame = field(compare=False)
    placebos: pd.DataFrame = field(compare=False)
    paths: pd.DataFrame = field(compare=False)
    predictor_balance: pd.DataFrame = field(compare=False)

    def summary(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per analysis (treated unit, event, kind).

        Parameters
        ----------
        alpha
            Only the fit's level (``None`` or its ``alpha``): its intervals cannot be
            recomputed at another; refit with ``alpha=`` for another level.

        Returns
        -------
        pandas.DataFrame
            ``treated`` (the treated unit), ``event`` (label), ``date`` (event or in-time placebo
            date), ``kind`` (``"event"`` or ``"in_time"``), ``n_donors``, ``n_pre`` and
            ``n_post`` (periods), ``observed_count`` and ``synthetic_count`` (events in the
            post window: observed, and the synthetic rate times the treated unit's
            exposure), ``average_gap`` (mean of observed - synthetic rate over the post
            window, per period on the rate scale), ``cumulative_gap`` (``observed_count -
            synthetic_count``, in counts), ``rate_ratio`` (``observed_count /
            synthetic_count``), ``pre_rmspe`` and ``post_rmspe`` (root mean squared gap
            before / after, rate scale), ``rmspe_ratio`` (post / pre), ``pre_r2`` (share of
            the treated unit's pre-period variance the synthetic control explains),
            ``pre_misfit`` (systematic pre-period misfit as a share of the treated unit's
            pre-period mean rate) and ``pre_misfit_z`` (how far it stands out of the
            period-to-period noise; see Notes of :func:`fit_synthetic_control`),
            ``p_value`` (rank of the treated unit's ``rmspe_ratio`` among the treated
            unit and its placebos), ``p_value_good_fit`` (the same without the placebos
            flagged ``poor_fit``), ``n_placebos``, ``n_placebos_good_fit``,
            ``min_p_value`` (``1 / (n_placebos + 1)``, the smallest attainable p-value),
            ``reject`` (``p_value <= alpha``) and ``converged`` (every weight fit).
        """
        fixed_level(self.alpha, alpha, what="this synthetic control", kind="placebo-permutation")
        return self.table.copy()

    def _headline(self) -> str:
        row = self.table.iloc[0]
        units = ", ".join(str(t) for t in self.treated)
        how = f"{len(self.predictors)} predictors" if self.predictors else "outcome path"
        return (
            f"synthetic control of {units} ({int(row['n_donors'])} donors, {how}); "
            f"rate ratio {row['rate_ratio']:.3g}, placebo p = {row['p_value']:.3g}"
        )

    def plot(self, **options: Any) -> go.Figure:
        """Treated vs synthetic rates and the gap among the placebo gaps (plotly).

        Options are those of :func:`flashpoint.plot_synthetic_control`.
        """
        return self._draw(**options)
