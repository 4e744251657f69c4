"""Trend: average growth over a stated window against known truth and statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import flashpoint as fp
from flashpoint.errors import ModelSpecError, OverdispersionWarning
from flashpoint.models.design import build_design


def simulated_growth(rng: np.random.Generator, *, weekly: float, n: int = 280) -> pd.DataFrame:
    t = np.arange(n)
    mu = 3 * np.exp(weekly * t / 7)
    r = 4.0
    return pd.DataFrame(
        {
            "date": pd.date_range("2022-01-01", periods=n),
            "count": rng.negative_binomial(r, r / (r + mu)),
        }
    )


def test_linear_growth_recovered(rng: np.random.Generator) -> None:
    data = simulated_growth(rng, weekly=0.03)
    row = fp.fit_trend(data, trend="linear").summary().iloc[0]
    assert row["avg_growth_lower"] <= 0.03 <= row["avg_growth_upper"]
    assert row["doubling_time"] == pytest.approx(np.log(2) / row["avg_growth"] * 7)
    assert np.isnan(row["halving_time"])
    assert row["avg_percent_change"] == pytest.approx(100 * np.expm1(row["avg_growth"]))
    # a log-linear trend has one growth rate: the last day's is the average
    assert row["last_day_growth"] == pytest.approx(row["avg_growth"])
    assert row["growth_end"] - row["growth_start"] == pd.Timedelta(days=28)


def test_decline_gives_halving_time(rng: np.random.Generator) -> None:
    data = simulated_growth(rng, weekly=-0.04)
    row = fp.fit_trend(data, trend="linear").summary().iloc[0]
    assert row["avg_growth_upper"] < 0
    assert np.isnan(row["doubling_time"])
    assert row["halving_time"] == pytest.approx(np.log(2) / 0.04 * 7, rel=0.3)


def test_no_trend_gives_no_doubling_time(rng: np.random.Generator) -> None:
    data = simulated_growth(rng, weekly=0.0)
    row = fp.fit_trend(data, trend="linear").summary().iloc[0]
    assert row["avg_growth_lower"] < 0 < row["avg_growth_upper"]
    assert np.isnan(row["doubling_time"])
    assert np.isnan(row["halving_time"])


@pytest.mark.filterwarnings("ignore::flashpoint.errors.OverdispersionWarning")
def test_linear_trend_equals_statsmodels(rng: np.random.Generator) -> None:
    data = simulated_growth(rng, weekly=0.02)
    res = fp.fit_trend(data, trend="linear", family="poisson")
    t = np.arange(len(data)) / 7
    y = data["count"].to_numpy()
    direct = sm.GLM(y, sm.add_constant(t), family=sm.families.Poisson()).fit()
    row = res.summary().iloc[0]
    lo, hi = direct.conf_int()[1]
    for name in ("avg_growth", "last_day_growth"):
        np.testing.assert_allclose(row[name], direct.params[1], rtol=1e-6)
        np.testing.assert_allclose(
            [row[f"{name}_lower"], row[f"{name}_upper"]], [lo, hi], rtol=1e-6
        )


@pytest.mark.filterwarnings("ignore::flashpoint.errors.OverdispersionWarning")
def test_spline_average_growth_equals_statsmodels_contrast(rng: np.random.Generator) -> None:
    """The average growth is the contrast (f(t_end) - f(t_start)) / 4 weeks of the trend
    coefficients: statsmodels' t_test of that contrast on the same design agrees."""
    data = simulated_growth(rng, weekly=0.02, n=140)
    window = ("2022-03-01", "2022-04-12")  # days 59 and 101: six weeks
    res = fp.fit_trend(data, family="poisson", growth_window=window)
    dates = pd.DatetimeIndex(data["date"])
    X = build_design(dates, [], freq="D", trend="spline", spline_df=3).X
    direct = sm.GLM(data["count"].to_numpy(), X, family=sm.families.Poisson()).fit()
    contrast = (X[101] - X[59]) / 6
    test = direct.t_test(contrast[None, :])
    row = res.summary().iloc[0]
    assert (row["growth_start"], row["growth_end"]) == tuple(pd.to_datetime(window))
    np.testing.assert_allclose(row["avg_growth"], test.effect[0], rtol=1e-6)
    np.testing.assert_allclose(
        [row["avg_growth_lower"], row["avg_growth_upper"]], test.conf_int()[0], rtol=1e-6
    )


