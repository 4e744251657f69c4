"""Sub-quadratic refits of a count GLM whose indicator column moves (anchored expansion).

An in-time placebo test of a step or a pulse refits ``y ~ [base, c_j]`` with
``c_j = 1[s_j <= t < e_j]`` for thousands of windows ``[s_j, e_j)``. Exact fits cost
``O(n)`` per fit and pass (:func:`flashpoint.models._irls.fit_moving_column`), so all
placebo dates of an ``n``-day series cost ``O(n^2)``. Here only every ``spacing``-th fit
(the *anchors*, windows sorted) is fitted exactly; every other fit is solved from its
nearest anchor ``a``:

* the rows where ``c_j`` and ``c_a`` agree enter through the anchor's second-order Taylor
  expansion of the score, ``S_a + G_a D + T_a[D, D] / 2`` with ``D = beta - beta_a``,
  ``G_a = sum psi'_t x_t x_t'`` and ``T_a = sum psi''_t x_t x_t x_t`` computed once per
  anchor (``psi(eta) = (y - mu) / (1 + alpha mu)`` is the NB2 / Poisson score residual);
* the rows where they differ (``|s_j - s_a| + |e_j - e_a|`` rows) enter exactly.

Newton's method on that score costs ``O(|s_j - s_a| p^2 + p^3)`` per iteration, so the
whole test costs ``O(n n_fits / spacing + n_fits spacing)``. The neglected third-order
term is bounded by ``u^3`` times the score scale, where ``u`` bounds the change of the
linear predictor on any row (on each of 64 row segments, ``|center' D| + radius' |D|``);
fits with ``u`` above ``u_tol`` (or whose Newton iterations fail) are solved again from
anchors four times denser among them, down to exact fits, so every result is an exact fit
or within ``~u_tol^3`` of one. Standard errors use the Fisher information expanded to
first order the same way (relative error ``O(u^2)``). Problems of at most
``EXACT_UP_TO`` fits times rows are fitted exactly (they are fast anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations_with_replacement, permutations
from typing import Any

import numpy as np

from flashpoint.models._irls import (
    BLOCK_ELEMENTS,
    COLLINEAR,
    EMPTY_INSIDE,
    EMPTY_OUTSIDE,
    OK,
    MovingFits,
    _Shared,
    _solve,
    fit_moving_column,
)

__all__ = ["fit_moving_window"]

SPACING = 32
"""Fits per anchor: the anchors cost ``O(n)`` each, the others ``O(spacing)``."""
U_TOL = 2e-2
"""Largest change of the linear predictor solved by expansion: the neglected term is
``O(U_TOL**3)`` (measured: coefficient errors below 3e-7 at 0.03, 1e-8 at 0.01)."""
EXACT_UP_TO = 1 << 22
"""Fits times rows up to which every fit is exact (small problems: already fast)."""
_ETA_CLIP = 30.0
_SEGMENTS = 64


def change_bound(data: _Expansion, delta: np.ndarray) -> np.ndarray:
    """Bound ``max_t |x_t' delta|``, the change of the linear predictor, per row of ``delta``.

    On each of ``G`` row segments, ``|center' d| + radius' |d|``: ``O(G p)`` per fit.
    """
    q = data.q
    d_base = delta[:, :q]
    per_segment = np.abs(d_base @ data.centers.T) + np.abs(d_base) @ data.radii.T
    return per_segment.max(axis=1) + np.abs(delta[:, q])


def fit_moving_window(
    y: np.ndarray,
    base: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    *,
    start: np.ndarray,
    offset: np.ndarray | None = None,
    nb_alpha: float = 0.0,
    pearson: bool = False,
    spacing: int = SPACING,
    u_tol: float = U_TOL,
    block_elements: int = BLOCK_ELEMENTS,
    tol: float = 1e-10,
    on_progress: Callable[[int], None] | None = None,
) -> MovingFits:
    """Fit ``y ~ [base, 1[starts[j] <= t < stops[j]]]`` for every ``j``.

    Parameters
    ----------
    y, base, start, offset, nb_alpha, pearson, block_elements, tol
        As for :func:`flashpoint.models._irls.fit_moving_column`.
    starts, stops
        Row windows ``[start, stop)`` of the moving indicator column, one per fit.
    spacing
        Fits per exactly fitted anchor (1: every fit exact).
    u_tol
        Largest bound on the change of the linear predictor solved by expansion.
    on_progress
        Called with the number of fits done (progress bars).

    Returns
    -------
    MovingFits
        ``n_passes`` counts fits times passes of the exact fits (anchors and the fits
        left to them), ``n_expanded`` the fits solved by expansion.
    """
    data = _Expansion.build(y, base, offset, nb_alpha, pearson)
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    rows = np.arange(data.n)

    def dense(idx: np.ndarray) -> np.ndarray:
        return ((rows >= starts[idx, None]) & (rows < stops[idx, None])).astype(float)

    status = _screen_windows(data, starts, stops)
    est = np.where(status == EMPTY_INSIDE, -np.inf, np.nan)
    est[status == EMPTY_OUTSIDE] = np.inf
    err = np.full(len(starts), np.nan)
    params = np.full((len(starts), data.q + 1), np.nan)
    todo = np.flatnonzero(status == OK)
    todo = todo[np.lexsort((stops[todo], starts[todo]))]
    exact_kw = {
        "start": start,
        "offset": offset,
        "nb_alpha": nb_alpha,
        "pearson": pearson,
        "block_elements": block_elements,
        "tol": tol,
    }
    spacing, passes, expanded = max(1, int(spacing)), 0, 0
    if todo.size * data.n <= EXACT_UP_TO:
        spacing = 1
    while todo.size:
        if spacing <= 1 or todo.size <= 2:
            passes += _exact(data, dense, todo, est, err, status, params, exact_kw)
            break
        anchor_pos = np.unique(np.r_[np.arange(0, todo.size, spacing), todo.size - 1])
        anchors = todo[anchor_pos]
        passes += _exact(data, dense, anchors, est, err, status, params, exact_kw)
        rest = np.setdiff1d(np.arange(todo.size), anchor_pos, assume_unique=True)
        ok_pos = anchor_pos[status[anchors] == OK]
        if ok_pos.size and rest.size:
            good = todo[ok_pos]
            tensors = _anchor_tensors(data, params[good], good, dense, block_elements)
            left = _expand(
                data,
                tensors,
                todo[rest],
                _nearest(rest, ok_pos),
                starts,
                stops,
                good,
                est,
                err,
                spacing=spacing,
                u_tol=u_tol,
                block_elements=block_elements,
                tol=tol,
            )
            expanded += len(rest) - len(left)
            todo = left
        else:
            todo = todo[rest]
        spacing //= 4  # the fits left are refitted from denser anchors
        if on_progress is not None:
            on_progress(len(starts) - todo.size)
    return MovingFits(
        estimate=est,
        std_err=err,
        status=status,
        params=params,
        n_passes=passes,
        n_expanded=expanded,
    )


def _exact(
    data: _Expansion,
    dense: Callable[[np.ndarray], np.ndarray],
    which: np.ndarray,
    est: np.ndarray,
    err: np.ndarray,
    status: np.ndarray,
    params: np.ndarray,
    kw: dict,
) -> int:
    """Fit ``which`` exactly (in place); return the passes used."""
    if which.size == 0:
        return 0
    fits = fit_moving_column(data.y, data.base, dense, len(est), order=which, **kw)
    est[which], err[which], status[which] = (
        fits.estimate[which],
        fits.std_err[which],
        fits.status[which],
    )
    params[which] = fits.params[which]
    return fits.n_passes


def _nearest(pos: np.ndarray, anchor_pos: np.ndarray) -> np.ndarray:
    """Index into ``anchor_pos`` of the anchor nearest to each position."""
    right = np.clip(np.searchsorted(anchor_pos, pos), 0, len(anchor_pos) - 1)
    left = np.clip(right - 1, 0, len(anchor_pos) - 1)
    closer_left = np.abs(pos - anchor_pos[left]) <= np.abs(anchor_pos[right] - pos)
    return np.where(closer_left, left, right)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Expansion(_Shared):
    """Shared data, with the products of base columns up to order three."""

    qbasis: np.ndarray
    centers: np.ndarray  # (G, q): mid-range of the base columns on G row segments
    radii: np.ndarray  # (G, q): half-ranges
    products: dict[int, tuple[list[tuple[int, ...]], np.ndarray]]

    @staticmethod
    def _derived(base: np.ndarray, off: np.ndarray) -> dict[str, Any]:
        n, q = base.shape
        segments = np.array_split(base, min(_SEGMENTS, n))
        lo = np.array([seg.min(axis=0) for seg in segments])
        hi = np.array([seg.max(axis=0) for seg in segments])
        products: dict[int, tuple[list[tuple[int, ...]], np.ndarray]] = {0: ([()], np.ones((n, 1)))}
        for order in (1, 2, 3):
            combos = list(combinations_with_replacement(range(q), order))
            cols = [np.prod(base[:, list(c)], axis=1) for c in combos]
            products[order] = (combos, np.column_stack(cols) if cols else np.empty((n, 0)))
        return {
            "qbasis": np.linalg.qr(base)[0],
            "centers": (hi + lo) / 2,
            "radii": (hi - lo) / 2,
            "products": products,
        }


def _screen_windows(data: _Expansion, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Status of every fit from prefix sums, in ``O(n + n_fits q)``."""
    cy = np.r_[0.0, np.cumsum(data.y)]
    inside = cy[stops] - cy[starts]
    length = stops - starts
    code = np.full(len(starts), OK)
    code[inside == 0] = EMPTY_INSIDE
    code[(inside == cy[-1]) & (inside > 0) & (length < data.n)] = EMPTY_OUTSIDE
    cq = np.vstack([np.zeros(data.q), np.cumsum(data.qbasis, axis=0)])
    proj = cq[stops] - cq[starts]
    resid2 = length - np.einsum("kq,kq->k", proj, proj)
    code[(resid2 <= 1e-9 * np.maximum(length, 1)) & (code == OK)] = COLLINEAR
    return code


