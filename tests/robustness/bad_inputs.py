"""A table of deliberately bad inputs to the public API and the CLI, and how each must end.

Each :class:`Case` names a call and what it must give:

- ``kind="raises"``: a :class:`flashpoint.errors.FlashpointError` of class ``expect`` whose
  message matches ``match`` (a regular expression naming the argument, column or rows);
- ``kind="warns"``: a result, with a warning of class ``expect`` matching ``match`` (and
  ``check(result)`` true when given);
- ``kind="returns"``: a correct result (``check(result)`` true): bad-looking input that has a
  documented meaning (a UTC offset, a window longer than the data);
- ``kind="cli"``: ``flashpoint ...`` exits with status 2, prints a message matching ``match``
  and no traceback (and ``check`` of the run holds, e.g. the input file is byte-identical).

:func:`classify` runs a case and names its outcome (see :data:`OUTCOMES`); the tests assert
the wanted one, and ``python tests/robustness/outcomes.py`` tabulates them (also against
another checkout of ``src``). Data are small, simulated and seeded; nothing allocates more
than a few megabytes (memory guards are tested with a small budget, :func:`budget`).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import flashpoint as fp
from flashpoint import errors as fe

OUTCOMES = (
    "clear error",
    "clear warning",
    "correct result",
    "misleading message",
    "other exception",
    "silent wrong",
    "hang or memory",
)
"""How a case can end; the first three are the wanted ones."""
WANTED = {"raises": "clear error", "cli": "clear error", "warns": "clear warning"}
TEST_BUDGET = 50_000_000
"""Memory budget (bytes) while a case runs: no case may allocate more."""


@dataclass(frozen=True)
class Case:
    """One bad input and how it must end."""

    id: str
    call: Callable[[], Any]
    kind: str
    expect: type[BaseException] | type[Warning] | None = None
    match: str = ""
    check: Callable[[Any], bool] | None = None
    xfail: str | None = None
    notes: str = field(default="", compare=False)

    @property
    def wanted(self) -> str:
        """The outcome this case must have."""
        return WANTED.get(self.kind, "correct result")


@dataclass(frozen=True)
class CliRun:
    """Exit status and output of one ``flashpoint`` run."""

    code: int
    out: str
    err: str
    after: bool = True  # the check made after the run (e.g. the input is unchanged)


# --------------------------------------------------------------------------------------------
# Helpers: temporary files, small simulated data, a small memory budget
# --------------------------------------------------------------------------------------------
_TMP: list[Path] = []


def tmpdir() -> Path:
    """A fresh folder, removed when the process exits."""
    path = Path(tempfile.mkdtemp(prefix="fp-robust-"))
    _TMP.append(path)
    return path


@atexit.register
def _cleanup() -> None:  # pragma: no cover - runs at exit
    for path in _TMP:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def budget(n_bytes: int) -> Iterator[None]:
    """Set the memory budget of flashpoint's guards while the block runs."""
    try:
        from flashpoint import limits
    except ImportError:  # an older flashpoint, without memory guards
        yield
        return
    old = limits.MAX_BYTES
    limits.MAX_BYTES = n_bytes
    try:
        yield
    finally:
        limits.MAX_BYTES = old


def events(
    n: int = 60, *, groups: Sequence[str] = ("Iraq", "Syria"), days: int = 60, seed: int = 0
) -> pd.DataFrame:
    """Simulated events (not real data) with typed dates."""
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.integers(0, days, size=n))
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(offsets, unit="D"),
            "country": rng.choice(list(groups), size=n),
        }
    )


