"""The generic reader: CSV, TSV, compressed CSV and Parquet with a column mapping."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import flashpoint as fp
from flashpoint.errors import FileFormatError, FlashpointTypeError, FlashpointValueError


@pytest.fixture
def raw() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_date": ["2023-11-21", "2023-11-22", "2023-11-22"],
            "admin0": ["Iraq", "Iraq", "Syria"],
            "fatal": ["0", "3", ""],
            "note": ["a", "b", "c"],
        }
    )


def test_read_csv_with_mapping(tmp_path: Path, raw: pd.DataFrame) -> None:
    path = tmp_path / "events.csv"
    raw.to_csv(path, index=False)
    ev = fp.read_events(path, date="event_date", by="admin0", columns={"fatal": "fatalities"})
    assert list(ev.columns) == ["date", "admin0", "fatalities", "note"]
    assert ev["fatalities"].tolist()[:2] == [0, 3]
    assert ev["fatalities"].isna().iloc[2]
    counts = fp.count_daily(ev, by="admin0")
    assert counts["count"].sum() == 3


def test_read_semicolon_csv_and_tsv_and_gzip(tmp_path: Path, raw: pd.DataFrame) -> None:
    raw.to_csv(tmp_path / "a.csv", sep=";", index=False)
    raw.to_csv(tmp_path / "b.tsv", sep="\t", index=False)
    raw.to_csv(tmp_path / "c.csv.gz", index=False)
    for name in ("a.csv", "b.tsv", "c.csv.gz"):
        ev = fp.read_events(tmp_path / name, date="event_date", by="admin0")
        assert len(ev) == 3, name


def test_read_parquet(tmp_path: Path, raw: pd.DataFrame) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "events.parquet"
    raw.assign(event_date=pd.to_datetime(raw["event_date"])).to_parquet(path)
    ev = fp.read_events(path, date="event_date", by="admin0")
    assert pd.api.types.is_datetime64_dtype(ev["date"])
    assert len(ev) == 3


def test_read_frame_with_date_format() -> None:
    df = pd.DataFrame({"when": ["21 November 2023", "22 Nov 2023"], "country": ["Iraq", "Iraq"]})
    q = fp.read_events(df, date="when", date_format="%d %B %Y", on_error="quarantine")
    assert len(q.valid) == 1
    assert "'22 Nov 2023'" in q.rejected["reason"].iloc[0]


def test_non_csv_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.xlsx"
    path.write_bytes(b"PK\x03\x04 not really excel")
    with pytest.raises(FileFormatError, match=r"expected a CSV file .* got '.xlsx'"):
        fp.read_events(path)


def test_binary_file_named_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(b"\x00\x01\x02binary\x00")
    with pytest.raises(FileFormatError, match="not a text file"):
        fp.read_events(path)


def test_non_utf8_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes("date,country\n2023-11-21,Alg\xe9rie\n".encode("latin-1"))
    with pytest.raises(FileFormatError, match="not UTF-8 text"):
        fp.read_events(path)


def test_broken_parquet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    path.write_text("date,country\n")
    with pytest.raises(FileFormatError, match=r"cannot read events\.parquet as Parquet"):
        fp.read_events(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        fp.read_events(tmp_path / "nope.csv")


def test_mapping_to_a_missing_column(raw: pd.DataFrame) -> None:
    with pytest.raises(
        FlashpointValueError, match=r"has no column\(s\) \['when'\]; its columns are"
    ):
        fp.read_events(raw, date="when", by="admin0")


def test_reader_refuses_other_types() -> None:
    with pytest.raises(FlashpointTypeError, match="takes a file path or a DataFrame, got int"):
        fp.read_events(42)  # type: ignore[call-overload]


def test_reader_quarantine(raw: pd.DataFrame) -> None:
    raw.loc[1, "event_date"] = "2023-02-30"
    valid, rejected = fp.read_events(raw, date="event_date", by="admin0", on_error="quarantine")
    assert list(rejected.index) == [1]
    assert "unparseable date '2023-02-30'" in rejected.loc[1, "reason"]
    assert len(valid) == 2
