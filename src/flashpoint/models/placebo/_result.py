"""The result of a placebo test and its rank p-value."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flashpoint.models._base import ResultMixin
from flashpoint.models._levels import fixed_level

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["PlaceboResult", "rank_p_value"]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PlaceboResult(ResultMixin):
    """Result of :func:`flashpoint.placebo_test`.

    Attributes
    ----------
    event : str
        Label of the tested event.
    kind : str
        ``"in_time"`` or ``"across_group"``.
    statistic : str
        Ranked statistic: ``"z"`` (estimate / standard error, the default) or
        ``"estimate"`` (log rate ratio).
    alternative : str
        ``"two-sided"``, ``"greater"`` or ``"less"``.
    family : str
        Count model.
    alpha : float
        Significance level of the ``reject`` column.
    window : int or None
        In-time placebos: periods before and from the date in every fit (the summary's
        ``window_pre``/``window_post`` give the sides used); ``None``: whole-series fits, or
        across-group placebos.
    min_p_value : float
        Smallest p-value the test can return, ``1 / (1 + n_placebo)``; with several
        groups, the largest of theirs (the level is attainable in every group when
        ``alpha >= min_p_value``).
    by : str or None
        Group column.
    groups : tuple
        Groups tested.
    placebos : DataFrame
        One row per placebo fit: ``<by>``, ``date`` (placebo date; for across-group
        placebos the event date), ``placebo_group`` (across-group only), ``estimate`` (log
        rate ratio; ``-inf`` when the placebo window holds no event, ``+inf`` when every
        event falls inside it, ``nan`` when it cannot be estimated: then it is left out of
        the p-value), ``std_err``, ``statistic``.
    table : DataFrame
        The summary (see :meth:`summary`).
    """

    event: str
    kind: str
    statistic: str
    alternative: str
    family: str
    alpha: float
    window: int | None
    min_p_value: float
    by: str | None
    groups: tuple[Hashable, ...]
    placebos: pd.DataFrame = field(compare=False)
    table: pd.DataFrame = field(compare=False)

    def summary(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per group.

        Parameters
        ----------
        alpha
            Only the fit's level (``None`` or its ``alpha``): its intervals cannot be
            recomputed at another; refit with ``alpha=`` for another level.

        Returns
        -------
        pandas.DataFrame
            ``<by>``, ``observed`` (the statistic at the real date or in the group),
            ``estimate`` and ``std_err`` (its log rate ratio and standard error),
            ``rate_ratio``, ``n_placebo`` (placebos in the p-value), ``placebo_mean``,
            ``placebo_sd`` (of the finite placebo statistics), ``p_value`` (rank p-value
            ``(1 + #{placebo at least as extreme}) / (1 + n_placebo)``), ``min_p_value``
            (``1 / (1 + n_placebo)``), ``can_reject`` (``min_p_value <= alpha``: when
            False the test cannot reject at ``alpha`` whatever the data, and its p-value is
            no evidence either way), ``reject`` (``p_value <= alpha``), ``kind``,
            ``statistic``, ``alternative``, ``window_pre`` and ``window_post`` (in-time:
            periods before and from the event in every fit; ``nan`` across groups).
        """
        fixed_level(self.alpha, alpha, what="this placebo test", kind="placebo-distribution")
        return self.table.copy()

    def _headline(self) -> str:
        return (
            f"{self.kind.replace('_', '-')} placebo test of {self.event!r}, "
            f"{self.statistic}, {self.alternative}, smallest attainable p {self.min_p_value:.3g}"
        )

    def plot(self) -> go.Figure:
        """Placebo distribution with the observed statistic (plotly)."""
        return self._draw()


def rank_p_value(observed: float, placebo: np.ndarray, alternative: str) -> float:
    """Rank p-value ``(1 + #{placebo at least as extreme}) / (1 + n_placebo)``.

    ``placebo`` holds the placebo statistics that could be estimated (no ``nan``);
    ``-inf``/``+inf`` compare as the most extreme values.
    """
    if np.isnan(observed):
        return float("nan")
    if alternative == "two-sided":
        extreme = np.abs(placebo) >= abs(observed)
    elif alternative == "greater":
        extreme = placebo >= observed
    else:
        extreme = placebo <= observed
    return float((1 + np.sum(extreme)) / (1 + len(placebo)))
