"""The notebooks execute from top to bottom with the public API (no outputs committed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_three_numbered_notebooks() -> None:
    assert [p.name[:3] for p in NOTEBOOKS] == ["01_", "02_", "03_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_without_outputs(path: Path) -> None:
    book = json.loads(path.read_text())
    for cell in book["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == []
            assert cell["execution_count"] is None


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path: Path, tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    for cell in book.cells:
        if cell.cell_type == "code":
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert errors == [], cell.source
    source = "\n".join(c.source for c in book.cells if c.cell_type == "code")
    assert "flashpoint." not in source.replace("fp.datasets.", "")  # public API only
    assert _prose_numbers_not_printed(book) == []


def _output_text(cell: object) -> str:
    texts = []
    for out in cell.outputs:  # type: ignore[attr-defined]
        texts.append(out.get("text", ""))
        texts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(texts)


def _prose_numbers_not_printed(book: object) -> list[str]:
    """Numbers in bold in a text cell must be printed by the code cells just above it."""
    missing, printed = [], ""
    for cell in book.cells:  # type: ignore[attr-defined]
        if cell.cell_type == "code":
            printed += _output_text(cell)
            continue
        for number in re.findall(r"\*\*([^*]*\d[^*]*)\*\*", cell.source):
            if number not in printed:
                missing.append(number)
        printed = ""
    return missing
