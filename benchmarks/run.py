"""Every benchmark at a stated size, side by side with its peer, in one table.

One row per workload of the scale issue (the report at many groups, placebo, alarms, import,
counting, change points, Hawkes) plus the issue-level features with a peer (synthetic control
vs pysyncon, ITS vs Prophet). Each workload runs in its own child process (fresh imports,
its own peak memory), with flashpoint from this checkout's ``src/``. All data are simulated
and seeded (named ``simulated_*``), except the bundled data where a row says so.

Run
---
``python benchmarks/run.py``                  the stated (full) sizes, about 15-20 minutes
``python benchmarks/run.py --quick``          small sizes, under a minute: CI runs it to catch
                                              order-of-magnitude regressions (exit status 1
                                              when a row takes over 10x its quick budget)
``python benchmarks/run.py --only placebo``   some rows (names as printed)

Peers are optional and never core dependencies: ``pip install -e ".[bench]"`` into the
Python given by ``--peers-python`` (ruptures, Prophet, pysyncon; default: this Python) and
tick / Omi's Hawkes in ``--hawkes-python`` (see ``bench_hawkes_times.py``). A peer that is
not installed shows as such; its row keeps flashpoint's time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

Result = dict[str, Any]


@dataclass(frozen=True)
class Workload:
    """A row of the table: what runs at which size, and what is needed of it."""

    name: str
    full: int
    quick: int | None  # None: not run with --quick
    unit: str
    needed: str
    quick_budget_s: float  # flashpoint seconds expected at the quick size on 2 cores
    check: Callable[[Result], bool | None]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _peer_child(python: str, code: str, *args: str) -> Result:
    """Run a peer's timing in another interpreter (it prints one JSON line)."""
    if not Path(python).exists():
        return {"peer_error": f"no Python at {python}"}
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + str(HERE))
    proc = subprocess.run(
        [python, "-c", code, *args], capture_output=True, text=True, env=env, timeout=3600
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"peer_error": last[:120]}
    return json.loads(lines[-1])


# ------------------------------------------------------------------------------------------
# the workloads (each runs in a child: ``run.py --child NAME SIZE``)
# ------------------------------------------------------------------------------------------
def simulated_panel_events(n_groups: int, n_days: int, seed: int = 13) -> pd.DataFrame:
    """Seeded simulated events (NOT real): groups of different sizes, a step at 60% of days."""
    rng = np.random.default_rng(seed)
    rates = 0.2 + 3.0 * rng.pareto(2.0, n_groups) / (1 + rng.pareto(2.0, n_groups))
    step = np.where(np.arange(n_days) >= int(0.6 * n_days), 1.3, 1.0)
    y = rng.poisson(np.outer(rates, step))
    days = np.repeat(np.tile(np.arange(n_days), n_groups), y.ravel())
    groups = np.repeat(np.repeat(np.arange(n_groups), n_days), y.ravel())
    start = pd.Timestamp("2010-01-01")
    return pd.DataFrame(
        {
            "event_id": np.arange(days.size).astype(str),
            "date": (start + pd.to_timedelta(days, unit="D")).astype("datetime64[us]"),
            "country": np.char.add("region_", np.char.zfill(groups.astype(str), 4)),
        }
    )


def report_case(n_groups: int, n_days: int = 3650) -> Result:
    import flashpoint as fp

    events = simulated_panel_events(n_groups, n_days)
    event = fp.EventSpec(date=pd.Timestamp("2010-01-01") + pd.Timedelta(days=int(0.6 * n_days)))
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        report = fp.build_report(events, interventions=[event], by="country")
        path = report.write(Path(tmp) / "report.html")
        seconds = time.perf_counter() - t0
        html = Path(path).read_text(encoding="utf-8")
    import re

    iso = sum(len(m) for m in re.findall(r'"\d{4}-\d\d-\d\d(?:T[\d:.]+)?"', html))
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "html_mb": len(html.encode()) / 1e6,
        "iso_date_share": iso / max(len(html), 1),
        "events": len(events),
        "detail": f"{len(events):,} events; {len(html.encode()) / 1e6:.1f} MB HTML; "
        f"ISO dates {100 * iso / max(len(html), 1):.1f}% of the page",
    }


