"""Many small log-link count GLMs with their own designs, fitted at once (window placebos).

Each fit ``y[j] ~ X[j]`` has its own rows (a window of the series); the fits are solved
together, cache-sized chunk by chunk, by the same Newton / Fisher-scoring iteration as
:func:`flashpoint.models._irls.fit_moving_column`.
"""

from __future__ import annotations

import numpy as np

from flashpoint.models._irls import _NEAR, BLOCK_ELEMENTS, _newton_step, _weights

__all__ = ["fit_batch"]


def fit_batch(
    y: np.ndarray,
    X: np.ndarray,
    *,
    offset: np.ndarray | None,
    start: np.ndarray,
    nb_alpha: float = 0.0,
    pearson: bool = False,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit ``k`` small log-link GLMs ``y[j] ~ X[j]`` at once by Newton's method.

    Parameters
    ----------
    y, X, offset
        Shapes ``(k, L)``, ``(k, L, p)``, ``(k, L)``. A column of ``X[j]`` that is zero
        everywhere is not estimated (its coefficient stays at ``start``).
    start
        Starting coefficients ``(k, p)``.
    nb_alpha, pearson, max_iter, tol
        As for :func:`flashpoint.models._irls.fit_moving_column`.

    Returns
    -------
    params, std_err, converged
        Shapes ``(k, p)``, ``(k, p)`` (``nan`` for columns not estimated), ``(k,)``.
    """
    k, L, p = X.shape
    chunk = max(1, BLOCK_ELEMENTS // max(L * p, 1))  # cache-sized pieces
    if k > chunk:
        parts = [
            fit_batch(
                y[lo : lo + chunk],
                X[lo : lo + chunk],
                offset=None if offset is None else offset[lo : lo + chunk],
                start=start[lo : lo + chunk],
                nb_alpha=nb_alpha,
                pearson=pearson,
                max_iter=max_iter,
                tol=tol,
            )
            for lo in range(0, k, chunk)
        ]
        return tuple(np.concatenate(part) for part in zip(*parts, strict=True))  # type: ignore[return-value]
    return _fit_batch_chunk(y, X, offset, start, nb_alpha, pearson, max_iter, tol)


def _fit_batch_chunk(
    y: np.ndarray,
    X: np.ndarray,
    offset: np.ndarray | None,
    start: np.ndarray,
    nb_alpha: float,
    pearson: bool,
    max_iter: int,
    tol: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k, _L, p = X.shape
    off = np.zeros(y.shape) if offset is None else offset
    unused = ~np.any(X != 0, axis=1)  # (k, p)
    i, j = np.triu_indices(p)
    products = X[:, :, i] * X[:, :, j]  # (k, L, p(p+1)/2), once
    beta = np.where(unused, 0.0, start).astype(float)
    ok = np.zeros(k, dtype=bool)
    se = np.full((k, p), np.nan)
    near = np.zeros(k, dtype=bool)  # close enough for Newton's method
    act = np.arange(k)

    def information(weights: np.ndarray, prod: np.ndarray, rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), p, p))
        out[:, i, j] = out[:, j, i] = np.einsum("kl,klm->km", weights, prod)
        out[:, np.arange(p), np.arange(p)] += unused[rows]  # fixed columns: zero steps
        return out

    for _ in range(max_iter):
        if act.size == 0:
            break
        every = act.size == k  # no copies while every fit is active
        Xa, prod = (X, products) if every else (X[act], products[act])
        eta = np.einsum("klp,kp->kl", Xa, beta[act])
        eta += off if every else off[act]
        mu, w, r, newton = _weights(eta, y if every else y[act], nb_alpha)
        score = np.einsum("kl,klp->kp", r, Xa)
        fisher = information(w, prod, act)
        observed = fisher if newton is w else information(newton, prod, act)
        step, good, decrement = _newton_step(observed, fisher, score, near[act])
        near[act] = decrement < _NEAR
        done = good & (decrement < tol)
        beta[act[good]] += step[good]
        if done.any():
            d = act[done]
            cov = np.diagonal(np.linalg.inv(fisher[done]), axis1=1, axis2=2)
            if pearson and mu is not None:
                resid = (y[d] - mu[done]) ** 2 / np.maximum(mu[done], 1e-300)
                df = np.maximum(X.shape[1] - p + unused[d].sum(axis=1), 1)
                cov = cov * (resid.sum(axis=1) / df)[:, None]
            se[d] = np.where(unused[d], np.nan, np.sqrt(np.clip(cov, 0.0, None)))
            ok[d] = True
        act = act[~done & good]
    return beta, se, ok
