"""detect_changepoints: checked settings, a memory estimate, per-group fits, tidy frames."""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flashpoint._progress import track
from flashpoint.errors import FlashpointTypeError, FlashpointValueError, ModelSpecError
from flashpoint.limits import check_memory as budget_check
from flashpoint.models._base import (
    CountSeries,
    check_alpha,
    check_choice,
    split_counts,
    warn_if_short,
)
from flashpoint.models.changepoints import _sweep
from flashpoint.models.changepoints._frames import (
    CHANGE_COLUMNS,
    DAILY_COLUMNS,
    NCHANGE_COLUMNS,
    OVERVIEW_COLUMNS,
    SEGMENT_COLUMNS,
    SIZE_COLUMNS,
    Segmentation,
    series_frames,
)
from flashpoint.models.changepoints._pelt import (
    estimate_size,
    garwood,
    nb_exact_interval,
    pelt,
    penalty_value,
    segment_cost,
)
from flashpoint.models.changepoints._posterior import FULL_GRID_N, SIZE_GRID, fit_posterior
from flashpoint.models.changepoints._result import ChangepointResult
from flashpoint.schemas import DATE

__all__ = ["check_memory", "detect_changepoints", "estimate_bytes"]

METHODS = ("bayes", "pelt")
FAMILIES = ("poisson", "negbin")
PENALTIES = ("bic", "mbic")
MAX_SIZE = 1e5
"""Cap of an estimated negative-binomial size for PELT (no overdispersion: Poisson limit)."""
_MAX_TOTAL = 2**53  # counts beyond this are not exact in float64


@dataclass(frozen=True, slots=True)
class Settings:
    """Checked arguments of :func:`detect_changepoints`."""

    method: str
    family: str
    size: float | None
    expected_changes: float
    prior_shape: float
    prior_mean: float | None
    penalty: str | float
    min_size: int
    alpha: float


