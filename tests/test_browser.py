"""The report in a real browser: headless Chromium opens it from disk with the network off.

Skipped locally only when Chromium is not installed; CI (FLASHPOINT_CI=1) installs it and
never skips.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
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


def _check_write_image_size(path: Path) -> None:
    """``result.plot().write_image(path, width=900, height=700)``: a PNG of exactly 900x700."""
    rng = np.random.default_rng(3)
    simulated = pd.DataFrame(
        {"date": pd.date_range("2024-01-01", periods=60), "count": rng.poisson(3.0, 60)}
    )
    result = fp.fit_trend(simulated, family="poisson", trend="linear")
    result.plot().write_image(path, width=900, height=700)
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert header[12:16] == b"IHDR"
    assert int.from_bytes(header[16:20], "big") == 900  # width in pixels
    assert int.from_bytes(header[20:24], "big") == 700  # height in pixels


_WIDTH_PROBE = """<script>window.addEventListener('load', function () {
  setTimeout(function () {
    var d = document.documentElement, out = document.createElement('pre');
    out.id = 'probe';
    out.textContent = 'scroll=' + d.scrollWidth + ';client=' + d.clientWidth + ';';
    document.body.appendChild(out);
  }, 2000);
});</script>"""


def test_page_fits_800_px_without_sideways_scroll(
    report_file: tuple[Path, int], tmp_path: Path
) -> None:
    """At 800 px the figures take the page's width and wide tables scroll in their own box."""
    path, _ = report_file
    probe = tmp_path / "probe.html"
    page = path.read_text(encoding="utf-8")
    probe.write_text(page.replace("</body>", _WIDTH_PROBE + "</body>"), encoding="utf-8")
    run = _chromium(
        "--virtual-time-budget=20000",
        "--window-size=800,1000",
        "--dump-dom",
        probe.as_uri(),
        profile=tmp_path / "profile",
    )
    found = re.search(r"scroll=(\d+);client=(\d+);", run.stdout)
    assert found is not None, run.stderr[-2000:]
    scroll, client = int(found.group(1)), int(found.group(2))
    assert client <= 800
    assert scroll <= client  # no horizontal overflow


@pytest.mark.filterwarnings("ignore:The kopts argument is ignored if using a server")
def test_static_image_export(tmp_path: Path) -> None:
    """PNG, SVG and PDF through one kaleido browser, offline (no MathJax from a CDN).

    ``result.plot().write_image(...)`` (the ``image`` extra) writes the size asked for.
    """
    _require_chromium()
    if os.environ.get("FLASHPOINT_CI"):
        import kaleido  # CI installs the test extra: a missing kaleido must fail, not skip
    else:
        kaleido = pytest.importorskip("kaleido")
    import plotly.io as pio

    fig = fp.plot_counts(fp.count_daily(fp.load_attacks()))
    signatures = {"png": b"\x89PNG", "svg": b"<svg", "pdf": b"%PDF"}
    kaleido.start_sync_server(n=1, timeout=120, mathjax=False, silence_warnings=True)
    try:
        for suffix, signature in signatures.items():
            image = pio.to_image(fig, format=suffix, width=900, height=600)
            assert signature in image[:200], suffix
            assert len(image) > 5_000, suffix
            (tmp_path / f"counts.{suffix}").write_bytes(image)
        _check_write_image_size(tmp_path / "trend.png")
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


def test_user_strings_show_as_text_in_the_browser(tmp_path: Path) -> None:
    """Title, group names, intervention and key-event labels: text in the page, never tags."""
    _require_chromium()
    evil = "<script>alert(1)</script>"
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    rng = np.random.default_rng(5)
    per_day = rng.poisson(2.5, size=60)
    dates = pd.date_range("2024-01-01", periods=60).repeat(per_day)
    events = fp.validate_events(
        pd.DataFrame({"date": dates, "country": rng.choice([f"A{evil}", 'B "&'], len(dates))})
    )
    key_events = fp.validate_key_events(
        pd.DataFrame(
            {"date": ["2024-01-20", "2024-02-10"], "kind": "strike", "label": [f"K{evil}", "L"]}
        )
    )
    report = fp.build_report(
        events,
        key_events=key_events,
        interventions=[fp.EventSpec(date="2024-02-01", label=f"I{evil}")],
        by="country",
        title=evil,
    )
    path = report.write(tmp_path / "evil.html")
    page = path.read_text(encoding="utf-8")
    assert evil not in page  # never a tag in the file
    for who in ("A", "I", "K"):  # each string is in the page, escaped
        assert f"{who}&lt;script&gt;" in page, who
    run = _chromium(
        "--virtual-time-budget=20000", "--dump-dom", path.as_uri(), profile=tmp_path / "profile"
    )
    dom = run.stdout
    assert f"<h1>{escaped}</h1>" in dom  # the title, as text
    assert evil not in dom  # never an element
    assert f"A{escaped}" in dom  # a group name, as text (tables and legends)
    assert f"I{escaped}" in dom  # the intervention's label, as text
    assert f"K{escaped}" in dom  # a key event's label, as text (figure annotations)
    assert len(re.findall(r'class="fp-figure js-plotly-plot"', dom)) == report.n_figures


def test_ci_fails_rather_than_skips_without_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", None)
    monkeypatch.setenv("FLASHPOINT_CI", "1")
    with pytest.raises(pytest.fail.Exception, match="chromium is required in CI"):
        _require_chromium()
    monkeypatch.delenv("FLASHPOINT_CI")
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        _require_chromium()
