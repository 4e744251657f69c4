"""Shared figure style: words from a noun, one colour per group, event labels, log ticks."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

import flashpoint as fp
from flashpoint.plots._events import add_events
from flashpoint.plots._style import group_colors, log_ticks
from flashpoint.plots._theme import new_figure


@pytest.fixture(scope="module")
def simulated_counts() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    dates = pd.date_range("2024-01-01", periods=80)
    return pd.DataFrame(
        {
            "date": np.tile(dates, 2),
            "region": np.repeat(["North", "South"], 80),
            "count": rng.poisson(3.0, 160),
        }
    )


def _rgb(color: str) -> tuple[int, ...]:
    if color.startswith("#"):
        return tuple(int(color[k : k + 2], 16) for k in (1, 3, 5))
    return tuple(int(float(v)) for v in color[color.index("(") + 1 : -1].split(",")[:3])


def test_noun_and_one_colour_per_group_across_figures(simulated_counts: pd.DataFrame) -> None:
    colors = group_colors(["South", "North"])  # the page's order, not the table's
    counts_fig = fp.plot_counts(simulated_counts, by="region", noun="strikes", colors=colors)
    its = fp.fit_its(
        simulated_counts, "2024-02-10", by="region", family="poisson", band="parameter", n_sim=50
    )
    its_fig = fp.plot_its(its, noun="strikes", colors=colors)
    assert counts_fig.layout.title.text == "Strikes per day"
    assert its_fig.layout.yaxis.title.text == "strikes per day"
    for group in ("North", "South"):
        bar = next(t for t in counts_fig.data if t.name == group).marker.color
        observed = next(t for t in its_fig.data if t.name == f"observed ({group})").marker.color
        assert _rgb(bar) == _rgb(observed) == _rgb(colors[group])
    assert colors["North"] != colors["South"]
    assert fp.plot_its(its).layout.yaxis.title.text == "events per day"  # the default noun


def test_main_events_stand_out_and_labels_do_not_overlap() -> None:
    fig = new_figure(1)
    dates = pd.date_range("2024-01-01", periods=60)
    fig.add_bar(x=dates, y=np.ones(60))
    marks = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-01-20", "2024-01-21", "2024-01-22", "2024-01-23"]),
            "label": ["the intervention", "a key event", "another key event with a long name", "x"],
            "main": [True, False, False, False],
        }
    )
    add_events(fig, marks)
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    main = next(s for s in lines if pd.Timestamp(s.x0) == pd.Timestamp("2024-01-20"))
    other = next(s for s in lines if pd.Timestamp(s.x0) == pd.Timestamp("2024-01-21"))
    assert main.line.width > other.line.width
    assert main.line.dash is None
    assert main.line.color != other.line.color
    labels = fig.layout.annotations
    assert labels[0].text == "<b>the intervention</b>"
    assert all(len(a.text) <= 30 for a in labels)  # long labels abbreviated
    # labels on the same row never overlap (6.2 px a character, 0.85 * 860 px for 60 days)
    px_per_day = 0.85 * 860 / 59
    spans: dict[float, list[tuple[float, float]]] = {}
    for a in labels:
        centre = (pd.Timestamp(a.x) - dates[0]).days * px_per_day
        half = 3.1 * len(a.text.replace("<b>", "").replace("</b>", ""))
        spans.setdefault(a.yshift, []).append((centre - half, centre + half))
    for row in spans.values():
        row.sort()
        assert all(b[0] > a[1] for a, b in pairwise(row))
    hover = list(fig.data[-1].customdata[:, 0])  # every label in full in the hover text
    assert "another key event with a long name" in hover


def test_log_axis_ticks_are_1_2_5() -> None:
    assert log_ticks([0.3, 4.0]) == [0.2, 0.5, 1.0, 2.0, 5.0]
    wide = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300]
    assert log_ticks([0.001, 500.0]) == wide  # many decades: 1 and 3 only
