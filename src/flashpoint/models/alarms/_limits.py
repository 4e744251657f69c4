"""Decision limits of the negative-binomial CUSUM: exact (Markov chain) and tabulated.

The limit ``h`` gives an expected in-control false-alarm rate of ``1/arl0``, averaged over
the uncertainty of the baseline (Brook & Evans 1972 run lengths; cf. Jones, Champ & Rigdon
2004). Computing one limit takes tens of milliseconds (a root search over ``h``, each step
solving 24 linear systems of 60 states), so for the default design (``kappa = 2``,
``arl0 = 200``) the limits are tabulated once by ``benchmarks/make_cusum_limits.py`` on a
grid of the design inputs and interpolated (multilinear in ``log h``); other designs and
inputs outside the grid are computed exactly and cached.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import cast

import numpy as np

from flashpoint._lazy import lazy_module
from flashpoint._progress import track
from flashpoint.models.alarms._baseline import _phi_nodes

special = lazy_module("scipy.special")
stats = lazy_module("scipy.stats")

__all__ = ["TABLE_FILE", "decision_limits", "exact_limit", "llr_coefficients"]

N_STATES = 60
N_QUAD_MEAN = 6
N_QUAD_PHI = 4
TABLE_FILE = "cusum_limits.npz"
_H_MIN, _H_MAX = 1e-3, 1e4


def llr_coefficients(
    mu: np.ndarray, alpha: np.ndarray, kappa: float
) -> tuple[np.ndarray, np.ndarray]:
    """LLR of NB(kappa*mu, alpha) against NB(mu, alpha) for a count y is c0 + c1*y."""
    mu = np.asarray(mu, dtype=float)
    alpha = np.asarray(alpha, dtype=float)
    small = alpha < 1e-10
    a = np.where(small, 1.0, alpha)
    c = np.log1p(a * mu) - np.log1p(a * kappa * mu)
    c0 = np.where(small, -mu * (kappa - 1.0), c / a)
    c1 = np.where(small, np.log(kappa), np.log(kappa) + c)
    return c0, c1


def truth_nodes(mu: float, phi_raw: float, df: float, cv2: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the true (mean, NB dispersion) pairs the false-alarm rate is averaged over.

    Means: ``N_QUAD_MEAN`` equal-probability nodes of a gamma law with mean ``mu`` and
    squared coefficient of variation ``cv2`` (just ``mu`` when ``cv2 = 0``); dispersions: the
    ``N_QUAD_PHI`` chi-square nodes of :func:`_phi_nodes`.
    """
    if cv2 > 0:
        shape = 1.0 / cv2
        probs = (np.arange(N_QUAD_MEAN) + 0.5) / N_QUAD_MEAN
        mus = stats.gamma.ppf(probs, shape, scale=mu / shape)
    else:
        mus = np.array([mu])
    phis = np.unique(_phi_nodes(np.array([phi_raw]), np.array([df]), N_QUAD_PHI)[0])
    return np.repeat(mus, len(phis)), np.tile((phis - 1.0) / mu, len(mus))


