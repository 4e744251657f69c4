"""Forecasts and backtests: calibration, proper scores, determinism, figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import flashpoint as fp
from flashpoint.errors import FlashpointValueError
from flashpoint.models.forecast import (
    ForecastResult,
    _Predictive,
    backtest,
    crps_from_pmf,
    forecast,
)
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


def test_forecast_frame_and_determinism() -> None:
    simulated = simulate_hawkes_counts(
        300,
        background=[0.5, 0.8],
        branching_ratio=0.4,
        groups=["Iraq", "Syria"],
        by="country",
        seed=4,
    )
    a = forecast(simulated, horizon=10, n_sim=300, seed=7)
    b = forecast(simulated, horizon=10, n_sim=300, seed=7)
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
    c = forecast(simulated, horizon=10, n_sim=300, seed=8)
    assert not np.allclose(a.forecast["mean"], c.forecast["mean"])


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
    bt = backtest(simulated, horizon=7, initial=400, step=20, n_sim=300, seed=1)
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
    a, b = backtest(simulated, **kw), backtest(simulated, **kw)
    pd.testing.assert_frame_equal(a.scores, b.scores)


def test_parameter_uncertainty_widens_the_intervals() -> None:
    simulated = simulate_hawkes_counts(150, background=1.0, branching_ratio=0.5, seed=6)
    plug = forecast(simulated, horizon=14, n_sim=2000, seed=1).forecast
    unc = forecast(simulated, horizon=14, n_sim=2000, seed=1, parameter_uncertainty=True).forecast
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
    base = forecast(simulated, horizon=5, exogenous=strikes, seed=1, n_sim=500).forecast
    planned = strikes.append(pd.DatetimeIndex([last + pd.Timedelta(days=1)]))
    scen = forecast(simulated, horizon=5, exogenous=planned, seed=1, n_sim=500).forecast
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


def test_bundled_data_backtest_runs() -> None:
    counts = fp.count_daily(fp.load_attacks(), by="country")
    counts = counts[counts["country"] != "Jordan"]
    bt = backtest(counts, horizon=14, initial=60, step=14, n_sim=200, seed=1)
    s = bt.summary()
    assert set(s["model"]) == {"hawkes", "negbin", "naive_mean", "seasonal_naive"}
    assert (s["n_origins"] == 9).all()
    assert s["mean_score"].between(0.1, 1.0).all()


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
    assert list(fig.data[8].x) == list(syria["date"])
    np.testing.assert_allclose(fig.data[8].y, syria["median"])
    assert len(fig.data[0].x) == 30
    assert fig.layout.yaxis.title.text == "attacks per day"
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
    assert fig2.layout.yaxis.title.text == "mean CRPS (attacks)"
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
