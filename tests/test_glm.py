"""Edges of the count regressions shared by every model (models/_glm.py, _separation.py)."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import optimize, stats

from flashpoint.errors import NotEstimableWarning
from flashpoint.models._glm import cumulative_band, fit_counts, mean_band, predictive_band
from flashpoint.models._separation import zero_mean_rows


def simulated_overdispersed_with_empty_window(
    rng: np.random.Generator, n: int = 300, start: int = 150, length: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded simulated NB2 counts (mean 3, alpha 1, Pearson dispersion about 4) and a
    design (intercept, trend, pulse) whose pulse window holds no event (not real data)."""
    y = rng.negative_binomial(1.0, 1.0 / (1.0 + 3.0), size=n)
    pulse = ((np.arange(n) >= start) & (np.arange(n) < start + length)).astype(float)
    y[pulse == 1] = 0
    X = np.column_stack([np.ones(n), np.arange(n) / 7.0, pulse])
    return y, X


def statsmodels_quasi_profile(y: np.ndarray, X: np.ndarray, j: int) -> tuple[float, float]:
    """Reference: quasi-Poisson profile bound and p-value computed with statsmodels GLM.

    The scale is statsmodels' Pearson chi2 / df of the fit without the window's rows; the
    statistic is the profile deviance difference divided by it: (D(t) - D_min) / phi.
    """
    keep = X[:, j] == 0
    others = [c for c in range(X.shape[1]) if c != j]
    reduced = sm.GLM(y[keep], X[keep][:, others], family=sm.families.Poisson()).fit(scale="X2")
    phi, d_min = reduced.scale, reduced.deviance

    def scaled(t: float) -> float:
        fit = sm.GLM(y, X[:, others], family=sm.families.Poisson(), offset=t * X[:, j]).fit()
        return (fit.deviance - d_min) / phi

    crit = stats.chi2.ppf(0.95, 1)
    upper = optimize.brentq(lambda t: scaled(t) - crit, -20.0, 5.0, xtol=1e-8)
    return upper, float(stats.chi2.sf(scaled(0.0), 1))


def test_quasipoisson_empty_window_bound_is_scaled_like_statsmodels(
    rng: np.random.Generator,
) -> None:
    y, X = simulated_overdispersed_with_empty_window(rng)
    fit = fit_counts(y, X, names=["const", "trend", "pulse"], family="quasipoisson", separable=[2])
    upper, p = fit.separated[2]
    ref_upper, ref_p = statsmodels_quasi_profile(y, X, 2)
    assert fit.scale > 2.5  # the data are overdispersed
    assert upper == pytest.approx(ref_upper, abs=2e-4)
    assert p == pytest.approx(ref_p, rel=1e-3)
    # not degenerate: before the fix the quasi-Poisson interval was [0, 0] with p = 0
    assert 0.05 < np.exp(upper) < 1.0
    assert 1e-6 < p < 0.5
    poisson = fit_counts(y, X, names=["c", "t", "p"], family="poisson", separable=[2])
    assert poisson.separated[2][0] < upper  # unscaled: narrower


def test_negbin_empty_window_bound_holds_the_dispersion() -> None:
    y, X = simulated_overdispersed_with_empty_window(np.random.default_rng(5))
    fit = fit_counts(y, X, names=["const", "trend", "pulse"], family="negbin", separable=[2])
    upper, p = fit.separated[2]
    keep = X[:, 2] == 0
    nb = sm.families.NegativeBinomial(alpha=fit.nb_alpha)
    llf_max = sm.GLM(y[keep], X[keep][:, :2], family=nb).fit().llf

    def lr(t: float) -> float:
        return 2 * (llf_max - sm.GLM(y, X[:, :2], family=nb, offset=t * X[:, 2]).fit().llf)

    assert lr(upper) == pytest.approx(stats.chi2.ppf(0.95, 1), abs=1e-3)
    assert p == pytest.approx(stats.chi2.sf(lr(0.0), 1), rel=1e-3)


def test_zero_mean_rows_finds_diverging_directions() -> None:
    n = 40
    t = np.arange(n, dtype=float)
    step = (t >= 20).astype(float)
    X = np.column_stack([np.ones(n), t / 7, step])
    y = np.where(t >= 20, 2, 0)
    assert zero_mean_rows(y, X).tolist() == (t < 20).tolist()  # nothing before the step
    y[3] = 1
    assert not zero_mean_rows(y, X).any()  # one event before: the estimate exists
    pulse = ((t >= 10) & (t < 15)).astype(float)
    y2 = np.where(pulse == 1, 3, 0)  # events only inside a window: the rest goes to zero
    assert zero_mean_rows(y2, np.column_stack([np.ones(n), pulse])).sum() == n - 5


@pytest.mark.parametrize("family", ["negbin", "poisson", "quasipoisson"])
def test_step_without_events_before_is_nan_not_1e10(family: str) -> None:
    rng = np.random.default_rng(3)
    n = 120
    step = (np.arange(n) >= 40).astype(float)
    y = np.where(step == 1, rng.poisson(3.0, n), 0)
    X = np.column_stack([np.ones(n), np.arange(n) / 7.0, step])
    with pytest.warns(NotEstimableWarning, match=r"'const', 'step' cannot be estimated"):
        fit = fit_counts(y, X, names=["const", "trend", "step"], family=family, separable=[2])
    assert fit.not_estimable == (0, 2)
    assert np.isnan(fit.params[[0, 2]]).all()
    assert np.isfinite(fit.params[1])
    mean, _lo, _hi = mean_band(fit, X, None, 0.05)
    np.testing.assert_allclose(mean[:40], 0.0)
    assert mean[40:].mean() == pytest.approx(y[40:].mean(), rel=0.05)
    cf = mean_band(fit, X * [1, 1, 0], None, 0.05, counterfactual=True)[0]
    assert np.isnan(cf).all()
    assert np.isnan(predictive_band(fit, X, None, 0.05)[0]).all()


def test_gaussian_bands_are_the_normal_ones() -> None:
    """Gaussian family: bands of one day and of the running sum against their closed forms."""
    rng = np.random.default_rng(11)
    n = 80
    X = np.column_stack([np.ones(n), np.arange(n) / 7.0])
    y = X @ np.array([2.0, -0.3]) + rng.normal(0, 1.5, n)
    fit = fit_counts(y, X, names=["const", "trend"], family="gaussian")
    direct = sm.OLS(y, X).fit()
    np.testing.assert_allclose(fit.params, direct.params)
    np.testing.assert_allclose(fit.std_err, direct.bse)
    mean, lower, _upper = mean_band(fit, X, None, 0.05)
    se = np.sqrt(np.einsum("ij,jk,ik->i", X, direct.cov_params(), X))
    np.testing.assert_allclose(lower, mean - 1.959964 * se, rtol=1e-6)
    pred_lower, _pred_upper = predictive_band(fit, X, None, 0.05)
    np.testing.assert_allclose(pred_lower, mean - 1.959964 * np.sqrt(se**2 + direct.scale))
    cum_lower, cum_upper = cumulative_band(
        fit, X, None, alpha=0.05, n_sim=40_000, seed=0, predictive=True
    )
    a = X.sum(axis=0)
    sd = np.sqrt(a @ direct.cov_params() @ a + n * direct.scale)
    np.testing.assert_allclose(
        [cum_lower[-1], cum_upper[-1]],
        mean.sum() + np.array([-1, 1]) * 1.959964 * sd,
        atol=0.02 * sd,
    )
