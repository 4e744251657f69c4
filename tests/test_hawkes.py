"""Daily-count Hawkes model: likelihood, recovery of known parameters, decomposition, plots."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import flashpoint as fp
from conftest import trace_dates
from flashpoint.errors import EventRangeError, FlashpointValueError, ModelSpecError
from flashpoint.models.hawkes import (
    HawkesResult,
    IdentifiabilityWarning,
    NonStationaryWarning,
    fit_hawkes,
    simulate_hawkes_counts,
)
from flashpoint.plots.hawkes import plot_hawkes

SUMMARY_COLUMNS = [
    "term",
    "source",
    "regime",
    "regime_start",
    "regime_end",
    "estimate",
    "std_err",
    "statistic",
    "p_value",
    "ci_lower",
    "ci_upper",
    "conf_level",
    "ci_method",
    "unit",
]


def _geometric(decay: float, L: int) -> np.ndarray:
    w = decay ** np.arange(L)
    return w / w.sum()


def _direct_lambda(
    y: np.ndarray,
    mu: float,
    eta: float,
    g: np.ndarray,
    x: np.ndarray,
    kappa: float,
    h: np.ndarray,
) -> np.ndarray:
    """The model's mean written as plain loops (pre-sample counts are zero)."""
    lam = np.empty(len(y))
    for t in range(len(y)):
        s = sum(g[lag - 1] * y[t - lag] for lag in range(1, len(g) + 1) if t - lag >= 0)
        e = sum(h[lag - 1] * x[t - lag] for lag in range(1, len(h) + 1) if t - lag >= 0)
        lam[t] = mu + eta * s + kappa * e
    return lam


def _terms(res: HawkesResult) -> pd.Series:
    s = res.summary()
    return s.set_index("term")["estimate"]


def test_poisson_loglik_equals_a_direct_computation() -> None:
    strikes = pd.date_range("2020-01-05", periods=10, freq="30D")
    simulated = simulate_hawkes_counts(
        300,
        background=0.7,
        branching_ratio=0.4,
        decay=0.5,
        max_lag=10,
        family="poisson",
        exogenous_dates=strikes,
        exogenous_size=2.0,
        exogenous_decay=0.4,
        seed=5,
    )
    res = fit_hawkes(simulated, family="poisson", max_lag=10, exogenous=strikes, ci_method="wald")
    p = _terms(res)
    y = simulated["count"].to_numpy()
    x = simulated["date"].isin(strikes).to_numpy().astype(float)
    lam = _direct_lambda(
        y,
        p["background"],
        p["branching_ratio"],
        _geometric(p["kernel_decay"], 10),
        x,
        p["exogenous_size"],
        _geometric(p["exogenous_decay"], 10),
    )
    assert res.loglik == pytest.approx(stats.poisson.logpmf(y, lam).sum(), rel=1e-10)
    np.testing.assert_allclose(res.decomposition["expected"], lam, rtol=1e-10)
    # the maximum: moving any parameter lowers the likelihood
    assert res.converged


def test_negbin_loglik_equals_scipy() -> None:
    simulated = simulate_hawkes_counts(300, background=0.7, branching_ratio=0.4, seed=6)
    res = fit_hawkes(simulated, ci_method="wald")
    p = _terms(res)
    y = simulated["count"].to_numpy()
    lam = res.decomposition["expected"].to_numpy()
    direct = _direct_lambda(
        y,
        p["background"],
        p["branching_ratio"],
        _geometric(p["kernel_decay"], 21),
        np.zeros(len(y)),
        0.0,
        np.ones(21) / 21,
    )
    np.testing.assert_allclose(lam, direct, rtol=1e-10)
    r = 1.0 / p["dispersion"]
    ll = stats.nbinom.logpmf(y, r, r / (r + lam)).sum()
    assert res.loglik == pytest.approx(ll, rel=1e-10)