@dataclass(frozen=True, slots=True)
class _Tensors:
    """Per anchor: coefficients, score, its derivatives, information and Pearson terms."""

    beta: np.ndarray  # (A, p)
    score: np.ndarray  # (A, p)
    hess: np.ndarray  # (A, p, p): sum psi' x x' (negative definite)
    third: np.ndarray  # (A, p, p, p): sum psi'' x x x
    info: np.ndarray  # (A, p, p): sum w x x'
    dinfo: np.ndarray  # (A, p, p, p): sum w' x x x
    pearson: np.ndarray  # (A,)
    dpearson: np.ndarray  # (A, p)


def _derivatives(eta: np.ndarray, y: np.ndarray, a: float, *, full: bool) -> dict[str, np.ndarray]:
    """Per-row score residual and its derivatives in ``eta`` (NB2; ``a = 0``: Poisson).

    ``psi = (y - mu) / d``, ``psi' = -mu (1 + a y) / d^2``,
    ``psi'' = -(1 + a y) mu (1 - a mu) / d^3``, ``w = mu / d``, ``w' = mu / d^2`` with
    ``d = 1 + a mu``; Pearson terms ``(y - mu)^2 / mu`` and their derivative.
    """
    mu = np.exp(np.clip(eta, -_ETA_CLIP, _ETA_CLIP))
    inv = 1.0 / (1.0 + a * mu)
    ay = 1.0 + a * y
    out = {"psi": (y - mu) * inv, "dpsi": -mu * ay * inv * inv, "w": mu * inv}
    if full:
        out["d2psi"] = out["dpsi"] * (1.0 - a * mu) * inv
        out["dw"] = out["w"] * inv
        out["pearson"] = (y - mu) ** 2 / mu
        out["dpearson"] = -(y - mu) * (y + mu) / mu
    return out


