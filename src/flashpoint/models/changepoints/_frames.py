"""The tidy frames of a change-point result, built from one series' fitted segmentation."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.errors import OverdispersionWarning
from flashpoint.models._base import CountSeries, warn
from flashpoint.models.changepoints._bayes import prior_n_changes
from flashpoint.models.changepoints._posterior import Posterior
from flashpoint.schemas import COUNT, DATE

stats = lazy_module("scipy.stats")

__all__ = [
    "CHANGE_COLUMNS",
    "DAILY_COLUMNS",
    "NCHANGE_COLUMNS",
    "OVERVIEW_COLUMNS",
    "SEGMENT_COLUMNS",
    "SIZE_COLUMNS",
    "Segmentation",
    "series_frames",
]

SEGMENT_COLUMNS = [
    "_group", "segment", "start", "end", "periods", "total", "rate", "rate_lower",
    "rate_upper", "conf_level", "prob_change",
]  # fmt: skip
DAILY_COLUMNS = [
    DATE, "_group", COUNT, "segment", "rate", "rate_lower", "rate_upper", "prob_change",
    "change",
]  # fmt: skip
NCHANGE_COLUMNS = ["_group", "n_changes", "prior", "posterior"]
CHANGE_COLUMNS = ["_group", DATE, "prob_change", "rate_before", "rate_after", "rate_ratio"]
OVERVIEW_COLUMNS = [
    "_group", "n_obs", "n_changes", "prob_any_change", "prior_any_change", "mean_changes",
    "log_evidence", "prior_mean", "size", "size_method", "penalty_value", "dispersion",
    "approx_error",
]  # fmt: skip
SIZE_COLUMNS = ["_group", "size", "log_evidence", "posterior"]


@dataclass(frozen=True, slots=True)
class Segmentation:
    """A point segmentation of one series with its segment rates and intervals."""

    changes: np.ndarray  # periods that start a new segment
    rate: np.ndarray  # per segment, events per period
    lower: np.ndarray
    upper: np.ndarray
    size: float  # NB size used (most probable one for bayes); NaN for Poisson
    size_method: str  # "given", "integrated", "empirical Bayes", "maximum likelihood" or ""
    prior_mean: float  # bayes: prior mean rate; NaN for PELT
    penalty: float  # PELT: penalty per change; NaN for bayes
    posterior: Posterior | None  # bayes only
    p: float  # bayes: prior change probability per boundary; NaN for PELT


def _bounds(changes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    starts = np.concatenate([[0], changes]).astype(np.int64)
    ends = np.concatenate([changes, [n]]).astype(np.int64)  # exclusive
    return starts, ends


def series_frames(
    s: CountSeries, seg: Segmentation, *, family: str, alpha: float, min_size: int
) -> dict[str, pd.DataFrame]:
    """Segments, daily, changes, n_changes, overview and size frames of one series."""
    n = s.y.size
    starts, ends = _bounds(seg.changes, n)
    post = seg.posterior
    start_prob = np.full(starts.size, np.nan)
    if post is not None:
        start_prob = np.where(starts > 0, post.prob_change[starts], np.nan)
    frames = {
        "segments": _segments(s, seg, starts, ends, start_prob, alpha),
        "daily": _daily(s, seg, starts, ends),
        "changes": _changes(s, seg, starts, start_prob),
    }
    frames["n_changes"] = _n_changes(s, seg, min_size)
    frames["sizes"] = _sizes(s, seg)
    frames["overview"] = _overview(s, seg, starts, ends, family, min_size)
    return frames


def _segments(
    s: CountSeries,
    seg: Segmentation,
    starts: np.ndarray,
    ends: np.ndarray,
    start_prob: np.ndarray,
    alpha: float,
) -> pd.DataFrame:
    cum = np.concatenate([[0], np.cumsum(s.y, dtype=np.int64)])
    k = starts.size
    return pd.DataFrame(
        {
            "_group": [s.group] * k,
            "segment": np.arange(1, k + 1),
            "start": s.dates[starts],
            "end": s.dates[ends - 1],
            "periods": (ends - starts).astype(np.int64),
            "total": (cum[ends] - cum[starts]).astype(np.int64),
            "rate": seg.rate,
            "rate_lower": seg.lower,
            "rate_upper": seg.upper,
            "conf_level": 1.0 - alpha,
            "prob_change": start_prob,
        }
    )


def _daily(s: CountSeries, seg: Segmentation, starts: np.ndarray, ends: np.ndarray) -> pd.DataFrame:
    n = s.y.size
    m = ends - starts
    is_change = np.zeros(n, dtype=bool)
    is_change[seg.changes] = True
    prob = seg.posterior.prob_change if seg.posterior is not None else np.full(n, np.nan)
    return pd.DataFrame(
        {
            DATE: s.dates,
            "_group": [s.group] * n,
            COUNT: s.y,
            "segment": np.repeat(np.arange(1, starts.size + 1), m),
            "rate": np.repeat(seg.rate, m),
            "rate_lower": np.repeat(seg.lower, m),
            "rate_upper": np.repeat(seg.upper, m),
            "prob_change": prob,
            "change": is_change,
        }
    )


def _changes(
    s: CountSeries, seg: Segmentation, starts: np.ndarray, start_prob: np.ndarray
) -> pd.DataFrame:
    rate = seg.rate
    k = starts.size
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = rate[1:] / np.where(rate[:-1] > 0, rate[:-1], np.nan)
    return pd.DataFrame(
        {
            "_group": [s.group] * (k - 1),
            DATE: s.dates[starts[1:]],
            "prob_change": start_prob[1:],
            "rate_before": rate[:-1],
            "rate_after": rate[1:],
            "rate_ratio": ratio,
        }
    )


def _n_changes(s: CountSeries, seg: Segmentation, min_size: int) -> pd.DataFrame:
    post = seg.posterior
    if post is None:
        return pd.DataFrame(columns=NCHANGE_COLUMNS)
    dist = post.prob_n_changes
    live = np.flatnonzero(dist > 1e-12)
    keep = int(live.max()) + 1 if live.size else 1
    return pd.DataFrame(
        {
            "_group": [s.group] * keep,
            "n_changes": np.arange(keep),
            "prior": prior_n_changes(s.y.size, seg.p, min_size, keep - 1),
            "posterior": dist[:keep],
        }
    )


def _sizes(s: CountSeries, seg: Segmentation) -> pd.DataFrame:
    post = seg.posterior
    if post is None or np.isnan(post.sizes).all():
        return pd.DataFrame(columns=SIZE_COLUMNS)
    k = post.sizes.size
    return pd.DataFrame(
        {
            "_group": [s.group] * k,
            "size": post.sizes,
            "log_evidence": post.size_log_evidence,
            "posterior": post.size_weight,
        }
    )


def _overview(
    s: CountSeries,
    seg: Segmentation,
    starts: np.ndarray,
    ends: np.ndarray,
    family: str,
    min_size: int,
) -> pd.DataFrame:
    n = s.y.size
    post = seg.posterior
    info: dict[str, Any] = dict.fromkeys(
        ("prob_any_change", "prior_any_change", "mean_changes", "log_evidence", "approx_error"),
        math.nan,
    )
    if post is not None:
        info.update(
            prob_any_change=float(1.0 - post.prob_n_changes[0]),
            prior_any_change=float(1.0 - prior_n_changes(n, seg.p, min_size, 0)[0]),
            mean_changes=float(post.prob_change.sum()),
            log_evidence=post.log_evidence,
            approx_error=post.approx_error,
        )
    dispersion = _dispersion(s, np.repeat(seg.rate, ends - starts), family, seg.size, starts.size)
    return pd.DataFrame(
        {
            "_group": [s.group],
            "n_obs": [n],
            "n_changes": [starts.size - 1],
            **{k: [info[k]] for k in ("prob_any_change", "prior_any_change", "mean_changes")},
            "log_evidence": [info["log_evidence"]],
            "prior_mean": [seg.prior_mean],
            "size": [seg.size],
            "size_method": [seg.size_method],
            "penalty_value": [seg.penalty],
            "dispersion": [dispersion],
            "approx_error": [info["approx_error"]],
        }
    )


class _Dispersion(NamedTuple):
    ratio: float
    p_value: float


def _dispersion(s: CountSeries, mu: np.ndarray, family: str, size: float, n_segments: int) -> float:
    """Pearson chi-square / df of the counts around their segment rates (warns for Poisson)."""
    y = s.y
    var = mu if family == "poisson" or not math.isfinite(size) else mu + mu**2 / size
    live = var > 0
    x2 = float((((y - mu) ** 2)[live] / var[live]).sum())
    df = int(live.sum()) - n_segments
    if df <= 0:
        return math.nan
    d = _Dispersion(x2 / df, float(stats.chi2.sf(x2, df)))
    if family == "poisson" and d.ratio > 1.5 and d.p_value < 0.01:
        where = "" if s.group is None else f" in group {s.group!r}"
        warn(
            f"the counts{where} vary more around their segment rates than a Poisson model "
            f"allows (Pearson chi2/df = {d.ratio:.2f}, p = {d.p_value:.2g}); "
            "spurious change points are likely: use family='negbin'",
            OverdispersionWarning,
        )
    return d.ratio
