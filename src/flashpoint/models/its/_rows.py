"""Tidy rows of :func:`flashpoint.fit_its`: events, coefficients, dispersion, controls."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np

from flashpoint._lazy import lazy_module
from flashpoint.models._glm import GAUSSIAN
from flashpoint.models.design import EventSpec, event_term_names
from flashpoint.models.its._types import GroupFit, Settings

stats = lazy_module("scipy.stats")

__all__ = ["coefficient_rows", "controls_rows", "dispersion_row", "event_rows", "pre_fit_row"]


def event_rows(g: GroupFit, st: Settings) -> list[dict[str, Any]]:
    """One summary row per event term of a group."""
    z = stats.norm.ppf(1 - st.alpha / 2)
    fit, design = g.fit, g.design
    se = fit.std_err
    rows = []
    # the identity link has no rate ratio: the estimate is a change of the outcome's level
    ratio = _exp if st.family != GAUSSIAN else (lambda _value: np.nan)
    for sp, term in zip(g.specs, event_term_names(g.specs), strict=True):
        j = design.event_cols[term]
        est, err = fit.params[j], se[j]
        if sp.shape == "slope" and st.slope == "post":
            est, err = _post_slope(g, sp)
        stat = est / err if err > 0 else np.nan
        p_value = 2 * stats.norm.sf(abs(stat))
        lo, hi, ci_method, p_method = est - z * err, est + z * err, "wald", "wald"
        if j in fit.separated and not (sp.shape == "slope" and st.slope == "post"):
            lo, (hi, p_value) = -np.inf, fit.separated[j]
            ci_method, p_method = "profile", "likelihood ratio"
        elif term in g.tests:
            stat, p_value, p_method = g.tests[term]
            ci_method = "wald (half-life estimated)"
        if not np.isfinite(est) and ci_method == "wald":
            est = err = stat = p_value = lo = hi = np.nan
            ci_method = p_method = "not estimable"
        hl = g.half_lives.get(term)
        rows.append(
            {
                "group": g.series.group,
                "event": sp.name,
                "shape": sp.shape,
                "term": term,
                "estimate": est,
                "std_err": err,
                "statistic": stat,
                "p_value": p_value,
                "ci_lower": lo,
                "ci_upper": hi,
                "ci_method": ci_method,
                "p_method": p_method,
                "rate_ratio": ratio(est),
                "rate_ratio_lower": ratio(lo),
                "rate_ratio_upper": ratio(hi),
                "half_life": sp.half_life if sp.shape == "decay" else np.nan,
                "half_life_lower": hl[1] if hl else np.nan,
                "half_life_upper": hl[2] if hl else np.nan,
                "conf_level": 1 - st.alpha,
            }
        )
    return rows


def _post_slope(g: GroupFit, spec: EventSpec) -> tuple[float, float]:
    """Slope after a slope event: trend slope plus the slope changes up to the event."""
    design, fit = g.design, g.fit
    weights = np.zeros(len(design.names))
    weights[[j for j, name in enumerate(design.names) if name == "trend"]] = 1.0
    for sp, term in zip(g.specs, event_term_names(g.specs), strict=True):
        if sp.shape == "slope" and sp.date <= spec.date:
            weights[design.event_cols[term]] = 1.0
    used = weights != 0
    if not np.all(np.isfinite(fit.params[used])):
        return np.nan, np.nan
    cov = fit.cov[np.ix_(used, used)]
    return float(fit.params[used].sum()), float(np.sqrt(max(cov.sum(), 0.0)))


def coefficient_rows(g: GroupFit, st: Settings) -> list[dict[str, Any]]:
    """Every model term of a group, as fitted (log scale, Wald)."""
    z = stats.norm.ppf(1 - st.alpha / 2)
    fit = g.fit
    se = fit.std_err
    with np.errstate(invalid="ignore"):
        stat = fit.params / np.where(se > 0, se, np.nan)
    pvals = 2 * stats.norm.sf(np.abs(stat))
    return [
        {
            "group": g.series.group,
            "term": name,
            "estimate": fit.params[j],
            "std_err": se[j],
            "statistic": stat[j],
            "p_value": pvals[j],
            "ci_lower": fit.params[j] - z * se[j],
            "ci_upper": fit.params[j] + z * se[j],
        }
        for j, name in enumerate(g.design.names)
    ]


def dispersion_row(g: GroupFit) -> dict[str, Hashable | float | bool]:
    """Dispersion of a group's fit and the Poisson-vs-NB likelihood-ratio test."""
    lr, lr_p = g.fit.overdispersion_test()
    return {
        "group": g.series.group,
        "n_obs": g.series.n,
        "nb_alpha": g.fit.nb_alpha,
        "nb_alpha_se": g.fit.nb_alpha_se,
        "pearson_dispersion": g.fit.pearson_dispersion,
        "lr_statistic": lr,
        "lr_p_value": lr_p,
        "converged": g.fit.converged,
    }


def _exp(value: float) -> float:
    """``exp`` without overflow warnings (``nan`` stays ``nan``)."""
    with np.errstate(over="ignore"):
        return float(np.exp(value))


def controls_rows(g: GroupFit, st: Settings) -> list[dict[str, Any]]:
    """One row per control of a group: its coefficient and its shift at the events.

    The coefficient is per unit of the transformed control (the fit's coefficient of the
    standardised column divided by the control's pre-event standard deviation).
    """
    gc, cs = g.controls, st.controls
    if gc is None or cs is None:
        return []
    z = stats.norm.ppf(1 - st.alpha / 2)
    cols = [g.design.names.index(name) for name in gc.design_names]
    est = g.fit.params[cols] / gc.sds
    se = g.fit.std_err[cols] / gc.sds
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = est / se
    return [
        {
            "group": g.series.group,
            "control": name,
            "transform": transform,
            "estimate": est[k],
            "std_err": se[k],
            "statistic": stat[k],
            "p_value": 2 * stats.norm.sf(abs(stat[k])),
            "ci_lower": est[k] - z * se[k],
            "ci_upper": est[k] + z * se[k],
            "control_sd": gc.sds[k],
            "shift_event": gc.shifts[k][0],
            "shift": gc.shifts[k][1],
            "shift_p_value": gc.shifts[k][2],
            "shift_flagged": gc.shifts[k][3],
        }
        for k, (name, transform) in enumerate(zip(cs.names, cs.transforms, strict=True))
    ]


def pre_fit_row(g: GroupFit) -> dict[str, Any]:
    """How well a group's controls track it before the first event (see ``_controls``)."""
    gc = g.controls
    if gc is None:
        return {}
    q = gc.quality
    return {
        "group": g.series.group,
        "n_pre": gc.n_pre,
        "pre_r2": q["pre_r2"],
        "pre_r2_baseline": q["pre_r2_baseline"],
        "lr_statistic": q["lr_statistic"],
        "lr_df": q["lr_df"],
        "lr_p_value": q["lr_p_value"],
        "penalty": gc.penalty,
        "shrinkage": "ridge" if gc.penalty > 0 else "none",
    }
