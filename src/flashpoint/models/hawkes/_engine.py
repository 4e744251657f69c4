"""Likelihood engine of the discrete-time (binned) Hawkes model.

Everything here works on plain arrays: ``_Design`` holds the data of one fit (counts of
``G`` groups on ``n`` days, their lags, regimes, exogenous lags), ``_Layout`` maps a flat
parameter vector to named blocks, and :func:`loglik` returns the log-likelihood and its
exact gradient. Optimisation (TNC), the observed information (finite differences of
the exact gradient) and profile likelihoods build on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from flashpoint._lazy import lazy_module
from flashpoint.models._likelihood import nb_kernel_sum, poisson_kernel_sum

optimize = lazy_module("scipy.optimize")
special = lazy_module("scipy.special")

__all__: list[str] = []

ETA_MAX = 0.999
"""Upper bound of every branching ratio (stationarity of the univariate process)."""
DECAY_BOUNDS = (1e-3, 0.995)
LOGDISP_BOUNDS = (-10.0, 6.0)
LOGMU_BOUNDS = (-15.0, 10.0)
KAPPA_MAX = 1e4


def geometric_kernel(beta: float, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised geometric kernel on lags 1..L and its derivative in ``beta``.

    ``g(l) = beta**(l-1) / sum_m beta**(m-1)``, so ``sum g = 1``.
    """
    k = np.arange(max_lag, dtype=float)
    w = beta**k
    dw = np.zeros(max_lag)
    dw[1:] = k[1:] * beta ** (k[1:] - 1)
    s, ds = w.sum(), dw.sum()
    return w / s, (dw * s - w * ds) / s**2


def lag_matrix(x: np.ndarray, max_lag: int, presample: np.ndarray | None = None) -> np.ndarray:
    """Rows t, columns l-1: ``x[t-l]`` for l = 1..L (pre-sample values or zeros before t=0)."""
    pre = np.zeros(max_lag) if presample is None else np.asarray(presample, dtype=float)
    padded = np.concatenate([pre, np.asarray(x, dtype=float)])
    n = len(x)
    win = sliding_window_view(padded[: n + max_lag - 1], max_lag)
    return np.ascontiguousarray(win[:, ::-1])


