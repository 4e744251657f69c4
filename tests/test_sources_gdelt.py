"""GDELT 2.0 event reader: the 61 columns, root-code and country filters, FIPS names, bad lines."""

from __future__ import annotations

import gzip
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import flashpoint as fp
from flashpoint.errors import (
    DataQualityWarning,
    FileFormatError,
    FlashpointTypeError,
    FlashpointValueError,
    SchemaValidationError,
)
from flashpoint.sources.gdelt import (
    CAMEO_ROOT_CODES,
    FIPS_COUNTRY_NAMES,
    GDELT_EVENT_COLUMNS,
    read_gdelt_events,
)

FIXTURES = Path(__file__).parent / "fixtures" / "gdelt"
EVENTS = FIXTURES / "20231121150000.export.CSV"
MALFORMED = FIXTURES / "20231121151500.export.CSV"
VIOLENT = [18, 19, 20]


def test_the_61_documented_columns() -> None:
    cols = GDELT_EVENT_COLUMNS
    assert len(cols) == 61
    # positions (0-based) from the GDELT 2.0 Event Codebook
    assert cols[:5] == ("GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate")
    assert cols[5] == "Actor1Code"
    assert cols[15] == "Actor2Code"
    assert cols[24] == "Actor2Type3Code"
    assert cols[25:30] == (
        "IsRootEvent",
        "EventCode",
        "EventBaseCode",
        "EventRootCode",
        "QuadClass",
    )
    assert cols[34] == "AvgTone"
    assert cols[35] == "Actor1Geo_Type"
    assert cols[39] == "Actor1Geo_ADM2Code"
    assert cols[51:54] == ("ActionGeo_Type", "ActionGeo_FullName", "ActionGeo_CountryCode")
    assert cols[56:61] == (
        "ActionGeo_Lat",
        "ActionGeo_Long",
        "ActionGeo_FeatureID",
        "DATEADDED",
        "SOURCEURL",
    )
    assert len(set(cols)) == 61
    assert list(CAMEO_ROOT_CODES) == [f"{i:02d}" for i in range(1, 21)]
    assert CAMEO_ROOT_CODES["18"] == "Assault"
    assert CAMEO_ROOT_CODES["19"] == "Fight"
    assert FIPS_COUNTRY_NAMES["IZ"] == "Iraq"
    assert FIPS_COUNTRY_NAMES["IS"] == "Israel"
    assert FIPS_COUNTRY_NAMES["MU"] == "Oman"
    assert FIPS_COUNTRY_NAMES["SY"] == "Syria"


def test_read_fixture_with_root_codes_and_mapping() -> None:
    ev = read_gdelt_events(EVENTS, root_codes=VIOLENT)
    assert ev.index.tolist() == [0, 1, 2, 3, 5, 7, 8]
    assert ev["country"].tolist() == [
        "Iraq",
        "Iraq",
        "Syria",
        "Syria",
        "Israel",
        "Gaza Strip",
        "Lebanon",
    ]
    assert ev["EventRootCode"].tolist() == ["19", "18", "19", "20", "19", "19", "19"]
    first = ev.iloc[0]
    assert first["event_id"] == "1140000001"
    assert first["date"] == pd.Timestamp("2023-11-21")
    assert first["DATEADDED"] == pd.Timestamp("2023-11-21 15:00:00")
    assert first["site"] == "Al Asad, Al Anbar, Iraq"
    assert first["latitude"] == pytest.approx(33.7856)
    assert first["source"] == "https://example.invalid/illustrative/1140000001"
    assert first["ActionGeo_CountryCode"] == "IZ"
    assert ev["NumMentions"].dtype == "Int64"
    assert ev["QuadClass"].tolist() == [4] * 7
    assert ev["GoldsteinScale"].dtype == "float64"
    assert pd.api.types.is_datetime64_dtype(ev["DATEADDED"])
    assert "GLOBALEVENTID" not in ev.columns
    assert "SQLDATE" in ev.columns


