"""Control series and the Gaussian family in fit_its: R CausalImpact's example, statsmodels,
simulations of known truth, warnings and errors."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import flashpoint as fp
from flashpoint.errors import AffectedControlWarning, ModelSpecError, PoorFitWarning
from flashpoint.models._base import split_counts
from flashpoint.models.its._ridge import choose_penalty, fit_ridge

sys.path.insert(0, str(Path(__file__).parent / "reference"))
from causalimpact_data import RRandom, causalimpact_example

EVENT = "2014-03-12"  # the 71st day of the CausalImpact example


def simulated_regional_shock(
    rng: np.random.Generator,
    *,
    n: int = 200,
    at: int = 120,
    coef: float = 0.8,
    rate_ratio: float = 1.5,
    jump: float = 2.0,
    nb_alpha: float = 0.2,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Simulated NB counts whose log-rate tracks a control (AR(1) log-index) that doubles
    at the event, on top of which the event multiplies the rate by ``rate_ratio``."""
    z = np.zeros(n)
    shocks = rng.normal(0, 0.15, n)
    for t in range(1, n):
        z[t] = 0.9 * z[t - 1] + shocks[t]
    after = np.arange(n) >= at
    index = np.exp(z) * np.where(after, jump, 1.0)
    mu = 5.0 * index**coef * np.where(after, rate_ratio, 1.0)
    size = 1 / nb_alpha
    y = rng.negative_binomial(size, size / (size + mu))
    dates = pd.date_range("2022-01-01", periods=n)
    return (
        pd.DataFrame({"date": dates, "count": y}),
        pd.DataFrame({"index": index}, index=dates),
        dates[at],
    )


@pytest.fixture(scope="module")
def example() -> tuple[pd.DataFrame, pd.DataFrame]:
    y, x1 = causalimpact_example()
    dates = pd.date_range("2014-01-01", periods=100)
    return pd.DataFrame({"date": dates, "count": y}), pd.DataFrame({"x1": x1}, index=dates)


