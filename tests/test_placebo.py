"""Placebo inference: the refits equal single fits, the size holds, p-values say their floor."""

from __future__ import annotations

import sys
import types
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import flashpoint as fp
from flashpoint.errors import (
    FewPlacebosWarning,
    FlashpointValueError,
    ModelSpecError,
    ShortSeriesWarning,
)
from flashpoint.models import _irls, _moving
from flashpoint.models._batch import fit_batch
from flashpoint.models._irls import fit_moving_column
from flashpoint.models._moving import fit_moving_window
from flashpoint.models.placebo._result import rank_p_value


def simulated(rng: np.random.Generator, *, n: int = 240, effect: float = 1.0) -> pd.DataFrame:
    mu = 3.0 * np.where(np.arange(n) >= 150, effect, 1.0)
    return pd.DataFrame({"date": pd.date_range("2022-01-01", periods=n), "count": rng.poisson(mu)})


def simulated_nb(
    rng: np.random.Generator, n: int, alpha: float = 0.5, level: float = 3.0
) -> np.ndarray:
    mu = level * np.exp(np.linspace(0.0, 0.5, n))
    return rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu)).astype(float)


def step_columns(n: int, starts: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    rows = np.arange(n)
    return lambda idx: (rows[None, :] >= starts[idx][:, None]).astype(float)


@pytest.mark.parametrize(
    ("family", "alpha", "scale"), [("negbin", 0.5, None), ("poisson", 0.0, None), ("qp", 0.0, "X2")]
)
def test_batched_fits_equal_statsmodels(
    rng: np.random.Generator, family: str, alpha: float, scale: str | None
) -> None:
    n = 200
    y = simulated_nb(rng, n)
    offset = np.log(rng.uniform(0.5, 2.0, n))
    base = np.column_stack([np.ones(n), np.arange(n) / 7])
    starts = np.array([20, 90, 91, 170])
    fits = fit_moving_column(
        y,
        base,
        step_columns(n, starts),
        len(starts),
        start=np.zeros(3),
        offset=offset,
        nb_alpha=alpha,
        pearson=scale is not None,
    )
    fam = sm.families.NegativeBinomial(alpha=alpha) if alpha else sm.families.Poisson()
    for j, s in enumerate(starts):
        X = np.column_stack([base, np.arange(n) >= s])
        ref = sm.GLM(y, X, family=fam, offset=offset).fit(scale=scale, tol=1e-12)
        np.testing.assert_allclose(fits.estimate[j], ref.params[-1], rtol=1e-7)
        np.testing.assert_allclose(fits.std_err[j], ref.bse[-1], rtol=1e-6)


def test_anchored_expansion_equals_exact_fits(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steps and 9-day pulses at every date: expansion from anchors vs exact fits."""
    monkeypatch.setattr(_moving, "EXACT_UP_TO", 0)  # use the expansion even on a small problem
    n = 600
    y = simulated_nb(rng, n, alpha=0.1, level=20.0)  # many events: small steps between fits
    pulse = (np.arange(n) >= 300) & (np.arange(n) < 305)
    base = np.column_stack([np.ones(n), np.arange(n) / 7, pulse])
    starts = np.arange(14, n - 20)
    rows = np.arange(n)
    for stops in (np.full(len(starts), n), starts + 9):

        def dense(idx: np.ndarray, stops: np.ndarray = stops) -> np.ndarray:
            return ((rows >= starts[idx, None]) & (rows < stops[idx, None])).astype(float)

        kw = {"start": np.zeros(4), "nb_alpha": 0.1}
        fast = fit_moving_window(y, base, starts, stops, spacing=8, **kw)
        exact = fit_moving_column(y, base, dense, len(starts), tol=1e-14, **kw)
        assert fast.n_expanded >= 100  # solved by the expansion (the others: exactly)
        np.testing.assert_array_equal(fast.status, exact.status)
        ok = np.isfinite(exact.estimate)
        # the expansion's error is O(u_tol^3): below 1e-6 on the log rate ratio
        np.testing.assert_allclose(fast.estimate[ok], exact.estimate[ok], rtol=0, atol=1e-6)
        np.testing.assert_allclose(fast.std_err[ok], exact.std_err[ok], rtol=5e-5)


def test_memory_stays_linear_in_n(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No block holds more than the budget of fits x rows; blocks do not change results."""
    n = 300
    y = simulated_nb(rng, n)
    base = np.column_stack([np.ones(n), np.arange(n) / 7])
    starts = np.arange(14, n - 7)
    columns = step_columns(n, starts)
    requested: list[int] = []

    def spy(idx: np.ndarray) -> np.ndarray:
        requested.append(len(idx) * n)
        return columns(idx)

    kw = {"start": np.zeros(3), "nb_alpha": 0.5}
    whole = fit_moving_column(y, base, columns, len(starts), **kw)
    budget = 5 * n
    monkeypatch.setattr(_irls, "BLOCK_ELEMENTS", budget)
    small = fit_moving_column(y, base, spy, len(starts), **kw)
    assert max(requested) <= budget
    np.testing.assert_allclose(small.estimate, whole.estimate, rtol=0, atol=1e-7)


def test_window_fits_equal_statsmodels(rng: np.random.Generator) -> None:
    """Every window fit is the NB GLM on its rows: intercept, trend in window time, step."""
    data = simulated(rng, effect=2.0)
    data["count"] = simulated_nb(rng, len(data))  # overdispersed: NB alpha > 0
    with pytest.warns(FewPlacebosWarning):
        res = fp.placebo_test(data, "2022-05-31", window=20, dates=["2022-03-01"])
    nb_alpha = fp.fit_its(data, "2022-05-31", n_sim=2).fits[None].nb_alpha
    fam = sm.families.NegativeBinomial(alpha=nb_alpha)
    for date, est in [("2022-05-31", res.table["estimate"][0]), ("2022-03-01", None)]:
        row = int((pd.Timestamp(date) - data["date"][0]).days)
        y = data["count"].to_numpy()[row - 20 : row + 20]
        X = np.column_stack([np.ones(40), np.arange(40) / 7, np.arange(40) >= 20])
        ref = sm.GLM(y, X, family=fam).fit(tol=1e-12)
        got = est if est is not None else res.placebos["estimate"][0]
        np.testing.assert_allclose(got, ref.params[-1], rtol=1e-6)
    assert res.summary()[["window_pre", "window_post"]].iloc[0].tolist() == [20, 20]


def test_whole_series_placebos_equal_single_refits(rng: np.random.Generator) -> None:
    data = simulated(rng)
    dates = ["2022-02-15", "2022-03-20", "2022-07-01"]
    with pytest.warns(FewPlacebosWarning):
        res = fp.placebo_test(data, "2022-05-31", dates=dates, window=None, family="poisson")
    for d, est in zip(dates, res.placebos["estimate"], strict=True):
        single = fp.fit_its(data, d, family="poisson", n_sim=2).summary()["estimate"].iloc[0]
        np.testing.assert_allclose(est, single, rtol=1e-6)
    its = fp.fit_its(data, "2022-05-31", family="poisson", n_sim=2).summary().iloc[0]
    row = res.summary().iloc[0]
    for ours, theirs in [
        ("estimate", "estimate"),
        ("std_err", "std_err"),
        ("observed", "statistic"),
    ]:
        np.testing.assert_allclose(float(row[ours]), float(its[theirs]), rtol=1e-6)


def test_size_holds_near_the_series_end() -> None:
    """Null series, event 13 days before the end: windows of z hold the size.

    A seeded small version of ``benchmarks/bench_placebo.py`` section 1 ("near end"):
    Poisson counts without an effect, a level-and-step model, every fit by the solver
    ``placebo_test`` uses and the p-value by its ``rank_p_value``. The windows are the
    default design (28 days before the date, here the 13 left after it). Ranking
    whole-series log rate ratios, the previous default, rejects about four times too often.
    """
    rng = np.random.default_rng(11)
    n_series, n, real, pre, post = 300, 240, 227, 28, 13
    y = rng.poisson(3.0, (n_series, n)).astype(float)
    starts = np.arange(pre, n - post + 1)
    windows = np.lib.stride_tricks.sliding_window_view(y, pre + post, axis=1)[:, starts - pre]
    X = np.column_stack([np.ones(pre + post), np.arange(pre + post) >= pre])
    m = n_series * len(starts)
    est, se, _ok = fit_batch(
        windows.reshape(m, pre + post),
        np.broadcast_to(X, (m, *X.shape)),
        offset=None,
        start=np.zeros((m, 2)),
    )
    z = (est[:, 1] / se[:, 1]).reshape(n_series, len(starts))
    real_window = starts == real
    p = np.array([rank_p_value(r[real_window][0], r[~real_window], "two-sided") for r in z])
    for level in (0.05, 0.10):  # within 3 Monte Carlo standard errors
        assert abs(np.mean(p <= level) - level) <= 3 * np.sqrt(level * (1 - level) / n_series)
    # whole series, previous default (60 of the series): every step date 14..233
    days = np.arange(14, n - 7 + 1)
    X_whole = np.stack([np.ones((len(days), n)), np.arange(n) >= days[:, None]], axis=2)
    p_whole = []
    for series in y[:60]:
        est, _se, _ok = fit_batch(
            np.broadcast_to(series, (len(days), n)),
            X_whole,
            offset=None,
            start=np.zeros((len(days), 2)),
        )
        at = days == real
        p_whole.append(rank_p_value(est[at, 1][0], est[~at, 1], "two-sided"))
    assert np.mean(np.array(p_whole) <= 0.10) > 0.25


def test_strong_effect_is_extreme_null_is_not(rng: np.random.Generator) -> None:
    strong = fp.placebo_test(simulated(rng, effect=3.0), "2022-05-31", alternative="greater")
    assert strong.summary()["p_value"].iloc[0] < 0.05
    null = fp.placebo_test(simulated(rng, effect=1.0), "2022-05-31")
    row = null.summary().iloc[0]
    assert row["p_value"] > 0.05
    # every window of 28 + 28 days inside 240 days, but the real one
    assert row["n_placebo"] == 240 - 56
    assert row["min_p_value"] == pytest.approx(1 / (240 - 56 + 1))


def test_few_placebos_cannot_reject_and_say_so(rng: np.random.Generator) -> None:
    data = simulated(rng, effect=4.0)
    with pytest.warns(FewPlacebosWarning, match=r"smallest attainable p-value is 0\.25"):
        res = fp.placebo_test(data, "2022-05-31", dates=["2022-03-01", "2022-03-20", "2022-08-01"])
    row = res.summary().iloc[0]
    assert row["p_value"] == pytest.approx(0.25)  # the observed is the most extreme of 4
    assert res.min_p_value == pytest.approx(0.25)
    assert not row["can_reject"]
    assert not row["reject"]
    assert "smallest attainable p 0.25" in repr(res)


def test_across_two_groups_p_is_half_or_one() -> None:
    counts = fp.count_daily(fp.load_attacks(), by="country", start="2023-10-17", end="2024-02-04")
    counts = counts[counts["country"] != "Jordan"]
    event = fp.EventSpec(date="2023-11-22", label="KH strike", group="Iraq")
    with pytest.warns(FewPlacebosWarning, match="cannot reject"):
        res = fp.placebo_test(counts, event, kind="across_group")
    s = res.summary().set_index("country")
    assert sorted(s.index) == ["Iraq", "Syria"]
    assert (s["n_placebo"] == 1).all()
    # |z| of Syria (1.55) exceeds Iraq's (0.52): ranks 1 and 2 of 2
    assert s.loc["Syria", "p_value"] == 0.5
    assert s.loc["Iraq", "p_value"] == 1.0
    assert (s["min_p_value"] == 0.5).all()
    assert not s["can_reject"].any()
    assert s.loc["Syria", "observed"] == pytest.approx(-1.548, abs=1e-3)


def test_bundled_kh_strike_in_time() -> None:
    counts = fp.count_daily(fp.load_attacks(), by="country", start="2023-10-17", end="2024-02-04")
    counts = counts[counts["country"] != "Jordan"]
    events = [
        fp.EventSpec(date="2023-11-22", label="KH strike"),
        fp.EventSpec(date="2023-11-24", end="2023-12-01", shape="pulse", label="truce"),
    ]
    # 110 days hold under two windows of 56: the size of the test is rough, and it says so
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewPlacebosWarning)
        with pytest.warns(ShortSeriesWarning, match="windows of 56 side by side"):
            res = fp.placebo_test(counts, events, target="KH strike")
    s = res.summary().set_index("country")
    # windows of 28 + 28 days in 110 days; Iraq's truce days (no attack) are left out
    assert s["n_placebo"].to_dict() == {"Iraq": 47, "Syria": 55}
    assert s.loc["Iraq", "p_value"] == pytest.approx(7 / 48)
    assert s.loc["Syria", "p_value"] == pytest.approx(38 / 56)
    fig = res.plot()
    assert fig.layout.title.text.startswith("Placebo test: KH strike<br>")
    assert "up to 28 periods" in fig.layout.title.text
    assert "smallest attainable 0.021" in fig.layout.annotations[0].text
    assert [t.type for t in fig.data] == ["histogram", "histogram"]


def test_progress_bar_uses_tqdm_when_installed(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, int] = {}

    class FakeBar:
        def __init__(self, total: int, **_: object) -> None:
            self.total, self.n = total, 0

        def update(self, k: int) -> None:
            self.n += k
            seen["done"], seen["total"] = self.n, self.total

        def refresh(self) -> None:
            return None

        def close(self) -> None:
            seen["closed"] = 1

        def __enter__(self) -> FakeBar:
            return self

        def __exit__(self, *exc: object) -> None:
            self.close()

    monkeypatch.setitem(sys.modules, "tqdm.auto", types.SimpleNamespace(tqdm=FakeBar))
    res = fp.placebo_test(simulated(rng), "2022-05-31", progress=True)
    assert seen == {"done": seen["total"], "total": res.table["n_placebo"][0] + 1, "closed": 1}


@pytest.mark.filterwarnings("ignore::flashpoint.errors.FewPreEventDaysWarning")
def test_bad_input(rng: np.random.Generator) -> None:
    data = simulated(rng)
    with pytest.raises(ModelSpecError, match="no event labelled 'x'"):
        fp.placebo_test(data, "2022-05-31", target="x")
    with pytest.raises(ModelSpecError, match="at least two groups"):
        fp.placebo_test(data, "2022-05-31", kind="across_group")
    with pytest.raises(FlashpointValueError, match="statistic must be one of"):
        fp.placebo_test(data, "2022-05-31", statistic="t")
    with pytest.raises(FlashpointValueError, match="shorter than min_pre=14"):
        fp.placebo_test(data, "2022-01-08")
    with pytest.raises(FlashpointValueError, match="must lie inside the data"):
        fp.placebo_test(data, "2022-05-31", dates=["2022-01-05"])
