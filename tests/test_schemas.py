"""Validation: every bad input gets a clear error naming the column, the row and the fix."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import flashpoint as fp
from flashpoint.errors import FlashpointTypeError, FlashpointValueError, SchemaValidationError


def _raises(df: pd.DataFrame, match: str, **kwargs: object) -> SchemaValidationError:
    with pytest.raises(SchemaValidationError, match=match) as info:
        fp.validate_events(df, **kwargs)  # type: ignore[call-overload]
    return info.value


# ---- valid input ---------------------------------------------------------------------------
def test_valid_events_are_converted(events: pd.DataFrame) -> None:
    out = fp.validate_events(events)
    assert pd.api.types.is_datetime64_dtype(out["date"])
    assert str(out["fatalities"].dtype) == "Int64"
    assert out["fatalities"].tolist()[:3] == [0, pd.NA, 1]
    assert list(out.index) == list(events.index)
    assert list(out.columns) == list(events.columns)


def test_validation_is_idempotent(events: pd.DataFrame) -> None:
    once = fp.validate_events(events)
    twice = fp.validate_events(once)
    pd.testing.assert_frame_equal(once, twice)


def test_validation_does_not_modify_input(events: pd.DataFrame) -> None:
    before = events.copy()
    fp.validate_events(events)
    pd.testing.assert_frame_equal(events, before)


def test_any_datetime_unit_is_accepted(events: pd.DataFrame) -> None:
    for unit in ("s", "ms", "us", "ns"):
        ev = events.assign(date=pd.to_datetime(events["date"]).astype(f"datetime64[{unit}]"))
        assert len(fp.validate_events(ev)) == 5


def test_python_date_objects_are_accepted(events: pd.DataFrame) -> None:
    ev = events.assign(date=[dt.date(2023, 11, d) for d in (20, 22, 22, 25, 21)])
    out = fp.validate_events(ev)
    assert out["date"].iloc[0] == pd.Timestamp("2023-11-20")


def test_time_of_day_moves_to_timestamp(events: pd.DataFrame) -> None:
    ev = events.assign(date=pd.to_datetime(events["date"]) + pd.Timedelta(hours=7, minutes=30))
    out = fp.validate_events(ev)
    assert (out["date"] == out["date"].dt.normalize()).all()
    assert out["timestamp"].iloc[0] == pd.Timestamp("2023-11-20 07:30")


def test_group_column_can_have_any_name() -> None:
    df = pd.DataFrame({"date": ["2006-01-01", "2006-01-02"], "type": ["IED", "SAF"]})
    out = fp.validate_events(df, by="type", categories={"type": ["IED", "SAF", "other"]})
    assert out["type"].tolist() == ["IED", "SAF"]


def test_no_group_column() -> None:
    df = pd.DataFrame({"date": ["2006-01-01", "2006-01-02"]})
    assert len(fp.validate_events(df, by=None)) == 2


@given(
    days=st.lists(st.integers(0, 3000), min_size=1, max_size=40),
    groups=st.lists(
        st.sampled_from(["Iraq", "Syria", "Jordan", "x y", "é"]), min_size=1, max_size=40
    ),
)
def test_valid_data_always_passes(days: list[int], groups: list[str]) -> None:
    n = min(len(days), len(groups))
    df = pd.DataFrame(
        {
            "date": pd.Timestamp("2010-01-01") + pd.to_timedelta(days[:n], unit="D"),
            "country": groups[:n],
        }
    )
    out = fp.validate_events(df)
    assert len(out) == n
    pd.testing.assert_frame_equal(fp.validate_events(out), out)


# ---- bad input: at least 12 kinds, each with a clear message --------------------------------
def test_bad_unparseable_date(events: pd.DataFrame) -> None:
    events.loc[2, "date"] = "not a date"
    err = _raises(events, r"unparseable date in column 'date'.*row 2: 'not a date'")
    assert "expected an ISO 8601 date" in str(err)
    assert err.failure_cases["index"].tolist() == [2]


def test_bad_future_date(events: pd.DataFrame) -> None:
    events.loc[1, "date"] = "2999-01-01"
    _raises(events, r"date in the future \(after \d{4}-\d\d-\d\d\) in 'date'.*row 1")


def test_bad_too_early_date(events: pd.DataFrame) -> None:
    events.loc[0, "date"] = "1823-11-20"
    _raises(events, r"on or before 1900-01-01 in 'date' \(1900-01-01 is the spreadsheet.*row 0")


def test_bad_missing_column(events: pd.DataFrame) -> None:
    err = _raises(events.drop(columns="country"), r"required column 'country' is missing")
    assert "columns found: event_id, date" in str(err)
    assert "rename your column" in str(err)


def test_bad_missing_group_column_hint() -> None:
    df = pd.DataFrame({"date": ["2023-01-01"], "place": ["Iraq"]})
    with pytest.raises(SchemaValidationError, match="columns found: date, place"):
        fp.validate_events(df)


def test_bad_wrong_dtype_date_column(events: pd.DataFrame) -> None:
    _raises(events.assign(date=np.arange(5)), r"column 'date' has dtype int64; expected datetime64")


def test_bad_wrong_dtype_value(events: pd.DataFrame) -> None:
    events.loc[3, "fatalities"] = "three"
    _raises(events, r"value in column 'fatalities' is not a whole number.*row 3: 'three'")


def test_bad_fractional_count_value(events: pd.DataFrame) -> None:
    events["fatalities"] = [0, 1.5, 1, 0, 2]
    _raises(events, r"not a whole number.*row 1")


def test_bad_negative_value(events: pd.DataFrame) -> None:
    events.loc[0, "fatalities"] = "-2"
    _raises(events, r"negative value in 'fatalities'; expected >= 0.*row 0: -2")


def test_bad_unknown_category(events: pd.DataFrame) -> None:
    events.loc[4, "weapon"] = "catapult"
    err = _raises(events, r"unknown category in 'weapon'.*row 4: 'catapult'")
    assert "expected one of 'drone'" in str(err)


def test_bad_unknown_group_category(events: pd.DataFrame) -> None:
    events.loc[0, "country"] = "Iran"
    _raises(
        events, r"unknown category in 'country'.*'Iran'", categories={"country": ["Iraq", "Syria"]}
    )


def test_tz_aware_column_falls_on_its_local_date(events: pd.DataFrame) -> None:
    late = pd.to_datetime(events["date"]) + pd.Timedelta(hours=23, minutes=30)
    ev = events.assign(date=late.dt.tz_localize("Asia/Baghdad"))
    local = fp.validate_events(ev)
    assert local["date"].dt.strftime("%Y-%m-%d").tolist() == events["date"].tolist()
    assert local["timestamp"].dt.strftime("%H:%M").unique().tolist() == ["23:30"]
    utc = fp.validate_events(ev, tz="UTC")  # 23:30 in Baghdad is 20:30 UTC, the same day
    assert utc["date"].tolist() == local["date"].tolist()
    tokyo = fp.validate_events(ev, tz="Asia/Tokyo")  # 05:30 the next day in Tokyo
    assert (tokyo["date"] - local["date"]).dt.days.unique().tolist() == [1]


def test_offsets_follow_one_rule_for_text_and_python_datetimes(events: pd.DataFrame) -> None:
    tz = dt.timezone(dt.timedelta(hours=-5))
    objects = [dt.datetime(2023, 11, d, 22, 0, tzinfo=tz) for d in (20, 22, 22, 25, 21)]
    text = [o.isoformat() for o in objects]  # '2023-11-20T22:00:00-05:00'
    for values in (pd.Series(objects, dtype=object), text):
        local = fp.validate_events(events.assign(date=values))
        assert local["date"].dt.day.tolist() == [20, 22, 22, 25, 21]
        utc = fp.validate_events(events.assign(date=values), tz="UTC")  # 03:00 next day
        assert utc["date"].dt.day.tolist() == [21, 23, 23, 26, 22]
        assert utc["timestamp"].dt.hour.unique().tolist() == [3]


def test_unknown_time_zone(events: pd.DataFrame) -> None:
    with pytest.raises(fp.errors.FlashpointValueError, match=r"unknown time zone tz='Mars/Base'"):
        fp.validate_events(events, tz="Mars/Base")


def test_bad_empty_frame(events: pd.DataFrame) -> None:
    _raises(events.iloc[0:0], r"the events table has no rows")


def test_bad_nan_group(events: pd.DataFrame) -> None:
    events.loc[3, "country"] = np.nan
    _raises(events, r"missing value in required column 'country'.*row 3")


def test_bad_mixed_date_formats(events: pd.DataFrame) -> None:
    events.loc[1, "date"] = "22/11/2023"
    err = _raises(events, r"mixed date formats")
    assert "row 1: '22/11/2023'" in str(err)
    assert "pd.to_datetime(..., format=...)" in str(err)


def test_bad_missing_date(events: pd.DataFrame) -> None:
    events.loc[2, "date"] = None
    _raises(events, r"missing date in 'date'.*row 2")


def test_bad_duplicate_event_id(events: pd.DataFrame) -> None:
    events.loc[3, "event_id"] = "a1"
    err = _raises(events, r"duplicate value in 'event_id' \(must be unique\).*row 3: 'a1'")
    assert err.failure_cases["index"].tolist() == [3]  # the first occurrence is kept


def test_bad_latitude_out_of_range() -> None:
    df = pd.DataFrame({"date": ["2006-01-01"], "country": ["Iraq"], "latitude": [133.2]})
    _raises(df, r"value out of range in 'latitude'")


def test_bad_not_a_dataframe() -> None:
    with pytest.raises(FlashpointTypeError, match="must be a pandas DataFrame, got list"):
        fp.validate_events([{"date": "2023-01-01"}])  # type: ignore[call-overload]


def test_bad_on_error_value(events: pd.DataFrame) -> None:
    with pytest.raises(FlashpointValueError, match="on_error must be 'raise' or 'quarantine'"):
        fp.validate_events(events, on_error="ignore")  # type: ignore[call-overload]


def test_every_failure_is_listed_at_once(events: pd.DataFrame) -> None:
    events.loc[0, "date"] = "bad"
    events.loc[1, "weapon"] = "catapult"
    events.loc[2, "country"] = None
    events.loc[3, "fatalities"] = "-1"
    err = _raises(events, "4 problem")
    assert sorted(err.failure_cases["index"].tolist()) == [0, 1, 2, 3]
    assert "on_error='quarantine'" in str(err)


def test_error_is_a_value_error(events: pd.DataFrame) -> None:
    events.loc[0, "date"] = "bad"
    with pytest.raises(ValueError, match="unparseable"):
        fp.validate_events(events)


def test_long_failure_lists_are_truncated() -> None:
    df = pd.DataFrame({"date": ["bad"] * 50, "country": ["Iraq"] * 50})
    err = _raises(df, r"\[50 row\(s\)\].*\(and 45 more\)")
    assert len(err.failure_cases) == 50


# ---- quarantine -------------------------------------------------------------------------------
def test_quarantine_returns_exactly_the_bad_rows(events: pd.DataFrame) -> None:
    events.index = [10, 11, 12, 13, 14]
    events.loc[11, "date"] = "2999-12-31"
    events.loc[13, "weapon"] = "catapult"
    events.loc[13, "fatalities"] = "-1"
    valid, rejected = fp.validate_events(events, on_error="quarantine")
    assert list(valid.index) == [10, 12, 14]
    assert list(rejected.index) == [11, 13]
    assert "date in the future" in rejected.loc[11, "reason"]
    assert "unknown category in 'weapon'" in rejected.loc[13, "reason"]
    assert "negative value -1 in 'fatalities'" in rejected.loc[13, "reason"]
    # rejected rows are returned as given, with their reason
    assert rejected.loc[13, "weapon"] == "catapult"
    assert len(valid) + len(rejected) == len(events)


def test_quarantine_of_clean_data_rejects_nothing(events: pd.DataFrame) -> None:
    valid, rejected = fp.validate_events(events, on_error="quarantine")
    assert len(valid) == 5
    assert rejected.empty
    assert "reason" in rejected.columns


def test_quarantine_still_raises_on_table_level_problems(events: pd.DataFrame) -> None:
    with pytest.raises(SchemaValidationError, match="required column 'country' is missing"):
        fp.validate_events(events.drop(columns="country"), on_error="quarantine")


@given(bad=st.sets(st.integers(0, 19), max_size=20))
def test_quarantine_partitions_rows(bad: set[int]) -> None:
    df = pd.DataFrame({"date": ["2020-01-01"] * 20, "country": ["A"] * 20})
    for i in bad:
        df.loc[i, "date"] = "garbage"
    if len(bad) == 20:
        valid, rejected = fp.validate_events(df, on_error="quarantine")
        assert valid.empty
    else:
        valid, rejected = fp.validate_events(df, on_error="quarantine")
    assert set(rejected.index) == bad
    assert set(valid.index) == set(range(20)) - bad


# ---- counts, key events, tallies --------------------------------------------------------------
def _counts(**overrides: object) -> pd.DataFrame:
    base = pd.DataFrame(
        {
            "date": list(pd.date_range("2023-11-20", periods=3)) * 2,
            "country": ["Iraq"] * 3 + ["Syria"] * 3,
            "count": [1, 0, 2, 0, 0, 1],
        }
    )
    return base.assign(**overrides)


def test_valid_counts_pass() -> None:
    out = fp.validate_counts(_counts())
    assert out["count"].dtype == np.int64


def test_bad_counts_negative() -> None:
    with pytest.raises(SchemaValidationError, match=r"negative value in 'count'.*row 2: -2"):
        fp.validate_counts(_counts(count=[1, 0, -2, 0, 0, 1]))


def test_bad_counts_duplicate_date_group() -> None:
    c = _counts()
    c.loc[1, "date"] = c.loc[0, "date"]
    with pytest.raises(SchemaValidationError, match=r"duplicate \(date, country\) row.*row 1"):
        fp.validate_counts(c)


def test_bad_counts_gap_in_calendar() -> None:
    c = _counts().drop(index=1)
    with pytest.raises(
        SchemaValidationError,
        match=r"gap in the calendar after this date.*row 0: date=2023-11-20, country=Iraq",
    ):
        fp.validate_counts(c)


def test_bad_counts_not_integer() -> None:
    with pytest.raises(SchemaValidationError, match=r"not a whole number"):
        fp.validate_counts(_counts(count=[1, 0, 2.5, 0, 0, 1]))


def test_counts_other_frequency() -> None:
    c = pd.DataFrame(
        {"date": pd.date_range("2023-01-01", periods=4, freq="MS"), "count": [1, 2, 3, 4]}
    )
    assert len(fp.validate_counts(c, by=None, freq="MS")) == 4
    with pytest.raises(SchemaValidationError, match="gap"):
        fp.validate_counts(c.drop(index=1), by=None, freq="MS")


def test_key_events_end_before_start() -> None:
    ke = pd.DataFrame(
        {"date": ["2023-11-24"], "end": ["2023-11-20"], "kind": ["truce"], "label": ["truce"]}
    )
    with pytest.raises(SchemaValidationError, match="'end' is before 'date'"):
        fp.validate_key_events(ke)


def test_key_events_need_label() -> None:
    ke = pd.DataFrame({"date": ["2023-11-24"], "kind": ["truce"]})
    with pytest.raises(SchemaValidationError, match="required column 'label' is missing"):
        fp.validate_key_events(ke)


def test_tallies_unknown_qualifier() -> None:
    t = pd.DataFrame(
        {"as_of_date": ["2023-11-23"], "total": [73], "qualifier": ["roughly"], "official": [True]}
    )
    with pytest.raises(SchemaValidationError, match=r"unknown category in 'qualifier'.*'roughly'"):
        fp.validate_tallies(t)


def test_tallies_bad_official_flag() -> None:
    t = pd.DataFrame(
        {"as_of_date": ["2023-11-23"], "total": [73], "qualifier": ["exact"], "official": ["maybe"]}
    )
    with pytest.raises(
        SchemaValidationError, match=r"value in column 'official' is not True/False.*row 0: 'maybe'"
    ):
        fp.validate_tallies(t)


def test_outlying_dates_are_only_the_few_far_away_ones() -> None:
    from flashpoint.schemas._dates import outlying_days

    def days(*dates: str) -> np.ndarray:
        return pd.to_datetime(list(dates)).to_numpy().astype("datetime64[D]").view("int64")

    year = [f"2023-{m:02d}-{d:02d}" for m in range(1, 13) for d in (1, 15)]
    assert outlying_days(days("1923-05-01", *year)).tolist() == [True] + [False] * 24
    strays = ["2123-05-01", "2124-01-01"]
    assert not outlying_days(days(*year, *strays)).any()  # 2 of 26 rows: more than 1%
    assert outlying_days(days(*(year * 9), *strays)).sum() == 2  # 2 of 218 rows: 1% at most
    two_campaigns = [d.replace("2023", "2010") for d in year] + year
    assert not outlying_days(days(*two_campaigns)).any()  # half the rows on each side
    assert not outlying_days(days("1950-01-01", "2023-01-01", "2023-02-01")).any()  # too few
    assert not outlying_days(days("2019-06-01", *year)).any()  # the calendar grows < 10x


def test_plain_iso_days_take_the_fast_path_and_agree_with_the_general_parser():
    from flashpoint.schemas._dates import _parse_general, parse_text_dates

    mixed = pd.Series(
        ["2023-11-01", "2023-11-02T23:30:00+03:00", None, "2023-13-01", "2023-11-03 10:00",
         "not a date", "2023-11-04"],
        dtype="str",
    )  # fmt: skip
    fast = parse_text_dates(mixed, None)
    general = _parse_general(mixed.astype(object), None)
    pd.testing.assert_series_equal(fast, general)
    assert str(fast.iloc[1].date()) == "2023-11-02"  # the local date as written
    assert fast.iloc[[2, 3, 5]].isna().all()
