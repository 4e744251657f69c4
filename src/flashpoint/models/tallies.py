"""Daily attack rates and event effects estimated from cumulative tallies (interval counts).

Officials report running totals ("73 attacks since October 17"), not daily counts. The
difference of two successive totals is the number of attacks in the interval between them.
:func:`fit_tally_rates` models the daily rate as a log-linear function of time and event
terms (the same shapes as :func:`flashpoint.fit_its`) and fits it to the interval counts
exactly: the expected count of an interval is the sum of the daily rates over its days, so
an interval that straddles an event is neither assigned to one side nor dropped.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from flashpoint.counts import (
    DAYS,
    TALLY_GROUP,
    count_daily,
    match_tally_groups,
    tally_group_name,
    tally_intervals,
)
from flashpoint.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    FewEventsWarning,
    FlashpointValueError,
)
from flashpoint.models._base import ResultMixin, check_alpha, check_choice, warn
from flashpoint.models.design import (
    as_event_specs,
    build_design,
    event_term_names,
    group_specs,
)
from flashpoint.schemas import COUNT, DATE

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["TallyRatesResult", "fit_tally_rates", "impute_daily_from_tallies"]

FAMILIES = ("poisson", "quasipoisson", "negbin")


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

    def summary(self) -> pd.DataFrame:
        """One row per group and event term.

        Returns
        -------
        pandas.DataFrame
            ``group``, ``event``, ``shape``, ``term``, ``estimate`` (log rate ratio),
            ``std_err``, ``statistic``, ``p_value``, ``ci_lower``, ``ci_upper``,
            ``rate_ratio``, ``rate_ratio_lower``, ``rate_ratio_upper``, ``n_intervals``,
            ``conf_level``.
        """
        return self.table.copy()

    def _headline(self) -> str:
        return (
            f"{self.family} rates from {int(self.dispersion['n_intervals'].sum())} tally "
            f"intervals, {len(self.events)} event(s); {1 - self.alpha:.0%} intervals"
        )

    def plot(self) -> go.Figure:
        """Interval rates, the fitted daily rate with its band and the events (plotly)."""
        from flashpoint.plots import plot_tally_fit

        return plot_tally_fit(self)


# --------------------------------------------------------------------------------------------
# Likelihood of interval counts
# --------------------------------------------------------------------------------------------
# W is the (J, T) matrix of day weights per interval: 1 where day t lies in interval j (a
# daily offset multiplies its column). Lambda = W @ exp(X beta); A ~ Poisson(Lambda) or
# NB2(Lambda, 1/r).
def _llf_grad(
    beta: np.ndarray, X: np.ndarray, W: np.ndarray, A: np.ndarray, r: float | None
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood, its gradient in beta and ``G = d Lambda / d beta`` (J, p)."""
    lam = np.exp(np.clip(X @ beta, -50, 50))
    Lam = np.maximum(W @ lam, 1e-300)
    G = W @ (lam[:, None] * X)
    if r is None:
        llf = float(np.sum(special.xlogy(A, Lam) - Lam - special.gammaln(A + 1)))
        d_Lam = A / Lam - 1.0
    else:
        llf = float(
            np.sum(
                special.gammaln(A + r)
                - special.gammaln(r)
                - special.gammaln(A + 1)
                + r * np.log(r / (r + Lam))
                + special.xlogy(A, Lam / (r + Lam))
            )
        )
        d_Lam = r * (A - Lam) / (Lam * (r + Lam))
    return llf, G.T @ d_Lam, G


def _poisson_hessian(
    beta: np.ndarray, X: np.ndarray, W: np.ndarray, A: np.ndarray, G: np.ndarray
) -> np.ndarray:
    lam = np.exp(np.clip(X @ beta, -50, 50))
    Lam = np.maximum(W @ lam, 1e-300)
    weight = lam * (W.T @ (A / Lam - 1.0))
    return (X * weight[:, None]).T @ X - G.T @ (G * (A / Lam**2)[:, None])


def _numeric_hessian(fun: Any, x: np.ndarray) -> np.ndarray:
    """Central differences of an analytic gradient, symmetrised."""
    k = len(x)
    H = np.empty((k, k))
    for i in range(k):
        h = 1e-5 * max(1.0, abs(x[i]))
        e = np.zeros(k)
        e[i] = h
        H[:, i] = (fun(x + e) - fun(x - e)) / (2 * h)
    return (H + H.T) / 2


