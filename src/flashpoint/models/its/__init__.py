"""Interrupted time series: how the rate changed after events.

:func:`fit_its` fits a segmented count regression per group: a baseline (intercept and
trend, optional seasonality, day-of-week and exposure) plus one term per intervention event
with its response shape (step, slope, pulse, decay). It reports rate ratios with confidence
intervals, the counterfactual path without the events, and the excess attacks (observed
minus counterfactual) per day and cumulated, with predictive bands (parameter uncertainty
and count noise) or parameter-only bands.

Modules: ``_fit`` (:func:`fit_its` and its steps), ``_decay`` (half-lives estimated by
profile likelihood, the sup-score test of a decay term, the half-life's share of the
covariance), ``_paths`` (fitted, counterfactual and excess paths with their bands) and
``_result`` (:class:`ITSResult`).
"""

from __future__ import annotations

from flashpoint.models.its._fit import BANDS as BANDS
from flashpoint.models.its._fit import SLOPES as SLOPES
from flashpoint.models.its._fit import TRENDS as TRENDS
from flashpoint.models.its._fit import fit_its
from flashpoint.models.its._result import ITSResult

__all__ = ["ITSResult", "fit_its"]
