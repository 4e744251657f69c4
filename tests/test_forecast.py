"""Forecasts and backtests: calibration, proper scores, determinism, figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import flashpoint as fp
import flashpoint.limits as limits
from conftest import trace_dates
from flashpoint.errors import AllZeroGroupWarning, FlashpointValueError
from flashpoint.models.forecast import (
    ForecastResult,
    _Predictive,
    backtest,
    crps_from_pmf,
    forecast,
)
from flashpoint.models.forecast._predictive import combine
from flashpoint.models.hawkes import simulate_hawkes_counts
from flashpoint.plots.hawkes import plot_backtest, plot_forecast


def test_crps_exact_values() -> None:
    point_mass_at_0 = np.array([[1.0, 0.0, 0.0]])
    assert crps_from_pmf(point_mass_at_0, np.array([2]))[0] == pytest.approx(2.0)
    assert crps_from_pmf(point_mass_at_0, np.array([5]))[0] == pytest.approx(5.0)
    assert crps_from_pmf(point_mass_at_0, np.array([0]))[0] == pytest.approx(0.0)
    # against the kernel (sample) form E|X - y| - E|X - X'| / 2 of Gneiting & Raftery 2007
    rng = np.random.default_rng(0)
    pred = _Predictive(lam=np.array([[2.5]]), r=np.array([1.5]))
    pmf = pred.pmf()
    k = np.arange(pmf.shape[1])
    x = rng.choice(k, size=200_000, p=pmf[0])
    for y in (0, 2, 7):
        sample = np.abs(x - y).mean() - 0.5 * np.abs(x[:100_000] - x[100_000:]).mean()
        assert crps_from_pmf(pmf, np.array([y]))[0] == pytest.approx(sample, abs=0.01)


def test_log_score_of_a_poisson_forecast() -> None:
    pred = _Predictive(lam=np.array([[1.5, 3.0]]), r=None)
    y = np.array([0, 4])
    np.testing.assert_allclose(pred.log_score(y), -stats.poisson.logpmf(y, [1.5, 3.0]))
    nb = _Predictive(lam=np.array([[1.5]]), r=np.array([2.0]))
    assert nb.log_score(np.array([3]))[0] == pytest.approx(-stats.nbinom.logpmf(3, 2.0, 2.0 / 3.5))
    # a 0.3 / 0.7 mixture of the two (what model="auto" forecasts)
    mix = combine([_Predictive(lam=np.array([[1.5]]), r=None), nb], [0.3, 0.7])
    p3 = 0.3 * stats.poisson.pmf(3, 1.5) + 0.7 * stats.nbinom.pmf(3, 2.0, 2.0 / 3.5)
    assert mix.log_score(np.array([3]))[0] == pytest.approx(-np.log(p3))
    assert mix.pmf()[0, 3] == pytest.approx(p3)
    assert mix.mean()[0] == pytest.approx(1.5)


def test_forecast_frame_and_determinism() -> None:
    simulated = simulate_hawkes_counts(
        300,
        background=[0.5, 0.8],
        branching_ratio=0.4,
        groups=["Iraq", "Syria"],
        by="country",
        seed=4,
    )
    a = forecast(simulated, model="hawkes", horizon=10, n_sim=300, seed=7)
    b = forecast(simulated, model="hawkes", horizon=10, n_sim=300, seed=7)
    pd.testing.assert_frame_equal(a.forecast, b.forecast)
    assert isinstance(a, ForecastResult)
    f = a.summary()
    assert list(f.columns) == [
        "date",
        "country",
        "horizon",
        "mean",
        "median",
        "pi_lower",
        "pi_upper",
        "conf_level",
    ]
    assert len(f) == 20
    assert f["date"].min() == simulated["date"].max() + pd.Timedelta(days=1)
    assert (f["pi_lower"] <= f["median"]).all()
    assert (f["median"] <= f["pi_upper"]).all()
    assert a.hawkes is not None
    assert repr(a).startswith("<ForecastResult: hawkes forecast, 10 days from 2020-10-26")
    c = forecast(simulated, model="hawkes", horizon=10, n_sim=300, seed=8)
    assert not np.allclose(a.forecast["mean"], c.forecast["mean"])
    assert a.selection.empty
    assert a.models_used().to_dict("list") == {
        "country": ["Iraq", "Syria"],
        "model": ["hawkes", "hawkes"],
        "weight": [1.0, 1.0],
    }


def test_auto_forecast_says_which_models_it_used() -> None:
    simulated = simulate_hawkes_counts(
        300,
        background=[0.5, 0.8],
        branching_ratio=0.4,
        groups=["Iraq", "Syria"],
        by="country",
        seed=4,
    )
    fc = forecast(simulated, horizon=10, n_sim=300, seed=7)
    assert fc.model == "auto"
    sel = fc.selection
    assert list(sel.columns) == ["country", "model", "crps", "n_windows", "weight"]
    assert list(sel["model"].unique()) == ["hawkes", "negbin", "naive_mean"]
    assert (sel["n_windows"] == 3).all()  # J = max(2, ceil(21 / 10))
    weights = sel.groupby("country")["weight"].sum()
    np.testing.assert_allclose(weights, 1.0)
    for _, g in sel.groupby("country"):
        best = g.loc[g["crps"].idxmin(), "model"]
        expected = {"naive_mean": 1.0} if best == "naive_mean" else {best: 0.5, "naive_mean": 0.5}
        assert dict(
            zip(g.loc[g["weight"] > 0, "model"], g.loc[g["weight"] > 0, "weight"], strict=True)
        ) == (expected)
    used = fc.models_used()
    assert set(used.columns) == {"country", "model", "weight"}
    assert repr(fc).startswith("<ForecastResult: auto forecast (Iraq: ")
    # the mean of the forecast is the weighted mean of the models' forecasts
    parts = {
        m: forecast(simulated, model=m, horizon=10, window=28).forecast
        for m in ("negbin", "naive_mean")
    }
    for country, g in sel[sel["weight"] > 0].groupby("country"):
        if "hawkes" in set(g["model"]):
            continue
        rows = fc.forecast["country"] == country
        expected_mean = sum(
            w * parts[m].loc[rows, "mean"].to_numpy()
            for m, w in zip(g["model"], g["weight"], strict=True)
        )
        np.testing.assert_allclose(fc.forecast.loc[rows, "mean"], expected_mean)


def test_baseline_forecasts() -> None:
    dates = pd.date_range("2024-01-01", periods=28)
    counts = pd.DataFrame({"date": dates, "count": np.tile([0, 0, 0, 0, 0, 0, 7], 4)})
    naive = forecast(counts, model="naive_mean", horizon=7, window=7).forecast
    np.testing.assert_allclose(naive["mean"], 1.0)
    assert naive["pi_upper"].iloc[0] == stats.poisson.ppf(0.975, 1.0)
    seasonal = forecast(counts, model="seasonal_naive", horizon=7).forecast
    np.testing.assert_allclose(seasonal["mean"], [0.5 / 7] * 6 + [7.0])
    nb = forecast(counts, model="negbin", horizon=3).forecast
    np.testing.assert_allclose(nb["mean"], 1.0)
    assert nb["pi_upper"].iloc[0] > stats.poisson.ppf(0.975, 1.0)  # overdispersed


def test_hawkes_forecast_intervals_are_calibrated() -> None:
    """100 rolling origins x 7 days of a simulated Hawkes NB series (eta 0.5).

    Count intervals cover at least their level, so the 95% interval may over-cover: its
    coverage must lie in [0.95, 0.995]; the randomised PIT must look uniform (KS p > 0.01,
    mean within 0.5 +- 0.04).
    """
    simulated = simulate_hawkes_counts(
        1500, background=0.8, branching_ratio=0.5, decay=0.6, dispersion=0.3, seed=1
    )
    bt = backtest(
        simulated,
        horizon=7,
        initial=500,
        step=10,
        n_sim=400,
        seed=1,
        models=("hawkes", "naive_mean"),
    )
    s = bt.scores[bt.scores["model"] == "hawkes"]
    assert len(bt.origins) == 100
    assert 0.95 <= s["covered"].mean() <= 0.995
    assert stats.kstest(s["pit"], "uniform").pvalue > 0.01
    assert abs(s["pit"].mean() - 0.5) < 0.04


def test_backtest_ranks_the_correct_model_first() -> None:
    simulated = simulate_hawkes_counts(
        1000, background=0.4, branching_ratio=0.7, decay=0.7, dispersion=0.2, seed=2
    )
    bt = backtest(
        simulated,
        horizon=7,
        initial=400,
        step=20,
        n_sim=300,
        seed=1,
        models=("hawkes", "negbin", "naive_mean", "seasonal_naive"),
    )
    s = bt.summary().set_index("model")
    assert list(s.columns) == [
        "score",
        "mean_score",
        "std_err",
        "skill",
        "coverage",
        "conf_level",
        "n_forecasts",
        "n_origins",
    ]
    assert s.loc["hawkes", "mean_score"] < s.loc["naive_mean", "mean_score"]
    assert s.loc["hawkes", "mean_score"] < s.loc["negbin", "mean_score"]
    assert s.loc["hawkes", "skill"] > 0.05
    assert s["mean_score"].idxmax() == "seasonal_naive"
    assert s.loc["naive_mean", "skill"] == 0.0
    log = (
        backtest(
            simulated,
            horizon=7,
            initial=400,
            step=20,
            n_sim=300,
            seed=1,
            score="log",
            models=("hawkes", "naive_mean"),
        )
        .summary()
        .set_index("model")
    )
    assert log.loc["hawkes", "mean_score"] < log.loc["naive_mean", "mean_score"]
    # on independent NB counts the NB model beats the seasonal naive forecast
    rng = np.random.default_rng(3)
    iid = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=400),
            "count": rng.negative_binomial(2, 2 / (2 + 1.5), 400),
        }
    )
    s2 = (
        backtest(
            iid,
            horizon=7,
            initial=200,
            step=14,
            models=("negbin", "seasonal_naive"),
            baseline="seasonal_naive",
        )
        .summary()
        .set_index("model")
    )
    assert s2.loc["negbin", "skill"] > 0.2


def test_backtest_is_deterministic_with_a_seed() -> None:
    simulated = simulate_hawkes_counts(200, background=0.6, branching_ratio=0.5, seed=4)
    kw = {"horizon": 7, "initial": 120, "step": 20, "n_sim": 100, "seed": 5}
    a, b = backtest(simulated, **kw), backtest(simulated, progress=True, **kw)
    pd.testing.assert_frame_equal(a.scores, b.scores)


def test_parameter_uncertainty_widens_the_intervals() -> None:
    simulated = simulate_hawkes_counts(150, background=1.0, branching_ratio=0.5, seed=6)
    kw = {"model": "hawkes", "horizon": 14, "n_sim": 2000, "seed": 1}
    plug = forecast(simulated, **kw).forecast
    unc = forecast(simulated, parameter_uncertainty=True, **kw).forecast
    width = (unc["pi_upper"] - unc["pi_lower"]).sum()
    assert width >= (plug["pi_upper"] - plug["pi_lower"]).sum()


def test_known_future_exogenous_event_raises_the_forecast() -> None:
    strikes = pd.date_range("2020-01-10", periods=15, freq="20D")
    simulated = simulate_hawkes_counts(
        300,
        background=0.5,
        branching_ratio=0.3,
        exogenous_dates=strikes,
        exogenous_size=5.0,
        seed=9,
    )
    last = simulated["date"].max()
    kw = {"model": "hawkes", "horizon": 5, "seed": 1, "n_sim": 500}
    base = forecast(simulated, exogenous=strikes, **kw).forecast
    planned = strikes.append(pd.DatetimeIndex([last + pd.Timedelta(days=1)]))
    scen = forecast(simulated, exogenous=planned, **kw).forecast
    assert scen["mean"].iloc[0] == pytest.approx(base["mean"].iloc[0], rel=0.05)
    assert scen["mean"].iloc[1] > base["mean"].iloc[1] + 1.0


def test_bad_input() -> None:
    simulated = simulate_hawkes_counts(100, seed=1)
    with pytest.raises(FlashpointValueError, match="model must be one of"):
        forecast(simulated, model="arima")  # type: ignore[arg-type]
    with pytest.raises(FlashpointValueError, match="horizon must be an integer >= 1"):
        forecast(simulated, horizon=0)
    with pytest.raises(FlashpointValueError, match="baseline 'naive_mean' is not among"):
        backtest(simulated, models=("hawkes",))
    with pytest.raises(FlashpointValueError, match="leaves no origin"):
        backtest(simulated, initial=95, horizon=14)


AUTO_TOLERANCE = 1.02
"""The default forecast may score up to 2% worse than the best naive baseline.