def detect_changepoints(
    counts: pd.DataFrame,
    *,
    by: str | None = None,
    method: str = "bayes",
    family: str = "poisson",
    size: float | None = None,
    expected_changes: float | None = None,
    prior_shape: float | None = None,
    prior_mean: float | None = None,
    penalty: str | float | None = None,
    min_size: int = 1,
    alpha: float = 0.05,
    progress: bool = False,
) -> ChangepointResult:
    r"""Find the dates where the rate of a count series changes, per group.

    Two methods on the same model, a piecewise-constant rate:

    * ``method="bayes"`` (default): Bayesian change-point analysis of the product-partition
      model. It gives the posterior probability of a change on every date, the posterior
      distribution of the number of change points, the most probable (MAP) segmentation
      and the segment rates with credible intervals. No sampling: sums over all
      segmentations by dynamic programming, with start points dropped only when their
      contribution is certified to be negligible (the bound is reported: ``approx_error``,
      typically below 1e-9; the MAP is exact). The prior mean of the segment rates is the
      series' mean count unless given (*empirical Bayes*); with ``family="negbin"`` the size
      is integrated over a grid, not plugged in. Time grows with the series length times
      the longest stretch without a clear change: 36,500 daily counts with a change every
      year or two take about a second; a long series with few, weak changes takes longer.
    * ``method="pelt"``: penalised maximum likelihood by PELT, the exact optimum of
      ``-2 log L + penalty x (number of changes)`` in about linear time; segments with
      exact confidence intervals.

    Parameters
    ----------
    counts
        Tidy counts: ``date``, an optional group column and ``count``, as from
        :func:`flashpoint.count_daily`. Every group is analysed separately; groups without
        any event are left out with an :class:`~flashpoint.errors.AllZeroGroupWarning`.
    by
        Group column (found by elimination when ``None``).
    method
        ``"bayes"`` or ``"pelt"``.
    family
        ``"poisson"`` (default) or ``"negbin"`` (negative binomial,
        ``Var = mu + mu**2 / size``). Unlike the other models the default is Poisson: its
        segment likelihoods are exact and conjugate (no size to estimate or integrate
        over), and the fit warns (:class:`~flashpoint.errors.OverdispersionWarning`) when
        the counts vary more than Poisson allows; then pass ``family="negbin"``.
    size
        Negative-binomial size; ``None``: with bayes, integrated over a grid of sizes
        (0.25 to 1024 by factors of 2 and the Poisson limit, uniform prior; the posterior
        is in ``result.size_posterior``); with PELT, estimated by maximum likelihood within
        the segments of a preliminary PELT segmentation. Only with ``family="negbin"``.
    expected_changes
        Bayes only. Prior expected number of change points per series (default 1.0): each
        of the ``n - 1`` boundaries between consecutive periods is a change with probability
        ``p = expected_changes / (n - 1)``, independently, so the prior number of changes is
        Binomial(n - 1, p) with mean ``expected_changes`` whatever the length: a short
        series gets no more prior changes than a long one.
    prior_shape
        Bayes only. Shape ``a`` of the prior of a segment's rate (default 1.0: an
        exponential prior, vague over a factor of about 40 either side of its mean).
    prior_mean
        Bayes only. Prior mean rate of a segment (events per period); default: the group's
        mean count (empirical Bayes).
    penalty
        PELT only. ``"mbic"`` (default; Zhang & Siegmund 2007), ``"bic"`` (``2 log n`` per
        change) or a non-negative number (per change, on the ``-2 log L`` scale).
    min_size
        Minimum segment length in periods (default 1). Both methods.
    alpha
        Intervals are at level ``1 - alpha`` (default 0.05: 95%).
    progress
        Show a progress bar over the groups (``tqdm.auto``, on standard error): worth it
        for many groups or long series.

    Returns
    -------
    ChangepointResult
        ``summary()``: one row per group and segment with ``segment``, ``start``, ``end``,
        ``periods``, ``total``, ``rate``, ``rate_lower``, ``rate_upper`` (events per
        period), ``conf_level``, ``prob_change``. Fields ``daily`` (per date:
        ``prob_change``, segment rate, ...), ``n_changes`` (posterior of the number of
        change points), ``changes`` (one row per change), ``overview`` (one row per group,
        with ``approx_error``) and ``size_posterior`` (bayes, negbin); ``change_near(date,
        within=k)`` answers "is there a change within k days of this event?". See
        :class:`ChangepointResult` for every column.

    Raises
    ------
    FlashpointValueError
        On a bad counts table (see :func:`flashpoint.models._base.split_counts`), a series
        shorter than ``max(3, 2 * min_size)``, counts too large for exact arithmetic, a bad
        ``alpha`` / ``min_size``, or a call that would need more memory than
        ``flashpoint.limits.MAX_BYTES`` (the message names the size and how to
        reduce it).
    ModelSpecError
        On an unknown ``method``, ``family`` or ``penalty``, a prior setting or size out of
        range, or an argument given to the method that does not use it.

    See Also
    --------
    flashpoint.count_daily : builds the counts.
    ChangepointResult.change_near : posterior mass of a change around an event.
    flashpoint.plots.changepoints.plot_changepoints : the figure.

    Notes
    -----
    The model: periods ``1..n`` fall into consecutive segments; within segment ``j`` the
    counts are independent, ``y_t ~ Poisson(lambda_j)`` or ``NB(r, q_j)`` with mean
    ``mu_j = r (1 - q_j) / q_j``.

    *Bayes.* Priors: each boundary is a change with probability ``p`` (above; segments
    shorter than ``min_size`` are excluded and the prior renormalised);
    ``lambda_j ~ Gamma(a, a / m0)`` (shape ``a = prior_shape``, mean ``m0 = prior_mean``),
    or ``q_j ~ Beta(1 + a r / m0, a)``, whose implied prior mean of ``mu_j`` is ``m0`` and
    which tends to the Gamma prior as ``r -> inf``. Both are conjugate, so a segment's
    marginal likelihood depends only on its total ``S`` and length ``m``, e.g. for Poisson

    .. math:: L(S, m) = \frac{b^a}{\Gamma(a)} \frac{\Gamma(a + S)}{(b + m)^{a + S}}
              \prod_t \frac{1}{y_t!}, \qquad b = a / m_0,

    and the forward sums ``A(t) = sum_s A(s) w(s) (1 - p)^{t-s-1} L(s+1..t)`` (``w(0) = 1``,
    ``w(s) = p``) and the same backward sums give the posterior probability of a change at
    every boundary and, tracking the number of segments, of every number of changes
    (Fearnhead 2006). The MAP segmentation maximises prior x marginal likelihood (the same
    recursion with max for sum). Segment rates are the posterior means given the MAP
    segmentation, ``(a + S) / (b + m)``, with equal-tailed Gamma (Beta for NB; a mixture
    over the size grid) credible intervals.

    *Exactness.* A start ``s`` is dropped from the sums at time ``t`` only when
    ``rho = P_t(s) (1 - p) / p sup_theta f(y_{s+1..t} | theta) / L(s+1..t) < 1e-12``
    (``P_t(s)``: the filtering probability of the start). Because a segment's marginal
    likelihood is at most the product of its parts' times that sup ratio, the posterior
    mass of the segmentations that need a dropped start is at most the sum of ``rho``
    times the posterior probability of a change at ``t``: ``approx_error`` in
    ``overview`` is that bound (to first order, plus the weight of sizes left out of the
    mixture), a bound on the total-variation distance between the reported and the exact
    posterior. A start stays while the MAP recursion could still use it, so the MAP is
    exact. Stretches with a clear change are pruned; stretches without one are not (the
    posterior spreads over them), hence the cost above.

    *PELT* (Killick, Fearnhead & Eckley 2012) minimises ``sum_j C(segment j) + beta k``
    with ``C = -2`` times the maximised segment log likelihood (Poisson or NB with size
    ``r``). ``"bic"``: ``beta = 2 log n`` (rate and location per change); ``"mbic"``:
    ``3 k log n + sum_j log(n_j / n)`` over the segment lengths ``n_j`` (Zhang & Siegmund
    2007). Intervals: Garwood (exact Poisson) or the exact NB interval of the segment
    total with known ``r``.

    Rates are per period of the counts; partial periods at the edges of resampled counts
    (the ``days`` column of :func:`flashpoint.resample`) are not adjusted for, so analyse
    daily counts or trim partial periods first.

    With ``family="poisson"`` an :class:`~flashpoint.errors.OverdispersionWarning` is
    raised when the counts vary more around their segment rates than Poisson allows
    (Pearson chi-square p < 0.01 and chi-square / df > 1.5): spurious changes are then
    likely; use ``family="negbin"``.

    References: P. Fearnhead (2006), Exact and efficient Bayesian inference for multiple
    changepoint problems, Statistics and Computing 16:203-213. R. Killick, P. Fearnhead,
    I. A. Eckley (2012), Optimal detection of changepoints with a linear computational
    cost, JASA 107:1590-1598. N. R. Zhang, D. O. Siegmund (2007), A modified Bayes
    information criterion with applications to the analysis of comparative genomic
    hybridization data, Biometrics 63:22-32. F. Garwood (1936), Fiducial limits for the
    Poisson distribution, Biometrika 28:437-442.

    Examples
    --------
    Simulated counts (not real data) whose rate jumps from 1 to 5 a day on 2024-01-31:

    >>> import numpy as np, pandas as pd
    >>> from flashpoint.models.changepoints import detect_changepoints
    >>> rng = np.random.default_rng(7)
    >>> simulated = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=60),
    ...                           "count": rng.poisson(np.r_[[1.0] * 30, [5.0] * 30])})
    >>> res = detect_changepoints(simulated)
    >>> res.changes["date"].dt.date.tolist()
    [datetime.date(2024, 1, 31)]
    >>> res.summary()[["start", "periods", "total", "conf_level"]]
           start  periods  total  conf_level
    0 2024-01-01       30     28        0.95
    1 2024-01-31       30    159        0.95
    >>> round(float(res.n_changes["posterior"].iloc[1]), 2)  # P(exactly one change)
    0.74
    >>> pelt = detect_changepoints(simulated, method="pelt")
    >>> pelt.changes["date"].dt.date.tolist()
    [datetime.date(2024, 1, 31)]
    """
    cfg = check_settings(
        method=method,
        family=family,
        size=size,
        expected_changes=expected_changes,
        prior_shape=prior_shape,
        prior_mean=prior_mean,
        penalty=penalty,
        min_size=min_size,
        alpha=alpha,
    )
    by, freq, series = split_counts(counts, by=by, drop_all_zero=True)
    for s in series:
        check_series(s, cfg)
    check_memory(series, cfg)
    fits = [fit_series(s, cfg) for s in track(series, desc="change points", progress=progress)]
    parts = [
        series_frames(s, seg, family=cfg.family, alpha=cfg.alpha, min_size=cfg.min_size)
        for s, seg in zip(series, fits, strict=True)
    ]
    return _assemble(parts, fits, by=by, freq=freq, groups=tuple(s.group for s in series), cfg=cfg)


