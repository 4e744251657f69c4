"""Event study: recovery of window effects, every event kept, reference days, pre-trend test."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import flashpoint as fp
from flashpoint.errors import DataQualityWarning, ModelSpecError


def simulated_with_events(
    rng: np.random.Generator, *, bump: float, n: int = 400, positions: Iterable[int] | None = None
) -> tuple[pd.DataFrame, list[pd.Timestamp]]:
    """Poisson(3) days; each event multiplies the rate of its days 1-3 by ``bump``."""
    dates = pd.date_range("2022-01-01", periods=n)
    event_pos = np.arange(30, n - 30, 37) if positions is None else np.asarray(list(positions))
    mu = np.full(n, 3.0)
    for p in event_pos:
        mu[p + 1 : p + 4] *= bump  # days 1-3 after; same-day events multiply twice
    data = pd.DataFrame({"date": dates, "count": rng.poisson(mu)})
    return data, list(dates[event_pos])


def test_post_window_effect_recovered(rng: np.random.Generator) -> None:
    data, events = simulated_with_events(rng, bump=2.0)
    res = fp.fit_event_study(
        data, events, family="poisson", trend="none", windows=[(-7, -1), (1, 3), (4, 7)]
    )
    s = res.summary().set_index("window")
    assert s.loc["1 to 3", "rate_ratio"] == pytest.approx(2.0, rel=0.25)
    assert s.loc["1 to 3", "event_days"] == 3 * len(events)
    assert len(res.per_event) == len(events)
    assert res.per_event["rate_ratio"].median() > 1.2


def test_intervals_and_pretrend_test_are_calibrated() -> None:
    """60 seeded simulations with only 3 events: the 95% interval of days 1-3 covers the
    true 2.0, and the likelihood-ratio pre-trend test keeps its 5% size.

    The larger check (200-300 runs per setting, 2-5 events, negative binomial, spline
    trend, rates 0.3 and 3 a day) is ``tests/reference/event_study_trend_sims.py``.
    """
    rng = np.random.default_rng(5)
    covered, pre_rejected, runs = 0, 0, 60
    for _ in range(runs):
        positions = np.sort(rng.choice(np.arange(10, 190), size=3, replace=False))
        data, events = simulated_with_events(rng, bump=2.0, n=200, positions=positions)
        res = fp.fit_event_study(
            data,
            events,
            family="poisson",
            trend="none",
            windows=[(-7, -1), (1, 3), (4, 7)],
            per_event=False,
        )
        s = res.summary().set_index("window")
        covered += s.loc["1 to 3", "rate_ratio_lower"] <= 2.0 <= s.loc["1 to 3", "rate_ratio_upper"]
        pre_rejected += res.pretrend["p_value"].iloc[0] < 0.05
    assert covered >= 53  # 88% (nominal 95%: 57 of 60, binomial sd 1.7)
    assert pre_rejected <= 7  # nominal 3 of 60; 7 is the 99.6% binomial quantile


def test_same_day_events_are_each_counted(rng: np.random.Generator) -> None:
    """Two events on one day double the window count there: with a rate ratio of 2 per
    event, that day's window has 4, and the study still recovers 2 (collapsing the pair
    into one event, as before, would read 4 as one event's effect)."""
    positions = [40, 40, 110, 180, 250]
    data, dates = simulated_with_events(rng, bump=2.0, n=300, positions=positions)
    events = pd.DataFrame({"date": dates, "label": ["a", "b", "c", "d", "e"]})
    res = fp.fit_event_study(data, events, family="poisson", trend="none", windows=[(1, 3)])
    s = res.summary().iloc[0]
    assert (res.n_events, res.n_event_dates) == (5, 4)
    assert res.event_labels == ("a", "b", "c", "d", "e")
    assert (s["n_events"], s["event_days"]) == (5, 15)
    assert s["rate_ratio"] == pytest.approx(2.0, rel=0.2)
    pair = res.per_event[res.per_event["date"] == dates[0]].iloc[0]
    assert (pair["label"], pair["n_events"]) == ("a + b", 2)
    assert len(res.per_event) == 4

    with pytest.warns(DataQualityWarning, match=r"2022-02-10 \(a \+ b\)"):
        merged = fp.fit_event_study(
            data, events, family="poisson", trend="none", windows=[(1, 3)], same_day="merge"
        )
    assert (merged.n_events, merged.summary()["event_days"].iloc[0]) == (4, 12)
    assert merged.event_labels[0] == "a + b"


def test_reference_days_counted_and_required(rng: np.random.Generator) -> None:
    n = 100
    data = pd.DataFrame(
        {"date": pd.date_range("2022-01-01", periods=n), "count": rng.poisson(3, n)}
    )
    # events on days 20 and 60 cover 9 days each; an event 3 days after the end reaches
    # back into the data with its pre-event window (days 99, 100 and 101: one in the data)
    events = [data["date"].iloc[20], data["date"].iloc[60], pd.Timestamp("2022-04-13")]
    windows = [(-3, -1), (0, 0), (1, 5)]
    res = fp.fit_event_study(data, events, windows=windows, family="poisson", trend="none")
    assert res.reference_days == {None: n - 9 - 9 - 1}
    assert (res.summary()["reference_days"] == 81).all()
    assert res.summary()["n_events"].tolist() == [3, 2, 2]
    assert "against 81 reference days" in repr(res)

    with pytest.raises(ModelSpecError, match=r"found 0 of 100 days outside the windows"):
        fp.fit_event_study(data, events, windows=[(-60, -1), (0, 0), (1, 60)])
    with pytest.raises(ModelSpecError, match=r"windows=\[\(0, 0\), \(1, 5\)\] leaves 88"):
        fp.fit_event_study(data, events, windows=windows, min_reference_days=85)


