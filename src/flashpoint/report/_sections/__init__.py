"""The sections of the report: each runs one analysis and adds its figures, tables and notes.

A section function fills the :class:`~flashpoint.report.Section` it is given and computes
nothing the models do not; results other sections or the summary need go into ``state``.
Figures take the page's :class:`~flashpoint.report._inputs.Look` (the noun and one colour
per group). Modules by topic: ``_verdict`` (verdict, overview), ``_counting`` (counts,
tallies, trend), ``_effects`` (ITS, placebo, sources, event study) and ``_escalation``
(change points, R_t, alarms, Hawkes, methods).
"""

from __future__ import annotations

from flashpoint.report._sections._counting import counts_section, tallies_section, trend_section
from flashpoint.report._sections._effects import (
    EVENT_STUDY_WINDOWS,
    event_study_section,
    its_section,
    placebo_section,
    sources_section,
)
from flashpoint.report._sections._escalation import (
    alarm_section,
    changepoint_section,
    hawkes_section,
    methods_section,
    rt_section,
)
from flashpoint.report._sections._verdict import overview_section, verdict_section

__all__ = [
    "EVENT_STUDY_WINDOWS",
    "alarm_section",
    "changepoint_section",
    "counts_section",
    "event_study_section",
    "hawkes_section",
    "its_section",
    "methods_section",
    "overview_section",
    "placebo_section",
    "rt_section",
    "sources_section",
    "tallies_section",
    "trend_section",
    "verdict_section",
]
