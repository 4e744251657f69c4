"""Trend: growth rates against known truth and statsmodels; structure of the result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import flashpoint as fp
from flashpoint.errors import OverdispersionWarning


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
    assert row["growth_lower"] <= 0.03 <= row["growth_upper"]
    assert row["doubling_time"] == pytest.approx(np.log(2) / row["growth"] * 7)
    assert np.isnan(row["halving_time"])
    assert row["percent_change"] == pytest.approx(100 * np.expm1(row["growth"]))


def test_decline_gives_halving_time(rng: np.random.Generator) -> None:
    data = simulated_growth(rng, weekly=-0.04)
    row = fp.fit_trend(data, trend="linear").summary().iloc[0]
    assert row["growth_upper"] < 0
    assert np.isnan(row["doubling_time"])
    assert row["halving_time"] == pytest.approx(np.log(2) / 0.04 * 7, rel=0.3)


def test_no_trend_gives_no_doubling_time(rng: np.random.Generator) -> None:
    data = simulated_growth(rng, weekly=0.0)
    row = fp.fit_trend(data, trend="linear").summary().iloc[0]
    assert row["growth_lower"] < 0 < row["growth_upper"]
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
    np.testing.assert_allclose(row["growth"], direct.params[1], rtol=1e-6)
    lo, hi = direct.conf_int()[1]
    np.testing.assert_allclose([row["growth_lower"], row["growth_upper"]], [lo, hi], rtol=1e-6)


def test_spline_growth_follows_a_turn(rng: np.random.Generator) -> None:
    n = 364
    t = np.arange(n)
    mu = 2 * np.exp(1.5 * np.sin(np.pi * t / n))  # rises, then falls
    data = pd.DataFrame({"date": pd.date_range("2022-01-01", periods=n), "count": rng.poisson(mu)})
    res = fp.fit_trend(data, family="poisson")
    growth = res.fitted["growth"].to_numpy()
    assert growth[30] > 0 > growth[-30]
    assert res.summary()["growth_upper"].iloc[0] < 0  # falling at the end
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
    assert res.summary()["country"].tolist() == ["Iraq", "Syria"]
    assert repr(res).startswith("<TrendResult: negbin spline trend")
    fig = res.plot()
    names = [t.name for t in fig.data]
    assert "observed (Iraq)" in names
    assert "trend (Syria)" in names
    assert fig.layout.yaxis.title.text == "attacks per day"