@dataclass(frozen=True)
class _Layout:
    """Positions of the parameter blocks in the flat vector."""

    G: int
    K_mu: int
    K_eta: int
    J: int
    P: int  # baseline columns per group (trend, spline, steps)
    geometric: bool
    negbin: bool
    # day index (from the first fitted day; may lie beyond it) -> baseline columns (G, H, P)
    extrapolate: Callable[[np.ndarray], np.ndarray] | None = field(
        default=None, compare=False, repr=False
    )

    def _sizes(self) -> list[tuple[str, int]]:
        return [
            ("a", self.G * self.K_mu),
            ("b", self.G * self.P),
            ("eta", self.K_eta * self.G * self.G),
            ("beta", 1 if self.geometric else 0),
            ("kappa", self.J * self.G),
            ("gamma", self.J if self.geometric else 0),
            ("logdisp", self.G if self.negbin else 0),
        ]

    def slices(self) -> dict[str, slice]:
        out, pos = {}, 0
        for name, size in self._sizes():
            out[name] = slice(pos, pos + size)
            pos += size
        return out

    @cached_property
    def size(self) -> int:
        return sum(s for _, s in self._sizes())

    @cached_property
    def slice_map(self) -> dict[str, slice]:
        return self.slices()

    def unpack(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        sl = self.slice_map
        return {
            "a": theta[sl["a"]].reshape(self.G, self.K_mu),
            "b": theta[sl["b"]].reshape(self.G, self.P),
            "eta": theta[sl["eta"]].reshape(self.K_eta, self.G, self.G),
            "beta": theta[sl["beta"]],
            "kappa": theta[sl["kappa"]].reshape(self.J, self.G),
            "gamma": theta[sl["gamma"]],
            "logdisp": theta[sl["logdisp"]],
        }

    def bounds(self) -> list[tuple[float, float]]:
        per = {
            "a": LOGMU_BOUNDS,
            "b": (-50.0, 50.0),
            "eta": (0.0, ETA_MAX),
            "beta": DECAY_BOUNDS,
            "kappa": (0.0, KAPPA_MAX),
            "gamma": DECAY_BOUNDS,
            "logdisp": LOGDISP_BOUNDS,
        }
        return [per[name] for name, size in self._sizes() for _ in range(size)]

    def kinds(self) -> list[str]:
        return [name for name, size in self._sizes() for _ in range(size)]


@dataclass(frozen=True)
class _Design:
    """Data of one fit: ``G`` groups on ``n`` days."""

    y: np.ndarray  # (G, n) counts as float
    lags: np.ndarray  # (G, n, L) lagged counts
    exo_lags: np.ndarray  # (J, n, L) lagged exogenous counts
    mu_regime: np.ndarray  # (n,) int
    eta_regime: np.ndarray  # (n,) int
    basis: np.ndarray  # (G, n, P) baseline columns
    fixed_kernel: np.ndarray | None  # (L,) weights when the kernel is fixed
    layout: _Layout
    # per group, per baseline column: its label ("trend", "spline_1", "step 2023-11-24") or
    # None for a padding column (a group with fewer steps than another in a joint model)
    basis_labels: tuple[tuple[str | None, ...], ...] = ()

    @cached_property
    def const(self) -> float:
        return float(special.gammaln(self.y + 1.0).sum())

    @cached_property
    def positive(self) -> np.ndarray:
        return self.y > 0

    @cached_property
    def pos_group(self) -> np.ndarray:
        """Group index of every positive count (row-major order)."""
        return np.nonzero(self.positive)[0]

    @cached_property
    def y_pos(self) -> np.ndarray:
        return self.y[self.positive]

    @cached_property
    def n_positive(self) -> np.ndarray:
        return self.positive.sum(axis=1).astype(float)

    @cached_property
    def mu_onehot(self) -> np.ndarray:
        out = np.zeros((self.layout.K_mu, len(self.mu_regime)))
        out[self.mu_regime, np.arange(len(self.mu_regime))] = 1.0
        return out

    @cached_property
    def eta_onehot(self) -> np.ndarray:
        out = np.zeros((self.layout.K_eta, len(self.eta_regime)))
        out[self.eta_regime, np.arange(len(self.eta_regime))] = 1.0
        return out


def kernels(theta: dict[str, np.ndarray], d: _Design) -> tuple[np.ndarray, np.ndarray, list]:
    """Self kernel g, its derivative, and per stream (h, dh)."""
    L = d.lags.shape[2]
    if d.fixed_kernel is not None:
        g, dg = d.fixed_kernel, np.zeros(L)
        hs = [(d.fixed_kernel, np.zeros(L)) for _ in range(d.layout.J)]
    else:
        g, dg = geometric_kernel(float(theta["beta"][0]), L)
        hs = [geometric_kernel(float(gm), L) for gm in theta["gamma"]]
    return g, dg, hs


def log_background(th: dict[str, np.ndarray], d: _Design) -> np.ndarray:
    """Log background ``a_{i,r(t)} + sum_p b_{i,p} B_{i,t,p}``, shape (G, n)."""
    out = th["a"][:, d.mu_regime]
    if d.layout.P:
        out = out + np.einsum("gtp,gp->gt", d.basis, th["b"])
    return out


def components(
    theta_flat: np.ndarray, d: _Design
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Background (G, n), self-excitation by source (G, G, n), exogenous by stream (J, G, n), S."""
    lay = d.layout
    th = lay.unpack(theta_flat)
    g, _, hs = kernels(th, d)
    n = d.y.shape[1]
    mu = np.exp(log_background(th, d))
    S = d.lags @ g  # (G, n)
    eta_t = th["eta"][d.eta_regime]  # (n, G, G)
    by_source = np.einsum("tij,jt->ijt", eta_t, S)
    exo = np.zeros((lay.J, lay.G, n))
    for m, (h, _) in enumerate(hs):
        exo[m] = th["kappa"][m][:, None] * (d.exo_lags[m] @ h)[None, :]
    return mu, by_source, exo, S


def loglik(theta_flat: np.ndarray, d: _Design, grad: bool = True) -> tuple[float, np.ndarray]:
    """Log-likelihood (without the constant sum log y!) and its gradient.

    The terms come from :func:`flashpoint.models._likelihood.nb_kernel_sum` /
    ``poisson_kernel_sum``: the NB2 terms of ``nb_logpmf`` (with which the reported
    log-likelihood is computed) arranged for the optimiser, which calls this thousands of
    times: ``log(r + lambda)`` and ``log1p(lambda / r)`` feed the exact gradient in the same
    pass, ``gammaln`` runs on positive counts only and the constant ``-log y!`` is left out.
    """
    lay = d.layout
    th = lay.unpack(theta_flat)
    g, dg, hs = kernels(th, d)
    y = d.y
    n = y.shape[1]
    Reta = d.eta_onehot  # (K_eta, n)
    mu = np.exp(log_background(th, d))
    S = d.lags @ g  # (G, n)
    E = th["eta"]  # (K, G, G)
    self_part = E[0] @ S if lay.K_eta == 1 else np.einsum("kit,kt->it", E @ S, Reta)
    lam = mu + self_part
    X = np.empty((lay.J, n))
    for m, (h, _) in enumerate(hs):
        X[m] = d.exo_lags[m] @ h
    if lay.J:
        lam = lam + th["kappa"].T @ X
    lam = np.maximum(lam, 1e-300)
    log_lam = np.log(lam)
    if lay.negbin:
        r = np.exp(-th["logdisp"])[:, None]
        rl = r + lam
        r_pos = r[d.pos_group, 0]
        n_pos = d.n_positive
        ll, log1p_lr = nb_kernel_sum(y, lam, log_lam, r, y_pos=d.y_pos, r_pos=r_pos, n_pos=n_pos)
        D = y / lam - (y + r) / rl
    else:
        ll = poisson_kernel_sum(y, lam, log_lam)
        D = y / lam - 1.0
    if not grad:
        return ll, np.empty(0)
    out = np.zeros(lay.size)
    sl = lay.slice_map
    Dmu = D * mu
    out[sl["a"]] = (Dmu @ d.mu_onehot.T).ravel()
    if lay.P:
        out[sl["b"]] = np.einsum("gt,gtp->gp", Dmu, d.basis).ravel()
    if lay.K_eta == 1:
        out[sl["eta"]] = (D @ S.T).ravel()
    else:
        out[sl["eta"]] = np.einsum("it,jt,kt->kij", D, S, Reta).ravel()
    if lay.geometric:
        dS = d.lags @ dg
        if lay.K_eta == 1:
            out[sl["beta"]] = float((D * (E[0] @ dS)).sum())
        else:
            out[sl["beta"]] = float(np.einsum("it,kit,kt->", D, E @ dS, Reta))
    if lay.J:
        out[sl["kappa"]] = (X @ D.T).ravel()
        if lay.geometric:
            kD = th["kappa"] @ D  # (J, n)
            out[sl["gamma"]] = [float(kD[m] @ (d.exo_lags[m] @ hs[m][1])) for m in range(lay.J)]
    if lay.negbin:
        psi = (
            np.bincount(d.pos_group, weights=special.digamma(d.y_pos + r_pos), minlength=lay.G)
            - special.digamma(r[:, 0]) * n_pos
        )
        dr = psi + (-log1p_lr + (lam - y) / rl).sum(axis=1)
        out[sl["logdisp"]] = -r[:, 0] * dr
    return ll, out


def maximize(
    d: _Design,
    start: np.ndarray,
    *,
    fixed: dict[int, float] | None = None,
    maxiter: int = 200,
    ftol: float = 1e-12,
) -> tuple[np.ndarray, float, bool, str]:
    """Maximise the log-likelihood over all parameters except ``fixed`` (index -> value)."""
    lay = d.layout
    bounds = lay.bounds()
    theta = np.clip(start.astype(float), [b[0] for b in bounds], [b[1] for b in bounds])
    free = np.ones(lay.size, dtype=bool)
    for i, v in (fixed or {}).items():
        theta[i] = v
        free[i] = False
    idx = np.flatnonzero(free)
    scale = 1.0 / max(d.y.size, 1)

    def f(x: np.ndarray) -> tuple[float, np.ndarray]:
        th = theta.copy()
        th[idx] = x
        ll, gr = loglik(th, d)
        if not np.isfinite(ll):
            return 1e10, np.zeros_like(x)
        return -ll * scale, -gr[idx] * scale

    # TNC (truncated Newton, plain C) rather than L-BFGS-B: same optima here, and it makes
    # no BLAS calls, which under a busy multi-threaded BLAS cost L-BFGS-B 10-50x in time.
    res = optimize.minimize(
        f,
        theta[idx],
        jac=True,
        method="TNC",
        bounds=[bounds[i] for i in idx],
        options={"maxfun": 50 * maxiter, "ftol": ftol, "gtol": 1e-9, "xtol": 1e-10},
    )
    theta[idx] = res.x
    ll, gr = loglik(theta, d)
    # converged: the optimiser says so, or the projected gradient is negligible
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    pg = gr.copy()
    pg[(theta <= lo + 1e-9) & (gr < 0)] = 0.0
    pg[(theta >= hi - 1e-9) & (gr > 0)] = 0.0
    ok = bool(res.success) or float(np.max(np.abs(pg[idx]), initial=0.0)) < 1e-3
    return theta, ll, ok, str(res.message)


def at_bound(d: _Design, theta: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """Parameters sitting on a bound of their range."""
    bounds = d.layout.bounds()
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    return (theta <= lo + tol) | (theta >= hi - tol)


def observed_information(d: _Design, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Covariance matrix (NaN where not estimable) and the mask of interior parameters.

    The observed information is the negative Hessian of the log-likelihood, by central
    differences of the exact gradient, over the parameters not on a bound; it is inverted
    there. Parameters on a bound (a branching ratio of 0, say) get NaN.
    """
    p = d.layout.size
    free = ~at_bound(d, theta)
    idx = np.flatnonzero(free)
    cov = np.full((p, p), np.nan)
    if idx.size == 0:
        return cov, free
    bounds = d.layout.bounds()
    H = np.zeros((idx.size, idx.size))
    for col, i in enumerate(idx):
        h = 1e-5 * max(1.0, abs(theta[i]))
        lo, hi = bounds[i]
        up = min(theta[i] + h, hi)
        dn = max(theta[i] - h, lo)
        tp, tm = theta.copy(), theta.copy()
        tp[i], tm[i] = up, dn
        gp = loglik(tp, d)[1]
        gm = loglik(tm, d)[1]
        H[:, col] = (gp[idx] - gm[idx]) / (up - dn)
    H = 0.5 * (H + H.T)
    info = -H
    # parameters with no information (e.g. a kernel decay when every branching ratio is 0)
    diag = np.diag(info)
    ok = diag > 1e-10 * max(1.0, float(np.max(np.abs(diag), initial=0.0)))
    sub = info[np.ix_(ok, ok)]
    try:
        inv = np.linalg.inv(sub)
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(sub)
    keep = idx[ok]
    cov[np.ix_(keep, keep)] = inv
    bad = np.diag(cov) <= 0
    cov[bad, :] = np.nan
    cov[:, bad] = np.nan
    return cov, free
