"""Intervals and tests of the daily Hawkes model: the parameter table of ``summary()``.

Branching ratios and exogenous sizes get profile-likelihood intervals (or Wald intervals)
and a test of "= 0"; the background gets its mean over each regime (delta method); trend
and steps of the background, the dispersion and the kernel get Wald intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.models.hawkes._engine import (
    ETA_MAX,
    KAPPA_MAX,
    _Design,
    at_bound,
    geometric_kernel,
    log_background,
    maximize,
)
from flashpoint.models.hawkes._fit import _Model

stats = lazy_module("scipy.stats")

__all__: list[str] = []

PROFILE_XTOL = 5e-4
"""Precision of a profile-likelihood interval's ends (branching ratios, exogenous sizes)."""


def lr_test(ll_full: float, ll_restr: float, df: int) -> tuple[float, float]:
    """Likelihood-ratio statistic and its chi-square(df) p-value."""
    stat = max(0.0, 2.0 * (ll_full - ll_restr))
    return stat, float(stats.chi2.sf(stat, df))


def _root(f: Callable[[float], float], a: float, fa: float, b: float, fb: float) -> float:
    """Root of ``f`` in ``[a, b]`` given ``f(a)``, ``f(b)`` of opposite signs (Illinois).

    Stops when the bracket is shorter than :data:`PROFILE_XTOL`, or when ``|f(c)|``
    divided by the bracket's slope is (``f`` is a signed-root deviance, nearly linear, so
    this takes two or three steps).
    """
    side = 0
    for _ in range(60):
        c = (a * fb - b * fa) / (fb - fa)
        if abs(b - a) < PROFILE_XTOL:
            return float(c)
        fc = f(c)
        if abs(fc) * abs(b - a) < PROFILE_XTOL * abs(fb - fa):  # |fc| / slope: c is that close
            return float(c)
        if np.sign(fc) == np.sign(fb):
            b, fb = c, fc
            if side == -1:
                fa *= 0.5
            side = -1
        else:
            a, fa = c, fc
            if side == 1:
                fb *= 0.5
            side = 1
    return float(0.5 * (a + b))


@dataclass(frozen=True)
class ProfileCI:
    """Profile-likelihood interval of one parameter and the LR statistic for it being 0."""

    lower: float
    upper: float
    stat_zero: float  # 2 (ll_hat - max ll | theta_i = 0); 0 when the estimate is 0


def profile_ci(
    d: _Design, theta: np.ndarray, ll_hat: float, i: int, q: float, cov: np.ndarray
) -> ProfileCI:
    """Profile-likelihood interval ``{v: 2 (ll_hat - max ll | theta_i = v) <= q}``.

    Each end is the root, between the estimate and the parameter's bound, of the signed-root
    deviance ``sqrt(2 (ll_hat - max ll | theta_i = v)) - sqrt(q)``, which is nearly linear
    in ``v`` (so the Illinois method needs two or three profile points a side). It is
    ``-sqrt(q)`` at the estimate by definition (never re-evaluated there: a re-maximisation
    that lands a hair below the maximum would close the interval onto the estimate). Each
    profile point maximises over the other parameters from the previous point on the same
    side moved along the covariance (``+ cov[:, i] / cov[i, i] * (v - v_previous)``, the
    linearised profile path), which needs few iterations.
    """
    lo_b, hi_b = d.layout.bounds()[i]
    est = float(theta[i])
    col = cov[:, i] / cov[i, i] if cov[i, i] > 0 else np.zeros_like(theta)
    path = np.where(np.isfinite(col), col, 0.0)
    bounds = np.array(d.layout.bounds())
    root_q = float(np.sqrt(q))
    stat = {"zero": 0.0}
    last = [(est, theta)]  # the last profile point on the current side

    def dev(v: float) -> float:
        v0, th0 = last[-1]
        start = np.clip(th0 + path * (v - v0), bounds[:, 0], bounds[:, 1])
        start[i] = v
        th, ll, _, _ = maximize(d, start, fixed={i: v}, ftol=1e-9)
        last.append((v, th))
        d2 = max(2.0 * (ll_hat - ll), 0.0)
        if v == 0.0:
            stat["zero"] = d2
        return float(np.sqrt(d2)) - root_q

    lower = lo_b
    if est - lo_b > 1e-8:
        f_lo = dev(lo_b)
        if f_lo > 0:
            lower = _root(dev, lo_b, f_lo, est, -root_q)
    last[:] = [(est, theta)]
    if d.layout.kinds()[i] == "eta":
        upper = hi_b
        if hi_b - est > 1e-8:
            # probe a little beyond the Wald end first: usually a bracket, and near
            probe = est + 1.25 * root_q * float(np.sqrt(cov[i, i])) if cov[i, i] > 0 else hi_b
            if probe < hi_b:
                f_probe = dev(probe)
                if f_probe > 0:
                    return ProfileCI(
                        float(lower), _root(dev, est, -root_q, probe, f_probe), stat["zero"]
                    )
                est_side, f_est_side = probe, f_probe
            else:
                est_side, f_est_side = est, -root_q
            f_hi = dev(hi_b)
            if f_hi > 0:
                upper = _root(dev, est_side, f_est_side, hi_b, f_hi)
        return ProfileCI(float(lower), float(upper), stat["zero"])
    # exogenous size: no upper bound in practice; bracket upwards
    se = float(np.sqrt(cov[i, i])) if cov[i, i] > 0 else np.nan
    hi = est + max(4 * se if np.isfinite(se) else 0.0, est, 0.5)
    f_hi = dev(hi)
    while f_hi <= 0:
        if hi >= KAPPA_MAX:
            return ProfileCI(float(lower), float("inf"), stat["zero"])
        hi = min(2 * hi, KAPPA_MAX)
        f_hi = dev(hi)
    return ProfileCI(float(lower), _root(dev, est, -root_q, hi, f_hi), stat["zero"])


