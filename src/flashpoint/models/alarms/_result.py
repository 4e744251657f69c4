"""The result of :func:`detect_alarms`."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import pandas as pd

from flashpoint.models._base import ResultMixin
from flashpoint.models._levels import fixed_level
from flashpoint.schemas import COUNT, DATE

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["AlarmResult"]


_WHAT, _KIND = "this alarm result", "alarm-threshold"
"""How ``summary(alpha=)`` names this result and its intervals."""


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

    def summary(self, alpha: float | None = None) -> pd.DataFrame:
        """Return one row per alarm day.

        Parameters
        ----------
        alpha
            Only the fit's level (``None`` or its ``alpha``): its intervals cannot be
            recomputed at another; refit with ``alpha=`` for another level.

        Returns
        -------
        pandas.DataFrame
            Columns ``date``, the group column (when there is one), ``count`` (events),
            ``expected`` (baseline events per period), ``threshold`` (the count above which
            the period alarms), ``statistic`` (see :func:`detect_alarms`). Empty (with these
            columns) when no period alarmed.
        """
        fixed_level(self.alpha, alpha, what=_WHAT, kind=_KIND)
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
        return self._draw(events=events)
