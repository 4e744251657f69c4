"""Counting conserves events, zero-fills the calendar and reshapes without losing totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import flashpoint as fp
from flashpoint.errors import FlashpointValueError, SchemaValidationError

GROUPS = ["Iraq", "Syria", "Jordan", "A", "B"]


@st.composite
def event_tables(draw: st.DrawFn) -> pd.DataFrame:
    """Event tables built from drawn parts (dates, groups), possibly with repeats."""
    n = draw(st.integers(1, 60))
    offsets = draw(st.lists(st.integers(0, 400), min_size=n, max_size=n))
    groups = draw(st.lists(st.sampled_from(GROUPS), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2023-10-17") + pd.to_timedelta(offsets, unit="D"),
            "country": groups,
        }
    )


@given(event_tables())
def test_counts_conserve_events(events: pd.DataFrame) -> None:
    counts = fp.count_daily(events)
    assert int(counts["count"].sum()) == len(events)
    per_group = counts.groupby("country")["count"].sum()
    assert per_group.to_dict() == events["country"].value_counts().to_dict()


@given(event_tables())
def test_counts_are_zero_filled_and_pass_the_schema(events: pd.DataFrame) -> None:
    counts = fp.count_daily(events)
    n_days = (events["date"].max() - events["date"].min()).days + 1
    n_groups = events["country"].nunique()
    assert len(counts) == n_days * n_groups
    assert not counts["count"].isna().any()
    fp.validate_counts(counts)  # complete calendar, unique (date, group), count >= 0


@given(event_tables(), st.sampled_from(["W", "M", "Q", "Y", "W-WED", "MS"]))
def test_resampling_keeps_totals(events: pd.DataFrame, freq: str) -> None:
    counts = fp.count_daily(events)
    res = fp.resample(counts, freq=freq)
    assert int(res["count"].sum()) == len(events)
    assert int(res["days"].sum()) == len(counts)
    totals = res.groupby("country")["count"].sum().to_dict()
    assert totals == counts.groupby("country")["count"].sum().to_dict()


@given(event_tables())
def test_cumulative_ends_at_the_group_totals(events: pd.DataFrame) -> None:
    cum = fp.cumulative(fp.count_daily(events))
    last = cum.sort_values("date").groupby("country")["cumulative"].last()
    assert last.to_dict() == events["country"].value_counts().to_dict()


@given(event_tables())
def test_wide_table_has_the_same_counts(events: pd.DataFrame) -> None:
    counts = fp.count_daily(events)
    wide = fp.to_wide(counts)
    assert int(wide.to_numpy().sum()) == len(events)
    assert list(wide.columns) == sorted(events["country"].unique())


def test_count_daily_matches_plain_pandas(simulated_events: pd.DataFrame) -> None:
    counts = fp.count_daily(simulated_events)
    plain = (
        simulated_events.groupby(["country", "date"])
        .size()
        .unstack("country", fill_value=0)
        .reindex(pd.date_range("2024-01-01", "2024-02-29"), fill_value=0)
    )
    wide = fp.to_wide(counts)
    np.testing.assert_array_equal(wide.to_numpy(), plain.to_numpy())


def test_count_daily_doc_example_layout() -> None:
    ev = pd.DataFrame({"date": ["2023-11-20", "2023-11-22"], "country": ["Iraq", "Syria"]})
    c = fp.count_daily(ev)
    assert list(c.columns) == ["date", "country", "count"]
    assert c["count"].dtype == np.int64
    assert c["country"].tolist() == ["Iraq"] * 3 + ["Syria"] * 3


def test_count_daily_window_and_groups() -> None:
    ev = pd.DataFrame({"date": ["2023-11-20", "2023-11-22"], "country": ["Iraq", "Iraq"]})
    c = fp.count_daily(ev, start="2023-11-18", end="2023-11-30", groups=["Iraq", "Syria"])
    assert len(c) == 13 * 2
    assert c.loc[c["country"] == "Syria", "count"].sum() == 0
    assert c["date"].min() == pd.Timestamp("2023-11-18")


def test_count_daily_window_excludes_events_outside() -> None:
    ev = pd.DataFrame({"date": ["2023-11-20", "2023-12-22"], "country": ["Iraq", "Iraq"]})
    c = fp.count_daily(ev, end="2023-11-30")
    assert c["count"].sum() == 1
    assert c["date"].max() == pd.Timestamp("2023-11-30")


def test_count_daily_unlisted_group_is_an_error() -> None:
    ev = pd.DataFrame({"date": ["2023-11-20", "2023-11-22"], "country": ["Iraq", "Jordan"]})
    with pytest.raises(FlashpointValueError, match=r"groups not listed in groups=: \['Jordan'\]"):
        fp.count_daily(ev, groups=["Iraq"])


def test_count_daily_categorical_keeps_empty_categories() -> None:
    ev = pd.DataFrame(
        {
            "date": pd.to_datetime(["2023-11-20", "2023-11-21"]),
            "country": pd.Categorical(["Iraq", "Iraq"], categories=["Iraq", "Syria"]),
        }
    )
    c = fp.count_daily(ev)
    assert c.groupby("country", observed=False)["count"].sum().to_dict() == {"Iraq": 2, "Syria": 0}


def test_count_daily_single_series() -> None:
    ev = pd.DataFrame({"date": ["2023-11-20", "2023-11-22", "2023-11-22"]})
    c = fp.count_daily(ev, by=None)
    assert list(c.columns) == ["date", "count"]
    assert c["count"].tolist() == [1, 0, 2]


def test_count_daily_floors_times() -> None:
    ev = pd.DataFrame(
        {"date": pd.to_datetime(["2023-11-20 23:59", "2023-11-21 00:01"]), "country": ["A", "A"]}
    )
    assert fp.count_daily(ev)["count"].tolist() == [1, 1]


def test_count_daily_validates_raw_input() -> None:
    ev = pd.DataFrame({"date": ["2023-11-20", "yesterday"], "country": ["Iraq", "Iraq"]})
    with pytest.raises(SchemaValidationError, match="unparseable date"):
        fp.count_daily(ev)


def test_count_daily_rejects_missing_groups_loudly() -> None:
    ev = pd.DataFrame(
        {"date": pd.to_datetime(["2023-11-20", "2023-11-21"]), "country": ["A", None]}
    )
    with pytest.raises(
        FlashpointValueError, match=r"missing values in group column 'country' \(rows \[1\]\)"
    ):
        fp.count_daily(ev)


def test_count_daily_rejects_missing_dates_loudly() -> None:
    ev = pd.DataFrame({"date": pd.to_datetime(["2023-11-20", None]), "country": ["A", "A"]})
    with pytest.raises(FlashpointValueError, match=r"missing dates in 'date' \(rows \[1\]\)"):
        fp.count_daily(ev)


def test_count_daily_missing_group_column_hint() -> None:
    ev = pd.DataFrame({"date": pd.to_datetime(["2023-11-20"]), "type": ["IED"]})
    with pytest.raises(FlashpointValueError, match=r"missing column\(s\) \['country'\].*pass by="):
        fp.count_daily(ev)


def test_count_daily_bad_window() -> None:
    ev = pd.DataFrame({"date": pd.to_datetime(["2023-11-20"]), "country": ["A"]})
    with pytest.raises(FlashpointValueError, match=r"end \(2023-11-01\) is before start"):
        fp.count_daily(ev, start="2023-11-10", end="2023-11-01")
    with pytest.raises(FlashpointValueError, match="cannot read end='soon' as a date"):
        fp.count_daily(ev, end="soon")


def test_resample_partial_periods_report_days() -> None:
    c = pd.DataFrame({"date": pd.date_range("2023-11-29", "2023-12-11"), "count": 1})
    w = fp.resample(c, freq="W")
    assert w["date"].dt.day_name().unique().tolist() == ["Monday"]
    assert w["days"].tolist() == [5, 7, 1]
    assert w["count"].tolist() == [5, 7, 1]


def test_resample_unknown_frequency() -> None:
    c = pd.DataFrame({"date": pd.date_range("2023-11-29", periods=3), "count": 1})
    with pytest.raises(FlashpointValueError, match="unknown resampling frequency 'fortnight'"):
        fp.resample(c, freq="fortnight")


def test_group_column_ambiguity_is_explained() -> None:
    c = pd.DataFrame({"date": pd.date_range("2023-11-29", periods=2), "a": 1, "b": 2, "count": 1})
    with pytest.raises(FlashpointValueError, match=r"cannot tell the group column: \['a', 'b'\]"):
        fp.to_wide(c)
    assert fp.to_wide(c.drop(columns="b"), by="a").shape == (2, 1)


# ---- tallies --------------------------------------------------------------------------------
def test_tally_intervals_hand_computed() -> None:
    iv = fp.tally_intervals(fp.load_tallies())
    total = iv[iv["group"] == "total"].set_index("end")
    # 2023-11-17 (62, exact) -> 2023-11-21 (66, about): 4 attacks over 11-18..11-21
    r = total.loc["2023-11-21"]
    assert (r["start"], r["days"], r["attacks"], r["qualifier"]) == (
        pd.Timestamp("2023-11-18"),
        4,
        4,
        "about",
    )
    # 2023-11-21 (66) -> 2023-11-23 (73): 7 attacks over 11-22..11-23
    r = total.loc["2023-11-23"]
    assert (r["start"], r["days"], r["attacks"]) == (pd.Timestamp("2023-11-22"), 2, 7)
    # 2023-12-07 (78, about) -> 2023-12-13 (97, exact): 19 attacks over 12-08..12-13
    r = total.loc["2023-12-13"]
    assert (r["start"], r["days"], r["attacks"]) == (pd.Timestamp("2023-12-08"), 6, 19)
    iraq = iv[iv["group"] == "iraq"].set_index("end")
    assert iraq.loc["2023-11-23", "attacks"] == 4  # 32 -> 36


def test_tally_intervals_resolution_rule_is_reported() -> None:
    iv = fp.tally_intervals(fp.load_tallies())
    total = iv[iv["group"] == "total"].set_index("end")
    assert total.loc["2023-10-26", "cumulative"] == 16  # split given and adds up
    assert "19 (exact, no split)" in total.loc["2023-10-26", "alternatives"]
    assert total.loc["2024-01-30", "cumulative"] == 166
    assert "165 (exact, split inconsistent)" in total.loc["2024-01-30", "alternatives"]
    # 168 reported for 02-07 after 170 for 02-04: flagged, not hidden
    assert not total.loc["2024-02-07", "monotone"]
    assert total.loc["2024-02-07", "attacks"] == -2


def test_tally_intervals_lower_bounds_are_opt_in() -> None:
    default = fp.tally_intervals(fp.load_tallies())
    assert "at_least" not in set(default["qualifier"])
    more = fp.tally_intervals(fp.load_tallies(), qualifier=("exact", "about", "at_least"))
    assert len(more) > len(default)


def test_reconcile_matches_the_data_readme() -> None:
    """The coverage table of data/iraq_syria_2023/README.md."""
    rec = fp.reconcile_tallies(fp.load_attacks(), fp.load_tallies())
    official_basis = fp.reconcile_tallies(fp.load_attacks(basis="official"), fp.load_tallies())
    expected = {
        # as of: (official total, iraq, syria), (event rows total, iraq, syria), official basis
        "2023-10-30": ((23, 14, 9), (27, 10, 17), 13),
        "2023-11-23": ((73, 36, 37), (76, 29, 47), 39),
        "2023-12-13": ((97, 45, 52), (101, 40, 61), 47),
        "2024-01-18": ((140, 57, 83), (151, 55, 96), 51),
        "2024-01-30": ((166, 67, 98), (168, 63, 104), 54),
    }
    for day, (official, rows, basis) in expected.items():
        sub = rec[rec["end"] == day].set_index("group")
        assert tuple(sub.loc[["total", "Iraq", "Syria"], "official_cumulative"]) == official
        assert tuple(sub.loc[["total", "Iraq", "Syria"], "event_cumulative"]) == rows
        ob = official_basis[(official_basis["end"] == day) & (official_basis["group"] == "total")]
        assert int(ob["event_cumulative"].iloc[0]) == basis
    jan30 = rec[rec["end"] == "2024-01-30"].set_index("group")
    assert jan30.loc["Jordan", "official_cumulative"] == 1
    assert jan30.loc["Jordan", "event_cumulative"] == 1  # Tower 22, Jordan


def test_reconcile_shows_iraq_undercount_and_syria_overcount() -> None:
    rec = fp.reconcile_tallies(fp.load_attacks(), fp.load_tallies())
    by_group = rec.dropna(subset=["coverage"]).groupby("group")["coverage"].median()
    assert by_group["Iraq"] < 0.95
    assert by_group["Syria"] > 1.1


def test_reconcile_accepts_counts() -> None:
    attacks = fp.load_attacks()
    a = fp.reconcile_tallies(attacks, fp.load_tallies())
    b = fp.reconcile_tallies(fp.count_daily(attacks), fp.load_tallies())
    pd.testing.assert_frame_equal(a, b)
