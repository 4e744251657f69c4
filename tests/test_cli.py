"""The command line: exit codes, messages, no tracebacks for user errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flashpoint.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("flashpoint 0.")


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