def report_files_case(n: int) -> Result:
    """The report on ``n`` simulated events in Parquet files, counted out of core."""
    from bench_scale import write_simulated_events

    import flashpoint as fp

    folder = Path(os.environ.get("FLASHPOINT_BENCH_DIR", tempfile.gettempdir())) / f"fp-{n}"
    folder.mkdir(parents=True, exist_ok=True)
    files, _written = write_simulated_events(folder, n, chunk=min(n, 5_000_000))
    event = fp.EventSpec(date="2016-01-01", label="step")
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        report = fp.build_report([str(f) for f in files], interventions=[event], by="country")
        path = report.write(Path(tmp) / "report.html")
        seconds = time.perf_counter() - t0
        size = Path(path).stat().st_size / 1e6
    return {"seconds": seconds, "peak_mb": _peak_mb(), "html_mb": size,
            "detail": f"{n:,} events in {len(files)} Parquet files (kept in {folder}); peak RSS "
            f"{_peak_mb():,.0f} MB; {size:.1f} MB HTML"}  # fmt: skip


def import_case(n: int) -> Result:
    def best(code: str) -> float:
        out = []
        for _ in range(n):
            proc = subprocess.run(
                [sys.executable, "-c", f"import time; t=time.perf_counter(); {code}; "
                 "print(time.perf_counter()-t)"],
                capture_output=True, text=True, check=True,
                env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
            )  # fmt: skip
            out.append(float(proc.stdout.split()[-1]))
        return min(out)

    ours = best("import flashpoint")
    peer = best("import pandas, plotly.graph_objects")
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, flashpoint; print('statsmodels' in sys.modules)"],
        capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
    ).stdout.strip()  # fmt: skip
    return {"seconds": ours, "peer": "import pandas, plotly.graph_objects", "peer_seconds": peer,
            "detail": f"best of {n}; statsmodels imported: {loaded}"}  # fmt: skip


def counts_case(n: int) -> Result:
    from bench_counts import plain_pandas, simulated_events

    import flashpoint as fp

    events = simulated_events(n)
    events["date"] = events["date"].dt.strftime("%Y-%m-%d")  # ISO strings, as read from CSV

    def ours() -> pd.DataFrame:
        return fp.count_daily(fp.validate_events(events, by="country"), by="country")

    def theirs() -> pd.DataFrame:
        return plain_pandas(events.assign(date=pd.to_datetime(events["date"], format="%Y-%m-%d")))

    ours()
    theirs()
    t_ours, a = _median_time(ours, 3)
    t_peer, b = _median_time(theirs, 3)
    same = int(a["count"].sum()) == int(b["count"].sum()) == n
    return {"seconds": t_ours, "peer": "pandas to_datetime + groupby + reindex",
            "peer_seconds": t_peer, "detail": f"median of 3; same totals: {same}"}  # fmt: skip


def placebo_case(n: int) -> Result:
    import flashpoint as fp

    rng = np.random.default_rng([20231122, 7, n])
    mu = np.full(n, 3.0)
    mu[int(0.55 * n) :] *= 1.5
    simulated = pd.DataFrame(
        {"date": pd.date_range("2000-01-01", periods=n),
         "count": rng.negative_binomial(2, 1 / (1 + 0.5 * mu))}
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fp.placebo_test(simulated.iloc[:200], simulated["date"].iloc[100])  # imports (timed apart)
        t0 = time.perf_counter()
        res = fp.placebo_test(simulated, simulated["date"].iloc[int(0.55 * n)])
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_mb": _peak_mb(),
            "detail": f"{len(res.placebos):,} placebo dates; peak RSS {_peak_mb():.0f} MB "
            "(child, imports included)"}  # fmt: skip


