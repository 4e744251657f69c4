"""Interrupted time series: how the rate changed after events.

:func:`fit_its` fits a segmented count regression per group: a baseline (intercept and
trend, optional seasonality, day-of-week and exposure) plus one term per intervention event
with its response shape (step, slope, pulse, decay). It reports rate ratios with confidence
intervals, the counterfactual path without the events, and the excess attacks (observed
minus counterfactual) per day and cumulated, with predictive bands (parameter uncertainty
and count noise) or parameter-only bands. Control series (``controls=``) make the
counterfactual relative to comparable series (CausalImpact-style), and
``family="gaussian"`` models a continuous outcome.

Modules: ``_fit`` (:func:`fit_its` and its steps), ``_controls`` (control series: input,
transforms, the pre-event fit and the shift check), ``_ridge`` (ridge-penalised fits of
many controls, the penalty by GCV), ``_decay`` (half-lives estimated by profile
likelihood, the sup-score test of a decay term, the half-life's share of the covariance),
``_paths`` (fitted, counterfactual and excess paths with their bands), ``_rows`` (the
tidy tables), ``_types`` (what the steps pass on) and ``_result`` (:class:`ITSResult`).
"""

from __future__ import annotations

from flashpoint.models.its._fit import BANDS as BANDS
from flashpoint.models.its._fit import SLOPES as SLOPES
from flashpoint.models.its._fit import TRENDS as TRENDS
from flashpoint.models.its._fit import fit_its
from flashpoint.models.its._result import ITSResult

__all__ = ["ITSResult", "fit_its"]