def test_fixed_kernel_poisson_matches_statsmodels_identity_link_glm() -> None:
    """With a known kernel the Poisson model is an identity-link Poisson GLM on [1, S_t]."""
    simulated = simulate_hawkes_counts(
        1500, background=0.8, branching_ratio=0.5, family="poisson", seed=11
    )
    w = np.array([0.5, 0.25, 0.15, 0.1])
    res = fit_hawkes(simulated, family="poisson", kernel=w, ci_method="wald")
    y = simulated["count"].to_numpy().astype(float)
    S = np.array(
        [sum(w[lag - 1] * y[t - lag] for lag in range(1, 5) if t - lag >= 0) for t in range(len(y))]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' DomainWarning for the identity link
        glm = sm.GLM(
            y,
            np.column_stack([np.ones_like(S), S]),
            family=sm.families.Poisson(link=sm.families.links.Identity()),
        ).fit(method="newton")
    s = res.summary().set_index("term")
    assert s.loc["background", "estimate"] == pytest.approx(glm.params[0], rel=1e-5)
    assert s.loc["branching_ratio", "estimate"] == pytest.approx(glm.params[1], rel=1e-5)
    # observed information on both sides
    assert s.loc["background", "std_err"] == pytest.approx(glm.bse[0], rel=1e-3)
    assert s.loc["branching_ratio", "std_err"] == pytest.approx(glm.bse[1], rel=1e-3)
    assert res.loglik == pytest.approx(glm.llf, rel=1e-9)
    assert res.kernel == "fixed"


@pytest.mark.parametrize(
    ("eta", "tol"),
    [(0.3, 0.11), (0.6, 0.095), (0.9, 0.065)],
)
def test_branching_ratio_is_recovered(eta: float, tol: float) -> None:
    """3,000 simulated days, NB2 dispersion 0.3, mean about 2 per day.

    Tolerances are about 3 sampling SDs, measured over 30 seeds (SD 0.037, 0.031, 0.021).
    """
    simulated = simulate_hawkes_counts(
        3000, background=2 * (1 - eta), branching_ratio=eta, decay=0.6, dispersion=0.3, seed=100
    )
    res = fit_hawkes(simulated)
    br = res.branching_ratios().iloc[0]
    assert abs(br["estimate"] - eta) < tol
    assert br["ci_lower"] <= eta <= br["ci_upper"]
    assert br["ci_method"] == "profile_likelihood"
    p = _terms(res)
    assert abs(p["kernel_decay"] - 0.6) < 0.12
    assert abs(p["dispersion"] - 0.3) < 0.1


def test_exogenous_excitation_is_recovered() -> None:
    """kappa = 4 extra events per exogenous event (SD 0.45 over 20 seeds; tolerance 1.3)."""
    strikes = pd.date_range("2020-01-10", periods=150, freq="20D")
    simulated = simulate_hawkes_counts(
        3000,
        background=1.0,
        branching_ratio=0.4,
        decay=0.6,
        exogenous_dates=strikes,
        exogenous_size=4.0,
        exogenous_decay=0.5,
        seed=7,
    )
    res = fit_hawkes(simulated, exogenous={"strikes": pd.DataFrame({"date": strikes})})
    s = res.summary().set_index("term")
    assert abs(s.loc["exogenous_size", "estimate"] - 4.0) < 1.3
    assert s.loc["exogenous_size", "ci_lower"] <= 4.0 <= s.loc["exogenous_size", "ci_upper"]
    assert s.loc["exogenous_size", "source"] == "strikes"
    assert abs(s.loc["branching_ratio", "estimate"] - 0.4) < 0.13
    # the event-triggered part is zero before the first strike, positive the day after
    dec = res.decomposition.set_index("date")
    assert dec.loc[: strikes[0], "exogenous"].max() == 0.0
    assert dec.loc[strikes[0] + pd.Timedelta(days=1), "exogenous"] > 1.0
    # a counts stream gives the same fit as the event table
    stream = pd.DataFrame({"date": strikes, "count": 1})
    res2 = fit_hawkes(simulated, exogenous=stream, ci_method="wald")
    assert res2.loglik == pytest.approx(res.loglik, rel=1e-9)


def test_multivariate_cross_excitation_is_recovered() -> None:
    """2 groups, B excites A (0.3), A does not excite B; SDs 0.03-0.04 over 20 seeds."""
    E = np.array([[0.3, 0.3], [0.0, 0.4]])
    simulated = simulate_hawkes_counts(
        3000,
        background=[0.6, 0.5],
        branching_ratio=E,
        decay=0.6,
        groups=["A", "B"],
        by="country",
        seed=3,
    )
    res = fit_hawkes(simulated, multivariate=True)
    br = res.branching_ratios()
    est = br.pivot(index="country", columns="source", values="estimate").to_numpy()
    np.testing.assert_allclose(est, E, atol=0.12)
    for _, row in br.iterrows():
        truth = E[["A", "B"].index(row["country"]), ["A", "B"].index(row["source"])]
        assert row["ci_lower"] - 1e-6 <= truth <= row["ci_upper"] + 1e-6
    s = res.summary()
    rho = s.loc[s["term"] == "spectral_radius", "estimate"].iloc[0]
    assert rho == pytest.approx(max(abs(np.linalg.eigvals(est))), rel=1e-9)
    assert abs(rho - 0.4) < 0.1
    tests = res.tests.set_index("test")
    assert tests.loc["no_cross_excitation", "p_value"] < 1e-6
    # decomposition by source adds up to the self-excited part
    by_src = res.self_excitation.groupby(["date", "country"])["self_excited"].sum()
    dec = res.decomposition.set_index(["date", "country"])["self_excited"]
    np.testing.assert_allclose(by_src.loc[dec.index].to_numpy(), dec.to_numpy(), rtol=1e-12)


def test_decomposition_sums_to_the_expected_count() -> None:
    simulated = simulate_hawkes_counts(
        400,
        background=[0.5, 0.8],
        branching_ratio=0.4,
        exogenous_dates=["2020-02-01", "2020-06-01"],
        exogenous_size=2.0,
        groups=["Iraq", "Syria"],
        by="country",
        seed=9,
    )
    res = fit_hawkes(
        simulated, exogenous=["2020-02-01", "2020-06-01"], baseline="linear", ci_method="wald"
    )
    dec = res.decomposition
    assert list(dec.columns) == [
        "date",
        "country",
        "count",
        "expected",
        "background",
        "self_excited",
        "exogenous",
    ]
    np.testing.assert_allclose(
        dec["expected"], dec["background"] + dec["self_excited"] + dec["exogenous"]
    )
    assert (dec[["background", "self_excited", "exogenous"]] >= 0).all().all()
    assert int(dec["count"].sum()) == int(simulated["count"].sum())
    assert set(res.summary()["term"]) >= {"trend", "exogenous_size", "dispersion"}


def test_regimes_recover_branching_ratios_before_and_after() -> None:
    before = simulate_hawkes_counts(2000, background=1.2, branching_ratio=0.2, seed=21)
    after = simulate_hawkes_counts(
        2000,
        background=0.45,
        branching_ratio=0.7,
        seed=22,
        start=before["date"].iloc[-1] + pd.Timedelta(days=1),
    )
    simulated = pd.concat([before, after], ignore_index=True)
    boundary = after["date"].iloc[0]
    res = fit_hawkes(simulated, regimes=[boundary])
    br = res.branching_ratios().set_index("regime")
    assert abs(br.loc[0, "estimate"] - 0.2) < 0.1
    assert abs(br.loc[1, "estimate"] - 0.7) < 0.1
    assert br.loc[1, "regime_start"] == boundary
    assert br.loc[0, "regime_end"] == boundary - pd.Timedelta(days=1)
    test = res.tests.set_index("test").loc["equal_branching_ratio"]
    assert test["df"] == 1
    assert test["p_value"] < 1e-6
    # same branching ratio on both sides: no evidence of a change
    same = simulate_hawkes_counts(2000, background=0.8, branching_ratio=0.5, seed=23)
    res0 = fit_hawkes(same, regimes=[same["date"].iloc[1000]], ci_method="wald")
    assert res0.tests["p_value"].iloc[0] > 0.05


def test_summary_is_tidy_and_intervals_have_their_level() -> None:
    simulated = simulate_hawkes_counts(300, background=0.7, branching_ratio=0.4, seed=1)
    res = fit_hawkes(simulated, alpha=0.1, ci_method="wald")
    s = res.summary()
    assert list(s.columns) == SUMMARY_COLUMNS
    assert (s["conf_level"] == 0.9).all()
    assert (s["ci_lower"] <= s["estimate"] + 1e-12).all()
    assert (s["estimate"] <= s["ci_upper"] + 1e-12).all()
    assert repr(res).startswith("<HawkesResult: negbin daily Hawkes, 300 days")
    assert "<table" in res._repr_html_()
    assert res.aic == pytest.approx(2 * res.n_params - 2 * res.loglik)


def test_simulation_is_deterministic_with_a_seed() -> None:
    a = simulate_hawkes_counts(100, seed=42)
    b = simulate_hawkes_counts(100, seed=np.random.default_rng(42))
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(simulate_hawkes_counts(100, seed=43))


def test_bad_input_raises_clear_errors() -> None:
    simulated = simulate_hawkes_counts(100, seed=1)
    with pytest.raises(FlashpointValueError, match="family must be one of"):
        fit_hawkes(simulated, family="gaussian")  # type: ignore[arg-type]
    with pytest.raises(EventRangeError, match="outside the counts"):
        fit_hawkes(simulated, regimes=["2030-01-01"])
    with pytest.raises(FlashpointValueError, match="needs at least two groups"):
        fit_hawkes(simulated, multivariate=True)
    with pytest.raises(ModelSpecError, match="non-negative weights"):
        fit_hawkes(simulated, kernel=[0.5, -0.1])
    with pytest.raises(ModelSpecError, match="max_lag=3 but the kernel has 2"):
        fit_hawkes(simulated, kernel=[0.5, 0.5], max_lag=3)
    with pytest.raises(FlashpointValueError, match="at least 2 \\* max_lag = 200"):
        fit_hawkes(simulated, max_lag=100)
    with pytest.raises(FlashpointValueError, match="spectral radius"):
        simulate_hawkes_counts(10, branching_ratio=[[0.6, 0.6], [0.6, 0.6]])


def test_explosive_series_warns() -> None:
    rng = np.random.default_rng(0)
    y = np.zeros(150, dtype=np.int64)
    for t in range(150):  # each event begets 1.1 events over the next 3 days: explosive
        y[t] = rng.poisson(0.2 + (1.1 * y[max(0, t - 3) : t].mean() if t else 0.0))
    growing = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=150), "count": y})
    with pytest.warns(NonStationaryWarning, match="stationarity bound"):
        res = fit_hawkes(
            growing, family="poisson", max_lag=7, ci_method="wald", baseline="constant"
        )
    assert res.branching_ratios()["estimate"].iloc[0] == pytest.approx(0.999)


