"""One synthetic-control analysis: the treated unit's fit, its placebos and their statistics.

An analysis is a treated unit, a donor pool and a split of the calendar into a pre-period
``[0, pre_stop)`` and a post window ``[pre_stop, post_stop)``. The treated unit is fitted
on its donors; with placebos, every donor is refitted in turn as if it were treated, on
every other unit (the treated one included) or on the other donors only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from flashpoint.models.synth._panel import Panel, PredictorSpec, predictor_values
from flashpoint.models.synth._weights import UnitFit, centred_gram, fit_outcome, fit_predictors

__all__ = ["Analysis", "Plan", "run_analysis"]


@dataclass(frozen=True, slots=True)
class Plan:
    """What to fit: the treated unit, the event and the calendar split."""

    treated: int
    event: str
    kind: str
    date: pd.Timestamp
    pre_stop: int
    post_stop: int


@dataclass(frozen=True, slots=True)
class Analysis:
    """Fitted synthetic controls of one plan.

    ``units[0]`` is the treated unit; the others are the placebo units. ``pools[i]`` are
    the panel columns of unit ``i``'s donors and ``fits[i]`` its weights over them;
    ``synthetic`` is ``post_stop x len(units)``.
    """

    plan: Plan
    units: np.ndarray
    pools: list[np.ndarray]
    fits: list[UnitFit]
    synthetic: np.ndarray
    predictor_values: np.ndarray | None


def run_analysis(
    panel: Panel,
    plan: Plan,
    donors: np.ndarray,
    *,
    specs: Sequence[PredictorSpec],
    v_fixed: np.ndarray | None,
    placebos: bool,
    placebo_pool: str,
    tol: float,
) -> Analysis:
    """Fit the treated unit of ``plan`` and, with ``placebos``, every donor in turn.

    A placebo's donors are every other unit, the treated one included (``placebo_pool=
    "others"``), or the donor pool without the treated unit (``"donors"``).
    """
    involved = np.r_[plan.treated, donors]
    pre = plan.pre_stop
    gram = centred_gram(panel.rates[:pre][:, involved])
    X = predictor_values(panel, specs, list(involved), pre) if specs else None
    everyone = np.arange(len(involved))
    n_units = len(involved) if placebos else 1
    fits, pools = [], []
    for u in range(n_units):
        pool = everyone[everyone != u]
        if u > 0 and placebo_pool == "donors":
            pool = pool[pool != 0]
        if X is None:
            fit = fit_outcome(gram, u, pool, tol=tol)
        else:
            fit = fit_predictors(X, gram, u, pool, n_pre=pre, v_fixed=v_fixed, tol=tol)
        fits.append(fit)
        pools.append(involved[pool])
    rates = panel.rates[: plan.post_stop]
    synthetic = np.column_stack([rates[:, p] @ f.weights for p, f in zip(pools, fits, strict=True)])
    return Analysis(
        plan=plan,
        units=involved[:n_units],
        pools=pools,
        fits=fits,
        synthetic=synthetic,
        predictor_values=X,
    )


def unit_statistics(
    panel: Panel, analysis: Analysis, poor_fit_ratio: float
) -> dict[str, np.ndarray]:
    """Per unit: pre/post RMSPE, their ratio, the average gap, its rank and the fit flag."""
    plan = analysis.plan
    pre, stop = plan.pre_stop, plan.post_stop
    gap = panel.rates[:stop][:, analysis.units] - analysis.synthetic
    pre_rmspe = np.sqrt(np.mean(gap[:pre] ** 2, axis=0))
    post_rmspe = np.sqrt(np.mean(gap[pre:] ** 2, axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = post_rmspe / pre_rmspe
    ratio = np.where(pre_rmspe > 0, ratio, np.where(post_rmspe > 0, np.inf, np.nan))
    finite = ~np.isnan(ratio)
    order = np.full(len(ratio), np.nan)
    order[finite] = 1 + np.sum(ratio[finite][None, :] > ratio[finite][:, None], axis=1)
    poor = pre_rmspe > poor_fit_ratio * pre_rmspe[0]
    poor[0] = False
    n_units = len(analysis.units)
    return {
        "unit": np.array([panel.units[u] for u in analysis.units], dtype=object),
        "role": np.array(["treated"] + ["placebo"] * (n_units - 1)),
        "pre_rmspe": pre_rmspe,
        "post_rmspe": post_rmspe,
        "rmspe_ratio": ratio,
        "average_gap": gap[pre:].mean(axis=0),
        "rank": order,
        "poor_fit": poor,
    }


def rank_p_value(ratios: np.ndarray) -> float:
    """Share of units (treated first) whose ratio is at least the treated unit's."""
    observed = ratios[0]
    if np.isnan(observed):
        return float("nan")
    finite = ratios[~np.isnan(ratios)]
    return float(np.mean(finite >= observed))