# ------------------------------------------------------------------------------ settings
def check_settings(
    *,
    method: Any,
    family: Any,
    size: Any,
    expected_changes: Any,
    prior_shape: Any,
    prior_mean: Any,
    penalty: Any,
    min_size: Any,
    alpha: Any,
) -> Settings:
    """Check the arguments once; every error says what was expected, found and the fix."""
    method = check_choice("method", method, METHODS)
    family = check_choice("family", family, FAMILIES)
    alpha = check_alpha(alpha)
    if isinstance(min_size, bool) or not isinstance(min_size, int | np.integer) or min_size < 1:
        raise FlashpointValueError(
            f"min_size must be a whole number of periods >= 1, got {min_size!r}"
        )
    if size is not None:
        if family != "negbin":
            raise ModelSpecError(
                f"size={size!r} is the negative-binomial size; it needs family='negbin' "
                f"(got family={family!r})"
            )
        size = _number("size", size, 1e-6, 1e8, "for no overdispersion use family='poisson'")
    bayes_only = {
        "expected_changes": expected_changes,
        "prior_shape": prior_shape,
        "prior_mean": prior_mean,
    }
    if method == "pelt":
        given = [k for k, v in bayes_only.items() if v is not None]
        if given:
            raise ModelSpecError(
                f"{', '.join(given)} set the Bayesian prior; they have no effect with "
                "method='pelt' (drop them, or use method='bayes')"
            )
        penalty = _check_penalty("mbic" if penalty is None else penalty)
    elif penalty is not None:
        raise ModelSpecError(
            f"penalty={penalty!r} applies to method='pelt' only; with method='bayes' "
            "set the prior with expected_changes= instead"
        )
    return Settings(
        method=method,
        family=family,
        size=size,
        expected_changes=_number(
            "expected_changes",
            1.0 if expected_changes is None else expected_changes,
            1e-6,
            math.inf,
            "1.0 (the default) expects one change per series",
        ),
        prior_shape=_number(
            "prior_shape",
            1.0 if prior_shape is None else prior_shape,
            1e-3,
            1e6,
            "1.0 (the default) is an exponential prior",
        ),
        prior_mean=None
        if prior_mean is None
        else _number("prior_mean", prior_mean, 1e-9, 1e12, "leave it None to use the mean count"),
        penalty=penalty if method == "pelt" else "",
        min_size=int(min_size),
        alpha=alpha,
    )


