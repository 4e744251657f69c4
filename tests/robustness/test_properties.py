"""Properties over generated, partly garbage inputs: a result or a FlashpointError, nothing else.

Frames are built from drawn parts (dates good and bad, groups, counts), never filtered. For
each public function: any input gives a result or a :class:`flashpoint.FlashpointError`;
counts conserve events; no result holds inf; no interval has lower > estimate > upper.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import flashpoint as fp
from flashpoint.errors import FlashpointError

DAY0 = pd.Timestamp("2023-01-01")
GOOD = st.integers(0, 120).map(lambda d: (DAY0 + pd.Timedelta(days=d)).strftime("%Y-%m-%d"))
OFFSET = st.tuples(
    st.integers(0, 120), st.integers(0, 23), st.sampled_from(["+03:00", "-05:00", "Z"])
).map(lambda t: (DAY0 + pd.Timedelta(days=t[0], hours=t[1])).strftime("%Y-%m-%dT%H:%M:%S") + t[2])
BAD = st.sampled_from(
    ["", "soon", "31/12/2023", "1900-01-01", "1800-05-05", "2199-01-01", "2023-02-30", "NaT"]
)
DATES = st.one_of(GOOD, GOOD, GOOD, OFFSET, BAD, st.none(), st.integers(-5, 10**9))
LABELS = st.one_of(
    st.sampled_from(["Iraq", "Syria", "Iraq ", "IRAQ", "<script>", "", " "]),
    st.none(),
    st.integers(0, 3),
)


@st.composite
def raw_events(draw: st.DrawFn) -> pd.DataFrame:
    """Event tables as a user might hand them over: mostly dates, some garbage."""
    n = draw(st.integers(0, 25))
    return pd.DataFrame(
        {
            "date": pd.Series(draw(st.lists(DATES, min_size=n, max_size=n)), dtype=object),
            "country": pd.Series(draw(st.lists(LABELS, min_size=n, max_size=n)), dtype=object),
        }
    )


def _quiet(call: object) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call()  # type: ignore[operator]


@settings(max_examples=20)
@given(raw_events(), st.sampled_from(["raise", "quarantine"]))
def test_validate_events_gives_a_table_or_a_flashpoint_error(
    events: pd.DataFrame, on_error: str
) -> None:
    try:
        out = _quiet(lambda: fp.validate_events(events, on_error=on_error))
    except FlashpointError:
        return
    valid = out.valid if isinstance(out, fp.Quarantine) else out
    rejected = out.rejected if isinstance(out, fp.Quarantine) else events.iloc[:0]
    assert len(valid) + len(rejected) == len(events)
    assert pd.api.types.is_datetime64_dtype(valid["date"].dtype)
    assert bool((valid["date"] == valid["date"].dt.normalize()).all())
    assert bool((valid["date"] > pd.Timestamp("1900-01-01")).all())
    assert valid["country"].notna().all()


@settings(max_examples=20)
@given(raw_events(), st.sampled_from([None, "UTC", "Asia/Baghdad"]))
def test_count_daily_conserves_events_or_raises(events: pd.DataFrame, tz: str | None) -> None:
    try:
        counts = _quiet(lambda: fp.count_daily(events, tz=tz))
    except FlashpointError:
        return
    assert int(counts["count"].sum()) == len(events)
    assert bool((counts["count"] >= 0).all())
    fp.validate_counts(counts)  # zero-filled, complete calendar per group


COUNTS = st.one_of(
    st.integers(0, 5),
    st.integers(0, 5),
    st.integers(0, 10**6),
    st.sampled_from([-1, 2.5, np.nan, np.inf, "x"]),
)


@st.composite
def count_series(draw: st.DrawFn) -> pd.DataFrame:
    """A daily series: short or long, sparse or huge, sometimes with garbage counts."""
    n = draw(st.integers(1, 50))
    values = draw(st.lists(COUNTS, min_size=n, max_size=n))
    if draw(st.booleans()):
        values = [v if isinstance(v, int) else 0 for v in values]
    return pd.DataFrame(
        {"date": pd.date_range(DAY0, periods=n), "count": pd.Series(values, dtype=object)}
    )


def _finite_and_ordered(table: pd.DataFrame, est: str, lower: str, upper: str) -> None:
    numbers = table.select_dtypes("number").to_numpy(dtype=float)
    assert not np.isinf(numbers).any(), table
    both = table[[est, lower, upper]].astype(float).dropna()
    assert bool((both[lower] <= both[est] + 1e-9).all()), table
    assert bool((both[est] <= both[upper] + 1e-9).all()), table


@settings(max_examples=20)
@given(count_series(), st.integers(-10, 60), st.sampled_from(["poisson", "negbin"]))
def test_fit_its_gives_finite_ordered_intervals_or_raises(
    counts: pd.DataFrame, event_day: int, family: str
) -> None:
    event = DAY0 + pd.Timedelta(days=event_day)
    try:
        res = _quiet(lambda: fp.fit_its(counts, events=event, family=family, n_sim=40, seed=1))
    except FlashpointError:
        return
    _finite_and_ordered(res.summary(), "estimate", "ci_lower", "ci_upper")
    _finite_and_ordered(res.summary(), "rate_ratio", "rate_ratio_lower", "rate_ratio_upper")


@settings(max_examples=30)
@given(count_series(), st.sampled_from(["bayes", "pelt"]), st.integers(1, 30))
def test_detect_changepoints_gives_finite_ordered_rates_or_raises(
    counts: pd.DataFrame, method: str, min_size: int
) -> None:
    try:
        res = _quiet(lambda: fp.detect_changepoints(counts, method=method, min_size=min_size))
    except FlashpointError:
        return
    segments = res.summary()
    _finite_and_ordered(segments, "rate", "rate_lower", "rate_upper")
    assert int(segments["total"].sum()) == int(pd.to_numeric(counts["count"]).sum())
