"""Exact log-likelihood of the exponential Hawkes process: Ozaki's recursion, blocked.

The log-likelihood and its first two derivatives use Ozaki's (1979) O(n) recursion. To make
it fast in numpy, the recursion runs along blocks of about sqrt(n) consecutive events at
once (vectorised across the blocks), then the same recursion carries each block's state to
the next; the result equals the sequential recursion up to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def _kernel_sums(
    t: np.ndarray, beta: float, order: int
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Sum ``d**k * exp(-beta d)`` over earlier events (``d = t_i - t_j``, k <= order).

    Returns ``(A, B, C)`` with ``A_i = sum_{j<i} exp(-beta d_ij)``, ``B_i = sum d e`` and
    ``C_i = sum d**2 e`` (``B``/``C`` are ``None`` when not requested). ``t`` is sorted.

    Ozaki's recursion, with ``D_i = t_i - t_{i-1}`` and ``e_i = exp(-beta D_i)``::

        A_i = e_i (1 + A_{i-1})
        B_i = e_i (B_{i-1} + D_i (1 + A_{i-1}))
        C_i = e_i (C_{i-1} + 2 D_i B_{i-1} + D_i**2 (1 + A_{i-1}))

    It runs along rows of an (m, n/m) array (all blocks at once, each block starting empty);
    each block's end state is then carried to the next block with the same recursion, and
    added to every event of the next block, decayed by its distance to the previous block's
    last event. Every quantity is a sum of non-negative terms times factors <= 1: no
    overflow and no cancellation.
    """
    n = t.size
    m = max(8, math.isqrt(n))
    nb = -(-n // m)
    pad = nb * m - n
    gaps = np.diff(t, prepend=t[0])
    gaps[0] = 0.0
    decay = np.exp(-beta * gaps)
    decay[0] = 0.0
    if pad:
        gaps = np.concatenate([gaps, np.zeros(pad)])
        decay = np.concatenate([decay, np.zeros(pad)])
    e = decay.reshape(nb, m).T.copy()  # row p holds the p-th event of every block
    d = gaps.reshape(nb, m).T.copy()
    e[0] = 0.0  # every block starts empty; earlier blocks come in through the carry
    a = np.zeros((m, nb))
    b = np.zeros((m, nb)) if order >= 1 else None
    c = np.zeros((m, nb)) if order >= 2 else None
    for p in range(1, m):
        ep = e[p]
        one_a = 1.0 + a[p - 1]
        a[p] = ep * one_a
        if b is not None:
            dp = d[p]
            if c is not None:
                c[p] = ep * (c[p - 1] + dp * (2.0 * b[p - 1] + dp * one_a))
            b[p] = ep * (b[p - 1] + dp * one_a)
    # inclusive state (own event included) at each block's last event, then carried
    t_pad = np.concatenate([t, np.full(pad, t[-1])]) if pad else t
    t_end = t_pad.reshape(nb, m)[:, -1]
    loc_a = (a[-1] + 1.0).tolist()
    loc_b = b[-1].tolist() if b is not None else [0.0] * nb
    loc_c = c[-1].tolist() if c is not None else [0.0] * nb
    carry_a = [0.0] * nb
    carry_b = [0.0] * nb
    carry_c = [0.0] * nb
    ga, gb, gc = loc_a[0], loc_b[0], loc_c[0]
    carry_a[0], carry_b[0], carry_c[0] = ga, gb, gc
    t_end_list = t_end.tolist()
    for k in range(1, nb):
        dk = t_end_list[k] - t_end_list[k - 1]
        ek = math.exp(-beta * dk)
        ga, gb, gc = (
            ek * ga + loc_a[k],
            ek * (gb + dk * ga) + loc_b[k],
            ek * (gc + dk * (2.0 * gb + dk * ga)) + loc_c[k],
        )
        carry_a[k], carry_b[k], carry_c[k] = ga, gb, gc
    out_a = a.T.reshape(-1)[:n]
    out_b = b.T.reshape(-1)[:n] if b is not None else None
    out_c = c.T.reshape(-1)[:n] if c is not None else None
    if nb > 1:
        idx = np.arange(m, n)
        blk = idx // m - 1  # the previous block
        dist = t[idx] - t_end[blk]
        w = np.exp(-beta * dist)
        ca = np.asarray(carry_a)[blk]
        out_a[m:] += w * ca
        if out_b is not None:
            cb = np.asarray(carry_b)[blk]
            if out_c is not None:
                cc = np.asarray(carry_c)[blk]
                out_c[m:] += w * (cc + dist * (2.0 * cb + dist * ca))
            out_b[m:] += w * (cb + dist * ca)
    return out_a, out_b, out_c


def _log_likelihood(
    t: np.ndarray, window: float, params: Sequence[float], order: int = 0
) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """Exact log-likelihood of the exponential Hawkes model on ``[0, window]``.

    ``params = (mu, eta, beta)`` on the natural scale; ``t`` sorted times in ``[0, window]``.
    Returns ``(loglik, gradient, hessian)``; the derivatives (with respect to ``mu, eta,
    beta``) are ``None`` unless ``order`` is 1 or 2.

    With ``A_i`` the sum over earlier events of ``exp(-beta (t_i - t_j))``::

        loglik = sum_i log(mu + eta beta A_i) - mu T - eta sum_i (1 - exp(-beta (T - t_i)))
    """
    sums = _kernel_sums(t, float(params[2]), order)
    return _log_likelihood_from_sums(t, window, params, order, sums)


Sums = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]