# ---- R CausalImpact's documented example -----------------------------------------------------
def test_r_random_numbers_are_regenerated(example: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    np.testing.assert_allclose(RRandom(1).runif(3), [0.2655087, 0.3721239, 0.5728534], atol=5e-8)
    np.testing.assert_allclose(RRandom(1).rnorm(3), [-0.6264538, 0.1836433, -0.8356286], atol=5e-8)
    counts, controls = example
    # head(cbind(y, x1)) as R prints it for the vignette's code (causalimpact.md)
    np.testing.assert_allclose(
        counts["count"].to_numpy()[:6],
        [105.2950, 105.8943, 106.6209, 106.1572, 101.2812, 101.4484],
        atol=5e-5,
    )
    np.testing.assert_allclose(
        controls["x1"].to_numpy()[:6],
        [88.21513, 88.48415, 87.87684, 86.77954, 84.62243, 84.60650],
        atol=5e-6,
    )


def test_causalimpact_example_agrees_with_r_summary(
    example: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """R CausalImpact's printed summary of the vignette example (causalimpact.md): Actual
    117 / 3511, Prediction 107 [106, 107] / 3196 (s.d. 10.4-12.6) [3171-3176, 3217-3220],
    absolute effect 316 [292-294, 336-340], relative 9.9% (s.d. 0.32-0.39%) [9.1-9.2%, 11%].
    Points within one R posterior s.d.; our 95% intervals inside R's (rounding allowed)
    and at least half as wide (BSTS's local level widens R's)."""
    counts, controls = example
    res = fp.fit_its(counts, EVENT, controls=controls, family="gaussian", trend="none")
    avg, cum = (res.impact().set_index("measure").loc[m] for m in ("average", "cumulative"))
    assert cum["n_post"] == 30
    assert round(avg["actual"]) == 117
    assert round(cum["actual"]) == 3511
    assert round(avg["counterfactual"]) == 107
    assert abs(cum["counterfactual"] - 3196) < 10.4
    assert abs(cum["excess"] - 316) < 10.4
    assert abs(cum["relative_excess"] - 0.099) < 0.0035
    assert avg["counterfactual_lower"] >= 105.5
    assert avg["counterfactual_upper"] < 107.5
    assert cum["excess_lower"] >= 291.7
    assert cum["excess_upper"] <= 340
    assert cum["relative_excess_lower"] >= 0.0905
    assert cum["relative_excess_upper"] < 0.115
    width = cum["excess_upper"] - cum["excess_lower"]
    assert 0.5 * (336 - 294.4) < width < 340 - 291.7
    row = res.controls_fit.iloc[0]
    assert row["transform"] == "none"
    assert abs(row["estimate"] - 1.2) < 2 * row["std_err"]
    assert res.pre_fit.iloc[0]["pre_r2"] > 0.8


def test_gaussian_equals_statsmodels_ols(example: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    counts, controls = example
    y = counts["count"].to_numpy()
    hac = {"cov_type": "HAC", "cov_kwds": {"maxlags": 3}}
    for cov_type, kwargs in (("model", {}), ("hac", hac)):
        res = fp.fit_its(
            counts, EVENT, controls=controls, family="gaussian", cov_type=cov_type, maxlags=3
        )
        X = res.design_matrix().to_numpy()
        direct = sm.OLS(y, X).fit(**kwargs)
        fit = res.fits[None]
        np.testing.assert_allclose(fit.params, direct.params, rtol=1e-8)
        np.testing.assert_allclose(fit.std_err, direct.bse, rtol=1e-6)
        np.testing.assert_allclose(fit.scale, direct.scale, rtol=1e-8)
    row = res.summary().iloc[0]
    assert np.isnan(row["rate_ratio"])
    assert row["estimate"] == pytest.approx(direct.params[2])
    # the predictive band of one day is the OLS prediction interval with the normal quantile
    X_cf = X.copy()
    X_cf[:, 2] = 0.0
    pred = direct.get_prediction(X_cf).summary_frame(alpha=0.05)
    half = 1.959964 * np.sqrt(pred["mean_se"] ** 2 + direct.scale)
    np.testing.assert_allclose(
        res.fitted["counterfactual_pred_upper"], pred["mean"] + half, rtol=1e-6
    )


# ---- known truth -----------------------------------------------------------------------------
def test_controls_remove_the_bias_of_a_regional_shock() -> None:
    """Seeded, smaller version of benchmarks/bench_controls.py (500 replications there)."""
    rng = np.random.default_rng(7)
    covered, ratios, naive = [], [], []
    for k in range(50):
        counts, controls, event = simulated_regional_shock(rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = fp.fit_its(counts, event, controls=controls, n_sim=2).summary().iloc[0]
            if k < 20:
                naive.append(fp.fit_its(counts, event, n_sim=2).summary().iloc[0])
        covered.append(row["rate_ratio_lower"] <= 1.5 <= row["rate_ratio_upper"])
        ratios.append(row["estimate"])
    assert np.mean(covered) >= 0.9
    assert abs(np.mean(ratios) - np.log(1.5)) < 0.03
    # without the control, part of the shock (2 ** 0.8 = 1.74) reads as an effect
    assert np.mean([r["rate_ratio_lower"] <= 1.5 <= r["rate_ratio_upper"] for r in naive]) <= 0.75
    assert np.median([r["rate_ratio"] for r in naive]) > 1.8


def test_control_groups_predict_the_other_groups() -> None:
    rng = np.random.default_rng(3)
    n, at = 150, 100
    z = np.zeros(n)
    for t in range(1, n):
        z[t] = 0.8 * z[t - 1] + rng.normal(0, 0.25)
    latent = np.exp(z)
    after = np.arange(n) >= at
    dates = pd.date_range("2023-01-01", periods=n)
    rows = []
    for group, scale, effect in (("A", 10.0, 1.5), ("B", 300.0, 1.0), ("C", 500.0, 1.0)):
        mu = scale * latent * np.where(after, 1.8, 1.0) * np.where(after, effect, 1.0)
        rows.append(pd.DataFrame({"date": dates, "country": group, "count": rng.poisson(mu)}))
    counts = pd.concat(rows, ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AffectedControlWarning)
        res = fp.fit_its(counts, dates[at], controls=["B", "C"], family="poisson")
    assert res.groups == ("A",)
    assert res.controls == ("B", "C")
    assert list(res.controls_fit["transform"]) == ["log1p", "log1p"]
    assert res.controls_fit["control"].tolist() == ["B", "C"]
    row = res.summary().iloc[0]
    assert row["rate_ratio_lower"] < 1.5 < row["rate_ratio_upper"]
    assert res.controls_fit["shift_flagged"].all()  # both shifted with the regional shock
    assert set(res.pre_fit.columns) >= {"country", "pre_r2", "lr_p_value", "penalty"}


def test_impact_adds_up_the_fitted_paths(rng: np.random.Generator) -> None:
    counts, controls, event = simulated_regional_shock(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AffectedControlWarning)
        res = fp.fit_its(counts, event, controls=controls, n_sim=200)
    cum = res.impact().set_index("measure").loc["cumulative"]
    post = res.fitted[res.fitted["date"] >= event]
    assert cum["n_post"] == len(post)
    assert cum["actual"] == post["count"].sum()
    assert cum["excess"] == pytest.approx(post["excess"].sum())
    assert cum["excess_lower"] == post["cumulative_excess_lower"].iloc[-1]
    assert cum["counterfactual_lower"] < cum["counterfactual"] < cum["counterfactual_upper"]


# ---- warnings --------------------------------------------------------------------------------
def test_unrelated_controls_warn_poor_fit(rng: np.random.Generator) -> None:
    counts, _controls, event = simulated_regional_shock(rng)
    noise = pd.DataFrame({"noise": rng.normal(size=200)}, index=counts["date"])
    with pytest.warns(PoorFitWarning, match="do not track the series"):
        res = fp.fit_its(counts, event, controls=noise)
    assert res.pre_fit.iloc[0]["lr_p_value"] > 0.05
    assert res.controls_fit.iloc[0]["transform"] == "none"  # negative values: as-is


def test_a_control_that_jumps_at_the_event_warns(rng: np.random.Generator) -> None:
    counts, controls, event = simulated_regional_shock(rng)
    with pytest.warns(AffectedControlWarning, match="shifts at event"):
        res = fp.fit_its(counts, event, controls=controls)
    row = res.controls_fit.iloc[0]
    assert row["shift_flagged"]
    assert row["shift"] > 1
    assert row["transform"] == "log"
    steady, steady_controls, _ = simulated_regional_shock(rng, jump=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AffectedControlWarning)
        res = fp.fit_its(steady, event, controls=steady_controls)
    assert not res.controls_fit.iloc[0]["shift_flagged"]


# ---- shrinkage -------------------------------------------------------------------------------
def test_ridge_fit_equals_closed_form_and_unpenalised_glm(rng: np.random.Generator) -> None:
    n = 120
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 3))])
    y = X @ np.array([1.0, 0.5, -0.3, 0.2]) + rng.normal(size=n)
    pen = np.array([0.0, 5.0, 5.0, 5.0])
    names = ["const", "a", "b", "c"]
    kwargs = {"names": names, "offset": None, "cov_type": "model", "maxlags": None, "where": ""}
    fit = fit_ridge(y, X, family="gaussian", penalty=pen, **kwargs)
    np.testing.assert_allclose(fit.params, np.linalg.solve(X.T @ X + np.diag(pen), X.T @ y))
    counts = rng.poisson(np.exp(X @ np.array([1.0, 0.3, -0.2, 0.1])))
    plain = fit_ridge(counts, X, family="poisson", penalty=np.zeros(4), **kwargs)
    direct = sm.GLM(counts, X, family=sm.families.Poisson()).fit()
    np.testing.assert_allclose(plain.params, direct.params, rtol=1e-7)
    np.testing.assert_allclose(plain.std_err, direct.bse, rtol=1e-6)
    # GCV: pure-noise columns are shrunk much harder than informative ones
    noise = np.column_stack([np.ones(n), rng.normal(size=(n, 3))])
    strong = choose_penalty(y, noise, family="gaussian", offset=None, penalised=[1, 2, 3])
    weak = choose_penalty(y, X, family="gaussian", offset=None, penalised=[1, 2, 3])
    assert strong > 10 * weak


