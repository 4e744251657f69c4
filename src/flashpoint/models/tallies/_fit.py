"""Daily rates and event effects fitted to interval counts: :func:`fit_tally_rates`."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.counts import DAYS, TALLY_GROUP, tally_intervals
from flashpoint.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    FewEventsWarning,
    FlashpointValueError,
)
from flashpoint.models._base import check_alpha, check_choice, warn
from flashpoint.models.design import (
    as_event_specs,
    build_design,
    event_term_names,
    group_specs,
)
from flashpoint.models.tallies._likelihood import _fit_intervals, _membership
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
        binomial interval counts, ``Var = Lambda + alpha Lambda^2``).
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
    FlashpointValueError
        When fewer intervals than parameters remain for a group.

    Notes
    -----
    With ``I_j`` the days of interval ``j`` and ``A_j`` its count,
    ``A_j ~ Poisson(Lambda_j)``, ``Lambda_j = sum_{t in I_j} lambda_t`` and
    ``log lambda_t = x_t' beta`` (trend and event columns built on the daily calendar as in
    :func:`flashpoint.fit_its`). This is the Poisson model for aggregated (interval-censored)
    counts; the daily counts being independent Poisson makes ``A_j`` exactly Poisson with
    mean ``Lambda_j``, so with one-day intervals the fit equals the daily Poisson
    regression. Maximum likelihood by Newton's method with the analytic Hessian; standard
    errors from the observed information.

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
    available = list(pd.unique(iv[TALLY_GROUP]))
    if groups is None:
        totals = iv.groupby(TALLY_GROUP, sort=False)["attacks"].sum()
        chosen = [g for g in available if totals[g] >= min_attacks]
        few = [g for g in available if totals[g] < min_attacks]
        if few:
            warn(
                f"tally group(s) {few} count fewer than {min_attacks} attacks in all; left "
                "out (pass groups= to fit them anyway)",
                FewEventsWarning,
            )
    else:
        chosen = [g for g in groups if g in available]
    if groups is not None and len(chosen) < len(groups):
        missing = sorted(set(groups) - set(available))
        raise FlashpointValueError(
            f"no tally intervals for group(s) {missing}; groups: {available}"
        )
    first_day = pd.Timestamp(start).normalize()
    z = stats.norm.ppf(1 - alpha / 2)
    rows, iv_frames, daily_frames, disp_rows = [], [], [], []
    params: dict[Hashable, np.ndarray] = {}
    covs: dict[Hashable, np.ndarray] = {}
    for g in chosen:
        label = _group_label(g)
        gi = iv[iv[TALLY_GROUP] == g].reset_index(drop=True)
        gi[TALLY_GROUP] = label
        last_day = gi["end"].max()
        dates = pd.date_range(first_day, last_day, freq="D")
        mine = [s for s in group_specs(specs, g) if first_day < s.date <= last_day]
        design = build_design(dates, mine, freq="D", trend=trend, spline_df=spline_df)
        X = design.X
        s_idx = ((gi["start"] - first_day).dt.days).to_numpy()
        e_idx = ((gi["end"] - first_day).dt.days).to_numpy()
        M = _membership(s_idx, e_idx, len(dates))
        A = gi["attacks"].to_numpy(dtype=float)
        if len(A) <= X.shape[1]:
            raise FlashpointValueError(
                f"group {g!r} has {len(A)} tally intervals for {X.shape[1]} parameters; use "
                "fewer terms (trend='none', fewer events) or more tallies"
            )
        fit = _fit_intervals(
            X, M, A, family=family, event_cols=list(design.event_cols.values()), alpha=alpha
        )
        beta, cov, converged, nb_alpha = fit.beta, fit.cov, fit.converged, fit.nb_alpha
        finite = np.isfinite(beta)
        lam = np.exp(np.where(X[:, ~finite].any(axis=1), -np.inf, X[:, finite] @ beta[finite]))
        Lam = M @ lam
        with np.errstate(divide="ignore", invalid="ignore"):
            pearson = float(np.nansum((A - Lam) ** 2 / Lam) / max(len(A) - X.shape[1], 1))
        if family == "quasipoisson":
            cov = cov * max(pearson, 1.0)
        if not converged:
            warn(f"the tally model for group {g!r} did not converge", ConvergenceWarning)
        params[label], covs[label] = beta, cov
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
        for sp, term in zip(mine, event_term_names(mine), strict=True):
            j = design.event_cols[term]
            est, err = beta[j], se[j]
            lo, hi = est - z * err, est + z * err
            stat = est / err if err > 0 else np.nan
            p_value = 2 * stats.norm.sf(abs(stat))
            if j in fit.separated:
                lo, (hi, p_value) = -np.inf, fit.separated[j]
            rows.append(
                {
                    "group": label,
                    "event": sp.name,
                    "shape": sp.shape,
                    "term": term,
                    "estimate": est,
                    "std_err": err,
                    "statistic": stat,
                    "p_value": p_value,
                    "ci_lower": lo,
                    "ci_upper": hi,
                    "rate_ratio": np.exp(est),
                    "rate_ratio_lower": np.exp(lo),
                    "rate_ratio_upper": np.exp(hi),
                    "n_intervals": len(A),
                    "conf_level": 1 - alpha,
                }
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            gi = gi.assign(
                rate=A / gi[DAYS].to_numpy(),
                expected=Lam,
                expected_rate=Lam / gi[DAYS].to_numpy(),
                pearson_residual=np.where(Lam > 0, (A - Lam) / np.sqrt(Lam), 0.0),
            )
        iv_frames.append(
            gi[
                [
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
            ]
        )
        Xf = X[:, finite]
        cov_f = cov[np.ix_(finite, finite)]
        band = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", Xf, cov_f, Xf), 0, None))
        eta = np.log(np.maximum(lam, 1e-300))
        eta_f = Xf @ beta[finite] + sum(bound * X[:, j] for j, (bound, _p) in fit.separated.items())
        X_cf = X.copy()
        X_cf[:, list(design.event_cols.values())] = 0.0
        daily_frames.append(
            pd.DataFrame(
                {
                    "group": label,
                    DATE: dates,
                    "rate": lam,
                    "rate_lower": np.where(lam > 0, np.exp(eta - z * band), 0.0),
                    "rate_upper": np.exp(eta_f + z * band),  # at a separated term: its bound
                    "counterfactual": np.exp(X_cf[:, finite] @ beta[finite]),
                }
            )
        )
        disp_rows.append(
            {
                "group": label,
                "n_intervals": len(A),
                "pearson_dispersion": pearson,
                "nb_alpha": nb_alpha,
                "converged": converged,
            }
        )
    table_cols = [
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
        "rate_ratio",
        "rate_ratio_lower",
        "rate_ratio_upper",
        "n_intervals",
        "conf_level",
    ]
    return TallyRatesResult(
        family=family,
        trend=trend,
        alpha=alpha,
        groups=tuple(_group_label(g) for g in chosen),
        events=tuple(specs),
        table=pd.DataFrame(rows, columns=table_cols),
        intervals=pd.concat(iv_frames, ignore_index=True),
        daily=pd.concat(daily_frames, ignore_index=True),
        dispersion=pd.DataFrame(disp_rows),
        params=params,
        cov=covs,
    )