def _simulate_continuous_hawkes(
    rate: float, eta: float, omega: float, days: float, rng: np.random.Generator
) -> np.ndarray:
    """Exponential-kernel Hawkes process in continuous time by its cluster (branching) form."""
    times = list(rng.uniform(0, days, rng.poisson(rate * days)))
    parents = np.array(times)
    while parents.size:
        n_kids = rng.poisson(eta, parents.size)
        kids = np.repeat(parents, n_kids) + rng.exponential(1 / omega, n_kids.sum())
        kids = kids[kids < days]
        times.extend(kids)
        parents = kids
    return np.sort(np.array(times))


@pytest.mark.slow
def test_binned_continuous_time_hawkes_gives_the_binning_adjusted_branching_ratio() -> None:
    """Timestamps from a continuous exponential Hawkes (eta 0.5, mean delay 4 days), binned.

    The daily model counts only offspring from earlier days: with delays Exp(rate 0.25),
    a share 1 - (1 - exp(-0.25)) / 0.25 = 0.115 of offspring fall on their parent's day,
    so the daily branching ratio should be about 0.5 * 0.885 = 0.442; and the daily kernel
    decays by exp(-0.25) = 0.78 per day.
    """
    rng = np.random.default_rng(8)
    t = _simulate_continuous_hawkes(1.0, 0.5, 0.25, 4000.0, rng)
    days = pd.Timestamp("2010-01-01") + pd.to_timedelta(np.floor(t), unit="D")
    counts = fp.count_daily(pd.DataFrame({"date": days}), by=None)
    res = fit_hawkes(counts, family="poisson", max_lag=40, ci_method="wald")
    p = _terms(res)
    expected = 0.5 * (1 - (1 - (1 - np.exp(-0.25)) / 0.25))
    assert abs(p["branching_ratio"] - expected) < 0.06
    assert abs(p["kernel_decay"] - np.exp(-0.25)) < 0.06


