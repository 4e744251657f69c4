"""Plotly figures: each ``plot_*`` function draws a result or a tidy frame and computes nothing.

Static export for papers: ``fig.write_image("figure.pdf")`` (PNG, SVG and PDF) works with
kaleido and a Chromium browser (Debian: ``apt-get install chromium``); see the README.
"""

from __future__ import annotations

from flashpoint.models import (
    AlarmResult,
    AssessmentResult,
    BacktestResult,
    ChangepointResult,
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
)
from flashpoint.models._base import register_plot
from flashpoint.plots.changepoints import plot_changepoints
from flashpoint.plots.counts import plot_count_heatmap, plot_counts, plot_cumulative
from flashpoint.plots.effects import plot_its, plot_trend
from flashpoint.plots.hawkes import plot_backtest, plot_forecast, plot_hawkes
from flashpoint.plots.hawkes_times import plot_hawkes_times
from flashpoint.plots.studies import plot_effect_overview, plot_event_study, plot_placebo
from flashpoint.plots.surveillance import plot_alarms, plot_rt
from flashpoint.plots.synth import plot_synthetic_control
from flashpoint.plots.tallies import plot_source_comparison, plot_tally_fit
from flashpoint.plots.verdict import plot_assessment

__all__ = [
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
]

# how each result's ``plot()`` draws (the models never import this layer)
for _result_type, _draw in (
    (AlarmResult, plot_alarms),
    (AssessmentResult, plot_assessment),
    (BacktestResult, plot_backtest),
    (ChangepointResult, plot_changepoints),
    (EventStudyResult, plot_event_study),
    (ForecastResult, plot_forecast),
    (HawkesResult, plot_hawkes),
    (HawkesTimesResult, plot_hawkes_times),
    (ITSResult, plot_its),
    (PlaceboResult, plot_placebo),
    (RtResult, plot_rt),
    (SourceComparisonResult, plot_source_comparison),
    (SyntheticControlResult, plot_synthetic_control),
    (TallyRatesResult, plot_tally_fit),
    (TrendResult, plot_trend),
):
    register_plot(_result_type, _draw)