Why: ``auto`` hedges the model that forecast the recent past best with the naive mean
(half each), so it loses at most half of what the chosen model loses; after an abrupt level
change (the end of the bundled record) or on a steady trend, where the naive mean is the
right model, the inner backtest needs a forecast window of evidence before it moves all the
weight to it. Measured (benchmarks/bench_forecast.py, 5 seeds x 4 kinds): 0.981 and 1.014 on
the bundled data, 0.94-1.015 on simulated series (mean 0.983; worse than the best naive
baseline in 5 of 20, by at most 1.5%).
"""


def auto_vs_best_naive(counts: pd.DataFrame) -> float:
    bt = backtest(
        counts, models=("auto", "naive_mean", "seasonal_naive"), n_sim=200, seed=1, step=7
    )
    s = bt.summary().set_index("model")["mean_score"]
    return float(s["auto"] / min(s["naive_mean"], s["seasonal_naive"]))


def test_default_forecast_does_not_lose_to_the_naive_baselines_on_the_bundled_data() -> None:
    events = fp.load_attacks()
    escalation = fp.count_daily(events, by="country", start="2023-10-17", end="2024-02-04")
    whole = fp.count_daily(events, by="country")
    for counts in (escalation, whole):
        counts = counts[counts["country"] != "Jordan"]  # one attack in Jordan
        assert auto_vs_best_naive(counts) <= AUTO_TOLERANCE  # measured 0.98, 1.014


def test_default_forecast_does_not_lose_to_the_naive_baselines_on_simulated_series() -> None:
    rng = np.random.default_rng(1000)
    dates = pd.date_range("2020-01-01", periods=300)
    trend = np.exp(np.linspace(np.log(0.7), np.log(4.0), 300))
    simulated = {
        "stationary NB": rng.negative_binomial(2.0, 2.0 / (2.0 + 2.0), 300),
        "trending NB": rng.negative_binomial(3.0, 3.0 / (3.0 + trend)),
        "self-exciting": simulate_hawkes_counts(
            300, background=0.5, branching_ratio=0.6, seed=1001
        )["count"].to_numpy(),
    }
    for y in simulated.values():
        counts = pd.DataFrame({"date": dates, "count": y})
        assert auto_vs_best_naive(counts) <= AUTO_TOLERANCE


def test_backtest_chooses_the_auto_model_inside_each_training_window() -> None:
    simulated = simulate_hawkes_counts(180, background=0.8, branching_ratio=0.5, seed=12)
    kw = {"horizon": 7, "initial": 100, "step": 7, "n_sim": 100, "seed": 3}
    bt = backtest(simulated, models=("auto", "naive_mean"), **kw)
    first = bt.origins[0]
    sel = bt.selection[bt.selection["origin"] == first].drop(columns="origin")
    # what forecast() chooses from the same days (the baselines' scores are exact)
    fc = forecast(simulated[simulated["date"] <= first], horizon=7, n_sim=100, seed=3)
    exact = sel["model"] != "hawkes"
    np.testing.assert_allclose(
        sel.loc[exact, "crps"].to_numpy(), fc.selection.loc[exact.to_numpy(), "crps"]
    )
    assert (sel["n_windows"] == fc.selection["n_windows"].to_numpy()).all()
    # counts after the origin change neither the choice nor the forecast from it
    later = simulated.copy()
    later.loc[later["date"] > first, "count"] += 20
    bt2 = backtest(later, models=("auto", "naive_mean"), **kw)
    pd.testing.assert_frame_equal(
        bt2.selection[bt2.selection["origin"] == first].drop(columns="origin"), sel
    )
    rows = (bt.scores["origin"] == first) & (bt.scores["model"] == "auto")
    np.testing.assert_allclose(bt2.scores.loc[rows, "mean"], bt.scores.loc[rows, "mean"])


def daily(y: list[int] | np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.date_range("2024-01-01", periods=len(y)), "count": y})


def test_memory_guard_names_the_size_and_the_option(monkeypatch: pytest.MonkeyPatch) -> None:
    simulated = simulate_hawkes_counts(100, seed=1)
    with pytest.raises(FlashpointValueError, match=r"100000000 days .*GB.* Lower horizon="):
        forecast(simulated, model="naive_mean", horizon=10**8)  # refused before allocating
    small = forecast(simulated, model="negbin", horizon=60).forecast
    monkeypatch.setattr(limits, "MAX_BYTES", 20_000)
    # the probabilities are evaluated a few days at a time: same forecast
    pd.testing.assert_frame_equal(forecast(simulated, model="negbin", horizon=60).forecast, small)
    with pytest.raises(FlashpointValueError, match=r"2000 days x 1 group\(s\) .*kB.*horizon="):
        forecast(simulated, model="naive_mean", horizon=2000)
    monkeypatch.setattr(limits, "MAX_BYTES", 200_000)
    with pytest.raises(FlashpointValueError, match=r"5000 paths .* Lower n_sim= or horizon="):
        forecast(simulated, model="hawkes", n_sim=5000)
    with pytest.raises(FlashpointValueError, match=r"1 day\(s\) x \d+ possible counts .*rescale"):
        forecast(daily([10**6, 2 * 10**6, 10**6]), model="negbin", horizon=1, window=3)
    # the mixture is summed in chunks that fit the budget: same probabilities
    rng = np.random.default_rng(5)
    pred = _Predictive(lam=rng.gamma(2.0, 1.0, (300, 14)), r=np.full(300, 2.0))
    monkeypatch.setattr(limits, "MAX_BYTES", 1 << 30)
    whole = pred.pmf()
    monkeypatch.setattr(limits, "MAX_BYTES", 48 * 14 * whole.shape[1] * 7)
    np.testing.assert_allclose(pred.pmf(), whole, rtol=1e-12, atol=1e-12)


def test_short_empty_or_oversized_inputs_raise_clear_errors() -> None:
    with pytest.raises(FlashpointValueError, match="at least 3 days of counts; found 1"):
        forecast(daily([3]))
    with pytest.raises(FlashpointValueError, match="window=60 days is longer than the series"):
        forecast(daily([1] * 30), window=60)
    with pytest.raises(FlashpointValueError, match="season=40 days is longer than the series"):
        backtest(daily([1] * 30), season=40, models=("naive_mean", "seasonal_naive"))
    zeros = daily([0] * 60)
    with pytest.raises(FlashpointValueError, match=r"every series is all zero .* model='auto'"):
        forecast(zeros, model="hawkes")
    with pytest.raises(FlashpointValueError, match=r"every series is all zero .* nothing to"):
        backtest(zeros)
    assert forecast(zeros).forecast["mean"].max() < 0.05  # auto: about zero
    two = pd.concat([daily([0] * 60).assign(g="a"), daily([1, 0] * 30).assign(g="b")])
    with pytest.warns(AllZeroGroupWarning, match="group 'a' has no events"):
        assert forecast(two, model="hawkes", n_sim=50).groups == ("b",)


def test_plot_forecast_and_backtest_structure() -> None:
    simulated = simulate_hawkes_counts(
        200,
        background=[0.5, 0.8],
        branching_ratio=0.4,
        groups=["Iraq", "Syria"],
        by="country",
        seed=2,
    )
    fc = forecast(simulated, horizon=7, n_sim=200, seed=1)
    fig = plot_forecast(fc, history=30, events=["2020-07-10"])
    names = [t.name for t in fig.data]
    assert names == [
        "observed",
        "95% prediction interval (lower)",
        "95% prediction interval",
        "forecast median",
        "forecast mean",
    ] * 2 + ["events"]
    syria = fc.forecast[fc.forecast["country"] == "Syria"]
    assert trace_dates(fig.data[8]) == list(syria["date"])
    np.testing.assert_allclose(fig.data[8].y, syria["median"])
    assert len(trace_dates(fig.data[0])) == 30
    assert fig.layout.yaxis.title.text == "events per day"
    assert "chosen by backtest: Iraq: " in fig.layout.title.text  # the default, model="auto"
    bt = backtest(
        simulated,
        horizon=7,
        initial=150,
        step=20,
        n_sim=100,
        seed=1,
        models=("negbin", "naive_mean"),
    )
    fig2 = plot_backtest(bt)
    assert [t.name for t in fig2.data] == ["negbin", "naive_mean"]
    assert fig2.layout.xaxis.title.text == "days ahead"
    assert fig2.layout.yaxis.title.text == "mean CRPS (events)"
    assert list(bt.plot().data[0].x) == list(range(1, 8))


def test_backtest_does_not_use_exogenous_events_after_the_origin() -> None:
    simulated = simulate_hawkes_counts(160, background=0.8, branching_ratio=0.4, seed=3)
    kw = {
        "horizon": 7,
        "initial": 120,
        "step": 30,
        "n_sim": 100,
        "seed": 2,
        "models": ("hawkes", "naive_mean"),
    }
    plain = backtest(simulated, **kw).scores
    later = simulated["date"].iloc[125]  # inside the first forecast window, after its origin
    with_future = backtest(simulated, exogenous=[later], **kw).scores
    first = plain["origin"] == plain["origin"].min()
    np.testing.assert_allclose(with_future.loc[first, "mean"], plain.loc[first, "mean"], rtol=1e-6)