def _max_beta(
    X: np.ndarray, W: np.ndarray, A: np.ndarray, r: float | None, start: np.ndarray | None = None
) -> tuple[np.ndarray, float, bool]:
    """Maximise over beta (Newton for Poisson, BFGS for NB at a fixed size r)."""
    beta = np.zeros(X.shape[1]) if start is None else start.copy()
    if start is None:
        beta[0] = np.log(max(A.sum() / max(W.sum(), 1e-9), 1e-6))
    if r is not None:
        res = optimize.minimize(
            lambda b: -_llf_grad(b, X, W, A, r)[0],
            beta,
            jac=lambda b: -_llf_grad(b, X, W, A, r)[1],
            method="BFGS",
            options={"gtol": 1e-8, "maxiter": 2000},
        )
        grad = _llf_grad(res.x, X, W, A, r)[1]
        return res.x, -float(res.fun), bool(res.success or np.max(np.abs(grad)) < 1e-5)
    llf, grad, G = _llf_grad(beta, X, W, A, None)
    for _ in range(200):
        hess = _poisson_hessian(beta, X, W, A, G)
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        t = 1.0
        while True:
            trial = beta - t * step
            new_llf, new_grad, new_G = _llf_grad(trial, X, W, A, None)
            if (np.isfinite(new_llf) and new_llf >= llf - 1e-12) or t < 1e-8:
                break
            t /= 2
        beta, llf, grad, G = trial, new_llf, new_grad, new_G
        if np.max(np.abs(t * step)) < 1e-10:
            return beta, llf, True
    return beta, llf, False


@dataclass(frozen=True, slots=True)
class _IntervalFit:
    beta: np.ndarray
    cov: np.ndarray
    converged: bool
    llf: float
    nb_alpha: float
    separated: dict[int, tuple[float, float]]


def _fit_intervals(
    X: np.ndarray,
    W: np.ndarray,
    A: np.ndarray,
    *,
    family: str,
    event_cols: Sequence[int],
    alpha: float,
) -> _IntervalFit:
    """Fit the interval model, handling event columns whose days meet only zero counts.

    Such a column's estimate is minus infinity (the likelihood keeps growing as the rate
    on its days goes to zero): its days are taken out of the intervals, the rest of the
    model is fitted, and the column gets a profile-likelihood upper bound and a
    likelihood-ratio p-value (dispersion held at its estimate).
    """
    separated = []
    for j in event_cols:
        support = X[:, j] != 0
        touching = W[:, support].sum(axis=1) > 0
        if support.any() and touching.any() and not A[touching].any():
            separated.append(j)
    keep = [j for j in range(X.shape[1]) if j not in separated]
    sep_days = np.any(X[:, separated] != 0, axis=1) if separated else np.zeros(len(X), bool)
    W_red = W * ~sep_days[None, :]
    live = W_red.sum(axis=1) > 0  # intervals of separated days only are fully explained
    Xr, Wr, Ar = X[:, keep], W_red[live], A[live]
    beta_p, llf, converged = _max_beta(Xr, Wr, Ar, None)
    r: float | None = None
    nb_alpha = np.nan
    if family == "negbin":

        def negllf(theta: np.ndarray) -> float:
            return -_llf_grad(theta[:-1], Xr, Wr, Ar, float(np.exp(-theta[-1])))[0]

        def neggrad(theta: np.ndarray) -> np.ndarray:
            b, log_a = theta[:-1], theta[-1]
            rr = float(np.exp(-log_a))
            lam = np.exp(np.clip(Xr @ b, -50, 50))
            Lam = np.maximum(Wr @ lam, 1e-300)
            _llf, g_beta, _G = _llf_grad(b, Xr, Wr, Ar, rr)
            d_r = (
                special.digamma(Ar + rr)
                - special.digamma(rr)
                + np.log(rr / (rr + Lam))
                + 1
                - (Ar + rr) / (rr + Lam)
            )
            return -np.append(g_beta, -rr * np.sum(d_r))

        res = optimize.minimize(
            negllf,
            np.append(beta_p, np.log(0.1)),
            jac=neggrad,
            method="BFGS",
            options={"gtol": 1e-8, "maxiter": 2000},
        )
        theta = res.x
        converged = bool(res.success or np.max(np.abs(neggrad(theta))) < 1e-5)
        cov_full = np.linalg.pinv(_numeric_hessian(neggrad, theta))
        beta_r, cov_r, llf = theta[:-1], cov_full[:-1, :-1], -float(res.fun)
        r, nb_alpha = float(np.exp(-theta[-1])), float(np.exp(theta[-1]))
    else:
        beta_r = beta_p
        _l, _g, G = _llf_grad(beta_r, Xr, Wr, Ar, None)
        cov_r = np.linalg.pinv(-_poisson_hessian(beta_r, Xr, Wr, Ar, G))
    k = X.shape[1]
    beta = np.full(k, -np.inf)
    beta[keep] = beta_r
    cov = np.full((k, k), np.nan)
    cov[np.ix_(keep, keep)] = cov_r
    info: dict[int, tuple[float, float]] = {}
    crit = stats.chi2.ppf(1 - alpha, 1)
    for j in separated:
        others = [c for c in range(k) if c != j]

        def profile(t: float, j: int = j, others: list[int] = others) -> float:
            weights = np.exp(np.clip(t * X[:, j], -50, 50))  # the column as a daily offset
            return _max_beta(X[:, others], W * weights[None, :], A, r)[1]

        target = llf - crit / 2
        try:
            upper = float(
                optimize.brentq(lambda t, lv=target: profile(t) - lv, -30.0, 5.0, xtol=1e-4)
            )
        except ValueError:
            upper = 5.0
        lr = max(0.0, 2 * (llf - profile(0.0)))
        info[j] = (upper, float(stats.chi2.sf(lr, 1)))
    return _IntervalFit(
        beta=beta, cov=cov, converged=converged, llf=llf, nb_alpha=nb_alpha, separated=info
    )


