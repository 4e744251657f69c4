"""The HTML report: structure, size, escaping, and the CLI that writes it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

import flashpoint as fp
from flashpoint.cli import main


@pytest.fixture(scope="module")
def bundled_report() -> fp.Report:
    return fp.build_report()


def test_report_sections_and_figures(bundled_report: fp.Report) -> None:
    titles = [s.title for s in bundled_report.sections]
    assert titles[0] == "Verdict"
    for expected in (
        "Daily counts",
        "Event rows against the official tallies",
        "Trend",
        "Did the rate change after the events?",
        "Placebo test",
        "The same question from the official tallies",
        "Event study",
        "Change points",
        "Self-excitation (Hawkes)",
    ):
        assert expected in titles
    failed = [(s.title, s.error) for s in bundled_report.sections if s.error]
    assert failed == []
    assert bundled_report.n_figures >= 10


def test_report_opens_with_the_verdict(bundled_report: fp.Report) -> None:
    page = bundled_report.to_html()
    first = page.index("<section")
    assert page[first:].startswith('<section id="verdict">')
    verdict = bundled_report.sections[0]
    assert len(verdict.figures) == 2  # one forest plot per intervention
    sentences = verdict.paragraphs
    assert sentences[0].startswith("Window 2023-10-17 to 2024-02-04. Iraq: 63 attacks;")
    iraq_kh = next(p for p in sentences if p.startswith("Iraq, KH strike:"))
    assert "rate ratio 2.55, 95% CI 0.98 to 6.62" in iraq_kh
    assert "readings range from" in iraq_kh
    assert "disagree in direction" in iraq_kh
    assert "official tallies in the window" in iraq_kh


def test_text_summary_is_the_verdict(bundled_report: fp.Report) -> None:
    """The printed summary repeats the verdict's sentences and no other number."""
    text = bundled_report.text_summary()
    lines = text.splitlines()
    assert lines[0] == bundled_report.title
    assert lines[1:] == bundled_report.sections[0].paragraphs
    verdict_html = (
        bundled_report.to_html().split('<section id="verdict">')[1].split("</section>")[0]
    )
    for number in re.findall(r"\d+(?:\.\d+)?", "\n".join(lines[1:])):
        assert number in verdict_html


def test_report_on_other_data_says_nothing_of_the_bundled_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(4)
    dates = pd.date_range("2021-01-01", periods=120)
    n = rng.poisson(np.where(np.arange(120) >= 60, 3.0, 1.5))
    events = pd.DataFrame(
        {
            "date": np.repeat(dates, n),
            "region": rng.choice(["North", "South"], size=int(n.sum())),
        }
    )
    report = fp.build_report(
        fp.validate_events(events, by="region"),
        by="region",
        interventions=[fp.EventSpec(date="2021-03-02", label="ceasefire")],
        progress=True,
    )
    bar = capsys.readouterr().err  # one tqdm step per section
    assert "report" in bar
    assert "section" in bar
    assert "Self-excitation" in bar
    page = report.to_html().replace(get_plotlyjs(), "")  # plotly.js holds country names
    for word in ("Iraq", "Syria", "Kataib", "Pentagon", "KH strike", "attack"):
        assert word.lower() not in page.lower(), word
    assert report.sections[0].paragraphs[0].startswith("Window 2021-01-01 to 2021-04-30.")
    assert any(
        p.startswith("North, ceasefire: the event rate was")
        for p in report.text_summary().splitlines()
    )


def test_report_html_is_self_contained_and_small(bundled_report: fp.Report, tmp_path: Path) -> None:
    path = bundled_report.write(tmp_path / "report.html")
    page = path.read_text(encoding="utf-8")
    assert path.stat().st_size < 8e6
    assert page.count(get_plotlyjs()[:300]) == 1  # plotly.js embedded once
    assert re.search(r"<script[^>]*\bsrc=", page) is None  # nothing loaded from elsewhere
    assert re.search(r"<link[^>]*\bhref=", page) is None
    assert page.count('class="fp-figure"') == bundled_report.n_figures