@pytest.mark.slow
def test_profile_intervals_cover_the_truth_across_seeds() -> None:
    """Coverage of the 95% profile interval (constant background, the true model).

    17/20 here; 0.99 over 100 other seeds and 1,000 days (benchmarks/bench_hawkes_daily.py).
    The intervals never close onto the estimate.
    """
    hits = 0
    for seed in range(20):
        simulated = simulate_hawkes_counts(
            1000, background=0.8, branching_ratio=0.6, seed=1000 + seed
        )
        br = fit_hawkes(simulated, baseline="constant").branching_ratios().iloc[0]
        hits += br["ci_lower"] <= 0.6 <= br["ci_upper"]
        assert br["ci_upper"] - br["ci_lower"] > 0.1
    assert hits >= 16  # nominal 95%: 19/20 expected; >= 16 holds with prob. > 0.99


def test_bundled_data_branching_ratio_before_and_after_the_kh_strike() -> None:
    """The bundled counts are too short to tell excitation from a changing background."""
    counts = fp.count_daily(fp.load_attacks(), by="country")
    counts = counts[counts["country"] != "Jordan"]
    ke = fp.load_key_events()
    strikes = ke[ke["kind"] == "us_strike"]
    with pytest.warns(IdentifiabilityWarning, match="spans more than half"):
        res = fit_hawkes(counts, exogenous=strikes, regimes=[fp.datasets.KH_STRIKE])
    assert not res.identifiable
    br = res.branching_ratios().set_index(["country", "regime"])
    np.testing.assert_allclose(
        br[["estimate", "ci_lower", "ci_upper"]].to_numpy(),
        [[0.0, 0.0, 0.537], [0.757, 0.502, 0.999], [0.0, 0.0, 0.597], [0.639, 0.304, 0.999]],
        atol=2e-3,
    )
    assert res.exogenous == ("us_strike",)
    assert dict(res.baseline_used) == {"Iraq": "constant", "Syria": "constant"}
    p = res.regime_test().set_index("country")["p_value"]
    assert p["Iraq"] == pytest.approx(0.0205, abs=1e-3)
    assert p["Syria"] == pytest.approx(0.0460, abs=1e-3)
    # the strikes' extra events are significant in Iraq only: "triggered by" only there
    eff = res.exogenous_effects().set_index("country")
    assert eff["significant"].to_dict() == {"Iraq": True, "Syria": False}
    assert eff.loc["Iraq", "p_value"] < 0.05 < eff.loc["Syria", "p_value"]
    assert eff.loc["Syria", "ci_lower"] == 0.0
    names = [t.name for t in res.plot().data]
    assert names[2] == "triggered by us_strike events"
    assert names[6] == "after us_strike events"