def test_many_controls_are_shrunk(rng: np.random.Generator) -> None:
    counts, controls, event = simulated_regional_shock(rng, n=130, at=80)
    for k in range(8):  # eight unrelated controls: 80 pre-event days, fewer than 20 each
        controls[f"noise{k}"] = rng.normal(size=len(controls))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AffectedControlWarning)
        res = fp.fit_its(counts, event, controls=controls)
        none = fp.fit_its(counts, event, controls=controls, shrinkage="none")
    pre = res.pre_fit.iloc[0]
    assert pre["shrinkage"] == "ridge"
    assert pre["penalty"] > 0
    assert none.pre_fit.iloc[0]["penalty"] == 0
    noise_rows = res.controls_fit["control"].str.startswith("noise")
    shrunk = np.linalg.norm(res.controls_fit.loc[noise_rows, "estimate"])
    assert shrunk < np.linalg.norm(none.controls_fit.loc[noise_rows, "estimate"])
    assert (
        res.summary().iloc[0]["rate_ratio_lower"] < 1.5 < res.summary().iloc[0]["rate_ratio_upper"]
    )


# ---- Gaussian outcomes and input errors ----------------------------------------------------
def test_non_integer_outcomes_need_the_gaussian_family(rng: np.random.Generator) -> None:
    dates = pd.date_range("2024-01-01", periods=60)
    values = pd.DataFrame({"date": dates, "count": rng.normal(-2.0, 1.0, 60)})
    with pytest.raises(fp.FlashpointError, match="family='gaussian'"):
        fp.fit_its(values, "2024-02-01")
    with pytest.raises(fp.FlashpointError, match="whole numbers"):
        split_counts(values)
    _by, _freq, series = split_counts(values, integer=False)
    assert series[0].y.dtype == float
    assert series[0].y.min() < 0
    res = fp.fit_its(
        values, [fp.EventSpec(date="2024-02-01", shape="decay")], family="gaussian", n_sim=50
    )
    row = res.summary().iloc[0]
    assert row["ci_method"] == "wald (half-life estimated)"
    assert 0 <= row["p_value"] <= 1


