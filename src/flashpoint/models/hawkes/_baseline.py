"""The background of the daily Hawkes model: constant, log-linear, spline, with steps.

The log background of group ``i`` on day ``t`` is ``a_{i,r(t)} + sum_p b_{i,p} B_p(t)``:
a level per regime plus the columns ``B`` of a basis. This module builds ``B``:

- ``"linear"``: ``t / 365.25`` (``b``: log rate ratio per year);
- ``"spline"``: a natural cubic regression spline in ``t`` with ``df`` columns (knots evenly
  spaced in time), centred and orthonormalised (Hastie, Tibshirani & Friedman 2009, 5.2.1);
- ``baseline_breaks``: one step column ``1{t >= break}`` per break (``b``: log rate ratio).

The default spline keeps its knots at least ``KNOT_SPACING_LAGS * max_lag`` days apart, so
that the background only varies on time scales longer than the excitation kernel: a
background that could wiggle within the kernel's reach would absorb the clustering that
self-excitation describes (the two would not be identified).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.errors import EventRangeError, FlashpointTypeError, FlashpointValueError
from flashpoint.models._base import check_choice

__all__: list[str] = []

DAYS_PER_YEAR = 365.25
KNOT_SPACING_LAGS = 4
"""Default spline: one degree of freedom per ``4 * max_lag`` days (at least 1, at most 12)."""
MAX_DEFAULT_DF = 12
BASELINES = ("auto", "constant", "linear", "spline")

Extrapolate = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class BaselineSpec:
    """What the user asked for (validated); the basis is built per batch of series."""

    kind: str
    df: int | None
    breaks: Mapping[Hashable | None, tuple[pd.Timestamp, ...]] | tuple[pd.Timestamp, ...]


@dataclass(frozen=True)
class Basis:
    """Baseline columns of one batch of groups on one calendar."""

    X: np.ndarray  # (G, n, P)
    labels: tuple[tuple[str | None, ...], ...]  # per group, per column: label or None (padding)
    kinds: tuple[str, ...]  # per column: "linear", "spline" or "step"
    extrapolate: Extrapolate | None  # day indices (any, may exceed n - 1) -> (G, H, P)


def _dates(values: Any, what: str) -> tuple[pd.Timestamp, ...]:
    if isinstance(values, str | pd.Timestamp):
        values = [values]
    try:
        return tuple(sorted({pd.Timestamp(v).normalize() for v in values}))
    except (TypeError, ValueError) as err:
        raise FlashpointValueError(
            f"{what} must be dates such as '2023-11-24'; got {values!r}"
        ) from err


def parse_baseline(baseline: str, df: int | None, breaks: Any) -> BaselineSpec:
    """Validate ``baseline``, ``baseline_df`` and ``baseline_breaks``."""
    check_choice("baseline", baseline, BASELINES)
    if df is not None:
        if baseline not in ("spline", "auto"):
            raise FlashpointValueError(
                f"baseline_df={df!r} only applies to baseline='spline' or 'auto' (got baseline="
                f"{baseline!r}); drop baseline_df or use the spline"
            )
        if isinstance(df, bool) or not isinstance(df, int | np.integer) or df < 1:
            raise FlashpointValueError(f"baseline_df must be a positive integer, got {df!r}")
    if breaks is None:
        parsed: Any = ()
    elif hasattr(breaks, "changes") and isinstance(breaks.changes, pd.DataFrame):
        # a ChangepointResult: its change dates, per group when it has groups
        ch = breaks.changes
        by = getattr(breaks, "by", None)
        if by is None:
            parsed = _dates(ch["date"], "baseline_breaks")
        else:
            parsed = {g: _dates(f["date"], "baseline_breaks") for g, f in ch.groupby(by)}
    elif isinstance(breaks, Mapping):
        parsed = {g: _dates(v, f"baseline_breaks[{g!r}]") for g, v in breaks.items()}
    elif isinstance(breaks, str | pd.Timestamp | Sequence | pd.Index | np.ndarray):
        parsed = _dates(breaks, "baseline_breaks")
    else:
        raise FlashpointTypeError(
            "baseline_breaks must be dates, a dict of dates by group, or a ChangepointResult; "
            f"got {type(breaks).__name__}"
        )
    return BaselineSpec(kind=baseline, df=None if df is None else int(df), breaks=parsed)


def default_df(n: int, max_lag: int) -> int:
    """Spline degrees of freedom: one per ``KNOT_SPACING_LAGS * max_lag`` days, 1..12."""
    return int(np.clip(n // (KNOT_SPACING_LAGS * max_lag), 1, MAX_DEFAULT_DF))


def _natural_spline_raw(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Natural cubic spline basis without the constant (ESL eq. 5.4-5.5): K - 1 columns."""
    K = knots.size
    last = knots[-1]

    def d(k: int) -> np.ndarray:
        return (np.clip(x - knots[k], 0, None) ** 3 - np.clip(x - last, 0, None) ** 3) / (
            last - knots[k]
        )

    cols = [x]
    if K > 2:
        dK = d(K - 2)
        cols += [d(k) - dK for k in range(K - 2)]
    return np.column_stack(cols)


