"""assess_event: every reading of one event's effect, Holm adjustment and the verdict."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import flashpoint as fp
from flashpoint.errors import ModelSpecError


def _simulated(
    rng: np.random.Generator, ratio: float, groups: tuple[str, ...] = ("A",)
) -> pd.DataFrame:
    """Seeded simulated NB counts (not real data): a step of ``ratio`` on day 90 of 180."""
    dates = pd.date_range("2024-01-01", periods=180)
    frames = []
    for g in groups:
        mu = np.where(np.arange(180) >= 90, 4.0 * ratio, 4.0)
        y = rng.negative_binomial(10, 10 / (10 + mu))
        frames.append(pd.DataFrame({"date": dates, "region": g, "count": y}))
    return pd.concat(frames, ignore_index=True)


STEP = fp.EventSpec(date="2024-03-31", label="strike")


@pytest.fixture(scope="module")
def strong() -> fp.AssessmentResult:
    rng = np.random.default_rng(11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fp.assess_event(_simulated(rng, 2.5, ("A", "B", "C")), STEP)


def test_strong_effect_reads_strong_everywhere(strong: fp.AssessmentResult) -> None:
    v = strong.verdicts
    assert list(v["region"]) == ["A", "B", "C"]
    assert (v["direction"] == "higher").all()
    assert (v["strength"] == "strong").all()
    assert v["agree"].all()
    # every estimating reading is near the true 2.5
    est = strong.summary().dropna(subset=["rate_ratio"])
    assert est["rate_ratio"].between(1.6, 3.6).all()
    assert "evidence of a change: strong" in strong.verdict.lower()


def test_readings_table_has_every_reading(strong: fp.AssessmentResult) -> None:
    table = strong.summary()
    readings = set(table["reading"])
    assert {
        "default: negbin, linear trend",
        "no trend",
        "spline trend",
        "HAC (Newey-West) errors",
        "in-time placebo",
        "across-group placebo",
    } <= readings
    assert set(table["kind"]) <= set(fp.models.assess.READING_KINDS)
    assert len(table) == 3 * len(readings)
    placebo = table[table["kind"] == "placebo"]
    assert placebo["rate_ratio"].isna().all()
    assert (placebo["min_p_value"] > 0).all()
    # across three groups a rank p-value is at least 1/3
    across = table[table["reading"] == "across-group placebo"]
    assert np.allclose(across["min_p_value"], 1 / 3)


def test_holm_adjustment_matches_statsmodels(strong: fp.AssessmentResult) -> None:
    from statsmodels.stats.multitest import multipletests

    table = strong.summary()
    rows = table[table["reading"] == "no trend"]
    expected = multipletests(rows["p_value"].to_numpy(), method="holm")[1]
    np.testing.assert_allclose(rows["p_holm"].to_numpy(), expected, rtol=1e-12)
    assert (table["p_holm"].dropna() >= table["p_value"].dropna() - 1e-15).all()


def test_null_effect_is_not_called_strong() -> None:
    rng = np.random.default_rng(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fp.assess_event(_simulated(rng, 1.0, ("A", "B")), STEP)
    assert set(res.verdicts["strength"]) <= {"none", "weak"}
    # across two groups the rank p-value can only be 0.5 or 1: the verdict says so
    across = res.summary()[res.summary()["reading"] == "across-group placebo"]
    assert np.allclose(across["min_p_value"], 0.5)
    assert set(across["p_value"]) <= {0.5, 1.0}


def test_two_group_placebo_cannot_make_evidence() -> None:
    rng = np.random.default_rng(8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fp.assess_event(_simulated(rng, 2.5, ("A", "B")), STEP, placebo=True)
    across = res.summary()[res.summary()["reading"] == "across-group placebo"]
    assert (across["p_holm"] > 0.05).all()


def test_source_readings_and_sentence_parts() -> None:
    rng = np.random.default_rng(3)
    counts = _simulated(rng, 2.0, ("A",))
    other = counts.assign(count=(counts["count"] * 0.5).round().astype("int64"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fp.assess_event(
            counts, STEP, sources={"confirmed only": other}, placebo=False, noun="protest"
        )
    assert "confirmed only" in set(res.summary()["reading"])
    sentence = res.verdict
    assert sentence.startswith("A, strike: the protest rate was higher")
    assert "Based on 90 days before the event and 90 from it on" in sentence


def test_unknown_target_is_a_clear_error() -> None:
    rng = np.random.default_rng(1)
    with pytest.raises(ModelSpecError, match=r"unknown target\(s\) \['nope'\]"):
        fp.assess_event(_simulated(rng, 1.0), STEP, targets=["nope"])


def test_plot_is_a_forest_of_every_reading(strong: fp.AssessmentResult) -> None:
    fig = strong.plot()
    names = [t.name for t in fig.data]
    assert names[:4] == [
        "default model",
        "other trend",
        "robust (HAC) errors",
        "placebo test (p-value only)",
    ]
    assert fig.layout.xaxis.type == "log"
    n_rows = len(strong.summary())
    assert len(fig.data[-1].y[0]) == n_rows  # the p-value column has a row per reading
    assert "strike" in fig.layout.title.text


def test_bundled_verdict_numbers() -> None:
    """The KH-strike readings for Iraq on the bundled data (closing note of issue 11)."""
    attacks = fp.load_attacks()
    counts = fp.count_daily(attacks, by="country", start="2023-10-17", end="2024-02-04")
    counts = counts[counts["country"] != "Jordan"]
    kh = fp.EventSpec(date="2023-11-22", label="KH strike")
    truce = fp.EventSpec(date="2023-11-24", end="2023-12-01", shape="pulse", label="Gaza truce")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fp.assess_event(counts, [kh, truce], tallies=fp.load_tallies(), placebo=False)
    t = res.summary().set_index(["country", "event", "reading"]).sort_index()
    iraq = t.loc[("Iraq", "KH strike")]
    assert iraq.loc["default: negbin, linear trend", "rate_ratio"] == pytest.approx(2.55, abs=0.01)
    assert iraq.loc["no trend", "rate_ratio"] == pytest.approx(0.87, abs=0.01)
    assert iraq.loc["spline trend", "rate_ratio"] == pytest.approx(8.34, abs=0.05)
    assert iraq.loc["official tallies (quasi-Poisson)", "rate_ratio"] == pytest.approx(
        0.87, abs=0.01
    )
    v = res.verdicts.set_index(["country", "event"])
    assert v.loc[("Iraq", "KH strike"), "agree"] == False  # noqa: E712 - numpy bool
    assert v.loc[("Iraq", "KH strike"), "strength"] in {"weak", "none"}
    assert "of the official tallies in the window" in v.loc[("Iraq", "KH strike"), "sentence"]


def test_control_groups_add_a_synthetic_control_reading() -> None:
    """Untreated groups: not assessed, they build the synthetic control and join the placebo."""
    rng = np.random.default_rng(21)
    dates = pd.date_range("2024-01-01", periods=200)
    shared = 3 + np.sin(np.arange(200) / 15)  # a regional pattern every group follows
    frames = []
    for g in "ABCDEFGH":
        mu = (
            shared
            * rng.uniform(0.7, 1.3)
            * (np.where(np.arange(200) >= 120, 1.8, 1.0) if g == "A" else 1.0)
        )
        frames.append(pd.DataFrame({"date": dates, "region": g, "count": rng.poisson(mu)}))
    counts = pd.concat(frames, ignore_index=True)
    event = fp.EventSpec(date="2024-04-30", label="strike")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fp.assess_event(counts, event, controls=list("CDEFGH"))
    assert list(res.verdicts["region"]) == ["A", "B"]
    synth = res.summary().set_index(["region", "reading"]).sort_index()
    a = synth.loc[("A", "synthetic control (6 donors)")]
    assert a["kind"] == "controls"
    assert a["rate_ratio"] == pytest.approx(2.02, abs=0.01)  # true 1.8
    assert a["min_p_value"] == pytest.approx(1 / 7)
    across = synth.loc[("A", "across-group placebo")]
    assert across["min_p_value"] == pytest.approx(1 / 8)  # ranked among all 8 groups
    assert "synthetic control (6 donors) p = 0.286 (it cannot go below 0.14" in res.verdict
    predictors = synth.loc[("A", "control series as predictors (6)")]
    assert predictors["kind"] == "controls"
    assert predictors["rate_ratio_lower"] < 1.8 < predictors["rate_ratio_upper"]  # true 1.8
    with pytest.raises(ModelSpecError, match=r"control group\(s\) \['Z'\]"):
        fp.assess_event(counts, event, controls=["Z"])


def test_a_reading_with_a_poor_pre_event_fit_is_shown_but_left_out_of_the_range():
    # simulated: the treated unit is larger than every donor and nothing happens at the event
    rng = np.random.default_rng(0)
    dates = pd.date_range("2024-01-01", periods=120)
    units = [("treated", 20.0)] + [(f"d{k}", 5.0 + k) for k in range(6)]
    simulated = pd.concat(
        [
            pd.DataFrame({"date": dates, "unit": u, "count": rng.poisson(lam, 120)})
            for u, lam in units
        ],
        ignore_index=True,
    )
    res = fp.assess_event(
        simulated, fp.EventSpec(date="2024-03-01", label="event"),
        controls=[f"d{k}" for k in range(6)],
    )  # fmt: skip
    synth = res.readings[res.readings["reading"].str.startswith("synthetic control")].iloc[0]
    assert synth["note"].startswith("poor pre-event fit")
    assert synth["rate_ratio"] > 2  # the level gap, not an effect
    verdict = res.verdicts.iloc[0]
    assert verdict["rate_ratio_max"] < 1.5
    aside = verdict["sentence"].split("left out for a poor fit before the event: ")[1]
    assert "synthetic control (6 donors)" in aside.split(")")[1] + ")"


def test_holm_adjust_matches_statsmodels_with_ties():
    from statsmodels.stats.multitest import multipletests

    from flashpoint.models.assess import holm_adjust

    rng = np.random.default_rng(1979)
    for m in (1, 2, 5, 40):
        p = rng.uniform(0, 0.2, m) ** 2
        p[: m // 3] = p[0]  # ties
        np.testing.assert_allclose(holm_adjust(p), multipletests(p, method="holm")[1])
