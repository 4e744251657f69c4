"""The report at many groups: every figure's layout is computed from its number of rows."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

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


def test_report_from_parquet_files_counts_out_of_core(tmp_path: Path) -> None:
    """Events on disk are counted by DuckDB; the report reads the same as from a DataFrame."""
    events = simulated_many_groups(n_groups=3, n_days=60)
    half = len(events) // 2
    folder = tmp_path / "events"
    folder.mkdir()
    events.iloc[:half].to_parquet(folder / "part-0.parquet")
    events.iloc[half:].to_parquet(folder / "part-1.parquet")
    step = fp.EventSpec(date="2024-01-29", label="step")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_files = fp.build_report(str(folder / "*.parquet"), interventions=[step], by="region")
        in_memory = fp.build_report(events, interventions=[step], by="region")
    assert from_files.summary_lines[1:] == in_memory.summary_lines[1:]
    assert f"{len(events):,} events" in from_files.description
    with pytest.raises(fp.FlashpointError, match="tallies= needs the event rows in memory"):
        fp.build_report(str(folder), by="region", tallies=fp.load_tallies())


def test_cli_report_out_of_core(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from flashpoint.cli import main

    events = simulated_many_groups(n_groups=2, n_days=50)
    events.to_parquet(tmp_path / "events.parquet")
    out = tmp_path / "report.html"
    code = main(
        ["report", "--data", str(tmp_path / "events.parquet"), "--out-of-core", "--by", "region",
         "--event", "2024-01-29:step", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    assert f"{len(events):,} events" in out.read_text(encoding="utf-8")
    assert main(["report", "--out-of-core", "--out", str(tmp_path / "x.html")]) == 2
    assert "--out-of-core needs --data" in capsys.readouterr().err


def test_cli_report_chooses_the_groups_in_detail(tmp_path: Path) -> None:
    from flashpoint.cli import main

    events = simulated_many_groups(n_groups=4, n_days=50)
    data = tmp_path / "events.csv"
    events.to_csv(data, index=False)
    out = tmp_path / "report.html"
    args = ["report", "--data", str(data), "--by", "region", "--out", str(out)]
    assert main([*args, "--top", "1"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "All groups" in page  # the overview of the four, detail for the largest
    assert main([*args, "--groups", "region 00", "--groups", "region 01"]) == 0