def raw(n: int = 12, **columns: Any) -> pd.DataFrame:
    """Raw events as read from a CSV file (text dates), with columns overridden."""
    base = pd.DataFrame(
        {
            "date": [f"2023-11-{d:02d}" for d in range(1, n + 1)],
            "country": ["Iraq", "Syria"] * (n // 2) + ["Iraq"] * (n % 2),
        }
    )
    return base.assign(**columns)


def counts(days: int = 60, *, seed: int = 1, rate: float = 2.0) -> pd.DataFrame:
    """Simulated daily counts of one group."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "date": pd.date_range("2023-01-01", periods=days),
            "count": rng.poisson(rate, size=days).astype("int64"),
        }
    )


def csv(text: str, name: str = "events.csv", encoding: str = "utf-8") -> Path:
    """A file with this content."""
    path = tmpdir() / name
    path.write_bytes(text.encode(encoding))
    return path


def tallies(**columns: Any) -> pd.DataFrame:
    base = pd.DataFrame(
        {
            "as_of_date": ["2023-11-01", "2023-11-05", "2023-11-09"],
            "total": [10, 17, 21],
            "qualifier": ["exact"] * 3,
            "official": [True] * 3,
        }
    )
    return base.assign(**columns)


def cli(argv: Sequence[str], after: Callable[[], bool] | None = None) -> CliRun:
    """Run ``flashpoint <argv>`` in process, capturing its output."""
    from flashpoint.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    return CliRun(code, out.getvalue(), err.getvalue(), after() if after else True)


def unchanged(path: Path) -> Callable[[], bool]:
    """A check that ``path`` still holds what it holds now."""
    before = path.read_bytes()
    return lambda: path.exists() and path.read_bytes() == before


def days_of(frame: pd.DataFrame) -> list[str]:
    return frame["date"].dt.strftime("%Y-%m-%d").tolist()


# --------------------------------------------------------------------------------------------
# Running a case
# --------------------------------------------------------------------------------------------
def classify(case: Case) -> tuple[str, str]:
    """Run ``case``; return its outcome (one of :data:`OUTCOMES`) and a description."""
    with warnings.catch_warnings(record=True) as caught, budget(TEST_BUDGET):
        warnings.simplefilter("always")
        try:
            result = case.call()
        except MemoryError as err:
            return "hang or memory", f"MemoryError: {err}"
        except fe.FlashpointError as err:
            return _judge_error(case, err)
        except Exception as err:
            return "other exception", f"{type(err).__name__}: {err}"
    if case.kind == "cli":
        return _judge_cli(case, result)
    if case.kind == "raises":
        return "silent wrong", f"returned {type(result).__name__} without an error"
    if case.kind == "warns":
        hits = [
            w
            for w in caught
            if case.expect is not None
            and issubclass(w.category, case.expect)
            and re.search(case.match, str(w.message), re.S)
        ]
        if not hits:
            seen = [f"{w.category.__name__}: {str(w.message)[:120]}" for w in caught]
            return "silent wrong", f"no matching warning; warnings: {seen}"
    if case.check is not None and not case.check(result):
        return "silent wrong", f"the result fails its check: {str(result)[:300]}"
    return ("clear warning" if case.kind == "warns" else "correct result"), ""


def _judge_error(case: Case, err: BaseException) -> tuple[str, str]:
    text = f"{type(err).__name__}: {err}"
    if isinstance(err, _error_class("MemoryBudgetError")) and case.kind != "raises":
        return "hang or memory", text
    if case.kind != "raises":
        return "misleading message", f"refused input with a documented meaning: {text}"
    if case.expect is not None and not isinstance(err, case.expect):
        return "misleading message", f"expected {case.expect.__name__}, got {text}"
    if not re.search(case.match, str(err), re.S):
        return "misleading message", f"message does not match {case.match!r}: {text}"
    return "clear error", ""


def _judge_cli(case: Case, run: CliRun) -> tuple[str, str]:
    text = f"exit {run.code}; stderr: {run.err[-600:]}"
    if "Traceback" in run.err or run.code == 1:
        return "other exception", text
    if run.code == 0:
        return "silent wrong", text + ("" if run.after else " (and the file was changed)")
    if not run.after:
        return "silent wrong", text + " (the check after the run failed)"
    if run.code != 2 or not re.search(case.match, run.err, re.S):
        return "misleading message", text
    return "clear error", ""


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------
def _r(
    id: str, call: Callable[[], Any], expect: type[BaseException], match: str, **kw: Any
) -> Case:
    return Case(id, call, "raises", expect, match, **kw)


def _w(id: str, call: Callable[[], Any], expect: type[Warning], match: str, **kw: Any) -> Case:
    return Case(id, call, "warns", expect, match, **kw)


def _ok(id: str, call: Callable[[], Any], check: Callable[[Any], bool], **kw: Any) -> Case:
    return Case(id, call, "returns", None, "", check, **kw)


def _cli(id: str, call: Callable[[], CliRun], match: str, **kw: Any) -> Case:
    return Case(id, call, "cli", None, match, **kw)


def _warning_class(name: str) -> type[Warning]:
    """A warning class of flashpoint (a stand-in that is never raised, for older versions)."""
    return getattr(fe, name, None) or type(name, (fe.FlashpointWarning,), {})


def _error_class(name: str) -> type[BaseException]:
    """An error class of flashpoint (a stand-in that is never raised, for older versions)."""
    return getattr(fe, name, None) or type(name, (fe.FlashpointError,), {})


SVE = fe.SchemaValidationError
FVE = fe.FlashpointValueError
FTE = fe.FlashpointTypeError
FFE = fe.FileFormatError


def _validation_cases() -> list[Case]:
    v = fp.validate_events
    offsets = ["2023-11-01T23:30:00+03:00", "2023-11-01T23:30:00-05:00", "2023-11-02"]
    return [
        _r("validate/not-a-frame", lambda: v([("2023-11-01", "Iraq")]), FTE, "must be a pandas"),
        _r("validate/empty-frame", lambda: v(raw().iloc[:0]), SVE, "has no rows"),
        _r(
            "validate/no-date-column",
            lambda: v(raw().drop(columns="date")),
            SVE,
            r"required column 'date' is missing",
        ),
        _r(
            "validate/no-group-column",
            lambda: v(raw().drop(columns="country")),
            SVE,
            r"required column 'country' is missing.*columns found",
        ),
        _r("validate/all-none-dates", lambda: v(raw(date=None)), SVE, r"missing date in 'date'"),
        _r(
            "validate/all-nan-float-dates",
            lambda: v(raw(date=np.nan)),
            SVE,
            r"missing date in 'date'",
        ),
        _r(
            "validate/unparseable-date",
            lambda: v(raw(3, date=["2023-11-01", "soon", "x"])),
            SVE,
            r"unparseable date in column 'date'.*row 1: 'soon'",
        ),
        _r(
            "validate/mixed-formats",
            lambda: v(raw(2, date=["2023-11-01", "22/11/2023"])),
            SVE,
            "mixed date formats",
        ),
        _r(
            "validate/number-dates",
            lambda: v(raw(2, date=[20231122, 20231123])),
            SVE,
            r"dtype int64; expected datetime64.*format='%Y%m%d'",
        ),
        _r("validate/bool-dates", lambda: v(raw(2, date=[True, False])), SVE, "dtype bool"),
        _r(
            "validate/placeholder-1900",
            lambda: v(raw(12, date=["1900-01-01"] + ["2023-11-01"] * 11)),
            SVE,
            r"on or before 1900-01-01.*placeholder.*row 0",
        ),
        _r(
            "validate/year-1823",
            lambda: v(raw(2, date=["1823-11-01", "2023-11-01"])),
            SVE,
            r"before 1900-01-01.*row 0",
        ),
        _r(
            "validate/future-2199",
            lambda: v(raw(2, date=["2199-11-01", "2023-11-01"])),
            SVE,
            r"date in the future.*row 0",
        ),
        _r(
            "validate/min-after-max",
            lambda: v(raw(), min_date="2024-01-01", max_date="2023-01-01"),
            FVE,
            "is after max_date",
        ),
        _r(
            "validate/min-date-number",
            lambda: v(raw(), min_date=20000101),
            FTE,
            r"min_date=20000101 is a number",
        ),
        _r(
            "validate/min-date-garbage",
            lambda: v(raw(), min_date="long ago"),
            FVE,
            "cannot read min_date='long ago'",
        ),
        _r("validate/tz-unknown", lambda: v(raw(), tz="Mars/Base"), FVE, "unknown time zone"),
        _r("validate/tz-number", lambda: v(raw(), tz=3), FTE, "tz must be a time zone"),
        _r(
            "validate/on-error-bogus",
            lambda: v(raw(), on_error="ignore"),
            FVE,
            "on_error must be 'raise' or 'quarantine'",
        ),
        _r(
            "validate/by-list",
            lambda: v(raw(), by=["country", "site"]),
            FTE,
            "by must be the name of the group column",
        ),
        _r(
            "validate/by-typed-column",
            lambda: v(raw(weapon="drone"), by="weapon"),
            FVE,
            "names a typed event column",
        ),
        _r(
            "validate/categories-list",
            lambda: v(raw(), categories=["Iraq"]),
            FTE,
            "categories must be a mapping",
        ),
        _r(
            "validate/categories-string",
            lambda: v(raw(), categories={"country": "Iraq"}),
            FTE,
            r"categories\['country'\] must be a collection",
        ),
        _r(
            "validate/negative-fatalities",
            lambda: v(raw(2, fatalities=["-3", "1"])),
            SVE,
            r"negative value.*'fatalities'.*row 0",
        ),
        _r(
            "validate/fractional-fatalities",
            lambda: v(raw(2, fatalities=[1.5, 2.0])),
            SVE,
            "not a whole number",
        ),
        _r(
            "validate/inf-fatalities",
            lambda: v(raw(2, fatalities=[np.inf, 1.0])),
            SVE,
            "infinite value in column 'fatalities'",
        ),
        _r(
            "validate/text-fatalities",
            lambda: v(raw(2, fatalities=["many", "1"])),
            SVE,
            r"column 'fatalities' is not a whole number.*row 0: 'many'",
        ),
        _r(
            "validate/latitude-out-of-range",
            lambda: v(raw(2, latitude=[200.0, 33.0])),
            SVE,
            r"out of range in 'latitude'",
        ),
        _r(
            "validate/unknown-weapon",
            lambda: v(raw(2, weapon=["tank", "drone"])),
            SVE,
            r"unknown category in 'weapon'.*'tank'",
        ),
        _r(
            "validate/duplicate-event-id",
            lambda: v(raw(2, event_id=["a", "a"])),
            SVE,
            r"duplicate value in 'event_id'.*row 1: 'a'",
        ),
        _r(
            "validate/missing-groups",
            lambda: v(raw(2, country=[None, "Iraq"])),
            SVE,
            r"missing value in required column 'country'.*row 0",
        ),
        _ok(
            "validate/utc-offsets-local-date",
            lambda: v(raw(3, date=offsets)),
            lambda r: days_of(r) == ["2023-11-01", "2023-11-01", "2023-11-02"],
        ),
        _ok(
            "validate/utc-offsets-converted",
            lambda: v(raw(3, date=offsets), tz="UTC"),
            lambda r: days_of(r) == ["2023-11-01", "2023-11-02", "2023-11-02"],
        ),
        _ok(
            "validate/tz-aware-column",
            lambda: v(
                raw(3, date=pd.to_datetime(["2023-11-01 23:30"] * 3).tz_localize("Asia/Baghdad")),
                tz="UTC",
            ),
            lambda r: days_of(r) == ["2023-11-01"] * 3,
        ),
        _w(
            "validate/outlying-year",
            lambda: v(raw(20, date=["1901-01-01"] + [f"2023-11-{d:02d}" for d in range(1, 20)])),
            fe.DataQualityWarning,
            r"1 event date\(s\) lie far outside.*row 0: 1901-01-01",
        ),
        _w(
            "validate/near-duplicate-labels",
            lambda: v(raw(3, country=["Iraq", "Iraq ", "IRAQ"])),
            fe.DataQualityWarning,
            r"differ only in case or spaces.*'IRAQ', 'Iraq', 'Iraq '",
        ),
        _ok(
            "validate/normalize-labels",
            lambda: v(raw(3, country=["Iraq", "Iraq ", "IRAQ"]), normalize_labels=True),
            lambda r: r["country"].tolist() == ["Iraq"] * 3,
        ),
        _ok(
            "validate/quarantine-conserves-rows",
            lambda: v(raw(4, date=["2023-11-01", "x", None, "1800-01-01"]), on_error="quarantine"),
            lambda q: (
                len(q.valid) + len(q.rejected) == 4 and q.rejected["reason"].str.len().gt(0).all()
            ),
        ),
    ]


def _reading_cases() -> list[Case]:
    r = fp.read_events
    good = "date,country\n2023-11-01,Iraq\n2023-11-02,Syria\n"
    return [
        _r(
            "read/missing-file",
            lambda: r(tmpdir() / "nope.csv"),
            _error_class("InputFileNotFoundError"),
            "no such file",
        ),
        _r("read/folder", lambda: r(tmpdir()), FFE, "is a folder"),
        _r("read/xlsx-suffix", lambda: r(csv(good, "events.xlsx")), FFE, "expected a CSV file"),
        _r(
            "read/binary", lambda: r(csv("date\x00country\n", "events.csv")), FFE, "not a text file"
        ),
        _r(
            "read/latin-1",
            lambda: r(csv("date,country\n2023-11-01,Bağdad\n", encoding="cp1254")),
            FFE,
            "is not UTF-8",
        ),
        _r("read/empty-file", lambda: r(csv("")), FFE, "cannot parse"),
        _r("read/header-only", lambda: r(csv("date,country\n")), SVE, "has no rows"),
        _r("read/csv-named-parquet", lambda: r(csv(good, "events.parquet")), FFE, "as Parquet"),
        _r("read/not-a-path", lambda: r(42), FTE, "file path or a DataFrame"),
        _r(
            "read/date-column-missing",
            lambda: r(csv(good), date="when"),
            FVE,
            r"no column\(s\) \['when'\]",
        ),
        _r(
            "read/date-format-bad-directive",
            lambda: r(raw(), date_format="%Q"),
            FVE,
            "not a valid strftime format",
        ),
        _r(
            "read/date-format-matches-nothing",
            lambda: r(raw(), date_format="%d/%m/%Y"),
            FVE,
            "no date matches date_format",
        ),
        _r(
            "read/date-format-number",
            lambda: r(raw(), date_format=5),
            FTE,
            "date_format= must be a strftime format",
        ),
        _r("read/columns-list", lambda: r(raw(), columns=["country"]), FTE, "columns= must map"),
        _r(
            "read/rename-onto-existing",
            lambda: r(raw(site="x", place="y"), columns={"place": "site"}),
            FVE,
            r"already has column\(s\) \['site'\]",
        ),
        _r(
            "read/two-date-columns",
            lambda: r(raw(when="2023-11-01"), date="when"),
            FVE,
            r"already has column\(s\) \['date'\]|has both 'when' and 'date'",
        ),
        _r(
            "read/two-renames-one-target",
            lambda: r(raw(a="1", b="2"), columns={"a": "notes", "b": "notes"}),
            FVE,
            r"several columns would be renamed to \['notes'\]",
        ),
        _r("read/group-number", lambda: r(raw(), by=3), fe.FlashpointError, r"by=|\[3\]"),
        _ok(
            "read/csv-with-offsets",
            lambda: r(
                csv("date,country\n2023-11-01T23:30:00+03:00,Iraq\n2023-11-01T22:00:00Z,Iraq\n")
            ),
            lambda e: days_of(e) == ["2023-11-01", "2023-11-01"],
        ),
        _ok(
            "read/date-format-with-offsets",
            lambda: r(
                raw(2, date=["01/11/2023 23:30 +0300", "01/11/2023 23:30 -0500"]),
                date_format="%d/%m/%Y %H:%M %z",
                tz="UTC",
            ),
            lambda e: days_of(e) == ["2023-11-01", "2023-11-02"],
        ),
    ]


def _acled() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_date": ["2023-11-21", "21 November 2023"],
            "country": ["Iraq", "Syria"],
            "event_type": ["Explosions/Remote violence"] * 2,
        }
    )


def _ged() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["1", "2"],
            "country": ["Iraq", "Syria"],
            "date_start": ["2023-11-20", "2023-11-21"],
            "date_end": ["2023-11-20", "2023-11-23"],
            "best": ["2", "4"],
            "low": ["2", "3"],
            "high": ["2", "6"],
        }
    )


def _long_spans() -> pd.DataFrame:
    """400 GED events spanning 1940-2023 each: 12 million event-days when spread."""
    return pd.DataFrame(
        {
            "id": [str(i) for i in range(400)],
            "country": "Iraq",
            "date_start": "1940-01-01",
            "date_end": "2023-11-20",
            "best": "1",
        }
    )


def _gdelt() -> pd.DataFrame:
    rec = dict.fromkeys(fp.sources.gdelt.GDELT_EVENT_COLUMNS, "")
    return pd.DataFrame(
        [
            rec
            | {
                "GLOBALEVENTID": "1",
                "SQLDATE": "20231121",
                "EventRootCode": "19",
                "ActionGeo_CountryCode": "IZ",
                "DATEADDED": "20231121223000",
            },
            rec
            | {
                "GLOBALEVENTID": "2",
                "SQLDATE": "20231121",
                "EventRootCode": "18",
                "ActionGeo_CountryCode": "SY",
                "DATEADDED": "20231121100000",
            },
        ]
    )


def _format_cases() -> list[Case]:
    ra, ru, rg = fp.read_acled, fp.read_ucdp_ged, fp.read_gdelt_events
    return [
        _r("acled/not-acled", lambda: ra(raw()), FVE, r"no column\(s\) \['event_date'\].*ACLED"),
        _r(
            "acled/bad-date-style",
            lambda: ra(_acled().assign(event_date=["11/21/2023", "x"])),
            SVE,
            "matches neither ACLED date style",
        ),
        _r(
            "acled/filter-matches-nothing",
            lambda: ra(_acled(), countries="Irak"),
            FVE,
            r"no row of the DataFrame matches countries=\['Irak'\]",
        ),
        _r(
            "acled/filter-float",
            lambda: ra(_acled(), event_types=3.5),
            FTE,
            "event_types= must be a value or a list",
        ),
        _r("acled/filter-empty", lambda: ra(_acled(), countries=[]), FVE, "countries= is empty"),
        _r("acled/group-number", lambda: ra(_acled(), by=1), FTE, "by= must be the name"),
        _r(
            "acled/duplicated-index",
            lambda: ra(pd.concat([_acled(), _acled()])),
            FVE,
            "unique index",
        ),
        _r(
            "ucdp/end-before-start",
            lambda: ru(_ged().assign(date_end=["2023-11-19", "2023-11-23"])),
            SVE,
            r"date_end is before date_start.*row 0: '2023-11-20..2023-11-19'",
        ),
        _r(
            "ucdp/best-outside-range",
            lambda: ru(_ged().assign(best=["9", "4"])),
            SVE,
            r"best estimate is outside \[low, high\].*row 0",
        ),
        _r(
            "ucdp/negative-deaths",
            lambda: ru(_ged().assign(best=["-1", "4"], low=["-1", "3"])),
            SVE,
            r"is not a whole number >= 0",
        ),
        _r(
            "ucdp/multi-day-bogus",
            lambda: ru(_ged(), multi_day="all"),
            FVE,
            "multi_day must be 'first'",
        ),
        _r(
            "ucdp/end-in-the-future",
            lambda: ru(_ged().assign(date_end=["2203-11-20", "2023-11-23"])),
            SVE,
            r"date_end is in the future.*row 0: '2203-11-20'",
        ),
        _r(
            "ucdp/spread-over-centuries",
            lambda: ru(_long_spans(), multi_day="spread"),
            _error_class("MemoryBudgetError"),
            r"multi_day='spread' of 400 events into 12,\d{3},\d{3} event-days.*multi_day='first'",
        ),
        _r(
            "ucdp/violence-type-4",
            lambda: ru(_ged(), types_of_violence=4),
            FVE,
            "types_of_violence must be among 1",
        ),
        _ok(
            "ucdp/offsets-local-date",
            lambda: ru(
                _ged().assign(
                    date_start=["2023-11-20T23:00:00+03:00", "2023-11-21"],
                    date_end=["2023-11-20T23:00:00+03:00", "2023-11-23"],
                )
            ),
            lambda e: days_of(e) == ["2023-11-20", "2023-11-21"],
        ),
        _r(
            "gdelt/root-code-25",
            lambda: rg(_gdelt(), root_codes=25),
            FVE,
            "root_codes must be CAMEO root codes 1-20",
        ),
        _r(
            "gdelt/date-column-bogus",
            lambda: rg(_gdelt(), date_column="Day"),
            FVE,
            "date_column must be 'SQLDATE'",
        ),
        _r("gdelt/empty-list", lambda: rg([]), FVE, "no GDELT files given"),
        _r(
            "gdelt/gkg-file",
            lambda: rg(csv("\t".join(["x"] * 27) + "\n", "a.gkg.csv")),
            FFE,
            "GDELT 2.1 GKG file",
        ),
        _r(
            "gdelt/bad-sqldate",
            lambda: rg(_gdelt().assign(SQLDATE=["2023-11-21", "20231121"])),
            SVE,
            "is not a YYYYMMDD date",
        ),
        _ok(
            "gdelt/dateadded-in-a-zone",
            lambda: rg(_gdelt(), date_column="DATEADDED", tz="Asia/Baghdad"),
            lambda e: days_of(e) == ["2023-11-22", "2023-11-21"],
        ),
    ]


def _many_groups(n_groups: int, *, days: int) -> pd.DataFrame:
    labels = [f"g{i:04d}" for i in range(n_groups)]
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(np.arange(n_groups) % days, "D"),
            "country": labels,
        }
    )


def _with_stray_year() -> pd.DataFrame:
    ev = events(1000, groups=[f"g{i}" for i in range(200)], days=365)
    ev.loc[17, "date"] = pd.Timestamp("1901-03-05")
    return ev


def _counting_cases() -> list[Case]:
    c = fp.count_daily
    return [
        _r("count/not-a-frame", lambda: c(events().to_dict()), FTE, "events must be a pandas"),
        _r(
            "count/by-missing",
            lambda: c(events(), by="region"),
            FVE,
            r"missing column\(s\) \['region'\].*pass by=",
        ),
        _r("count/by-list", lambda: c(events(), by=["country"]), FTE, "by must be the name"),
        _r(
            "count/nat-dates",
            lambda: c(events().assign(date=events()["date"].where(events().index > 2))),
            FVE,
            r"missing dates in 'date' \(rows \[0, 1, 2\]\)",
        ),
        _r(
            "count/typed-1800",
            lambda: c(
                events().assign(
                    date=events()["date"].mask(events().index == 3, pd.Timestamp("1800-01-01"))
                )
            ),
            FVE,
            r"implausible dates.*row 3: 1800-01-01",
        ),
        _r(
            "count/typed-1900-placeholder",
            lambda: c(
                events().assign(
                    date=events()["date"].mask(events().index == 0, pd.Timestamp("1900-01-01"))
                )
            ),
            FVE,
            r"implausible dates.*placeholder",
        ),
        _ok(
            "count/typed-future-simulated",
            lambda: c(
                events().assign(date=lambda e: e["date"] + pd.Timedelta(days=365 * 30)), by=None
            ),
            lambda r: int(r["count"].sum()) == 60,
        ),
        _r(
            "count/stray-year-stretches-calendar",
            lambda: c(_with_stray_year()),
            FVE,
            r"1 event date\(s\) lie far outside.*row 17: 1901-03-05.*start=",
        ),
        _ok(
            "count/stray-year-with-start",
            lambda: c(_with_stray_year(), start="2023-01-01"),
            lambda r: r["date"].min() == pd.Timestamp("2023-01-01") and r["count"].sum() == 999,
        ),
        _r(
            "count/many-groups-long-window",
            lambda: c(_many_groups(2000, days=365), start="1901-01-01", end="2023-12-31"),
            _error_class("MemoryBudgetError"),
            r"44,925 days.*2,000 group\(s\).*4\.3 GB.*start=/end=",
        ),
        _r(
            "count/end-before-start",
            lambda: c(events(), start="2023-03-01", end="2023-01-01"),
            FVE,
            r"end \(2023-01-01\) is before start \(2023-03-01\)",
        ),
        _r(
            "count/start-number",
            lambda: c(events(), start=20230101),
            FTE,
            "start=20230101 is a number, not a date",
        ),
        _r(
            "count/start-garbage",
            lambda: c(events(), start="last spring"),
            FVE,
            "cannot read (start=)?'last spring'",
        ),
        _r(
            "count/groups-string",
            lambda: c(events(), groups="Iraq"),
            FTE,
            r"groups= must be a list.*groups=\['Iraq'\]",
        ),
        _r(
            "count/groups-duplicated",
            lambda: c(events(), groups=["Iraq", "Iraq", "Syria"]),
            FVE,
            "groups= has duplicates",
        ),
        _r(
            "count/unlisted-group",
            lambda: c(events(), groups=["Iraq"]),
            FVE,
            r"not listed in groups=: \['Syria'\]",
        ),
        _r(
            "count/empty-typed-no-window",
            lambda: c(events().iloc[:0]),
            FVE,
            "no events and no start/end",
        ),
        _r(
            "count/missing-group-values",
            lambda: c(events().assign(country=events()["country"].where(events().index > 0))),
            FVE,
            r"missing values in group column 'country' \(rows \[0\]\)",
        ),
        _w(
            "count/near-duplicate-labels",
            lambda: c(events().assign(country=["Iraq", "iraq "] * 30)),
            fe.DataQualityWarning,
            r"'Iraq', 'iraq '",
        ),
        _ok(
            "count/unsorted-duplicated-dates",
            lambda: c(pd.concat([events(), events()]).iloc[::-1]),
            lambda r: int(r["count"].sum()) == 120,
        ),
        _ok(
            "count/one-day",
            lambda: c(events().iloc[:1]),
            lambda r: len(r) == 1 and int(r["count"].iloc[0]) == 1,
        ),
        _ok(
            "count/window-longer-than-data",
            lambda: c(events(), start="2022-01-01", end="2024-12-31"),
            lambda r: len(r) == 2 * 1096 and int(r["count"].sum()) == 60,
        ),
        _ok(
            "count/tz-aware-column",
            lambda: c(
                pd.DataFrame(
                    {
                        "date": pd.to_datetime(["2023-11-01 23:30"]).tz_localize("Asia/Baghdad"),
                        "country": ["Iraq"],
                    }
                )
            ),
            lambda r: days_of(r) == ["2023-11-01"],
        ),
        _ok(
            "count/offset-strings-tz",
            lambda: c(
                raw(2, date=["2023-11-01T23:30:00+03:00", "2023-11-01T23:30:00-05:00"]),
                by=None,
                tz="Asia/Baghdad",
            ),
            lambda r: r["count"].tolist() == [1, 1] and days_of(r)[0] == "2023-11-01",
        ),
    ]


def _cd() -> pd.DataFrame:
    return fp.count_daily(events())


def _holes() -> pd.DataFrame:
    """50,000 groups with one date each: a wide table of 1,250 x 50,000 cells, mostly holes."""
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(np.arange(50_000) // 40, "D"),
            "country": [f"g{i}" for i in range(50_000)],
            "count": 1,
        }
    )


def _reshape_cases() -> list[Case]:
    return [
        _r(
            "wide/duplicates",
            lambda: fp.to_wide(pd.concat([_cd(), _cd()])),
            FVE,
            r"repeat a \(date, country\) pair",
        ),
        _r(
            "wide/holes-would-blow-up",
            lambda: fp.to_wide(_holes()),
            FVE,
            r"not on a complete calendar.*holes",
        ),
        _r("wide/not-a-frame", lambda: fp.to_wide([1, 2]), FTE, "counts must be a pandas"),
        _r(
            "wide/two-group-candidates",
            lambda: fp.to_wide(_cd().assign(site="x")),
            FVE,
            "cannot tell the group column",
        ),
        _r(
            "wide/no-count-column",
            lambda: fp.to_wide(_cd().drop(columns="count")),
            FVE,
            "has no 'count' column",
        ),
        _r(
            "resample/freq-number",
            lambda: fp.resample(_cd(), freq=7),
            fe.FlashpointError,
            "freq must be a period|frequency 7",
        ),
        _r(
            "resample/freq-unknown",
            lambda: fp.resample(_cd(), freq="fortnight"),
            FVE,
            "unknown resampling frequency 'fortnight'",
        ),
        _r(
            "resample/text-dates",
            lambda: fp.resample(_cd().assign(date=_cd()["date"].astype(str))),
            FVE,
            "'date' must be datetime64",
        ),
        _r(
            "cumulative/start-garbage",
            lambda: fp.cumulative(_cd(), start="nope"),
            FVE,
            "cannot read start='nope'",
        ),
        _r(
            "cumulative/total-collides",
            lambda: fp.cumulative(_cd(), total="Iraq"),
            FVE,
            "total='Iraq' is already a group",
        ),
        _r(
            "rolling/window-zero",
            lambda: fp.rolling_mean(_cd(), window=0),
            FVE,
            "window must be a positive integer",
        ),
        _r(
            "rolling/window-bool",
            lambda: fp.rolling_mean(_cd(), window=True),
            FVE,
            "window must be a positive integer",
        ),
        _r(
            "rolling/window-float",
            lambda: fp.rolling_mean(_cd(), window=2.5),
            FVE,
            "window must be a positive integer",
        ),
        _r(
            "counts/negative",
            lambda: fp.validate_counts(counts().assign(count=-1), by=None),
            SVE,
            "negative value",
        ),
        _r(
            "counts/strings",
            lambda: fp.validate_counts(counts().assign(count="x"), by=None),
            SVE,
            "is not a whole number",
        ),
        _r(
            "counts/inf",
            lambda: fp.validate_counts(counts().assign(count=np.inf), by=None),
            SVE,
            "infinite value in column 'count'",
        ),
        _r(
            "counts/duplicate-dates",
            lambda: fp.validate_counts(pd.concat([counts(), counts()]), by=None),
            SVE,
            r"duplicate \(date\) row",
        ),
        _r(
            "counts/gap",
            lambda: fp.validate_counts(counts().iloc[::2], by=None),
            SVE,
            "gap in the calendar",
        ),
    ]


def _tally_cases() -> list[Case]:
    ti = fp.tally_intervals
    return [
        _r(
            "tallies/negative-total",
            lambda: fp.validate_tallies(tallies(total=[-3, 7, 9])),
            SVE,
            r"negative value in 'total'.*row 0",
        ),
        _r(
            "tallies/negative-total-raw",
            lambda: ti(tallies(total=[-3, 7, 9]), start="2023-10-01"),
            SVE,
            r"negative value in 'total'",
        ),
        _r(
            "tallies/statement-before-as-of",
            lambda: fp.validate_tallies(
                tallies(statement_date=["2023-10-20", "2023-11-05", "2023-11-09"])
            ),
            SVE,
            "'statement_date' is before 'as_of_date'",
        ),
        _r(
            "tallies/start-after-first",
            lambda: ti(tallies(), start="2023-11-03"),
            FVE,
            r"dated before start='2023-11-03'.*10 as of 2023-11-01",
        ),
        _ok(
            "tallies/falling-total-flagged",
            lambda: ti(tallies(total=[10, 7, 12]), start="2023-10-01"),
            lambda iv: (
                (not iv["monotone"].iloc[1])
                and "lower than 10" in iv["reason"].iloc[1]
                and bool(iv["days"].gt(0).all())
            ),
        ),
        _w(
            "tallies/split-does-not-add-up",
            lambda: ti(tallies(iraq=[3, 9, 10], syria=[5, 8, 11]), start="2023-10-01"),
            fe.DataQualityWarning,
            r"split iraq 3 \+ syria 5 = 8 does not add up to the total 10",
        ),
        _r(
            "tallies/qualifier-unknown",
            lambda: ti(tallies(), qualifier=["approx"], start="2023-10-01"),
            FVE,
            r"unknown qualifier\(s\) \['approx'\]",
        ),
        _ok(
            "tallies/qualifier-string",
            lambda: ti(tallies(), qualifier="exact", start="2023-10-01"),
            lambda iv: len(iv) == 3,
        ),
        _r(
            "tallies/official-string",
            lambda: ti(tallies(), official="yes"),
            FTE,
            "official must be True, False or None",
        ),
        _r("tallies/not-a-frame", lambda: ti([1, 2]), FTE, "tallies must be a pandas"),
        _r(
            "tallies/group-columns-string",
            lambda: ti(
                tallies(iraq=[3, 9, 10], syria=[5, 8, 11]), group_columns="iraq", start="2023-10-01"
            ),
            FTE,
            "group_columns must be a list",
        ),
        _r(
            "tallies/validate-groups-string",
            lambda: fp.validate_tallies(tallies(iraq=[3, 9, 10], syria=[5, 8, 11]), groups="iraq"),
            FTE,
            "groups must be a list",
        ),
        _r(
            "reconcile/start-garbage",
            lambda: fp.reconcile_tallies(events(), tallies(), start="soon"),
            FVE,
            "cannot read start='soon'",
        ),
    ]


def _scale_cases() -> list[Case]:
    def parquet(frame: pd.DataFrame) -> Path:
        path = tmpdir() / "events.parquet"
        frame.to_parquet(path)
        return path

    duck = fp.count_daily_duckdb
    return [
        _r("duckdb/source-number", lambda: duck(3), FTE, "source must be a file path"),
        _r(
            "duckdb/missing-file",
            lambda: duck(tmpdir() / "none.parquet"),
            _error_class("InputFileNotFoundError"),
            "no such file",
        ),
        _r(
            "duckdb/no-match-glob",
            lambda: duck(str(tmpdir() / "*.parquet")),
            _error_class("InputFileNotFoundError"),
            "no file matches",
        ),
        _r(
            "duckdb/threads-text",
            lambda: duck(parquet(events()), threads="2"),
            FVE,
            "threads must be a positive integer",
        ),
        _r(
            "duckdb/memory-limit-bad",
            lambda: duck(parquet(events()), memory_limit="lots"),
            FVE,
            "memory_limit must be a size",
        ),
        _r(
            "duckdb/budget",
            lambda: duck(parquet(_many_groups(2000, days=365)), start="1901-01-01"),
            _error_class("MemoryBudgetError"),
            r"2,000 group\(s\)",
        ),
        _ok(
            "duckdb/csv-offsets-local",
            lambda: duck(
                csv(
                    "date,country\n2023-11-01T23:30:00+03:00,Iraq\n2023-11-01T23:30:00-05:00,Iraq\n"
                )
            ),
            lambda r: days_of(r) == ["2023-11-01"] and r["count"].tolist() == [2],
        ),
        _r(
            "dask/not-dask",
            lambda: fp.count_daily_dask(events()),
            FTE,
            "must be a dask.dataframe.DataFrame",
        ),
    ]


def _key_events() -> pd.DataFrame:
    return pd.DataFrame(
        {"date": ["2023-01-20", "2023-02-10"], "kind": "strike", "label": ["a", "b"]}
    )


def _model_cases() -> list[Case]:
    return [
        _r(
            "its/event-outside-data",
            lambda: fp.fit_its(counts(60), events="2024-06-01"),
            fe.EventRangeError,
            "2024-06-01",
        ),
        _r(
            "its/alpha-text",
            lambda: fp.fit_its(counts(60), events="2023-02-01", alpha="0.05"),
            fe.FlashpointError,
            "alpha",
        ),
        _r(
            "its/alpha-one",
            lambda: fp.fit_its(counts(60), events="2023-02-01", alpha=1.0),
            fe.FlashpointError,
            "alpha",
        ),
        _r(
            "its/text-counts",
            lambda: fp.fit_its(counts(60).assign(count="x"), events="2023-02-01"),
            FVE,
            "whole numbers",
        ),
        _r(
            "its/inf-counts",
            lambda: fp.fit_its(counts(60).assign(count=np.inf), events="2023-02-01"),
            FVE,
            "whole numbers",
        ),
        _r(
            "its/negative-counts",
            lambda: fp.fit_its(counts(60).assign(count=-1), events="2023-02-01"),
            FVE,
            "negative count",
        ),
        _r(
            "its/duplicate-dates",
            lambda: fp.fit_its(pd.concat([counts(60), counts(60)]), events="2023-02-01"),
            FVE,
            "duplicate",
        ),
        _r(
            "its/family-unknown",
            lambda: fp.fit_its(counts(60), events="2023-02-01", family="gauss"),
            fe.FlashpointError,
            "family",
        ),
        _r(
            "changepoints/one-day",
            lambda: fp.detect_changepoints(counts(60).iloc[:1]),
            FVE,
            "1 observations",
        ),
        _r(
            "changepoints/huge-min-size",
            lambda: fp.detect_changepoints(counts(60), min_size=10**9),
            FVE,
            "min_size",
        ),
        _r(
            "changepoints/method-unknown",
            lambda: fp.detect_changepoints(counts(60), method="magic"),
            fe.FlashpointError,
            "method",
        ),
        _w(
            "trend/sparse-negbin",
            lambda: fp.fit_trend(counts(30).assign(count=[0, 0, 0, 1] + [0] * 26)),
            _warning_class("NotEstimableWarning"),
            "cannot be estimated",
        ),
        _r(
            "event-study/two-events",
            lambda: fp.fit_event_study(
                fp.count_daily(fp.load_attacks()),
                fp.load_key_events().query("kind == 'us_strike'").head(2),
            ),
            fe.FlashpointError,
            "event-study model for group 'Jordan' could not be fitted",
        ),
        _r(
            "eventspec/date-number",
            lambda: fp.EventSpec(date=20231122),
            fe.FlashpointError,
            "20231122",
        ),
        _r(
            "eventspec/shape-unknown",
            lambda: fp.EventSpec(date="2023-11-22", shape="spike"),
            fe.ModelSpecError,
            "unknown event shape 'spike'",
        ),
        _r(
            "eventspec/end-before-date",
            lambda: fp.EventSpec(date="2023-11-22", end="2023-11-01", shape="pulse"),
            fe.ModelSpecError,
            "end",
        ),
        _r(
            "forecast/huge-horizon",
            lambda: fp.forecast(counts(60), horizon=10**9),
            fe.FlashpointError,
            "horizon",
        ),
        _r(
            "forecast/horizon-zero",
            lambda: fp.forecast(counts(60), horizon=0),
            fe.FlashpointError,
            "horizon",
        ),
        _r(
            "rt/window-zero",
            lambda: fp.estimate_rt(counts(60), window=0),
            fe.FlashpointError,
            "window",
        ),
        _r(
            "hawkes/all-zeros",
            lambda: fp.fit_hawkes(counts(60).assign(count=0)),
            fe.FlashpointError,
            "no events|zero|all",
        ),
        _r(
            "event-study/no-key-events",
            lambda: fp.fit_event_study(counts(60), _key_events().iloc[:0]),
            fe.FlashpointError,
            "empty|no ",
        ),
        _r(
            "placebo/event-outside",
            lambda: fp.placebo_test(counts(60), "2025-01-01"),
            fe.FlashpointError,
            "2025-01-01",
        ),
    ]


def _cli_cases() -> list[Case]:
    def data(rows: int = 30) -> Path:
        path = tmpdir() / "events.csv"
        events(rows).assign(date=lambda e: e["date"].dt.strftime("%Y-%m-%d")).to_csv(
            path, index=False
        )
        return path

    def report_over_input() -> CliRun:
        path = data()
        return cli(["report", "--data", str(path), "--out", str(path)], unchanged(path))

    def report_over_csv() -> CliRun:
        path, other = data(), tmpdir() / "notes.csv"
        other.write_text("my,precious\n1,2\n")
        return cli(["report", "--data", str(path), "--out", str(other)], unchanged(other))

    def report_over_events_file() -> CliRun:
        path, key = data(), tmpdir() / "key.csv"
        key.write_text("date,kind,label\n2023-01-20,strike,a\n")
        return cli(
            [
                "report",
                "--data",
                str(path),
                "--events-file",
                str(key),
                "--out",
                str(key),
                "--force",
            ],
            unchanged(key),
        )

    def counts_over_input() -> CliRun:
        path = data()
        return cli(["counts", str(path), "--out", str(path), "--force"], unchanged(path))

    def counts_over_csv() -> CliRun:
        path, other = data(), tmpdir() / "notes.csv"
        other.write_text("my,precious\n1,2\n")
        return cli(["counts", str(path), "--out", str(other)], unchanged(other))

    def report(*args: str) -> CliRun:
        return cli(["report", "--data", str(data()), "--out", str(tmpdir() / "r.html"), *args])

    return [
        _cli("cli/report-out-is-the-input", report_over_input, "is the input file"),
        _cli("cli/report-out-is-a-csv", report_over_csv, "is not a report written by flashpoint"),
        _cli(
            "cli/report-out-is-events-file-even-forced",
            report_over_events_file,
            "is the input file",
        ),
        _cli(
            "cli/report-out-missing-folder",
            lambda: cli(["report", "--out", str(tmpdir() / "no" / "r.html")]),
            "does not exist",
        ),
        _cli(
            "cli/report-out-is-a-folder",
            lambda: cli(["report", "--out", str(tmpdir())]),
            "is a folder",
        ),
        _cli("cli/counts-out-is-the-input", counts_over_input, "is the input file"),
        _cli("cli/counts-out-is-a-csv", counts_over_csv, "is not a counts table"),
        _cli(
            "cli/event-with-time-of-day",
            lambda: report("--event", "2023-01-20T10:00:label"),
            "a time of day is not allowed",
        ),
        _cli(
            "cli/event-end-before-start",
            lambda: report("--event", "2023-01-20/2023-01-10"),
            "is before the start|ends before it starts",
        ),
        _cli(
            "cli/event-garbage",
            lambda: report("--event", "next tuesday"),
            r"expected DATE\[/END\]\[:LABEL\]",
        ),
        _cli(
            "cli/event-impossible-day",
            lambda: report("--event", "2023-02-30:x"),
            r"is not a calendar date|expected DATE\[",
        ),
        _cli("cli/start-garbage", lambda: report("--start", "soon"), "cannot read --start"),
        _cli(
            "cli/start-far-before-data",
            lambda: report("--start", "1990-01-01"),
            "days before the first event",
        ),
        _cli("cli/window-after-data", lambda: report("--start", "2024-06-01"), "leave no data"),
        _cli(
            "cli/end-before-start",
            lambda: report("--start", "2023-02-01", "--end", "2023-01-15"),
            "is not after --start|must be after start",
        ),
        _cli(
            "cli/basis-unknown",
            lambda: cli(["report", "--basis", "rumour", "--out", str(tmpdir() / "r.html")]),
            r"unknown --basis \['rumour'\]",
        ),
        _cli(
            "cli/validate-missing-file",
            lambda: cli(["validate", str(tmpdir() / "x.csv")]),
            "no such file",
        ),
        _cli(
            "cli/validate-bad-rows",
            lambda: cli(["validate", str(csv("date,country\nyesterday,Iraq\n2023-11-01,\n"))]),
            r"unparseable date.*missing value in required column 'country'",
        ),
        _cli(
            "cli/counts-wrong-group-column",
            lambda: cli(["counts", str(data()), "--group-col", "region"]),
            r"no column\(s\) \['region'\]",
        ),
    ]


def all_cases() -> list[Case]:
    """Every case, built fresh (the data are small and made on demand)."""
    return [
        *_validation_cases(),
        *_reading_cases(),
        *_format_cases(),
        *_counting_cases(),
        *_reshape_cases(),
        *_tally_cases(),
        *_scale_cases(),
        *_model_cases(),
        *_cli_cases(),
    ]
