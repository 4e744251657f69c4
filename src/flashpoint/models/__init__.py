"""Statistical models of count series (one module per family).

Every ``fit_*`` / ``detect_*`` / ``estimate_*`` function takes tidy counts and returns a
frozen ``*Result`` with ``summary()``, ``plot()`` and an HTML view.
"""

from __future__ import annotations

from flashpoint.models._persist import load_result
from flashpoint.models.alarms import AlarmResult, detect_alarms
from flashpoint.models.assess import AssessmentResult, assess_event
from flashpoint.models.changepoints import ChangepointResult, detect_changepoints
from flashpoint.models.compare import SourceComparisonResult, compare_sources
from flashpoint.models.design import EventSpec
from flashpoint.models.event_study import EventStudyResult, fit_event_study
from flashpoint.models.forecast import BacktestResult, ForecastResult, backtest, forecast
from flashpoint.models.hawkes import HawkesResult, fit_hawkes, simulate_hawkes_counts
from flashpoint.models.hawkes_times import (
    HawkesTimesResult,
    fit_hawkes_times,
    simulate_hawkes_times,
)
from flashpoint.models.its import ITSResult, fit_its
from flashpoint.models.placebo import PlaceboResult, placebo_test
from flashpoint.models.rt import RtResult, estimate_rt, serial_interval_pmf
from flashpoint.models.synth import SyntheticControlResult, fit_synthetic_control
from flashpoint.models.tallies import TallyRatesResult, fit_tally_rates, impute_daily_from_tallies
from flashpoint.models.trend import TrendResult, fit_trend

__all__ = [
    "AlarmResult",
    "AssessmentResult",
    "BacktestResult",
    "ChangepointResult",
    "EventSpec",
    "EventStudyResult",
    "ForecastResult",
    "HawkesResult",
    "HawkesTimesResult",
    "ITSResult",
    "PlaceboResult",
    "RtResult",
    "SourceComparisonResult",
    "SyntheticControlResult",
    "TallyRatesResult",
    "TrendResult",
    "assess_event",
    "backtest",
    "compare_sources",
    "detect_alarms",
    "detect_changepoints",
    "estimate_rt",
    "fit_event_study",
    "fit_hawkes",
    "fit_hawkes_times",
    "fit_its",
    "fit_synthetic_control",
    "fit_tally_rates",
    "fit_trend",
    "forecast",
    "impute_daily_from_tallies",
    "load_result",
    "placebo_test",
    "serial_interval_pmf",
    "simulate_hawkes_counts",
    "simulate_hawkes_times",
]