def test_control_input_errors(rng: np.random.Generator) -> None:
    counts, controls, event = simulated_regional_shock(rng)
    with pytest.raises(ModelSpecError, match="no value on 10 date"):
        fp.fit_its(counts, event, controls=controls.iloc[10:])
    with pytest.raises(ModelSpecError, match="constant before the first event"):
        fp.fit_its(counts, event, controls=controls.assign(flat=1.0))
    with pytest.raises(ModelSpecError, match="must be numeric"):
        fp.fit_its(counts, event, controls=controls.assign(label="x"))
    with pytest.raises(ModelSpecError, match="has one series"):
        fp.fit_its(counts, event, controls=["Iraq"])
    grouped = pd.concat([counts.assign(country="A"), counts.assign(country="B")])
    with pytest.raises(ModelSpecError, match="are not groups of 'country'"):
        fp.fit_its(grouped, event, controls=["Syria"])
    with pytest.raises(ModelSpecError, match="every group is a control"):
        fp.fit_its(grouped, event, controls=["A", "B"])
    with pytest.raises(ModelSpecError, match="log needs positive values"):
        fp.fit_its(counts, event, controls=controls - 1.5, control_transform="log")
    with pytest.raises(ModelSpecError, match="identity link"):
        fp.fit_its(counts.assign(days=1.0), event, family="gaussian", exposure="days")
    with pytest.raises(fp.FlashpointError, match="shrinkage must be one of"):
        fp.fit_its(counts, event, controls=controls, shrinkage="lasso")