def test_average_growth_interval_covers_known_growth() -> None:
    """Seeded simulation: 60 Poisson series growing 5% a week (log-linear), spline trend:
    the 95% interval of the 4-week average growth covers 0.05 in 54 (90%; binomial sd of
    the count 1.7 around the nominal 57).

    The larger run (400 series each; Poisson 95.5%, negative binomial 93.2% at 140 days
    and 94.3% at 280) is ``tests/reference/event_study_trend_sims.py``.
    """
    rng = np.random.default_rng(11)
    n, weekly = 140, 0.05
    dates = pd.date_range("2022-01-01", periods=n)
    mu = 2 * np.exp(weekly * np.arange(n) / 7)
    covered = 0
    for _ in range(60):
        data = pd.DataFrame({"date": dates, "count": rng.poisson(mu)})
        row = fp.fit_trend(data, family="poisson").summary().iloc[0]
        covered += row["avg_growth_lower"] <= weekly <= row["avg_growth_upper"]
    assert covered >= 53  # 88%


def test_growth_window_choices(rng: np.random.Generator) -> None:
    data = simulated_growth(rng, weekly=0.02, n=100)
    whole = fp.fit_trend(data, trend="linear", growth_window=None).summary().iloc[0]
    assert (whole["growth_start"], whole["growth_end"]) == (
        data["date"].iloc[0],
        data["date"].iloc[-1],
    )
    longer = fp.fit_trend(data, trend="linear", growth_window=500).summary().iloc[0]
    assert longer["growth_start"] == data["date"].iloc[0]  # clipped to the series
    assert "over the last 500 days" in repr(fp.fit_trend(data, growth_window=500))
    with pytest.raises(ModelSpecError, match="inside the series"):
        fp.fit_trend(data, growth_window=("2021-12-01", "2022-02-01"))
    with pytest.raises(ModelSpecError, match="whole number of periods >= 1"):
        fp.fit_trend(data, growth_window=0)


def test_spline_growth_follows_a_turn(rng: np.random.Generator) -> None:
    n = 364
    t = np.arange(n)
    mu = 2 * np.exp(1.5 * np.sin(np.pi * t / n))  # rises, then falls
    data = pd.DataFrame({"date": pd.date_range("2022-01-01", periods=n), "count": rng.poisson(mu)})
    res = fp.fit_trend(data, family="poisson")
    growth = res.fitted["growth"].to_numpy()
    assert growth[30] > 0 > growth[-30]
    row = res.summary().iloc[0]
    assert row["last_day_growth_upper"] < 0  # falling at the end
    assert row["avg_growth_upper"] < 0  # and over the last four weeks
    # the average of the daily slopes over the window is the average growth
    np.testing.assert_allclose(
        np.trapezoid(growth[-29:], dx=1 / 7) / 4, row["avg_growth"], rtol=1e-3
    )
    np.testing.assert_allclose(res.fitted["fitted"].sum(), data["count"].sum(), rtol=1e-6)


def test_dow_terms(rng: np.random.Generator) -> None:
    n = 210
    dates = pd.date_range("2022-01-03", periods=n)  # a Monday
    mu = np.where(dates.day_of_week == 4, 6.0, 2.0)  # Fridays busier
    data = pd.DataFrame({"date": dates, "count": rng.poisson(mu)})
    res = fp.fit_trend(data, dow=True, trend="linear", family="poisson")
    fit = res.fits[None]
    fri = fit.names.index("dow[Fri]")
    assert np.exp(fit.params[fri]) == pytest.approx(3.0, rel=0.2)


def test_per_group_and_overdispersion(rng: np.random.Generator) -> None:
    a = simulated_growth(rng, weekly=0.02).assign(country="A")
    b = simulated_growth(rng, weekly=-0.02).assign(country="B")
    res = fp.fit_trend(pd.concat([a, b]), trend="linear")
    s = res.summary()
    assert s["country"].tolist() == ["A", "B"]
    assert (s["lr_p_value"] < 0.01).all()  # NB2 with r = 4 is overdispersed
    assert set(res.fitted.columns) >= {"date", "country", "count", "fitted", "growth"}
    with pytest.warns(OverdispersionWarning):
        fp.fit_trend(pd.concat([a, b]), trend="linear", family="poisson")


def test_bundled_data_and_plot() -> None:
    counts = fp.count_daily(fp.load_attacks(), start="2023-10-17", end="2024-02-04")
    res = fp.fit_trend(counts[counts["country"] != "Jordan"])
    s = res.summary()
    assert s["country"].tolist() == ["Iraq", "Syria"]
    assert (s["growth_start"] == pd.Timestamp("2024-01-07")).all()
    assert (s["last_day"] == pd.Timestamp("2024-02-04")).all()
    assert repr(res).startswith("<TrendResult: negbin spline trend, average growth per week over")
    fig = res.plot()
    assert fig.layout.shapes[0].x0 == pd.Timestamp("2024-01-07")  # the window is shaded
    assert "over 2024-01-07 to 2024-02-04" in fig.layout.annotations[0].text
    names = [t.name for t in fig.data]
    assert "observed (Iraq)" in names
    assert "trend (Syria)" in names
    assert fig.layout.yaxis.title.text == "events per day"
