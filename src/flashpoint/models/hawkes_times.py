"""Continuous-time self-exciting (Hawkes) model for events with exact times.

:func:`fit_hawkes_times` fits a univariate Hawkes process with an exponential kernel to event
times (an event table's ``timestamp`` column, or an array of times in days) by exact maximum
likelihood, and checks the fit with time-rescaling residuals and a Kolmogorov-Smirnov test.
:func:`simulate_hawkes_times` draws from the same model (for tests and benchmarks only).

The log-likelihood and its first two derivatives use Ozaki's (1979) O(n) recursion. To make
it fast in numpy, the recursion runs along blocks of about sqrt(n) consecutive events at
once (vectorised across the blocks), then the same recursion carries each block's state to
the next; the result equals the sequential recursion up to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

# one warning class for both Hawkes models (the daily-count model defines it)
from flashpoint.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    FlashpointTypeError,
    FlashpointValueError,
    NonStationaryWarning,
    ShortSeriesWarning,
)
from flashpoint.models._base import ResultMixin, check_alpha, check_choice, warn
from flashpoint.schemas import DATE, TIMESTAMP

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = [
    "HawkesTimesResult",
    "fit_hawkes_times",
    "simulate_hawkes_times",
]

MIN_EVENTS = 10
"""Fewest events :func:`fit_hawkes_times` accepts (three parameters need some data)."""
FEW_EVENTS = 50
"""Below this many events a :class:`~flashpoint.errors.ShortSeriesWarning` is emitted."""

_DAY = pd.Timedelta(days=1)
_TERMS = ("mu", "branching_ratio", "decay", "half_life_days")
_TIES = ("spread", "keep", "raise")
_CLOCK_UNITS = ("1h", "1min", "1s", "1ms", "1us")


# --------------------------------------------------------------------------------------------
# Likelihood: Ozaki's recursion, blocked
# --------------------------------------------------------------------------------------------
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
    mu, eta, beta = (float(v) for v in params)
    a, b, c = _kernel_sums(t, beta, order)
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


def _compensator_steps(t: np.ndarray, mu: float, eta: float, beta: float) -> np.ndarray:
    """Compensator increments between consecutive events (the first from the window start).

    ``Lambda(t_i) - Lambda(t_{i-1}) = mu D_i + eta (1 + A_{i-1}) (1 - exp(-beta D_i))``.
    """
    a, _, _ = _kernel_sums(t, beta, 0)
    gaps = np.diff(t, prepend=0.0)
    prev = np.concatenate([[-1.0], a[:-1]])  # 1 + A_{i-1} is 0 before the first event
    return mu * gaps + eta * (1.0 + prev) * -np.expm1(-beta * gaps)


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Times:
    days: np.ndarray  # sorted event times, days since the window start
    window: float  # window length in days
    start: pd.Timestamp | float
    end: pd.Timestamp | float
    origin: pd.Timestamp | None  # None: the input was an array of days
    n_ties: int
    ties: str
    resolution_days: float | None


def _as_timestamp(value: Any, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise FlashpointValueError(
            f"{name} must be a date or time such as '2023-10-17' or '2023-10-17 06:30'; "
            f"got {value!r}"
        ) from err
    if ts is pd.NaT:
        raise FlashpointValueError(f"{name} must be a date or time; got a missing value")
    if ts.tz is not None:
        raise FlashpointValueError(
            f"{name}={value!r} has a time zone; flashpoint uses tz-naive times: pass "
            "pd.Timestamp(...).tz_convert(None)"
        )
    return ts


def _timestamps_from_table(events: pd.DataFrame, time: str) -> pd.Series:
    """Return the exact event times of a table (tz-naive datetimes), or raise a clear error."""
    if time in events.columns:
        column = events[time]
    elif (
        time == TIMESTAMP
        and DATE in events.columns
        and pd.api.types.is_datetime64_any_dtype(events[DATE])
        and not bool((events[DATE].dt.floor("D") == events[DATE]).all())
    ):
        column = events[DATE]  # a raw table with times of day in `date`
    else:
        raise FlashpointValueError(
            f"the events table has no {time!r} column with exact event times (columns: "
            f"{', '.join(map(str, events.columns))}). fit_hawkes_times needs times of day: "
            "pass time='<column>' naming them, or, for dates only, fit the daily-count "
            "model on fp.count_daily(events) instead"
        )
    if pd.api.types.is_datetime64_any_dtype(column):
        ts = column
    else:
        try:
            ts = pd.to_datetime(column, format="ISO8601")
        except (TypeError, ValueError) as err:
            raise FlashpointValueError(
                f"column {time!r} must hold event times (ISO 8601 such as "
                f"'2023-10-17T06:30'); it could not be parsed: {err}"
            ) from err
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        raise FlashpointValueError(
            f"column {time!r} has time-zone-aware times; flashpoint uses tz-naive times: "
            f"convert with events[{time!r}].dt.tz_convert(None)"
        )
    missing = ts.isna()
    if bool(missing.all()):
        raise FlashpointValueError(
            f"column {time!r} has no event times (all {len(ts)} values are missing); "
            "fit_hawkes_times needs exact times; for dates only, fit the daily-count model "
            "on fp.count_daily(events)"
        )
    if bool(missing.any()):
        rows = list(ts.index[missing.to_numpy()][:5])
        raise FlashpointValueError(
            f"{int(missing.sum())} of {len(ts)} events have no time in column {time!r} "
            f"(first rows: {rows}); the model needs every event's time: drop or fill them, "
            f"e.g. events.dropna(subset=[{time!r}])"
        )
    return ts


def _days_since(ts: pd.Series, origin: pd.Timestamp) -> np.ndarray:
    """Days from ``origin`` to each time, from exact integer nanoseconds."""
    ns = ts.to_numpy(dtype="datetime64[ns]") - np.datetime64(origin.as_unit("ns"))
    return ns.astype(np.int64) / 86_400e9


def _clock_resolution(ts: pd.Series) -> pd.Timedelta | None:
    """Return the coarsest clock unit (hour, minute, ...) that every time is a multiple of."""
    for unit in _CLOCK_UNITS:
        if bool((ts.dt.floor(unit) == ts).all()):
            return pd.Timedelta(unit)
    return None


def _spread_ties(days: np.ndarray, resolution: float, end: float | None) -> np.ndarray:
    """Spread each run of k equal times evenly over ``[t, t + r)``, r <= the gap to the next time.

    Runs at the end of the window (no room after them) are spread backwards instead.
    """
    out = days.copy()
    values, first, counts = np.unique(days, return_index=True, return_counts=True)
    nxt = np.append(values[1:], np.inf if end is None else end)
    prev = np.insert(values[:-1], 0, -np.inf)
    for j in np.flatnonzero(counts > 1):
        v, i, k, hi, lo = values[j], first[j], counts[j], nxt[j], prev[j]
        room = min(resolution, hi - v)
        steps = np.arange(k) / k
        if room > 0:
            out[i : i + k] = v + room * steps
        else:
            room = min(resolution, v - lo)
            out[i : i + k] = v - room * steps[::-1]
    return out


def _prepare_times(
    events: pd.DataFrame | np.ndarray | Sequence[float],
    *,
    time: str,
    start: Any,
    end: Any,
    ties: str,
    resolution: Any,
) -> _Times:
    origin: pd.Timestamp | None
    clock: float | None = None
    s0 = 0.0
    start_ts: pd.Timestamp | float
    if isinstance(events, pd.Series) and pd.api.types.is_datetime64_any_dtype(events):
        events = events.to_frame(name=time)  # a column of timestamps
    if isinstance(events, pd.DataFrame):
        ts = _timestamps_from_table(events, time)
        ts = ts.sort_values()
        first, last = ts.iloc[0], ts.iloc[-1]
        start_ts = _as_timestamp(start, "start") if start is not None else first
        end_ts = _as_timestamp(end, "end") if end is not None else None
        origin = start_ts
        days = _days_since(ts, origin)
        end_days = None if end_ts is None else (end_ts - origin) / _DAY
        unit = _clock_resolution(ts)
        clock = None if unit is None else unit / _DAY
        if isinstance(resolution, str | pd.Timedelta):
            clock = pd.Timedelta(resolution) / _DAY
        elif resolution is not None:
            raise FlashpointTypeError(
                f"resolution must be a time span such as '1min' for an events table; "
                f"got {resolution!r}"
            )
        label = (first, last)
    else:
        if isinstance(events, pd.Series | pd.Index):
            events = events.to_numpy()
        if isinstance(events, str | bytes) or not isinstance(events, Sequence | np.ndarray):
            raise FlashpointTypeError(
                "events must be an event table (DataFrame with exact times) or a 1-D array "
                f"of event times in days; got {type(events).__name__}"
            )
        try:
            arr = np.asarray(events, dtype=float)
        except (TypeError, ValueError) as err:
            raise FlashpointTypeError(
                f"event times must be numbers (days); could not convert them: {err}"
            ) from err
        if arr.ndim != 1:
            raise FlashpointValueError(
                f"event times must be a 1-D array of days; got an array of shape {arr.shape}"
            )
        if arr.size and not np.all(np.isfinite(arr)):
            bad = np.flatnonzero(~np.isfinite(arr))[:5].tolist()
            raise FlashpointValueError(
                f"event times must be finite numbers; positions {bad} are NaN or infinite"
            )
        for name, value in (("start", start), ("end", end)):
            if value is not None and not isinstance(value, int | float | np.number):
                raise FlashpointTypeError(
                    f"{name} must be a number of days when events is an array; got {value!r}"
                )
        arr = np.sort(arr)
        origin = None
        s0 = float(start) if start is not None else (float(arr[0]) if arr.size else 0.0)
        days = arr - s0
        end_days = None if end is None else float(end) - s0
        if isinstance(resolution, int | float) and not isinstance(resolution, bool):
            clock = float(resolution)
        elif resolution is not None:
            raise FlashpointTypeError(
                f"resolution must be a number of days when events is an array; got {resolution!r}"
            )
        label = (arr[0], arr[-1]) if arr.size else (None, None)
        start_ts = s0
    n = days.size
    if n < MIN_EVENTS:
        raise FlashpointValueError(
            f"fit_hawkes_times needs at least {MIN_EVENTS} events to estimate its three "
            f"parameters; got {n}. Pool groups or lengthen the window"
        )
    if end_days is not None and end_days <= 0:
        raise FlashpointValueError(f"end must be after start; got start={start!r}, end={end!r}")
    if end_days is None and days[-1] <= 0:
        raise FlashpointValueError(
            f"all {n} events are at the same time ({label[0]}) and no end was given: the "
            "observation window is empty; pass start and end"
        )
    if days[0] < 0 or (end_days is not None and days[-1] > end_days):
        outside = int(np.sum(days < 0)) + (0 if end_days is None else int(np.sum(days > end_days)))
        raise FlashpointValueError(
            f"{outside} of {n} events lie outside the observation window [start, end] = "
            f"[{start_ts if start is not None else 'first event'}, "
            f"{end if end is not None else 'last event'}] (events span {label[0]} .. "
            f"{label[1]}); filter the events to the window or widen start/end"
        )
    distinct = np.diff(days) > 0
    n_ties = int(n - 1 - np.count_nonzero(distinct))
    res_days: float | None = None
    if n_ties:
        if ties == "raise":
            raise FlashpointValueError(
                f"{n_ties} events share their time with an earlier event; a Hawkes process "
                "has distinct event times. Use ties='spread' (spread tied events over the "
                "clock resolution) or ties='keep'"
            )
        if ties == "spread":
            positive = np.diff(days)[distinct]
            min_gap = float(positive.min()) if positive.size else math.inf
            res_days = clock if clock is not None else min_gap
            if not math.isfinite(res_days):
                res_days = 1.0 if end_days is None else float(end_days - days[0])
            days = _spread_ties(days, res_days, end_days)
            warn(
                f"{n_ties} of {n} events share their time with an earlier event; they were "
                f"spread evenly over at most {res_days * 86400:.6g} s after the shared time "
                "(before it at the end of the window; ties='spread'). Pass ties='keep' to "
                "keep them tied",
                DataQualityWarning,
            )
    if end_days is None:
        end_days = float(days[-1])
    if origin is None:
        end_value: pd.Timestamp | float = s0 + end_days
    else:
        end_value = origin + pd.Timedelta(days=end_days)
    return _Times(
        days=days,
        window=float(end_days),
        start=start_ts,
        end=end_value,
        origin=origin,
        n_ties=n_ties,
        ties=ties,
        resolution_days=res_days,
    )


# --------------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------------
def _profile_start(t: np.ndarray, window: float) -> tuple[float, float, float]:
    """Find starting values: the best (mu, eta) on a grid of decays.

    For a fixed decay the log-likelihood is concave in (mu, eta) (the intensity is linear in
    them), so a few Newton steps find their best values; the decay with the highest
    profile log-likelihood starts the full maximisation.
    """
    n = t.size
    gaps = np.diff(t)
    positive = gaps[gaps > 0]
    fast = float(np.quantile(positive, 0.01)) if positive.size else window / n
    lo, hi = 1.0 / window, 10.0 / max(fast, 1e-12)
    best = (-math.inf, 0.5 * n / window, 0.5, math.sqrt(lo * max(hi, lo)))
    for beta in np.geomspace(lo, max(hi, 10 * lo), 16):
        a, _, _ = _kernel_sums(t, float(beta), 0)
        tail = float(np.sum(-np.expm1(-beta * (window - t))))
        ba = beta * a
        mu, eta = 0.5 * n / window, 0.5
        for _ in range(30):
            inv = 1.0 / (mu + eta * ba)
            inv2 = inv * inv
            g0, g1 = float(inv.sum()) - window, float((ba * inv).sum()) - tail
            h00, h01, h11 = (
                float(inv2.sum()),
                float((ba * inv2).sum()),
                float((ba * ba * inv2).sum()),
            )
            det = h00 * h11 - h01 * h01
            if det <= 0:
                break
            s0, s1 = (h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det  # (-H)^-1 g
            scale = 1.0
            while mu + scale * s0 <= 0 or eta + scale * s1 <= 0:  # stay positive
                scale *= 0.5
            mu, eta = mu + scale * s0, eta + scale * s1
            if abs(scale * s0) < 1e-8 * mu and abs(scale * s1) < 1e-8 * max(eta, 1e-8):
                break
        value = float(np.sum(np.log(mu + eta * ba))) - mu * window - eta * tail
        if value > best[0]:
            best = (value, mu, eta, float(beta))
    _, mu0, eta0, beta0 = best
    return mu0, min(max(eta0, 1e-3), 0.99), beta0


def _maximise(t: np.ndarray, window: float) -> tuple[np.ndarray, bool, str]:
    """Maximise the log-likelihood over log-parameters by a modified Newton method.

    The analytic Hessian (on the log scale) has its eigenvalues forced negative, steps are
    capped and backtracked until the log-likelihood increases, and the iterate is kept
    inside generous bounds. Returns ``(log-parameters, converged, message)``.
    """
    n = t.size
    rate = n / window
    gaps = np.diff(t)
    positive = gaps[gaps > 0]
    fast = float(positive.min()) if positive.size else window / n
    lower = np.array([math.log(rate * 1e-8), math.log(1e-10), math.log(0.01 / window)])
    upper = np.array([math.log(rate * 10.0), math.log(50.0), math.log(1e3 / max(fast, 1e-12))])
    theta = np.clip(np.log(_profile_start(t, window)), lower, upper)
    value = _log_likelihood(t, window, np.exp(theta))[0]
    converged, message = False, "the iteration limit (200) was reached"
    for _ in range(200):
        x = np.exp(theta)
        _, g, h = _log_likelihood(t, window, x, order=2)
        if g is None or h is None:
            message = "the intensity became non-positive"
            break
        g_theta = g * x
        h_theta = h * np.outer(x, x) + np.diag(g_theta)
        w, v = np.linalg.eigh(h_theta)
        w = np.minimum(w, -1e-8 * max(float(np.max(np.abs(w))), 1e-12))
        step = -(v @ ((v.T @ g_theta) / w))
        # at a bound with the gradient pointing out, that coordinate stays put
        stuck = ((theta <= lower) & (g_theta < 0)) | ((theta >= upper) & (g_theta > 0))
        step[stuck] = 0.0
        longest = float(np.max(np.abs(step)))
        if longest > 2.0:
            step *= 2.0 / longest
        accepted = False
        for _ in range(40):
            cand = np.clip(theta + step, lower, upper)
            cand_value = _log_likelihood(t, window, np.exp(cand))[0]
            if cand_value >= value:
                accepted = True
                break
            step *= 0.5
        moved = float(np.max(np.abs(cand - theta))) if accepted else 0.0
        if accepted:
            gain = cand_value - value
            theta, value = cand, cand_value
        if not accepted or moved < 1e-10 or (accepted and gain < 1e-12 * max(1.0, abs(value))):
            free = ~stuck
            converged = bool(np.max(np.abs(g_theta[free]), initial=0.0) < 1e-4 * max(1.0, n))
            message = "converged" if converged else "no further increase of the likelihood"
            break
    at_bound = [
        i
        for i in range(3)
        if (theta[i] <= lower[i] + 1e-9 or theta[i] >= upper[i] - 1e-9) and i != 1
    ]
    if at_bound:
        converged = False
        message = f"a parameter reached its search bound ({', '.join(_TERMS[i] for i in at_bound)})"
    return theta, converged, message


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class HawkesTimesResult(ResultMixin):
    """Fitted continuous-time exponential Hawkes model (from :func:`fit_hawkes_times`).

    Attributes
    ----------
    mu
        Background rate (events per day).
    branching_ratio
        Expected number of events directly triggered by one event (eta); the process is
        stationary when it is below 1.
    decay
        Decay rate beta of the kernel (per day); the mean delay of a triggered event is
        ``1 / decay`` days.
    half_life_days
        ``ln 2 / decay``: days for an event's excitation to halve.
    alpha, conf_level
        Significance level and confidence level ``1 - alpha`` of the intervals.
    n_events
        Number of events fitted.
    n_ties
        Events that shared their time with an earlier one in the input.
    ties
        How ties were handled (``"spread"``, ``"keep"`` or ``"raise"``).
    start, end
        Observation window (timestamps for an event table, days for an array).
    window_days
        Length of the window in days.
    log_likelihood, poisson_log_likelihood
        Maximised log-likelihood, and that of a homogeneous Poisson process (no
        self-excitation) on the same window.
    aic
        Akaike information criterion of the Hawkes fit (3 parameters).
    converged
        Whether the optimiser reported convergence.
    ks_statistic, ks_pvalue
        Kolmogorov-Smirnov test that the rescaled inter-event intervals are Exp(1)
        (time-rescaling goodness of fit).
    covariance
        Inverse observed information of ``(mu, branching_ratio, decay)`` (natural scale);
        NaN where it is not identified.
    residuals
        One row per event: ``event`` (0-based), ``time`` (timestamp, or days for an
        array), ``days`` (days since the window start), ``intensity`` (conditional intensity
        just before the event, events per day), ``compensator`` (expected events since the
        start, ``Lambda(t)``), ``interval`` (rescaled interval ``Lambda(t_i) -
        Lambda(t_{i-1})``, Exp(1) under the model), ``uniform`` (``1 - exp(-interval)``,
        Uniform(0, 1) under the model).
    intensity
        The fitted conditional intensity for plotting: ``time``, ``days``, ``intensity``
        (events per day), ``background`` (``mu``, events per day), ``point`` (``"grid"``,
        ``"before_event"``, ``"after_event"``); sorted by time.
    ks_curve
        KS plot of the rescaled intervals: ``rank``, ``expected_uniform`` (``(rank - 0.5)
        / n``), ``observed_uniform`` (sorted ``uniform``), ``band_lower``/``band_upper``
        (exact KS band at level ``conf_level``), ``expected_interval`` (Exp(1) quantile),
        ``observed_interval`` (sorted ``interval``).
    """

    mu: float
    branching_ratio: float
    decay: float
    half_life_days: float
    alpha: float
    n_events: int
    n_ties: int
    ties: str
    start: pd.Timestamp | float
    end: pd.Timestamp | float
    window_days: float
    log_likelihood: float
    poisson_log_likelihood: float
    converged: bool
    ks_statistic: float
    ks_pvalue: float
    covariance: np.ndarray = field(repr=False, compare=False)
    table: pd.DataFrame = field(repr=False, compare=False)
    residuals: pd.DataFrame = field(repr=False, compare=False)
    intensity: pd.DataFrame = field(repr=False, compare=False)
    ks_curve: pd.DataFrame = field(repr=False, compare=False)

    @property
    def conf_level(self) -> float:
        """Confidence level of the intervals (``1 - alpha``)."""
        return 1.0 - self.alpha

    @property
    def aic(self) -> float:
        """Akaike information criterion, ``2 * 3 - 2 * log_likelihood``."""
        return 6.0 - 2.0 * self.log_likelihood

    def summary(self) -> pd.DataFrame:
        """One row per parameter.

        Returns
        -------
        pandas.DataFrame
            ``term`` (``mu``: events per day; ``branching_ratio``; ``decay``: per day;
            ``half_life_days``: days), ``estimate``, ``std_err`` (observed information,
            delta method for the half-life), ``ci_lower``/``ci_upper`` (Wald interval on
            the log scale, so always positive) and ``conf_level``.
        """
        return self.table.copy()

    def _headline(self) -> str:
        ci = self.table.set_index("term").loc["branching_ratio"]
        return (
            f"exponential Hawkes, {self.n_events} events over {self.window_days:.4g} days: "
            f"branching ratio {self.branching_ratio:.3g} ({self.conf_level:.0%} CI "
            f"{ci['ci_lower']:.3g}-{ci['ci_upper']:.3g}), half-life "
            f"{self.half_life_days:.3g} days, background {self.mu:.3g}/day; "
            f"KS p = {self.ks_pvalue:.3g}"
        )

    def plot(self) -> go.Figure:
        """Intensity with event ticks, and the KS plot of the rescaled intervals."""
        from flashpoint.plots.hawkes_times import plot_hawkes_times

        return plot_hawkes_times(self)


def _summary_table(x: np.ndarray, cov: np.ndarray, alpha: float) -> pd.DataFrame:
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))
    se = np.sqrt(np.diag(cov))
    rel = se / x  # standard error of log(x) by the delta method
    lower = x * np.exp(-z * rel)
    upper = x * np.exp(z * rel)
    beta = x[2]
    half = math.log(2.0) / beta
    rows = [
        ("mu", x[0], se[0], lower[0], upper[0]),
        ("branching_ratio", x[1], se[1], lower[1], upper[1]),
        ("decay", beta, se[2], lower[2], upper[2]),
        ("half_life_days", half, half * rel[2], math.log(2.0) / upper[2], math.log(2.0) / lower[2]),
    ]
    out = pd.DataFrame(rows, columns=["term", "estimate", "std_err", "ci_lower", "ci_upper"])
    out["conf_level"] = 1.0 - alpha
    return out


def _times_column(times: _Times, days: np.ndarray) -> pd.Series | np.ndarray:
    if times.origin is None or not isinstance(times.start, pd.Timestamp):
        return float(times.start) + days
    return pd.Series(times.origin + pd.to_timedelta(np.round(days * 86_400e9), unit="ns"))


def _intensity_frame(
    times: _Times, mu: float, eta: float, beta: float, grid_size: int
) -> pd.DataFrame:
    t = times.days
    a, _, _ = _kernel_sums(t, beta, 0)
    grid = np.linspace(0.0, times.window, grid_size)
    last = np.searchsorted(t, grid, side="left") - 1  # last event strictly before
    excite = np.zeros(grid_size)
    has = last >= 0
    excite[has] = (a[last[has]] + 1.0) * np.exp(-beta * (grid[has] - t[last[has]]))
    days = np.concatenate([grid, t, t])
    value = mu + eta * beta * np.concatenate([excite, a, a + 1.0])
    kind = np.repeat(np.array(["grid", "before_event", "after_event"]), [grid_size, t.size, t.size])
    order = np.lexsort((np.repeat([1, 0, 2], [grid_size, t.size, t.size]), days))
    days, value, kind = days[order], value[order], kind[order]
    return pd.DataFrame(
        {
            "time": _times_column(times, days),
            "days": days,
            "intensity": value,
            "background": mu,
            "point": kind,
        }
    )


def fit_hawkes_times(
    events: pd.DataFrame | np.ndarray | Sequence[float],
    *,
    time: str = TIMESTAMP,
    start: str | pd.Timestamp | float | None = None,
    end: str | pd.Timestamp | float | None = None,
    ties: Literal["spread", "keep", "raise"] = "spread",
    resolution: str | pd.Timedelta | float | None = None,
    alpha: float = 0.05,
    grid_size: int = 1000,
) -> HawkesTimesResult:
    r"""Fit a continuous-time exponential Hawkes process to events with exact times.

    Parameters
    ----------
    events
        An event table with exact times in column ``time`` (``validate_events`` moves a
        time of day out of ``date`` into ``timestamp``), a Series of timestamps, or a 1-D
        array of event times in days. Unsorted times are sorted. Fit one group at a time
        (filter the table first).
    time
        Column of the event times (tz-naive datetimes or ISO 8601 strings). When the
        default ``"timestamp"`` column is missing, a ``date`` column with times of day is
        used.
    start, end
        Observation window. Timestamps (or strings) for a table, numbers of days for an
        array. Default: from the first to the last event; pass the real coverage of the
        data when known (the default conditions on an event at the start). Events outside
        the window raise an error.
    ties
        Events at identical times (a Hawkes process has none; they come from clocks
        rounded to the minute or hour). ``"spread"`` (default): the k events sharing a
        time t are placed at t, t + r/k, ..., t + (k-1) r/k, with r the clock resolution
        (capped at the gap to the next event), so that they excite each other as closely
        spaced events would; a :class:`~flashpoint.errors.DataQualityWarning` says how
        many. ``"keep"``: keep them tied; none excites the others (the kernel sums over
        strictly earlier events), and their rescaled intervals are 0, which the KS test
        will reject. ``"raise"``: raise an error.
    resolution
        Clock resolution used to spread ties: a time span such as ``"1min"`` for a table
        (default: the coarsest of hour, minute, second, ... that every time is a multiple
        of), a number of days for an array (default: the smallest gap between distinct
        times).
    alpha
        Significance level: intervals are at level ``1 - alpha`` and the KS band too.
    grid_size
        Number of grid points at which the fitted intensity is stored for plotting (the
        values just before and after every event are stored as well).

    Returns
    -------
    HawkesTimesResult
        ``summary()`` has one row per parameter: ``term`` (``mu`` in events per day,
        ``branching_ratio``, ``decay`` per day, ``half_life_days``), ``estimate``,
        ``std_err``, ``ci_lower``, ``ci_upper``, ``conf_level``. Goodness of fit is in
        ``ks_statistic`` and ``ks_pvalue``; the per-event residuals in ``residuals``
        (columns listed in :class:`HawkesTimesResult`).

    Raises
    ------
    FlashpointValueError
        No exact times in the table, missing or unparseable times, fewer than
        :data:`MIN_EVENTS` events, events outside ``[start, end]``, ``end`` not after
        ``start``, ties with ``ties="raise"``, a bad ``alpha``.
    FlashpointTypeError
        ``events`` is neither a table nor an array of numbers, or ``start``/``end``/
        ``resolution`` have the wrong type for the input.

    Warns
    -----
    ShortSeriesWarning
        Fewer than :data:`FEW_EVENTS` events.
    DataQualityWarning
        Tied times were spread.
    flashpoint.errors.NonStationaryWarning
        The fitted branching ratio is 1 or more.
    ConvergenceWarning
        The optimiser did not converge, or the information matrix is singular (for
        example when the branching ratio is estimated at 0 and the decay is not
        identified).

    See Also
    --------
    simulate_hawkes_times : draw event times from this model.
    flashpoint.plots.hawkes_times.plot_hawkes_times : plot the fit.

    Notes
    -----
    The conditional intensity (events per day) is

    .. math:: \lambda(t) = \mu + \sum_{t_i < t} \eta \beta e^{-\beta (t - t_i)},

    with background rate :math:`\mu`, branching ratio :math:`\eta` (each event triggers
    :math:`\eta` events on average; stationary when :math:`\eta < 1`) and decay
    :math:`\beta` (mean delay :math:`1/\beta`, half-life :math:`\ln 2 / \beta`). No
    events are assumed before ``start``. The log-likelihood on :math:`[0, T]` is

    .. math:: \ell = \sum_i \log \lambda(t_i) - \mu T
              - \eta \sum_i \left(1 - e^{-\beta (T - t_i)}\right),

    computed with Ozaki's (1979) O(n) recursion :math:`A_i = e^{-\beta (t_i - t_{i-1})}
    (1 + A_{i-1})` for :math:`\sum_{j<i} e^{-\beta (t_i - t_j)}`, and likewise its
    analytic gradient and Hessian. It is maximised over :math:`(\log \mu, \log \eta,
    \log \beta)` from the best start on a grid of decays (L-BFGS-B, then Newton steps).
    Standard errors come from the observed information (analytic Hessian); intervals are
    Wald intervals on the log scale. Goodness of fit uses time rescaling (Ogata 1988;
    Brown et al. 2002): the compensator increments :math:`\Lambda(t_i) - \Lambda(t_{i-1})`
    are iid Exp(1) under the model; the KS test of them uses estimated parameters, so its
    p-value is somewhat conservative.

    References: T. Ozaki (1979), Maximum likelihood estimation of Hawkes' self-exciting
    point processes, Ann. Inst. Stat. Math. 31:145-155. Y. Ogata (1988), Statistical
    models for earthquake occurrences and residual analysis for point processes, JASA
    83:9-27. E. N. Brown et al. (2002), The time-rescaling theorem and its application to
    neural spike train data analysis, Neural Computation 14:325-346.

    Examples
    --------
    >>> from flashpoint.models.hawkes_times import fit_hawkes_times, simulate_hawkes_times
    >>> simulated_times = simulate_hawkes_times(mu=0.5, branching=0.5, decay=2.0,
    ...                                         end=400.0, seed=1)
    >>> fit = fit_hawkes_times(simulated_times, start=0.0, end=400.0)
    >>> fit.summary()[["term", "estimate"]].round(2)
                  term  estimate
    0               mu      0.52
    1  branching_ratio      0.48
    2            decay      1.92
    3   half_life_days      0.36
    >>> bool(fit.ks_pvalue > 0.05)
    True
    """
    alpha = check_alpha(alpha)
    check_choice("ties", ties, _TIES)
    if not isinstance(grid_size, int) or isinstance(grid_size, bool) or grid_size < 2:
        raise FlashpointValueError(f"grid_size must be an integer >= 2; got {grid_size!r}")
    times = _prepare_times(
        events, time=time, start=start, end=end, ties=ties, resolution=resolution
    )
    t, window, n = times.days, times.window, times.days.size
    if n < FEW_EVENTS:
        warn(
            f"only {n} events; the exponential Hawkes fit needs about {FEW_EVENTS} to be "
            "reliable (the decay especially)",
            ShortSeriesWarning,
        )
    theta, converged, message = _maximise(t, window)
    x = np.exp(theta)
    mu, eta, beta = (float(v) for v in x)
    value, _, hess = _log_likelihood(t, window, x, order=2)
    if not converged:
        warn(f"the likelihood maximisation did not converge ({message})", ConvergenceWarning)
    cov = np.full((3, 3), np.nan)
    if hess is not None:
        info = -hess
        try:
            eigen = np.linalg.eigvalsh(info)
            if eigen.min() > 1e-10 * max(eigen.max(), 1e-300):
                cov = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            pass
    if not np.all(np.isfinite(cov)):
        warn(
            "the observed information is singular (branching ratio "
            f"{eta:.3g}: with no self-excitation the decay is not identified); standard "
            "errors and intervals are NaN",
            ConvergenceWarning,
        )
    if eta >= 1.0:
        warn(
            f"the fitted branching ratio is {eta:.3g} >= 1: the process is not stationary "
            "(explosive); the background rate and the half-life are not interpretable as "
            "long-run quantities",
            NonStationaryWarning,
        )
    steps = _compensator_steps(t, mu, eta, beta)
    ks = stats.kstest(steps, "expon")
    a, _, _ = _kernel_sums(t, beta, 0)
    residuals = pd.DataFrame(
        {
            "event": np.arange(n),
            "time": _times_column(times, t),
            "days": t,
            "intensity": mu + eta * beta * a,
            "compensator": np.cumsum(steps),
            "interval": steps,
            "uniform": -np.expm1(-steps),
        }
    )
    rank = np.arange(1, n + 1)
    expected = (rank - 0.5) / n
    half_width = float(stats.kstwo.ppf(1.0 - alpha, n))
    ks_curve = pd.DataFrame(
        {
            "rank": rank,
            "expected_uniform": expected,
            "observed_uniform": np.sort(residuals["uniform"].to_numpy()),
            "band_lower": np.clip(expected - half_width, 0.0, 1.0),
            "band_upper": np.clip(expected + half_width, 0.0, 1.0),
            "expected_interval": -np.log1p(-expected),
            "observed_interval": np.sort(steps),
        }
    )
    poisson = n * math.log(n / window) - n
    return HawkesTimesResult(
        mu=mu,
        branching_ratio=eta,
        decay=beta,
        half_life_days=math.log(2.0) / beta,
        alpha=alpha,
        n_events=n,
        n_ties=times.n_ties,
        ties=times.ties,
        start=times.start,
        end=times.end,
        window_days=window,
        log_likelihood=value,
        poisson_log_likelihood=poisson,
        converged=converged,
        ks_statistic=float(ks.statistic),
        ks_pvalue=float(ks.pvalue),
        covariance=cov,
        table=_summary_table(x, cov, alpha),
        residuals=residuals,
        intensity=_intensity_frame(times, mu, eta, beta, grid_size),
        ks_curve=ks_curve,
    )


# --------------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------------
def simulate_hawkes_times(
    *,
    mu: float,
    branching: float,
    decay: float,
    end: float,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    r"""Simulate an exponential Hawkes process on ``[0, end)`` (days), for tests and benchmarks.

    Parameters
    ----------
    mu
        Background rate (events per day), > 0.
    branching
        Branching ratio :math:`\eta`, in ``[0, 1)``.
    decay
        Decay rate :math:`\beta` (per day), > 0.
    end
        Length of the window in days, > 0.
    seed
        Seed or ``numpy.random.Generator`` (never the global random state).

    Returns
    -------
    numpy.ndarray
        Sorted simulated event times in days (float64). Simulated data: never present it as
        real events.

    Raises
    ------
    FlashpointValueError
        When a parameter is out of range.

    See Also
    --------
    fit_hawkes_times : fit the model.

    Notes
    -----
    Cluster (branching) representation (Hawkes and Oakes 1974): immigrants arrive as a
    Poisson process of rate :math:`\mu` on ``[0, end)``; every event has
    Poisson(:math:`\eta`) children, each after an Exp(:math:`\beta`) delay; children
    after ``end`` are dropped. This is exactly the Hawkes process with intensity
    :math:`\mu + \sum_{t_i < t} \eta \beta e^{-\beta (t - t_i)}` and no events before 0.
    Each generation is drawn at once (vectorised).

    Examples
    --------
    >>> from flashpoint.models.hawkes_times import simulate_hawkes_times
    >>> simulated_times = simulate_hawkes_times(mu=0.2, branching=0.5, decay=1.0,
    ...                                         end=100.0, seed=7)
    >>> len(simulated_times), bool((simulated_times < 100.0).all())
    (48, True)
    """
    for name, value in (("mu", mu), ("decay", decay), ("end", end)):
        if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
            raise FlashpointValueError(f"{name} must be a positive number; got {value!r}")
    if not isinstance(branching, int | float) or not 0 <= branching < 1:
        raise FlashpointValueError(
            f"branching must be in [0, 1) (a stationary process); got {branching!r}"
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n0 = int(rng.poisson(mu * end))
    generation = np.sort(rng.uniform(0.0, end, size=n0))
    out = [generation]
    while generation.size:
        kids = rng.poisson(branching, size=generation.size)
        parents = np.repeat(generation, kids)
        births = parents + rng.exponential(1.0 / decay, size=parents.size)
        generation = births[births < end]
        out.append(generation)
    return np.sort(np.concatenate(out))