def placebo_peer_case(n: int) -> Result:
    from bench_placebo import _PEER

    out = _peer_child(sys.executable, _PEER, str(n), "windows", "3")
    if "peer_error" in out:
        return {"seconds": float("nan"), **out}
    return {"seconds": out["ours_s"], "peer": "statsmodels GLM NB looped over the same dates",
            "peer_seconds": out["statsmodels_s"],
            "detail": f"{out['n_fits']:,} fits; max |diff| in estimates "
            f"{out['max_abs_diff_same_alpha_tight']:.1e} (same dispersion)"}  # fmt: skip


def alarms_case(n: int) -> Result:
    import flashpoint as fp

    counts = fp.count_daily(fp.load_attacks(), by="country")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        fp.detect_alarms(counts)
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "detail": "bundled counts (3 groups); fresh process; "
            "CUSUM limits from a shipped table, interpolated"}  # fmt: skip


def _cp_counts(y: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.date_range("1900-01-01", periods=y.size), "count": y})


def bayes_case(n: int, family: str) -> Result:
    from bench_changepoints import simulated_piecewise_poisson

    import flashpoint as fp

    y, _true = simulated_piecewise_poisson(n, seed=36500)
    fp.detect_changepoints(_cp_counts(y[:500]), family=family)
    seconds, res = _median_time(lambda: fp.detect_changepoints(_cp_counts(y), family=family), 3)
    return {"seconds": seconds, "detail": f"{len(res.changes)} changes found"}


def bayes_sparse_case(n: int) -> Result:
    from bench_changepoints import simulated_sparse

    import flashpoint as fp

    y, _true = simulated_sparse(n)
    fp.detect_changepoints(_cp_counts(y[:500]))
    seconds, res = _median_time(lambda: fp.detect_changepoints(_cp_counts(y)), 1)
    return {"seconds": seconds, "detail": f"{int(y.sum()):,} events; {len(res.changes)} changes"}


_RUPTURES = r"""
import json, sys, time
import numpy as np
from bench_changepoints import ruptures_pelt, simulated_piecewise_poisson
from flashpoint.models.changepoints._pelt import penalty_value
n = int(sys.argv[1])
y, _ = simulated_piecewise_poisson(n, seed=36500)
beta, _ = penalty_value("bic", y.size)
ruptures_pelt(y[:300], beta)
t0 = time.perf_counter(); found = ruptures_pelt(y, beta); sec = time.perf_counter() - t0
print(json.dumps({"seconds": sec, "changes": [int(c) for c in found]}))
"""


def pelt_case(n: int, peers_python: str) -> Result:
    from bench_changepoints import MIN_SIZE, simulated_piecewise_poisson

    import flashpoint as fp

    y, _true = simulated_piecewise_poisson(n, seed=36500)
    counts = _cp_counts(y)
    fp.detect_changepoints(counts.iloc[:500], method="pelt", penalty="bic", min_size=MIN_SIZE)
    seconds, res = _median_time(
        lambda: fp.detect_changepoints(counts, method="pelt", penalty="bic", min_size=MIN_SIZE), 5
    )
    ours = (res.changes["date"] - counts["date"].iloc[0]).dt.days.to_numpy()
    peer = _peer_child(peers_python, _RUPTURES, str(n))
    out: Result = {"seconds": seconds, "peer": "ruptures Pelt (Poisson cost, jump=1)"}
    if "peer_error" in peer:
        return {**out, "detail": f"peer: {peer['peer_error']}"}
    same = [int(c) for c in ours] == peer["changes"]
    return {**out, "peer_seconds": peer["seconds"],
            "detail": f"{len(peer['changes'])} changes; same change points: {same}"}  # fmt: skip


