"""UCDP GED reader: mapping, the multi-day rule and its conservation, filters, bad rows."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import flashpoint as fp
from flashpoint.errors import DataQualityWarning, FlashpointValueError, SchemaValidationError
from flashpoint.sources.ucdp import GED_COLUMNS, read_ucdp_ged

FIXTURES = Path(__file__).parent / "fixtures" / "ucdp"
SAMPLE = FIXTURES / "ged_sample.csv"
MALFORMED = FIXTURES / "ged_malformed.csv"


def _first(path: Path = SAMPLE, **kwargs: object) -> pd.DataFrame:
    with pytest.warns(DataQualityWarning, match="span several days"):
        return read_ucdp_ged(path, **kwargs)  # type: ignore[arg-type]


def test_fixture_has_the_documented_columns() -> None:
    assert list(pd.read_csv(SAMPLE, nrows=0).columns) == list(GED_COLUMNS)
    assert len(GED_COLUMNS) == 49


def test_column_mapping_first_day() -> None:
    ev = _first()
    assert len(ev) == 7
    assert ev.index.tolist() == list(range(7))
    assert ev["event_id"].tolist() == [f"90000{i}" for i in range(1, 8)]
    assert ev["id"].tolist() == ev["event_id"].tolist()
    assert ev["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-11-18",
        "2023-11-19",
        "2023-11-20",
        "2023-11-21",
        "2023-11-01",
        "2023-11-22",
        "2023-11-13",
    ]
    assert (ev["date"] == ev["date_start"]).all()
    assert ev["date_end"].iloc[4] == pd.Timestamp("2023-11-30")
    assert ev["fatalities"].tolist() == [3, 2, 7, 1, 4, 2, 1]
    assert ev["fatalities"].dtype == "Int64"
    for col in ("best", "low", "high", "deaths_a", "type_of_violence", "date_prec"):
        assert ev[col].dtype == "Int64", col
    assert ev["span_days"].tolist() == [1, 1, 3, 1, 30, 1, 7]
    assert ev["span_days"].dtype == "int64"
    assert (ev["weight"] == 1.0).all()
    assert ev["site"].iloc[0] == "Tarmiyah town"
    assert ev["source"].iloc[0].startswith("Illustrative fixture row")
    assert ev["latitude"].iloc[0] == pytest.approx(33.67)


def test_first_day_warning_counts_multi_day_events() -> None:
    with pytest.warns(
        DataQualityWarning, match=r"^3 of 7 GED events span several days \(up to 30\)"
    ):
        read_ucdp_ged(SAMPLE)


def test_first_day_counts_each_event_once_on_date_start() -> None:
    counts = fp.count_daily(_first())
    assert int(counts["count"].sum()) == 7
    nonzero = counts[counts["count"] > 0]
    assert [(str(d.date()), c) for d, c, _ in nonzero.itertuples(index=False)] == [
        ("2023-11-13", "Iraq"),
        ("2023-11-18", "Iraq"),
        ("2023-11-21", "Iraq"),
        ("2023-11-01", "Syria"),
        ("2023-11-19", "Syria"),
        ("2023-11-20", "Syria"),
        ("2023-11-22", "Syria"),
    ]


def test_spread_rows_weights_and_fatalities() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no multi-day warning in spread mode
        ev = read_ucdp_ged(SAMPLE, multi_day="spread")
    assert len(ev) == 1 + 1 + 3 + 1 + 30 + 1 + 7
    three = ev[ev["id"] == "900003"]
    assert three["date"].dt.strftime("%m-%d").tolist() == ["11-20", "11-21", "11-22"]
    assert three["event_id"].tolist() == [
        "900003:2023-11-20",
        "900003:2023-11-21",
        "900003:2023-11-22",
    ]
    assert three["fatalities"].tolist() == [3, 2, 2]  # 7 over 3 days, remainder first
    assert three["best"].tolist() == [7, 7, 7]  # event totals repeated
    assert three["weight"].to_numpy() == pytest.approx([1 / 3] * 3)
    assert three.index.tolist() == [2, 2, 2]  # the event's row in the file
    month = ev[ev["id"] == "900005"]
    assert month["fatalities"].tolist() == [1] * 4 + [0] * 26
    assert ev["event_id"].is_unique


def test_spread_conservation_stated_in_the_docs() -> None:
    first = _first()
    ev = read_ucdp_ged(SAMPLE, multi_day="spread")
    n, span_total = len(first), int(first["span_days"].sum())
    # count_daily counts rows: event-days, i.e. events active each day
    counts = fp.count_daily(ev)
    assert int(counts["count"].sum()) == span_total == 44
    # weights sum to the number of events, per event to 1
    assert ev["weight"].sum() == pytest.approx(n)
    assert ev.groupby("id")["weight"].sum().to_numpy() == pytest.approx(np.ones(n))
    # fatalities are split exactly
    assert int(ev["fatalities"].sum()) == int(first["best"].sum()) == 20
    assert ev.groupby("id")["fatalities"].sum().to_dict() == dict(
        zip(first["id"], first["best"], strict=True)
    )
    # fractional events per day
    daily = ev.groupby("date")["weight"].sum()
    assert daily.loc["2023-11-20"] == pytest.approx(1 / 30 + 1 / 3)  # month- and 3-day events
    # active events on 2023-11-18 in Iraq: the 1-day event and the week-long one
    iraq = counts[counts["country"] == "Iraq"].set_index("date")["count"]
    assert iraq.loc["2023-11-18"] == 2


@given(
    spans=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=12),
    bests=st.lists(st.integers(min_value=1, max_value=500), min_size=12, max_size=12),
    offsets=st.lists(st.integers(min_value=0, max_value=60), min_size=12, max_size=12),
)
def test_spread_conserves_events_fatalities_and_event_days(
    spans: list[int], bests: list[int], offsets: list[int]
) -> None:
    k = len(spans)
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(offsets[:k], unit="D")
    end = start + pd.to_timedelta(np.array(spans) - 1, unit="D")
    raw = pd.DataFrame(
        {
            "id": [str(i) for i in range(k)],
            "country": ["A", "B"] * (k // 2) + ["A"] * (k % 2),
            "date_start": start.strftime("%Y-%m-%d"),
            "date_end": end.strftime("%Y-%m-%d"),
            "best": [str(b) for b in bests[:k]],
        }
    )
    ev = read_ucdp_ged(raw, multi_day="spread")
    assert len(ev) == sum(spans)
    assert int(fp.count_daily(ev)["count"].sum()) == sum(spans)
    assert ev["weight"].sum() == pytest.approx(k)
    assert int(ev["fatalities"].sum()) == sum(bests[:k])
    per_event = ev.groupby("id")["fatalities"]
    assert (per_event.max() - per_event.min()).max() <= 1  # as even as integers allow


def test_filters() -> None:
    one_sided = read_ucdp_ged(SAMPLE, types_of_violence=3)
    assert one_sided["event_id"].tolist() == ["900004"]
    us = read_ucdp_ged(SAMPLE, actors="Government of United States of America")
    assert us["event_id"].tolist() == ["900006"]
    iraq_state = _first(SAMPLE, countries="Iraq", types_of_violence=[1, 2])
    assert iraq_state["event_id"].tolist() == ["900001", "900007"]
    with pytest.raises(FlashpointValueError, match=r"types_of_violence must be among"):
        read_ucdp_ged(SAMPLE, types_of_violence=4)
    with pytest.raises(FlashpointValueError, match=r"no row of ged_sample.csv matches"):
        read_ucdp_ged(SAMPLE, actors="Kataib Hezbollah")


def test_round_trip_to_daily_counts_by_violence_type() -> None:
    counts = fp.count_daily(_first(by="type_of_violence"), by="type_of_violence")
    assert counts.groupby("type_of_violence")["count"].sum().to_dict() == {1: 5, 2: 1, 3: 1}


def test_malformed_events_are_quarantined_with_reasons() -> None:
    with pytest.warns(DataQualityWarning):
        valid, rejected = read_ucdp_ged(MALFORMED, on_error="quarantine")
    assert valid["event_id"].tolist() == ["910000", "910010"]
    assert rejected.index.tolist() == list(range(1, 10))
    reasons = rejected["reason"].to_dict()
    assert reasons[1] == (
        "date_start '2023-13-01 00:00:00.000' is not a date (GED writes '2023-11-21 00:00:00.000')"
    )
    assert reasons[2] == "date_end 2023-11-18 is before date_start 2023-11-20"
    assert reasons[3] == "value 'abc' in 'best' is not a whole number >= 0"
    assert reasons[4] == "best estimate 10 is outside [low, high] = [2, 5]"
    assert reasons[5] == "missing date_end"
    assert "95" in reasons[6]
    assert "latitude" in reasons[6]
    assert "duplicate value '910000' in 'event_id'" in reasons[7]
    assert "missing value in required column 'country'" in reasons[8]
    assert reasons[9] == "value '-3' in 'deaths_a' is not a whole number >= 0"


def test_malformed_events_spread_keeps_only_valid_events() -> None:
    valid, rejected = read_ucdp_ged(MALFORMED, multi_day="spread", on_error="quarantine")
    assert valid["event_id"].tolist() == [
        "910000:2023-11-18",
        "910010:2023-11-17",
        "910010:2023-11-18",
    ]
    assert len(rejected) == 9


def test_malformed_events_raise() -> None:
    with pytest.raises(SchemaValidationError, match=r"UCDP GED table failed validation") as e:
        read_ucdp_ged(MALFORMED)
    assert set(e.value.failure_cases["index"]) == set(range(1, 10))


def test_bad_arguments() -> None:
    with pytest.raises(FlashpointValueError, match=r"multi_day must be 'first'"):
        read_ucdp_ged(SAMPLE, multi_day="middle")  # type: ignore[call-overload]
    with pytest.raises(FlashpointValueError, match=r"no column\(s\) \['date_end'\]"):
        read_ucdp_ged(
            pd.DataFrame(
                {"id": [1], "date_start": ["2023-11-21"], "best": [1], "country": ["Iraq"]}
            )
        )


def test_typed_frame_reads_like_the_file() -> None:
    typed = pd.read_csv(SAMPLE)  # ids and deaths as integers
    a = read_ucdp_ged(typed, multi_day="spread")
    b = read_ucdp_ged(SAMPLE, multi_day="spread")
    assert a["event_id"].tolist() == b["event_id"].tolist()
    pd.testing.assert_series_equal(a["fatalities"], b["fatalities"])
    pd.testing.assert_frame_equal(fp.count_daily(a), fp.count_daily(b))
