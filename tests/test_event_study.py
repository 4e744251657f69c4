"""Event study: recovery of window effects, pre-trend test, per-event estimates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import flashpoint as fp
from flashpoint.errors import ModelSpecError


def simulated_with_events(rng: np.random.Generator, *, bump: float) -> tuple[pd.DataFrame, list]:
    n = 400
    dates = pd.date_range("2022-01-01", periods=n)
    event_pos = np.arange(30, n - 30, 37)
    mu = np.full(n, 3.0)
    for p in event_pos:
        mu[p + 1 : p + 4] *= bump  # days 1-3 after
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


@pytest.mark.slow
def test_intervals_and_pretrend_test_are_calibrated() -> None:
    """40 seeded simulations: the 95% interval of days 1-3 covers 2.0; no false pre-trend."""
    rng = np.random.default_rng(5)
    covered, pre_rejected = 0, 0
    for _ in range(40):
        data, events = simulated_with_events(rng, bump=2.0)
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
    assert covered >= 34  # 85% (nominal 95%; binomial sd 3.4%)
    assert pre_rejected <= 6


def test_bundled_us_strikes() -> None:
    counts = fp.count_daily(fp.load_attacks(), start="2023-10-17", end="2024-02-04")
    res = fp.fit_event_study(
        counts[counts["country"] != "Jordan"], fp.load_key_events(), kind="us_strike"
    )
    assert res.n_events == 13  # 14 strike rows on 13 distinct dates (2024-02-03: Iraq and Syria)
    s = res.summary()
    assert len(s) == 2 * 6
    assert set(res.pretrend["country"]) == {"Iraq", "Syria"}
    # strikes after the end of the counts have no estimate, and say so
    late = res.per_event[res.per_event["date"] > "2024-02-04"]
    assert late["rate_ratio"].isna().all()
    fig = res.plot()
    assert fig.layout.yaxis.type == "log"
    assert len(fig.data) == 2


def test_bad_windows() -> None:
    counts = fp.count_daily(fp.load_attacks())
    with pytest.raises(ModelSpecError, match="windows overlap"):
        fp.fit_event_study(counts, ["2023-11-22"], windows=[(1, 5), (3, 7)])
    with pytest.raises(ModelSpecError, match="ends before it starts"):
        fp.fit_event_study(counts, ["2023-11-22"], windows=[(5, 1)])
    with pytest.raises(ModelSpecError, match="no key event of kind 'coup'"):
        fp.fit_event_study(counts, fp.load_key_events(), kind="coup")
