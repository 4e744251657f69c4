"""Rates from cumulative tallies: exactness, known truth, the bundled tallies."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import flashpoint as fp
from flashpoint.errors import (
    DataQualityWarning,
    EventRangeError,
    FewEventsWarning,
    NotEstimableWarning,
)
from flashpoint.models.tallies import _llf_grad, _membership

KH = fp.EventSpec(date="2023-11-22", label="KH strike")
TRUCE = fp.EventSpec(date="2023-11-24", end="2023-12-01", shape="pulse", label="truce")


def tallies_from_daily(daily: np.ndarray, start: pd.Timestamp, ends: np.ndarray) -> pd.DataFrame:
    """Official 'exact' cumulative tallies of a simulated daily series on given days."""
    cum = np.cumsum(daily)
    return pd.DataFrame(
        {
            "as_of_date": start + pd.to_timedelta(ends, unit="D"),
            "total": pd.array(cum[ends], dtype="Int64"),
            "qualifier": "exact",
            "official": True,
        }
    )


def simulated_daily(rng: np.random.Generator, n: int, at: int, rate_ratio: float) -> np.ndarray:
    return rng.poisson(2.0 * np.where(np.arange(n) >= at, rate_ratio, 1.0))


def test_one_day_intervals_equal_the_daily_poisson_fit(rng: np.random.Generator) -> None:
    start = pd.Timestamp("2023-01-01")
    daily = simulated_daily(rng, 120, 60, 2.0)
    tallies = tallies_from_daily(daily, start, np.arange(120))
    event = fp.EventSpec(date=start + pd.Timedelta(days=60), label="e")
    res = fp.fit_tally_rates(tallies, event, start=start)
    counts = pd.DataFrame({"date": pd.date_range(start, periods=120), "count": daily})
    its = fp.fit_its(counts, event, family="poisson", n_sim=2)
    a = res.summary().iloc[0]
    b = its.summary().iloc[0]
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-6)
    np.testing.assert_allclose(a["std_err"], b["std_err"], rtol=1e-6)


def test_straddling_interval_likelihood_is_the_sum_over_days() -> None:
    X = np.column_stack([np.ones(10), (np.arange(10) >= 4).astype(float)])
    beta = np.array([0.3, 0.7])
    W = _membership(np.array([0, 3, 7]), np.array([2, 6, 9]), 10)  # the middle one straddles
    A = np.array([4.0, 9.0, 8.0])
    llf, _grad, _G = _llf_grad(beta, X, W, A, None)
    lam = np.exp(X @ beta)
    Lam = np.array([lam[0:3].sum(), lam[3:7].sum(), lam[7:10].sum()])
    from scipy import stats

    assert llf == pytest.approx(stats.poisson.logpmf(A, Lam).sum(), rel=1e-12)


def test_irregular_intervals_recover_the_rate_ratio(rng: np.random.Generator) -> None:
    start = pd.Timestamp("2023-01-01")
    daily = simulated_daily(rng, 240, 120, 0.5)
    ends = np.sort(rng.choice(np.arange(3, 239), size=40, replace=False))
    ends = np.append(ends, 239)
    res = fp.fit_tally_rates(
        tallies_from_daily(daily, start, ends),
        fp.EventSpec(date=start + pd.Timedelta(days=120)),
        start=start,
    )
    row = res.summary().iloc[0]
    assert row["rate_ratio_lower"] <= 0.5 <= row["rate_ratio_upper"]


@pytest.mark.slow
def test_coverage_with_irregular_intervals() -> None:
    """200 seeded simulations (500 in benchmarks/bench_tallies.py): 95% CI coverage."""
    rng = np.random.default_rng(6)
    start = pd.Timestamp("2023-01-01")
    event = fp.EventSpec(date=start + pd.Timedelta(days=100))
    hits = 0
    for _ in range(200):
        daily = simulated_daily(rng, 200, 100, 1.5)
        ends = np.append(np.sort(rng.choice(np.arange(2, 199), size=25, replace=False)), 199)
        row = (
            fp.fit_tally_rates(
                tallies_from_daily(daily, start, ends), event, start=start, trend="none"
            )
            .summary()
            .iloc[0]
        )
        hits += row["rate_ratio_lower"] <= 1.5 <= row["rate_ratio_upper"]
    assert 0.90 <= hits / 200 <= 0.99


def test_bundled_tallies_kh_strike_with_truce() -> None:
    with pytest.warns(DataQualityWarning, match="2024-02-07"):
        res = fp.fit_tally_rates(fp.load_tallies(), [KH, TRUCE], groups=["total", "iraq", "syria"])
    s = res.summary().set_index(["group", "event"])
    assert set(s.index.get_level_values("group")) == {"total", "Iraq", "Syria"}
    # no official attack in Iraq between 11-23 (36) and 12-04 (36): profile bound, RR 0
    assert s.loc[("Iraq", "truce"), "rate_ratio"] == 0
    assert 0 < s.loc[("Iraq", "truce"), "rate_ratio_upper"] < 1
    assert s.loc[("total", "truce"), "rate_ratio_upper"] < 1  # the truce lowered the rate
    assert (s["n_intervals"] >= 20).all()
    iv = res.intervals
    assert (iv["attacks"] >= 0).all()
    np.testing.assert_allclose(
        iv.groupby("group")["expected"].sum(), iv.groupby("group")["attacks"].sum(), rtol=1e-6
    )
    fig = res.plot()
    assert fig.data[0].name == "tally intervals (total)"
    assert fig.layout.yaxis.title.text == "events per day"


def test_small_groups_are_left_out_with_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        with pytest.warns(FewEventsWarning, match=r"\['other'\]"):
            res = fp.fit_tally_rates(fp.load_tallies(), KH)
    assert res.groups == ("total", "Iraq", "Syria")


def test_imputed_daily_counts_match_official_totals() -> None:
    est = fp.impute_daily_from_tallies(fp.load_tallies(), fp.load_attacks())
    iv = fp.tally_intervals(fp.load_tallies())
    iv = iv[iv["monotone"]]
    total = est[est["group"] == "total"]
    for _, r in iv[iv["group"] == "total"].iterrows():
        days = total[(total["date"] >= r["start"]) & (total["date"] <= r["end"])]
        assert days["imputed"].sum() == pytest.approx(int(r["attacks"]))
    iraq = est[(est["group"] == "Iraq") & (est["date"] <= "2023-11-23")]
    assert round(iraq["imputed"].sum()) == 36
    assert int(iraq["rows"].sum()) == 29
    assert set(est.columns) == {"group", "date", "rows", "imputed", "difference"}


def test_compare_sources_side_by_side() -> None:
    res = fp.compare_sources(fp.load_tallies(), fp.load_attacks(), [KH, TRUCE])
    s = res.summary()
    assert res.end == pd.Timestamp("2024-02-04")
    assert set(s["source"]) == {
        "official tallies",
        "event rows (official basis)",
        "event rows (all)",
    }
    assert len(s) == 3 * 3 * 2  # sources x groups x events
    kh = s[s["event"] == "KH strike"]
    assert (kh["rate_ratio_lower"] < kh["rate_ratio_upper"]).all()
    fig = res.plot()
    assert fig.layout.xaxis.type == "log"
    assert {t.legendgroup for t in fig.data if t.legendgroup} == set(res.sources)
    truce_iraq = s[(s["event"] == "truce") & (s["group"] == "Iraq")].set_index("source")
    official = truce_iraq.loc["official tallies"]
    # quasi-Poisson: the likelihood-ratio statistic divided by the Pearson dispersion
    # (0.39 / p = 0.003 when it was not)
    assert official["ci_method"] == "profile"
    assert 0.01 < official["p_value"] < 0.06
    assert 0.5 < official["rate_ratio_upper"] < 1


# ---- edges ----------------------------------------------------------------------------------
def test_quasipoisson_empty_window_bound_equals_the_daily_model() -> None:
    """One-day tallies of seeded simulated overdispersed counts with an empty window: the
    tally model's scaled profile bound equals fit_its' (both via the shared function)."""
    rng = np.random.default_rng(4)
    start = pd.Timestamp("2023-01-01")
    daily = rng.negative_binomial(1.0, 0.25, size=150)
    daily[80:90] = 0
    window = fp.EventSpec(
        date=start + pd.Timedelta(days=80), end=start + pd.Timedelta(days=89), shape="pulse"
    )
    tally = fp.fit_tally_rates(
        tallies_from_daily(daily, start, np.arange(150)), window, start=start, family="quasipoisson"
    ).summary()
    counts = pd.DataFrame({"date": pd.date_range(start, periods=150), "count": daily})
    its = fp.fit_its(counts, window, family="quasipoisson", n_sim=2).summary()
    assert tally["ci_method"].iloc[0] == its["ci_method"].iloc[0] == "profile"
    assert tally["ci_upper"].iloc[0] == pytest.approx(its["ci_upper"].iloc[0], abs=1e-3)
    assert tally["p_value"].iloc[0] == pytest.approx(its["p_value"].iloc[0], rel=1e-3)
    assert 0.1 < tally["rate_ratio_upper"].iloc[0] < 1


def test_no_attack_before_a_step_is_nan_not_a_huge_rate_ratio(rng: np.random.Generator) -> None:
    start = pd.Timestamp("2023-01-01")
    daily = simulated_daily(rng, 120, 30, 2.0)
    daily[:30] = 0
    ends = np.array([9, 19, 29, 34, 45, 60, 70, 85, 100, 119])
    event = fp.EventSpec(date=start + pd.Timedelta(days=30), label="e")
    with pytest.warns(NotEstimableWarning, match=r"group 'total'.*'e \[step\]'"):
        res = fp.fit_tally_rates(tallies_from_daily(daily, start, ends), event, start=start)
    row = res.summary().iloc[0]
    assert row["ci_method"] == "not estimable"
    assert row[["rate_ratio", "rate_ratio_lower", "rate_ratio_upper", "p_value"]].isna().all()
    assert res.daily["counterfactual"].isna().all()
    with pytest.raises(EventRangeError, match="at or before start=2023-01-01"):
        fp.fit_tally_rates(tallies_from_daily(daily, start, ends), start, start=start)