def test_root_codes_given_as_strings_or_ints() -> None:
    a = read_gdelt_events(EVENTS, root_codes=["18", "019", 20])
    b = read_gdelt_events(EVENTS, root_codes=VIOLENT)
    pd.testing.assert_frame_equal(a, b)
    assert read_gdelt_events(EVENTS, root_codes=4)["event_id"].tolist() == ["1140000005"]
    with pytest.raises(FlashpointValueError, match=r"CAMEO root codes 1-20"):
        read_gdelt_events(EVENTS, root_codes=21)
    with pytest.raises(FlashpointValueError, match=r"root_codes= is empty"):
        read_gdelt_events(EVENTS, root_codes=[])


def test_country_filter_by_name_or_fips_code() -> None:
    by_name = read_gdelt_events(EVENTS, root_codes=VIOLENT, countries=["Iraq", "Syria"])
    by_code = read_gdelt_events(EVENTS, root_codes=VIOLENT, countries=["IZ", "sy"])
    pd.testing.assert_frame_equal(by_name, by_code)
    assert by_name["event_id"].tolist() == [f"114000000{i}" for i in (1, 2, 3, 4)]


def test_actor_filter() -> None:
    on_us = read_gdelt_events(EVENTS, actors="USAMIL", actor_columns=["Actor2Code"])
    assert on_us["event_id"].tolist() == [f"114000000{i}" for i in (1, 2, 3, 4)]
    us = read_gdelt_events(EVENTS, actors="UNITED STATES")  # names, in either actor
    assert len(us) == 5


def test_round_trip_to_daily_counts() -> None:
    ev = read_gdelt_events(EVENTS, root_codes=VIOLENT, countries=["Iraq", "Syria"])
    counts = fp.count_daily(ev)
    assert counts.to_dict("list") == {
        "date": [pd.Timestamp("2023-11-20"), pd.Timestamp("2023-11-21")] * 2,
        "country": ["Iraq", "Iraq", "Syria", "Syria"],
        "count": [0, 2, 1, 1],
    }


def test_date_column_dateadded_uses_the_utc_day_first_seen() -> None:
    ev = read_gdelt_events(EVENTS, root_codes=VIOLENT, countries="Syria", date_column="DATEADDED")
    assert ev["date"].tolist() == [pd.Timestamp("2023-11-21")] * 2  # SQLDATE says 11-20
    assert ev["SQLDATE"].tolist() == ["20231120", "20231121"]
    with pytest.raises(FlashpointValueError, match=r"date_column must be"):
        read_gdelt_events(EVENTS, date_column="Day")  # type: ignore[call-overload]


def test_unknown_fips_codes_are_kept_and_reported() -> None:
    with pytest.warns(DataQualityWarning, match=r"without a name in FIPS_COUNTRY_NAMES: BG \(1\)"):
        ev = read_gdelt_events(EVENTS)
    assert ev.loc[6, "country"] == "BG"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        named = read_gdelt_events(EVENTS, country_names={"bg": "Bangladesh"})
    assert named.loc[6, "country"] == "Bangladesh"
    assert int(fp.count_daily(named)["count"].sum()) == 9


def test_compressed_files_lists_and_header_line(tmp_path: Path) -> None:
    zipped = tmp_path / "20231121150000.export.CSV.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(EVENTS, EVENTS.name)
    gz = tmp_path / "events.CSV.gz"
    gz.write_bytes(gzip.compress(EVENTS.read_bytes()))
    plain = read_gdelt_events(EVENTS, root_codes=VIOLENT)
    pd.testing.assert_frame_equal(read_gdelt_events(zipped, root_codes=VIOLENT), plain)
    pd.testing.assert_frame_equal(read_gdelt_events(gz, root_codes=VIOLENT), plain)
    headed = tmp_path / "with_header.tsv"
    headed.write_text("\t".join(GDELT_EVENT_COLUMNS) + "\n" + EVENTS.read_text())
    pd.testing.assert_frame_equal(read_gdelt_events(headed, root_codes=VIOLENT), plain)
    # two files: one index across both, in the order given
    valid, rejected = read_gdelt_events(
        [EVENTS, MALFORMED], root_codes=VIOLENT, on_error="quarantine"
    )
    assert valid.index.tolist() == [0, 1, 2, 3, 5, 7, 8, 9, 17]
    assert rejected.index.tolist() == list(range(10, 17))


