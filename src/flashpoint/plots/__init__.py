"""Plotly figures: each ``plot_*`` function draws a result or a tidy frame and computes nothing.

Static export for papers: ``fig.write_image("figure.pdf")`` (PNG, SVG and PDF) works with
kaleido and a Chromium browser (Debian: ``apt-get install chromium``); see the README.
"""

from __future__ import annotations

from flashpoint.plots.counts import plot_counts, plot_cumulative
from flashpoint.plots.effects import plot_event_study, plot_its, plot_placebo, plot_trend

__all__ = [
    "plot_counts",
    "plot_cumulative",
    "plot_event_study",
    "plot_its",
    "plot_placebo",
    "plot_trend",
]
