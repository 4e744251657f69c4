"""R_t (Cori et al. 2013): hand-computed posteriors, EpiEstim's published output, simulations."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import trace_dates
from flashpoint.errors import FlashpointTypeError, FlashpointValueError, ShortSeriesWarning
from flashpoint.models.rt import (
    DEFAULT_SERIAL_INTERVAL,
    RtResult,
    SparseWindowWarning,
    estimate_rt,
    serial_interval_pmf,
)

# Flu2009 incidence and EpiEstim "Example 3" (tests/reference/rt.md)
FLU2009 = [1, 1, 0, 2, 5, 3, 3, 3, 6, 2, 5, 9, 13, 12, 13, 11, 12, 6, 6, 6, 3, 1, 0, 2, 0, 0, 0,
           0, 2, 0, 2, 0]  # fmt: skip
EPIESTIM_EXAMPLE3 = np.array(
    [  # mean, sd, q0.025, median, q0.975 for t_end = 8..32
        [1.7357977, 0.40913143, 1.02874370, 1.7037612, 2.6247813],
        [1.7491678, 0.36472669, 1.10882231, 1.7238839, 2.5331192],
        [1.5370581, 0.30741163, 0.99470299, 1.5166133, 2.1955399],
        [1.4318389, 0.27059213, 0.95144658, 1.4148298, 2.0088487],
        [1.4227247, 0.25150457, 0.97314263, 1.4079324, 1.9563365],
        [1.6353733, 0.25234358, 1.17863324, 1.6224126, 2.1657455],
        [1.6639845, 0.23300443, 1.23894574, 1.6531215, 2.1507413],
        [1.6161467, 0.20692639, 1.23622420, 1.6073240, 2.0461979],
        [1.4344239, 0.17656537, 1.10938331, 1.4271858, 1.8005896],
        [1.4087217, 0.16159146, 1.10991245, 1.4025479, 1.7426100],
        [1.2479472, 0.14221678, 0.98486038, 1.2425490, 1.5417063],
        [1.0821477, 0.12579711, 0.84971868, 1.0772771, 1.3422512],
        [0.9371671, 0.11449319, 0.72629165, 0.9325088, 1.1745108],
        [0.8196564, 0.10762616, 0.62239946, 0.8149506, 1.0436503],
        [0.6910352, 0.10188759, 0.50592464, 0.6860342, 0.9045582],
        [0.5896765, 0.09967353, 0.41073132, 0.5840702, 0.8004706],
        [0.4992206, 0.09984413, 0.32306927, 0.4925804, 0.7130887],
        [0.4729631, 0.10850519, 0.28475471, 0.4646919, 0.7081443],
        [0.4176319, 0.11583024, 0.22237137, 0.4069735, 0.6734020],
        [0.2978682, 0.11258359, 0.11975846, 0.2838104, 0.5557145],
        [0.2400880, 0.12004401, 0.06541591, 0.2204045, 0.5262293],
        [0.4573477, 0.20453212, 0.14849956, 0.4272459, 0.9367934],
        [0.6734382, 0.30117074, 0.21866356, 0.6291137, 1.3794155],
        [0.8591897, 0.38424130, 0.27897655, 0.8026393, 1.7598935],
        [0.9975352, 0.44611130, 0.32389696, 0.9318792, 2.0432690],
    ]
)
EPIESTIM_SI_26_15 = [2.331721e-01, 3.585794e-01, 1.981108e-01, 1.033427e-01, 5.290518e-02,
                     2.682146e-02, 1.351620e-02, 6.783438e-03, 3.394351e-03, 1.694674e-03,
                     8.445945e-04, 4.203313e-04]  # fmt: skip


def daily(counts: list[int] | np.ndarray, start: str = "2024-01-01") -> pd.DataFrame:
    return pd.DataFrame(
        {"date": pd.date_range(start, periods=len(counts)), "count": np.asarray(counts)}
    )


def simulate_renewal(
    rng: np.random.Generator, r_t: np.ndarray, w: np.ndarray, *, seed_cases: int,
    background: float = 0.0,
) -> np.ndarray:  # fmt: skip
    """Seeded renewal process: I_t ~ Poisson(background + R_t * sum_s w_s I_{t-s})."""
    n = len(r_t)
    y = np.zeros(n, dtype=np.int64)
    y[0] = seed_cases
    for t in range(1, n):
        k = min(t, len(w))
        lam = float(np.dot(w[:k], y[t - 1 :: -1][:k]))
        y[t] = rng.poisson(background + r_t[t] * lam)
    return y


# --------------------------------------------------------------------------------------------
# exact numbers
# --------------------------------------------------------------------------------------------


def test_matches_hand_computed_gamma_posterior() -> None:
    # I = 4 2 3 1 5, w_1 = 0.6, w_2 = 0.4, 2-day windows, prior Gamma(1, scale 5):
    # Lambda = 0, 2.4, 2.8, 2.6, 1.8
    # window (days 1-2): sum I = 5, sum Lambda = 5.2 -> Gamma(6, 1/5.4), mean 1.1111111
    # window (days 2-3): sum I = 4, sum Lambda = 5.4 -> Gamma(5, 1/5.6), mean 0.8928571
    # window (days 3-4): sum I = 6, sum Lambda = 4.4 -> Gamma(7, 1/4.6), mean 1.5217391
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseWindowWarning)
        res = estimate_rt(daily([4, 2, 3, 1, 5]), serial_interval=[0.6, 0.4], window=2)
    s = res.summary()
    assert list(s["window_count"]) == [5, 4, 6]
    np.testing.assert_allclose(s["infectiousness"], [5.2, 5.4, 4.4], rtol=1e-12)
    np.testing.assert_allclose(s["posterior_shape"], [6.0, 5.0, 7.0])
    np.testing.assert_allclose(s["posterior_scale"], [1 / 5.4, 1 / 5.6, 1 / 4.6], rtol=1e-12)
    np.testing.assert_allclose(s["rt_mean"], [1.1111111111, 0.8928571429, 1.5217391304])
    np.testing.assert_allclose(s["rt_sd"], [np.sqrt(6) / 5.4, np.sqrt(5) / 5.6, np.sqrt(7) / 4.6])
    # equal-tailed 95% interval and median of Gamma(6, scale 1/5.4)
    assert s["rt_lower"].iloc[0] == pytest.approx(stats.gamma.ppf(0.025, 6) / 5.4, rel=1e-10)
    assert s["rt_upper"].iloc[0] == pytest.approx(stats.gamma.ppf(0.975, 6) / 5.4, rel=1e-10)
    # Gamma(6, 1) quantiles are chi-square(12) quantiles / 2: table values 4.404 and 23.337
    assert s["rt_lower"].iloc[0] == pytest.approx(4.404 / 2 / 5.4, abs=1e-4)
    assert s["rt_upper"].iloc[0] == pytest.approx(23.337 / 2 / 5.4, abs=1e-4)
    assert s["rt_median"].iloc[0] == pytest.approx(stats.gamma.ppf(0.5, 6) / 5.4, rel=1e-10)
    assert list(s["date"]) == list(pd.date_range("2024-01-03", periods=3))
    assert list(s["window_start"]) == list(pd.date_range("2024-01-02", periods=3))
    assert (s["conf_level"] == 0.95).all()


def test_matches_epiestim_published_example() -> None:
    """EpiEstim 'Example 3' (Flu2009, parametric SI 2.6/1.5): tests/reference/rt.md."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseWindowWarning)
        res = estimate_rt(daily(FLU2009, "2009-04-27"), serial_interval=(2.6, 1.5), window=7)
    s = res.summary()
    assert len(s) == 25
    assert s["date"].iloc[0] == pd.Timestamp("2009-05-04")  # t_end = 8
    assert s["window_start"].iloc[0] == pd.Timestamp("2009-04-28")  # t_start = 2
    ours = s[["rt_mean", "rt_sd", "rt_lower", "rt_median", "rt_upper"]].to_numpy()
    np.testing.assert_allclose(ours, EPIESTIM_EXAMPLE3, rtol=2e-7, atol=1e-8)