def _log_likelihood_from_sums(
    t: np.ndarray, window: float, params: Sequence[float], order: int, sums: Sums
) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """:func:`_log_likelihood` from kernel sums already computed at ``params``' decay."""
    mu, eta, beta = (float(v) for v in params)
    a, b, c = sums
    lam = mu + eta * beta * a
    if np.any(lam <= 0):
        return -math.inf, None, None
    rest = window - t
    tail = np.exp(-beta * rest)
    integral = mu * window + eta * float(np.sum(-np.expm1(-beta * rest)))
    value = float(np.sum(np.log(lam))) - integral
    if order == 0:
        return value, None, None
    assert b is not None
    inv = 1.0 / lam
    d_mu = np.ones_like(lam)
    d_eta = beta * a
    k = a - beta * b  # d(beta A)/d beta
    d_beta = eta * k
    jac = np.vstack([d_mu, d_eta, d_beta])
    grad = jac @ inv - np.array(
        [window, float(np.sum(-np.expm1(-beta * rest))), eta * float(np.sum(rest * tail))]
    )
    if order == 1:
        return value, grad, None
    assert c is not None
    weighted = jac * inv
    hess = -(weighted @ weighted.T)
    hess[1, 2] += float(np.sum(k * inv)) - float(np.sum(rest * tail))
    hess[2, 1] = hess[1, 2]
    hess[2, 2] += eta * float(np.sum((beta * c - 2.0 * b) * inv)) + eta * float(
        np.sum(rest * rest * tail)
    )
    return value, grad, hess


def _compensator_steps(
    t: np.ndarray, mu: float, eta: float, beta: float, a: np.ndarray | None = None
) -> np.ndarray:
    """Compensator increments between consecutive events (the first from the window start).

    ``Lambda(t_i) - Lambda(t_{i-1}) = mu D_i + eta (1 + A_{i-1}) (1 - exp(-beta D_i))``;
    ``a`` are the kernel sums ``A`` at ``beta`` when already computed.
    """
    if a is None:
        a, _, _ = _kernel_sums(t, beta, 0)
    gaps = np.diff(t, prepend=0.0)
    prev = np.concatenate([[-1.0], a[:-1]])  # 1 + A_{i-1} is 0 before the first event
    return mu * gaps + eta * (1.0 + prev) * -np.expm1(-beta * gaps)
