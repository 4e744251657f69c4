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

import importlib as _importlib
from typing import TYPE_CHECKING, Any

from flashpoint import _registry

# The one list of public names: name -> the module it comes from ("flashpoint" for the
# subpackages themselves). It makes ``__all__``, ``dir(flashpoint)`` and the imports below;
# the names from the models, plots and report layers are imported on first use (statsmodels,
# scipy and plotly are slow to import; so are the some eighty model modules).
# The ``TYPE_CHECKING`` block at the end mirrors it for type checkers (a test compares them),
# and docs/api.md documents every name (tests/test_docs.py compares that too).
_PUBLIC: dict[str, str] = {
    "__version__": "flashpoint._version",
    # subpackages
    "counts": "flashpoint",
    "datasets": "flashpoint",
    "errors": "flashpoint",
    "models": "flashpoint",
    "plots": "flashpoint",
    "scale": "flashpoint",
    "schemas": "flashpoint",
    "sources": "flashpoint",
    # bundled data
    "load_attacks": "flashpoint.datasets",
    "load_iraq2006": "flashpoint.datasets",
    "load_key_events": "flashpoint.datasets",
    "load_tallies": "flashpoint.datasets",
    # reading and validating
    "read_acled": "flashpoint.sources",
    "read_events": "flashpoint.sources",
    "read_gdelt_events": "flashpoint.sources",
    "read_ucdp_ged": "flashpoint.sources",
    "Quarantine": "flashpoint.schemas",
    "validate_counts": "flashpoint.schemas",
    "validate_events": "flashpoint.schemas",
    "validate_key_events": "flashpoint.schemas",
    "validate_tallies": "flashpoint.schemas",
    # counting
    "count_daily": "flashpoint.counts",
    "cumulative": "flashpoint.counts",
    "reconcile_tallies": "flashpoint.counts",
    "resample": "flashpoint.counts",
    "rolling_mean": "flashpoint.counts",
    "tally_intervals": "flashpoint.counts",
    "to_wide": "flashpoint.counts",
    "count_daily_dask": "flashpoint.scale",
    "count_daily_duckdb": "flashpoint.scale",
    # models and their results
    "EventSpec": "flashpoint.models",
    "assess_event": "flashpoint.models",
    "AssessmentResult": "flashpoint.models",
    "fit_trend": "flashpoint.models",
    "TrendResult": "flashpoint.models",
    "fit_its": "flashpoint.models",
    "ITSResult": "flashpoint.models",
    "placebo_test": "flashpoint.models",
    "PlaceboResult": "flashpoint.models",
    "fit_event_study": "flashpoint.models",
    "EventStudyResult": "flashpoint.models",
    "fit_synthetic_control": "flashpoint.models",
    "SyntheticControlResult": "flashpoint.models",
    "fit_hawkes": "flashpoint.models",
    "HawkesResult": "flashpoint.models",
    "simulate_hawkes_counts": "flashpoint.models",
    "fit_hawkes_times": "flashpoint.models",
    "HawkesTimesResult": "flashpoint.models",
    "simulate_hawkes_times": "flashpoint.models",
    "estimate_rt": "flashpoint.models",
    "RtResult": "flashpoint.models",
    "serial_interval_pmf": "flashpoint.models",
    "detect_alarms": "flashpoint.models",
    "AlarmResult": "flashpoint.models",
    "detect_changepoints": "flashpoint.models",
    "ChangepointResult": "flashpoint.models",
    "forecast": "flashpoint.models",
    "ForecastResult": "flashpoint.models",
    "backtest": "flashpoint.models",
    "BacktestResult": "flashpoint.models",
    "fit_tally_rates": "flashpoint.models",
    "TallyRatesResult": "flashpoint.models",
    "impute_daily_from_tallies": "flashpoint.models",
    "compare_sources": "flashpoint.models",
    "SourceComparisonResult": "flashpoint.models",
    "load_result": "flashpoint.models",
    # figures and the report (loaded on first use)
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
    # errors
    "FlashpointError": "flashpoint.errors",
    "FlashpointWarning": "flashpoint.errors",
    "SchemaValidationError": "flashpoint.errors",
}
_ON_FIRST_USE = ("flashpoint.models", "flashpoint.plots", "flashpoint.report")

__all__ = sorted(_PUBLIC)


def _module_of(name: str) -> str:
    """Return the module that ``import flashpoint.<name>`` reads (the subpackage itself)."""
    source = _PUBLIC[name]
    return f"{source}.{name}" if source == __name__ else source


def _load(name: str) -> Any:
    """Import public ``name`` from its module."""
    module = _importlib.import_module(_module_of(name))
    return module if _PUBLIC[name] == __name__ else getattr(module, name)


def _load_plots() -> object:
    """Import the plotting layer, which registers how every result type is drawn."""
    return _importlib.import_module("flashpoint.plots")


for _name in _PUBLIC:
    if not _module_of(_name).startswith(_ON_FIRST_USE):
        globals()[_name] = _load(_name)
del _name

_registry.set_plot_loader(_load_plots)


def __getattr__(name: str) -> Any:
    """Load the models, plotting and report names on first use."""
    if name in _PUBLIC:
        return _load(name)
    raise AttributeError(f"module 'flashpoint' has no attribute {name!r}")


def __dir__() -> list[str]:
    """List the module's attributes, the ones loaded on first use included."""
    return sorted(set(globals()) | set(_PUBLIC))


if TYPE_CHECKING:  # the same names, spelled out for type checkers and editors
    from flashpoint import (
        counts,
        datasets,
        errors,
        models,
        plots,
        scale,
        schemas,
        sources,
    )
    from flashpoint._version import (
        __version__,
    )
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
        load_result,
        placebo_test,
        serial_interval_pmf,
        simulate_hawkes_counts,
        simulate_hawkes_times,
    )
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
