"""The HTML report: one self-contained page with every analysis of an event table.

:func:`build_report` runs the package's analyses on an event table (by default the bundled
attacks on US forces in Iraq and Syria) and assembles their figures and tables; it computes
nothing the models do not. :meth:`Report.write` writes one HTML file with plotly.js embedded
once, which opens offline. Every user-supplied string (title, labels, notes, file names)
is HTML-escaped.
"""

from __future__ import annotations

import datetime as _dt
import html
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from flashpoint import __version__
from flashpoint.counts import count_daily, cumulative, reconcile_tallies, rolling_mean
from flashpoint.datasets import (
    COUNT_START,
    KH_STRIKE,
    TRUCE_END,
    TRUCE_START,
    load_attacks,
    load_key_events,
    load_tallies,
)
from flashpoint.errors import FlashpointError, FlashpointValueError
from flashpoint.models import (
    EventSpec,
    compare_sources,
    detect_alarms,
    detect_changepoints,
    estimate_rt,
    fit_event_study,
    fit_hawkes,
    fit_its,
    fit_tally_rates,
    fit_trend,
    placebo_test,
)
from flashpoint.plots import (
    plot_alarms,
    plot_changepoints,
    plot_counts,
    plot_cumulative,
    plot_event_study,
    plot_hawkes,
    plot_its,
    plot_placebo,
    plot_rt,
    plot_tally_fit,
    plot_trend,
)
from flashpoint.schemas import COUNT, DATE, END, KIND, LABEL

__all__ = ["Report", "Section", "build_report"]

MIN_EVENTS = 10
"""Groups with fewer events in the window are shown but left out of the models."""


@dataclass
class Section:
    """One part of the report: text, figures and tables, or the reason it is missing."""

    title: str
    intro: str = ""
    figures: list[go.Figure] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class Report:
    """An assembled report (see :func:`build_report`).

    Attributes
    ----------
    title : str
        Title of the page.
    description : str
        What was analysed (data, window, events).
    sections : tuple of Section
        The parts of the report in order.
    summary_lines : tuple of str
        The short text summary (also printed by ``flashpoint report``).
    generated : str
        Time of generation (UTC, ISO 8601).
    """

    title: str
    description: str
    sections: tuple[Section, ...]
    summary_lines: tuple[str, ...]
    generated: str

    @property
    def n_figures(self) -> int:
        """Number of figures in the report."""
        return sum(len(s.figures) for s in self.sections)

    def text_summary(self) -> str:
        """Return the short text summary."""
        return "\n".join(self.summary_lines)

    def to_html(self) -> str:
        """Render the report as one self-contained HTML page (plotly.js embedded once)."""
        esc = html.escape
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{esc(self.title)}</title>",
            f"<style>{_CSS}</style>",
            f'<script type="text/javascript">{get_plotlyjs()}</script>',
            "</head><body><main>",
            f"<h1>{esc(self.title)}</h1>",
            f'<p class="meta">{esc(self.description)}</p>',
            f'<p class="meta">Generated {esc(self.generated)} by flashpoint {esc(__version__)}.'
            " Every figure is interactive (hover, zoom, double-click to reset).</p>",
            '<section class="summary"><h2>Summary</h2><pre>'
            + esc(self.text_summary())
            + "</pre></section>",
            "<nav><h2>Contents</h2><ol>"
            + "".join(
                f'<li><a href="#s{i}">{esc(s.title)}</a></li>' for i, s in enumerate(self.sections)
            )
            + "</ol></nav>",
        ]
        figure_number = 0
        for i, section in enumerate(self.sections):
            parts.append(f'<section id="s{i}"><h2>{esc(section.title)}</h2>')
            if section.intro:
                parts.append(f"<p>{esc(section.intro)}</p>")
            if section.error:
                parts.append(f'<p class="error">Not available: {esc(section.error)}</p>')
            for fig in section.figures:
                figure_number += 1
                parts.append(_figure_html(fig, f"figure-{figure_number}"))
            for caption, table in section.tables:
                parts.append(f"<h3>{esc(caption)}</h3>")
                parts.append(_table_html(table))
            if section.notes:
                parts.append(
                    '<ul class="notes">'
                    + "".join(f"<li>{esc(n)}</li>" for n in section.notes)
                    + "</ul>"
                )
            parts.append("</section>")
        parts.append("</main></body></html>")
        return "\n".join(parts)

    def write(self, path: str | Path) -> Path:
        """Write the HTML page and return its path."""
        out = Path(path)
        if out.parent and not out.parent.exists():
            raise FlashpointValueError(f"the folder {out.parent} does not exist")
        out.write_text(self.to_html(), encoding="utf-8")
        return out