def test_plot_hawkes_structure() -> None:
    simulated = simulate_hawkes_counts(
        200,
        background=[0.5, 0.8],
        branching_ratio=0.4,
        groups=["Iraq", "Syria"],
        by="country",
        seed=2,
    )
    res = fit_hawkes(simulated, exogenous=["2020-03-01"], ci_method="wald")
    fig = plot_hawkes(res, events=pd.DataFrame({"date": ["2020-03-01"], "label": ["strike"]}))
    names = [t.name for t in fig.data]
    label = "after exogenous events"  # the stream's size is not significant here
    assert names == ["background", "self-excited", label, "observed"] * 2 + ["events"]
    assert fig.layout.yaxis.title.text == "events per day"
    assert fig.layout.xaxis2.title.text == "Date"
    dec = res.decomposition
    iraq = dec[dec["country"] == "Iraq"]
    assert trace_dates(fig.data[0]) == list(iraq["date"])
    np.testing.assert_allclose(fig.data[3].y, iraq["count"])
    assert "Self-excitation" in fig.layout.title.text
    assert not any("trigger" in t.name for t in fig.data)
    mv = fit_hawkes(simulated, multivariate=True, ci_method="wald")
    assert [t.name for t in mv.plot().data][:4] == [
        "background",
        "after Iraq events",
        "after Syria events",
        "observed",
    ]


@pytest.mark.parametrize("family", ["negbin", "poisson"])
def test_exact_gradient_matches_finite_differences(family: str) -> None:
    from scipy.optimize import approx_fprime

    from flashpoint.models._base import split_counts
    from flashpoint.models.hawkes import _baseline, _engine, _fit

    simulated = simulate_hawkes_counts(
        300, background=[0.5, 0.8], branching_ratio=0.4, groups=["A", "B"], seed=12
    )
    _, _, series = split_counts(simulated, freq="D")
    exo = _fit._parse_exogenous(["2020-02-01", "2020-05-01"])
    d, _ = _fit._build_design(
        series,
        exo=exo,
        fixed_kernel=None,
        max_lag=14,
        regime_starts=(pd.Timestamp("2020-06-01"),),
        baseline=_baseline.parse_baseline("spline", 3, ["2020-03-01"]),
        family=family,
    )
    theta = _fit._starts(d)[0] + np.random.default_rng(0).uniform(0.01, 0.05, d.layout.size)
    grad = _engine.loglik(theta, d)[1]
    num = approx_fprime(theta, lambda x: _engine.loglik(x, d, grad=False)[0], 1e-7)
    np.testing.assert_allclose(grad, num, rtol=1e-4, atol=1e-4)


