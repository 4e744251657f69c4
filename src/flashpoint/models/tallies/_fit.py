"""Daily rates and event effects fitted to interval counts: :func:`fit_tally_rates`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.counts import DAYS, TALLY_GROUP, tally_intervals
from flashpoint.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    EventRangeError,
    FewEventsWarning,
    FlashpointValueError,
    NotEstimableWarning,
)
from flashpoint.models._base import check_alpha, check_choice, warn
from flashpoint.models.design import (
    Design,
    EventSpec,
    as_event_specs,
    build_design,
    event_term_names,
    group_specs,
)
from flashpoint.models.tallies._likelihood import _FAR, _fit_intervals, _IntervalFit, _membership
from flashpoint.models.tallies._result import TallyRatesResult
from flashpoint.schemas import DATE

stats = lazy_module("scipy.stats")

__all__ = ["FAMILIES", "fit_tally_rates"]

FAMILIES = ("poisson", "quasipoisson", "negbin")


def _group_label(group: str) -> str:
    """Name of a tally group in results: ``total``, or the column capitalised (``Iraq``)."""
    return group if group == "total" else group.capitalize()


def fit_tally_rates(
    tallies: pd.DataFrame,
    events: Any = None,
    *,
    family: str = "poisson",
    trend: str = "linear",
    spline_df: int = 3,
    official: bool | None = True,
    qualifier: Sequence[str] = ("exact", "about"),
    start: str | pd.Timestamp = "2023-10-17",
    end: str | pd.Timestamp | None = None,
    groups: Sequence[str] | None = None,
    min_attacks: int = 10,
    alpha: float = 0.05,
) -> TallyRatesResult:
    """Estimate daily attack rates and event effects from cumulative tallies.

    Parameters
    ----------
    tallies
        Validated tallies (:func:`flashpoint.load_tallies`); they are turned into interval
        counts by :func:`flashpoint.tally_intervals` (see there how same-day contradictions
        are resolved). Intervals with a negative count (a tally lower than the one before)
        are left out with a :class:`~flashpoint.errors.DataQualityWarning`.
    events
        Event terms as for :func:`flashpoint.fit_its` (``None``: trend only).
    family
        ``"poisson"`` (default), ``"quasipoisson"`` (Poisson estimates, standard errors
        scaled by the Pearson dispersion of the intervals) or ``"negbin"`` (negative
        binomial interval counts, ``Var = Lambda + alpha Lambda^2``). Unlike the other
        models the default is not negative binomial: a tally series has few intervals
        (about 20 per group in the bundled tallies), too few to estimate a dispersion
        reliably (the negative-binomial fit of the bundled ``total`` series does not
        converge); ``"quasipoisson"`` widens the intervals by the Pearson dispersion.
    trend
        ``"linear"`` (default), ``"spline"`` or ``"none"``.
    spline_df
        Spline degrees of freedom (``trend="spline"``).
    official, qualifier, start
        Which tallies to use and the day they count from (see
        :func:`flashpoint.tally_intervals`).
    end
        Leave out intervals ending after this date.
    groups
        Tally groups to fit (default: ``"total"`` and every group column with a split
        counting at least ``min_attacks`` attacks).
    min_attacks
        See ``groups``.
    alpha
        Intervals at level ``1 - alpha``.

    Returns
    -------
    TallyRatesResult
        ``summary()``: rate ratios per event and group; ``daily``: the fitted daily rate
        with its band; ``intervals``: observed and expected interval counts.

    Raises
    ------
    EventRangeError
        When an event is on or before ``start`` (no tally counts attacks before it).
    FlashpointValueError
        When fewer intervals than parameters remain for a group.

    Warns
    -----
    NotEstimableWarning
        When a term cannot be estimated from a group's tallies (e.g. a step with no
        attack counted before it, or an event after the group's last tally): its row is
        ``nan`` (``ci_method="not estimable"``), and so is the group's counterfactual.
    DataQualityWarning, FewEventsWarning, ConvergenceWarning
        As their names say.

    Notes
    -----
    With ``I_j`` the days of interval ``j`` and ``A_j`` its count,
    ``A_j ~ Poisson(Lambda_j)``, ``Lambda_j = sum_{t in I_j} lambda_t`` and
    ``log lambda_t = x_t' beta`` (trend and event columns built on the daily calendar as in
    :func:`flashpoint.fit_its`). This is the Poisson model for aggregated (interval-censored)
    counts; the daily counts being independent Poisson makes ``A_j`` exactly Poisson with
    mean ``Lambda_j``, so with one-day intervals the fit equals the daily Poisson
    regression. Maximum likelihood by Newton's method with the analytic Hessian; standard
    errors from the observed information (times the Pearson dispersion, when above 1, for
    ``"quasipoisson"``).

    A term whose days hold no attack the intervals can attribute to them has the estimate
    minus infinity (rate ratio 0): its upper bound is from the profile likelihood and its
    p-value from a likelihood-ratio test, the statistic divided by the Pearson dispersion
    for ``"quasipoisson"`` (``ci_method="profile"``). A term whose likelihood grows without
    bound as its effect grows (a step with no attack counted before it) is not estimable.

    Examples
    --------
    >>> import flashpoint as fp
    >>> kh = fp.EventSpec(date="2023-11-22", label="KH strike")
    >>> truce = fp.EventSpec(date="2023-11-24", end="2023-12-01", shape="pulse", label="truce")
    >>> res = fp.fit_tally_rates(fp.load_tallies(), [kh, truce])
    >>> res.summary()[["group", "event", "rate_ratio"]].round(2).head(2)
       group      event  rate_ratio
    0  total  KH strike        0.86
    1  total      truce        0.09
    """
    alpha = check_alpha(alpha)
    check_choice("family", family, FAMILIES)
    check_choice("trend", trend, ("linear", "spline", "none"))
    specs = as_event_specs(events) if events is not None else ()
    first_day = pd.Timestamp(start).normalize()
    for sp in specs:
        if sp.date <= first_day:
            raise EventRangeError(
                f"event {sp.name!r} on {sp.date.date()} is at or before start={first_day.date()}, "
                "the first day the tallies count: its effect cannot be separated from the "
                "baseline. Pass an earlier start= or drop the event"
            )
    iv = _usable_intervals(tallies, official=official, qualifier=qualifier, start=start, end=end)
    chosen = _choose_groups(iv, groups, min_attacks)
    parts = [
        _fit_group(
            iv,
            g,
            specs,
            family=family,
            trend=trend,
            spline_df=spline_df,
            alpha=alpha,
            first_day=first_day,
        )
        for g in chosen
    ]
    return TallyRatesResult(
        family=family,
        trend=trend,
        alpha=alpha,
        groups=tuple(_group_label(g) for g in chosen),
        events=tuple(specs),
        table=pd.DataFrame([r for part in parts for r in part.rows], columns=_TABLE_COLUMNS),
        intervals=pd.concat([part.intervals for part in parts], ignore_index=True),
        daily=pd.concat([part.daily for part in parts], ignore_index=True),
        dispersion=pd.DataFrame([part.dispersion for part in parts]),
        params={part.label: part.params for part in parts},
        cov={part.label: part.cov for part in parts},
    )


_TABLE_COLUMNS = [
    "group",
    "event",
    "shape",
    "term",
    "estimate",
    "std_err",
    "statistic",
    "p_value",
    "ci_lower",
    "ci_upper",
    "ci_method",
    "rate_ratio",
    "rate_ratio_lower",
    "rate_ratio_upper",
    "n_intervals",
    "conf_level",
]
_INTERVAL_COLUMNS = [
    TALLY_GROUP,
    "start",
    "end",
    DAYS,
    "attacks",
    "rate",
    "expected",
    "expected_rate",
    "pearson_residual",
]


@dataclass(frozen=True, slots=True)
class _GroupPart:
    """One tally group's share of the result."""

    label: str
    rows: list[dict[str, Any]]
    intervals: pd.DataFrame
    daily: pd.DataFrame
    dispersion: dict[str, Any]
    params: np.ndarray
    cov: np.ndarray