def test_serial_interval_matches_epiestim_discr_si() -> None:
    w = serial_interval_pmf(2.6, 1.5)
    np.testing.assert_allclose(w[:12], EPIESTIM_SI_26_15, rtol=5e-7)
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    # the discretisation keeps the mean of the continuous serial interval
    k = np.arange(1, len(w) + 1)
    for mean, sd in [(2.6, 1.5), DEFAULT_SERIAL_INTERVAL, (7.0, 4.0)]:
        w = serial_interval_pmf(mean, sd)
        k = np.arange(1, len(w) + 1)
        assert float(np.dot(k, w)) == pytest.approx(mean, abs=1e-6)
    assert len(serial_interval_pmf(4.0, 3.0, max_delay=10)) == 10


def test_matches_independent_reimplementation(rng: np.random.Generator) -> None:
    simulated = pd.concat(
        [
            daily(rng.poisson(lam, size=50)).assign(country=name)
            for name, lam in [("A", 3.0), ("B", 8.0)]
        ],
        ignore_index=True,
    )
    w = np.array([0.1, 0.3, 0.3, 0.2, 0.1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseWindowWarning)
        res = estimate_rt(simulated, serial_interval=w, window=5, alpha=0.1, by="country")
    s = res.summary()
    assert set(s.columns) >= {"date", "country", "rt_mean", "rt_lower", "rt_upper"}
    for name, frame in simulated.groupby("country"):
        y = frame["count"].to_numpy()
        rows = s[s["country"] == name].reset_index(drop=True)
        for i, t in enumerate(range(5, 50)):  # naive loops over the definition
            lam = [
                sum(w[k - 1] * y[u - k] for k in range(1, 6) if u - k >= 0)
                for u in range(t - 4, t + 1)
            ]
            shape = 1.0 + y[t - 4 : t + 1].sum()
            scale = 1.0 / (1.0 / 5.0 + sum(lam))
            assert rows.loc[i, "rt_mean"] == pytest.approx(shape * scale, rel=1e-10)
            assert rows.loc[i, "rt_upper"] == pytest.approx(
                stats.gamma.ppf(0.95, shape, scale=scale), rel=1e-10
            )
    np.testing.assert_allclose(s["conf_level"], 0.9)
    assert res.groups == ("A", "B")


# --------------------------------------------------------------------------------------------
# simulations with known truth
# --------------------------------------------------------------------------------------------


def test_rt_near_one_on_stationary_series(rng: np.random.Generator) -> None:
    # a stationary self-exciting series (background 4/day, branching 0.5) and plain Poisson,
    # both 8 events a day; the prior (shape 1) adds about 1 / (7 * 8) = 2% to each mean
    w = serial_interval_pmf(*DEFAULT_SERIAL_INTERVAL)
    n = 1500
    simulated_hawkes = simulate_renewal(rng, np.full(n, 0.5), w, seed_cases=8, background=4.0)
    simulated_poisson = rng.poisson(8.0, size=n)
    for y in (simulated_hawkes, simulated_poisson):
        s = estimate_rt(daily(y[100:])).summary()
        assert s["rt_mean"].median() == pytest.approx(1.0, abs=0.05)
        assert s["rt_mean"].mean() == pytest.approx(1.0, abs=0.05)
        covered = ((s["rt_lower"] <= 1.0) & (s["rt_upper"] >= 1.0)).mean()
        assert covered > 0.85


def test_recovers_known_rt_of_simulated_renewal_process(rng: np.random.Generator) -> None:
    w = serial_interval_pmf(*DEFAULT_SERIAL_INTERVAL)
    true_r = np.r_[np.full(45, 1.3), np.full(60, 0.8)]
    hits, means = [], {1.3: [], 0.8: []}
    for _ in range(20):
        y = simulate_renewal(rng, true_r, w, seed_cases=30)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SparseWindowWarning)  # the dying tail is sparse
            s = estimate_rt(daily(y)).summary()
        end = s["date"].map(lambda d: (d - pd.Timestamp("2024-01-01")).days).to_numpy()
        # windows entirely inside one regime, after the seed has worked through
        for lo, hi, r in [(20, 44, 1.3), (52, 104, 0.8)]:
            inside = s[(end >= lo) & (end <= hi)]
            means[r].append(inside["rt_mean"].mean())
            hits.append(((inside["rt_lower"] <= r) & (inside["rt_upper"] >= r)).mean())
    assert np.mean(means[1.3]) == pytest.approx(1.3, abs=0.05)
    assert np.mean(means[0.8]) == pytest.approx(0.8, abs=0.05)
    assert np.mean(hits) > 0.85  # 95% credible intervals cover the true R