_CSS = """
body{font-family:Helvetica,Arial,sans-serif;color:#222;margin:0;background:#fafafa}
main{max-width:1000px;margin:0 auto;padding:24px;background:#fff}
h1{font-size:26px;margin-bottom:4px} h2{font-size:20px;border-bottom:1px solid #ddd;
padding-bottom:4px;margin-top:36px} h3{font-size:15px;margin:18px 0 6px}
.meta{color:#555;font-size:13px} .error{color:#a00} .notes{font-size:13px;color:#444}
pre{background:#f4f4f4;padding:12px;font-size:13px;white-space:pre-wrap}
table{border-collapse:collapse;font-size:12px;margin:6px 0 12px}
td,th{border-bottom:1px solid #e5e5e5;padding:3px 8px;text-align:right}
th{background:#f2f2f2} td:first-child,th:first-child{text-align:left}
.figure{margin:12px 0}
"""


def _figure_html(fig: go.Figure, div_id: str) -> str:
    """Render a figure as a div and a script (the JSON cannot end the script early)."""
    payload = pio.to_json(fig, validate=False)
    # '</' inside a script element would end it: escape the slash (valid JSON)
    payload = payload.replace("</", "<\\/")
    return (
        f'<div class="figure"><div id="{div_id}" class="fp-figure"></div>'
        f'<script type="text/javascript">(function(){{var f={payload};'
        f'Plotly.newPlot("{div_id}",f.data,f.layout,{{responsive:true,displaylogo:false}});'
        "})();</script></div>"
    )


def _table_html(table: pd.DataFrame) -> str:
    """Render a small table: numbers rounded for reading, every cell escaped."""
    shown = table.copy()
    for col in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[col]):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(shown[col]):
            shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:.3g}")
    return shown.to_html(index=False, escape=True, border=0, na_rep="")


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------
class _Progress:
    """Prints each step that takes over a second (to standard error)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.perf_counter()

    def done(self, name: str, seconds: float) -> None:
        if self.enabled and seconds >= 1.0:
            total = time.perf_counter() - self.start
            print(f"  {name}: {seconds:.1f} s (total {total:.1f} s)", file=sys.stderr)


def _run(section: Section, progress: _Progress, body: Callable[[Section], None]) -> Section:
    """Fill a section; a user-facing error becomes the section's message, warnings notes."""
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            body(section)
        except FlashpointError as err:
            section.error = str(err).splitlines()[0]
    for w in caught:
        if issubclass(w.category, UserWarning):
            note = f"Warning: {w.message}"
            if note not in section.notes:
                section.notes.append(note)
    section.seconds = time.perf_counter() - t0
    progress.done(section.title, section.seconds)
    return section


