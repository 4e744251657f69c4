"""Synthetic control for count series: a treated unit against a weighted mix of donors.

:func:`fit_synthetic_control` fits non-negative donor weights summing to one on the
pre-event rates (exactly, by an active-set method; optionally on predictors with a
nested choice of their weights, as in Abadie, Diamond & Hainmueller 2010), reports the
gap after the event in rates and counts, and ranks it among in-space placebos (every
donor treated in turn) and, optionally, an in-time placebo.
"""

from __future__ import annotations

from flashpoint.models.synth._fit import fit_synthetic_control
from flashpoint.models.synth._result import SyntheticControlResult

__all__ = ["SyntheticControlResult", "fit_synthetic_control"]