def _usable_intervals(
    tallies: pd.DataFrame,
    *,
    official: bool | None,
    qualifier: Sequence[str],
    start: str | pd.Timestamp,
    end: str | pd.Timestamp | None,
) -> pd.DataFrame:
    """Interval counts up to ``end``, without the negative ones (with a warning)."""
    iv = tally_intervals(tallies, official=official, qualifier=qualifier, start=start)
    if end is not None:
        iv = iv[iv["end"] <= pd.Timestamp(end)]
    bad = iv[~iv["monotone"]]
    if len(bad):
        warn(
            f"{len(bad)} tally interval(s) have a negative count (a tally lower than the "
            f"one before, e.g. {bad['end'].iloc[0].date()} in group {bad['group'].iloc[0]!r}); "
            "they are left out",
            DataQualityWarning,
        )
        iv = iv[iv["monotone"]]
    return iv


def _choose_groups(iv: pd.DataFrame, groups: Sequence[str] | None, min_attacks: int) -> list[str]:
    """Return the groups asked for, or every group with ``min_attacks`` attacks or more."""
    available = list(pd.unique(iv[TALLY_GROUP]))
    if groups is None:
        totals = iv.groupby(TALLY_GROUP, sort=False)["attacks"].sum()
        few = [g for g in available if totals[g] < min_attacks]
        if few:
            warn(
                f"tally group(s) {few} count fewer than {min_attacks} attacks in all; left "
                "out (pass groups= to fit them anyway)",
                FewEventsWarning,
            )
        return [g for g in available if totals[g] >= min_attacks]
    missing = sorted(set(groups) - set(available))
    if missing:
        raise FlashpointValueError(
            f"no tally intervals for group(s) {missing}; groups: {available}"
        )
    return list(groups)


