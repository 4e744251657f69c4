"""Fitted and counterfactual paths, excess and cumulative excess, with their bands."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flashpoint.models._base import CountSeries
from flashpoint.models._glm import CountFit, cumulative_band, mean_band, predictive_band
from flashpoint.models.design import Design
from flashpoint.schemas import COUNT, DATE

__all__ = ["paths"]


def paths(
    s: CountSeries,
    design: Design,
    fit: CountFit,
    *,
    alpha: float,
    n_sim: int,
    seed: int | None,
    band: str,
) -> pd.DataFrame:
    """Fitted and counterfactual paths, excess and cumulative excess with bands.

    The confidence bands of the means (``fitted``, ``counterfactual``) are ``exp(eta +- z
    se)`` on the log scale: with the coefficients drawn from their normal approximation,
    the quantiles of ``exp(X beta*)`` are exactly that, so no simulation is needed per day.
    The counterfactual's predictive band adds the count noise
    (:func:`~flashpoint.models._glm.predictive_band`). The daily excess band is the count
    minus one of the two (``band``). Only the cumulative excess, a sum over days, needs
    the ``n_sim`` coefficient draws (:func:`~flashpoint.models._glm.cumulative_band`), and
    only from the first day an event acts.
    """
    X_cf = design.X.copy()
    event_cols = list(design.event_cols.values())
    X_cf[:, event_cols] = 0.0
    y = s.y.astype(float)
    n = len(y)
    with np.errstate(invalid="ignore", over="ignore"):
        fitted, fitted_lo, fitted_hi = mean_band(fit, design.X, design.offset, alpha)
        cf, cf_lo, cf_hi = mean_band(fit, X_cf, design.offset, alpha, counterfactual=True)
        pred_lo, pred_hi = predictive_band(fit, X_cf, design.offset, alpha)
        low, high = (pred_lo, pred_hi) if band == "predictive" else (cf_lo, cf_hi)
        excess = y - cf
        affected = np.flatnonzero(np.any(design.X[:, event_cols] != 0, axis=1))
        first = int(affected[0]) if affected.size else n
        cum = np.full(n, np.nan)
        cum_lo = np.full(n, np.nan)
        cum_hi = np.full(n, np.nan)
        if first < n and not fit.not_estimable:
            offset = None if design.offset is None else design.offset[first:]
            cf_lo_cum, cf_hi_cum = cumulative_band(
                fit,
                X_cf[first:],
                offset,
                alpha=alpha,
                n_sim=n_sim,
                seed=seed,
                predictive=band == "predictive",
            )
            observed = np.cumsum(y[first:])
            cum[first:] = np.cumsum(excess[first:])
            # quantiles of (observed - counterfactual) = observed - reversed quantiles
            cum_lo[first:], cum_hi[first:] = observed - cf_hi_cum, observed - cf_lo_cum
    return pd.DataFrame(
        {
            DATE: s.dates,
            "group": s.group,
            COUNT: s.y,
            "fitted": fitted,
            "fitted_lower": fitted_lo,
            "fitted_upper": fitted_hi,
            "counterfactual": cf,
            "counterfactual_lower": cf_lo,
            "counterfactual_upper": cf_hi,
            "counterfactual_pred_lower": pred_lo,
            "counterfactual_pred_upper": pred_hi,
            "excess": excess,
            "excess_lower": y - high,
            "excess_upper": y - low,
            "cumulative_excess": cum,
            "cumulative_excess_lower": cum_lo,
            "cumulative_excess_upper": cum_hi,
        }
    )
