"""Statistical models of count series (one module per family).

Every ``fit_*`` / ``detect_*`` / ``estimate_*`` function takes tidy counts and returns a
frozen ``*Result`` with ``summary()``, ``plot()`` and an HTML view.
"""

from __future__ import annotations

from flashpoint.models.design import EventSpec
from flashpoint.models.event_study import EventStudyResult, fit_event_study
from flashpoint.models.its import ITSResult, fit_its
from flashpoint.models.placebo import PlaceboResult, placebo_test
from flashpoint.models.trend import TrendResult, fit_trend

__all__ = [
    "EventSpec",
    "EventStudyResult",
    "ITSResult",
    "PlaceboResult",
    "TrendResult",
    "fit_event_study",
    "fit_its",
    "fit_trend",
    "placebo_test",
]
