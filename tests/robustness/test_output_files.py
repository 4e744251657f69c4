"""Report.write and the report's sections: no file lost, no half page, no section sinks the page."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

import flashpoint as fp
from flashpoint._output import check_target, write_atomic
from flashpoint.errors import OutputFileError
from flashpoint.report._build import _run
from flashpoint.report._html import Report, Section, is_report


@pytest.fixture
def report() -> Report:
    return Report(
        title="t", description="d", sections=(Section("s"),), summary_lines=(), generated="now"
    )


def test_write_refuses_a_file_it_did_not_write(report: Report, tmp_path: Path) -> None:
    data = tmp_path / "events.csv"
    data.write_text("date,country\n2023-11-01,Iraq\n")
    with pytest.raises(OutputFileError, match=r"exists and is not a report.*force=True"):
        report.write(data)
    assert data.read_text() == "date,country\n2023-11-01,Iraq\n"
    report.write(data, force=True)
    assert is_report(data)


def test_write_replaces_an_earlier_report_atomically(
    report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = report.write(tmp_path / "r.html")
    first = out.read_bytes()
    assert b'<meta name="generator" content="flashpoint ' in first[:2000]
    report.write(out)  # an earlier report: no force needed

    def interrupted(self: Report) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(Report, "to_html", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report.write(out)
    assert out.read_bytes() == first  # the old page, whole
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temporary file left


def test_write_checks_the_folder(report: Report, tmp_path: Path) -> None:
    with pytest.raises(OutputFileError, match="does not exist"):
        report.write(tmp_path / "no" / "r.html")
    with pytest.raises(OutputFileError, match="is a folder"):
        report.write(tmp_path)


def test_write_refuses_a_folder_it_cannot_write_in(
    report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check writes a probe file; root may write anywhere, so the probe is refused here."""
    locked = tmp_path / "locked"
    locked.mkdir()
    real_mkstemp = tempfile.mkstemp

    def refuse(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if Path(kwargs.get("dir", "")) == locked:
            raise PermissionError(13, "Permission denied")
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(OutputFileError, match="cannot write in the folder"):
        report.write(locked / "r.html")
    assert not (locked / "r.html").exists()


def test_output_is_never_an_input_even_through_a_link(tmp_path: Path) -> None:
    data = tmp_path / "events.csv"
    data.write_text("x\n")
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    for target in (data, link):
        with pytest.raises(OutputFileError, match="is the input file"):
            check_target(target, recognise=lambda p: True, what="x", inputs=[data], force=True)
    write_atomic(tmp_path / "new.txt", "é\n")
    assert (tmp_path / "new.txt").read_text(encoding="utf-8") == "é\n"


def test_a_failing_section_says_why_and_the_report_goes_on() -> None:
    def crash(section: Section) -> None:
        section.paragraphs.append("half done")
        raise ZeroDivisionError("division by zero")

    def refuse(section: Section) -> None:
        raise fp.errors.FlashpointValueError("too few events\nsecond line")

    crashed = _run(Section("a"), crash)
    assert crashed.error is not None
    assert crashed.error.startswith("internal error (ZeroDivisionError: division by zero)")
    assert "bug in flashpoint" in crashed.error
    assert _run(Section("b"), refuse).error == "too few events"

    def interrupted(section: Section) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(Section("c"), interrupted)