def spline_columns(n: int, df: int) -> tuple[np.ndarray, Extrapolate]:
    """``df`` centred, orthonormal natural-spline columns on days ``0..n-1`` (scaled to SD 1).

    Beyond the last day the spline is held at its last value (a constant background for
    forecasts), before the first day at its first value.
    """
    x = np.arange(n, dtype=float)
    knots = np.linspace(0.0, n - 1.0, df + 1)
    raw = _natural_spline_raw(x, knots)
    centre = raw.mean(axis=0)
    _, R = np.linalg.qr(raw - centre)
    transform = np.linalg.inv(R) * np.sqrt(n)

    def basis(t: np.ndarray) -> np.ndarray:
        tc = np.clip(np.asarray(t, dtype=float), 0.0, n - 1.0)
        return (_natural_spline_raw(tc, knots) - centre) @ transform

    return basis(x), basis


def _group_breaks(spec: BaselineSpec, group: Hashable | None) -> tuple[pd.Timestamp, ...]:
    if isinstance(spec.breaks, Mapping):
        return tuple(spec.breaks.get(group, ()))
    return spec.breaks


def build_basis(
    spec: BaselineSpec, groups: Sequence[Hashable | None], dates: pd.DatetimeIndex, max_lag: int
) -> Basis:
    """Columns of the log background for groups sharing ``dates`` (steps padded with 0)."""
    n = len(dates)
    x = np.arange(n, dtype=float)
    shared: list[np.ndarray] = []
    kinds: list[str] = []
    labels: list[str] = []
    spline: Extrapolate | None = None
    if spec.kind == "linear":
        shared.append((x / DAYS_PER_YEAR)[:, None])
        kinds.append("linear")
        labels.append("trend")
    elif spec.kind == "spline":
        df = spec.df if spec.df is not None else default_df(n, max_lag)
        cols, spline = spline_columns(n, df)
        shared.append(cols)
        kinds += ["spline"] * df
        labels += [f"spline_{k + 1}" for k in range(df)]
    per_group = [_check_breaks(_group_breaks(spec, g), dates, g) for g in groups]
    n_steps = max((len(b) for b in per_group), default=0)
    P = sum(c.shape[1] for c in shared) + n_steps
    X = np.zeros((len(groups), n, P))
    base = np.hstack(shared) if shared else np.zeros((n, 0))
    group_labels = []
    for gi, brk in enumerate(per_group):
        X[gi, :, : base.shape[1]] = base
        pos = dates.get_indexer(pd.DatetimeIndex(brk))
        for k, p in enumerate(pos):
            X[gi, p:, base.shape[1] + k] = 1.0
        steps = [f"step {b.date()}" for b in brk] + [None] * (n_steps - len(brk))
        group_labels.append(tuple(labels) + tuple(steps))
    kinds += ["step"] * n_steps
    if P == 0:
        return Basis(X=X, labels=tuple(group_labels), kinds=(), extrapolate=None)
    return Basis(
        X=X,
        labels=tuple(group_labels),
        kinds=tuple(kinds),
        extrapolate=_extrapolator(spec.kind, spline, X[:, -1, base.shape[1] :]),
    )


def _extrapolator(kind: str, spline: Extrapolate | None, last_steps: np.ndarray) -> Extrapolate:
    """Basis on any day index: the trend continues, the spline and the steps stay put."""

    def extrapolate(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        cols = []
        if kind == "linear":
            cols.append((t / DAYS_PER_YEAR)[:, None])
        elif spline is not None:
            cols.append(spline(t))
        shared = np.hstack(cols) if cols else np.zeros((t.size, 0))
        G = last_steps.shape[0]
        steps = np.broadcast_to(last_steps[:, None, :], (G, t.size, last_steps.shape[1]))
        return np.concatenate([np.broadcast_to(shared, (G, *shared.shape)), steps], axis=2)

    return extrapolate


def _check_breaks(
    breaks: tuple[pd.Timestamp, ...], dates: pd.DatetimeIndex, group: Hashable | None
) -> tuple[pd.Timestamp, ...]:
    where = "" if group is None else f" of group {group!r}"
    for b in breaks:
        if not dates[0] < b <= dates[-1]:
            raise EventRangeError(
                f"baseline break {b.date()}{where} is outside the counts ({dates[0].date()} .. "
                f"{dates[-1].date()}); a break must fall after the first day and no later than "
                "the last"
            )
    return breaks
