"""Package hygiene: public API, typing marker, layering, wheel contents."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import flashpoint as fp

SRC = Path(fp.__file__).parent
LAYERS = [
    "errors",
    "schemas",
    "datasets",
    "sources",
    "counts",
    "tallies",
    "models",
    "plots",
    "report",
    "cli",
]


def test_all_names_exist_and_are_unique() -> None:
    assert len(fp.__all__) == len(set(fp.__all__))
    for name in fp.__all__:
        assert hasattr(fp, name), name


def test_version() -> None:
    from importlib.metadata import version

    assert fp.__version__ == version("flashpoint")


def test_py_typed_marker() -> None:
    assert (SRC / "py.typed").is_file()


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "flashpoint" or len(parts) < 2:
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def _imports(tree: ast.AST) -> list[ast.AST]:
    """Import nodes, except inside ``plot`` methods (the one allowed upward delegate)."""
    found: list[ast.AST] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "plot":
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        found += _imports(node)
    return found


def test_lower_layers_never_import_higher_ones() -> None:
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        own = _layer(module)
        if own is None:
            continue
        for node in _imports(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for target in targets:
                layer = _layer(target)
                assert layer is None or layer <= own, f"{module} imports {target}"


def test_plotly_only_imported_by_plots_and_report() -> None:
    for path in SRC.rglob("*.py"):
        if path.stem == "cli" or {"plots", "report"} & set(path.relative_to(SRC).parts):
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                )
                assert not any(n.startswith("plotly") for n in names), path


def test_import_has_no_side_effects() -> None:
    code = "import sys, flashpoint; print(len([m for m in sys.modules if m.startswith('plotly')]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_wheel_carries_the_data(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    root = SRC.parents[1]
    if not (root / "pyproject.toml").is_file():
        pytest.skip("not a source checkout")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(root),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("flashpoint-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in (
        "iraq_syria_2023/attacks.csv",
        "iraq_syria_2023/tallies.csv",
        "iraq_syria_2023/key_events.csv",
        "iraq_syria_2023/README.md",
        "iraq2006/insurgent_events_2006.csv",
        "iraq2006/air_operations_2006.csv",
        "iraq2006/LICENSE",
        "iraq2006/README.md",
    ):
        assert f"flashpoint/data/{f}" in names, f
    assert "flashpoint/py.typed" in names


@pytest.mark.parametrize(
    "module", ["flashpoint.counts", "flashpoint.schemas", "flashpoint.datasets"]
)
def test_modules_declare_all(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        assert hasattr(mod, name)


def test_import_leaves_statsmodels_and_scipy_stats_unimported() -> None:
    """statsmodels and scipy.stats are imported when a model first needs them."""
    import subprocess
    import sys

    code = (
        "import sys, flashpoint; "
        "print(sorted(m for m in ('statsmodels', 'scipy.stats', 'plotly.graph_objs._figure')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
