"""One event effect, three readings of the record: official tallies and two event lists.

The same question ("did the rate change after the KH strike?") is answered from (a) the
official cumulative tallies (:func:`flashpoint.fit_tally_rates`), (b) the event rows that
US officials confirmed and (c) all event rows (:func:`flashpoint.fit_its`), side by side,
so that an analyst sees how much the answer depends on the source.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flashpoint.counts import count_daily, tally_intervals
from flashpoint.errors import FlashpointValueError
from flashpoint.models._base import ResultMixin, check_alpha
from flashpoint.models._levels import new_level, refuse_level, set_level
from flashpoint.models.design import as_event_specs
from flashpoint.models.its import fit_its
from flashpoint.models.tallies import TallyRatesResult, fit_tally_rates
from flashpoint.schemas import BASIS, COUNTRY

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["SourceComparisonResult", "compare_sources"]

_COLUMNS = [
    "source",
    "group",
    "event",
    "rate_ratio",
    "rate_ratio_lower",
    "rate_ratio_upper",
    "p_value",
    "ci_method",
    "conf_level",
]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class SourceComparisonResult(ResultMixin):
    """Result of :func:`compare_sources`.

    Attributes
    ----------
    alpha : float
        Intervals at level ``1 - alpha``.
    start, end : Timestamp
        The common window of every estimate.
    sources : tuple of str
        The readings compared, in order.
    table : DataFrame
        See :meth:`summary`.
    warnings : tuple of str
        Warnings raised by the underlying fits (few events, data quality), kept for the
        report.
    tally_fit : TallyRatesResult
        The fit to the official tallies (draw it with ``tally_fit.plot()``).
    """

    alpha: float
    start: pd.Timestamp
    end: pd.Timestamp
    sources: tuple[str, ...]
    table: pd.DataFrame = field(compare=False)
    warnings: tuple[str, ...] = field(compare=False, default=())
    tally_fit: TallyRatesResult = field(compare=False, repr=False)

    def summary(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per source, group and event.

        Returns
        -------
        pandas.DataFrame
            ``source``, ``group`` (``total``, ``Iraq``, ``Syria``), ``event``,
            ``rate_ratio`` with ``rate_ratio_lower/upper``, ``p_value``, ``ci_method``
            (``wald``; ``profile`` when no attack fell in the event's window;
            ``wald (half-life estimated)`` for a decay with an estimated half-life; ``not
            estimable`` when the source cannot estimate the effect, e.g. no attack before
            it: the row is ``nan``), ``conf_level``.

            ``alpha`` reads the intervals at level ``1 - alpha`` (default: the fit's): the
            Wald intervals are recomputed (on the log scale, where they are symmetric);
            profile intervals cannot be: refit with ``alpha=``.
        """
        out = self.table.copy()
        z = new_level(self.alpha, alpha)
        if z is None or alpha is None:
            return out
        method = out["ci_method"].astype(str)
        wald = method.str.startswith("wald").to_numpy()
        if (~wald & (method != "not estimable")).any():
            raise refuse_level("this source comparison", "profile-likelihood", self.alpha, alpha)
        with np.errstate(divide="ignore", invalid="ignore"):
            est = np.log(out.loc[wald, "rate_ratio"].to_numpy(float))
            for col in ("rate_ratio_lower", "rate_ratio_upper"):
                bound = np.log(out.loc[wald, col].to_numpy(float))
                out.loc[wald, col] = np.exp(est + (bound - est) * z[1] / z[0])
        return set_level(out, alpha)

    def _headline(self) -> str:
        return (
            f"{len(self.sources)} sources, {self.start.date()} to {self.end.date()}; "
            f"{1 - self.alpha:.0%} intervals"
        )

    def plot(self) -> go.Figure:
        """Forest plot of the rate ratios by source and group (plotly)."""
        return self._draw()


