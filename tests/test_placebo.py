"""Placebo inference: the batched refits equal single fits; p-values behave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import flashpoint as fp
from flashpoint.errors import ModelSpecError
from flashpoint.models._irls import irls_batch


def simulated(rng: np.random.Generator, *, n: int = 240, effect: float = 1.0) -> pd.DataFrame:
    mu = 3.0 * np.where(np.arange(n) >= 150, effect, 1.0)
    return pd.DataFrame({"date": pd.date_range("2022-01-01", periods=n), "count": rng.poisson(mu)})


def test_irls_batch_equals_statsmodels(rng: np.random.Generator) -> None:
    n = 200
    X = np.column_stack([np.ones(n), np.arange(n) / 7, (np.arange(n) >= 90).astype(float)])
    y = rng.negative_binomial(2, 2 / (2 + np.exp(X @ [1.0, 0.01, 0.4])))
    batch = np.stack([X, X[:, [0, 2, 1]]])
    params, se, conv = irls_batch(y.astype(float), batch, nb_alpha=0.5)
    glm = sm.GLM(y, X, family=sm.families.NegativeBinomial(alpha=0.5)).fit()
    np.testing.assert_allclose(params[0], glm.params, rtol=1e-6)
    np.testing.assert_allclose(se[0], glm.bse, rtol=1e-6)
    np.testing.assert_allclose(params[1], glm.params[[0, 2, 1]], rtol=1e-6)
    assert conv.all()


def test_observed_statistic_equals_the_its_estimate(rng: np.random.Generator) -> None:
    data = simulated(rng, effect=2.0)
    res = fp.placebo_test(data, "2022-05-31")
    its = fp.fit_its(data, "2022-05-31", n_sim=2)
    np.testing.assert_allclose(
        res.summary()["observed"].iloc[0], its.summary()["estimate"].iloc[0], rtol=1e-6
    )


def test_placebo_estimates_equal_single_refits(rng: np.random.Generator) -> None:
    data = simulated(rng)
    dates = ["2022-02-15", "2022-03-20", "2022-07-01"]
    res = fp.placebo_test(data, "2022-05-31", dates=dates, family="poisson")
    for d, est in zip(dates, res.placebos["estimate"], strict=True):
        single = fp.fit_its(data, d, family="poisson", n_sim=2).summary()["estimate"].iloc[0]
        np.testing.assert_allclose(est, single, rtol=1e-6)


def test_strong_effect_is_extreme_null_is_not(rng: np.random.Generator) -> None:
    strong = fp.placebo_test(simulated(rng, effect=3.0), "2022-05-31", alternative="greater")
    assert strong.summary()["p_value"].iloc[0] < 0.02
    null = fp.placebo_test(simulated(rng, effect=1.0), "2022-05-31")
    row = null.summary().iloc[0]
    assert row["p_value"] > 0.05
    # every eligible date but the real one: starts after min_pre, ends before min_post
    assert row["n_placebo"] == (240 - 7) - 14 + 1 - 1


def test_p_values_are_uniform_when_the_date_is_exchangeable() -> None:
    """Under the null, with the real date drawn at random, rank p-values are uniform."""
    rng = np.random.default_rng(11)
    ps = []
    for _ in range(60):
        data = simulated(rng, n=120)
        day = data["date"].iloc[int(rng.integers(14, 113))]
        ps.append(
            fp.placebo_test(data, day, family="poisson", trend="none").summary()["p_value"].iloc[0]
        )
    ps = np.array(ps)
    assert 0.3 < ps.mean() < 0.7
    assert np.mean(ps <= 0.1) < 0.25


def test_across_group_placebo() -> None:
    counts = fp.count_daily(fp.load_attacks(), start="2023-10-17", end="2024-02-04")
    res = fp.placebo_test(
        counts,
        fp.EventSpec(date="2023-11-22", label="KH strike", group="Iraq"),
        kind="across_group",
    )
    s = res.summary()
    assert set(s["country"]) == {"Iraq", "Syria", "Jordan"} - {"Jordan"} or len(s) >= 2
    assert (s["n_placebo"] == len(s) - 1).all()


def test_bundled_kh_strike_in_time() -> None:
    counts = fp.count_daily(fp.load_attacks(), start="2023-10-17", end="2024-02-04")
    counts = counts[counts["country"] != "Jordan"]
    events = [
        fp.EventSpec(date="2023-11-22", label="KH strike"),
        fp.EventSpec(date="2023-11-24", end="2023-12-01", shape="pulse", label="truce"),
    ]
    res = fp.placebo_test(counts, events, target="KH strike")
    s = res.summary()
    assert s["country"].tolist() == ["Iraq", "Syria"]
    assert (s["n_placebo"] == 90).all()
    assert ((s["p_value"] > 0) & (s["p_value"] <= 1)).all()
    fig = res.plot()
    assert fig.layout.title.text == "Placebo test: KH strike"
    assert len(fig.data) == 2


def test_bad_target(rng: np.random.Generator) -> None:
    with pytest.raises(ModelSpecError, match="no event labelled 'x'"):
        fp.placebo_test(simulated(rng), "2022-05-31", target="x")
    with pytest.raises(ModelSpecError, match="at least two groups"):
        fp.placebo_test(simulated(rng), "2022-05-31", kind="across_group")