def _number(name: str, value: Any, lo: float, hi: float, fix: str) -> float:
    """Return a finite number in ``[lo, hi]``; else raise a ModelSpecError (what, found, fix)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ModelSpecError(f"{name} must be a positive number, got {value!r} ({fix})")
    v = float(value)
    if not math.isfinite(v) or not lo <= v <= hi:
        span = f">= {lo:g}" if hi == math.inf else f"between {lo:g} and {hi:g}"
        raise ModelSpecError(
            f"{name} must be a positive, finite number {span}, got {value!r} ({fix})"
        )
    return v


def _check_penalty(penalty: Any) -> str | float:
    if isinstance(penalty, str):
        if penalty.lower() not in PENALTIES:
            raise ModelSpecError(
                f"penalty must be 'mbic', 'bic' or a number >= 0 (per change, on the -2 log L "
                f"scale); got {penalty!r}"
            )
        return penalty.lower()
    if isinstance(penalty, bool) or not isinstance(penalty, int | float | np.integer | np.floating):
        raise FlashpointTypeError(
            f"penalty must be 'mbic', 'bic' or a number, got {type(penalty).__name__}"
        )
    if not math.isfinite(float(penalty)) or float(penalty) < 0:
        raise ModelSpecError(f"a numeric penalty must be finite and >= 0, got {penalty!r}")
    return float(penalty)


def check_series(s: CountSeries, cfg: Settings) -> None:
    """Length, prior and count-size checks of one series (and the short-series warning)."""
    where = "" if s.group is None else f" (group {s.group!r})"
    need = max(3, 2 * cfg.min_size)
    if s.n < need:
        raise FlashpointValueError(
            f"series too short for change points{where}: {s.n} periods, at least {need} "
            f"are needed (2 x min_size={cfg.min_size}, and 3 at least); use a longer window "
            "or a smaller min_size"
        )
    if cfg.method == "bayes" and cfg.expected_changes >= s.n - 1:
        raise ModelSpecError(
            f"expected_changes={cfg.expected_changes} must be below the number of "
            f"boundaries n - 1 = {s.n - 1}{where}"
        )
    total = int(s.y.sum())
    if total >= _MAX_TOTAL // max(s.n, 1):
        raise FlashpointValueError(
            f"counts too large for exact arithmetic{where}: {total:,} events in {s.n} "
            f"periods (at most {_MAX_TOTAL // max(s.n, 1):,}); rescale the counts or use "
            "shorter series"
        )
    warn_if_short(s, 30, "change-point detection")


def estimate_bytes(n: int, total: int, cfg: Settings) -> int:
    """Peak memory of one series' analysis (bytes), before anything is allocated.

    Linear in the length: per period, the output frames (16 values), one pass's state
    (12), the number-of-changes ring (128, its widest), the segment tables (6), the
    posteriors kept (10) and the backward passes of the NB sizes evaluated (9); plus the
    block work arrays (bounded by ``_sweep.MAX_CELLS``) and the lgamma table (at most
    2**22 values).
    """
    out = 8 * 16 * n
    if cfg.method == "pelt":
        return out + 8 * 14 * n
    per_period = 8 * (12 + 128 + 6 + 10 + 9)
    tables = 8 * min(total + 1, 1 << 22)
    blocks = 8 * 8 * _sweep.MAX_CELLS
    return out + per_period * (n + 1) + tables + blocks


def check_memory(series: list[CountSeries], cfg: Settings) -> None:
    """Raise before allocating when a series would need more than the memory budget."""
    for s in series:
        need = estimate_bytes(s.n, int(s.y.sum()), cfg)
        where = "" if s.group is None else f" of group {s.group!r}"
        pelt = estimate_bytes(s.n, 0, Settings(**{**_as_dict(cfg), "method": "pelt"}))
        budget_check(
            need,
            f"detect_changepoints on the {s.n:,} periods{where}",
            f"Analyse coarser counts (e.g. fp.resample(counts, 'W')) or a shorter window, or "
            f"use method='pelt' (about {_gib(pelt)}).",
        )


def _as_dict(cfg: Settings) -> dict[str, Any]:
    return {f: getattr(cfg, f) for f in Settings.__slots__}


def _gib(nbytes: float) -> str:
    return (
        f"{nbytes / 1024**3:.2f} GiB" if nbytes >= 1024**3 / 100 else f"{nbytes / 1024**2:.1f} MiB"
    )


# ------------------------------------------------------------------------------ fitting
def fit_series(s: CountSeries, cfg: Settings) -> Segmentation:
    """Fit the point segmentation (and, for bayes, the posterior) of one series."""
    return _fit_bayes(s, cfg) if cfg.method == "bayes" else _fit_pelt(s, cfg)


def _pilot_size(y: np.ndarray, min_size: int) -> float:
    """NB size by ML within a PELT segmentation (Poisson first, then NB; two rounds)."""
    cum = np.concatenate([[0], np.cumsum(y, dtype=np.int64)])
    beta, mbic = penalty_value("mbic", y.size)
    changes, _ = pelt(cum, segment_cost("poisson", None), beta, min_size=min_size, mbic=mbic)
    r = estimate_size(y, changes)
    for _ in range(2):
        if not math.isfinite(r):
            break
        changes, _ = pelt(cum, segment_cost("negbin", r), beta, min_size=min_size, mbic=mbic)
        r = estimate_size(y, changes)
    return min(r, MAX_SIZE)


def _quick_size(y: np.ndarray) -> float:
    """Moment estimate of the NB size from consecutive differences (robust to few changes).

    ``E[(y_t - y_{t-1})^2] / 2 = mu + mu^2 / r`` and ``E[y_t y_{t-1}] = mu^2`` where the
    rate does not change between t - 1 and t. Only the starting point of the search for
    the size of largest marginal likelihood.
    """
    yf = y.astype(np.float64)
    half_d2 = 0.5 * float(np.mean(np.diff(yf) ** 2))
    extra = half_d2 - float(yf.mean())
    lag = float(np.mean(yf[1:] * yf[:-1]))
    return lag / extra if extra > 0 and lag > 0 else math.inf


def _fit_bayes(s: CountSeries, cfg: Settings) -> Segmentation:
    y, n = s.y, s.n
    m0 = cfg.prior_mean if cfg.prior_mean is not None else float(y.mean())
    p = cfg.expected_changes / (n - 1)
    integrate = cfg.family == "negbin" and cfg.size is None
    pilot = _quick_size(y) if integrate and n > FULL_GRID_N else SIZE_GRID[-1]
    post = fit_posterior(
        y,
        cfg.family,
        shape=cfg.prior_shape,
        mean=m0,
        size=cfg.size,
        p=p,
        min_size=cfg.min_size,
        pilot_size=pilot,
    )
    cum = np.concatenate([[0], np.cumsum(y, dtype=np.int64)])
    starts = np.concatenate([[0], post.map_changes])
    ends = np.concatenate([post.map_changes, [n]])
    rate, lo, hi = post.rates(cum[ends] - cum[starts], ends - starts, cfg.alpha)
    size = math.nan if cfg.family == "poisson" else post.size
    return Segmentation(
        changes=post.map_changes,
        rate=rate,
        lower=lo,
        upper=hi,
        size=size,
        size_method=post.size_method,
        prior_mean=m0,
        penalty=math.nan,
        posterior=post,
        p=p,
    )


def _fit_pelt(s: CountSeries, cfg: Settings) -> Segmentation:
    y, n = s.y, s.n
    r = None
    if cfg.family == "negbin":
        r = cfg.size if cfg.size is not None else _pilot_size(y, cfg.min_size)
    cum = np.concatenate([[0], np.cumsum(y, dtype=np.int64)])
    beta, mbic = penalty_value(cfg.penalty, n)
    changes, _ = pelt(cum, segment_cost(cfg.family, r), beta, min_size=cfg.min_size, mbic=mbic)
    starts = np.concatenate([[0], changes])
    ends = np.concatenate([changes, [n]])
    S, m = cum[ends] - cum[starts], ends - starts
    if r is None:
        lo, hi = garwood(S, m, cfg.alpha)
    else:
        lo, hi = nb_exact_interval(S, m, r, cfg.alpha)
    method = "" if r is None else ("given" if cfg.size is not None else "maximum likelihood")
    return Segmentation(
        changes=changes,
        rate=S / m,
        lower=lo,
        upper=hi,
        size=math.nan if r is None else float(r),
        size_method=method,
        prior_mean=math.nan,
        penalty=beta,
        posterior=None,
        p=math.nan,
    )


# ------------------------------------------------------------------------------ result
def _assemble(
    parts: list[dict[str, pd.DataFrame]],
    fits: list[Segmentation],
    *,
    by: str | None,
    freq: str,
    groups: tuple[Hashable | None, ...],
    cfg: Settings,
) -> ChangepointResult:
    def cat(key: str, columns: list[str]) -> pd.DataFrame:
        frames = [p[key] for p in parts if len(p[key])]
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
        return out.drop(columns="_group") if by is None else out.rename(columns={"_group": by})

    daily = cat("daily", DAILY_COLUMNS)
    if by is not None:
        daily = daily[[DATE, by] + [c for c in daily.columns if c not in (DATE, by)]]
    bayes = cfg.method == "bayes"
    return ChangepointResult(
        method=cfg.method,
        family=cfg.family,
        by=by,
        groups=groups,
        freq=freq,
        alpha=cfg.alpha,
        min_size=cfg.min_size,
        penalty=None if bayes else cfg.penalty,
        expected_changes=cfg.expected_changes if bayes else None,
        prior_shape=cfg.prior_shape if bayes else None,
        prior_mean=cfg.prior_mean,
        segments=cat("segments", SEGMENT_COLUMNS),
        daily=daily,
        n_changes=cat("n_changes", NCHANGE_COLUMNS),
        changes=cat("changes", CHANGE_COLUMNS),
        overview=cat("overview", OVERVIEW_COLUMNS),
        size_posterior=cat("sizes", SIZE_COLUMNS),
        _fits=tuple(seg.posterior for seg in fits),
    )