def test_two_events_work_on_the_bundled_data() -> None:
    """Two US strikes 9 days apart ended in statsmodels' ValueError (singular Hessian in a
    per-event fit whose post-event days hold no attack); now every number is computed."""
    counts = fp.count_daily(fp.load_attacks(), by="country")
    key = fp.load_key_events()
    two = key[key["date"].isin(pd.to_datetime(["2023-12-26", "2024-01-04"]))]
    res = fp.fit_event_study(counts[counts["country"] == "Iraq"], two)
    assert res.n_events == 2
    assert res.pretrend["p_value"].notna().all()
    assert res.per_event["rate_ratio"].notna().all()
    assert res.summary()["rate_ratio"].notna().all()


def test_empty_pre_event_window_is_a_strong_pretrend(rng: np.random.Generator) -> None:
    """A pre-event window without a single attack has rate ratio 0: the likelihood-ratio
    test rejects (a Wald test, which needs a finite estimate, would drop the window)."""
    data, events = simulated_with_events(rng, bump=1.0, n=300)
    y = data["count"].to_numpy().copy()
    for e in events:
        p = int((e - data["date"].iloc[0]).days)
        y[p - 7 : p] = 0
    res = fp.fit_event_study(
        data.assign(count=y), events, windows=[(-7, -1), (1, 3)], family="poisson", trend="none"
    )
    pre = res.summary().iloc[0]
    assert (pre["rate_ratio"], pre["rate_ratio_lower"]) == (0.0, 0.0)
    assert res.pretrend["df"].iloc[0] == 1
    assert res.pretrend["p_value"].iloc[0] < 1e-10


def test_progress_bar_uses_tqdm_when_installed(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, events = simulated_with_events(rng, bump=1.5, n=200, positions=[50, 120])
    calls: list[tuple[int, str]] = []

    def fake_tqdm(items: list, *, desc: str, **_: object) -> list:
        calls.append((len(items), desc))
        return items

    fake = types.ModuleType("tqdm.auto")
    fake.tqdm = fake_tqdm  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tqdm.auto", fake)
    options: dict[str, Any] = {"windows": [(1, 3)], "family": "poisson", "trend": "none"}
    fp.fit_event_study(data, events, progress=True, **options)
    assert calls == [(2, "per-event fits")]
    fp.fit_event_study(data, events, progress=False, **options)
    assert len(calls) == 1


def test_bundled_us_strikes() -> None:
    key_events = fp.load_key_events()
    strikes = key_events[key_events["kind"] == "us_strike"]
    counts = fp.count_daily(fp.load_attacks(), by="country", start="2023-10-17", end="2024-02-04")
    counts = counts[counts["country"] != "Jordan"]
    # the default windows (days -14 to 14) cover every day of the 111: no reference
    with pytest.raises(
        ModelSpecError, match=r"found 0 of 111 days.*\(4, 7\), \(8, 14\)\] leaves 18"
    ):
        fp.fit_event_study(counts, strikes)
    res = fp.fit_event_study(counts, strikes, windows=[(0, 0), (1, 3), (4, 7)])
    # 14 strike rows on 13 dates (2024-02-03: Iraq and Syria), all kept
    assert (res.n_events, res.n_event_dates) == (14, 13)
    assert res.reference_days == {"Iraq": 43, "Syria": 43}
    s = res.summary()
    assert len(s) == 2 * 3
    assert s.loc[s["window"] == "0", "event_days"].tolist() == [12, 12]  # 11 dates + the pair
    pair = res.per_event[res.per_event["date"] == "2024-02-03"]
    assert pair["n_events"].tolist() == [2, 2]
    assert res.pretrend.empty  # no pre-event window asked for
    # strikes after the end of the counts have no estimate, and say so
    late = res.per_event[res.per_event["date"] > "2024-02-04"]
    assert late["rate_ratio"].isna().all()
    fig = res.plot()
    assert fig.layout.yaxis.type == "log"
    assert len(fig.data) == 2
    assert "43 reference days" in fig.layout.title.text


def test_bad_windows() -> None:
    counts = fp.count_daily(fp.load_attacks())
    with pytest.raises(ModelSpecError, match="windows overlap"):
        fp.fit_event_study(counts, ["2023-11-22"], windows=[(1, 5), (3, 7)])
    with pytest.raises(ModelSpecError, match="ends before it starts"):
        fp.fit_event_study(counts, ["2023-11-22"], windows=[(5, 1)])
    with pytest.raises(ModelSpecError, match="no key event of kind 'coup'"):
        fp.fit_event_study(counts, fp.load_key_events(), kind="coup")
    with pytest.raises(fp.FlashpointError, match="same_day must be one of"):
        fp.fit_event_study(counts, ["2023-11-22"], same_day="drop")
