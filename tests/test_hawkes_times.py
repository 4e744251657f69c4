"""Continuous-time exponential Hawkes model: likelihood, fits, residuals, errors, figure.

Every data set here is simulated (seeded) and named so; none of it is real event data.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import flashpoint as fp
from flashpoint.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    FlashpointTypeError,
    FlashpointValueError,
    ShortSeriesWarning,
)
from flashpoint.models.hawkes import NonStationaryWarning
from flashpoint.models.hawkes_times import (
    HawkesTimesResult,
    _compensator_steps,
    _kernel_sums,
    _log_likelihood,
    fit_hawkes_times,
    simulate_hawkes_times,
)

REFERENCE = Path(__file__).parent / "reference"
ORIGIN = pd.Timestamp("2023-10-17")


# --------------------------------------------------------------------------------------------
# helpers: direct O(n^2) formulas, written independently of the module
# --------------------------------------------------------------------------------------------
def direct_sums(t: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lag = t[:, None] - t[None, :]
    earlier = np.tril(np.ones_like(lag, dtype=bool), k=-1)  # j < i (ties included)
    lag = np.where(earlier, lag, 0.0)
    w = np.where(earlier, np.exp(-beta * lag), 0.0)
    return w.sum(1), (lag * w).sum(1), (lag**2 * w).sum(1)


def direct_loglik(t: np.ndarray, window: float, mu: float, eta: float, beta: float) -> float:
    total = 0.0
    for i, ti in enumerate(t):
        excitation = sum(eta * beta * math.exp(-beta * (ti - tj)) for tj in t[:i] if tj < ti)
        total += math.log(mu + excitation)
    compensator = mu * window + sum(eta * (1 - math.exp(-beta * (window - tj))) for tj in t)
    return total - compensator


def simulated_table(days: np.ndarray) -> pd.DataFrame:
    """An event table with exact times (simulated, not real)."""
    stamps = ORIGIN + pd.to_timedelta(np.round(days * 86_400e6), unit="us")
    return pd.DataFrame({"date": stamps, "country": "Simulated"})


# --------------------------------------------------------------------------------------------
# the O(n) recursion against the O(n^2) formulas
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 7, 8, 9, 63, 64, 65, 400, 1001])
def test_blocked_recursion_equals_direct_sums(rng: np.random.Generator, n: int) -> None:
    t = np.sort(rng.uniform(0, n / 3, size=n))
    for beta in (0.05, 1.7, 40.0):
        a, b, c = _kernel_sums(t, beta, 2)
        da, db, dc = direct_sums(t, beta)
        np.testing.assert_allclose(a, da, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(b, db, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(c, dc, rtol=1e-12, atol=1e-300)


def test_recursion_with_ties_sums_strictly_earlier_positions() -> None:
    t = np.array([0.0, 1.0, 1.0, 1.0, 2.5, 2.5, 4.0, 4.0, 4.0, 9.0])
    a, b, c = _kernel_sums(t, 0.8, 2)
    da, db, dc = direct_sums(t, 0.8)
    np.testing.assert_allclose(a, da, rtol=1e-13)
    np.testing.assert_allclose(b, db, rtol=1e-13)
    np.testing.assert_allclose(c, dc, rtol=1e-13)


def test_loglik_equals_direct_quadratic_formula() -> None:
    simulated = simulate_hawkes_times(mu=0.4, branching=0.6, decay=3.0, end=300.0, seed=11)
    assert simulated.size == 261
    for mu, eta, beta in [(0.4, 0.6, 3.0), (0.1, 0.95, 0.2), (2.0, 0.05, 50.0)]:
        ours = _log_likelihood(simulated, 300.0, (mu, eta, beta))[0]
        direct = direct_loglik(simulated, 300.0, mu, eta, beta)
        assert ours == pytest.approx(direct, rel=1e-12)


def test_gradient_and_hessian_match_finite_differences() -> None:
    simulated = simulate_hawkes_times(mu=0.5, branching=0.7, decay=2.0, end=500.0, seed=5)
    x = np.array([0.45, 0.65, 2.3])
    _, grad, hess = _log_likelihood(simulated, 500.0, x, order=2)
    assert grad is not None
    assert hess is not None
    step = 1e-6 * x
    num_grad = np.empty(3)
    num_hess = np.empty((3, 3))
    for k in range(3):
        up, down = x.copy(), x.copy()
        up[k] += step[k]
        down[k] -= step[k]
        num_grad[k] = (
            _log_likelihood(simulated, 500.0, up)[0] - _log_likelihood(simulated, 500.0, down)[0]
        ) / (2 * step[k])
        g_up = _log_likelihood(simulated, 500.0, up, order=1)[1]
        g_down = _log_likelihood(simulated, 500.0, down, order=1)[1]
        assert g_up is not None
        assert g_down is not None
        num_hess[:, k] = (g_up - g_down) / (2 * step[k])
    np.testing.assert_allclose(grad, num_grad, rtol=1e-6)
    np.testing.assert_allclose(hess, num_hess, rtol=1e-6)
    np.testing.assert_allclose(hess, hess.T)


# --------------------------------------------------------------------------------------------
# agreement with other packages (tests/reference/hawkes_times.md)
# --------------------------------------------------------------------------------------------
# name -> simulation (mu, branching, decay, end, seed), number of events, and the fits by
# Omi's `Hawkes` 1.0.0 (mu, alpha = branching ratio, beta, loglik), with the (mu, branching)
# MLE of tick 0.8.0.2 at the decay fixed to Omi's estimate.
REFERENCE_FITS = {
    "ozaki": {
        "sim": (0.1, 0.5, 10.0, 10_000.0, 1979),
        "n": 2047,
        "omi": (0.10020340253146467, 0.5104865533288999, 9.804624136722744, -2830.2192734712557),
        "tick": (0.10020340131972856, 0.5104865482622193),
    },
    "strong": {
        "sim": (0.5, 0.9, 1.0, 1_000.0, 1988),
        "n": 4651,
        "omi": (0.4249422201859686, 0.9103377167860395, 0.997357325301609, 4178.231164422457),
        "tick": (0.42494224470603115, 0.9103377138304116),
    },
    "small": {
        "sim": (1.0, 0.3, 5.0, 200.0, 2002),
        "n": 301,
        "omi": (0.973864887421876, 0.3529146563719707, 3.1241080682365965, -152.72449998406563),
        "tick": (0.9738649148566995, 0.3529146558072246),
    },
}


def test_simulator_still_reproduces_the_embedded_reference_data() -> None:
    embedded = np.loadtxt(REFERENCE / "hawkes_times_small.txt")
    mu, eta, beta, end, seed = REFERENCE_FITS["small"]["sim"]  # type: ignore[misc]
    regenerated = simulate_hawkes_times(mu=mu, branching=eta, decay=beta, end=end, seed=seed)
    np.testing.assert_array_equal(regenerated, embedded)


@pytest.mark.parametrize("name", list(REFERENCE_FITS))
def test_fit_matches_omi_hawkes_and_tick(name: str) -> None:
    ref = REFERENCE_FITS[name]
    mu, eta, beta, end, seed = ref["sim"]  # type: ignore[misc]
    if name == "small":
        simulated = np.loadtxt(REFERENCE / "hawkes_times_small.txt")
    else:
        simulated = simulate_hawkes_times(mu=mu, branching=eta, decay=beta, end=end, seed=seed)
    assert simulated.size == ref["n"], "the seeded simulation changed: regenerate the reference"
    fit = fit_hawkes_times(simulated, start=0.0, end=end)
    omi_mu, omi_eta, omi_beta, omi_loglik = ref["omi"]  # type: ignore[misc]
    # the two optimisers stop at slightly different points of a flat optimum
    assert fit.mu == pytest.approx(omi_mu, rel=1e-6)
    assert fit.branching_ratio == pytest.approx(omi_eta, rel=1e-6)
    assert fit.decay == pytest.approx(omi_beta, rel=1e-6)
    assert fit.log_likelihood == pytest.approx(omi_loglik, abs=1e-8)
    assert fit.log_likelihood >= omi_loglik - 1e-9  # ours is at least as high
    # same likelihood function: ours at Omi's estimate equals Omi's (and tick's) value
    assert _log_likelihood(simulated, end, (omi_mu, omi_eta, omi_beta))[0] == pytest.approx(
        omi_loglik, abs=1e-9
    )
    tick_mu, tick_eta = ref["tick"]  # type: ignore[misc]
    assert fit.mu == pytest.approx(tick_mu, rel=1e-6)
    assert fit.branching_ratio == pytest.approx(tick_eta, rel=1e-6)


# --------------------------------------------------------------------------------------------
# recovery on simulations with known truth
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("branching", "mu", "decay", "end", "seed"),
    [(0.3, 1.0, 4.0, 3_000.0, 31), (0.6, 0.5, 2.0, 4_000.0, 62), (0.9, 0.2, 1.0, 5_000.0, 93)],
)
def test_recovers_known_parameters(
    branching: float, mu: float, decay: float, end: float, seed: int
) -> None:
    simulated = simulate_hawkes_times(mu=mu, branching=branching, decay=decay, end=end, seed=seed)
    fit = fit_hawkes_times(simulated, start=0.0, end=end)
    table = fit.summary().set_index("term")
    # tolerances: branching ratio within 0.04, decay and mu within 12% (about 3 standard
    # errors at these sizes, 4,000-10,000 events); every 95% interval covers the truth
    assert abs(fit.branching_ratio - branching) < 0.04
    assert fit.decay == pytest.approx(decay, rel=0.12)
    assert fit.mu == pytest.approx(mu, rel=0.12)
    truth = {"mu": mu, "branching_ratio": branching, "decay": decay}
    for term, value in truth.items():
        assert table.loc[term, "ci_lower"] < value < table.loc[term, "ci_upper"], term
    assert fit.ks_pvalue > 0.05
    assert fit.converged


@pytest.mark.slow
def test_interval_coverage_of_the_branching_ratio() -> None:
    """95% intervals cover the true branching ratio in about 95% of 200 simulations."""
    rng = np.random.default_rng(2024)
    covered = 0
    reps = 200
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSeriesWarning)
        for _ in range(reps):
            simulated = simulate_hawkes_times(mu=0.5, branching=0.6, decay=2.0, end=600.0, seed=rng)
            table = fit_hawkes_times(simulated, start=0.0, end=600.0).summary()
            row = table.set_index("term").loc["branching_ratio"]
            covered += bool(row["ci_lower"] < 0.6 < row["ci_upper"])
    # binomial(200, 0.95): 181..199 holds with probability > 0.999
    assert 181 <= covered <= 199


# --------------------------------------------------------------------------------------------
# goodness of fit
# --------------------------------------------------------------------------------------------
def test_ks_accepts_the_true_model_and_rejects_poisson() -> None:
    simulated = simulate_hawkes_times(mu=0.2, branching=0.85, decay=3.0, end=3_000.0, seed=8)
    n, window = simulated.size, 3_000.0
    true_steps = _compensator_steps(simulated, 0.2, 0.85, 3.0)
    assert stats.kstest(true_steps, "expon").pvalue > 0.05
    poisson_steps = _compensator_steps(simulated, n / window, 0.0, 1.0)
    assert stats.kstest(poisson_steps, "expon").pvalue < 1e-12
    fit = fit_hawkes_times(simulated, start=0.0, end=window)
    assert fit.ks_pvalue > 0.05
    assert fit.ks_statistic < 0.03
    assert fit.log_likelihood - fit.poisson_log_likelihood > 1_000


def test_time_rescaling_residuals_are_consistent(rng: np.random.Generator) -> None:
    simulated = simulate_hawkes_times(mu=0.5, branching=0.5, decay=2.0, end=400.0, seed=3)
    fit = fit_hawkes_times(simulated, start=0.0, end=400.0)
    res = fit.residuals
    assert list(res.columns) == [
        "event",
        "time",
        "days",
        "intensity",
        "compensator",
        "interval",
        "uniform",
    ]
    np.testing.assert_allclose(np.diff(res["compensator"], prepend=0.0), res["interval"])
    np.testing.assert_allclose(res["uniform"], 1 - np.exp(-res["interval"]))
    # the compensator at the window end is close to the number of events (it equals n at
    # the MLE: d loglik / d mu = 0 gives mu T + eta sum(...) = sum mu / lambda_i ...)
    assert res["compensator"].iloc[-1] == pytest.approx(fit.n_events, rel=0.05)
    ks = fit.ks_curve
    assert ks["observed_uniform"].is_monotonic_increasing
    half_width = stats.kstwo.ppf(0.95, fit.n_events)
    np.testing.assert_allclose(
        ks["band_upper"] - ks["expected_uniform"],
        np.minimum(half_width, 1 - ks["expected_uniform"]),
    )


# --------------------------------------------------------------------------------------------
# result object
# --------------------------------------------------------------------------------------------
def test_summary_is_tidy_and_consistent() -> None:
    simulated = simulate_hawkes_times(mu=0.5, branching=0.5, decay=2.0, end=400.0, seed=1)
    fit = fit_hawkes_times(simulated, start=0.0, end=400.0, alpha=0.1)
    table = fit.summary()
    assert list(table.columns) == [
        "term",
        "estimate",
        "std_err",
        "ci_lower",
        "ci_upper",
        "conf_level",
    ]
    assert list(table["term"]) == ["mu", "branching_ratio", "decay", "half_life_days"]
    np.testing.assert_allclose(table["conf_level"], 0.9)
    assert fit.conf_level == pytest.approx(0.9)
    assert (table["ci_lower"] < table["estimate"]).all()
    assert (table["estimate"] < table["ci_upper"]).all()
    rows = table.set_index("term")
    assert rows.loc["half_life_days", "estimate"] == pytest.approx(math.log(2) / fit.decay)
    assert rows.loc["decay", "std_err"] == pytest.approx(math.sqrt(fit.covariance[2, 2]))
    assert fit.aic == pytest.approx(6 - 2 * fit.log_likelihood)
    assert repr(fit).startswith("<HawkesTimesResult: exponential Hawkes, ")
    assert "<table" in fit._repr_html_()
    with pytest.raises(AttributeError):
        fit.mu = 1.0  # type: ignore[misc]
    # intervals are narrower at 90% than at 95%
    wide = fit_hawkes_times(simulated, start=0.0, end=400.0).summary().set_index("term")
    assert (
        wide.loc["branching_ratio", "ci_upper"] - wide.loc["branching_ratio", "ci_lower"]
        > rows.loc["branching_ratio", "ci_upper"] - rows.loc["branching_ratio", "ci_lower"]
    )


def test_intensity_frame_matches_the_model() -> None:
    simulated = simulate_hawkes_times(mu=0.5, branching=0.5, decay=2.0, end=100.0, seed=4)
    fit = fit_hawkes_times(simulated, start=0.0, end=100.0, grid_size=50)
    curve = fit.intensity
    assert len(curve) == 50 + 2 * fit.n_events
    assert curve["days"].is_monotonic_increasing
    jumps = curve[curve["point"] == "after_event"]["intensity"].to_numpy()
    before = curve[curve["point"] == "before_event"]["intensity"].to_numpy()
    np.testing.assert_allclose(jumps - before, fit.branching_ratio * fit.decay)
    grid = curve[curve["point"] == "grid"]
    g = grid["days"].to_numpy()
    direct = fit.mu + np.array(
        [
            np.sum(
                fit.branching_ratio
                * fit.decay
                * np.exp(-fit.decay * (x - simulated[simulated < x]))
            )
            for x in g
        ]
    )
    np.testing.assert_allclose(grid["intensity"], direct, rtol=1e-10)
    assert (curve["background"] == fit.mu).all()


# --------------------------------------------------------------------------------------------
# event tables
# --------------------------------------------------------------------------------------------
def test_event_table_gives_the_same_fit_as_days() -> None:
    simulated = simulate_hawkes_times(mu=2.0, branching=0.5, decay=8.0, end=60.0, seed=12)
    table = fp.validate_events(simulated_table(simulated), max_date="2030-01-01")
    assert "timestamp" in table.columns
    shuffled = table.sample(frac=1.0, random_state=1)  # unsorted rows are sorted
    end = ORIGIN + pd.Timedelta(days=60)
    fit_table = fit_hawkes_times(shuffled, start=ORIGIN, end=end)
    fit_days = fit_hawkes_times(simulated, start=0.0, end=60.0)
    assert fit_table.branching_ratio == pytest.approx(fit_days.branching_ratio, rel=1e-6)
    assert fit_table.decay == pytest.approx(fit_days.decay, rel=1e-6)
    assert fit_table.start == ORIGIN
    assert fit_table.end == end
    assert fit_table.residuals["time"].dtype.kind == "M"
    assert fit_table.residuals["time"].iloc[0] == table["timestamp"].min()
    # a Series of timestamps works too
    fit_series = fit_hawkes_times(table["timestamp"], start=ORIGIN, end=end)
    assert fit_series.log_likelihood == pytest.approx(fit_table.log_likelihood, rel=1e-12)
    # a raw (unvalidated) table with times of day in `date` works too, with string bounds
    raw = simulated_table(simulated)
    fit_raw = fit_hawkes_times(raw, start="2023-10-17", end="2023-12-16")
    assert fit_raw.branching_ratio == pytest.approx(fit_days.branching_ratio, rel=1e-6)


def test_ties_are_spread_over_the_clock_resolution() -> None:
    simulated = simulate_hawkes_times(mu=3.0, branching=0.5, decay=2.0, end=30.0, seed=21)
    table = simulated_table(simulated)
    table["timestamp"] = table["date"].dt.floor("h")  # a clock that shows hours
    n_ties = int(table["timestamp"].duplicated().sum())
    assert n_ties > 0
    with pytest.warns(DataQualityWarning, match=f"{n_ties} of {len(table)} events share"):
        fit = fit_hawkes_times(table, start=ORIGIN, end=ORIGIN + pd.Timedelta(days=30))
    assert fit.n_ties == n_ties
    assert fit.ties == "spread"
    days = fit.residuals["days"].to_numpy()
    assert np.all(np.diff(days) > 0)
    # each event moved by less than an hour from its clock time
    clock = ((table["timestamp"].sort_values() - ORIGIN) / pd.Timedelta(days=1)).to_numpy()
    assert np.all((days - clock >= 0) & (days - clock < 1 / 24))
    with pytest.raises(FlashpointValueError, match="share their time"):
        fit_hawkes_times(table, ties="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tied events cannot excite
        kept = fit_hawkes_times(table, ties="keep", start=ORIGIN - pd.Timedelta(hours=1))
    assert kept.n_ties == n_ties
    assert kept.ties == "keep"
    assert (kept.residuals["interval"] == 0).sum() == n_ties


def test_spread_ties_at_the_window_end_go_backwards() -> None:
    simulated = simulate_hawkes_times(mu=2.0, branching=0.3, decay=2.0, end=99.0, seed=6)
    times = np.concatenate([simulated, [100.0, 100.0, 100.0]])
    with pytest.warns(DataQualityWarning, match="2 of"):
        fit = fit_hawkes_times(times, start=0.0, end=100.0, resolution=0.01)
    days = fit.residuals["days"].to_numpy()
    np.testing.assert_allclose(days[-3:], [100.0 - 0.02 / 3, 100.0 - 0.01 / 3, 100.0])
    assert np.all(np.diff(days) > 0)


# --------------------------------------------------------------------------------------------
# warnings
# --------------------------------------------------------------------------------------------
def test_explosive_fit_warns() -> None:
    rng = np.random.default_rng(7)
    gaps = rng.exponential(1.0, 200) * np.geomspace(1.0, 0.01, 200)  # accelerating
    simulated = np.concatenate([np.linspace(0, 50, 30), 50 + np.cumsum(gaps)])
    with pytest.warns(NonStationaryWarning, match="not stationary"):
        fit = fit_hawkes_times(simulated)
    assert fit.branching_ratio > 1


def test_short_series_warns_and_regular_series_has_no_excitation() -> None:
    regular = np.arange(30.0)  # perfectly regular: no clustering at all
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = fit_hawkes_times(regular, start=0.0, end=30.0)
    kinds = {w.category for w in caught}
    assert ShortSeriesWarning in kinds
    assert ConvergenceWarning in kinds
    assert fit.branching_ratio < 1e-6
    assert fit.mu == pytest.approx(1.0, rel=1e-3)
    assert fit.summary()["std_err"].isna().any()


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------
def test_unsorted_times_are_sorted() -> None:
    simulated = simulate_hawkes_times(mu=0.5, branching=0.5, decay=2.0, end=200.0, seed=2)
    shuffled = np.random.default_rng(0).permutation(simulated)
    a = fit_hawkes_times(shuffled, start=0.0, end=200.0)
    b = fit_hawkes_times(simulated, start=0.0, end=200.0)
    assert a.log_likelihood == b.log_likelihood
    assert a.branching_ratio == b.branching_ratio


def test_bad_input_errors() -> None:
    simulated = simulate_hawkes_times(mu=0.5, branching=0.5, decay=2.0, end=200.0, seed=2)
    with pytest.raises(FlashpointValueError, match=r"\d+ of \d+ events lie outside"):
        fit_hawkes_times(simulated, start=10.0, end=200.0)
    with pytest.raises(FlashpointValueError, match="outside the observation window"):
        fit_hawkes_times(simulated, start=0.0, end=100.0)
    with pytest.raises(FlashpointValueError, match="at least 10 events"):
        fit_hawkes_times(simulated[:5])
    with pytest.raises(FlashpointValueError, match="NaN or infinite"):
        fit_hawkes_times(np.append(simulated, np.nan))
    with pytest.raises(FlashpointValueError, match="1-D array"):
        fit_hawkes_times(simulated.reshape(-1, 1))
    with pytest.raises(FlashpointTypeError, match="event times must be numbers"):
        fit_hawkes_times(["a"] * 20)
    with pytest.raises(FlashpointTypeError, match="event table"):
        fit_hawkes_times("2023-10-17")  # type: ignore[arg-type]
    with pytest.raises(FlashpointTypeError, match="number of days"):
        fit_hawkes_times(simulated, start="2023-10-17")
    with pytest.raises(FlashpointValueError, match="alpha"):
        fit_hawkes_times(simulated, alpha=1.5)
    with pytest.raises(FlashpointValueError, match="ties must be one of"):
        fit_hawkes_times(simulated, ties="drop")  # type: ignore[arg-type]
    with pytest.raises(FlashpointValueError, match="grid_size"):
        fit_hawkes_times(simulated, grid_size=1)
    with pytest.raises(FlashpointValueError, match="end must be after start"):
        fit_hawkes_times(simulated, start=5.0, end=5.0)
    with pytest.raises(FlashpointValueError, match="observation window is empty"):
        fit_hawkes_times(np.zeros(12), ties="keep")


def test_table_without_timestamps_errors() -> None:
    dates_only = fp.load_attacks()  # real data: dates without times of day
    with pytest.raises(FlashpointValueError, match="no 'timestamp' column with exact event"):
        fit_hawkes_times(dates_only)
    with pytest.raises(FlashpointValueError, match="no 'when' column"):
        fit_hawkes_times(dates_only, time="when")
    simulated = simulate_hawkes_times(mu=2.0, branching=0.5, decay=8.0, end=20.0, seed=12)
    table = simulated_table(simulated).rename(columns={"date": "timestamp"})
    table.loc[table.index[[3, 7]], "timestamp"] = pd.NaT
    with pytest.raises(FlashpointValueError, match=r"2 of \d+ events have no time"):
        fit_hawkes_times(table)
    table["timestamp"] = pd.NaT
    with pytest.raises(FlashpointValueError, match="has no event times"):
        fit_hawkes_times(table)
    aware = simulated_table(simulated)
    aware["timestamp"] = aware["date"].dt.tz_localize("UTC")
    with pytest.raises(FlashpointValueError, match="time-zone-aware"):
        fit_hawkes_times(aware)
    strings = simulated_table(simulated).drop(columns="date")
    strings["timestamp"] = "not a time"
    with pytest.raises(FlashpointValueError, match="could not be parsed"):
        fit_hawkes_times(strings)
    with pytest.raises(FlashpointValueError, match="start must be a date"):
        fit_hawkes_times(simulated_table(simulated), start="soon")


def test_simulator_checks_and_reproducibility() -> None:
    a = simulate_hawkes_times(mu=1.0, branching=0.5, decay=2.0, end=50.0, seed=9)
    b = simulate_hawkes_times(mu=1.0, branching=0.5, decay=2.0, end=50.0, seed=9)
    np.testing.assert_array_equal(a, b)
    assert np.all(np.diff(a) >= 0)
    assert a.min() >= 0
    assert a.max() < 50.0
    with pytest.raises(FlashpointValueError, match="branching must be in"):
        simulate_hawkes_times(mu=1.0, branching=1.0, decay=2.0, end=50.0, seed=9)
    with pytest.raises(FlashpointValueError, match="decay must be a positive"):
        simulate_hawkes_times(mu=1.0, branching=0.5, decay=0.0, end=50.0, seed=9)
    # mean number of events: mu * end / (1 - branching) (edge effects aside)
    sizes = [
        simulate_hawkes_times(mu=1.0, branching=0.5, decay=5.0, end=200.0, seed=s).size
        for s in range(40)
    ]
    assert np.mean(sizes) == pytest.approx(400, rel=0.05)


# --------------------------------------------------------------------------------------------
# figure
# --------------------------------------------------------------------------------------------
def test_plot_structure() -> None:
    simulated = simulate_hawkes_times(mu=2.0, branching=0.5, decay=8.0, end=20.0, seed=12)
    fit = fit_hawkes_times(simulated_table(simulated))
    assert isinstance(fit, HawkesTimesResult)
    fig = fit.plot()
    names = [trace.name for trace in fig.data]
    assert names == [
        "conditional intensity",
        "background rate",
        "events",
        "KS band (lower)",
        "KS band",
        "diagonal (model)",
        "rescaled intervals",
    ]
    assert "Hawkes" in fig.layout.title.text
    assert fig.layout.yaxis.title.text == "Intensity (events per day)"
    assert fig.layout.xaxis.title.text == "Time"
    assert "uniform" in fig.layout.xaxis2.title.text
    intensity = fig.data[0]
    np.testing.assert_array_equal(np.asarray(intensity.y), fit.intensity["intensity"])
    assert len(fig.data[2].x) == fit.n_events
    np.testing.assert_array_equal(np.asarray(fig.data[6].y), fit.ks_curve["observed_uniform"])
    assert "events per day" in intensity.hovertemplate
    day_fit = fit_hawkes_times(simulated, start=0.0, end=20.0)
    assert day_fit.plot().layout.xaxis.title.text == "Time (days since start)"


# --------------------------------------------------------------------------------------------
# agreement with the daily-count model (flashpoint.models.hawkes) on the same events
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_daily_count_model_agrees_with_the_timestamp_model() -> None:
    from flashpoint.models.hawkes import fit_hawkes

    simulated = simulate_hawkes_times(mu=2.0, branching=0.6, decay=0.2, end=3650.0, seed=5)
    times_fit = fit_hawkes_times(simulated, start=0.0, end=3650.0)
    day = ORIGIN + pd.to_timedelta(np.floor(simulated), unit="D")
    counts = fp.count_daily(pd.DataFrame({"date": day}), by=None)
    daily = fit_hawkes(counts, family="poisson", ci_method="wald").summary()
    daily = daily.set_index("term")["estimate"]
    # binning hides same-day offspring, so the daily branching ratio is a little lower
    assert abs(float(daily["branching_ratio"]) - times_fit.branching_ratio) < 0.05
    assert abs(float(daily["branching_ratio"]) - 0.6) < 0.06
    assert float(daily["kernel_mean_lag"]) == pytest.approx(1 / times_fit.decay, rel=0.25)
    assert float(daily["background"]) == pytest.approx(times_fit.mu, rel=0.15)


def test_ks_check_equals_scipy_kstest() -> None:
    from flashpoint.models.hawkes_times import _fit

    rng = np.random.default_rng(4)
    for n in (500, 12_000):  # scipy's exact and asymptotic modes
        steps = rng.exponential(1.0, n) * 1.02
        statistic, pvalue, curve = _fit._ks_check(steps, 0.05)
        ref = stats.kstest(steps, "expon")
        assert statistic == pytest.approx(ref.statistic, rel=1e-12)
        assert pvalue == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)
        assert curve["observed_interval"].is_monotonic_increasing


def test_subsample_start_reaches_the_same_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    """Newton from a fit to the first events (the path taken above 20,000 events)."""
    from flashpoint.models.hawkes_times import _optimise

    simulated = simulate_hawkes_times(mu=2.0, branching=0.5, decay=3.0, end=1500.0, seed=9)
    direct = fit_hawkes_times(simulated, start=0.0, end=1500.0)
    monkeypatch.setattr(_optimise, "SUBSAMPLE", 400)
    staged = fit_hawkes_times(simulated, start=0.0, end=1500.0)
    assert staged.converged
    assert staged.log_likelihood == pytest.approx(direct.log_likelihood, rel=1e-12)
    for name in ("mu", "branching_ratio", "decay"):
        assert getattr(staged, name) == pytest.approx(getattr(direct, name), rel=1e-6)
