"""Predictive distributions of daily counts (mixtures of Poisson / NB2 laws) and their scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flashpoint._lazy import lazy_module

special = lazy_module("scipy.special")

__all__ = ["crps_from_pmf"]


@dataclass(frozen=True)
class _Predictive:
    """Predictive law of one group over ``H`` days: the mean over ``S`` components.

    ``lam`` (S, H) are the component means and ``r`` (S,) the NB2 sizes (``None``:
    Poisson). For the Hawkes model a component is one simulated path, and ``lam`` its
    conditional mean given the simulated past (a Rao-Blackwellised mixture).
    """

    lam: np.ndarray
    r: np.ndarray | None

    def logpmf_components(self, k: np.ndarray) -> np.ndarray:
        """Log p(k) per component, ``k`` broadcastable to (S, H, ...)."""
        lam = np.maximum(self.lam, 1e-300)[..., None]
        if self.r is None:
            return k * np.log(lam) - lam - special.gammaln(k + 1.0)
        r = self.r[:, None, None]
        return (
            special.gammaln(k + r)
            - special.gammaln(r)
            - special.gammaln(k + 1.0)
            - r * np.log1p(lam / r)
            + k * (np.log(lam) - np.log(r + lam))
        )

    def upper(self) -> int:
        """Return a count above which the predictive mass is negligible (< 1e-7)."""
        m = float(self.lam.max())
        r = float(self.r.min()) if self.r is not None else np.inf
        sd = np.sqrt(m + (m * m / r if np.isfinite(r) else 0.0))
        k = int(np.ceil(m + 12 * sd + 10))
        return k

    def pmf(self) -> np.ndarray:
        """(H, K+1) probabilities of 0..K, the small tail beyond K added to K."""
        K = self.upper()
        k = np.arange(K + 1, dtype=float)[None, None, :]
        p = np.exp(self.logpmf_components(k)).mean(axis=0)
        p[:, -1] += np.clip(1.0 - p.sum(axis=1), 0.0, None)
        return p

    def mean(self) -> np.ndarray:
        return self.lam.mean(axis=0)

    def log_score(self, y: np.ndarray) -> np.ndarray:
        """-log p(y) per day (natural log; lower is better)."""
        lp = self.logpmf_components(np.asarray(y, dtype=float)[None, :, None])[..., 0]
        return -(special.logsumexp(lp, axis=0) - np.log(lp.shape[0]))


def _quantile(cdf: np.ndarray, q: float) -> np.ndarray:
    """Smallest k with F(k) >= q, per row."""
    return np.argmax(cdf >= q - 1e-12, axis=1).astype(float)


def crps_from_pmf(pmf: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Exact CRPS of count distributions given as (H, K+1) pmfs at observations ``y`` (H,).

    ``CRPS(F, y) = sum_{k>=0} (F(k) - 1{y <= k})**2`` (Czado, Gneiting & Held 2009).
    """
    cdf = np.cumsum(pmf, axis=1)
    K = pmf.shape[1] - 1
    k = np.arange(K + 1)[None, :]
    y = np.asarray(y)[:, None]
    body = ((cdf - (y <= k)) ** 2).sum(axis=1)
    return body + np.maximum(y[:, 0] - 1 - K, 0)