def regime_spans(
    starts: tuple[pd.Timestamp, ...], dates: pd.DatetimeIndex
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """First and last day of each regime."""
    edges = [dates[0], *starts]
    ends = [s - pd.Timedelta(days=1) for s in starts] + [dates[-1]]
    return list(zip(edges, ends, strict=True))


@dataclass(frozen=True)
class _Ctx:
    """What every row of one model needs."""

    m: _Model
    se: np.ndarray
    z: float
    q: float
    ci_method: str
    spans: list[tuple[pd.Timestamp, pd.Timestamp]]

    def row(self, group: Any, term: str, est: float, **kw: Any) -> dict[str, Any]:
        regime = kw.get("regime")
        start, end = self.spans[regime] if regime is not None else (pd.NaT, pd.NaT)
        return {
            "group": group,
            "term": term,
            "source": kw.get("source"),
            "regime": regime,
            "regime_start": start,
            "regime_end": end,
            "estimate": est,
            "std_err": kw.get("std_err", np.nan),
            "statistic": kw.get("statistic", np.nan),
            "p_value": kw.get("p_value", np.nan),
            "ci_lower": kw.get("lo", np.nan),
            "ci_upper": kw.get("hi", np.nan),
            "ci_method": kw.get("method", "wald"),
            "unit": kw.get("unit", ""),
        }

    def wald(self, i: int, lo_b: float = -np.inf, hi_b: float = np.inf) -> dict[str, Any]:
        """Wald interval and z test of ``theta_i = 0``."""
        t, s = float(self.m.theta[i]), float(self.se[i])
        zval = t / s if s > 0 else np.nan
        return {
            "std_err": s,
            "lo": max(t - self.z * s, lo_b),
            "hi": min(t + self.z * s, hi_b),
            "statistic": zval,
            "p_value": float(2 * stats.norm.sf(abs(zval))) if np.isfinite(zval) else np.nan,
        }

    def log_wald(self, i: int) -> dict[str, Any]:
        """Interval of ``exp(theta_i)`` from a Wald interval of ``theta_i``; test of ratio 1."""
        t, s = float(self.m.theta[i]), float(self.se[i])
        out = self.wald(i)
        out.update(
            std_err=float(np.exp(t)) * s,
            lo=float(np.exp(t - self.z * s)),
            hi=float(np.exp(t + self.z * s)),
            method="wald_log_scale",
        )
        return out


def _excitation_test(c: _Ctx, i: int, hi_b: float) -> dict[str, Any]:
    """Interval and test of "= 0" for a branching ratio or an exogenous size."""
    m = c.m
    if c.ci_method == "wald":
        out = c.wald(i, 0.0, hi_b)
        if m.theta[i] <= 1e-8:  # on the boundary: no evidence against 0
            out.update(lo=0.0, statistic=0.0, p_value=1.0)
        return out
    pci = profile_ci(m.design, m.theta, m.loglik, i, c.q, np.nan_to_num(m.cov))
    # LR test of "= 0", chi-square(1): p < alpha exactly when the interval excludes 0
    # (conservative: 0 is on the boundary, Self & Liang 1987)
    return {
        "std_err": float(c.se[i]),
        "lo": pci.lower,
        "hi": pci.upper,
        "statistic": pci.stat_zero,
        "p_value": float(stats.chi2.sf(pci.stat_zero, 1)),
        "method": "profile_likelihood",
    }


def _background_rows(c: _Ctx) -> list[dict[str, Any]]:
    """Mean background per group and regime (events per day), delta method on the log scale."""
    m, d = c.m, c.m.design
    lay = d.layout
    sl = lay.slices()
    mu = np.exp(log_background(lay.unpack(m.theta), d))  # (G, n)
    rows = []
    for gi, grp in enumerate(m.groups):
        for k in range(lay.K_mu):
            days = d.mu_regime == k
            mean = float(mu[gi, days].mean())
            grad = np.zeros(lay.size)  # d log(mean) / d theta
            grad[sl["a"].start + gi * lay.K_mu + k] = 1.0
            if lay.P:
                w = mu[gi, days] / (mean * days.sum())
                b0 = sl["b"].start + gi * lay.P
                grad[b0 : b0 + lay.P] = w @ d.basis[gi, days]
            keep = np.flatnonzero(grad)
            var = float(grad[keep] @ m.cov[np.ix_(keep, keep)] @ grad[keep])
            s = np.sqrt(var) if var > 0 else np.nan
            rows.append(
                c.row(
                    grp,
                    "background",
                    mean,
                    std_err=mean * s,
                    lo=mean * np.exp(-c.z * s),
                    hi=mean * np.exp(c.z * s),
                    method="delta_method_log_scale",
                    unit="events per day (mean over the regime's days)",
                    regime=k,
                )
            )
    return rows


def _baseline_rows(c: _Ctx) -> list[dict[str, Any]]:
    """Trend (log rate ratio per year) and steps (rate ratio) of the background."""
    m, lay = c.m, c.m.design.layout
    rows = []
    for gi, grp in enumerate(m.groups):
        labels = m.design.basis_labels[gi] if m.design.basis_labels else ()
        for p, label in enumerate(labels):
            i = lay.slices()["b"].start + gi * lay.P + p
            if label == "trend":
                unit = "log rate ratio per year"
                rows.append(c.row(grp, "trend", float(m.theta[i]), unit=unit, **c.wald(i)))
            elif label is not None and label.startswith("step "):
                rows.append(
                    c.row(
                        grp,
                        "baseline_step",
                        float(np.exp(m.theta[i])),
                        source=label.removeprefix("step "),
                        unit="rate ratio of the background from this date on",
                        **c.log_wald(i),
                    )
                )
    return rows


def _excitation_rows(c: _Ctx) -> list[dict[str, Any]]:
    """Branching ratios (per regime and source group) and exogenous sizes."""
    m, lay = c.m, c.m.design.layout
    sl = lay.slices()
    rows = []
    for gi, grp in enumerate(m.groups):
        for k in range(lay.K_eta):
            for gj, src in enumerate(m.groups):
                i = sl["eta"].start + (k * lay.G + gi) * lay.G + gj
                rows.append(
                    c.row(
                        grp,
                        "branching_ratio",
                        float(m.theta[i]),
                        source=src,
                        regime=k if lay.K_eta > 1 or lay.K_mu > 1 else 0,
                        unit="direct offspring per event",
                        **_excitation_test(c, i, ETA_MAX),
                    )
                )
        rows += _exogenous_rows(
            c,
            grp,
            "exogenous_size",
            [sl["kappa"].start + mi * lay.G + gi for mi in range(len(m.exo_names))],
            unit="extra events per exogenous event",
            test=lambda i: _excitation_test(c, i, np.inf),
        )
    return rows


def _exogenous_rows(
    c: _Ctx,
    group: Hashable | None,
    term: str,
    indices: list[int],
    *,
    unit: str,
    test: Callable[[int], dict[str, Any]],
) -> list[dict[str, Any]]:
    """One row per exogenous series: parameter ``indices[j]`` of series ``j``, with ``test``."""
    return [
        c.row(group, term, float(c.m.theta[i]), source=name, unit=unit, **test(i))
        for name, i in zip(c.m.exo_names, indices, strict=True)
    ]


def _nuisance_rows(c: _Ctx) -> list[dict[str, Any]]:
    """Dispersion, kernel decay and mean lag, exogenous kernel decays."""
    m, d = c.m, c.m.design
    lay, sl = d.layout, d.layout.slices()
    bound = at_bound(d, m.theta)
    rows = []
    nb_unit = "NB2: variance = mean + dispersion * mean^2"
    for gi, grp in enumerate(m.groups if lay.negbin else ()):
        i = sl["logdisp"].start + gi
        w: dict[str, Any] = c.log_wald(i) if not bound[i] else {"method": "wald_log_scale"}
        w.update({"statistic": np.nan, "p_value": np.nan})
        rows.append(c.row(grp, "dispersion", float(np.exp(m.theta[i])), unit=nb_unit, **w))
    if not lay.geometric:
        return rows
    shared = None if len(m.groups) > 1 else m.groups[0]
    i = sl["beta"].start
    untested = {"statistic": np.nan, "p_value": np.nan}
    w = {**c.wald(i, 0.0, 1.0), **untested}
    rows.append(c.row(shared, "kernel_decay", float(m.theta[i]), unit="ratio g(l+1)/g(l)", **w))
    L = d.lags.shape[2]
    g, dg = geometric_kernel(float(m.theta[i]), L)
    lags = np.arange(1, L + 1)
    mean_lag, s = float(lags @ g), abs(float(lags @ dg)) * float(c.se[i])
    lo, hi = max(mean_lag - c.z * s, 1.0), min(mean_lag + c.z * s, float(L))
    rows.append(c.row(shared, "kernel_mean_lag", mean_lag, std_err=s, lo=lo, hi=hi, unit="days"))
    rows[-1]["ci_method"] = "delta_method"
    rows += _exogenous_rows(
        c,
        shared,
        "exogenous_decay",
        [sl["gamma"].start + mi for mi in range(len(m.exo_names))],
        unit="ratio h(l+1)/h(l)",
        test=lambda i: {**c.wald(i, 0.0, 1.0), **untested},
    )
    return rows


def spectral_radius(E: np.ndarray) -> tuple[float, np.ndarray]:
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


def _spectral_rows(c: _Ctx) -> list[dict[str, Any]]:
    m, lay = c.m, c.m.design.layout
    if lay.G == 1:
        return []
    sl = lay.slices()
    rows = []
    for k in range(lay.K_eta):
        rho, drho = spectral_radius(lay.unpack(m.theta)["eta"][k])
        start = sl["eta"].start + k * lay.G * lay.G
        idx = np.arange(start, start + lay.G * lay.G)
        sub = m.cov[np.ix_(idx, idx)]
        grad = drho.ravel()
        keep = ~np.isnan(np.diag(sub))
        var = float(grad[keep] @ sub[np.ix_(keep, keep)] @ grad[keep]) if keep.any() else np.nan
        s = np.sqrt(var) if var > 0 else np.nan
        row = c.row(
            None,
            "spectral_radius",
            rho,
            std_err=s,
            lo=max(rho - c.z * s, 0.0),
            hi=rho + c.z * s,
            unit="largest eigenvalue of the branching matrix",
            regime=k,
        )
        row["ci_method"] = "delta_method"
        rows.append(row)
    return rows


def param_rows(m: _Model, *, alpha: float, ci_method: str) -> list[dict[str, Any]]:
    """Rows of the parameter table of one fitted model (see ``fit_hawkes``, Returns)."""
    diag = np.diag(m.cov)
    c = _Ctx(
        m=m,
        se=np.sqrt(np.where(diag > 0, diag, np.nan)),
        z=float(stats.norm.ppf(1 - alpha / 2)),
        q=float(stats.chi2.ppf(1 - alpha, 1)),
        ci_method=ci_method,
        spans=regime_spans(m.regime_starts, m.dates),
    )
    return (
        _background_rows(c)
        + _baseline_rows(c)
        + _excitation_rows(c)
        + _nuisance_rows(c)
        + _spectral_rows(c)
    )
