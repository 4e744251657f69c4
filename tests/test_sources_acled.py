"""ACLED reader: column mapping, both date styles, filters, malformed rows, daily counts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import flashpoint as fp
from flashpoint.errors import (
    DataQualityWarning,
    FlashpointTypeError,
    FlashpointValueError,
    SchemaValidationError,
)
from flashpoint.sources.acled import ACLED_COLUMNS, read_acled

FIXTURES = Path(__file__).parent / "fixtures" / "acled"
ISO = FIXTURES / "acled_export_iso.csv"
LEGACY = FIXTURES / "acled_export_legacy.csv"
MALFORMED = FIXTURES / "acled_malformed.csv"
US_FORCES = "Military Forces of the United States (2021-)"


def _read(path: Path, **kwargs: object) -> pd.DataFrame:
    with pytest.warns(DataQualityWarning, match="time_precision 2 or 3"):
        return read_acled(path, **kwargs)  # type: ignore[arg-type]


def test_fixture_has_the_documented_columns() -> None:
    assert list(pd.read_csv(ISO, nrows=0).columns) == list(ACLED_COLUMNS)
    assert len(ACLED_COLUMNS) == 31


def test_column_mapping_and_dtypes() -> None:
    ev = _read(ISO)
    assert len(ev) == 16
    assert ev.index.tolist() == list(range(16))
    for acled_name in ("event_date", "event_id_cnty", "location", "actor1", "timestamp"):
        assert acled_name not in ev.columns
    first = ev.iloc[0]
    assert first["date"] == pd.Timestamp("2023-10-18")
    assert first["event_id"] == "IRQ90001"
    assert first["site"] == "Ain al Asad Airbase"
    assert first["actor"] == "Islamic Resistance in Iraq"
    assert first["actor2"] == US_FORCES
    assert first["upload_timestamp"] == "1700000001"  # ACLED's upload time, kept as given
    assert "timestamp" not in ev.columns  # never the schema's time-of-event column
    assert pd.api.types.is_datetime64_dtype(ev["date"])
    assert ev["fatalities"].dtype == "Int64"
    assert ev["time_precision"].dtype == "Int64"
    assert ev["latitude"].dtype == "float64"
    assert ev["latitude"].iloc[0] == pytest.approx(33.7856)
    assert int(ev["fatalities"].sum()) == 15
    # ACLED-specific columns are kept
    for col in ("event_type", "sub_event_type", "inter1", "geo_precision", "disorder_type", "tags"):
        assert col in ev.columns
    assert ev.loc[14, "time_precision"] == 2


def test_time_precision_warning_counts_coarse_rows() -> None:
    with pytest.warns(DataQualityWarning, match=r"^1 of 16 ACLED events have time_precision"):
        read_acled(ISO)


def test_legacy_date_style_reads_to_the_same_dates() -> None:
    legacy = read_acled(LEGACY)
    iso = _read(ISO).set_index("event_id")
    assert legacy["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-10-18",
        "2023-10-19",
        "2023-10-20",
        "2023-11-03",
        "2023-11-20",
        "2023-11-21",
    ]
    for _, row in legacy.iterrows():
        assert row["date"] == iso.loc[row["event_id"], "date"]
    # older column set: kept as is
    assert {"data_id", "iso3", "event_id_no_cnty"} <= set(legacy.columns)


def test_mixed_date_styles_in_one_table() -> None:
    raw = pd.DataFrame(
        {
            "event_date": ["2023-11-21", "3 November 2023", "21 november 2023"],
            "country": ["Iraq", "Iraq", "Syria"],
        }
    )
    ev = read_acled(raw)
    assert ev["date"].tolist() == [
        pd.Timestamp("2023-11-21"),
        pd.Timestamp("2023-11-03"),
        pd.Timestamp("2023-11-21"),
    ]


def test_already_parsed_dates_are_kept() -> None:
    raw = pd.DataFrame(
        {"event_date": pd.to_datetime(["2023-11-21", "2023-11-22"]), "country": ["Iraq"] * 2}
    )
    assert read_acled(raw)["date"].tolist() == list(raw["event_date"])


def test_filters_event_types_countries_sub_event_types() -> None:
    ev = _read(ISO, event_types=["Explosions/Remote violence"])
    assert len(ev) == 14
    ev = read_acled(ISO, event_types="Protests")
    assert ev["event_id"].tolist() == ["IRQ90007"]
    ev = read_acled(ISO, countries=["Syria"], sub_event_types=["Air/drone strike"])
    assert ev["event_id"].tolist() == ["SYR90001", "SYR90003", "SYR90004", "SYR90007"]


def test_actor_filter_looks_in_actor_and_associated_actor_columns() -> None:
    # assoc_actor_1 lists two groups separated by ';'
    ev = _read(ISO, actors="Harakat Hezbollah al Nujaba")
    assert ev["event_id"].tolist() == ["IRQ90008"]
    # US forces are actor2 (target) in attacks, actor1 in US strikes
    both = _read(ISO, actors=US_FORCES)
    assert len(both) == 13
    targets = _read(ISO, actors=US_FORCES, actor_columns=["actor2"])
    assert len(targets) == 11
    assert set(both["event_id"]) - set(targets["event_id"]) == {"IRQ90005", "IRQ90006"}


def test_filter_matching_nothing_lists_the_values_present() -> None:
    with pytest.raises(FlashpointValueError, match=r"no row of acled_export_iso.csv matches") as e:
        read_acled(ISO, countries="Irak")
    assert "'Iraq'" in str(e.value)
    with pytest.raises(FlashpointValueError, match=r"after countries="):
        read_acled(ISO, countries="Jordan", event_types="Protests")


def test_empty_filter_is_refused() -> None:
    with pytest.raises(FlashpointValueError, match=r"event_types= is empty"):
        read_acled(ISO, event_types=[])


def test_attacks_on_us_forces_count_the_same_as_count_daily_on_the_same_rows() -> None:
    """Acceptance: the reader's filtered events count exactly like the rows selected by hand."""
    ev = _read(
        ISO,
        countries=["Iraq", "Syria"],
        event_types=["Explosions/Remote violence"],
        actors=[US_FORCES],
        actor_columns=["actor2"],
    )
    raw = pd.read_csv(ISO, dtype=str)
    by_hand = raw[
        raw["country"].isin(["Iraq", "Syria"])
        & (raw["event_type"] == "Explosions/Remote violence")
        & (raw["actor2"] == US_FORCES)
    ]
    same_rows = pd.DataFrame(
        {"date": pd.to_datetime(by_hand["event_date"]), "country": by_hand["country"]}
    )
    counts = fp.count_daily(ev)
    pd.testing.assert_frame_equal(counts, fp.count_daily(same_rows))
    assert counts.groupby("country")["count"].sum().to_dict() == {"Iraq": 5, "Syria": 5}
    assert counts["date"].min() == pd.Timestamp("2023-10-18")
    assert counts["date"].max() == pd.Timestamp("2023-11-21")
    assert len(counts) == 2 * 35
    nonzero = counts[counts["count"] > 0]
    assert [(str(d.date()), c, n) for d, c, n in nonzero.itertuples(index=False)] == [
        ("2023-10-18", "Iraq", 2),
        ("2023-10-20", "Iraq", 1),
        ("2023-10-26", "Iraq", 1),
        ("2023-11-21", "Iraq", 1),
        ("2023-10-19", "Syria", 2),
        ("2023-10-24", "Syria", 1),
        ("2023-11-20", "Syria", 1),
        ("2023-11-21", "Syria", 1),
    ]


