"""Forward simulation of the discrete-time Hawkes model (forecasts and simulated data)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.errors import FlashpointValueError, ModelSpecError
from flashpoint.models._base import check_choice
from flashpoint.models.hawkes._baseline import DAYS_PER_YEAR
from flashpoint.models.hawkes._engine import DECAY_BOUNDS, ETA_MAX, _Layout

__all__ = ["simulate_hawkes_counts"]


def _batch_kernel(beta: np.ndarray, max_lag: int) -> np.ndarray:
    """Geometric kernels for a batch of decays: (n_sim, L), rows sum to 1."""
    k = np.arange(max_lag, dtype=float)
    w = beta[:, None] ** k[None, :]
    return w / w.sum(axis=1, keepdims=True)


def forward(
    layout: _Layout,
    theta: np.ndarray,
    *,
    hist_y: np.ndarray,
    hist_x: np.ndarray,
    future_x: np.ndarray,
    tau: np.ndarray,
    mu_regime: int | np.ndarray,
    eta_regime: int | np.ndarray,
    fixed_kernel: np.ndarray | None,
    rng: np.random.Generator,
    n_sim: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate ``n_sim`` paths forward, carrying simulated counts into the intensity.

    Parameters
    ----------
    layout, theta
        Parameter layout and either one vector ``(p,)`` or one per path ``(n_sim, p)``.
    hist_y, hist_x
        The last ``L`` observed counts per group ``(G, L)`` and exogenous counts ``(J, L)``,
        oldest first.
    future_x
        Exogenous counts on the simulated days ``(J, H)`` (known in advance; zeros for none).
    tau
        Years since the first fitted day of each simulated day ``(H,)`` (``day / 365.25``);
        the background's columns on those days come from ``layout.extrapolate`` (a trend
        continues, a spline and steps stay at their last fitted value).
    mu_regime, eta_regime
        Regime index of each simulated day (an int for all days, or ``(H,)``).

    Returns
    -------
    y, lam
        Simulated counts and the conditional means, both ``(n_sim, G, H)``.
    """
    G, J = layout.G, layout.J
    L = hist_y.shape[1]
    H = len(tau)
    th = np.broadcast_to(theta, (n_sim, layout.size))
    sl = layout.slices()
    a = th[:, sl["a"]].reshape(n_sim, G, layout.K_mu)
    b = th[:, sl["b"]].reshape(n_sim, G, layout.P)
    if layout.P and layout.extrapolate is not None:
        days = np.rint(np.asarray(tau, dtype=float) * DAYS_PER_YEAR)
        basis = np.asarray(layout.extrapolate(days))  # (G, H, P)
        log_base = np.einsum("sgp,gtp->sgt", b, basis)
    else:
        log_base = np.zeros((n_sim, G, H))
    eta = th[:, sl["eta"]].reshape(n_sim, layout.K_eta, G, G)
    kappa = th[:, sl["kappa"]].reshape(n_sim, J, G)
    if fixed_kernel is not None:
        g = np.broadcast_to(fixed_kernel, (n_sim, L))
        h = np.broadcast_to(fixed_kernel, (n_sim, J, L))
    else:
        g = _batch_kernel(th[:, sl["beta"]][:, 0], L)
        h = np.zeros((n_sim, J, L))
        for m in range(J):
            h[:, m, :] = _batch_kernel(th[:, sl["gamma"]][:, m], L)
    r = np.exp(-th[:, sl["logdisp"]]) if layout.negbin else None
    mu_k = np.broadcast_to(np.asarray(mu_regime), (H,))
    eta_k = np.broadcast_to(np.asarray(eta_regime), (H,))

    buf = np.zeros((n_sim, G, L + H))
    buf[:, :, :L] = hist_y
    xbuf = np.zeros((J, L + H))
    xbuf[:, :L] = hist_x
    xbuf[:, L:] = future_x
    lam_out = np.empty((n_sim, G, H))
    for t in range(H):
        win = buf[:, :, t : L + t][:, :, ::-1]  # lag 1 first
        S = np.einsum("sgl,sl->sg", win, g)
        lam = np.exp(a[:, :, mu_k[t]] + log_base[:, :, t])
        lam = lam + np.einsum("sij,sj->si", eta[:, eta_k[t]], S)
        if J:
            xw = xbuf[:, t : L + t][:, ::-1]
            X = np.einsum("jl,sjl->sj", xw, h)
            lam = lam + np.einsum("sjg,sj->sg", kappa, X)
        # NB2 as a gamma-Poisson mixture
        draw = rng.poisson(rng.gamma(shape=r, scale=lam / r)) if r is not None else rng.poisson(lam)
        buf[:, :, L + t] = draw
        lam_out[:, :, t] = lam
    return buf[:, :, L:], lam_out


