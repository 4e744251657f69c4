"""The result of :func:`flashpoint.models.changepoints.detect_changepoints`."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flashpoint.errors import EventRangeError, FlashpointTypeError, FlashpointValueError
from flashpoint.models._base import ResultMixin
from flashpoint.models._levels import fixed_level
from flashpoint.models.changepoints._posterior import Posterior
from flashpoint.schemas import DATE

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["ChangepointResult"]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ChangepointResult(ResultMixin):
    """Change points of count series, per group.

    Returned by :func:`~flashpoint.models.changepoints.detect_changepoints`; see there for
    the models. A *change on date d* means that a new segment (a new rate) starts on ``d``.

    Attributes
    ----------
    method : {"bayes", "pelt"}
        Bayesian posterior (exact up to the reported ``approx_error``) or penalised search.
    family : {"poisson", "negbin"}
        Count distribution within a segment.
    by : str or None
        Group column of the counts (and of every frame here); ``None`` for one series.
    groups : tuple
        Groups analysed, in order (``(None,)`` for one series).
    freq : str
        Frequency of the series; rates are events per period (per day for daily counts).
    alpha : float
        Intervals are at level ``conf_level = 1 - alpha``.
    min_size : int
        Minimum segment length (periods).
    penalty : str, float or None
        PELT penalty as given (``"bic"``, ``"mbic"`` or a number); ``None`` for bayes.
    expected_changes, prior_shape : float or None
        Bayesian prior settings (``None`` for PELT).
    prior_mean : float or None
        Prior mean rate as given (``None``: each group's mean count, i.e. empirical Bayes;
        the value used is the ``prior_mean`` column of ``overview``).
    segments : DataFrame
        The point segmentation (MAP for bayes), as returned by :meth:`summary`.
    daily : DataFrame
        One row per period and group: ``date``, ``<by>``, ``count``, ``segment``, ``rate``,
        ``rate_lower``, ``rate_upper`` (of the period's segment, events per period),
        ``prob_change`` (posterior probability that a change falls on this date; bayes
        only, NaN for PELT; 0 on the first date) and ``change`` (bool: the point
        segmentation starts a segment here).
    n_changes : DataFrame
        Bayes only (empty for PELT): ``<by>``, ``n_changes`` (k = 0, 1, ...), ``prior`` and
        ``posterior`` probability of exactly k change points. Rows stop at a k beyond which
        the posterior mass is below 1e-12.
    changes : DataFrame
        One row per change point of the point segmentation: ``<by>``, ``date`` (first date
        of the new segment), ``prob_change`` (bayes: posterior probability of a change on
        that exact date; NaN for PELT), ``rate_before``, ``rate_after`` (events per
        period) and ``rate_ratio`` (after / before).
    overview : DataFrame
        One row per group: ``<by>``, ``n_obs``, ``n_changes`` (point segmentation),
        ``prob_any_change`` and ``prior_any_change`` (posterior and prior probability of at
        least one change; bayes), ``mean_changes`` (posterior mean number of changes;
        bayes), ``log_evidence`` (log marginal likelihood of the counts; bayes),
        ``prior_mean`` (bayes: the value used, the mean count unless given), ``size``
        (negative-binomial size: given, estimated (PELT) or the most probable value of its
        grid (bayes); ``inf`` is the Poisson limit; NaN for Poisson), ``size_method`` (how
        the size was set: ``"given"``, ``"integrated"`` (bayes, series of at most 2,000
        periods: the posterior is a mixture over the grid), ``"empirical Bayes"`` (bayes,
        longer series: the grid value of largest marginal likelihood), ``"maximum
        likelihood"`` (PELT) or ``""`` for Poisson), ``penalty_value``
        (PELT, the penalty per change), ``dispersion`` (Pearson chi-square / df of the
        counts around their segment rates; about 1 under the model) and ``approx_error``
        (bayes: bound on the total-variation distance between the reported posterior and
        the exact one, from the pruning of start points and the sizes left out).
    size_posterior : DataFrame
        Bayes, negbin (empty otherwise): one row per group and size evaluated: ``<by>``,
        ``size`` (``inf``: the Poisson limit), ``log_evidence`` (log marginal likelihood of
        the counts given that size, summed over every segmentation) and ``posterior`` (its
        posterior probability under a uniform prior on the values evaluated).
    """

    method: str
    family: str
    by: str | None
    groups: tuple[Hashable | None, ...]
    freq: str
    alpha: float
    min_size: int
    penalty: str | float | None
    expected_changes: float | None
    prior_shape: float | None
    prior_mean: float | None
    segments: pd.DataFrame = field(compare=False)
    daily: pd.DataFrame = field(compare=False)
    n_changes: pd.DataFrame = field(compare=False)
    changes: pd.DataFrame = field(compare=False)
    overview: pd.DataFrame = field(compare=False)
    size_posterior: pd.DataFrame = field(compare=False)
    _fits: tuple[Posterior | None, ...] = field(compare=False, repr=False)

    def summary(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per group and segment of the point segmentation.

        Parameters
        ----------
        alpha
            Only the fit's level (``None`` or its ``alpha``): its intervals cannot be
            recomputed at another; refit with ``alpha=`` for another level.

        Returns
        -------
        pandas.DataFrame
            ``<by>`` (when grouped), ``segment`` (1, 2, ... per group), ``start`` and
            ``end`` (first and last date), ``periods`` (length), ``total`` (events in the
            segment), ``rate`` (events per period: posterior mean for bayes, maximum
            likelihood ``total / periods`` for PELT), ``rate_lower`` and ``rate_upper``
            (equal-tailed posterior credible interval for bayes; exact interval for PELT:
            Garwood for Poisson, the inverted NB distribution of the total for negbin),
            ``conf_level``, ``prob_change`` (bayes: posterior probability of a change on
            ``start``; NaN for the first segment and for PELT).
        """
        fixed_level(
            self.alpha,
            alpha,
            what="this changepoint result",
            kind="posterior (Bayesian) or bootstrap",
        )
        return self.segments.copy()

    def _headline(self) -> str:
        counts = self.overview["n_changes"].tolist()
        names = ["one series"] if self.by is None else [str(g) for g in self.groups]
        parts = ", ".join(
            f"{g}: {k} change{'s' if k != 1 else ''}" for g, k in zip(names, counts, strict=True)
        )
        if self.method == "pelt":
            return f"PELT {self.family} change points; {parts}; {self.conf_level:.0%} intervals"
        prior = "prior mean rate = the mean count (empirical Bayes)"
        if self.prior_mean is not None:
            prior = f"prior mean rate {self.prior_mean:g}"
        methods = set(self.overview["size_method"]) - {""} if len(self.overview) else set()
        if methods == {"integrated"}:
            prior += "; NB size integrated over its grid"
        elif "empirical Bayes" in methods:
            prior += "; NB size by maximum marginal likelihood (empirical Bayes)"
        err = float(self.overview["approx_error"].max()) if len(self.overview) else 0.0
        exact = "exact posterior" if err == 0 else f"posterior within {err:.0e} of exact"
        return (
            f"Bayesian {self.family} change points (MAP segmentation; {prior}); {parts}; "
            f"{self.conf_level:.0%} credible intervals; {exact}"
        )

    def change_near(self, date: Any, *, within: int = 3) -> pd.DataFrame:
        """Ask whether the rate changed within ``within`` periods of a date (an event).

        Parameters
        ----------
        date
            A date or a sequence of dates (anything ``pandas.Timestamp`` accepts). Each must
            lie within the analysed dates.
        within
            Half-width of the window in periods (days for daily counts): the window is
            ``[date - within, date + within]``, clipped to the data.

        Returns
        -------
        pandas.DataFrame
            One row per group and date: ``<by>``, ``event_date``, ``within``,
            ``window_start``, ``window_end``, ``prob_change`` (bayes: exact posterior
            probability that at least one change falls in the window; NaN for PELT),
            ``mean_changes`` (bayes: posterior expected number of changes in the window),
            ``n_changes`` (changes of the point segmentation in the window),
            ``nearest_change`` (date of the point segmentation's change closest to the
            event, NaT if none) and ``detected`` (``n_changes > 0``).

        Raises
        ------
        EventRangeError
            When a date lies outside a group's data.
        FlashpointValueError
            When ``within`` is not a non-negative integer.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from flashpoint.models.changepoints import detect_changepoints
        >>> rng = np.random.default_rng(1)
        >>> simulated = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=60),
        ...                           "count": rng.poisson(np.r_[[1.0] * 30, [6.0] * 30])})
        >>> res = detect_changepoints(simulated)
        >>> near = res.change_near("2024-01-31", within=3)
        >>> bool(near["prob_change"].iloc[0] > 0.95), bool(near["detected"].iloc[0])
        (True, True)
        """
        if isinstance(within, bool) or not isinstance(within, int | np.integer) or within < 0:
            raise FlashpointValueError(
                f"within must be a whole number of periods >= 0 (e.g. within=3), got {within!r}"
            )
        raw = list(date) if isinstance(date, Iterable) and not isinstance(date, str) else [date]
        try:
            events = [pd.Timestamp(d) for d in raw]
        except (TypeError, ValueError) as err:
            raise FlashpointTypeError(
                f"date must be a date or a sequence of dates (e.g. '2023-11-22'), got {date!r}"
            ) from err
        rows = []
        for g, fit in zip(self.groups, self._fits, strict=True):
            frame = self.daily if self.by is None else self.daily[self.daily[self.by] == g]
            dates = pd.DatetimeIndex(frame[DATE])
            n = len(dates)
            change_idx = np.flatnonzero(frame["change"].to_numpy())
            for ev in events:
                if ev < dates[0] or ev > dates[-1]:
                    where = "" if self.by is None else f" of group {g!r}"
                    raise EventRangeError(
                        f"event date {ev.date()} is outside the data{where} ({dates[0].date()} "
                        f".. {dates[-1].date()}); pass a date within the analysed period"
                    )
                i = int(dates.searchsorted(ev, side="right")) - 1
                j0, j1 = i - int(within), i + int(within)
                inside = change_idx[(change_idx >= j0) & (change_idx <= j1)]
                nearest: Any = pd.NaT
                if change_idx.size:
                    nearest = dates[int(change_idx[np.argmin(np.abs(change_idx - i))])]
                prob = mean = np.nan
                if fit is not None:
                    prob = fit.window_prob(j0, j1)
                    lo, hi = max(j0, 1), min(j1, n - 1)
                    mean = float(fit.prob_change[lo : hi + 1].sum()) if lo <= hi else 0.0
                row: dict[str, Any] = {} if self.by is None else {self.by: g}
                row.update(
                    event_date=ev,
                    within=int(within),
                    window_start=dates[max(j0, 0)],
                    window_end=dates[min(j1, n - 1)],
                    prob_change=prob,
                    mean_changes=mean,
                    n_changes=int(inside.size),
                    nearest_change=nearest,
                    detected=bool(inside.size > 0),
                )
                rows.append(row)
        return pd.DataFrame(rows)

    def plot(self, *, events: Any = None) -> go.Figure:
        """Draw counts, segment rates with their band and the change probability (plotly)."""
        return self._draw(events=events)
