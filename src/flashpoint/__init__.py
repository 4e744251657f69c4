"""flashpoint: conflict-event time series.

Validated event tables, zero-filled daily counts, count models of trend and event effects,
escalation dynamics, and interactive figures.

>>> import flashpoint as fp
>>> counts = fp.count_daily(fp.load_attacks(), by="country")
>>> int(counts["count"].sum())
180

The ``plot_*`` functions are loaded on first use, so that ``import flashpoint`` does not
import plotly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flashpoint import counts, datasets, errors, models, schemas, sources
from flashpoint.counts import (
    count_daily,
    cumulative,
    reconcile_tallies,
    resample,
    rolling_mean,
    tally_intervals,
    to_wide,
)
from flashpoint.datasets import load_attacks, load_iraq2006, load_key_events, load_tallies
from flashpoint.errors import FlashpointError, FlashpointWarning, SchemaValidationError
from flashpoint.models import (
    EventSpec,
    EventStudyResult,
    ITSResult,
    PlaceboResult,
    TrendResult,
    fit_event_study,
    fit_its,
    fit_trend,
    placebo_test,
)
from flashpoint.schemas import (
    Quarantine,
    validate_counts,
    validate_events,
    validate_key_events,
    validate_tallies,
)
from flashpoint.sources import read_events

if TYPE_CHECKING:
    from flashpoint.plots import (
        plot_counts,
        plot_cumulative,
        plot_event_study,
        plot_its,
        plot_placebo,
        plot_trend,
    )

__version__ = "0.1.0"

_PLOTS = (
    "plot_counts",
    "plot_cumulative",
    "plot_event_study",
    "plot_its",
    "plot_placebo",
    "plot_trend",
)

__all__ = [
    "EventSpec",
    "EventStudyResult",
    "FlashpointError",
    "FlashpointWarning",
    "ITSResult",
    "PlaceboResult",
    "Quarantine",
    "SchemaValidationError",
    "TrendResult",
    "__version__",
    "count_daily",
    "counts",
    "cumulative",
    "datasets",
    "errors",
    "fit_event_study",
    "fit_its",
    "fit_trend",
    "load_attacks",
    "load_iraq2006",
    "load_key_events",
    "load_tallies",
    "models",
    "placebo_test",
    "plot_counts",
    "plot_cumulative",
    "plot_event_study",
    "plot_its",
    "plot_placebo",
    "plot_trend",
    "read_events",
    "reconcile_tallies",
    "resample",
    "rolling_mean",
    "schemas",
    "sources",
    "tally_intervals",
    "to_wide",
    "validate_counts",
    "validate_events",
    "validate_key_events",
    "validate_tallies",
]


def __getattr__(name: str) -> Any:
    """Load the plotting functions (and plotly) on first use."""
    if name in _PLOTS or name == "plots":
        import importlib

        plots = importlib.import_module("flashpoint.plots")
        return plots if name == "plots" else getattr(plots, name)
    raise AttributeError(f"module 'flashpoint' has no attribute {name!r}")