def build_report(
    events: pd.DataFrame | None = None,
    *,
    key_events: pd.DataFrame | None = None,
    interventions: Sequence[EventSpec] | None = None,
    study_kind: str | None = None,
    tallies: pd.DataFrame | None = None,
    by: str = "country",
    basis: Sequence[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    title: str | None = None,
    source_name: str | None = None,
    progress: bool = False,
) -> Report:
    """Analyse an event table and assemble the report.

    Parameters
    ----------
    events
        Validated events (default: the bundled attacks, :func:`flashpoint.load_attacks`).
    key_events
        Key events to mark on the figures and, by ``study_kind``, to pool in the event
        study (default for the bundled data: :func:`flashpoint.load_key_events`).
    interventions
        The events whose effect is estimated (interrupted time series, placebo test,
        tallies). Default for the bundled data: the KH strike (2023-11-22, a step) and the
        Gaza truce (2023-11-24 to 2023-12-01, a pulse). The first one is the placebo test's
        target.
    study_kind
        ``kind`` of the key events pooled in the event study (default ``"us_strike"`` for
        the bundled data, else the most frequent kind).
    tallies
        Cumulative tallies to reconcile with (default for the bundled data:
        :func:`flashpoint.load_tallies`).
    by
        Group column of ``events``.
    basis
        Keep only event rows with these ``basis`` values (bundled data).
    start, end
        Window of the models. Default for the bundled data: 2023-10-17 (the official count's
        start) to 2024-02-04 (the last attack before a pause of almost three months);
        otherwise the whole table.
    title
        Title of the page.
    source_name
        How to name the data in the page (e.g. the file name).
    progress
        Print steps that take over a second to standard error.

    Returns
    -------
    Report
        Write it with :meth:`Report.write`; :meth:`Report.text_summary` is the summary.

    Examples
    --------
    >>> import flashpoint as fp
    >>> report = fp.build_report()
    >>> report.n_figures >= 10
    True
    """
    bundled = events is None
    if events is None:
        events = load_attacks(basis=basis)
        key_events = load_key_events() if key_events is None else key_events
        tallies = load_tallies() if tallies is None else tallies
        if interventions is None:
            interventions = [
                EventSpec(date=KH_STRIKE, label="KH strike"),
                EventSpec(date=TRUCE_START, end=TRUCE_END, shape="pulse", label="Gaza truce"),
            ]
        study_kind = study_kind or "us_strike"
        start = COUNT_START if start is None else start
        end = pd.Timestamp("2024-02-04") if end is None else end
        source_name = source_name or "bundled data: attacks on US forces in Iraq, Syria and Jordan"
        basis_text = "all evidence levels" if not basis else "basis " + ", ".join(basis)
        source_name += f" ({basis_text})"
    elif basis:
        if "basis" not in events.columns:
            raise FlashpointValueError("basis= needs a 'basis' column in the event table")
        events = events[events["basis"].isin(list(basis))]
    if by not in events.columns:
        raise FlashpointValueError(
            f"the event table has no group column {by!r} (columns: {list(events.columns)}); "
            "pass by= (CLI: --by or --group-col)"
        )
    if len(events) == 0:
        raise FlashpointValueError("no events left to analyse (check --basis and the file)")
    interventions = list(interventions or [])
    marks = _marks(key_events, interventions)
    all_counts = count_daily(events, by=by)
    first = pd.Timestamp(start) if start is not None else all_counts[DATE].min()
    last = pd.Timestamp(end) if end is not None else all_counts[DATE].max()
    if last <= first:
        raise FlashpointValueError(f"end ({last.date()}) must be after start ({first.date()})")
    window = count_daily(
        events[(events[DATE] >= first) & (events[DATE] <= last)],
        by=by,
        start=first,
        end=last,
        groups=sorted(events[by].unique()),
    )
    totals = window.groupby(by)[COUNT].sum()
    modelled = [g for g in totals.index if totals[g] >= MIN_EVENTS]
    small = [g for g in totals.index if totals[g] < MIN_EVENTS]
    counts = window[window[by].isin(modelled)].reset_index(drop=True)
    prog = _Progress(progress)
    title = title or (
        "Attacks on US forces in Iraq and Syria, 2023-24" if bundled else "Event report"
    )
    description = (
        f"Data: {source_name or 'event table'}; {len(events)} events from "
        f"{all_counts[DATE].min().date()} to {all_counts[DATE].max().date()}. Models use "
        f"{first.date()} to {last.date()} and the groups with at least {MIN_EVENTS} events "
        f"({', '.join(map(str, modelled)) or 'none'})."
        + (f" Left out of the models: {', '.join(map(str, small))}." if small else "")
        + (
            " Interventions: "
            + "; ".join(
                f"{s.name} ({s.shape}, {s.date.date()}"
                + (f" to {s.end.date()}" if s.end is not None else "")
                + ")"
                for s in interventions
            )
            + "."
            if interventions
            else ""
        )
    )
    state: dict[str, Any] = {}
    sections = [
        _run(Section("Daily counts"), prog, lambda s: _counts_section(s, all_counts, by, marks)),
    ]
    if tallies is not None:
        sections.append(
            _run(
                Section("Event rows against the official tallies"),
                prog,
                lambda s: _tallies_section(s, events, tallies, all_counts, by, marks, first),
            )
        )
    if len(counts):
        sections.append(
            _run(Section("Trend"), prog, lambda s: _trend_section(s, counts, marks, state))
        )
        if interventions:
            sections.append(
                _run(
                    Section("Did the rate change after the events?"),
                    prog,
                    lambda s: _its_section(s, counts, interventions, state),
                )
            )
            sections.append(
                _run(
                    Section("Placebo test"),
                    prog,
                    lambda s: _placebo_section(s, counts, interventions),
                )
            )
        if tallies is not None and interventions and bundled:
            sections.append(
                _run(
                    Section("The same question from the official tallies"),
                    prog,
                    lambda s: _sources_section(s, tallies, events, interventions, first),
                )
            )
        if key_events is not None and len(key_events):
            sections.append(
                _run(
                    Section("Event study"),
                    prog,
                    lambda s: _event_study_section(s, counts, key_events, study_kind),
                )
            )
        sections.append(
            _run(
                Section("Change points"),
                prog,
                lambda s: _changepoint_section(s, counts, marks, interventions, state),
            )
        )
        sections.append(
            _run(
                Section("Reproduction number"),
                prog,
                lambda s: _rt_section(s, counts, marks, interventions, state),
            )
        )
        sections.append(
            _run(
                Section("Alarms"),
                prog,
                lambda s: _alarm_section(s, counts, marks, state),
            )
        )
        sections.append(
            _run(
                Section("Self-excitation (Hawkes)"),
                prog,
                lambda s: _hawkes_section(s, counts, key_events, study_kind, interventions, state),
            )
        )
    sections.append(_methods_section())
    summary = _summary_lines(title, events, window, by, modelled, state, interventions)
    return Report(
        title=title,
        description=description,
        sections=tuple(sections),
        summary_lines=tuple(summary),
        generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _marks(key_events: pd.DataFrame | None, interventions: Sequence[EventSpec]) -> pd.DataFrame:
    """Events to mark on figures: the interventions, then US strikes or all key events."""
    rows = [
        {DATE: s.date, END: s.end if s.end is not None else pd.NaT, LABEL: s.name}
        for s in interventions
    ]
    if key_events is not None and len(key_events):
        ke = key_events
        if KIND in ke.columns and (ke[KIND] == "us_strike").any():
            ke = ke[ke[KIND] == "us_strike"]
        for _, r in ke.iterrows():
            if any(pd.Timestamp(r[DATE]) == x[DATE] for x in rows):
                continue
            rows.append(
                {
                    DATE: pd.Timestamp(r[DATE]),
                    END: pd.Timestamp(r[END]) if END in ke.columns and pd.notna(r[END]) else pd.NaT,
                    LABEL: str(r[LABEL]) if LABEL in ke.columns else str(r[DATE])[:10],
                }
            )
    return pd.DataFrame(rows, columns=[DATE, END, LABEL])


def _counts_section(s: Section, counts: pd.DataFrame, by: str, marks: pd.DataFrame) -> None:
    s.intro = (
        "Events per day and group (bars) with their 7-day trailing mean (line). "
        "Markers: the interventions and key events; shaded: periods such as a truce."
    )
    s.figures.append(
        plot_counts(rolling_mean(counts, window=7), by=by, events=marks, title="Events per day")
    )
    table = (
        counts.groupby(by)
        .agg(
            events=(COUNT, "sum"),
            days=(COUNT, "size"),
            mean_per_day=(COUNT, "mean"),
            max_per_day=(COUNT, "max"),
            days_with_events=(COUNT, lambda c: int((c > 0).sum())),
        )
        .reset_index()
    )
    s.tables.append(("Events per group", table))


def _tallies_section(
    s: Section,
    events: pd.DataFrame,
    tallies: pd.DataFrame,
    counts: pd.DataFrame,
    by: str,
    marks: pd.DataFrame,
    first: pd.Timestamp,
) -> None:
    s.intro = (
        "Cumulative event rows (lines) against the officials' running totals (markers: circle "
        "exact, diamond approximate, triangle a lower bound). Rows are one attack on one "
        "facility on one date; the Pentagon counted waves separately and left out claims it "
        "did not confirm, so Iraq is undercounted and Syria overcounted by the rows."
    )
    rec = reconcile_tallies(
        events, tallies, by=by, qualifier=("exact", "about", "at_least"), start=first
    )
    cum = cumulative(counts, start=first, total="total")
    last_tally = rec["end"].max()
    s.figures.append(
        plot_cumulative(
            cum[cum[DATE] <= last_tally + pd.Timedelta(days=7)], rec, by=by, events=marks
        )
    )
    exact = reconcile_tallies(events, tallies, by=by, start=first)
    shown = exact[exact["group"] != "Jordan"][
        ["group", "end", "qualifier", "official_cumulative", "event_cumulative", "coverage"]
    ]
    s.tables.append(
        (
            "Coverage: event rows / official tally, at each official tally (exact or approximate)",
            shown,
        )
    )
    alt = exact[(exact["group"] == "total") & (exact["alternatives"] != "")][
        ["end", "official_cumulative", "alternatives"]
    ]
    if len(alt):
        s.tables.append(("Same-day tallies that disagree (the one used, and the others)", alt))
    flagged = exact[~exact["monotone"]]
    for _, r in flagged.iterrows():
        s.notes.append(
            f"The tally of {r['end'].date()} ({r['official_cumulative']}) is lower than "
            f"the one before it for group {r['group']}: the sources contradict each "
            "other; this interval is not used by the models."
        )


def _trend_section(
    s: Section, counts: pd.DataFrame, marks: pd.DataFrame, state: dict[str, Any]
) -> None:
    res = fit_trend(counts)
    state["trend"] = res
    s.intro = (
        "Negative-binomial regression with a natural-spline trend per group: the "
        "expected events per day with a 95% band. Growth is the change of the log rate "
        "per week at the end of the window."
    )
    s.figures.append(plot_trend(res, events=marks))
    s.tables.append(
        (
            "Growth at the end of the window",
            res.summary()[
                [
                    res.by,
                    "at",
                    "percent_change",
                    "percent_change_lower",
                    "percent_change_upper",
                    "doubling_time",
                    "halving_time",
                    "rate_at_end",
                    "nb_alpha",
                    "lr_p_value",
                ]
            ],
        )
    )


def _its_section(
    s: Section,
    counts: pd.DataFrame,
    interventions: Sequence[EventSpec],
    state: dict[str, Any],
) -> None:
    res = fit_its(counts, list(interventions), seed=0)
    state["its"] = res
    s.intro = (
        "Interrupted time series: a negative-binomial regression of the daily counts "
        "per group on a linear trend and one term per intervention. Rate ratios above "
        "1 mean more attacks per day than the trend predicts. The lower panels show "
        "the cumulative excess attacks against the counterfactual without the events."
    )
    s.figures.append(plot_its(res))
    cols = [
        res.by,
        "event",
        "shape",
        "rate_ratio",
        "rate_ratio_lower",
        "rate_ratio_upper",
        "p_value",
        "ci_method",
    ]
    s.tables.append(("Rate ratios (95% intervals)", res.summary()[cols]))
    s.tables.append(
        ("Dispersion (NB2 alpha; likelihood-ratio test against Poisson)", res.dispersion)
    )
    if (res.summary()["ci_method"] == "profile").any():
        s.notes.append(
            "A rate ratio of 0 means no event fell in the term's window; its upper "
            "bound is from the profile likelihood and its p-value from a "
            "likelihood-ratio test."
        )


def _placebo_section(s: Section, counts: pd.DataFrame, interventions: Sequence[EventSpec]) -> None:
    res = placebo_test(counts, list(interventions), target=0)
    s.intro = (
        f"In-time placebo test of {interventions[0].name}: the same model refitted with "
        "the event moved to every other eligible date; the p-value is the rank of the "
        "real estimate among the placebo estimates (two-sided)."
    )
    s.figures.append(plot_placebo(res))
    s.tables.append(
        (
            "Placebo inference",
            res.summary()[
                [
                    res.by,
                    "observed",
                    "rate_ratio",
                    "n_placebo",
                    "placebo_mean",
                    "placebo_sd",
                    "p_value",
                ]
            ],
        )
    )


def _sources_section(
    s: Section,
    tallies: pd.DataFrame,
    events: pd.DataFrame,
    interventions: Sequence[EventSpec],
    first: pd.Timestamp,
) -> None:
    comparison = compare_sources(tallies, events, list(interventions), start=first)
    s.intro = (
        "The same effects estimated from three readings of the record: the officials' "
        "cumulative tallies (daily rates fitted to the counts between successive tallies, "
        "quasi-Poisson), the event rows US officials confirmed, and all event rows "
        f"(negative binomial), over {comparison.start.date()} to {comparison.end.date()}."
    )
    s.figures.append(comparison.plot())
    s.tables.append(("Rate ratios by source (95% intervals)", comparison.summary()))
    tally = fit_tally_rates(
        tallies,
        list(interventions),
        family="quasipoisson",
        start=first,
        end=comparison.end,
        groups=["total", "iraq", "syria"],
    )
    s.figures.append(plot_tally_fit(tally))
    s.notes += [f"Warning: {w}" for w in comparison.warnings]


def _event_study_section(
    s: Section, counts: pd.DataFrame, key_events: pd.DataFrame, kind: str | None
) -> None:
    if KIND in key_events.columns:
        kind = kind or str(key_events[KIND].value_counts().index[0])
        chosen = key_events[key_events[KIND] == kind]
    else:
        chosen = key_events
    res = fit_event_study(counts, chosen, per_event=True)
    s.intro = (
        f"Event study of {res.n_events} events of kind {kind!r}: the rate in windows of "
        "days before and after the events against days outside every window "
        "(negative binomial with a spline trend). Pre-event windows test for "
        "anticipation or reverse causality."
    )
    s.figures.append(plot_event_study(res))
    s.tables.append(
        (
            "Rate ratio by window",
            res.summary()[
                [
                    res.by,
                    "window",
                    "rate_ratio",
                    "rate_ratio_lower",
                    "rate_ratio_upper",
                    "p_value",
                    "event_days",
                ]
            ],
        )
    )
    s.tables.append(("Pre-trend test (pre-event windows jointly equal to 1)", res.pretrend))
    s.tables.append(("Each event: days 1-14 after it", res.per_event))


def _changepoint_section(
    s: Section,
    counts: pd.DataFrame,
    marks: pd.DataFrame,
    interventions: Sequence[EventSpec],
    state: dict[str, Any],
) -> None:
    res = detect_changepoints(counts, method="bayes", family="negbin")
    state["changepoints"] = res
    s.intro = (
        "Exact Bayesian change-point analysis (negative binomial, product-partition "
        "model): segment rates with 95% credible intervals and the posterior "
        "probability of a change on each day."
    )
    s.figures.append(plot_changepoints(res, events=marks))
    s.tables.append(("Segments (posterior mode)", res.summary()))
    if interventions:
        near = res.change_near([sp.date for sp in interventions], within=3)
        state["change_near"] = near
        s.tables.append(("Is there a change within 3 days of the interventions?", near))


def _hawkes_section(
    s: Section,
    counts: pd.DataFrame,
    key_events: pd.DataFrame | None,
    kind: str | None,
    interventions: Sequence[EventSpec],
    state: dict[str, Any],
) -> None:
    exogenous = None
    if key_events is not None and KIND in key_events.columns and kind is not None:
        chosen = key_events[key_events[KIND] == kind]
        exogenous = chosen if len(chosen) else None
    regimes = [interventions[0].date] if interventions else None
    res = fit_hawkes(counts, exogenous=exogenous, regimes=regimes)
    state["hawkes"] = res
    s.intro = (
        "Discrete-time Hawkes model: each day's expected count is a background rate, "
        "plus attacks triggered by earlier attacks (the branching ratio: expected "
        "direct offspring per attack), plus attacks triggered by "
        + (f"the {kind} events. " if exogenous is not None else "exogenous events. ")
        + (
            f"The branching ratio may differ before and after {interventions[0].name}."
            if regimes
            else ""
        )
    )
    s.figures.append(plot_hawkes(res))
    s.tables.append(("Parameters (95% profile-likelihood intervals)", res.summary()))
    s.notes.append(
        "A high branching ratio after an event can also reflect pauses and bursts "
        "set by outside decisions (a truce, a halt): read it as clustering."
    )


def _rt_section(
    s: Section,
    counts: pd.DataFrame,
    marks: pd.DataFrame,
    interventions: Sequence[EventSpec],
    state: dict[str, Any],
) -> None:
    res = estimate_rt(counts, window=14)
    state["rt"] = res
    s.intro = (
        "Time-varying reproduction number (Cori et al. 2013, as in EpiEstim) over "
        "14-day windows, with a serial interval of mean 4 and sd 3 days (a convention "
        "for the delay between an attack and the attacks it provokes). R above 1 means "
        "the recent attacks are followed by more; it is a growth index, about 1 for any "
        "steady series. Windows with few events are flagged as unreliable."
    )
    s.figures.append(plot_rt(res, events=marks))
    if interventions:
        table = res.summary()
        day = interventions[0].date
        picks = [day - pd.Timedelta(days=1), day + pd.Timedelta(days=13)]
        shown = table[table[DATE].isin(picks)][
            [
                res.by,
                DATE,
                "window_start",
                "rt_mean",
                "rt_lower",
                "rt_upper",
                "window_count",
                "reliable",
            ]
        ]
        s.tables.append(
            (
                f"R before {interventions[0].name} (window ending the day before) "
                "and after it (the 14 days from it)",
                shown,
            )
        )


def _alarm_section(
    s: Section, counts: pd.DataFrame, marks: pd.DataFrame, state: dict[str, Any]
) -> None:
    res = detect_alarms(counts, method="nb_cusum")
    state["alarms"] = res
    s.intro = (
        "Negative-binomial CUSUM (Hoehle & Paul 2008) against a rolling 28-day baseline "
        "(7-day guard): an alarm when the evidence for a doubling of the rate crosses "
        "a threshold set for an in-control false-alarm rate of 0.5% of days."
    )
    s.figures.append(plot_alarms(res, events=marks))
    alarms = res.summary()
    if len(alarms):
        s.tables.append(("Alarm days", alarms))
    else:
        s.notes.append("No alarm: no day exceeded the threshold.")


def _methods_section() -> Section:
    return Section(
        "Methods and caveats",
        intro=(
            "Counts are daily and zero-filled; every model uses a count likelihood (negative "
            "binomial unless stated) and reports intervals at the 95% level. The bundled event "
            "list is imperfect: it undercounts Iraq and overcounts Syria against the official "
            "tallies; compare the official-basis rows, all rows and the tallies before drawing "
            "a conclusion. Warnings raised by the models are listed under each section."
        ),
    )


def _fmt_rr(row: pd.Series) -> str:
    if row["rate_ratio"] == 0:
        return f"0 (upper bound {row['rate_ratio_upper']:.2f})"
    return (
        f"{row['rate_ratio']:.2f} ({row['rate_ratio_lower']:.2f} to "
        f"{row['rate_ratio_upper']:.2f}, p = {row['p_value']:.3f})"
    )


def _summary_lines(
    title: str,
    events: pd.DataFrame,
    window: pd.DataFrame,
    by: str,
    modelled: Sequence[Any],
    state: dict[str, Any],
    interventions: Sequence[EventSpec],
) -> list[str]:
    lines = [title, f"window {window[DATE].min().date()} to {window[DATE].max().date()}"]
    target = interventions[0].name if interventions else None
    for g in sorted(window[by].unique(), key=str):
        n = int(window.loc[window[by] == g, COUNT].sum())
        parts = [f"{g}: {n} attacks"]
        if g in modelled:
            trend = state.get("trend")
            if trend is not None:
                t = trend.summary().set_index(trend.by)
                if g in t.index:
                    r = t.loc[g]
                    parts.append(
                        f"trend {r['percent_change']:+.0f}%/week "
                        f"({r['percent_change_lower']:+.0f} to "
                        f"{r['percent_change_upper']:+.0f})"
                    )
            its = state.get("its")
            if its is not None and target is not None:
                tab = its.summary()
                row = tab[(tab[its.by] == g) & (tab["event"] == target)]
                if len(row):
                    parts.append(f"{target} rate ratio {_fmt_rr(row.iloc[0])}")
            cps = state.get("changepoints")
            if cps is not None:
                ch = cps.changes
                ch = ch[ch[cps.by] == g] if cps.by else ch
                dates = ", ".join(str(pd.Timestamp(d).date()) for d in ch[DATE]) or "none"
                parts.append(f"change points {dates}")
            hawkes = state.get("hawkes")
            if hawkes is not None:
                parts.append(_branching_text(hawkes, g))
            alarms = state.get("alarms")
            if alarms is not None:
                days = alarms.summary()
                days = days[days[alarms.by] == g] if alarms.by else days
                listed = ", ".join(str(pd.Timestamp(d).date()) for d in days[DATE]) or "none"
                parts.append(f"alarm days {listed}")
        else:
            parts.append("too few events to model")
        lines.append("; ".join(parts))
    return lines


def _branching_text(res: Any, group: Any) -> str:
    """Branching ratio per regime, e.g. ``before 2023-11-22 0.00 (0.00 to 0.60)``."""
    table = res.summary()
    rows = table[table["term"] == "branching_ratio"]
    if res.by is not None:
        rows = rows[rows[res.by] == group]
    if "source" in rows.columns and res.by is not None:
        rows = rows[rows["source"].astype(str) == str(group)]
    if not len(rows):
        return "branching ratio n/a"
    parts = []
    for _, r in rows.iterrows():
        if "regime_start" in rows.columns and pd.notna(r["regime_start"]) and len(rows) > 1:
            label = f"from {pd.Timestamp(r['regime_start']).date()} "
        else:
            label = ""
        parts.append(f"{label}{r['estimate']:.2f} ({r['ci_lower']:.2f} to {r['ci_upper']:.2f})")
    return "branching ratio " + ", ".join(parts)
