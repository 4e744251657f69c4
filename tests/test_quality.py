"""Static checks run as tests, so that CI's single test command covers them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


def test_ruff_clean() -> None:
    out = subprocess.run(
        [_tool("ruff"), "check", "--output-format", "concise", "src", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_clean() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)
    test_cmd = next(b for b in blocks if "pytest" in b)
    assert test_cmd in (ROOT / ".ci" / "run").read_text().splitlines()
    assert len([b for b in blocks[:2] if b]) == 2  # the two Quickstart commands


def test_layers_have_no_upward_imports() -> None:
    """import-linter contracts in pyproject.toml: the layers import downwards only."""
    out = subprocess.run(
        [_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_only_the_package_root_imports_the_package_root() -> None:
    """Modules import what they need from its own module, never from ``flashpoint`` itself."""
    import ast

    offenders = []
    for path in (ROOT / "src" / "flashpoint").rglob("*.py"):
        if path.name == "__init__.py" and path.parent.name == "flashpoint":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "flashpoint":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Import) and any(a.name == "flashpoint" for a in node.names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def _source_files() -> list[Path]:
    return sorted((ROOT / "src" / "flashpoint").rglob("*.py"))


# The conjugate segment costs of change-point detection integrate a Poisson/NB likelihood
# over a gamma/beta prior (a marginal likelihood, not a log-pmf): their lgamma tables are the
# one allowed use of gammaln with a rate or size argument outside models/_likelihood.py.
_MARGINAL_LIKELIHOOD = {"models/changepoints/_segment.py"}


def test_count_likelihoods_are_written_only_in_models_likelihood() -> None:
    """NB/Poisson log-likelihoods live in ``models/_likelihood.py``; others call it.

    Flags a ``gammaln``/``lgamma`` call whose argument is not ``x + 1`` (``log x!`` is
    allowed anywhere), the NB term ``log1p(mu / r)``, and scipy's ``nbinom``/``poisson``
    ``logpmf`` (a second implementation next to ours).
    """
    import ast

    offenders = []
    for path in _source_files():
        rel = path.relative_to(ROOT / "src" / "flashpoint").as_posix()
        if rel == "models/_likelihood.py" or rel in _MARGINAL_LIKELIHOOD:
            continue
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("gammaln", "lgamma", "loggamma"):
                arg = node.args[0] if node.args else None
                log_factorial = (
                    isinstance(arg, ast.BinOp)
                    and isinstance(arg.op, ast.Add)
                    and isinstance(arg.right, ast.Constant)
                    and arg.right.value == 1
                )
                if not log_factorial:
                    offenders.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
            if name == "log1p" and node.args and isinstance(node.args[0], ast.BinOp):
                divisor = node.args[0].right
                if isinstance(node.args[0].op, ast.Div) and re.fullmatch(
                    r"r|rr|r_\w+|size|n_?size", ast.unparse(divisor)
                ):
                    offenders.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
            if name == "logpmf" and isinstance(func, ast.Attribute):
                owner = ast.unparse(func.value)
                if owner.endswith(("nbinom", "poisson")):
                    offenders.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == [], "use nb_logpmf / poisson_logpmf / nb_kernel_sum:\n" + "\n".join(
        offenders
    )


def test_group_column_rules_exist_once() -> None:
    """The group column is checked by ``schemas/_groups.py`` and found by ``group_column``.

    Fails when a module checks ``by=``/``group=`` itself (``isinstance(by, str)`` or the
    message), builds ``[date] + ([by] if by is not None else [])`` by hand instead of
    ``key_columns``, or defines a second group-column finder.
    """
    patterns = {
        "type check": re.compile(r"isinstance\(\s*(by|group)\s*,\s*str\s*\)"),
        "message": re.compile(r"must be the name of (the group column|a column)"),
        "key columns": re.compile(r"\[\s*\w+\s*\]\s*\+\s*\(\s*\[\s*by\s*\]\s*if by is not None"),
        "definition": re.compile(
            r"^def (group_column|counts_group_column|check_group_name|key_columns)\(", re.M
        ),
    }
    homes = {
        "schemas/_groups.py": {"type check", "message", "definition"},
        "counts/_columns.py": {"definition"},
        "models/_base.py": {"definition"},
    }
    offenders = []
    for path in _source_files():
        rel = path.relative_to(ROOT / "src" / "flashpoint").as_posix()
        text = path.read_text()
        for what, pattern in patterns.items():
            if what in homes.get(rel, set()):
                continue
            offenders += [f"{rel}: {what}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == [], "use flashpoint.schemas._groups / counts.group_column:\n" + "\n".join(
        offenders
    )