def _fit_group(
    iv: pd.DataFrame,
    g: str,
    specs: Sequence[EventSpec],
    *,
    family: str,
    trend: str,
    spline_df: int,
    alpha: float,
    first_day: pd.Timestamp,
) -> _GroupPart:
    """Fit one tally group and build its rows, intervals, daily rates and dispersion."""
    label = _group_label(g)
    gi = iv[iv[TALLY_GROUP] == g].reset_index(drop=True)
    gi[TALLY_GROUP] = label
    last_day = gi["end"].max()
    dates = pd.date_range(first_day, last_day, freq="D")
    mine = list(group_specs(specs, g))
    inside = [s for s in mine if s.date <= last_day]
    design = build_design(dates, inside, freq="D", trend=trend, spline_df=spline_df)
    s_idx = ((gi["start"] - first_day).dt.days).to_numpy()
    e_idx = ((gi["end"] - first_day).dt.days).to_numpy()
    M = _membership(s_idx, e_idx, len(dates))
    A = gi["attacks"].to_numpy(dtype=float)
    if len(A) <= design.X.shape[1]:
        raise FlashpointValueError(
            f"group {g!r} has {len(A)} tally intervals for {design.X.shape[1]} parameters; use "
            "fewer terms (trend='none', fewer events) or more tallies"
        )
    fit = _fit_intervals(
        design.X, M, A, family=family, event_cols=list(design.event_cols.values()), alpha=alpha
    )
    if not fit.converged:
        warn(f"the tally model for group {g!r} did not converge", ConvergenceWarning)
    _warn_not_estimable(g, design, fit, [s for s in mine if s.date > last_day], last_day)
    Lam = M @ fit.rate
    with np.errstate(divide="ignore", invalid="ignore"):
        gi = gi.assign(
            rate=A / gi[DAYS].to_numpy(),
            expected=Lam,
            expected_rate=Lam / gi[DAYS].to_numpy(),
            pearson_residual=np.where(Lam > 0, (A - Lam) / np.sqrt(Lam), 0.0),
        )
    return _GroupPart(
        label=label,
        rows=_event_rows(label, mine, inside, design, fit, n_intervals=len(A), alpha=alpha),
        intervals=gi[_INTERVAL_COLUMNS],
        daily=_daily(label, dates, design, fit, alpha=alpha),
        dispersion={
            "group": label,
            "n_intervals": len(A),
            "pearson_dispersion": fit.pearson,
            "nb_alpha": fit.nb_alpha,
            "converged": fit.converged,
        },
        params=fit.beta,
        cov=fit.cov,
    )


