"""The documentation site lists every public name (the build itself runs in CI, not here)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import flashpoint as fp

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

pytestmark = pytest.mark.skipif(not DOCS.is_dir(), reason="not a source checkout")


def test_api_page_documents_exactly_the_public_names() -> None:
    page = (DOCS / "api.md").read_text()
    documented = re.findall(r"^::: flashpoint\.(\w+)\s*$", page, flags=re.MULTILINE)
    assert len(documented) == len(set(documented)), "a name is documented twice"
    assert set(documented) == set(fp.__all__)


def test_type_checking_imports_mirror_the_public_names() -> None:
    """The ``if TYPE_CHECKING:`` imports in ``__init__`` name exactly ``_PUBLIC``."""
    tree = ast.parse(Path(fp.__file__).read_text())
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
    )
    mirrored = {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert mirrored == fp._PUBLIC


def test_gallery_draws_every_plot_function() -> None:
    tree = ast.parse((DOCS / "gallery.py").read_text())
    figures = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "FIGURES"
    )
    assert isinstance(figures, ast.Dict)
    drawn = {key.value for key in figures.keys if isinstance(key, ast.Constant)}
    assert drawn == {name for name in fp.__all__ if name.startswith("plot_")}


def test_dir_lists_the_names_loaded_on_first_use() -> None:
    assert set(fp.__all__) <= set(dir(fp))