def test_frames_from_bigquery_or_header_none() -> None:
    positional = pd.read_csv(EVENTS, sep="\t", header=None, dtype=str, keep_default_na=False)
    a = read_gdelt_events(positional, root_codes=VIOLENT)
    pd.testing.assert_frame_equal(a, read_gdelt_events(EVENTS, root_codes=VIOLENT))
    typed = pd.read_csv(EVENTS, sep="\t", header=None, names=list(GDELT_EVENT_COLUMNS))
    assert typed["SQLDATE"].dtype == "int64"  # as BigQuery returns it
    b = read_gdelt_events(typed, root_codes=VIOLENT)
    assert b["date"].tolist() == a["date"].tolist()
    assert b["EventRootCode"].tolist() == a["EventRootCode"].tolist()  # 19 -> '19', 4 -> '04'


def test_malformed_lines_are_quarantined_with_reasons() -> None:
    valid, rejected = read_gdelt_events(MALFORMED, on_error="quarantine")
    assert valid["event_id"].tolist() == ["1140000101", "1140000109"]
    assert rejected.index.tolist() == list(range(1, 8))
    reasons = rejected["reason"].to_dict()
    assert reasons[1] == (
        "line 2 of 20231121151500.export.CSV has 60 tab-separated fields; a GDELT 2.0 event "
        "record has 61"
    )
    assert reasons[2] == "SQLDATE '2023-11-21' is not a YYYYMMDD date (e.g. '20231121')"
    assert (
        reasons[3] == "DATEADDED '2023112115' is not a YYYYMMDDHHMMSS date (e.g. '20231121150000')"
    )
    assert reasons[4] == "value 'ten' in 'NumMentions' is not a whole number"
    assert reasons[5].startswith("no ActionGeo_CountryCode: GDELT could not place the action")
    assert "95" in reasons[6]
    assert "latitude" in reasons[6]
    assert "duplicate value '1140000101' in 'event_id'" in reasons[7]


def test_malformed_lines_are_reported_whatever_the_filters() -> None:
    valid, rejected = read_gdelt_events(MALFORMED, root_codes=18, on_error="quarantine")
    assert valid["event_id"].tolist() == ["1140000109"]
    assert 1 in rejected.index  # the 60-field line: its fields cannot be trusted to filter


def test_malformed_lines_raise() -> None:
    with pytest.raises(SchemaValidationError, match=r"GDELT event table failed validation") as e:
        read_gdelt_events(MALFORMED)
    assert "row 1: '20231121151500.export.CSV:2'" in str(e.value)
    assert set(e.value.failure_cases["index"]) == set(range(1, 8))


def test_other_gdelt_layouts_are_named(tmp_path: Path) -> None:
    v1 = tmp_path / "20131121.export.CSV"
    v1.write_text("\n".join("\t".join(["1"] * 57) for _ in range(3)) + "\n")
    with pytest.raises(FileFormatError, match=r"GDELT 1.0 event file \(57 columns"):
        read_gdelt_events(v1)
    mentions = tmp_path / "20231121150000.mentions.CSV"
    mentions.write_text("\t".join(["1"] * 16) + "\n")
    with pytest.raises(FileFormatError, match=r"Mentions file"):
        read_gdelt_events(mentions)
    binary = tmp_path / "x.CSV"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(FileFormatError, match="not a text file"):
        read_gdelt_events(binary)
    latin = tmp_path / "y.CSV"
    latin.write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(FileFormatError, match="not UTF-8"):
        read_gdelt_events(latin)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_gdelt_events(tmp_path / "missing.CSV")
    with pytest.raises(FlashpointValueError, match="empty list"):
        read_gdelt_events([])
    with pytest.raises(FlashpointTypeError, match="file path, a list of paths or a DataFrame"):
        read_gdelt_events(3.5)  # type: ignore[call-overload]
    with pytest.raises(FlashpointValueError, match=r"no column\(s\)"):
        read_gdelt_events(pd.DataFrame({"SQLDATE": ["20231121"]}))
