"""Placebo (permutation) inference for one event of an interrupted time series.

In-time placebos move the event to every eligible date and re-estimate the same model; the
observed effect is ranked among the placebo effects (Abadie, Diamond & Hainmueller 2015,
Am J Polit Sci 59:495-510; Bernal, Cummins & Gasparrini 2018, J Clin Epidemiol
103:82-87). Across-group placebos estimate the effect in every group and rank the
treated group among them.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flashpoint.errors import FlashpointValueError, ModelSpecError
from flashpoint.models._base import ResultMixin, check_alpha, check_choice, split_counts
from flashpoint.models._irls import irls_batch
from flashpoint.models.design import (
    EventSpec,
    as_event_specs,
    build_design,
    event_column,
    event_term_names,
    group_specs,
    time_unit,
)
from flashpoint.models.its import TRENDS, fit_its
from flashpoint.schemas import DATE

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["PlaceboResult", "placebo_test"]

KINDS = ("in_time", "across_group")
STATISTICS = ("estimate", "z")
ALTERNATIVES = ("two-sided", "greater", "less")
_CHUNK = 256


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PlaceboResult(ResultMixin):
    """Result of :func:`placebo_test`.

    Attributes
    ----------
    event : str
        Label of the tested event.
    kind : str
        ``"in_time"`` or ``"across_group"``.
    statistic : str
        Ranked statistic: ``"estimate"`` (log rate ratio) or ``"z"`` (estimate / std. error).
    alternative : str
        ``"two-sided"``, ``"greater"`` or ``"less"``.
    family : str
        Count model.
    alpha : float
        Significance level used for ``reject``.
    by : str or None
        Group column.
    groups : tuple
        Groups tested.
    placebos : DataFrame
        One row per placebo fit: ``<by>``, ``date`` (placebo date; for across-group
        placebos the event date), ``placebo_group`` (across-group only), ``estimate`` (log
        rate ratio; ``-inf`` when the placebo window holds no event), ``std_err``,
        ``statistic``.
    table : DataFrame
        The summary (see :meth:`summary`).
    """

    event: str
    kind: str
    statistic: str
    alternative: str
    family: str
    alpha: float
    by: str | None
    groups: tuple[Hashable, ...]
    placebos: pd.DataFrame = field(compare=False)
    table: pd.DataFrame = field(compare=False)

    def summary(self) -> pd.DataFrame:
        """One row per group.

        Returns
        -------
        pandas.DataFrame
            ``<by>``, ``observed`` (the statistic at the real date), ``rate_ratio``
            (observed), ``n_placebo``, ``placebo_mean``, ``placebo_sd``, ``p_value`` (rank
            p-value ``(1 + #{placebo as or more extreme}) / (1 + n_placebo)``), ``reject``
            (``p_value <= alpha``), ``kind``, ``statistic``, ``alternative``.
        """
        return self.table.copy()

    def _headline(self) -> str:
        return (
            f"{self.kind.replace('_', '-')} placebo test of {self.event!r}, "
            f"{self.statistic}, {self.alternative}"
        )

    def plot(self) -> go.Figure:
        """Placebo distribution with the observed effect (plotly)."""
        return self._draw()


def _progress(done: int, total: int, enabled: bool) -> None:
    if enabled:
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(f"\rplacebo fits [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _rank_p(observed: float, placebo: np.ndarray, alternative: str) -> float:
    finite_obs = observed
    if alternative == "two-sided":
        extreme = np.abs(placebo) >= abs(finite_obs)
    elif alternative == "greater":
        extreme = placebo >= finite_obs
    else:
        extreme = placebo <= finite_obs
    return float((1 + np.sum(extreme)) / (1 + len(placebo)))


def placebo_test(
    counts: pd.DataFrame,
    events: Any,
    *,
    target: str | int = 0,
    kind: str = "in_time",
    dates: Sequence[Any] | None = None,
    min_pre: int = 14,
    min_post: int = 7,
    statistic: str = "estimate",
    alternative: str = "two-sided",
    by: str | None = None,
    family: str = "negbin",
    trend: str = "linear",
    spline_df: int = 4,
    seasonality: Mapping[float, int] | None = None,
    dow: bool = False,
    exposure: str | None = None,
    alpha: float = 0.05,
    progress: bool | None = None,
) -> PlaceboResult:
    """Placebo (permutation) test of one event's effect.

    Parameters
    ----------
    counts
        Tidy counts, as for :func:`flashpoint.fit_its`.
    events
        All events of the model (as for :func:`flashpoint.fit_its`).
    target
        The event tested: its label or its position in ``events``.
    kind
        ``"in_time"``: move the target to every eligible date (at least ``min_pre``
        periods after the start and ``min_post`` before the end, the whole window for
        pulses, other events kept) and refit; ``"across_group"``: estimate the target's
        effect in every group and rank each group among them (needs several groups).
    dates
        Placebo dates to use instead of every eligible date. They are used as given: each
        must lie inside the data, ``min_pre``/``min_post`` do not apply, a repeated date is
        refitted and counted again, and the real date is left out.
    min_pre, min_post
        Periods required before / after a placebo date.
    statistic
        Ranked statistic: ``"estimate"`` (log rate ratio) or ``"z"``.
    alternative
        ``"two-sided"`` (rank ``|statistic|``), ``"greater"`` or ``"less"``.
    by, family, trend, spline_df, seasonality, dow, exposure
        The model, as in :func:`flashpoint.fit_its`.
    alpha
        Level of the ``reject`` column.
    progress
        Print a progress bar on standard error (default: when it is a terminal).

    Returns
    -------
    PlaceboResult
        ``summary()``: per group the observed statistic, the placebo distribution and the
        rank p-value; ``placebos``: every placebo estimate.

    Raises
    ------
    ModelSpecError
        On an unknown target, kind, statistic or alternative, or across-group placebos
        without groups.
    FlashpointValueError
        When no placebo date is eligible.

    Notes
    -----
    In-time placebo fits reuse the model's design with only the target's column moved and
    are solved together by Fisher scoring (iteratively reweighted least squares), with the
    negative-binomial dispersion fixed at its estimate from the real model (so the
    observed and placebo statistics come from the same estimator). The rank p-value is
    ``(1 + #{placebo at least as extreme}) / (1 + n_placebo)``; it is exact when, absent
    an effect, the real date is exchangeable with the placebo dates. A placebo window
    holding no event has an estimate of ``-inf`` (counted as extreme).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import flashpoint as fp
    >>> rng = np.random.default_rng(3)
    >>> simulated = pd.DataFrame({"date": pd.date_range("2023-01-01", periods=200),
    ...                           "count": rng.poisson(np.r_[np.full(120, 2.0), np.full(80, 5.0)])})
    >>> res = fp.placebo_test(simulated, "2023-05-01", family="poisson", trend="none")
    >>> res.summary()[["rate_ratio", "n_placebo", "p_value"]].round(3)
       rate_ratio  n_placebo  p_value
    0       2.107        179    0.011
    """
    alpha = check_alpha(alpha)
    check_choice("kind", kind, KINDS)
    check_choice("statistic", statistic, STATISTICS)
    check_choice("alternative", alternative, ALTERNATIVES)
    check_choice("trend", trend, TRENDS)
    specs = list(as_event_specs(events))
    names = [s.name for s in specs]
    if isinstance(target, int):
        if not 0 <= target < len(specs):
            raise ModelSpecError(f"target={target} but there are {len(specs)} events")
        t_index = target
    else:
        if target not in names:
            raise ModelSpecError(f"no event labelled {target!r}; events: {names}")
        t_index = names.index(target)
    target_spec = specs[t_index]
    model_kwargs: dict[str, Any] = {
        "family": family,
        "trend": trend,
        "spline_df": spline_df,
        "seasonality": seasonality,
        "dow": dow,
        "exposure": exposure,
    }
    if kind == "across_group":
        return _across_group(
            counts,
            specs,
            t_index,
            by=by,
            statistic=statistic,
            alternative=alternative,
            alpha=alpha,
            model_kwargs=model_kwargs,
        )

    real = fit_its(counts, specs, by=by, n_sim=2, **model_kwargs)
    by = real.by
    _by, freq, series = split_counts(counts, by=by, exposure=exposure, drop_all_zero=True)
    unit, _ = time_unit(freq)
    show = sys.stderr.isatty() if progress is None else progress
    placebo_rows: list[dict[str, Any]] = []
    table_rows: list[dict[str, Any]] = []
    for s in series:
        if s.group not in real.fits:
            continue
        mine = group_specs(specs, s.group)
        if target_spec not in mine:
            continue
        k_target = mine.index(target_spec)
        fit = real.fits[s.group]
        # the real model's (possibly estimated) half-lives
        design_frame = real.designs[s.group]
        design = build_design(
            s.dates,
            [_with_half_life(sp, real, s.group) for sp in mine],
            freq=freq,
            trend=trend,
            spline_df=spline_df,
            seasonality=seasonality,
            dow=dow,
            exposure=s.exposure,
        )
        col = design.event_cols[event_term_names(mine)[k_target]]
        candidates = _eligible(s.dates, target_spec, dates, min_pre=min_pre, min_post=min_post)
        if not candidates:
            raise FlashpointValueError(
                f"no eligible placebo date for {target_spec.name!r}"
                + ("" if s.group is None else f" in group {s.group!r}")
                + f" with min_pre={min_pre} and min_post={min_post}; lower them or give dates="
            )
        all_specs = [target_spec, *[target_spec.moved(d) for d in candidates]]
        target_hl = _with_half_life(target_spec, real, s.group)
        columns = np.stack(
            [
                event_column(
                    target_hl.moved(sp.date) if sp is not target_spec else target_hl, s.dates, unit
                )
                for sp in all_specs
            ]
        )
        nb_alpha = fit.nb_alpha or 0.0
        base = design_frame.to_numpy()
        y = s.y.astype(float)
        offset = design.offset
        # other events whose windows hold no event (estimate -inf): leave their rows out
        sep = [j for j in fit.separated if j != col]
        if sep:
            keep_rows = ~np.any(base[:, sep] != 0, axis=1)
            keep_cols = [j for j in range(base.shape[1]) if j not in sep]
            base = base[np.ix_(keep_rows, keep_cols)]
            columns = columns[:, keep_rows]
            y = y[keep_rows]
            offset = None if offset is None else offset[keep_rows]
            col = keep_cols.index(col)
            start = fit.params[keep_cols]
        else:
            start = fit.params
        start = np.where(np.isfinite(start), start, 0.0)
        estimates = np.empty(len(all_specs))
        std_errs = np.empty(len(all_specs))
        total = len(all_specs)
        for lo in range(0, total, _CHUNK):
            hi = min(lo + _CHUNK, total)
            X = np.repeat(base[None, :, :], hi - lo, axis=0)
            X[:, :, col] = columns[lo:hi]
            empty = np.array([not y[columns[j] != 0].any() for j in range(lo, hi)])
            params, se, _conv = irls_batch(y, X, offset=offset, nb_alpha=nb_alpha, start=start)
            est = params[:, col]
            est[empty] = -np.inf
            err = se[:, col]
            err[empty] = np.nan
            estimates[lo:hi] = est
            std_errs[lo:hi] = err
            _progress(hi, total, show and total > _CHUNK)
        with np.errstate(invalid="ignore", divide="ignore"):
            stats_ = estimates / std_errs if statistic == "z" else estimates.copy()
        stats_ = np.where(np.isneginf(estimates), -np.inf, stats_)
        observed, placebo = stats_[0], stats_[1:]
        for d, e, se_, st in zip(candidates, estimates[1:], std_errs[1:], placebo, strict=True):
            placebo_rows.append(
                {"group": s.group, DATE: d, "estimate": e, "std_err": se_, "statistic": st}
            )
        finite = placebo[np.isfinite(placebo)]
        p = _rank_p(observed, placebo, alternative)
        table_rows.append(
            {
                "group": s.group,
                "observed": observed,
                "rate_ratio": float(np.exp(estimates[0])),
                "n_placebo": len(placebo),
                "placebo_mean": float(finite.mean()) if finite.size else np.nan,
                "placebo_sd": float(finite.std(ddof=1)) if finite.size > 1 else np.nan,
                "p_value": p,
                "reject": p <= alpha,
                "kind": kind,
                "statistic": statistic,
                "alternative": alternative,
            }
        )
    if not table_rows:
        raise ModelSpecError(f"the event {target_spec.name!r} applies to no analysed group")
    return PlaceboResult(
        event=target_spec.name,
        kind=kind,
        statistic=statistic,
        alternative=alternative,
        family=family,
        alpha=alpha,
        by=by,
        groups=tuple(r["group"] for r in table_rows),
        placebos=_tidy(pd.DataFrame(placebo_rows), by),
        table=_tidy(pd.DataFrame(table_rows), by),
    )


def _tidy(frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    return frame.drop(columns="group") if by is None else frame.rename(columns={"group": by})


def _with_half_life(spec: EventSpec, real: Any, group: Hashable | None) -> EventSpec:
    """Return the event with the half-life the real model used (estimated or given)."""
    if spec.shape != "decay" or spec.half_life is not None:
        return spec
    table = real.table
    rows = table[table["event"] == spec.name]
    if real.by is not None:
        rows = rows[rows[real.by] == group]
    return EventSpec(
        date=spec.date,
        shape="decay",
        label=spec.label,
        half_life=float(rows["half_life"].iloc[0]),
        group=spec.group,
    )


def _eligible(
    dates: pd.DatetimeIndex,
    spec: EventSpec,
    chosen: Sequence[Any] | None,
    *,
    min_pre: int,
    min_post: int,
) -> list[pd.Timestamp]:
    n = len(dates)
    length = 0 if spec.end is None else int((spec.end - spec.date).days)
    if chosen is not None:
        out = [pd.Timestamp(d).normalize() for d in chosen]
        bad = [d for d in out if d <= dates[0] or d > dates[-1]]
        if bad:
            raise FlashpointValueError(f"placebo dates outside the data: {bad[:5]}")
        return [d for d in out if d != spec.date]
    last = n - max(min_post, length + 1)
    return [dates[i] for i in range(max(min_pre, 1), last + 1) if dates[i] != spec.date]


def _across_group(
    counts: pd.DataFrame,
    specs: list[EventSpec],
    t_index: int,
    *,
    by: str | None,
    statistic: str,
    alternative: str,
    alpha: float,
    model_kwargs: dict[str, Any],
) -> PlaceboResult:
    target = specs[t_index]
    everywhere = [
        EventSpec(
            date=s.date, shape=s.shape, end=s.end, label=s.label, half_life=s.half_life, group=None
        )
        if s is target
        else s
        for s in specs
    ]
    res = fit_its(counts, everywhere, by=by, n_sim=2, **model_kwargs)
    if res.by is None or len(res.groups) < 2:
        raise ModelSpecError("across-group placebos need counts with at least two groups")
    table = res.table[res.table["event"] == target.name].reset_index(drop=True)
    values = (table["statistic"] if statistic == "z" else table["estimate"]).to_numpy(float)
    rows, placebo_rows = [], []
    for i, (_, row) in enumerate(table.iterrows()):
        others = np.delete(values, i)
        p = _rank_p(values[i], others, alternative)
        group = row[res.by]
        rows.append(
            {
                "group": group,
                "observed": values[i],
                "rate_ratio": row["rate_ratio"],
                "n_placebo": len(others),
                "placebo_mean": float(np.mean(others)),
                "placebo_sd": float(np.std(others, ddof=1)) if len(others) > 1 else np.nan,
                "p_value": p,
                "reject": p <= alpha,
                "kind": "across_group",
                "statistic": statistic,
                "alternative": alternative,
            }
        )
        for j, other in enumerate(table[res.by]):
            if j != i:
                placebo_rows.append(
                    {
                        "group": group,
                        DATE: target.date,
                        "placebo_group": other,
                        "estimate": table["estimate"].iloc[j],
                        "std_err": table["std_err"].iloc[j],
                        "statistic": values[j],
                    }
                )
    return PlaceboResult(
        event=target.name,
        kind="across_group",
        statistic=statistic,
        alternative=alternative,
        family=model_kwargs["family"],
        alpha=alpha,
        by=res.by,
        groups=res.groups,
        placebos=_tidy(pd.DataFrame(placebo_rows), res.by),
        table=_tidy(pd.DataFrame(rows), res.by),
    )