def test_report_escapes_user_strings(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    events = pd.DataFrame(
        {"date": pd.date_range("2024-01-01", periods=90).repeat(2), "country": ["A", "B"] * 90}
    )
    report = fp.build_report(
        fp.validate_events(events),
        interventions=[fp.EventSpec(date="2024-02-15", label=evil)],
        title=f"Title {evil}",
        source_name=f"file{evil}.csv",
    )
    page = report.to_html()
    assert evil not in page
    assert "<script>alert" not in page
    # shown as text in the page and in the figures (plotly displays the entities as < >)
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3


def test_cli_report_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.html"
    assert main(["report", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out.resolve()}" in printed
    assert "Iraq: 63 attacks" in printed
    assert "Iraq, KH strike: the attack rate was" in printed
    assert out.stat().st_size > 1e6


def test_cli_report_on_any_event_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ins, _air = fp.load_iraq2006()
    data = tmp_path / "events.csv"
    ins.rename(columns={"date": "day", "type": "kind_of_attack"}).to_csv(data, index=False)
    out = tmp_path / "r.html"
    code = main(
        [
            "report",
            "--data",
            str(data),
            "--date-col",
            "day",
            "--group-col",
            "kind_of_attack",
            "--event",
            "2006-02-22:Samarra mosque bombing",
            "--out",
            str(out),
            "--title",
            "Iraq 2006",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "IED:" in captured.out
    assert "IED, Samarra mosque bombing: the event rate was" in captured.out


def test_cli_report_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--event", "not-a-date", "--out", str(tmp_path / "x.html")]) == 2
    assert "expected DATE[/END][:LABEL]" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("date,country\nyesterday,Iraq\n")
    assert main(["report", "--data", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unparseable date in column 'date'" in err
    assert "row 0: 'yesterday'" in err
    assert "Traceback" not in err
    assert main(["report", "--out", str(tmp_path / "no" / "such" / "dir.html")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_event_window_and_basis(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.html"
    code = main(
        [
            "report",
            "--basis",
            "official",
            "--event",
            "2023-11-22:KH",
            "--event",
            "2023-11-24/2023-12-01:truce",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    # only the official-basis rows are counted (63 and 107 with every row)
    assert "Iraq: 28 attacks; Jordan: 1 attack (too few to model); Syria: 27 attacks." in printed
    assert "Iraq, KH: the attack rate was" in printed
    assert "Syria, truce: the attack rate was" in printed
    assert "(basis official)" in out.read_text()


def test_cli_report_with_an_events_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ins, air = fp.load_iraq2006()
    data = tmp_path / "events.csv"
    ins.to_csv(data, index=False)
    strikes = air[air["type"] == "Airstrike"].drop_duplicates("date").head(40)
    key = pd.DataFrame(
        {"date": strikes["date"].dt.strftime("%Y-%m-%d"), "kind": "airstrike", "label": "airstrike"}
    )
    key_file = tmp_path / "key.csv"
    key.to_csv(key_file, index=False)
    out = tmp_path / "r.html"
    code = main(
        [
            "report",
            "--data",
            str(data),
            "--group-col",
            "type",
            "--events-file",
            str(key_file),
            "--event",
            "2006-02-22:Samarra",
            "--out",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    page = out.read_text()
    assert "Event study of 40 events of kind &#x27;airstrike&#x27;" in page
    assert "IED, Samarra: the event rate was" in captured.out


def test_cli_report_with_control_groups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--controls: the untreated groups build a synthetic control in the verdict."""
    rng = np.random.default_rng(9)
    dates = pd.date_range("2022-01-01", periods=120)
    rows = []
    for region in ("East", "West", "Hills", "Coast", "Plain"):
        n = rng.poisson(np.where((np.arange(120) >= 70) & (region == "East"), 4.0, 2.0))
        rows.append(pd.DataFrame({"date": np.repeat(dates, n), "region": region}))
    data = tmp_path / "simulated_events.csv"
    pd.concat(rows).to_csv(data, index=False)
    out = tmp_path / "r.html"
    argv = ["report", "--data", str(data), "--group-col", "region", "--event", "2022-03-12:talks"]
    argv += ["--controls", "Hills", "--controls", "Coast", "--controls", "Plain"]
    code = main([*argv, "--out", str(out), "--noun", "protest"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "East, talks: the protest rate was higher" in captured.out
    assert "synthetic control (3 donors) p = " in captured.out
    assert "control series as predictors (3) p" in captured.out
    assert "Hills, talks" not in captured.out  # controls are not assessed
    assert "synthetic control (3 donors)" in out.read_text()


def test_cli_report_with_a_file_of_control_series(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--controls-file: a measured series (here a simulated index) as a predictor."""
    rng = np.random.default_rng(12)
    dates = pd.date_range("2022-01-01", periods=120)
    index = 50 + np.cumsum(rng.normal(0, 2, 120))  # simulated news-volume index
    n = rng.poisson(np.exp(0.02 * (index - 50)) * 2.0)
    data = tmp_path / "simulated_events.csv"
    pd.DataFrame({"date": np.repeat(dates, n), "region": "East"}).to_csv(data, index=False)
    series = tmp_path / "simulated_index.csv"
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "news": index}).to_csv(series, index=False)
    out = tmp_path / "r.html"
    argv = ["report", "--data", str(data), "--group-col", "region", "--event", "2022-03-12:talks"]
    code = main([*argv, "--controls-file", str(series), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "control series as predictors (1) p" in captured.out
    bad = tmp_path / "bad.csv"
    bad.write_text("date,news\nsoon,1\n")
    assert main([*argv, "--controls-file", str(bad), "--out", str(tmp_path / "x.html")]) == 2
    assert "row 0 has no readable date ('soon')" in capsys.readouterr().err


def test_tables_read_as_words_without_nan() -> None:
    from flashpoint.report._tables import table_html

    table = pd.DataFrame(
        {
            "country": ["North", "South"],
            "rate_ratio_lower": [0.5, np.nan],
            "p_holm": [0.0004, 0.25],
            "reliable": np.array([True, False]),
            "end": pd.to_datetime(["2024-01-02", None]),
            "note": [None, "a <b>"],
            "official_cumulative": pd.array([1234, None], dtype="Int64"),
        }
    )
    page = table_html(table)
    for heading in ("Country", "Rate ratio: lower", "p (Holm)", "Reliable", "Official total"):
        assert f">{heading}</th>" in page, heading
    assert "nan" not in page.lower()
    assert "&lt;NA&gt;" not in page
    assert "NaT" not in page
    assert page.count("\u2014") == 4  # the missing ratio, date, note and tally
    assert "< 0.001" not in page
    assert "&lt; 0.001" in page
    assert ">0.250<" in page
    assert ">yes<" in page
    assert ">no<" in page
    assert ">1,234<" in page
    assert "a &lt;b&gt;" in page
    assert not page.startswith("<details>")
    long = pd.DataFrame({"day": range(40), "count": range(40)})
    assert table_html(long).startswith("<details><summary>Show all 40 rows</summary>")


def test_page_has_a_group_selector_print_styles_and_folded_tables(
    bundled_report: fp.Report,
) -> None:
    page = bundled_report.to_html()
    assert '<select id="fp-group" data-column="Country"' in page
    assert '<option value="Iraq">Iraq</option>' in page
    assert '<option value="Syria">Syria</option>' in page
    assert "@media print" in page
    assert "beforeprint" in page
    assert "<details><summary>Show all" in page  # the event study's per-event table
    assert ">nan<" not in page
    assert "&lt;NA&gt;" not in page