def _group_label(group: str) -> str:
    """Name of a tally group in results: ``total``, or the column capitalised (``Iraq``)."""
    return group if group == "total" else group.capitalize()


def _membership(starts: np.ndarray, ends: np.ndarray, n_days: int) -> np.ndarray:
    """(J, T) matrix: 1 where day t lies in interval j."""
    t = np.arange(n_days)
    return ((t[None, :] >= starts[:, None]) & (t[None, :] <= ends[:, None])).astype(float)


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


def impute_daily_from_tallies(
    tallies: pd.DataFrame,
    events: pd.DataFrame,
    *,
    by: str = "country",
    official: bool | None = True,
    qualifier: Sequence[str] = ("exact", "about"),
    start: str | pd.Timestamp = "2023-10-17",
    prior_weight: float = 0.1,
    group_map: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Estimate daily counts consistent with the official totals, timed by the event rows.

    Each tally interval's official count is spread over its days in proportion to the
    event rows on each day (plus ``prior_weight`` per day, so that days without rows get a
    share and an interval without any row is spread evenly). The result is an
    **estimate**, kept apart from the observed rows: it shows where an event list misses
    attacks (``imputed - rows`` large) or has more than officials counted.

    Parameters
    ----------
    tallies
        Validated tallies.
    events
        Event rows (one per attack) with ``date`` and the group column ``by``.
    by
        Group column of ``events``.
    official, qualifier, start
        As in :func:`flashpoint.tally_intervals`.
    prior_weight
        Weight of each day in addition to its event rows (> 0).
    group_map
        ``{tally column: event group}``; default: case-insensitive name match (``iraq`` ->
        ``Iraq``), the tally column ``other`` taking the unmatched event groups.

    Returns
    -------
    pandas.DataFrame
        One row per day and tally group (``total`` and each matched group): ``group``,
        ``date``, ``rows`` (event rows that day, ``int64``), ``imputed`` (estimated attacks
        that day, ``float64``; sums to the official count of each interval), ``difference``
        (``imputed - rows``).

    Examples
    --------
    >>> import flashpoint as fp
    >>> est = fp.impute_daily_from_tallies(fp.load_tallies(), fp.load_attacks())
    >>> iraq = est[(est["group"] == "Iraq") & (est["date"] <= "2023-11-23")]
    >>> round(iraq["imputed"].sum()), int(iraq["rows"].sum())
    (36, 29)
    """
    if prior_weight <= 0:
        raise FlashpointValueError(f"prior_weight must be positive, got {prior_weight}")
    iv = tally_intervals(tallies, official=official, qualifier=qualifier, start=start)
    iv = iv[iv["monotone"]]
    counts = count_daily(events, by=by, start=start, end=iv["end"].max())
    tally_groups = [g for g in iv[TALLY_GROUP].unique() if g != "total"]
    mapping = match_tally_groups(tally_groups, list(pd.unique(counts[by])), group_map)
    out = []
    for tally_group in ["total", *mapping]:
        if tally_group == "total":
            daily = counts.groupby(DATE)[COUNT].sum()
        else:
            chosen = counts[counts[by].isin(mapping[tally_group])]
            daily = chosen.groupby(DATE)[COUNT].sum()
        name = tally_group_name(tally_group, mapping)
        for _, r in iv[iv[TALLY_GROUP] == tally_group].iterrows():
            days = pd.date_range(r["start"], r["end"], freq="D")
            rows = daily.reindex(days, fill_value=0).to_numpy()
            w = rows + prior_weight
            imputed = int(r["attacks"]) * w / w.sum()
            out.append(
                pd.DataFrame(
                    {
                        "group": name,
                        DATE: days,
                        "rows": rows.astype("int64"),
                        "imputed": imputed,
                        "difference": imputed - rows,
                    }
                )
            )
    return pd.concat(out, ignore_index=True)
