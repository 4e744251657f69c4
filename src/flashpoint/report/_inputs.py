"""What the report analyses (:class:`ReportInputs`) and the counts its sections share."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from flashpoint.models import EventSpec

__all__ = ["MIN_EVENTS", "TOP_GROUPS", "Look", "ReportData", "ReportInputs", "summary_columns"]

MIN_EVENTS = 10
"""Groups with fewer events in the window are shown but left out of the models."""

TOP_GROUPS = 8
"""Groups shown in detail by default: the largest by volume (the overview shows every group)."""


@dataclass
class ReportInputs:
    """What the report analyses, once the bundled-data defaults are filled in."""

    events: pd.DataFrame
    by: str
    key_events: pd.DataFrame | None
    interventions: list[EventSpec]
    study_kind: str | None
    tallies: pd.DataFrame | None
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    title: str
    source_name: str
    noun: str
    bundled: bool
    caveat: str = ""
    sources: dict[str, pd.DataFrame] = field(default_factory=dict)
    controls: list[Hashable] = field(default_factory=list)
    control_series: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    groups: list[Hashable] | None = None
    top: int = TOP_GROUPS


@dataclass
class ReportData:
    """The counts every section works on."""

    all_counts: pd.DataFrame
    window: pd.DataFrame
    counts: pd.DataFrame
    """The window's counts of the groups shown in detail (every model runs on these)."""
    modelled: list[Hashable]
    """Groups with at least ``MIN_EVENTS`` events in the window."""
    detail: list[Hashable]
    """The modelled groups shown in detail: chosen, or the largest ``top`` by volume."""
    small: list[Hashable]
    first: pd.Timestamp
    last: pd.Timestamp
    marks: pd.DataFrame
    window_marks: pd.DataFrame
    colors: Mapping[Hashable, str] = field(default_factory=dict)
    """One colour per group for every figure of the page (largest groups first)."""


@dataclass(frozen=True)
class Look:
    """How every figure of the page names and colours things."""

    noun: str
    """What one row counts, in the plural ("attacks", "events")."""
    colors: Mapping[Hashable, str]
    """Group -> colour, the same in every figure."""


def summary_columns(result: Any, *columns: str) -> pd.DataFrame:
    """Return these columns of a result's summary, after its group column."""
    frame: pd.DataFrame = result.summary()[[result.by, *columns]]
    return frame
