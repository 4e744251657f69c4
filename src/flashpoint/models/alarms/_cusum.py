"""Negative-binomial CUSUM: log-likelihood-ratio increments, decision limits, the recursion.

The decision limits (:mod:`._limits`) give a target in-control average run length,
averaged over the uncertainty of the baseline: interpolated from a shipped table for the
default design, computed exactly (and cached) otherwise.
"""

from __future__ import annotations

import numpy as np

from flashpoint.models.alarms._baseline import _Baseline
from flashpoint.models.alarms._limits import _decision_limit, decision_limits, llr_coefficients

__all__ = ["_cusum", "_decision_limit", "_llr_coefficients"]

_llr_coefficients = llr_coefficients


def _cusum(
    y: np.ndarray, fit: _Baseline, *, kappa: float, arl0: float, progress: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run the NB CUSUM; return threshold (count), statistic, limit, dispersion and alarm."""
    mu = fit.mean
    disp = (fit.phi - 1.0) / mu  # NB alpha with the quasi-Poisson variance at mu
    cv2 = fit.var_mean / mu**2
    c0, c1 = llr_coefficients(mu, disp, kappa)
    limit, _ = decision_limits(
        mu, fit.phi_raw, fit.df, cv2, kappa=kappa, arl0=arl0, progress=progress
    )
    n = len(y)
    threshold = np.empty(n)
    statistic = np.empty(n)
    alarm = np.zeros(n, dtype=bool)
    s_prev = 0.0
    for i in range(n):
        h = limit[i]
        threshold[i] = (h - s_prev - c0[i]) / c1[i]
        s = max(0.0, s_prev + c0[i] + c1[i] * y[i])
        statistic[i] = s
        if s > h:
            alarm[i] = True
            s = 0.0  # restart after an alarm
        s_prev = s
    return threshold, statistic, limit, disp, alarm