def treated_summary(
    panel: Panel, analysis: Analysis, units: dict[str, np.ndarray]
) -> dict[str, object]:
    """Return the summary row of one analysis (see ``SyntheticControlResult.summary``)."""
    plan = analysis.plan
    pre, stop = plan.pre_stop, plan.post_stop
    t = plan.treated
    observed = panel.rates[:stop, t]
    synthetic = analysis.synthetic[:, 0]
    gap = observed - synthetic
    exposure = panel.exposure[pre:stop, t]
    observed_count = float(panel.counts[pre:stop, t].sum())
    synthetic_count = float(np.sum(synthetic[pre:] * exposure))
    ratios = units["rmspe_ratio"]
    good = ~units["poor_fit"]
    n_placebos = len(ratios) - 1
    misfit, misfit_z = pre_misfit(observed[:pre], gap[:pre])
    p_value = rank_p_value(ratios) if n_placebos else float("nan")
    p_good = rank_p_value(ratios[good]) if n_placebos else float("nan")
    return {
        "event": plan.event,
        "date": plan.date,
        "kind": plan.kind,
        "n_donors": len(analysis.pools[0]),
        "n_pre": pre,
        "n_post": stop - pre,
        "observed_count": observed_count,
        "synthetic_count": synthetic_count,
        "average_gap": float(gap[pre:].mean()),
        "cumulative_gap": observed_count - synthetic_count,
        "rate_ratio": observed_count / synthetic_count if synthetic_count > 0 else np.nan,
        "pre_rmspe": float(units["pre_rmspe"][0]),
        "post_rmspe": float(units["post_rmspe"][0]),
        "rmspe_ratio": float(ratios[0]),
        "pre_r2": _r2(observed[:pre], gap[:pre]),
        "pre_misfit": misfit,
        "pre_misfit_z": misfit_z,
        "p_value": p_value,
        "p_value_good_fit": p_good,
        "n_placebos": n_placebos,
        "n_placebos_good_fit": int(good.sum()) - 1,
        "min_p_value": 1.0 / (n_placebos + 1) if n_placebos else np.nan,
        "converged": all(f.converged for f in analysis.fits),
    }


def _r2(observed: np.ndarray, gap: np.ndarray) -> float:
    total = float(np.sum((observed - observed.mean()) ** 2))
    return 1.0 - float(np.sum(gap**2)) / total if total > 0 else float("nan")


def pre_misfit(observed: np.ndarray, gap: np.ndarray) -> tuple[float, float]:
    """Systematic pre-period misfit relative to the mean rate, and its noise z-score.

    ``D = mean(g^2) - mean(diff(g)^2) / 2`` is the mean squared gap minus the part that
    period-to-period noise explains (von Neumann's mean square successive difference
    ``B = mean(diff(g)^2) / 2`` estimates the variance of a serially independent gap);
    the misfit is ``sqrt(max(D, 0)) / mean(observed)``, so that count noise alone scores
    near zero and a level or trend the donors miss does not. For independent normal gaps
    ``D`` has mean 0 and standard deviation ``sigma^2 / sqrt(n)``, hence the z-score
    ``D sqrt(n) / B``: a large misfit on a short, noisy series is only noise if z is small.
    """
    level = float(observed.mean())
    n = len(gap)
    if level <= 0 or n < 3:
        return float("nan"), float("nan")
    noise = float(np.mean(np.diff(gap) ** 2)) / 2.0
    excess = float(np.mean(gap**2)) - noise
    z = excess * np.sqrt(n) / noise if noise > 0 else (np.inf if excess > 0 else 0.0)
    return float(np.sqrt(max(0.0, excess))) / level, float(z)
