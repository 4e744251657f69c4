"""The report in a real browser: headless Chromium opens it from disk with the network off.

Skipped locally only when Chromium is not installed; CI (FLASHPOINT_CI=1) installs it and
never skips.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import flashpoint as fp

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _require_chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("FLASHPOINT_CI"):
            pytest.fail("chromium is required in CI (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    return CHROMIUM


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        # the network is off: every host fails to resolve and every proxy request fails
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
        "--enable-logging=stderr",
        "--v=0",
    ]
    return subprocess.run(
        [_require_chromium(), *flags, *args], capture_output=True, text=True, timeout=180
    )


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    report = fp.build_report()
    path = report.write(tmp_path_factory.mktemp("browser") / "report.html")
    return path, report.n_figures


def test_every_figure_renders_offline_without_console_errors(
    report_file: tuple[Path, int], tmp_path: Path
) -> None:
    path, n_figures = report_file
    run = _chromium(
        "--virtual-time-budget=30000", "--dump-dom", path.as_uri(), profile=tmp_path / "profile"
    )
    dom = run.stdout
    rendered = len(re.findall(r'class="fp-figure js-plotly-plot"', dom))
    svg_roots = len(re.findall(r'<svg class="main-svg"', dom))
    assert rendered == n_figures, run.stderr[-2000:]
    assert svg_roots >= n_figures
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
    errors = [line for line in console if "Uncaught" in line or "Error" in line]
    assert errors == []


def test_screenshot_of_the_report(report_file: tuple[Path, int], tmp_path: Path) -> None:
    path, _ = report_file
    shot = tmp_path / "report.png"
    _chromium(
        "--virtual-time-budget=30000",
        "--window-size=1100,3000",
        f"--screenshot={shot}",
        path.as_uri(),
        profile=tmp_path / "profile",
    )
    assert shot.is_file()
    assert shot.stat().st_size > 50_000  # a page with figures, not a blank one


def test_static_image_export(tmp_path: Path) -> None:
    _require_chromium()
    pytest.importorskip("kaleido")
    counts = fp.count_daily(fp.load_attacks())
    fig = fp.plot_counts(counts)
    for suffix in ("png", "svg", "pdf"):
        out = tmp_path / f"counts.{suffix}"
        fig.write_image(out, width=900, height=600)
        assert out.stat().st_size > 5_000, suffix


def test_user_strings_show_as_text_in_the_browser(tmp_path: Path) -> None:
    _require_chromium()
    evil = "<script>alert(1)</script>"
    events = fp.validate_events(
        pd.DataFrame({"date": pd.date_range("2024-01-01", periods=60), "country": "A"})
    )
    report = fp.build_report(
        events, interventions=[fp.EventSpec(date="2024-02-01", label=evil)], title=evil
    )
    path = report.write(tmp_path / "evil.html")
    run = _chromium(
        "--virtual-time-budget=20000", "--dump-dom", path.as_uri(), profile=tmp_path / "profile"
    )
    dom = run.stdout
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in dom  # the title, as text
    assert "<script>alert(1)</script>" not in dom  # never an element
    assert len(re.findall(r'class="fp-figure js-plotly-plot"', dom)) == report.n_figures
