"""Behaviour every result shares: save / load, the text summary, summary(alpha=)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import flashpoint as fp
from flashpoint.errors import FileFormatError, FlashpointError, FlashpointWarning
from flashpoint.models import _persist, load_result


def _simulated(n: int = 70) -> pd.DataFrame:
    """Simulated daily counts of two groups, a rise in group A after day 45."""
    rng = np.random.default_rng(20)
    dates = pd.date_range("2024-01-01", periods=n)
    a = rng.poisson(np.where(np.arange(n) >= 45, 4.0, 2.0))
    b = rng.poisson(2.5, n)
    return pd.DataFrame(
        {
            "date": np.tile(dates, 2),
            "country": np.repeat(["A", "B"], n),
            "count": np.concatenate([a, b]),
        }
    )


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    counts = _simulated()
    one = counts[counts["country"] == "A"].drop(columns="country")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FlashpointWarning)
        return {
            "its": fp.fit_its(counts, ["2024-02-15"], n_sim=50),
            "trend": fp.fit_trend(counts, trend="linear"),
            "rt": fp.estimate_rt(counts),
            "alarms": fp.detect_alarms(counts),
            "hawkes": fp.fit_hawkes(one, ci_method="wald", baseline="constant"),
        }


@pytest.mark.parametrize("name", ["its", "trend", "rt", "alarms", "hawkes"])
def test_save_and_load_round_trip(name: str, results: dict[str, Any], tmp_path: Path) -> None:
    res = results[name]
    path = res.save(tmp_path / f"{name}.fpres")
    back = load_result(path)
    assert type(back) is type(res)
    pd.testing.assert_frame_equal(back.summary(), res.summary())
    assert str(back) == str(res)


def test_save_refuses_a_stranger_file_and_load_checks_the_header(
    results: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = results["trend"]
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    with pytest.raises(FlashpointError, match="refusing to overwrite"):
        res.save(notes)
    assert notes.read_text() == "mine"
    with pytest.raises(FileFormatError, match="not a flashpoint result file"):
        load_result(notes)
    path = res.save(tmp_path / "trend.fpres")
    res.save(path)  # a result file is replaced without force
    res.save(notes, force=True)
    # another flashpoint version: refused before unpickling, or loaded with a warning
    monkeypatch.setattr(_persist, "__version__", "99.0")
    with pytest.raises(FlashpointError, match=r"saved by flashpoint .* this is flashpoint 99\.0"):
        load_result(path)
    with pytest.warns(FlashpointWarning, match="loaded anyway"):
        assert type(load_result(path, allow_other_version=True)) is type(res)
    monkeypatch.undo()
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b'"TrendResult"', b'"ITSResult"', 1))
    with pytest.raises(FlashpointError, match="says it holds a ITSResult"):
        load_result(path)
    path.write_bytes(_persist.MAGIC + b"{broken\n" + raw)
    with pytest.raises(FileFormatError, match="damaged"):
        load_result(path)


@pytest.mark.parametrize("name", ["its", "trend", "rt", "alarms", "hawkes"])
def test_str_is_a_readable_summary(name: str, results: dict[str, Any]) -> None:
    res = results[name]
    text = str(res)
    lines = text.splitlines()
    assert lines[0].startswith(f"{type(res).__name__}: ")
    assert repr(res).startswith(f"<{type(res).__name__}: ")  # the repr stays one line
    assert "\n" not in repr(res)
    if name != "rt":  # R_t keeps no table of the observed counts
        assert re.search(r"\ndata +2024-01-01 to 2024-03-10 \(70 periods, \d+ events\)", text)
    if name != "hawkes":
        assert re.search(r"\ngroups \(country\) +A, B\n", text)
    first_column = str(res.summary().columns[0])
    assert first_column in text
    assert max(len(line) for line in lines) <= 140


def _fits_at(alpha: float) -> dict[str, Any]:
    """Results whose intervals are Wald (or exact posterior) intervals, fitted at ``alpha``."""
    counts = _simulated()
    one = counts[counts["country"] == "A"].drop(columns="country")
    times = fp.simulate_hawkes_times(mu=0.5, branching=0.5, decay=1.0, end=300, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FlashpointWarning)
        return {
            "its": fp.fit_its(counts, ["2024-02-15"], n_sim=50, alpha=alpha),
            "trend": fp.fit_trend(counts, trend="linear", alpha=alpha),
            "event_study": fp.fit_event_study(
                counts, ["2024-01-25", "2024-02-20"], trend="linear", alpha=alpha
            ),
            "hawkes": fp.fit_hawkes(one, ci_method="wald", baseline="constant", alpha=alpha),
            "hawkes_times": fp.fit_hawkes_times(times, alpha=alpha),
            "rt": fp.estimate_rt(counts, alpha=alpha),
            "tally_rates": fp.fit_tally_rates(fp.load_tallies(), ["2023-11-22"], alpha=alpha),
        }


_INTERVALS = {
    "its": [("ci_lower", "ci_upper"), ("rate_ratio_lower", "rate_ratio_upper")],
    "trend": [
        ("avg_growth_lower", "avg_growth_upper"),
        ("last_day_growth_lower", "last_day_growth_upper"),
    ],
    "event_study": [("rate_ratio_lower", "rate_ratio_upper")],
    "hawkes": [("ci_lower", "ci_upper")],
    "hawkes_times": [("ci_lower", "ci_upper")],
    "rt": [("rt_lower", "rt_upper")],
    "tally_rates": [("ci_lower", "ci_upper"), ("rate_ratio_lower", "rate_ratio_upper")],
}


def test_summary_alpha_recomputes_wald_intervals() -> None:
    """summary(alpha=0.1) is narrower than at 0.05 and equals a fit done with alpha=0.1."""
    at_05, at_10 = _fits_at(0.05), _fits_at(0.10)
    for name, pairs in _INTERVALS.items():
        wide, read, refit = (
            at_05[name].summary(),
            at_05[name].summary(alpha=0.1),
            at_10[name].summary(),
        )
        assert (read["conf_level"] == 0.9).all(), name
        pd.testing.assert_frame_equal(read, refit, check_exact=False, rtol=1e-9, obj=name)
        for lower, upper in pairs:
            finite = np.isfinite(wide[lower]) & np.isfinite(wide[upper])
            assert finite.any(), (name, lower)
            width_05 = (wide[upper] - wide[lower])[finite]
            width_10 = (read[upper] - read[lower])[finite]
            assert (width_10 <= width_05 + 1e-12).all(), (name, lower)
            assert (width_10 < width_05).any(), (name, lower)
        pd.testing.assert_frame_equal(at_05[name].summary(alpha=0.05), wide, obj=name)


def test_summary_alpha_refuses_intervals_it_cannot_recompute() -> None:
    counts = _simulated()
    one = counts[counts["country"] == "A"].drop(columns="country")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FlashpointWarning)
        profiled = fp.fit_hawkes(one, baseline="constant")  # profile likelihood (the default)
        placebo = fp.placebo_test(counts, ["2024-02-15"], window=14)
    for res in (profiled, placebo):
        res.summary(alpha=res.alpha)  # the fit's own level is fine
        with pytest.raises(FlashpointError, match=r"Refit with alpha=0\.1"):
            res.summary(alpha=0.1)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        profiled.summary(alpha=1.5)