def hawkes_times_case(n: int, hawkes_python: str) -> Result:
    from bench_hawkes_times import run_peers, simulated_times, time_flashpoint

    t, end = simulated_times(n)
    ours = time_flashpoint(t, end, repeats=3 if n <= 100_000 else 1)
    out: Result = {"seconds": ours["seconds"],
                   "detail": f"{t.size:,} events; branching {ours['branching']:.3f}"}  # fmt: skip
    peers = run_peers(hawkes_python, {n: (t, end)})
    if isinstance(peers, str):
        return {**out, "peer": "tick / Omi Hawkes", "detail": out["detail"] + f"; {peers}"}
    full_mle = {k: v for k, v in peers[str(n)].items() if "grid" in k or "full MLE" in k}
    name, best = min(full_mle.items(), key=lambda kv: kv[1]["seconds"])
    fixed = peers[str(n)].get("tick likelihood (true decay)", {})
    return {**out, "peer": name, "peer_seconds": best["seconds"],
            "detail": out["detail"] + f" (peer {best['branching']:.3f}); tick with the decay "
            f"given: {fixed.get('seconds', float('nan')):.2f} s"}  # fmt: skip


def hawkes_daily_case(n: int) -> Result:
    import flashpoint as fp
    from flashpoint.models.hawkes import simulate_hawkes_counts

    simulated_2 = simulate_hawkes_counts(
        n, background=[0.6, 0.5], branching_ratio=[[0.3, 0.3], [0.0, 0.4]], decay=0.6,
        groups=["A", "B"], seed=2025,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fp.fit_hawkes(
            simulated_2[simulated_2["date"] < simulated_2["date"].iloc[0] + pd.Timedelta(days=400)],
            multivariate=True,
        )
        seconds, _ = _median_time(lambda: fp.fit_hawkes(simulated_2, multivariate=True), 3)
    return {"seconds": seconds, "detail": "2 groups, default (profile CIs, auto background)"}


def synth_case(n: int, peers_python: str) -> Result:
    from bench_synth import run_peer, simulated_counts, simulated_rates, time_flashpoint

    counts, event = simulated_counts(20, n)
    ours = time_flashpoint(counts, event, repeats=3, pool="donors")
    rates, pre = simulated_rates(20, n)
    peer = run_peer(peers_python, rates, pre)
    out: Result = {"seconds": ours["seconds"], "peer": "pysyncon Synth, each unit in turn",
                   "detail": "20 donors; treated fit + in-space placebos"}  # fmt: skip
    if isinstance(peer, str):
        return {**out, "detail": out["detail"] + f"; peer: {peer}"}
    return {**out, "peer_seconds": peer["seconds"]}


def its_prophet_case(n: int, peers_python: str) -> Result:
    import flashpoint as fp

    rng = np.random.default_rng(3650)
    simulated = pd.DataFrame(
        {"date": pd.date_range("2010-01-01", periods=n),
         "count": rng.negative_binomial(2, 1 / (1 + 1.5 * np.linspace(2, 4, n)))}
    )  # fmt: skip
    event = simulated["date"].iloc[int(0.8 * n)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fp.fit_its(simulated.iloc[:200], simulated["date"].iloc[150])
        seconds, _ = _median_time(lambda: fp.fit_its(simulated, event), 3)
    code = (
        "import json, sys, time, logging\nimport numpy as np, pandas as pd\n"
        "logging.getLogger('cmdstanpy').disabled = True\nfrom prophet import Prophet\n"
        "n = int(sys.argv[1]); rng = np.random.default_rng(3650)\n"
        "y = rng.negative_binomial(2, 1 / (1 + 1.5 * np.linspace(2, 4, n)))\n"
        "df = pd.DataFrame({'ds': pd.date_range('2010-01-01', periods=n), 'y': y})\n"
        "cut = int(0.8 * n); t0 = time.perf_counter()\n"
        "m = Prophet().fit(df.iloc[:cut]); m.predict(df[['ds']])\n"
        "print(json.dumps({'seconds': time.perf_counter() - t0}))\n"
    )
    peer = _peer_child(peers_python, code, str(n))
    out: Result = {"seconds": seconds, "peer": "Prophet fit (pre-period) + predict",
                   "detail": "NB ITS, step at 80% of days"}  # fmt: skip
    if "peer_error" in peer:
        return {**out, "detail": out["detail"] + f"; peer: {peer['peer_error']}"}
    return {**out, "peer_seconds": peer["seconds"]}


def _under(key: str, limit: float) -> Callable[[Result], bool | None]:
    return lambda r: None if key not in r else bool(r[key] < limit)


def _ratio_at_least(x: float) -> Callable[[Result], bool | None]:
    def check(r: Result) -> bool | None:
        if not r.get("peer_seconds"):
            return None
        return bool(r["peer_seconds"] / r["seconds"] >= x)

    return check


def _ratio_at_most(x: float) -> Callable[[Result], bool | None]:
    def check(r: Result) -> bool | None:
        if not r.get("peer_seconds"):
            return None
        return bool(r["seconds"] / r["peer_seconds"] <= x)

    return check


def _all(*checks: Callable[[Result], bool | None]) -> Callable[[Result], bool | None]:
    def check(r: Result) -> bool | None:
        out = [c(r) for c in checks]
        return None if None in out else all(out)

    return check


WORKLOADS = [
    Workload("report, 12 groups + intervention", 12, None, "groups x 1 y", "works", 25,
             lambda r: bool(np.isfinite(r.get("seconds", np.nan)))),
    Workload("report, 50 groups x 10 y", 50, 4, "groups", "< 60 s, < 20 MB",
             3, _all(_under("seconds", 60), _under("html_mb", 20))),
    Workload("report, 1,000 groups x 10 y", 1000, 16, "groups", "< 300 s; linear in groups",
             4, _under("seconds", 300)),
    Workload("report from Parquet, out of core", 100_000_000, None, "events",
             "works; events never in memory", 60, _under("peak_mb", 4000)),
    Workload("placebo_test default", 10_000, 1_000, "days", "< 2 s, < 300 MB",
             1.5, _all(_under("seconds", 2), _under("peak_mb", 300))),
    Workload("placebo vs statsmodels loop", 5_000, 300, "days", ">= 20x", 1, _ratio_at_least(20)),
    Workload("detect_alarms first call", 1, 1, "bundled", "< 1 s", 1, _under("seconds", 1)),
    Workload("import flashpoint", 5, 3, "runs", "<= 1.5x", 2, _ratio_at_most(1.5)),
    Workload("validate + count, ISO dates", 1_000_000, 100_000, "events", "<= 1.3x", 1,
             _ratio_at_most(1.3)),
    Workload("Bayesian change points, Poisson", 36_500, 3_650, "days", "< 2 s", 0.5,
             _under("seconds", 2)),
    Workload("Bayesian change points, NB", 36_500, 3_650, "days", "< 2 s", 0.8,
             _under("seconds", 2)),
    Workload("Bayesian change points, sparse", 40_907, None, "days", "< 5 s", 1,
             _under("seconds", 5)),
    Workload("PELT Poisson vs ruptures", 36_500, 3_650, "days", ">= 300x", 0.2,
             _ratio_at_least(300)),
    Workload("Hawkes MLE on timestamps", 1_000_000, 10_000, "events", "<= fastest peer", 0.5,
             _ratio_at_most(1.0)),
    Workload("multivariate daily Hawkes", 3_650, 730, "days", "< 0.5 s", 1,
             _under("seconds", 0.5)),
    Workload("synthetic control vs pysyncon", 730, 200, "days", "faster", 2, _ratio_at_most(1.0)),
    Workload("fit_its vs Prophet", 3_650, 730, "days", "faster", 1, _ratio_at_most(1.0)),
]  # fmt: skip


def run_child(name: str, size: int, args: argparse.Namespace) -> Result:
    """Run one workload in this process (called in a child)."""
    quick = args.quick
    cases: dict[str, Callable[[], Result]] = {
        "report, 12 groups + intervention": lambda: report_case(size, 365),
        "report, 50 groups x 10 y": lambda: report_case(size, 365 if quick else 3650),
        "report, 1,000 groups x 10 y": lambda: report_case(size, 365 if quick else 3650),
        "report from Parquet, out of core": lambda: report_files_case(size),
        "placebo_test default": lambda: placebo_case(size),
        "placebo vs statsmodels loop": lambda: placebo_peer_case(size),
        "detect_alarms first call": lambda: alarms_case(size),
        "import flashpoint": lambda: import_case(size),
        "validate + count, ISO dates": lambda: counts_case(size),
        "Bayesian change points, Poisson": lambda: bayes_case(size, "poisson"),
        "Bayesian change points, NB": lambda: bayes_case(size, "negbin"),
        "Bayesian change points, sparse": lambda: bayes_sparse_case(size),
        "PELT Poisson vs ruptures": lambda: pelt_case(size, args.peers_python),
        "Hawkes MLE on timestamps": lambda: hawkes_times_case(size, args.hawkes_python),
        "multivariate daily Hawkes": lambda: hawkes_daily_case(size),
        "synthetic control vs pysyncon": lambda: synth_case(size, args.peers_python),
        "fit_its vs Prophet": lambda: its_prophet_case(size, args.peers_python),
    }
    return cases[name]()


def run_workload(w: Workload, quick: bool, args: argparse.Namespace) -> Result:
    size = w.quick if quick and w.quick is not None else w.full
    cmd = [sys.executable, __file__, "--child", w.name, str(size), *(["--quick"] if quick else []),
           "--peers-python", args.peers_python, "--hawkes-python", args.hawkes_python]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + str(HERE))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"seconds": float("nan"), "detail": f"FAILED: {last[:150]}", "size": size}
    return {**json.loads(lines[-1]), "size": size}