# --------------------------------------------------------------------------------------------
# warnings and errors
# --------------------------------------------------------------------------------------------


def test_sparse_windows_warn_and_are_flagged() -> None:
    y = [1, 0, 0, 2, 0, 1, 0, 0, 1, 0, 3, 1, 0, 0]
    with pytest.warns(SparseWindowWarning, match="fewer than about 11 events"):
        res = estimate_rt(daily(y))
    assert issubclass(SparseWindowWarning, ShortSeriesWarning)
    s = res.summary()
    assert not s["reliable"].any()
    np.testing.assert_allclose(s["posterior_cv"], 1 / np.sqrt(1 + s["window_count"]))


def test_no_warning_when_windows_are_full(rng: np.random.Generator) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = estimate_rt(daily(rng.poisson(10.0, size=30)))
    assert res.summary()["reliable"].all()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"serial_interval": (1.0, 1.0)}, FlashpointValueError, "must exceed 1 day"),
        ({"serial_interval": (4.0, 0.0)}, FlashpointValueError, "sd must be positive"),
        ({"serial_interval": [0.5, 0.2]}, FlashpointValueError, "sum to 1"),
        ({"serial_interval": [0.5, -0.5, 1.0]}, FlashpointValueError, "non-negative"),
        ({"serial_interval": "gamma"}, FlashpointTypeError, "tuple"),
        ({"window": 0}, FlashpointValueError, "window must be"),
        ({"alpha": 1.5}, FlashpointValueError, "alpha"),
        ({"prior_scale": -1.0}, FlashpointValueError, "prior_scale"),
        ({"window": 30}, FlashpointValueError, "at least 31"),
    ],
)
def test_bad_input_errors(kwargs: dict, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        estimate_rt(daily([3] * 20), **kwargs)


def test_non_daily_counts_are_rejected() -> None:
    weekly = pd.DataFrame({"date": pd.date_range("2024-01-07", periods=20, freq="W"), "count": 5})
    with pytest.raises(FlashpointValueError, match="needs daily counts"):
        estimate_rt(weekly)


def test_result_is_frozen_and_described(rng: np.random.Generator) -> None:
    res = estimate_rt(daily(rng.poisson(6.0, size=40)))
    assert isinstance(res, RtResult)
    assert repr(res).startswith("<RtResult: Cori R_t, 7-day windows, gamma serial interval mean 4")
    assert "rt_mean" in res._repr_html_()
    assert res.conf_level == pytest.approx(0.95)
    with pytest.raises(AttributeError):
        res.window = 3  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# figure structure
# --------------------------------------------------------------------------------------------


def test_plot_rt_structure(rng: np.random.Generator) -> None:
    simulated = pd.concat(
        [daily(rng.poisson(lam, size=40)).assign(country=c) for c, lam in [("A", 6.0), ("B", 0.5)]],
        ignore_index=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseWindowWarning)
        res = estimate_rt(simulated)
    fig = res.plot(events=[pd.Timestamp("2024-01-20")])
    names = [t.name for t in fig.data]
    assert names.count("R_t (posterior mean)") == 2
    assert names.count("95% credible interval") == 2
    assert "few events (posterior CV > 0.3)" in names  # group B is sparse
    assert names[-1] == "events"
    means = [t for t in fig.data if t.name == "R_t (posterior mean)"]
    expected_x = res.summary().loc[lambda d: d["country"] == "A", "date"]
    assert trace_dates(means[0]) == list(expected_x)
    np.testing.assert_allclose(
        means[0].y, res.summary().loc[lambda d: d["country"] == "A", "rt_mean"]
    )
    assert fig.layout.yaxis.title.text == "R_t (new events per recent one)"
    assert fig.layout.xaxis2.title.text == "Date (end of window)"
    assert "Reproduction number" in fig.layout.title.text
    assert sum(1 for sh in fig.layout.shapes if sh.y0 == 1.0 and sh.y1 == 1.0) == 2  # R = 1
    assert all(t.hovertemplate for t in fig.data)
