"""What the report analyses (:class:`ReportInputs`) and the counts its sections share."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import pandas as pd

from flashpoint.datasets import (
    COUNT_START,
    KH_STRIKE,
    TRUCE_END,
    TRUCE_START,
    load_attacks,
    load_key_events,
    load_tallies,
)
from flashpoint.errors import FlashpointValueError
from flashpoint.models import EventSpec
from flashpoint.schemas import BASIS, DATE
from flashpoint.schemas._dates import as_day

__all__ = [
    "BUNDLED_CAVEAT",
    "MIN_EVENTS",
    "TOP_GROUPS",
    "Look",
    "ReportData",
    "ReportInputs",
    "bundled_inputs",
    "summary_columns",
    "user_inputs",
]

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
    files: Any = None  # an event table on disk, counted out of core (DuckDB)
    files_by: str | None = None  # its group column (None: one series)
    n_events: int | None = None  # the number of events when they are not in memory


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


BUNDLED_CAVEAT = (
    "Rows are one attack on one facility on one date; the Pentagon counted waves separately "
    "and left out claims it did not confirm, so the rows undercount Iraq and overcount Syria "
    "against the official tallies."
)
_ALL = "all events"


def bundled_inputs(
    key_events: pd.DataFrame | None,
    interventions: Sequence[EventSpec] | None,
    study_kind: str | None,
    tallies: pd.DataFrame | None,
    basis: Sequence[str] | None,
    start: str | pd.Timestamp | None,
    end: str | pd.Timestamp | None,
) -> ReportInputs:
    """Fill in the bundled data with its key events, tallies, interventions and window."""
    attacks = load_attacks()
    events = attacks if not basis else attacks[attacks[BASIS].isin(list(basis))]
    official = attacks[attacks[BASIS] == "official"]
    basis_text = "all evidence levels" if not basis else "basis " + ", ".join(basis)
    if interventions is None:
        interventions = [
            EventSpec(date=KH_STRIKE, label="KH strike"),
            EventSpec(date=TRUCE_START, end=TRUCE_END, shape="pulse", label="Gaza truce"),
        ]
    return ReportInputs(
        events=events.reset_index(drop=True),
        by="country",
        key_events=load_key_events() if key_events is None else key_events,
        interventions=list(interventions),
        study_kind=study_kind or "us_strike",
        tallies=load_tallies() if tallies is None else tallies,
        start=COUNT_START if start is None else as_day(start, "start"),
        end=pd.Timestamp("2024-02-04") if end is None else as_day(end, "end"),
        title="Attacks on US forces in Iraq and Syria, 2023-24",
        source_name=f"bundled data: attacks on US forces in Iraq, Syria and Jordan ({basis_text})",
        noun="attack",
        bundled=True,
        caveat=BUNDLED_CAVEAT,
        sources={} if basis == ["official"] else {"official-basis rows": official},
    )


def file_inputs(
    files: Any,
    key_events: pd.DataFrame | None,
    interventions: Sequence[EventSpec] | None,
    study_kind: str | None,
    tallies: pd.DataFrame | None,
    by: str | None,
    basis: Sequence[str] | None,
) -> ReportInputs:
    """Take an event table on disk (Parquet or CSV files): DuckDB counts it out of core.

    The events never enter pandas, only their counts per day and group; what needs the
    rows themselves (``basis=``, the tally reconciliation) is refused with the fix.
    """
    for name, given in (("basis", bool(basis)), ("tallies", tallies is not None)):
        if given:
            raise FlashpointValueError(
                f"{name}= needs the event rows in memory, but the events were given as files "
                f"(counted out of core by DuckDB); leave {name}= out, or read the events into "
                "a DataFrame (fp.read_events) and pass that"
            )
    column = by or "group"
    empty = pd.DataFrame({DATE: pd.Series(dtype="datetime64[us]"), column: pd.Series(dtype=object)})
    return ReportInputs(
        events=empty,
        by=column,
        key_events=key_events,
        interventions=list(interventions or []),
        study_kind=study_kind,
        tallies=None,
        start=None,
        end=None,
        title="Event report",
        source_name=str(files) if isinstance(files, str | PathLike) else "event files",
        noun="event",
        bundled=False,
        files=files,
        files_by=by,
    )


def user_inputs(
    events: pd.DataFrame,
    key_events: pd.DataFrame | None,
    interventions: Sequence[EventSpec] | None,
    study_kind: str | None,
    tallies: pd.DataFrame | None,
    by: str | None,
    basis: Sequence[str] | None,
) -> ReportInputs:
    """Take a user's event table as it is: nothing is assumed about it."""
    if basis:
        if BASIS not in events.columns:
            raise FlashpointValueError(
                f"basis= needs a '{BASIS}' column in the event table (columns: "
                f"{list(events.columns)}); drop basis= or add the column"
            )
        events = events[events[BASIS].isin(list(basis))]
    if by is None:
        by = "group"
        events = events.assign(**{by: _ALL})
    elif by not in events.columns:
        raise FlashpointValueError(
            f"the event table has no group column {by!r} (columns: {list(events.columns)}); "
            "pass by= (CLI: --by or --group-col)"
        )
    return ReportInputs(
        events=events.reset_index(drop=True),
        by=by,
        key_events=key_events,
        interventions=list(interventions or []),
        study_kind=study_kind,
        tallies=tallies,
        start=None,
        end=None,
        title="Event report",
        source_name="event table",
        noun="event",
        bundled=False,
    )
