"""The command line: exit codes, messages, no tracebacks for user errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from flashpoint.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("flashpoint 0.")


def _start(*argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def test_console_script_and_python_m_are_the_same_command() -> None:
    """``flashpoint --version`` and ``python -m flashpoint --help`` exit 0."""
    script = Path(sys.executable).parent / "flashpoint"
    if not script.is_file():
        pytest.skip("the flashpoint console script is not installed in this environment")
    version = _start(str(script), "--version")  # the two run side by side
    helped = _start(sys.executable, "-m", "flashpoint", "--help")
    out, err = version.communicate(timeout=120)
    assert version.returncode == 0, err
    assert out.startswith("flashpoint 0.")
    out, err = helped.communicate(timeout=120)
    assert helped.returncode == 0, err
    assert out.startswith("usage: flashpoint ")
    for command in ("report", "validate", "counts"):
        assert command in out


def test_date_format_and_by(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--date-format reads day-first dates; --by is the group column (--group-col too)."""
    src = tmp_path / "ev.csv"
    pd.DataFrame({"when": ["21/11/2023", "23/11/2023"], "type": ["IED", "IED"]}).to_csv(
        src, index=False
    )
    argv = ["counts", str(src), "--date-col", "when", "--by", "type"]
    assert main([*argv, "--date-format", "%d/%m/%Y"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["date,type,count", "2023-11-21,IED,1", "2023-11-22,IED,0", "2023-11-23,IED,1"]
    assert main(["validate", str(src), "--date-col", "when", "--by", "type"]) == 2
    assert "date" in capsys.readouterr().err


def test_noun_option_exists() -> None:
    from flashpoint.cli import _parser

    args = _parser().parse_args(["report", "--noun", "strike"])
    assert args.noun == "strike"


def test_validate_ok_and_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.csv"
    pd.DataFrame({"date": ["2023-11-21"], "country": ["Iraq"]}).to_csv(good, index=False)
    assert main(["validate", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"date": ["2023-11-21", "soon"], "country": ["Iraq", None]}).to_csv(
        bad, index=False
    )
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unparseable date" in err
    assert "missing value in required column 'country'" in err
    assert "Traceback" not in err


def test_counts_writes_csv(tmp_path: Path) -> None:
    src = tmp_path / "ev.csv"
    pd.DataFrame({"when": ["2023-11-21", "2023-11-23"], "type": ["IED", "IED"]}).to_csv(
        src, index=False
    )
    out = tmp_path / "counts.csv"
    assert (
        main(["counts", str(src), "--date-col", "when", "--group-col", "type", "--out", str(out)])
        == 0
    )
    counts = pd.read_csv(out)
    assert counts["count"].tolist() == [1, 0, 1]


def test_missing_file_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "no/such/file.csv"]) == 2
    assert "no such file" in capsys.readouterr().err


def _events_csv(folder: Path) -> Path:
    path = folder / "events.csv"
    pd.DataFrame(
        {"date": ["2023-11-21", "2023-11-23", "2023-11-23"], "country": ["Iraq", "Iraq", "Syria"]}
    ).to_csv(path, index=False)
    return path


def test_report_never_writes_over_its_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The acceptance test of the issue: non-zero exit, the input byte-identical."""
    data = _events_csv(tmp_path)
    before = data.read_bytes()
    for extra in ([], ["--force"]):
        assert main(["report", "--data", str(data), "--out", str(data), *extra]) == 2
        assert data.read_bytes() == before
        err = capsys.readouterr().err
        assert "is the input file" in err
        assert "building the report" not in err  # refused before any work


def test_counts_out_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _events_csv(tmp_path)
    notes = tmp_path / "notes.csv"
    notes.write_text("my,notes\n")
    assert main(["counts", str(data), "--out", str(notes)]) == 2
    assert notes.read_text() == "my,notes\n"
    assert "--force" in capsys.readouterr().err
    assert main(["counts", str(data), "--out", str(notes), "--force"]) == 0
    assert pd.read_csv(notes)["count"].sum() == 3
    # an earlier counts table is replaced without --force, atomically (no temporary left)
    assert main(["counts", str(data), "--out", str(notes)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "notes.csv"]


def test_unexpected_errors_are_one_line_unless_debug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("flashpoint.cli.read_events", broken)
    data = _events_csv(tmp_path)
    assert main(["validate", str(data)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "internal error (RuntimeError: boom)" in err
    assert "bug in flashpoint" in err
    assert "--debug" in err
    assert "Traceback" not in err
    assert main(["--debug", "validate", str(data)]) == 1
    assert "Traceback" in capsys.readouterr().err
    assert main(["validate", str(data), "--debug"]) == 1  # after the command too
    assert "Traceback" in capsys.readouterr().err


def test_user_errors_have_no_traceback_even_with_debug_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["report", "--event", "2023-11-22T10:00:strike"]) == 2
    err = capsys.readouterr().err
    assert "a time of day is not allowed" in err
    assert "Traceback" not in err
