"""detect_changepoints: input checks, per-group analysis and the tidy output frames."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.errors import (
    FlashpointTypeError,
    FlashpointValueError,
    ModelSpecError,
    OverdispersionWarning,
)
from flashpoint.models._base import (
    CountSeries,
    check_alpha,
    check_choice,
    split_counts,
    warn,
    warn_if_short,
)
from flashpoint.models.changepoints._bayes import (
    BayesFit,
    SegmentModel,
    bayes_fit,
    prior_n_changes,
)
from flashpoint.models.changepoints._pelt import (
    estimate_size,
    garwood,
    nb_exact_interval,
    pelt,
    penalty_value,
    segment_cost,
)
from flashpoint.models.changepoints._result import ChangepointResult
from flashpoint.schemas import COUNT, DATE

stats = lazy_module("scipy.stats")

__all__ = ["detect_changepoints"]

METHODS = ("bayes", "pelt")
FAMILIES = ("poisson", "negbin")
PENALTIES = ("bic", "mbic")
MAX_SIZE = 1e5
"""Cap of an estimated negative-binomial size (no overdispersion: the Poisson limit)."""


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
) -> ChangepointResult:
    r"""Find the dates where the rate of a count series changes, per group.

    Two methods on the same model, a piecewise-constant rate:

    * ``method="bayes"`` (default): exact Bayesian change-point analysis. It gives the
      posterior probability of a change on every date, the posterior distribution of the
      number of change points, the most probable (MAP) segmentation and the segment rates
      with credible intervals. Exact: sums over all segmentations by dynamic programming,
      no sampling. Time grows with the square of the series length (10,000 daily counts
      take about a second).
    * ``method="pelt"``: penalised maximum likelihood by PELT, the exact optimum of
      ``-2 log L + penalty x (number of changes)`` in about linear time; segments with
      exact confidence intervals. For long series (100,000 points in about a second).

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
        ``"poisson"`` or ``"negbin"`` (negative binomial with size ``size``).
    size
        Negative-binomial size ``r`` (``Var = mu + mu**2 / r``); ``None`` estimates it per
        group by maximum likelihood within the segments of a preliminary PELT segmentation
        (two rounds; capped at 1e5, the Poisson limit). Only with ``family="negbin"``.
    expected_changes
        Bayes only. Prior expected number of change points per series (default 1.0): each
        of the ``n - 1`` boundaries between consecutive periods is a change with probability
        ``p = expected_changes / (n - 1)``, independently (so the prior number of changes is
        Binomial(n - 1, p)).
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

    Returns
    -------
    ChangepointResult
        ``summary()``: one row per group and segment with ``segment``, ``start``, ``end``,
        ``periods``, ``total``, ``rate``, ``rate_lower``, ``rate_upper`` (events per
        period), ``conf_level``, ``prob_change``. Fields ``daily`` (per date:
        ``prob_change``, segment rate, ...), ``n_changes`` (posterior of the number of
        change points), ``changes`` (one row per change) and ``overview`` (one row per
        group); ``change_near(date, within=k)`` answers "is there a change within k days of
        this event?". See :class:`ChangepointResult` for every column.

    Raises
    ------
    FlashpointValueError
        On a bad counts table (see :func:`flashpoint.models._base.split_counts`), a series
        shorter than ``max(3, 2 * min_size)``, or a bad ``alpha`` / ``min_size``.
    ModelSpecError
        On an unknown ``method``, ``family`` or ``penalty``, a non-positive prior setting or
        size, or an argument given to the method that does not use it.

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
    ``w(s) = p``) and the same backward sums give, exactly, the posterior probability of
    a change at every boundary and, tracking the number of segments, of every number of
    changes (Fearnhead 2006). The MAP segmentation maximises prior x marginal likelihood
    (the same recursion with max for sum). Segment rates are the posterior means given the
    MAP segmentation, ``(a + S) / (b + m)``, with equal-tailed Gamma (Beta for NB) credible
    intervals. Every sum is computed in log space in O(n^2) time; starts whose weight is
    below 1e-20 of a block's largest are left out of the product that counts changes only
    (error below 1e-12 in ``n_changes``; the other outputs have no such cut).

    *PELT* (Killick, Fearnhead & Eckley 2012) minimises ``sum_j C(segment j) + beta k``
    with ``C = -2`` times the maximised segment log likelihood (Poisson or NB with size
    ``r``). ``"bic"``: ``beta = 2 log n`` (rate and location per change); ``"mbic"``:
    ``3 k log n + sum_j log(n_j / n)`` over the segment lengths ``n_j`` (Zhang & Siegmund
    2007), which penalises changes near the ends of the series less and short segments in
    the middle more. Intervals: Garwood (exact Poisson) or the exact NB interval of the
    segment total with known ``r``.

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
    method = check_choice("method", method, METHODS)
    family = check_choice("family", family, FAMILIES)
    alpha = check_alpha(alpha)
    if isinstance(min_size, bool) or not isinstance(min_size, int | np.integer) or min_size < 1:
        raise FlashpointValueError(
            f"min_size must be a whole number of periods >= 1, got {min_size!r}"
        )
    min_size = int(min_size)
    if size is not None:
        if family != "negbin":
            raise ModelSpecError(
                f"size={size!r} is the negative-binomial size; it needs family='negbin' "
                f"(got family={family!r})"
            )
        size = _positive("size", size)
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
    else:
        if penalty is not None:
            raise ModelSpecError(
                f"penalty={penalty!r} applies to method='pelt' only; with method='bayes' "
                "set the prior with expected_changes= instead"
            )
        expected_changes = _positive(
            "expected_changes", 1.0 if expected_changes is None else expected_changes
        )
        prior_shape = _positive("prior_shape", 1.0 if prior_shape is None else prior_shape)
        if prior_mean is not None:
            prior_mean = _positive("prior_mean", prior_mean)

    by, freq, series = split_counts(counts, by=by, drop_all_zero=True)
    need = max(3, 2 * min_size)
    for s in series:
        if s.n < need:
            where = "" if s.group is None else f" (group {s.group!r})"
            raise FlashpointValueError(
                f"series too short for change points{where}: {s.n} periods, at least {need} "
                f"are needed (2 x min_size={min_size}, and 3 at least); use a longer window "
                "or a smaller min_size"
            )
        if method == "bayes" and expected_changes is not None and expected_changes >= s.n - 1:
            where = "" if s.group is None else f" (group {s.group!r})"
            raise ModelSpecError(
                f"expected_changes={expected_changes} must be below the number of boundaries "
                f"n - 1 = {s.n - 1}{where}"
            )
        warn_if_short(s, 30, "change-point detection")

    parts = [
        _analyse(
            s,
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
        for s in series
    ]

    def cat(key: str, columns: list[str]) -> pd.DataFrame:
        frames = [p[key] for p in parts if len(p[key])]
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
        return out.drop(columns="_group") if by is None else out.rename(columns={"_group": by})

    return ChangepointResult(
        method=method,
        family=family,
        by=by,
        groups=tuple(s.group for s in series),
        freq=freq,
        alpha=alpha,
        min_size=min_size,
        penalty=penalty if method == "pelt" else None,
        expected_changes=expected_changes if method == "bayes" else None,
        prior_shape=prior_shape if method == "bayes" else None,
        prior_mean=prior_mean,
        segments=cat("segments", _SEGMENT_COLUMNS),
        daily=_reorder(cat("daily", _DAILY_COLUMNS), by),
        n_changes=cat("n_changes", _NCHANGE_COLUMNS),
        changes=cat("changes", _CHANGE_COLUMNS),
        overview=cat("overview", _OVERVIEW_COLUMNS),
        _fits=tuple(p["fit"] for p in parts),
    )


_SEGMENT_COLUMNS = [
    "_group", "segment", "start", "end", "periods", "total", "rate", "rate_lower",
    "rate_upper", "conf_level", "prob_change",
]  # fmt: skip
_DAILY_COLUMNS = [
    DATE, "_group", COUNT, "segment", "rate", "rate_lower", "rate_upper", "prob_change",
    "change",
]  # fmt: skip
_NCHANGE_COLUMNS = ["_group", "n_changes", "prior", "posterior"]
_CHANGE_COLUMNS = ["_group", DATE, "prob_change", "rate_before", "rate_after", "rate_ratio"]
_OVERVIEW_COLUMNS = [
    "_group", "n_obs", "n_changes", "prob_any_change", "prior_any_change", "mean_changes",
    "log_evidence", "prior_mean", "size", "penalty_value", "dispersion",
]  # fmt: skip


def _reorder(frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Put ``date`` first and the group column second (the counts' layout)."""
    if by is None:
        return frame
    cols = [DATE, by] + [c for c in frame.columns if c not in (DATE, by)]
    return frame[cols]


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ModelSpecError(f"{name} must be a positive number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ModelSpecError(f"{name} must be a positive, finite number, got {value!r}")
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


def _segment_bounds(changes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    starts = np.concatenate([[0], changes]).astype(np.int64)
    ends = np.concatenate([changes, [n]]).astype(np.int64)  # exclusive
    return starts, ends


def _fit_size(y: np.ndarray, cum: np.ndarray, min_size: int) -> float:
    """NB size by ML within a PELT segmentation (Poisson first, then NB; two rounds)."""
    n = y.size
    beta, mbic = penalty_value("mbic", n)
    changes, _ = pelt(cum, segment_cost("poisson", None), beta, min_size=min_size, mbic=mbic)
    r = estimate_size(y, changes)
    for _ in range(2):
        if not math.isfinite(r):
            break
        changes, _ = pelt(cum, segment_cost("negbin", r), beta, min_size=min_size, mbic=mbic)
        r = estimate_size(y, changes)
    return min(r, MAX_SIZE)


def _analyse(
    s: CountSeries,
    *,
    method: str,
    family: str,
    size: float | None,
    expected_changes: float | None,
    prior_shape: float | None,
    prior_mean: float | None,
    penalty: str | float | None,
    min_size: int,
    alpha: float,
) -> dict[str, Any]:
    y = s.y
    n = y.size
    cum = np.concatenate([[0], np.cumsum(y, dtype=np.int64)])
    r = None
    if family == "negbin":
        r = size if size is not None else _fit_size(y, cum, min_size)
    fit: BayesFit | None = None
    beta = math.nan
    m0 = math.nan
    if method == "bayes":
        assert expected_changes is not None
        assert prior_shape is not None
        m0 = prior_mean if prior_mean is not None else float(y.mean())
        model = SegmentModel(family, shape=prior_shape, mean=m0, size=r, n=n, total=int(cum[-1]))
        fit = bayes_fit(y, model, p=expected_changes / (n - 1), min_size=min_size)
        changes = fit.map_changes
        starts, ends = _segment_bounds(changes, n)
        S, m = cum[ends] - cum[starts], ends - starts
        rate, lo, hi = model.rate_posterior(S, m, alpha)
        start_prob = np.where(starts > 0, fit.prob_change[starts], np.nan)
    else:
        assert penalty is not None
        beta, mbic = penalty_value(penalty, n)
        changes, _ = pelt(cum, segment_cost(family, r), beta, min_size=min_size, mbic=mbic)
        starts, ends = _segment_bounds(changes, n)
        S, m = cum[ends] - cum[starts], ends - starts
        rate = S / m
        if family == "poisson":
            lo, hi = garwood(S, m, alpha)
        else:
            assert r is not None
            lo, hi = nb_exact_interval(S, m, r, alpha)
        start_prob = np.full(starts.size, np.nan)

    dates = s.dates
    k = starts.size
    seg_id = np.repeat(np.arange(1, k + 1), m)
    segments = pd.DataFrame(
        {
            "_group": [s.group] * k,
            "segment": np.arange(1, k + 1),
            "start": dates[starts],
            "end": dates[ends - 1],
            "periods": m.astype(np.int64),
            "total": S.astype(np.int64),
            "rate": rate,
            "rate_lower": lo,
            "rate_upper": hi,
            "conf_level": 1.0 - alpha,
            "prob_change": start_prob,
        }
    )
    is_change = np.zeros(n, dtype=bool)
    is_change[changes] = True
    daily = pd.DataFrame(
        {
            DATE: dates,
            "_group": [s.group] * n,
            COUNT: y,
            "segment": seg_id,
            "rate": np.repeat(rate, m),
            "rate_lower": np.repeat(lo, m),
            "rate_upper": np.repeat(hi, m),
            "prob_change": fit.prob_change if fit is not None else np.full(n, np.nan),
            "change": is_change,
        }
    )
    changes_frame = pd.DataFrame(
        {
            "_group": [s.group] * (k - 1),
            DATE: dates[starts[1:]],
            "prob_change": start_prob[1:],
            "rate_before": rate[:-1],
            "rate_after": rate[1:],
            "rate_ratio": rate[1:] / np.where(rate[:-1] > 0, rate[:-1], np.nan),
        }
    )
    n_changes = pd.DataFrame(columns=_NCHANGE_COLUMNS)
    prob_any = prior_any = mean_changes = log_ev = math.nan
    if fit is not None:
        post = fit.prob_n_changes
        kk = np.arange(post.size)
        keep = int(np.flatnonzero(post > 1e-12).max()) + 1 if (post > 1e-12).any() else 1
        n_changes = pd.DataFrame(
            {
                "_group": [s.group] * keep,
                "n_changes": kk[:keep],
                "prior": prior_n_changes(n, fit.p, min_size, keep - 1),
                "posterior": post[:keep],
            }
        )
        prob_any = float(1.0 - post[0])
        prior_any = float(1.0 - prior_n_changes(n, fit.p, min_size, 0)[0])
        mean_changes = float(fit.prob_change.sum())
        log_ev = fit.log_evidence
    fitted = np.repeat(rate, m)
    dispersion = _dispersion(y, fitted, family, r, k)
    if family == "poisson" and dispersion.ratio > 1.5 and dispersion.p_value < 0.01:
        where = "" if s.group is None else f" in group {s.group!r}"
        warn(
            f"the counts{where} vary more around their segment rates than a Poisson model "
            f"allows (Pearson chi2/df = {dispersion.ratio:.2f}, p = {dispersion.p_value:.2g}); "
            "spurious change points are likely: use family='negbin'",
            OverdispersionWarning,
        )
    overview = pd.DataFrame(
        {
            "_group": [s.group],
            "n_obs": [n],
            "n_changes": [k - 1],
            "prob_any_change": [prob_any],
            "prior_any_change": [prior_any],
            "mean_changes": [mean_changes],
            "log_evidence": [log_ev],
            "prior_mean": [m0],
            "size": [math.nan if r is None else float(r)],
            "penalty_value": [beta],
            "dispersion": [dispersion.ratio],
        }
    )
    return {
        "segments": segments,
        "daily": daily,
        "changes": changes_frame,
        "n_changes": n_changes,
        "overview": overview,
        "fit": fit,
    }


class _Dispersion(NamedTuple):
    ratio: float
    p_value: float


def _dispersion(
    y: np.ndarray, mu: np.ndarray, family: str, r: float | None, n_segments: int
) -> _Dispersion:
    """Pearson chi-square / df of the counts around their segment rates."""
    var = mu if family == "poisson" or r is None else mu + mu**2 / r
    live = var > 0
    x2 = float((((y - mu) ** 2)[live] / var[live]).sum())
    df = int(live.sum()) - n_segments
    if df <= 0:
        return _Dispersion(math.nan, math.nan)
    return _Dispersion(x2 / df, float(stats.chi2.sf(x2, df)))
