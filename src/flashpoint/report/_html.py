"""The report's parts and its page: :class:`Section`, :class:`Report` and the HTML rendering.

The page is self-contained: plotly.js is embedded once and every user-supplied string
(title, labels, notes, file names) is HTML-escaped. Its head carries
``<meta name="generator" content="flashpoint <version>">``, by which :meth:`Report.write`
recognises a file it may replace.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from flashpoint._output import check_target, write_atomic
from flashpoint._version import __version__
from flashpoint.report._tables import heading, table_html

__all__ = ["Report", "Section"]


@dataclass
class Section:
    """One part of the report: text, figures and tables, or the reason it is missing."""

    title: str
    intro: str = ""
    anchor: str | None = None
    paragraphs: list[str] = field(default_factory=list)
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
    groups : tuple of str
        The groups shown in detail; with two or more, the page has a selector that shows
        one group's rows and traces only.
    group_column : str or None
        The group column (the first column of the tables the selector filters).
    """

    title: str
    description: str
    sections: tuple[Section, ...]
    summary_lines: tuple[str, ...]
    generated: str
    groups: tuple[str, ...] = ()
    group_column: str | None = None

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
            f'<meta name="generator" content="{GENERATOR} {esc(__version__)}">',
            f"<title>{esc(self.title)}</title>",
            f"<style>{_CSS}</style>",
            f"<script>{_SCRIPT}</script>",
            f'<script type="text/javascript">{get_plotlyjs()}</script>',
            "</head><body><main>",
            f"<h1>{esc(self.title)}</h1>",
            f'<p class="meta">{esc(self.description)}</p>',
            f'<p class="meta">Generated {esc(self.generated)} by flashpoint {esc(__version__)}.'
            " Every figure is interactive (hover, zoom, double-click to reset).</p>",
            self._picker_html(),
        ]
        anchors = [s.anchor or f"s{i}" for i, s in enumerate(self.sections)]
        contents = "<nav><h2>Contents</h2><ol>" + "".join(
            f'<li><a href="#{a}">{esc(s.title)}</a></li>'
            for a, s in zip(anchors, self.sections, strict=True)
        )
        contents += "</ol></nav>"
        figure_number = 0
        for i, section in enumerate(self.sections):
            parts.append(f'<section id="{anchors[i]}"><h2>{esc(section.title)}</h2>')
            if section.intro:
                parts.append(f"<p>{esc(section.intro)}</p>")
            parts.extend(f'<p class="lead">{esc(p)}</p>' for p in section.paragraphs)
            if section.error:
                parts.append(f'<p class="error">Not available: {esc(section.error)}</p>')
            for fig in section.figures:
                figure_number += 1
                parts.append(_figure_html(fig, f"figure-{figure_number}"))
            for caption, table in section.tables:
                parts.append(f"<h3>{esc(caption)}</h3>")
                parts.append(table_html(table))
            if section.notes:
                parts.append(
                    '<ul class="notes">'
                    + "".join(f"<li>{esc(n)}</li>" for n in section.notes)
                    + "</ul>"
                )
            parts.append("</section>")
            if i == 0:
                parts.append(contents)  # after the first section: the verdict comes first
        parts.append("</main></body></html>")
        return "\n".join(parts)

    def _picker_html(self) -> str:
        """Return a selector of the detailed groups (none with fewer than two)."""
        if len(self.groups) < 2:
            return ""
        column = html.escape(heading(self.group_column or "group"))
        options = "".join(
            f'<option value="{html.escape(g)}">{html.escape(g)}</option>' for g in self.groups
        )
        return (
            '<p class="picker"><label for="fp-group">Show one group: </label>'
            f'<select id="fp-group" data-column="{column}" onchange="fpShowGroup(this)">'
            f'<option value="">all groups</option>{options}</select></p>'
        )

    def write(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the HTML page and return its path.

        The page is written to a temporary file in the same folder, then renamed over
        ``path``: an interrupted run never leaves half a page.

        Parameters
        ----------
        path
            The HTML file to write.
        force
            Replace an existing file that is not a flashpoint report. Default ``False``: such
            a file (the input CSV, a notebook, ...) is refused. An earlier flashpoint report
            (recognised by its ``<meta name="generator" content="flashpoint ...">``) is
            always replaced.

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        OutputFileError
            When ``path`` is a folder, an existing file that is not a flashpoint report (and
            ``force`` is false), read-only, or in a folder that does not exist or cannot be
            written to. Nothing is written then.
        """
        out = check_report_target(path, force=force)
        write_atomic(out, self.to_html())
        return out


GENERATOR = "flashpoint"
"""``content`` of the page's ``<meta name="generator">`` (followed by the version)."""
_MARKER = f'<meta name="generator" content="{GENERATOR} '.encode()


def is_report(path: Path) -> bool:
    """Whether ``path`` is an HTML page written by :meth:`Report.write` (its head's marker)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError:
        return False
    return _MARKER in head


def check_report_target(
    path: str | Path,
    *,
    force: bool = False,
    inputs: Iterable[str | Path | None] = (),
    force_hint: str = "force=True",
) -> Path:
    """Check, before any work, that a report may be written to ``path`` (see ``_output``)."""
    return check_target(
        path,
        recognise=is_report,
        what="report",
        inputs=inputs,
        force=force,
        force_hint=force_hint,
    )


_CSS = """
body{font-family:Helvetica,Arial,sans-serif;color:#222;margin:0;background:#fafafa}
main{max-width:1000px;margin:0 auto;padding:24px;background:#fff;box-sizing:border-box}
h1{font-size:26px;margin-bottom:4px} h2{font-size:20px;border-bottom:1px solid #ddd;
padding-bottom:4px;margin-top:36px} h3{font-size:15px;margin:18px 0 6px}
.meta{color:#555;font-size:13px} .error{color:#a00} .notes{font-size:13px;color:#444}
.lead{font-size:15px;line-height:1.45;border-left:3px solid #4C72B0;padding-left:10px}
p,li{overflow-wrap:anywhere}
pre{background:#f4f4f4;padding:12px;font-size:13px;white-space:pre-wrap}
.table-wrap{max-width:100%;overflow-x:auto;margin:6px 0 12px}
table{border-collapse:collapse;font-size:12px}
td,th{border-bottom:1px solid #e5e5e5;padding:3px 8px;text-align:right;white-space:nowrap}
th{background:#f2f2f2;font-weight:600} td:first-child,th:first-child{text-align:left}
details{margin:6px 0 12px} summary{cursor:pointer;color:#4C72B0;font-size:13px}
.figure{margin:12px 0;max-width:100%;overflow:hidden}
.picker{font-size:14px;background:#f2f6fb;padding:6px 10px;border-radius:4px}
@media print{
body{background:#fff} main{max-width:none;padding:0}
nav,.picker{display:none}
details>summary{display:none} details::details-content{content-visibility:visible;display:contents}
.figure{break-inside:avoid;page-break-inside:avoid}
.table-wrap{overflow:visible} td,th{white-space:normal}
h2,h3{break-after:avoid;page-break-after:avoid}
}
"""

_SCRIPT = """
function fpEsc(s){return s.replace(/&/g,'&amp;').replace(/</g,'&lt;').replace(/>/g,'&gt;');}
function fpShowGroup(sel){
  var g=sel.value, all=[].map.call(sel.options,function(o){return o.value;}).filter(Boolean);
  var col=sel.getAttribute('data-column');
  document.querySelectorAll('table').forEach(function(t){
    var th=t.querySelector('th'); if(!th||th.textContent!==col){return;}
    t.querySelectorAll('tbody tr').forEach(function(r){
      var c=r.cells[0].textContent; r.style.display=(!g||c===g||all.indexOf(c)<0)?'':'none';
    });
  });
  document.querySelectorAll('.fp-figure').forEach(function(gd){
    if(!gd.data){return;}
    var vis=gd.data.map(function(tr){
      var n=tr.name||'', owner=null;
      all.forEach(function(a){var e=fpEsc(a);
        if(n===e||n.endsWith(' ('+e+')')||n.indexOf(e+', ')===0||n.endsWith(': '+e)){owner=a;}});
      return (!g||owner===null||owner===g)?true:false;
    });
    Plotly.restyle(gd,{visible:vis});
  });
}
window.addEventListener('beforeprint',function(){
  document.querySelectorAll('details').forEach(function(d){d.open=true;});
  document.querySelectorAll('.fp-figure').forEach(function(gd){
    if(window.Plotly&&gd.data){Plotly.Plots.resize(gd);}});
});
"""


def _figure_html(fig: go.Figure, div_id: str) -> str:
    """Render a figure as a div and a script (the JSON cannot end the script early).

    The figure takes the width of the page (up to the width it was drawn at) and keeps its
    height, so a narrow window or a printed page never scrolls sideways.
    """
    payload = pio.to_json(fig, validate=False)
    # '</' inside a script element would end it: escape the slash (valid JSON)
    payload = payload.replace("</", "<\\/")
    width = int(fig.layout.width or 960)
    return (
        f'<div class="figure"><div id="{div_id}" class="fp-figure" '
        f'style="max-width:{width}px"></div>'
        f'<script type="text/javascript">(function(){{var f={payload};'
        "delete f.layout.width;f.layout.autosize=true;"
        f'Plotly.newPlot("{div_id}",f.data,f.layout,{{responsive:true,displaylogo:false}});'
        "})();</script></div>"
    )