def test_round_trip_to_daily_counts_conserves_events() -> None:
    ev = _read(ISO)
    counts = fp.count_daily(ev)
    assert int(counts["count"].sum()) == len(ev) == 16
    assert sorted(counts["country"].unique()) == ["Iraq", "Jordan", "Syria"]
    by_type = fp.count_daily(_read(ISO, by="event_type"), by="event_type")
    assert by_type.groupby("event_type")["count"].sum().to_dict() == {
        "Battles": 1,
        "Explosions/Remote violence": 14,
        "Protests": 1,
    }


def test_group_can_be_another_acled_column() -> None:
    ev = _read(ISO, by="admin1")
    counts = fp.count_daily(ev, by="admin1")
    assert counts.groupby("admin1")["count"].sum().to_dict() == {
        "Al Anbar": 5,
        "Al Hasakeh": 2,
        "Al Mafraq": 1,
        "Babil": 1,
        "Baghdad": 1,
        "Daraa": 1,
        "Deir ez Zor": 2,
        "Erbil": 1,
        "Homs": 2,
    }


def test_malformed_rows_are_quarantined_with_reasons() -> None:
    valid, rejected = read_acled(MALFORMED, on_error="quarantine")
    assert valid.index.tolist() == [0, 10, 11]
    assert valid["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-10-18",
        "2023-10-20",
        "2023-11-21",
    ]
    assert rejected.index.tolist() == list(range(1, 10))
    assert len(valid) + len(rejected) == 12
    reasons = rejected["reason"].to_dict()
    assert reasons[1] == (
        "event_date '32 November 2023' matches neither ACLED date style ('2023-11-21' or "
        "'21 November 2023')"
    )
    assert "'11/21/2023' matches neither ACLED date style" in reasons[2]
    assert "missing value in required column 'country'" in reasons[3]
    assert "'two'" in reasons[4]
    assert "fatalities" in reasons[4]
    assert "123.4" in reasons[5]
    assert "latitude" in reasons[5]
    assert "duplicate value 'IRQ91000' in 'event_id'" in reasons[6]
    assert "missing date" in reasons[7]
    assert "negative value -1 in 'fatalities'" in reasons[8]
    assert "'x' in 'time_precision'" in reasons[9]
    # rejected rows are shown as read (raw values, mapped names)
    assert rejected.loc[1, "date"] == "32 November 2023"
    assert rejected.loc[4, "fatalities"] == "two"