def _sym_moments(data: _Expansion, f: np.ndarray, col: np.ndarray, order: int) -> np.ndarray:
    """``sum_t f_t x_t^{(x order)}`` for ``x_t = [base_t, c_t]`` with an indicator ``c``.

    One matrix product per number of ``c`` factors (``c^k = c``), scattered into the full
    symmetric tensor, shape ``(k,) + (p,) * order``.
    """
    q = data.q
    p = q + 1
    fc = f * col
    sums = {0: f @ data.products[order][1]}
    for n_c in range(1, order + 1):
        sums[n_c] = fc @ data.products[order - n_c][1]
    index = {n_c: {c: i for i, c in enumerate(data.products[order - n_c][0])} for n_c in sums}
    out = np.empty((len(f),) + (p,) * order)
    for combo in combinations_with_replacement(range(p), order):
        n_c = combo.count(q)
        value = sums[n_c][:, index[n_c][combo[: order - n_c]]]
        for perm in set(permutations(combo)):
            index_: tuple[slice | int, ...] = (slice(None), *perm)
            out[index_] = value
    return out


def _anchor_tensors(
    data: _Expansion,
    beta: np.ndarray,
    anchors: np.ndarray,
    dense: Callable[[np.ndarray], np.ndarray],
    block_elements: int,
) -> _Tensors:
    """One exact pass at each anchor's solution for the terms of its expansion.

    The anchors' columns are built a block at a time: ``O(n)`` memory.
    """
    q = data.q
    k_max = max(1, block_elements // data.n)
    parts: list[_Tensors] = []
    for lo in range(0, len(beta), k_max):
        b, c = beta[lo : lo + k_max], dense(anchors[lo : lo + k_max])
        eta = b[:, :q] @ data.base.T + data.off + b[:, q:] * c
        d = _derivatives(eta, data.y, data.nb_alpha, full=True)
        parts.append(
            _Tensors(
                beta=b,
                score=_sym_moments(data, d["psi"], c, 1),
                hess=_sym_moments(data, d["dpsi"], c, 2),
                third=_sym_moments(data, d["d2psi"], c, 3),
                info=_sym_moments(data, d["w"], c, 2),
                dinfo=_sym_moments(data, d["dw"], c, 3),
                pearson=d["pearson"].sum(axis=1),
                dpearson=_sym_moments(data, d["dpearson"], c, 1),
            )
        )
    return _Tensors(*(np.concatenate([getattr(t, f) for t in parts]) for f in _Tensors.__slots__))


def _changed_rows(
    sj: np.ndarray, ej: np.ndarray, sa: np.ndarray, ea: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the rows where ``1[sj <= t < ej]`` and ``1[sa <= t < ea]`` differ (two ranges)."""
    overlap = np.maximum(sj, sa) <= np.minimum(ej, ea)
    lo1 = np.where(overlap, np.minimum(sj, sa), sa)
    hi1 = np.where(overlap, np.maximum(sj, sa), ea)
    lo2 = np.where(overlap, np.minimum(ej, ea), sj)
    hi2 = np.where(overlap, np.maximum(ej, ea), ej)
    return lo1, hi1, lo2, hi2


def _expand(
    data: _Expansion,
    tensors: _Tensors,
    fits: np.ndarray,
    near: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    anchors: np.ndarray,
    est: np.ndarray,
    err: np.ndarray,
    *,
    spacing: int,
    u_tol: float,
    block_elements: int,
    tol: float,
) -> np.ndarray:
    """Solve ``fits`` from their nearest anchors (in place); return the fits to refit."""
    sa, ea = starts[anchors[near]], stops[anchors[near]]
    lo1, hi1, lo2, hi2 = _changed_rows(starts[fits], stops[fits], sa, ea)
    n_rows = (hi1 - lo1) + (hi2 - lo2)
    small = n_rows <= max(4 * spacing, 64)
    redo = [fits[~small]]
    p = data.q + 1
    idx = np.flatnonzero(small)
    width = int(n_rows[idx].max()) if idx.size else 0
    chunk = max(1, block_elements // max(width * p, p**3, 1))
    for lo in range(0, idx.size, chunk):
        sel = idx[lo : lo + chunk]
        ranges = (lo1[sel], hi1[sel], lo2[sel], hi2[sel])
        d, se, ok = _expand_chunk(
            data, tensors, near[sel], starts[fits[sel]], stops[fits[sel]], ranges, tol=tol
        )
        ok &= change_bound(data, d) <= u_tol
        est[fits[sel[ok]]] = tensors.beta[near[sel[ok]], -1] + d[ok, -1]
        err[fits[sel[ok]]] = se[ok]
        redo.append(fits[sel[~ok]])
    return np.concatenate(redo)


def _expand_chunk(
    data: _Expansion,
    t: _Tensors,
    a: np.ndarray,
    sj: np.ndarray,
    ej: np.ndarray,
    ranges: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    *,
    tol: float,
    max_iter: int = 20,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Newton's method on the anchored expansion of the score, for a chunk of fits."""
    lo1, hi1, lo2, hi2 = ranges
    len1 = hi1 - lo1
    width = int(((hi1 - lo1) + (hi2 - lo2)).max())
    w_idx = np.arange(max(width, 1))[None, :]
    valid = w_idx < (len1 + hi2 - lo2)[:, None]
    rows = np.where(
        w_idx < len1[:, None], lo1[:, None] + w_idx, lo2[:, None] + w_idx - len1[:, None]
    )
    rows = np.where(valid, rows, 0)
    cj = ((rows >= sj[:, None]) & (rows < ej[:, None]) & valid).astype(float)
    ca = (valid & (cj == 0)).astype(float)
    vf = valid.astype(float)
    bu, yu, offu = data.base[rows], data.y[rows], data.off[rows]
    q = data.q
    beta_a = t.beta[a]
    hess, third = t.hess[a], t.third[a]
    delta = np.zeros_like(beta_a)
    ok = np.zeros(len(a), dtype=bool)
    for _ in range(max_iter):
        beta = beta_a + delta
        lin = np.einsum("mwq,mq->mw", bu, beta[:, :q]) + offu
        dj = _derivatives(lin + beta[:, q:] * cj, yu, data.nb_alpha, full=False)
        da = _derivatives(lin + beta[:, q:] * ca, yu, data.nb_alpha, full=False)
        score = t.score[a] + np.einsum("mab,mb->ma", hess, delta)
        score += 0.5 * np.einsum("mabc,mb,mc->ma", third, delta, delta)
        score += _row_moments1(bu, cj, ca, dj["psi"] * vf, da["psi"] * vf)
        jac = hess + np.einsum("mabc,mc->mab", third, delta)
        jac += _row_moments2(bu, cj, ca, dj["dpsi"] * vf, da["dpsi"] * vf)
        step, good = _solve(-jac, score)
        dec = np.einsum("mp,mp->m", score, step)
        delta = np.where(good[:, None], delta + step, delta)
        ok = good & (dec < tol * 1e-4)
        if ok.all() or not good.any():
            break
    beta = beta_a + delta
    lin = np.einsum("mwq,mq->mw", bu, beta[:, :q]) + offu
    dj = _derivatives(lin + beta[:, q:] * cj, yu, data.nb_alpha, full=data.pearson)
    da = _derivatives(lin + beta[:, q:] * ca, yu, data.nb_alpha, full=data.pearson)
    info = t.info[a] + np.einsum("mabc,mc->mab", t.dinfo[a], delta)
    info += _row_moments2(bu, cj, ca, dj["w"] * vf, da["w"] * vf)
    with np.errstate(invalid="ignore"):
        cov = np.linalg.inv(info)[:, -1, -1]
    if data.pearson:
        chi2 = t.pearson[a] + np.einsum("mp,mp->m", t.dpearson[a], delta)
        chi2 += ((dj["pearson"] - da["pearson"]) * vf).sum(axis=1)
        cov = cov * chi2 / max(data.n - q - 1, 1)
    se = np.sqrt(np.where(cov > 0, cov, np.nan))
    return delta, se, ok & np.isfinite(se)


def _row_moments1(
    bu: np.ndarray, cj: np.ndarray, ca: np.ndarray, fj: np.ndarray, fa: np.ndarray
) -> np.ndarray:
    """``sum_rows (f_j x_j - f_a x_a)`` over the changed rows."""
    return np.column_stack([np.einsum("mw,mwq->mq", fj - fa, bu), (fj * cj - fa * ca).sum(axis=1)])


def _row_moments2(
    bu: np.ndarray, cj: np.ndarray, ca: np.ndarray, fj: np.ndarray, fa: np.ndarray
) -> np.ndarray:
    """``sum_rows (f_j x_j x_j' - f_a x_a x_a')`` over the changed rows."""
    m, _w, q = bu.shape
    out = np.empty((m, q + 1, q + 1))
    out[:, :q, :q] = np.matmul(bu.transpose(0, 2, 1), (fj - fa)[:, :, None] * bu)
    cross = np.einsum("mw,mwq->mq", fj * cj - fa * ca, bu)
    out[:, :q, q] = out[:, q, :q] = cross
    out[:, q, q] = (fj * cj - fa * ca).sum(axis=1)
    return out