def _trend_and_step(n: int, seed: int, eta: float) -> pd.DataFrame:
    """Simulated counts whose background doubles over the period and doubles again mid-way."""
    half = pd.Timestamp("2020-01-01") + pd.Timedelta(days=n // 2)
    return simulate_hawkes_counts(
        n,
        background=1.0 - eta,
        branching_ratio=eta,
        trend=np.log(2.0) * 365.25 / n,
        background_steps={half: 2.0},
        seed=seed,
    )


def test_trend_and_step_without_excitation_are_not_read_as_excitation() -> None:
    """No excitation at all: the constant background reads about 0.9, the default about 0.

    Over 20 seeds (730 days): default mean 0.03, interval covers 0 in 18/20 (here 6 of 8
    required); constant background 0.87-0.95 (the issue's "0.87").
    """
    covers, estimates = 0, []
    for seed in range(8):
        simulated = _trend_and_step(730, 500 + seed, 0.0)
        br = fit_hawkes(simulated).branching_ratios().iloc[0]
        estimates.append(br["estimate"])
        covers += br["ci_lower"] == 0.0
    assert covers >= 6
    assert np.mean(estimates) < 0.1
    with pytest.warns(IdentifiabilityWarning, match="reads that change as excitation"):
        old = fit_hawkes(simulated, baseline="constant", ci_method="wald")
    assert old.branching_ratios()["estimate"].iloc[0] > 0.7
    assert not old.identifiable
    assert "reads that change as excitation" in old.notes[0]
    assert old.tests.set_index("test").loc["baseline_varies", "p_value"] < 1e-4


@pytest.mark.parametrize(("eta", "tol"), [(0.3, 0.12), (0.6, 0.15)])
def test_excitation_is_still_recovered_over_a_trend_and_a_step(eta: float, tol: float) -> None:
    """Over 20 seeds (730 days): mean 0.24 (SD 0.06) for 0.3, 0.51 (SD 0.07) for 0.6."""
    res = fit_hawkes(_trend_and_step(730, 40, eta))
    br = res.branching_ratios().iloc[0]
    assert dict(res.baseline_used) == {None: "spline"}
    assert abs(br["estimate"] - eta) < tol
    assert br["p_value"] < 1e-3
    assert br["ci_lower"] > 0
    assert res.identifiable


def test_baseline_breaks_carry_a_known_step() -> None:
    from flashpoint.models.changepoints import detect_changepoints

    half = pd.Timestamp("2020-01-01") + pd.Timedelta(days=300)
    simulated = simulate_hawkes_counts(
        600, background=1.2, branching_ratio=0.3, background_steps={half: 2.5}, seed=8
    )
    res = fit_hawkes(simulated, baseline="constant", baseline_breaks=[half], ci_method="wald")
    step = res.summary().set_index("term").loc["baseline_step"]
    assert step["source"] == str(half.date())
    assert step["ci_lower"] <= 2.5 <= step["ci_upper"]
    assert step["p_value"] < 1e-6
    assert abs(res.branching_ratios()["estimate"].iloc[0] - 0.3) < 0.15
    assert res.baseline_breaks == ((None, half),)
    cps = detect_changepoints(simulated, method="pelt", family="negbin")
    res2 = fit_hawkes(simulated, baseline="constant", baseline_breaks=cps, ci_method="wald")
    assert len(res2.baseline_breaks) >= 1
    with pytest.raises(EventRangeError, match="baseline break 2030-01-01"):
        fit_hawkes(simulated, baseline_breaks=["2030-01-01"])
    with pytest.raises(ModelSpecError, match="also a regime start"):
        fit_hawkes(simulated, baseline_breaks=[half], regimes=[half])
    with pytest.raises(FlashpointValueError, match="baseline_df"):
        fit_hawkes(simulated, baseline="linear", baseline_df=3)
    with pytest.raises(FlashpointValueError, match="baseline must be one of"):
        fit_hawkes(simulated, baseline="wiggly")  # type: ignore[arg-type]
