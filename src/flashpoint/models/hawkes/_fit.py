"""fit_hawkes: input checks, designs, maximum likelihood, intervals, tests and frames."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.errors import (
    ConvergenceWarning,
    EventRangeError,
    FlashpointTypeError,
    FlashpointValueError,
    ModelSpecError,
    NonStationaryWarning,
)
from flashpoint.models._base import CountSeries, check_choice, warn
from flashpoint.models.hawkes._engine import (
    ETA_MAX,
    KAPPA_MAX,
    _Design,
    _Layout,
    at_bound,
    components,
    geometric_kernel,
    lag_matrix,
    maximize,
)
from flashpoint.schemas import COUNT, DATE

optimize = lazy_module("scipy.optimize")
stats = lazy_module("scipy.stats")

__all__ = ["HawkesConvergenceWarning", "NonStationaryWarning"]

DEFAULT_MAX_LAG = 21
DAYS_PER_YEAR = 365.25


class HawkesConvergenceWarning(ConvergenceWarning):
    """The Hawkes likelihood maximisation did not converge; estimates may be unreliable."""


ExogenousInput = pd.DataFrame | Sequence[Any] | pd.DatetimeIndex


@dataclass(frozen=True)
class _Exogenous:
    name: str
    dates: pd.DatetimeIndex  # day of each count below
    x: np.ndarray  # counts of exogenous events per day


@dataclass(frozen=True)
class _Model:
    """Everything needed to evaluate or continue one fitted model (internal)."""

    groups: tuple[Hashable | None, ...]
    design: _Design
    theta: np.ndarray
    cov: np.ndarray
    loglik: float  # without the constant -sum(log y!) (the engine's convention)
    converged: bool
    dates: pd.DatetimeIndex
    max_lag: int
    exo_names: tuple[str, ...]
    exo_hist: np.ndarray  # (J, L): exogenous counts on the last L fitted days, oldest first
    exo_future: tuple[_Exogenous, ...]  # the raw streams (for future days' known events)
    regime_starts: tuple[pd.Timestamp, ...]


# ------------------------------------------------------------------------------------------
# input parsing
# ------------------------------------------------------------------------------------------
def _parse_kernel(
    kernel: str | Sequence[float], max_lag: int | None
) -> tuple[np.ndarray | None, int]:
    if isinstance(kernel, str):
        check_choice("kernel", kernel, ("geometric",))
        L = DEFAULT_MAX_LAG if max_lag is None else max_lag
        if not isinstance(L, int | np.integer) or L < 1:
            raise ModelSpecError(f"max_lag must be a positive number of days, got {max_lag!r}")
        return None, int(L)
    w = np.asarray(kernel, dtype=float)
    if w.ndim != 1 or w.size < 1 or np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ModelSpecError(
            "kernel must be 'geometric' or a sequence of non-negative weights for lags "
            f"1, 2, ... days (at least one positive); got {kernel!r}"
        )
    if max_lag is not None and max_lag != w.size:
        raise ModelSpecError(
            f"max_lag={max_lag} but the kernel has {w.size} weights; drop max_lag or make "
            "them agree"
        )
    return w / w.sum(), int(w.size)


def _one_exogenous(name: str, value: Any) -> _Exogenous:
    if isinstance(value, pd.DataFrame):
        if DATE not in value.columns:
            raise FlashpointValueError(
                f"exogenous {name!r} has no '{DATE}' column (columns: {list(value.columns)}); "
                "pass an event table (one row per event) or daily counts (date, count)"
            )
        dates = pd.to_datetime(value[DATE]).dt.normalize()
        if dates.isna().any():
            raise FlashpointValueError(f"exogenous {name!r} has missing dates")
        if COUNT in value.columns:
            w = pd.to_numeric(value[COUNT], errors="coerce")
            if w.isna().any() or (w < 0).any():
                raise FlashpointValueError(
                    f"exogenous {name!r}: '{COUNT}' must hold non-negative numbers"
                )
            s = pd.Series(w.to_numpy(dtype=float), index=pd.DatetimeIndex(dates))
        else:
            s = pd.Series(1.0, index=pd.DatetimeIndex(dates))
    else:
        if isinstance(value, str | bytes) or not isinstance(
            value, Sequence | pd.Index | np.ndarray
        ):
            raise FlashpointTypeError(
                f"exogenous {name!r} must be an event table, daily counts or a sequence of "
                f"dates; got {type(value).__name__}"
            )
        try:
            idx = pd.DatetimeIndex(pd.to_datetime(list(value))).normalize()
        except (ValueError, TypeError) as err:
            raise FlashpointValueError(
                f"exogenous {name!r}: could not read the dates ({err}); pass dates such as "
                "'2023-11-22' or pandas Timestamps"
            ) from err
        s = pd.Series(1.0, index=idx)
    s = s.groupby(level=0).sum().sort_index()
    return _Exogenous(name=name, dates=pd.DatetimeIndex(s.index), x=s.to_numpy(dtype=float))


def _parse_exogenous(exogenous: Any) -> list[_Exogenous]:
    if exogenous is None:
        return []
    if isinstance(exogenous, Mapping):
        return [_one_exogenous(str(k), v) for k, v in exogenous.items()]
    name = "exogenous"
    if isinstance(exogenous, pd.DataFrame) and "kind" in exogenous.columns:
        kinds = exogenous["kind"].dropna().unique()
        if len(kinds) == 1:
            name = str(kinds[0])
    return [_one_exogenous(name, exogenous)]


def _exo_on_grid(e: _Exogenous, grid: pd.DatetimeIndex) -> np.ndarray:
    out = np.zeros(len(grid))
    pos = grid.get_indexer(e.dates)
    ok = pos >= 0
    np.add.at(out, pos[ok], e.x[ok])
    return out


def _parse_regimes(
    regimes: Sequence[Any] | None, dates: pd.DatetimeIndex
) -> tuple[pd.Timestamp, ...]:
    if regimes is None:
        return ()
    if isinstance(regimes, str | pd.Timestamp):
        regimes = [regimes]
    try:
        bounds = sorted({pd.Timestamp(r).normalize() for r in regimes})
    except (ValueError, TypeError) as err:
        raise FlashpointValueError(
            f"regimes must be dates (such as '2023-11-22'); got {regimes!r}"
        ) from err
    for b in bounds:
        if not dates[0] < b <= dates[-1]:
            raise EventRangeError(
                f"regime start {b.date()} is outside the counts ({dates[0].date()} .. "
                f"{dates[-1].date()}); a regime boundary must fall after the first day and no "
                "later than the last"
            )
    return tuple(bounds)


# ------------------------------------------------------------------------------------------
# designs and fitting
# ------------------------------------------------------------------------------------------
def _build_design(
    series: list[CountSeries],
    *,
    exo: list[_Exogenous],
    fixed_kernel: np.ndarray | None,
    max_lag: int,
    regime_starts: tuple[pd.Timestamp, ...],
    trend: bool,
    family: str,
    pool_eta_regimes: bool = False,
) -> tuple[_Design, np.ndarray]:
    dates = series[0].dates
    n = len(dates)
    y = np.vstack([s.y.astype(float) for s in series])
    lags = np.stack([lag_matrix(row, max_lag) for row in y])
    ext = pd.date_range(dates[0] - pd.Timedelta(days=max_lag), dates[-1], freq="D")
    xs = [_exo_on_grid(e, ext) for e in exo]
    exo_lags = (
        np.stack([lag_matrix(x[max_lag:], max_lag, presample=x[:max_lag]) for x in xs])
        if xs
        else np.zeros((0, n, max_lag))
    )
    regime = np.searchsorted(
        np.asarray(regime_starts, dtype="datetime64[ns]"),
        dates.to_numpy(dtype="datetime64[ns]"),
        side="right",
    )
    K = len(regime_starts) + 1
    layout = _Layout(
        G=len(series),
        K_mu=K,
        K_eta=1 if pool_eta_regimes else K,
        J=len(exo),
        trend=trend,
        geometric=fixed_kernel is None,
        negbin=family == "negbin",
    )
    design = _Design(
        y=y,
        lags=lags,
        exo_lags=exo_lags,
        mu_regime=regime.astype(np.intp),
        eta_regime=(np.zeros(n, dtype=np.intp) if pool_eta_regimes else regime.astype(np.intp)),
        tau=np.arange(n) / DAYS_PER_YEAR,
        fixed_kernel=fixed_kernel,
        layout=layout,
    )
    hist = np.vstack([x[-max_lag:] for x in xs]) if xs else np.zeros((0, max_lag))
    return design, hist


def _starts(d: _Design) -> list[np.ndarray]:
    lay = d.layout
    sl = lay.slices()
    out = []
    for beta0, eta0 in ((0.5, 0.3), (0.85, 0.6)):
        th = np.zeros(lay.size)
        a = np.empty((lay.G, lay.K_mu))
        for k in range(lay.K_mu):
            m = d.y[:, d.mu_regime == k].mean(axis=1)
            a[:, k] = np.log(np.maximum(m * (1 - eta0), 1e-3))
        th[sl["a"]] = a.ravel()
        eta = np.full((lay.K_eta, lay.G, lay.G), 0.05 if lay.G > 1 else eta0)
        for i in range(lay.G):
            eta[:, i, i] = eta0 if lay.G == 1 else eta0 * 0.7
        th[sl["eta"]] = eta.ravel()
        th[sl["beta"]] = beta0
        th[sl["kappa"]] = 0.5
        th[sl["gamma"]] = 0.5
        th[sl["logdisp"]] = np.log(0.3)
        out.append(th)
    return out


def _fit_design(
    d: _Design, fixed: dict[int, float] | None = None
) -> tuple[np.ndarray, float, bool]:
    """Best of the maximisations from each starting point."""
    fits = [maximize(d, start, fixed=fixed) for start in _starts(d)]
    theta, ll, ok, _ = max(fits, key=lambda f: f[1])
    return theta, ll, ok


def _bracketed_root(f: Callable[[float], float], a: float, b: float) -> float:
    """Root of ``f`` between ``a`` and ``b``; the estimate's side when the profile is flat.

    At the estimate the deviance should be ``-q < 0``; a re-maximisation that lands a hair
    below the maximum can make it positive, in which case the interval closes at that end.
    """
    fa, fb = f(a), f(b)
    if np.sign(fa) == np.sign(fb):
        return a if abs(fa) < abs(fb) else b
    return float(optimize.brentq(f, a, b, xtol=1e-4))


def _profile_ci(
    d: _Design, theta: np.ndarray, ll_hat: float, i: int, q: float, se: float
) -> tuple[float, float]:
    """Profile-likelihood interval {v: 2 (ll_hat - max ll | theta_i = v) <= q}."""
    lo_b, hi_b = d.layout.bounds()[i]
    est = float(theta[i])

    last = {"lower": theta.copy(), "upper": theta.copy()}
    side = "lower"

    def dev(v: float) -> float:
        # warm start from the last solution on this side of the estimate
        start = last[side].copy()
        start[i] = v
        th, ll, _, _ = maximize(d, start, fixed={i: v}, ftol=1e-9)
        last[side] = th
        return 2.0 * (ll_hat - ll) - q

    lower = lo_b if est - lo_b < 1e-08 or dev(lo_b) <= 0 else _bracketed_root(dev, lo_b, est)
    side = "upper"
    if d.layout.kinds()[i] == "eta":
        upper = hi_b if hi_b - est < 1e-08 or dev(hi_b) <= 0 else _bracketed_root(dev, est, hi_b)
    else:  # exogenous size: bracket upwards
        step = max(4 * se if np.isfinite(se) else 0.0, est, 0.5)
        hi = est + step
        while dev(hi) <= 0:
            if hi >= KAPPA_MAX:
                return lower, float("inf")
            hi = min(2 * hi, KAPPA_MAX)
        upper = _bracketed_root(dev, est, hi)
    return float(lower), float(upper)


def _lr_test(ll_full: float, ll_restr: float, df: int) -> tuple[float, float]:
    stat = max(0.0, 2.0 * (ll_full - ll_restr))
    return stat, float(stats.chi2.sf(stat, df))


# ------------------------------------------------------------------------------------------
# frames
# ------------------------------------------------------------------------------------------
def _regime_spans(
    starts: tuple[pd.Timestamp, ...], dates: pd.DatetimeIndex
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    edges = [dates[0], *starts]
    ends = [s - pd.Timedelta(days=1) for s in starts] + [dates[-1]]
    return list(zip(edges, ends, strict=True))


def _param_rows(m: _Model, *, alpha: float, ci_method: str, family: str) -> list[dict[str, Any]]:
    d, theta, cov = m.design, m.theta, m.cov
    lay = d.layout
    sl = lay.slices()
    th = lay.unpack(theta)
    se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    z = float(stats.norm.ppf(1 - alpha / 2))
    q = float(stats.chi2.ppf(1 - alpha, 1))
    spans = _regime_spans(m.regime_starts, m.dates)
    rows: list[dict[str, Any]] = []
    bound = at_bound(d, theta)

    def row(
        group: Any,
        term: str,
        est: float,
        s: float,
        lo: float,
        hi: float,
        method: str,
        unit: str,
        source: Any = None,
        regime: int | None = None,
    ) -> None:
        start, end = spans[regime] if regime is not None else (pd.NaT, pd.NaT)
        rows.append(
            {
                "group": group,
                "term": term,
                "source": source,
                "regime": regime,
                "regime_start": start,
                "regime_end": end,
                "estimate": est,
                "std_err": s,
                "ci_lower": lo,
                "ci_upper": hi,
                "ci_method": method,
                "unit": unit,
            }
        )

    def wald(i: int, lo_b: float = -np.inf, hi_b: float = np.inf) -> tuple[float, float]:
        return max(theta[i] - z * se[i], lo_b), min(theta[i] + z * se[i], hi_b)

    for gi, grp in enumerate(m.groups):
        for k in range(lay.K_mu):
            i = sl["a"].start + gi * lay.K_mu + k
            est = float(np.exp(theta[i]))
            row(
                grp,
                "background",
                est,
                est * se[i],
                float(np.exp(theta[i] - z * se[i])),
                float(np.exp(theta[i] + z * se[i])),
                "wald_log_scale",
                "events per day" + (" (first day of the series)" if lay.trend else ""),
                regime=k,
            )
        if lay.trend:
            i = sl["b"].start + gi
            row(grp, "trend", float(theta[i]), se[i], *wald(i), "wald", "log rate ratio per year")
        for k in range(lay.K_eta):
            for gj, src in enumerate(m.groups):
                i = sl["eta"].start + (k * lay.G + gi) * lay.G + gj
                if ci_method == "profile":
                    lo, hi = _profile_ci(d, theta, m.loglik, i, q, se[i])
                    method = "profile_likelihood"
                else:
                    lo, hi = wald(i, 0.0, ETA_MAX)
                    method = "wald"
                row(
                    grp,
                    "branching_ratio",
                    float(theta[i]),
                    se[i],
                    lo,
                    hi,
                    method,
                    "direct offspring per event",
                    source=src,
                    regime=k if lay.K_eta > 1 or lay.K_mu > 1 else 0,
                )
        for mi, name in enumerate(m.exo_names):
            i = sl["kappa"].start + mi * lay.G + gi
            if ci_method == "profile":
                lo, hi = _profile_ci(d, theta, m.loglik, i, q, se[i])
                method = "profile_likelihood"
            else:
                lo, hi = wald(i, 0.0)
                method = "wald"
            row(
                grp,
                "exogenous_size",
                float(theta[i]),
                se[i],
                lo,
                hi,
                method,
                "extra events per exogenous event",
                source=name,
            )
        if lay.negbin:
            i = sl["logdisp"].start + gi
            est = float(np.exp(theta[i]))
            s_ = se[i] if not bound[i] else np.nan
            row(
                grp,
                "dispersion",
                est,
                est * s_,
                float(np.exp(theta[i] - z * s_)),
                float(np.exp(theta[i] + z * s_)),
                "wald_log_scale",
                "NB2: variance = mean + dispersion * mean^2",
            )
    shared = None if len(m.groups) > 1 else m.groups[0]
    L = d.lags.shape[2]
    lags = np.arange(1, L + 1)
    if lay.geometric:
        i = sl["beta"].start
        row(
            shared,
            "kernel_decay",
            float(theta[i]),
            se[i],
            *wald(i, 0.0, 1.0),
            "wald",
            "ratio g(l+1)/g(l)",
        )
        g, dg = geometric_kernel(float(theta[i]), L)
        mean_lag, dmean = float(lags @ g), float(lags @ dg)
        s_ = abs(dmean) * se[i]
        row(
            shared,
            "kernel_mean_lag",
            mean_lag,
            s_,
            max(mean_lag - z * s_, 1.0),
            min(mean_lag + z * s_, float(L)),
            "delta_method",
            "days",
        )
        for mi, name in enumerate(m.exo_names):
            i = sl["gamma"].start + mi
            row(
                shared,
                "exogenous_decay",
                float(theta[i]),
                se[i],
                *wald(i, 0.0, 1.0),
                "wald",
                "ratio h(l+1)/h(l)",
                source=name,
            )
    if lay.G > 1:
        for k in range(lay.K_eta):
            E = th["eta"][k]
            rho, drho = _spectral_radius(E)
            idx = np.arange(
                sl["eta"].start + k * lay.G * lay.G, sl["eta"].start + (k + 1) * lay.G * lay.G
            )
            sub = cov[np.ix_(idx, idx)]
            grad = drho.ravel()
            keep = ~np.isnan(np.diag(sub))
            var = float(grad[keep] @ sub[np.ix_(keep, keep)] @ grad[keep]) if keep.any() else np.nan
            s_ = np.sqrt(var) if var > 0 else np.nan
            row(
                None,
                "spectral_radius",
                rho,
                s_,
                max(rho - z * s_, 0.0),
                rho + z * s_,
                "delta_method",
                "largest eigenvalue of the branching matrix",
                regime=k,
            )
    return rows


def _spectral_radius(E: np.ndarray) -> tuple[float, np.ndarray]:
    """Spectral radius of a non-negative matrix and its gradient (Perron vectors)."""
    w, V = np.linalg.eig(E)
    k = int(np.argmax(np.abs(w)))
    rho = float(np.abs(w[k]))
    wl, U = np.linalg.eig(E.T)
    kl = int(np.argmin(np.abs(wl - w[k])))
    v = np.real(V[:, k])
    u = np.real(U[:, kl])
    denom = float(u @ v)
    grad = np.outer(u, v) / denom if abs(denom) > 1e-12 else np.full(E.shape, np.nan)
    return rho, grad


def _frames(m: _Model) -> tuple[pd.DataFrame, pd.DataFrame]:
    mu, by_source, exo, _ = components(m.theta, m.design)
    n = len(m.dates)
    dec, src = [], []
    for gi, grp in enumerate(m.groups):
        self_part = by_source[gi].sum(axis=0)
        exo_part = exo[:, gi, :].sum(axis=0) if exo.shape[0] else np.zeros(n)
        dec.append(
            pd.DataFrame(
                {
                    DATE: m.dates,
                    "group": grp,
                    COUNT: m.design.y[gi].astype(np.int64),
                    "expected": mu[gi] + self_part + exo_part,
                    "background": mu[gi],
                    "self_excited": self_part,
                    "exogenous": exo_part,
                }
            )
        )
        for gj, s in enumerate(m.groups):
            src.append(
                pd.DataFrame(
                    {
                        DATE: m.dates,
                        "group": grp,
                        "source": s,
                        "self_excited": by_source[gi, gj],
                    }
                )
            )
    return pd.concat(dec, ignore_index=True), pd.concat(src, ignore_index=True)


def fit_models(
    series: list[CountSeries],
    *,
    multivariate: bool,
    exo: list[_Exogenous],
    fixed_kernel: np.ndarray | None,
    max_lag: int,
    regime_starts: tuple[pd.Timestamp, ...],
    trend: bool,
    family: str,
    warn_user: bool = True,
) -> list[_Model]:
    """Fit one model per group (or one multivariate model) without intervals or tests."""
    batches = [series] if multivariate else [[s] for s in series]
    out = []
    for batch in batches:
        d, hist = _build_design(
            batch,
            exo=exo,
            fixed_kernel=fixed_kernel,
            max_lag=max_lag,
            regime_starts=regime_starts,
            trend=trend,
            family=family,
        )
        theta, ll, ok = _fit_design(d)
        groups = tuple(s.group for s in batch)
        if warn_user and not ok:
            warn(
                f"the Hawkes likelihood maximisation did not converge for {_where(groups)}; "
                "try a fixed kernel, a shorter max_lag or family='poisson'",
                HawkesConvergenceWarning,
            )
        out.append(
            _Model(
                groups=groups,
                design=d,
                theta=theta,
                cov=np.full((len(theta),) * 2, np.nan),
                loglik=ll,
                converged=ok,
                dates=batch[0].dates,
                max_lag=max_lag,
                exo_names=tuple(e.name for e in exo),
                exo_hist=hist,
                exo_future=tuple(exo),
                regime_starts=regime_starts,
            )
        )
    return out


def _where(groups: tuple[Hashable | None, ...]) -> str:
    if groups == (None,):
        return "the series"
    return "group(s) " + ", ".join(repr(g) for g in groups)
