"""flashpoint: conflict-event time series.

Validated event tables, zero-filled daily counts, count models of trend and event effects,
escalation dynamics, and interactive figures.

>>> import flashpoint as fp
>>> counts = fp.count_daily(fp.load_attacks(), by="country")
>>> int(counts["count"].sum())
180

The ``plot_*`` functions, :func:`build_report` and the :mod:`flashpoint.plots` module are
loaded on first use, so that ``import flashpoint`` does not import plotly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flashpoint import counts, datasets, errors, models, scale, schemas, sources
from flashpoint._version import __version__
from flashpoint.counts import (
    count_daily,
    cumulative,
    reconcile_tallies,
    resample,
    rolling_mean,
    tally_intervals,
    to_wide,
)
from flashpoint.datasets import (
    load_attacks,
    load_iraq2006,
    load_key_events,
    load_tallies,
)
from flashpoint.errors import (
    FlashpointError,
    FlashpointWarning,
    SchemaValidationError,
)
from flashpoint.models import (
    AlarmResult,
    AssessmentResult,
    BacktestResult,
    ChangepointResult,
    EventSpec,
    EventStudyResult,
    ForecastResult,
    HawkesResult,
    HawkesTimesResult,
    ITSResult,
    PlaceboResult,
    RtResult,
    SourceComparisonResult,
    SyntheticControlResult,
    TallyRatesResult,
    TrendResult,
    assess_event,
    backtest,
    compare_sources,
    detect_alarms,
    detect_changepoints,
    estimate_rt,
    fit_event_study,
    fit_hawkes,
    fit_hawkes_times,
    fit_its,
    fit_synthetic_control,
    fit_tally_rates,
    fit_trend,
    forecast,
    impute_daily_from_tallies,
    placebo_test,
    serial_interval_pmf,
    simulate_hawkes_counts,
    simulate_hawkes_times,
)
from flashpoint.scale import (
    count_daily_dask,
    count_daily_duckdb,
)
from flashpoint.schemas import (
    Quarantine,
    validate_counts,
    validate_events,
    validate_key_events,
    validate_tallies,
)
from flashpoint.sources import (
    read_acled,
    read_events,
    read_gdelt_events,
    read_ucdp_ged,
)

if TYPE_CHECKING:
    from flashpoint import plots
    from flashpoint.plots import (
        plot_alarms,
        plot_assessment,
        plot_backtest,
        plot_changepoints,
        plot_count_heatmap,
        plot_counts,
        plot_cumulative,
        plot_effect_overview,
        plot_event_study,
        plot_forecast,
        plot_hawkes,
        plot_hawkes_times,
        plot_its,
        plot_placebo,
        plot_rt,
        plot_source_comparison,
        plot_synthetic_control,
        plot_tally_fit,
        plot_trend,
    )
    from flashpoint.report import (
        Report,
        build_report,
    )


_LAZY = {
    "plot_alarms": "flashpoint.plots",
    "plot_assessment": "flashpoint.plots",
    "plot_backtest": "flashpoint.plots",
    "plot_changepoints": "flashpoint.plots",
    "plot_count_heatmap": "flashpoint.plots",
    "plot_counts": "flashpoint.plots",
    "plot_cumulative": "flashpoint.plots",
    "plot_effect_overview": "flashpoint.plots",
    "plot_event_study": "flashpoint.plots",
    "plot_forecast": "flashpoint.plots",
    "plot_hawkes": "flashpoint.plots",
    "plot_hawkes_times": "flashpoint.plots",
    "plot_its": "flashpoint.plots",
    "plot_placebo": "flashpoint.plots",
    "plot_rt": "flashpoint.plots",
    "plot_source_comparison": "flashpoint.plots",
    "plot_synthetic_control": "flashpoint.plots",
    "plot_tally_fit": "flashpoint.plots",
    "plot_trend": "flashpoint.plots",
    "Report": "flashpoint.report",
    "build_report": "flashpoint.report",
}

__all__ = [
    "AlarmResult",
    "AssessmentResult",
    "BacktestResult",
    "ChangepointResult",
    "EventSpec",
    "EventStudyResult",
    "FlashpointError",
    "FlashpointWarning",
    "ForecastResult",
    "HawkesResult",
    "HawkesTimesResult",
    "ITSResult",
    "PlaceboResult",
    "Quarantine",
    "Report",
    "RtResult",
    "SchemaValidationError",
    "SourceComparisonResult",
    "SyntheticControlResult",
    "TallyRatesResult",
    "TrendResult",
    "__version__",
    "assess_event",
    "backtest",
    "build_report",
    "compare_sources",
    "count_daily",
    "count_daily_dask",
    "count_daily_duckdb",
    "counts",
    "cumulative",
    "datasets",
    "detect_alarms",
    "detect_changepoints",
    "errors",
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
    "load_attacks",
    "load_iraq2006",
    "load_key_events",
    "load_tallies",
    "models",
    "placebo_test",
    "plot_alarms",
    "plot_assessment",
    "plot_backtest",
    "plot_changepoints",
    "plot_count_heatmap",
    "plot_counts",
    "plot_cumulative",
    "plot_effect_overview",
    "plot_event_study",
    "plot_forecast",
    "plot_hawkes",
    "plot_hawkes_times",
    "plot_its",
    "plot_placebo",
    "plot_rt",
    "plot_source_comparison",
    "plot_synthetic_control",
    "plot_tally_fit",
    "plot_trend",
    "plots",
    "read_acled",
    "read_events",
    "read_gdelt_events",
    "read_ucdp_ged",
    "reconcile_tallies",
    "resample",
    "rolling_mean",
    "scale",
    "schemas",
    "serial_interval_pmf",
    "simulate_hawkes_counts",
    "simulate_hawkes_times",
    "sources",
    "tally_intervals",
    "to_wide",
    "validate_counts",
    "validate_events",
    "validate_key_events",
    "validate_tallies",
]


def _load_plots() -> object:
    """Import the plotting layer, which registers how every result type is drawn."""
    import importlib

    return importlib.import_module("flashpoint.plots")


models._base.set_plot_loader(_load_plots)


def __getattr__(name: str) -> Any:
    """Load the plotting and report functions (and plotly) on first use."""
    import importlib

    if name == "plots":
        return importlib.import_module("flashpoint.plots")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'flashpoint' has no attribute {name!r}")
