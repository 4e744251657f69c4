"""The result of :func:`fit_tally_rates`."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flashpoint.models._base import ResultMixin
from flashpoint.models._levels import relevel_rate_table

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["TallyRatesResult"]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TallyRatesResult(ResultMixin):
    """Result of :func:`fit_tally_rates`.

    Attributes
    ----------
    family, trend : str
        Model settings.
    alpha : float
        Intervals at level ``1 - alpha``.
    groups : tuple
        Tally groups fitted (``"total"`` and the per-country columns with a split).
    events : tuple of EventSpec
        Event terms.
    table : DataFrame
        The summary (see :meth:`summary`).
    intervals : DataFrame
        The interval counts used: ``group``, ``start``, ``end``, ``days``, ``attacks``,
        ``rate`` (attacks per day over the interval), ``expected`` (fitted attacks in the
        interval), ``expected_rate`` (per day), ``pearson_residual``.
    daily : DataFrame
        Fitted daily rate per group and date: ``rate`` (attacks per day) with
        ``rate_lower``/``rate_upper`` (delta method), and ``counterfactual`` (events
        removed).
    dispersion : DataFrame
        Per group: ``n_intervals``, ``pearson_dispersion`` (Pearson chi2 / df of the
        interval counts), ``nb_alpha`` (negative binomial only), ``converged``.
    """

    family: str
    trend: str
    alpha: float
    groups: tuple[Hashable, ...]
    events: tuple[Any, ...]
    table: pd.DataFrame = field(compare=False)
    intervals: pd.DataFrame = field(compare=False)
    daily: pd.DataFrame = field(compare=False)
    dispersion: pd.DataFrame = field(compare=False)
    params: Mapping[Hashable, np.ndarray] = field(compare=False, repr=False)
    cov: Mapping[Hashable, np.ndarray] = field(compare=False, repr=False)

    def summary(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per group and event term.

        Parameters
        ----------
        alpha
            Read the intervals at level ``1 - alpha`` (default: the fit's ``alpha``). Wald
            intervals are recomputed from ``estimate`` and ``std_err``; a profile interval
            (an event with no attack after it) cannot be: refit with ``alpha=``.

        Returns
        -------
        pandas.DataFrame
            ``group``, ``event``, ``shape``, ``term``, ``estimate`` (log rate ratio),
            ``std_err``, ``statistic``, ``p_value``, ``ci_lower``, ``ci_upper``,
            ``rate_ratio``, ``rate_ratio_lower``, ``rate_ratio_upper``, ``n_intervals``,
            ``conf_level``.
        """
        return relevel_rate_table(
            self.table.copy(), self.alpha, alpha, what="this tally-rates result"
        )

    def _headline(self) -> str:
        return (
            f"{self.family} rates from {int(self.dispersion['n_intervals'].sum())} tally "
            f"intervals, {len(self.events)} event(s); {1 - self.alpha:.0%} intervals"
        )

    def plot(self) -> go.Figure:
        """Interval rates, the fitted daily rate with its band and the events (plotly)."""
        return self._draw()