def _nb_cdf_at(y: np.ndarray, mu: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """NB (Poisson where alpha = 0) distribution functions at the counts ``y``, one row per pair.

    ``P(Y <= y) = I_p(size, y + 1)`` with ``p = size / (size + mu)`` (regularised incomplete
    beta function); Poisson: ``Q(y + 1, mu)`` (regularised upper incomplete gamma).
    """
    y = np.asarray(y, dtype=float)[None, :]
    mu = np.asarray(mu, dtype=float)[:, None]
    alpha = np.asarray(alpha, dtype=float)[:, None]
    size = 1.0 / np.maximum(alpha, 1e-10)
    nb = special.betainc(size, y + 1.0, size / (size + mu))
    return cast(np.ndarray, np.where(alpha < 1e-10, special.pdtr(y, mu), nb))


def mean_inverse_arl(
    h: np.ndarray, c0: float, c1: float, mu_true: np.ndarray, disp_true: np.ndarray
) -> np.ndarray:
    """Mean over the (mean, dispersion) pairs of 1/ARL of the CUSUM with limit ``h`` (each h).

    Brook & Evans (1972): the statistic on [0, h] is discretised into ``N_STATES`` states;
    the in-control ARL from S = 0 solves (I - Q) L = 1. The distribution functions are only
    evaluated at the counts the transitions need (at most ``N_STATES**2`` per ``h``), so the
    memory does not grow with the mean.
    """
    h = np.atleast_1d(np.asarray(h, dtype=float))
    m = N_STATES
    # the increment that moves the statistic from state i to (below the upper edge of)
    # state j depends on j - i only: the largest count y with i d + c0 + c1 y < (j + 1/2) d
    offset = np.arange(-(m - 1), m)
    ymax = np.ceil(((offset[None, :] + 0.5) * (h[:, None] / m) - c0) / c1).astype(np.int64) - 1
    cdf = _nb_cdf_at(np.clip(ymax, 0, None).ravel(), mu_true, disp_true)
    below = np.where(ymax >= 0, cdf.reshape(len(mu_true), *ymax.shape), 0.0)
    j_minus_i = np.arange(m)[None, :] - np.arange(m)[:, None] + (m - 1)
    cdf_prev = np.where(np.arange(m)[None, :] > 0, below[..., j_minus_i - 1], 0.0)
    q = below[..., j_minus_i] - cdf_prev
    # a chain that (numerically) never leaves [0, h] has an infinite run length: the tiny
    # leak keeps I - Q invertible and caps the run length at about 1e13 periods
    q = q * (1.0 - 1e-13)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arl = np.linalg.solve(np.eye(m) - q, np.ones((*q.shape[:-1], 1)))[..., 0, 0]
    arl = np.where(np.isfinite(arl) & (arl >= 1.0), arl, 1e15)
    return cast(np.ndarray, np.mean(1.0 / arl, axis=0))


def exact_limit(
    mu: float,
    phi_raw: float,
    df: float,
    cv2: float,
    kappa: float,
    arl0: float,
    *,
    guess: float = 4.0,
) -> float:
    """Decision limit h with mean 1/ARL equal to 1/arl0 (about 0.2% accuracy in h).

    The chart uses the estimated mean ``mu`` and dispersion ``max(1, phi_raw)``; the rate is
    averaged over :func:`truth_nodes`. The log rate is nearly linear in ``log h``: it is
    evaluated at ``log h +- 0.02`` around ``guess`` (one batch of linear solves), Newton
    steps on the batch's slope move the batch until it brackets the target, and the root
    is interpolated linearly inside the bracket. Where the counts are so small that the
    rate is a step function of ``h``, the batch widens instead.
    """
    disp = (max(1.0, phi_raw) - 1.0) / mu
    c0, c1 = (float(v) for v in llr_coefficients(np.array(mu), np.array(disp), kappa))
    mu_true, disp_true = truth_nodes(mu, phi_raw, df, cv2)
    target = np.log(1.0 / arl0)
    lo_edge, hi_edge = np.log(_H_MIN), np.log(_H_MAX)
    below = (lo_edge, np.inf)  # largest log h known to alarm too often, and its excess
    above = (hi_edge, -np.inf)  # smallest log h known to alarm rarely enough
    centre, step = float(np.clip(np.log(guess), lo_edge, hi_edge)), 0.0
    for _ in range(60):
        grid = np.clip(centre + np.array([-0.01, 0.0, 0.01]), lo_edge, hi_edge)
        excess = np.log(mean_inverse_arl(np.exp(grid), c0, c1, mu_true, disp_true)) - target
        for x, f in zip(grid, excess, strict=True):
            if f > 0 and x > below[0]:
                below = (float(x), float(f))
            if f <= 0 and x < above[0]:
                above = (float(x), float(f))
        if excess[0] <= 0 and grid[0] == lo_edge:
            return _H_MIN  # even the smallest limit alarms rarely enough
        if excess[-1] > 0 and grid[-1] == hi_edge:
            return _H_MAX
        (a, fa), (b, fb) = below, above
        if np.isfinite(fa) and np.isfinite(fb) and b - a <= 0.0201:
            return float(np.exp(a + (b - a) * fa / (fa - fb)))
        if np.isfinite(fa) and np.isfinite(fb):  # bracketed: interpolate, kept inside
            t = float(np.clip(fa / (fa - fb), 0.1, 0.9))
            centre = a + t * (b - a)
            continue
        slope = (excess[-1] - excess[0]) / (grid[-1] - grid[0])
        edge, near = (grid[-1], excess[-1]) if excess[-1] > 0 else (grid[0], excess[0])
        if slope < -1e-2:  # Newton step from the batch towards the root
            centre = float(edge - np.clip(near / slope, -3.0, 3.0))
        else:  # the rate is flat here (a step of a discrete count): walk, doubling
            step = max(2 * step, 0.05)
            centre = float(edge + (step if excess[-1] > 0 else -step))
    raise RuntimeError("decision limit search did not converge")  # pragma: no cover


def _design_key(
    mu: float, phi_raw: float, df: float, cv2: float
) -> tuple[float, float, float, float]:
    """Round the design inputs (10% steps in mu, 15% in phi and df, 25% in cv2) to reuse limits."""

    def snap(v: float, step: float) -> float:
        return float(np.exp(np.round(np.log(v) / step) * step))

    return (
        snap(mu, 0.1),
        snap(max(phi_raw, 0.05), 0.15),
        df if not np.isfinite(df) else snap(max(df, 0.5), 0.15),
        0.0 if cv2 < 1e-4 else snap(cv2, 0.25),
    )


@lru_cache(maxsize=50_000)
def _decision_limit(
    mu: float, phi_raw: float, df: float, cv2: float, kappa: float, arl0: float
) -> float:
    """Return :func:`exact_limit`, cached (call it with inputs rounded by :func:`_design_key`)."""
    return exact_limit(mu, phi_raw, df, cv2, kappa, arl0)


@dataclass(frozen=True)
class _LimitTable:
    """Tabulated ``log h`` on a grid of (log mu, log phi_raw, 1/df, log n_eff).

    ``n_eff = max(1, phi_raw) / (mu cv2)`` is the number of baseline periods the mean is
    worth (the window length for a constant baseline), so ``cv2 = max(1, phi_raw) / (mu
    n_eff)``.
    """

    axes: tuple[np.ndarray, ...]
    log_h: np.ndarray
    kappa: float
    arl0: float

    def lookup(self, coords: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Multilinear interpolation of ``log h``; return ``h`` and whether inside the grid."""
        n = len(coords[0])
        inside = np.ones(n, dtype=bool)
        lower, frac = [], []
        for ax, x in zip(self.axes, coords, strict=True):
            inside &= (x >= ax[0]) & (x <= ax[-1])
            i = np.clip(np.searchsorted(ax, x, side="right") - 1, 0, len(ax) - 2)
            t = np.clip((x - ax[i]) / (ax[i + 1] - ax[i]), 0.0, 1.0)
            lower.append(i)
            frac.append(t)
        out = np.zeros(n)
        for corner in np.ndindex(*(2,) * len(self.axes)):
            w = np.ones(n)
            idx = []
            for c, i, t in zip(corner, lower, frac, strict=True):
                w = w * (t if c else 1.0 - t)
                idx.append(i + c)
            out += w * self.log_h[tuple(idx)]
            # next to a node where even the smallest limit alarms rarely enough, h falls off
            # a cliff that interpolation cannot follow: compute those exactly
            inside &= self.log_h[tuple(idx)] > np.log(1.01 * _H_MIN)
        return np.exp(out), inside


def table_coordinates(
    mu: np.ndarray, phi_raw: np.ndarray, df: np.ndarray, cv2: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Coordinates of design inputs on the table's axes (log mu, log phi, 1/df, log n_eff)."""
    with np.errstate(divide="ignore"):
        n_eff = np.maximum(1.0, phi_raw) / (mu * cv2)
        return (np.log(mu), np.log(phi_raw), 1.0 / np.maximum(df, 0.5), np.log(n_eff))


@lru_cache(maxsize=1)
def limit_table() -> _LimitTable | None:
    """Load the shipped table (``None`` if missing or built with other chain settings)."""
    path = resources.files("flashpoint.models.alarms") / TABLE_FILE
    if not path.is_file():
        return None
    with path.open("rb") as fh, np.load(fh) as z:
        built_with = (int(z["n_states"]), int(z["n_quad_mean"]), int(z["n_quad_phi"]))
        if built_with != (N_STATES, N_QUAD_MEAN, N_QUAD_PHI):
            return None  # built by another version of the method: compute exactly
        axes = tuple(np.asarray(z[f"axis{i}"], dtype=float) for i in range(4))
        return _LimitTable(
            axes=axes,
            log_h=np.asarray(z["log_h"], dtype=float),
            kappa=float(z["kappa"]),
            arl0=float(z["arl0"]),
        )


def decision_limits(
    mu: np.ndarray,
    phi_raw: np.ndarray,
    df: np.ndarray,
    cv2: np.ndarray,
    *,
    kappa: float,
    arl0: float,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Decision limit of each monitored period and whether it was interpolated from the table.

    Inside the table's grid and for its design (``kappa``, ``arl0``) the limit is
    interpolated; elsewhere it is computed exactly on rounded inputs (cached), with a
    progress bar of those computations when ``progress`` is True.
    """
    table = limit_table()
    n = len(mu)
    h = np.empty(n)
    tabulated = np.zeros(n, dtype=bool)
    if table is not None and kappa == table.kappa and arl0 == table.arl0:
        h, tabulated = table.lookup(table_coordinates(mu, phi_raw, df, cv2))
    exact = np.flatnonzero(~tabulated)
    for i in track(exact, desc="alarm limits", progress=progress, total=exact.size):
        key = _design_key(float(mu[i]), float(phi_raw[i]), float(df[i]), float(cv2[i]))
        h[i] = _decision_limit(*key, kappa, arl0)
    return h, tabulated
