"""The HTML report: one self-contained page with every analysis of an event table.

:func:`build_report` runs the package's analyses on an event table (by default the bundled
data set) and assembles their figures and tables; it computes
nothing the models do not. :meth:`Report.write` writes one HTML file with plotly.js embedded
once, which opens offline. Every user-supplied string (title, labels, notes, file names)
is HTML-escaped.

The page opens with the verdict (:func:`flashpoint.assess_event`); the text summary is the
title and the verdict's sentences. Modules: ``_html`` (:class:`Section`, :class:`Report`
and the page), ``_tables`` (tables in words), ``_inputs`` (what the sections share, and the
bundled data's defaults), ``_sections`` (one function per section, by topic) and ``_build``
(:func:`build_report`).
``MIN_EVENTS`` is importable from here but not in ``__all__``.
"""

from __future__ import annotations

from flashpoint.report._build import MIN_EVENTS as MIN_EVENTS
from flashpoint.report._build import build_report
from flashpoint.report._html import Report, Section

__all__ = ["Report", "Section", "build_report"]
