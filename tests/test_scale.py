"""Counting at scale: DuckDB over files and Dask give exactly fp.count_daily's table."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flashpoint as fp
from flashpoint.errors import (
    FileFormatError,
    FlashpointError,
    FlashpointTypeError,
    FlashpointValueError,
)
from flashpoint.scale import MissingExtraError, count_daily_dask, count_daily_duckdb

N_EVENTS = 1_000_000


def simulate_events(n: int, seed: int, *, n_groups: int = 40, n_days: int = 2000) -> pd.DataFrame:
    """Seeded synthetic events (not real data), with a time of day."""
    rng = np.random.default_rng(seed)
    groups = np.array([f"group_{i:02d}" for i in range(n_groups)])
    seconds = rng.integers(0, n_days * 86_400, size=n)
    return pd.DataFrame(
        {
            "date": (pd.Timestamp("2015-01-01") + pd.to_timedelta(seconds, unit="s")).astype(
                "datetime64[us]"
            ),
            "country": groups[rng.zipf(1.6, size=n) % n_groups],
        }
    )


@pytest.fixture(scope="module")
def simulated_parquet(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    pytest.importorskip("pyarrow")
    folder = tmp_path_factory.mktemp("simulated_events")
    events = simulate_events(N_EVENTS, seed=20231122)
    files = [folder / "part-0.parquet", folder / "part-1.parquet"]
    events.iloc[: N_EVENTS // 2].to_parquet(files[0], index=False)
    events.iloc[N_EVENTS // 2 :].to_parquet(files[1], index=False)
    return files


def _synchronous():  # type: ignore[no-untyped-def]
    dask = pytest.importorskip("dask")
    return dask.config.set(scheduler="synchronous")


def test_missing_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb -> ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'flashpoint\[scale\]'"):
        count_daily_duckdb("whatever.parquet")
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with pytest.raises(ImportError, match=r"count_daily_dask needs dask"):
        count_daily_dask(pd.DataFrame())
    assert issubclass(MissingExtraError, FlashpointError)


@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")  # dask's own
def test_duckdb_dask_and_pandas_identical_on_1m_events(simulated_parquet: list[Path]) -> None:
    pytest.importorskip("duckdb")
    dd = pytest.importorskip("dask.dataframe")
    pandas_path = fp.count_daily(pd.read_parquet(simulated_parquet))
    duck = count_daily_duckdb(simulated_parquet)
    with _synchronous():
        dask_path = count_daily_dask(dd.read_parquet([str(p) for p in simulated_parquet]))
    pd.testing.assert_frame_equal(duck, pandas_path)
    pd.testing.assert_frame_equal(dask_path, pandas_path)
    assert int(duck["count"].sum()) == N_EVENTS
    assert duck["country"].nunique() == 40
    assert len(duck) == 40 * 2000


def test_duckdb_windows_groups_and_single_series(
    simulated_parquet: list[Path], tmp_path: Path
) -> None:
    pytest.importorskip("duckdb")
    events = pd.read_parquet(simulated_parquet)
    folder = simulated_parquet[0].parent
    window = {"start": "2016-03-01", "end": "2016-04-15"}
    pd.testing.assert_frame_equal(
        count_daily_duckdb(folder / "*.parquet", **window), fp.count_daily(events, **window)
    )
    listed = ["group_03", "group_01", "group_02", "none_yet"]
    sel = events[events["country"].isin(listed)]
    sel.to_parquet(tmp_path / "listed.parquet", index=False)
    pd.testing.assert_frame_equal(
        count_daily_duckdb(tmp_path / "listed.parquet", groups=listed, **window),
        fp.count_daily(sel, groups=listed, **window),
    )
    pd.testing.assert_frame_equal(
        count_daily_duckdb(simulated_parquet[0], by=None),
        fp.count_daily(pd.read_parquet(simulated_parquet[0]), by=None),
    )
    wide = {"start": "2014-12-01", "end": "2021-01-01"}  # beyond the data: zero-filled
    pd.testing.assert_frame_equal(
        count_daily_duckdb(simulated_parquet, by=None, **wide),
        fp.count_daily(events, by=None, **wide),
    )
    with pytest.raises(FlashpointValueError, match=r"groups not listed in groups="):
        count_daily_duckdb(simulated_parquet, groups=["group_00"], **window)


def test_dask_windows_and_groups_from_pandas() -> None:
    dd = pytest.importorskip("dask.dataframe")
    events = simulate_events(20_000, seed=3)
    ddf = dd.from_pandas(events, npartitions=4)
    window = {"start": "2015-02-01", "end": "2015-03-31"}
    with _synchronous():
        pd.testing.assert_frame_equal(count_daily_dask(ddf), fp.count_daily(events))
        pd.testing.assert_frame_equal(
            count_daily_dask(ddf, by=None, **window), fp.count_daily(events, by=None, **window)
        )
        listed = sorted(events["country"].unique(), reverse=True)
        pd.testing.assert_frame_equal(
            count_daily_dask(ddf, groups=listed), fp.count_daily(events, groups=listed)
        )
        cat = events.assign(
            country=pd.Categorical(events["country"], categories=["zz", *sorted(listed)])
        )
        pd.testing.assert_frame_equal(
            count_daily_dask(dd.from_pandas(cat, npartitions=3)), fp.count_daily(cat)
        )
        ints = events.assign(country=np.arange(len(events)) % 7)
        pd.testing.assert_frame_equal(
            count_daily_dask(dd.from_pandas(ints, npartitions=3)), fp.count_daily(ints)
        )


def test_duckdb_csv_with_text_dates_and_times(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    events = simulate_events(50_000, seed=5, n_days=300)
    raw = events.assign(date=events["date"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    raw.iloc[:25_000].to_csv(tmp_path / "a.csv", index=False)
    raw.iloc[25_000:].to_csv(tmp_path / "b.csv", index=False)
    expected = fp.count_daily(
        pd.concat([pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")])
    )
    got = count_daily_duckdb([tmp_path / "a.csv", tmp_path / "b.csv"])
    pd.testing.assert_frame_equal(got, expected)
    dates_only = tmp_path / "dates.csv"
    pd.DataFrame({"day": ["2023-11-20", "2023-11-22"], "country": ["Iraq", "Syria"]}).to_csv(
        dates_only, index=False
    )
    out = count_daily_duckdb(dates_only, date="day")
    assert out["count"].tolist() == [1, 0, 0, 0, 0, 1]


@pytest.fixture(scope="module")
def duckdb_installed() -> None:
    pytest.importorskip("duckdb")


@settings(max_examples=20, deadline=None)
@given(
    days=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=60),
    groups=st.lists(st.sampled_from(["Iraq", "Syria", "Jordan"]), min_size=60, max_size=60),
)
def test_duckdb_matches_count_daily_on_any_small_table(
    duckdb_installed: None, days: list[int], groups: list[str]
) -> None:
    events = pd.DataFrame(
        {
            "date": pd.Timestamp("2023-10-17") + pd.to_timedelta(days, unit="D"),
            "country": groups[: len(days)],
        }
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.parquet"
        events.to_parquet(path, index=False)
        got = count_daily_duckdb(path)
    expected = fp.count_daily(events)
    pd.testing.assert_frame_equal(got, expected)
    assert int(got["count"].sum()) == len(days)


def test_duckdb_refuses_bad_data_with_clear_errors(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    base = pd.DataFrame(
        {"date": pd.to_datetime(["2023-11-20", "2023-11-21"]), "country": ["Iraq", "Syria"]}
    )
    path = tmp_path / "ok.parquet"
    base.to_parquet(path)
    with pytest.raises(FlashpointValueError, match=r"no column\(s\) \['admin1'\]"):
        count_daily_duckdb(path, by="admin1")
    tz = tmp_path / "tz.parquet"
    late = base.assign(date=base["date"].dt.tz_localize("UTC") + pd.Timedelta(hours=22))
    late.to_parquet(tz)  # instants: UTC days, or the days of tz= (the time-zone rule)
    pd.testing.assert_frame_equal(count_daily_duckdb(tz), fp.count_daily(late))
    pd.testing.assert_frame_equal(
        count_daily_duckdb(tz, tz="Asia/Baghdad"), fp.count_daily(late, tz="Asia/Baghdad")
    )
    offsets = tmp_path / "offsets.csv"
    text_dates = ["2023-11-20T23:30:00+03:00", "2023-11-20T23:30:00-05:00", "2023-11-21"]
    pd.DataFrame({"date": text_dates, "country": "Iraq"}).to_csv(offsets, index=False)
    as_text = pd.DataFrame({"date": text_dates, "country": "Iraq"})
    for zone in (None, "UTC", "Asia/Tokyo"):
        pd.testing.assert_frame_equal(
            count_daily_duckdb(offsets, tz=zone), fp.count_daily(as_text, tz=zone)
        )
    text = tmp_path / "text.csv"
    pd.DataFrame({"date": ["2023-11-20", "21/11/2023", "soon"], "country": ["Iraq"] * 3}).to_csv(
        text, index=False
    )
    with pytest.raises(FlashpointValueError, match=r"2 value\(s\) of 'date' are not dates"):
        count_daily_duckdb(text)
    nulls = tmp_path / "nulls.parquet"
    pd.DataFrame(
        {"date": pd.to_datetime(["2023-11-20", None]), "country": ["Iraq", "Iraq"]}
    ).to_parquet(nulls)
    with pytest.raises(FlashpointValueError, match=r"1 event\(s\) with a missing date"):
        count_daily_duckdb(nulls)
    no_group = tmp_path / "nogroup.parquet"
    base.assign(country=["Iraq", None]).to_parquet(no_group)
    with pytest.raises(FlashpointValueError, match=r"missing value in group column 'country'"):
        count_daily_duckdb(no_group)
    numbers = tmp_path / "numbers.parquet"
    base.assign(date=[1, 2]).to_parquet(numbers)
    with pytest.raises(FlashpointValueError, match="expected DATE, TIMESTAMP"):
        count_daily_duckdb(numbers)
    with pytest.raises(FlashpointValueError, match=r"end \(2023-11-01\) is before start"):
        count_daily_duckdb(path, start="2023-11-05", end="2023-11-01")


def test_duckdb_source_forms_and_settings(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    base = pd.DataFrame(
        {"date": pd.to_datetime(["2023-11-20", "2023-11-21"]), "country": ["Iraq", "Syria"]}
    )
    base.to_parquet(tmp_path / "a.parquet")
    expected = fp.count_daily(base)
    for source in (tmp_path, tmp_path / "a.parquet", str(tmp_path / "*.parquet")):
        pd.testing.assert_frame_equal(count_daily_duckdb(source), expected)
    pd.testing.assert_frame_equal(
        count_daily_duckdb(tmp_path, threads=1, memory_limit="256MB"), expected
    )
    with pytest.raises(FlashpointValueError, match="memory_limit must be a size"):
        count_daily_duckdb(tmp_path, memory_limit="lots; DROP TABLE x")
    with pytest.raises(FlashpointValueError, match="threads must be a positive integer"):
        count_daily_duckdb(tmp_path, threads=0)
    with pytest.raises(FileNotFoundError, match="no file matches"):
        count_daily_duckdb(str(tmp_path / "*.csv"))
    with pytest.raises(FileNotFoundError, match="no such file"):
        count_daily_duckdb(tmp_path / "missing.parquet")
    base.to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(FileFormatError, match="mixes Parquet and CSV"):
        count_daily_duckdb([tmp_path / "a.parquet", tmp_path / "b.csv"])
    (tmp_path / "c.xlsx").write_bytes(b"PK")
    with pytest.raises(FileFormatError, match="expected Parquet"):
        count_daily_duckdb(tmp_path / "c.xlsx")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(FileFormatError, match="DuckDB cannot read"):
        count_daily_duckdb(tmp_path / "broken.parquet")
    with pytest.raises(FlashpointTypeError, match=r"For a pandas DataFrame use fp\.count_daily"):
        count_daily_duckdb(base)  # type: ignore[arg-type]


def test_dask_refuses_bad_input() -> None:
    dd = pytest.importorskip("dask.dataframe")
    base = pd.DataFrame(
        {"date": pd.to_datetime(["2023-11-20", "2023-11-21"]), "country": ["Iraq", "Syria"]}
    )
    with pytest.raises(FlashpointTypeError, match=r"must be a dask\.dataframe\.DataFrame"):
        count_daily_dask(base)
    with pytest.raises(FlashpointValueError, match=r"no column\(s\) \['admin1'\]"):
        count_daily_dask(dd.from_pandas(base, npartitions=1), by="admin1")
    text = base.assign(date=["2023-11-20", "2023-11-21"])
    with pytest.raises(FlashpointValueError, match=r"dd\.to_datetime"):
        count_daily_dask(dd.from_pandas(text, npartitions=1))
    tz = base.assign(date=base["date"].dt.tz_localize("UTC") + pd.Timedelta(hours=22))
    with _synchronous():
        for zone in (None, "Asia/Baghdad"):
            pd.testing.assert_frame_equal(
                count_daily_dask(dd.from_pandas(tz, npartitions=1), tz=zone),
                fp.count_daily(tz, tz=zone),
            )
    with _synchronous():
        missing = base.assign(country=["Iraq", None])
        with pytest.raises(FlashpointValueError, match="missing value in group column"):
            count_daily_dask(dd.from_pandas(missing, npartitions=1))
        nat = base.assign(date=pd.to_datetime(["2023-11-20", None]))
        with pytest.raises(FlashpointValueError, match="missing date"):
            count_daily_dask(dd.from_pandas(nat, npartitions=2))


def test_duckdb_sees_categorical_groups_as_text(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    categories = ["Syria", "Jordan", "Iraq"]
    events = pd.DataFrame(
        {
            "date": pd.to_datetime(["2023-11-20", "2023-11-22"]),
            "country": pd.Categorical(["Syria", "Iraq"], categories=categories),
        }
    )
    events.to_parquet(tmp_path / "cat.parquet")
    expected = fp.count_daily(pd.read_parquet(tmp_path / "cat.parquet"))  # every category
    assert count_daily_duckdb(tmp_path / "cat.parquet")["country"].unique().tolist() == [
        "Iraq",
        "Syria",
    ]
    # as documented: pass groups= to keep the categories and their order
    pd.testing.assert_frame_equal(
        count_daily_duckdb(tmp_path / "cat.parquet", groups=categories), expected
    )