def _warn_not_estimable(
    g: str, design: Design, fit: _IntervalFit, late: list[EventSpec], last_day: pd.Timestamp
) -> None:
    """One warning per group naming the terms reported as ``nan``."""
    terms = [n for n, j in design.event_cols.items() if j in fit.not_estimable]
    reasons = []
    if terms:
        reasons.append(
            f"{', '.join(map(repr, terms))}: the likelihood keeps growing with the effect "
            "(e.g. no attack counted before it)"
        )
    if late:
        reasons.append(
            f"{', '.join(repr(s.name) for s in late)}: after the last tally ({last_day.date()})"
        )
    if reasons:
        warn(
            f"not estimable from the tallies of group {g!r}, reported as NaN: "
            + "; ".join(reasons),
            NotEstimableWarning,
        )


def _event_rows(
    label: str,
    mine: Sequence[EventSpec],
    inside: Sequence[EventSpec],
    design: Design,
    fit: _IntervalFit,
    *,
    n_intervals: int,
    alpha: float,
) -> list[dict[str, Any]]:
    """One summary row per event of the group (``nan`` for events it cannot estimate)."""
    z = stats.norm.ppf(1 - alpha / 2)
    se = np.sqrt(np.clip(np.diag(fit.cov), 0, None))
    terms = dict(zip(inside, event_term_names(inside), strict=True))
    rows = []
    for sp, name in zip(mine, event_term_names(mine), strict=True):
        j = design.event_cols.get(terms[sp]) if sp in terms else None
        est = err = lo = hi = stat = p_value = np.nan
        method = "not estimable"
        if j is not None and j in fit.separated:
            est, lo, (hi, p_value), method = -np.inf, -np.inf, fit.separated[j], "profile"
        elif j is not None and np.isfinite(fit.beta[j]):
            est, err = fit.beta[j], se[j]
            lo, hi = est - z * err, est + z * err
            stat = est / err if err > 0 else np.nan
            p_value, method = 2 * stats.norm.sf(abs(stat)), "wald"
        with np.errstate(over="ignore"):
            rr = np.exp([est, lo, hi])
        rows.append(
            {
                "group": label,
                "event": sp.name,
                "shape": sp.shape,
                "term": name,
                "estimate": est,
                "std_err": err,
                "statistic": stat,
                "p_value": p_value,
                "ci_lower": lo,
                "ci_upper": hi,
                "ci_method": method,
                "rate_ratio": rr[0],
                "rate_ratio_lower": rr[1],
                "rate_ratio_upper": rr[2],
                "n_intervals": n_intervals,
                "conf_level": 1 - alpha,
            }
        )
    return rows


def _daily(
    label: str, dates: pd.DatetimeIndex, design: Design, fit: _IntervalFit, *, alpha: float
) -> pd.DataFrame:
    """Fitted daily rate with its delta-method band, and the counterfactual."""
    z = stats.norm.ppf(1 - alpha / 2)
    X = design.X
    free = np.isfinite(fit.beta)
    Xf = X[:, free]
    band = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", Xf, fit.cov[np.ix_(free, free)], Xf), 0, None))
    lam = fit.rate
    eta = Xf @ fit.beta[free] + sum((_FAR * X[:, j] for j in fit.not_estimable), np.zeros(len(X)))
    # at a separated term's days the rate is 0 and the upper edge uses its bound
    eta_up = eta + sum((bound * X[:, j] for j, (bound, _p) in fit.separated.items()), 0.0)
    X_cf = X.copy()
    X_cf[:, list(design.event_cols.values())] = 0.0
    counterfactual = np.exp(X_cf[:, free] @ fit.beta[free])
    if fit.not_estimable:
        counterfactual = np.full(len(dates), np.nan)
    return pd.DataFrame(
        {
            "group": label,
            DATE: dates,
            "rate": lam,
            "rate_lower": np.where(lam > 0, np.exp(eta - z * band), 0.0),
            "rate_upper": np.exp(eta_up + z * band),
            "counterfactual": counterfactual,
        }
    )
