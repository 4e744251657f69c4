"""The report at many groups: every figure's layout is computed from its number of rows."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import flashpoint as fp


def simulated_many_groups(n_groups: int = 12, n_days: int = 42, seed: int = 12) -> pd.DataFrame:
    """Seeded simulated events (not real data): groups of different sizes, a step on day 28."""
    rng = np.random.default_rng(seed)
    rates = np.linspace(0.8, 3.0, n_groups)
    step = np.where(np.arange(n_days) >= 28, 1.5, 1.0)
    y = rng.poisson(np.outer(rates, step))
    days = np.repeat(np.tile(np.arange(n_days), n_groups), y.ravel())
    groups = np.repeat(np.repeat(np.arange(n_groups), n_days), y.ravel())
    return pd.DataFrame(
        {
            "event_id": np.arange(days.size).astype(str),
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"),
            "region": [f"region {g:02d}" for g in groups],
        }
    )


def test_report_with_twelve_groups_and_an_intervention(tmp_path: Path) -> None:
    events = simulated_many_groups()
    step = fp.EventSpec(date="2024-01-29", label="step")
    groups = sorted(events["region"].unique())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = fp.build_report(events, interventions=[step], by="region", groups=groups)
    errors = [(s.title, s.error) for s in report.sections if s.error]
    assert not [e for e in errors if "internal error" in (e[1] or "")], errors
    page = report.write(tmp_path / "report.html").read_text(encoding="utf-8")
    for group in groups:  # every group is in the page (overview and detail)
        assert group in page
    assert report.n_figures >= 8
    verdict = report.sections[0]
    assert verdict.anchor == "verdict"
    assert not verdict.error