def compare_sources(
    tallies: pd.DataFrame,
    attacks: pd.DataFrame,
    events: Any,
    *,
    by: str = COUNTRY,
    groups: tuple[Hashable, ...] = ("Iraq", "Syria"),
    start: str | pd.Timestamp = "2023-10-17",
    end: str | pd.Timestamp | None = None,
    tally_family: str = "quasipoisson",
    family: str = "negbin",
    trend: str = "linear",
    official_basis: str = "official",
    alpha: float = 0.05,
) -> SourceComparisonResult:
    """Estimate the same event effects from official tallies and from event rows.

    Parameters
    ----------
    tallies
        Validated tallies (:func:`flashpoint.load_tallies`).
    attacks
        Event rows with a ``basis`` column (:func:`flashpoint.load_attacks`).
    events
        Event terms, as for :func:`flashpoint.fit_its` (e.g. the KH strike as a step and
        the truce as a pulse).
    by
        Group column of ``attacks``.
    groups
        Groups to compare besides the total (tallies give the split for these).
    start, end
        Common window. ``end`` defaults to the last official tally that is not lower than
        the one before it.
    tally_family, family
        Families of the tally model and of the event-row models.
    trend
        Baseline trend of every model.
    official_basis
        Value of ``basis`` marking rows US officials confirmed.
    alpha
        Intervals at level ``1 - alpha``.

    Returns
    -------
    SourceComparisonResult
        ``summary()``: one row per source (``official tallies``, ``event rows (official
        basis)``, ``event rows (all)``), group and event.

    Examples
    --------
    >>> import flashpoint as fp
    >>> kh = fp.EventSpec(date="2023-11-22", label="KH strike")
    >>> truce = fp.EventSpec(date="2023-11-24", end="2023-12-01", shape="pulse", label="truce")
    >>> res = fp.compare_sources(fp.load_tallies(), fp.load_attacks(), [kh, truce])
    >>> res.summary().query("event == 'KH strike' and group == 'Iraq'")["source"].tolist()
    ['official tallies', 'event rows (official basis)', 'event rows (all)']
    """
    alpha = check_alpha(alpha)
    specs = as_event_specs(events)
    if BASIS not in attacks.columns:
        raise FlashpointValueError(f"attacks need a '{BASIS}' column to separate the sources")
    start_ts = pd.Timestamp(start).normalize()
    if end is None:
        iv = tally_intervals(tallies, start=start_ts)
        iv = iv[(iv["group"] == "total") & iv["monotone"]]
        end_ts = iv["end"].max()
    else:
        end_ts = pd.Timestamp(end).normalize()
    rows: list[pd.DataFrame] = []
    caught: list[str] = []
    wanted = ["total", *[str(g) for g in groups]]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        tally = fit_tally_rates(
            tallies,
            specs,
            family=tally_family,
            trend=trend,
            start=start_ts,
            end=end_ts,
            groups=[g.lower() for g in wanted],
            alpha=alpha,
        )
        rows.append(tally.summary().assign(source="official tallies"))
        for label, subset in (
            ("event rows (official basis)", attacks[attacks[BASIS] == official_basis]),
            ("event rows (all)", attacks),
        ):
            counts = count_daily(subset, by=by, start=start_ts, end=end_ts)
            per_group = counts[counts[by].isin(groups)]
            its = fit_its(per_group, specs, by=by, family=family, trend=trend, alpha=alpha, n_sim=2)
            s = its.summary().rename(columns={by: "group"})
            total = fit_its(
                count_daily(subset, by=None, start=start_ts, end=end_ts),
                specs,
                family=family,
                trend=trend,
                alpha=alpha,
                n_sim=2,
            ).summary()
            rows.append(pd.concat([total.assign(group="total"), s]).assign(source=label))
    caught = [str(w.message) for w in record]
    table = pd.concat(rows, ignore_index=True)
    table["conf_level"] = 1 - alpha
    table = table[_COLUMNS]
    order = {"total": 0, **{str(g): k + 1 for k, g in enumerate(groups)}}
    table = table.sort_values(
        ["event", "group", "source"],
        key=lambda col: (
            col.map(order)
            if col.name == "group"
            else (
                col.map(
                    {"official tallies": 0, "event rows (official basis)": 1, "event rows (all)": 2}
                )
                if col.name == "source"
                else col.map({s.name: k for k, s in enumerate(specs)})
            )
        ),
        kind="stable",
    ).reset_index(drop=True)
    return SourceComparisonResult(
        alpha=alpha,
        start=start_ts,
        end=end_ts,
        sources=("official tallies", "event rows (official basis)", "event rows (all)"),
        table=table,
        tally_fit=tally,
        warnings=tuple(dict.fromkeys(caught)),
    )