def test_malformed_rows_raise_one_error_listing_every_problem() -> None:
    with pytest.raises(SchemaValidationError) as e:
        read_acled(MALFORMED)
    message = str(e.value)
    assert "matches neither ACLED date style" in message
    assert "row 1: '32 November 2023'" in message
    assert "on_error='quarantine'" in message
    assert set(e.value.failure_cases["index"]) == set(range(1, 10))


def test_only_format_problems_raise_with_advice() -> None:
    raw = pd.DataFrame({"event_date": ["2023-11-21", "tomorrow"], "country": ["Iraq", "Iraq"]})
    with pytest.raises(SchemaValidationError, match=r"1 problem\(s\) in 1 of 2 rows") as e:
        read_acled(raw)
    assert "on_error='quarantine'" in str(e.value)
    assert e.value.failure_cases["check"].tolist() == ["acled_date"]


def test_every_row_rejected_gives_an_empty_valid_table() -> None:
    raw = pd.DataFrame({"event_date": ["soon"], "country": ["Iraq"]})
    valid, rejected = read_acled(raw, on_error="quarantine")
    assert len(valid) == 0
    assert pd.api.types.is_datetime64_dtype(valid["date"])
    assert len(rejected) == 1


def test_missing_columns_and_bad_arguments() -> None:
    with pytest.raises(FlashpointValueError, match=r"no column\(s\) \['event_date'\]"):
        read_acled(pd.DataFrame({"date": ["2023-11-21"], "country": ["Iraq"]}))
    with pytest.raises(FlashpointValueError, match=r"on_error must be"):
        read_acled(ISO, on_error="ignore")  # type: ignore[call-overload]
    with pytest.raises(FlashpointTypeError, match="file path or a DataFrame"):
        read_acled(42)  # type: ignore[call-overload]
    with pytest.raises(FileNotFoundError):
        read_acled(FIXTURES / "missing.csv")
    dup = pd.DataFrame({"event_date": ["2023-11-21"] * 2, "country": ["Iraq"] * 2}, index=[0, 0])
    with pytest.raises(FlashpointValueError, match="unique index"):
        read_acled(dup)
    clash = pd.DataFrame(
        {"event_date": ["2023-11-21"], "country": ["Iraq"], "location": ["x"], "site": ["y"]}
    )
    with pytest.raises(FlashpointValueError, match=r"already has column\(s\) \['site'\]"):
        read_acled(clash)


def test_typed_frame_reads_like_the_file() -> None:
    typed = pd.read_csv(ISO)  # numbers parsed by pandas, as from the ACLED API
    assert typed["fatalities"].dtype == "int64"
    a, b = _read(typed), _read(ISO)
    pd.testing.assert_series_equal(a["date"], b["date"])
    pd.testing.assert_series_equal(a["fatalities"], b["fatalities"])
    pd.testing.assert_frame_equal(fp.count_daily(a), fp.count_daily(b))