def _row(w: Workload, r: Result, quick: bool) -> dict[str, Any]:
    peer_s = r.get("peer_seconds")
    ratio = peer_s / r["seconds"] if peer_s and r["seconds"] else float("nan")
    met = w.check(r)
    if quick:
        met = bool(r["seconds"] < 10 * w.quick_budget_s)
    return {
        "workload": w.name,
        "size": f"{r['size']:,} {w.unit}",
        "flashpoint_s": r["seconds"],
        "peer": r.get("peer", "-")
        if peer_s
        else (r.get("peer", "-") + " (not run)" if "peer" in r else "-"),
        "peer_s": peer_s if peer_s else float("nan"),
        "peer/flashpoint": ratio,
        "needed": f"< {10 * w.quick_budget_s:g} s (10x budget)" if quick else w.needed,
        "met": {True: "yes", False: "NO", None: "?"}[met],
        "detail": r.get("detail", ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (CI, < 1 min)")
    parser.add_argument("--only", nargs="*", help="workload names (substrings) to run")
    parser.add_argument("--peers-python", default=sys.executable)
    parser.add_argument("--hawkes-python", default="/tmp/hawkes-venv/bin/python")
    parser.add_argument("--json", help="also write the table to this JSON file")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        warnings.simplefilter("ignore")
        print(json.dumps(run_child(args.child[0], int(args.child[1]), args), default=float))
        return
    chosen = [w for w in WORKLOADS if not args.only or any(o in w.name for o in args.only)]
    rows, t0 = [], time.perf_counter()
    for w in chosen:
        if args.quick and w.quick is None:
            continue
        r = run_workload(w, args.quick, args)
        rows.append(_row(w, r, args.quick))
        print(f"  {w.name}: {r['seconds']:.3g} s  {r.get('detail', '')}", file=sys.stderr)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_colwidth", 90):
        print(table.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    sizes = "quick" if args.quick else "full"
    print(f"\n{len(rows)} workloads in {time.perf_counter() - t0:.0f} s ({sizes} sizes; "
          "simulated data unless 'bundled')")  # fmt: skip
    if args.json:
        table.to_json(args.json, orient="records", indent=1)
    if args.quick and (table["met"] == "NO").any():
        sys.exit(1)


if __name__ == "__main__":
    main()