def _background_columns(
    G: int, dates: pd.DatetimeIndex, trend: float, steps: Mapping[Any, float] | None
) -> tuple[Any, np.ndarray]:
    """Columns of the simulated log background (trend, steps) and their coefficients."""
    starts, coefs = [], [float(trend)] if trend != 0.0 else []
    for when, ratio in (steps or {}).items():
        if not np.isfinite(ratio) or ratio <= 0:
            raise FlashpointValueError(f"background_steps ratios must be > 0; got {ratio!r}")
        starts.append(int(dates.get_indexer(pd.DatetimeIndex([pd.Timestamp(when)]))[0]))
        coefs.append(float(np.log(ratio)))
    if any(p < 0 for p in starts):
        raise FlashpointValueError("background_steps dates must fall within the simulated days")

    def columns(days: np.ndarray) -> np.ndarray:
        cols = [days / DAYS_PER_YEAR] if trend != 0.0 else []
        cols += [(days >= p).astype(float) for p in starts]
        out = np.stack(cols, axis=-1) if cols else np.zeros((days.size, 0))
        return np.broadcast_to(out, (G, *out.shape))

    return columns, np.asarray(coefs, dtype=float)


def _as_matrix(value: Any, G: int, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.eye(G) * float(arr) if G > 1 else arr.reshape(1, 1)
    if arr.shape != (G, G):
        raise FlashpointValueError(
            f"{name} must be a number or a {G}x{G} matrix (one row per target group, one "
            f"column per source group); got shape {arr.shape}"
        )
    return arr


def _as_vector(value: float | Sequence[float] | np.ndarray, G: int, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.full(G, float(arr))
    if arr.shape != (G,):
        raise FlashpointValueError(
            f"{name} must be a number or one value per group ({G}); got shape {arr.shape}"
        )
    return arr


def _group_parameters(
    branching_ratio: Any, background: Any, dispersion: Any, exogenous_size: Any, groups: Any
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the number of groups and the per-group parameters, checked."""
    eta_in = np.asarray(branching_ratio, dtype=float)
    G = eta_in.shape[0] if eta_in.ndim == 2 else 1
    for v in (background, dispersion, exogenous_size):
        if np.ndim(v) == 1:
            G = max(G, len(np.asarray(v)))
    if groups is not None:
        if G > 1 and len(groups) != G:
            raise FlashpointValueError(f"{len(groups)} group labels for {G} groups")
        G = len(groups)
    eta = _as_matrix(branching_ratio, G, "branching_ratio")
    mu = _as_vector(background, G, "background")
    disp = _as_vector(dispersion, G, "dispersion")
    kap = _as_vector(exogenous_size, G, "exogenous_size")
    if np.any(mu <= 0) or np.any(eta < 0) or np.any(kap < 0) or np.any(disp <= 0):
        raise FlashpointValueError(
            "background and dispersion must be > 0; branching_ratio and exogenous_size >= 0"
        )
    rho = float(np.max(np.abs(np.linalg.eigvals(eta))))
    if rho >= 1 or np.any(eta > ETA_MAX):
        raise ModelSpecError(
            f"the branching matrix has spectral radius {rho:.3f}; a stationary process needs "
            "it below 1 (every branching ratio < 1)"
        )
    return G, eta, mu, disp, kap


def simulate_hawkes_counts(
    n_days: int,
    *,
    background: float | Sequence[float] = 1.0,
    branching_ratio: float | Sequence[Sequence[float]] | np.ndarray = 0.5,
    decay: float = 0.6,
    max_lag: int = 21,
    family: str = "negbin",
    dispersion: float | Sequence[float] = 0.3,
    exogenous_dates: Sequence[Any] | pd.DatetimeIndex | None = None,
    exogenous_size: float | Sequence[float] = 0.0,
    exogenous_decay: float = 0.5,
    trend: float = 0.0,
    background_steps: Mapping[Any, float] | None = None,
    groups: Sequence[str] | None = None,
    by: str = "group",
    start: str | pd.Timestamp = "2020-01-01",
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Simulate daily counts from the discrete-time Hawkes model (for tests and benchmarks).

    Parameters
    ----------
    n_days
        Number of days.
    background
        Background rate ``mu`` in events per day (one per group, or one for all).
    branching_ratio
        ``eta``: a number (each group excites itself only) or a ``G x G`` matrix whose entry
        ``(i, j)`` is the expected number of direct offspring in group ``i`` of one event in
        group ``j``. Its spectral radius must be below 1.
    decay
        Ratio ``g(l+1)/g(l)`` of the geometric kernel (0 < decay < 1).
    max_lag
        Kernel support in days.
    family
        ``"negbin"`` (NB2 with ``dispersion``) or ``"poisson"``.
    dispersion
        NB2 dispersion: variance = mean + dispersion * mean**2 (per group or one for all).
    exogenous_dates
        Dates of exogenous events (each row one event).
    exogenous_size
        ``kappa``: expected extra events per exogenous event (per group or one for all).
    exogenous_decay
        Geometric decay of the exogenous kernel.
    trend
        Log-linear trend of the background, in log rate ratio per year (365.25 days).
    background_steps
        Steps of the background: ``{date: rate ratio}`` (e.g. ``{"2021-01-01": 2.0}``
        doubles the background from that day on), for data whose background changes.
    groups
        Group labels (``None``: one series and no group column, unless several groups are
        implied by the parameters, then ``"g0", "g1", ...``).
    by
        Name of the group column.
    start
        First date.
    seed
        Seed or generator (``numpy.random.default_rng``).

    Returns
    -------
    pandas.DataFrame
        Tidy simulated counts: ``date``, the group column ``by`` (when there are groups) and
        ``count`` (events per day). The history before ``start`` is empty (no events).

    Raises
    ------
    FlashpointValueError
        On parameters out of range (a spectral radius of the branching matrix >= 1, ...).

    See Also
    --------
    fit_hawkes : Fit the model to counts.

    Notes
    -----
    ``lambda_{i,t} = mu_i exp(trend * t / 365.25) s_t + sum_j eta_{ij} sum_{l=1}^{L} g(l)
    y_{j,t-l} + kappa_i sum_{l=1}^{L} h(l) x_{t-l}`` with ``g(l) ∝ decay**(l-1)`` and
    ``h(l) ∝ exogenous_decay**(l-1)`` normalised to sum 1 on ``1..L`` and ``s_t`` the
    product of the ``background_steps`` ratios in force on day ``t``; ``y_{i,t}`` is
    Poisson or NB2 with mean ``lambda_{i,t}`` (the binned Hawkes / INGARCH process of
    Kirchner 2016 and Fokianos, Rahbek & Tjøstheim 2009). Simulated data only: never real.

    Examples
    --------
    >>> from flashpoint.models.hawkes import simulate_hawkes_counts
    >>> simulated = simulate_hawkes_counts(200, background=0.5, branching_ratio=0.5, seed=1)
    >>> simulated.shape
    (200, 2)
    >>> int(simulated["count"].sum())
    194
    """
    check_choice("family", family, ("negbin", "poisson"))
    if not isinstance(n_days, int | np.integer) or n_days < 1:
        raise FlashpointValueError(f"n_days must be a positive integer, got {n_days!r}")
    if not DECAY_BOUNDS[0] <= decay <= DECAY_BOUNDS[1]:
        raise FlashpointValueError(f"decay must be in {DECAY_BOUNDS}, got {decay}")
    if not DECAY_BOUNDS[0] <= exogenous_decay <= DECAY_BOUNDS[1]:
        raise FlashpointValueError(
            f"exogenous_decay must be in {DECAY_BOUNDS}, got {exogenous_decay}"
        )
    G, eta, mu, disp, kap = _group_parameters(
        branching_ratio, background, dispersion, exogenous_size, groups
    )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    dates = pd.date_range(pd.Timestamp(start), periods=n_days, freq="D")
    J = 1 if exogenous_dates is not None else 0
    x = np.zeros((J, n_days))
    if exogenous_dates is not None:
        ex = pd.DatetimeIndex([pd.Timestamp(v) for v in exogenous_dates]).normalize()
        idx = dates.get_indexer(ex)
        np.add.at(x[0], idx[idx >= 0], 1.0)
    columns, coefs = _background_columns(G, dates, trend, background_steps)
    layout = _Layout(
        G=G,
        K_mu=1,
        K_eta=1,
        J=J,
        P=len(coefs),
        geometric=True,
        negbin=family == "negbin",
        extrapolate=columns,
    )
    parts = [np.log(mu), np.tile(coefs, G)]
    parts += [eta.ravel(), [decay]]
    if J:
        parts += [kap, [exogenous_decay]]
    if layout.negbin:
        parts.append(np.log(disp))
    theta = np.concatenate([np.asarray(p, dtype=float) for p in parts])
    y, _ = forward(
        layout,
        theta,
        hist_y=np.zeros((G, max_lag)),
        hist_x=np.zeros((J, max_lag)),
        future_x=x,
        tau=np.arange(n_days) / 365.25,
        mu_regime=0,
        eta_regime=0,
        fixed_kernel=None,
        rng=rng,
        n_sim=1,
    )
    counts = y[0].astype(np.int64)
    if G == 1 and groups is None:
        return pd.DataFrame({"date": dates, "count": counts[0]})
    labels = list(groups) if groups is not None else [f"g{i}" for i in range(G)]
    return pd.DataFrame(
        {
            "date": np.tile(dates, G),
            by: np.repeat(labels, n_days),
            "count": counts.ravel(),
        }
    )
