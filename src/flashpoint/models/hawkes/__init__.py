"""Self-excitation on daily counts: the discrete-time (binned) Hawkes model.

``fit_hawkes`` estimates a background rate, a branching ratio (expected direct offspring per
event) with a decaying kernel, and the excitation by exogenous events such as strikes, with
Poisson or negative-binomial observations, per group or jointly (groups exciting each other).
``simulate_hawkes_counts`` draws series with known parameters for tests and benchmarks.
The continuous-time model on exact timestamps lives in :mod:`flashpoint.models.hawkes_times`.
"""

from __future__ import annotations

from flashpoint.models.hawkes._api import HawkesResult, fit_hawkes
from flashpoint.models.hawkes._fit import (
    HawkesConvergenceWarning,
    IdentifiabilityWarning,
    NonStationaryWarning,
)
from flashpoint.models.hawkes._simulate import simulate_hawkes_counts

__all__ = [
    "HawkesConvergenceWarning",
    "HawkesResult",
    "IdentifiabilityWarning",
    "NonStationaryWarning",
    "fit_hawkes",
    "simulate_hawkes_counts",
]
