"""Placebo (permutation) inference for one event of an interrupted time series.

In-time placebos move the event to every eligible date and refit the same model; the
observed statistic is ranked among the placebo statistics (Abadie, Diamond & Hainmueller
2015, Am J Polit Sci 59:495-510; Bernal, Cummins & Gasparrini 2018, J Clin Epidemiol
103:82-87). Across-group placebos estimate the effect in every group and rank the
treated group among them (Abadie, Diamond & Hainmueller 2010, J Am Stat Assoc
105:493-505).
"""

from __future__ import annotations

from flashpoint.models.placebo._result import PlaceboResult
from flashpoint.models.placebo._test import placebo_test

__all__ = ["PlaceboResult", "placebo_test"]
