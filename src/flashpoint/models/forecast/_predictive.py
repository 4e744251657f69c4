"""Predictive distributions of daily counts (mixtures of Poisson / NB2 laws) and their scores."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from flashpoint._lazy import lazy_module
from flashpoint.limits import check_memory, chunk_size
from flashpoint.models._likelihood import nb_logpmf

special = lazy_module("scipy.special")

__all__ = ["crps_from_pmf"]

_BYTES_PER_CELL = 8 * 6
"""float64 temporaries per (component, day, count) cell while the log-pmf is evaluated."""


@dataclass(frozen=True)
class _Predictive:
    """Predictive law of one group over ``H`` days: a weighted mixture of ``S`` components.

    ``lam`` (S, H) are the component means, ``r`` (S,) the NB2 sizes (``None``: Poisson;
    ``inf`` entries are Poisson components) and ``w`` (S,) the weights (``None``: equal).
    For the Hawkes model a component is one simulated path, and ``lam`` its conditional
    mean given the simulated past (a Rao-Blackwellised mixture).
    """

    lam: np.ndarray
    r: np.ndarray | None
    w: np.ndarray | None = None

    @property
    def weights(self) -> np.ndarray:
        """Component weights (sum 1)."""
        s = self.lam.shape[0]
        return np.full(s, 1.0 / s) if self.w is None else self.w

    def logpmf_components(self, k: np.ndarray) -> np.ndarray:
        """Log p(k) per component, ``k`` broadcastable to (S, H, ...)."""
        lam = self.lam[..., None]
        r = np.inf if self.r is None else self.r[:, None, None]
        return nb_logpmf(k, lam, r)

    def upper(self) -> int:
        """Return a count above which the predictive mass is negligible (< 1e-7)."""
        m = float(self.lam.max())
        r = float(self.r.min()) if self.r is not None else np.inf
        sd = np.sqrt(m + (m * m / r if np.isfinite(r) else 0.0))
        return int(np.ceil(m + 12 * sd + 10))

    def pmf(self, top: int | None = None, *, days: slice | None = None) -> np.ndarray:
        """(H, K+1) probabilities of 0..K (``K = top`` or :meth:`upper`), tail added to K.

        ``days`` restricts the rows to those days. The components are summed in chunks that
        fit the memory budget; the result itself must fit it (else a
        :class:`FlashpointValueError` names its size).
        """
        K = self.upper() if top is None else int(top)
        lam = self.lam if days is None else self.lam[:, days]
        S, H = lam.shape
        check_grid(H, K + 1)
        k = np.arange(K + 1, dtype=float)[None, None, :]
        w = self.weights
        p = np.zeros((H, K + 1))
        step = chunk_size(_BYTES_PER_CELL * H * (K + 1), S)
        for a in range(0, S, step):
            part = _Predictive(
                lam=lam[a : a + step], r=None if self.r is None else self.r[a : a + step]
            )
            p += np.einsum("s,shk->hk", w[a : a + step], np.exp(part.logpmf_components(k)))
        p[:, -1] += np.clip(1.0 - p.sum(axis=1), 0.0, None)
        return p

    def day_chunks(self) -> Iterator[tuple[slice, np.ndarray]]:
        """Yield ``(days, pmf of those days)`` in chunks of days that fit the memory budget.

        Memory then grows with the largest plausible count, not with the horizon; a single
        day whose probabilities do not fit raises a :class:`FlashpointValueError`.
        """
        K = self.upper()
        H = self.lam.shape[1]
        check_grid(1, K + 1)
        step = chunk_size(float(_BYTES_PER_CELL + 8 * 4) * (K + 1), H)
        for a in range(0, H, step):
            days = slice(a, min(a + step, H))
            yield days, self.pmf(K, days=days)

    def mean(self) -> np.ndarray:
        """Predictive mean of each day."""
        return self.weights @ self.lam

    def log_score(self, y: np.ndarray) -> np.ndarray:
        """-log p(y) per day (natural log; lower is better)."""
        lp = self.logpmf_components(np.asarray(y, dtype=float)[None, :, None])[..., 0]
        return -special.logsumexp(lp, axis=0, b=self.weights[:, None])


def combine(preds: Sequence[_Predictive], weights: Sequence[float]) -> _Predictive:
    """Mixture ``sum_m weights[m] * preds[m]`` of predictive laws over the same days."""
    keep = [(p, float(wt)) for p, wt in zip(preds, weights, strict=True) if wt > 0]
    if len(keep) == 1:
        return keep[0][0]
    lam = np.vstack([p.lam for p, _ in keep])
    sizes = [np.full(p.lam.shape[0], np.inf) if p.r is None else p.r for p, _ in keep]
    w = np.concatenate([wt * p.weights for p, wt in keep])
    return _Predictive(lam=lam, r=np.concatenate(sizes), w=w / w.sum())


def check_grid(n_days: int, n_counts: int) -> None:
    """Refuse a probability grid of ``n_days x n_counts`` that does not fit the budget."""
    fix = (
        "lower horizon= (or forecast fewer days at a time)"
        if n_days > 1
        else "the counts are too large for an exact count distribution (rescale them, e.g. "
        "count per 1000 events)"
    )
    check_memory(
        float(_BYTES_PER_CELL + 8 * 4) * n_days * n_counts,
        what=f"the predictive probabilities of {n_days} day(s) x {n_counts} possible counts",
        fix=fix,
    )


@dataclass(frozen=True)
class _DayStats:
    """Per day: predictive median and interval bounds; with observations, CRPS and F(y)."""

    median: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    crps: np.ndarray | None = None
    f_y: np.ndarray | None = None  # P(Y <= y)
    f_below: np.ndarray | None = None  # P(Y < y)


def day_stats(p: _Predictive, *, alpha: float, y: np.ndarray | None = None) -> _DayStats:
    """Quantiles (and scores of ``y``) of each day, a chunk of days at a time."""
    parts: dict[str, list[np.ndarray]] = {f: [] for f in _DayStats.__dataclass_fields__}
    for days, pmf in p.day_chunks():
        cdf = np.cumsum(pmf, axis=1)
        parts["median"].append(_quantile(cdf, 0.5))
        parts["lower"].append(_quantile(cdf, alpha / 2))
        parts["upper"].append(_quantile(cdf, 1 - alpha / 2))
        if y is not None:
            yd = np.asarray(y)[days]
            ar, top = np.arange(len(yd)), cdf.shape[1] - 1
            parts["crps"].append(crps_from_pmf(pmf, yd))
            parts["f_y"].append(cdf[ar, np.minimum(yd, top)])
            parts["f_below"].append(np.where(yd > 0, cdf[ar, np.minimum(yd - 1, top)], 0.0))

    def joined(name: str) -> np.ndarray | None:
        return np.concatenate(parts[name]) if parts[name] else None

    return _DayStats(
        median=np.concatenate(parts["median"]),
        lower=np.concatenate(parts["lower"]),
        upper=np.concatenate(parts["upper"]),
        crps=joined("crps"),
        f_y=joined("f_y"),
        f_below=joined("f_below"),
    )


def _quantile(cdf: np.ndarray, q: float) -> np.ndarray:
    """Smallest k with F(k) >= q, per row."""
    return np.argmax(cdf >= q - 1e-12, axis=1).astype(float)


def crps_from_pmf(pmf: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Exact CRPS of count distributions given as (H, K+1) pmfs at observations ``y`` (H,).

    ``CRPS(F, y) = sum_{k>=0} (F(k) - 1{y <= k})**2`` (Czado, Gneiting & Held 2009).

    Examples
    --------
    >>> import numpy as np
    >>> float(crps_from_pmf(np.array([[0.5, 0.5]]), np.array([1]))[0])
    0.25
    """
    cdf = np.cumsum(pmf, axis=1)
    K = pmf.shape[1] - 1
    k = np.arange(K + 1)[None, :]
    y = np.asarray(y)[:, None]
    body = ((cdf - (y <= k)) ** 2).sum(axis=1)
    return body + np.maximum(y[:, 0] - 1 - K, 0)
