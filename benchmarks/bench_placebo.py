"""Benchmark and simulation study of the placebo test (``fp.placebo_test``).

Every series is SIMULATED (seeded negative-binomial counts, ``simulated_*``) except in
section 4, which uses the bundled attacks data set. One run prints, as plain-text tables:

1. size: rejection rates at nominal 0.05 and 0.10 of in-time placebo tests of an event
   WITHOUT an effect, at a fixed real date (middle, near the start, near the end; with a
   trend; short and sparse series; overdispersed; autocorrelated), for the ranked
   statistics ``z`` (estimate / std. error, the default) and ``estimate`` (log rate
   ratio), and of across-group placebos with heterogeneous groups; Monte Carlo standard
   errors alongside;
2. scale: ``placebo_test`` with its default (every eligible) placebo dates on 2,500 to
   20,000 days: wall time and peak resident memory (Linux ``VmHWM``) of a fresh child
   process, minus the same process's peak before the call; with ``--before REF`` the
   same for the implementation at git ``REF`` (the O(n^2) one: 46.6 s, 1.53 GB at 10,000
   days when the issue was filed);
3. peer: the same placebo fits as a loop of statsmodels GLM fits (the user's loop: NB
   dispersion estimated once by ``sm.NegativeBinomial``, then ``sm.GLM`` with it fixed at
   every placebo date), same dates, results compared, time ratio;
4. data: the KH strike (2023-11-22, step) with the Gaza truce (2023-11-24..2023-12-01,
   pulse) on the bundled attacks, per country (Jordan left out), both statistics, in-time
   and across-group, and with ``--before REF`` the old implementation's p-values.

The algorithm measured in 2-3 is the *anchored expansion* of ``flashpoint.models._moving``
(exact blocked Fisher scoring at every 32nd placebo date, a second-order expansion of the
score around the nearest exact fit plus the exactly updated rows for the others,
refitted exactly where the expansion's error bound is not met): ``O(n)`` memory and
``O(n n_fits / 32 + 32 n_fits)`` time instead of ``O(n n_fits)``.

Child processes run with one BLAS thread (``OPENBLAS_NUM_THREADS=1`` etc.): on this
2-core machine shared with other jobs, multi-threaded OpenBLAS ran the skinny matrix
products of both contenders 10-50x slower (see /work/shared/ENVIRONMENT.md); ``--threads
default`` measures without the pin.

Run (from the repository root):
    python benchmarks/bench_placebo.py                       # everything (~30 min)
    python benchmarks/bench_placebo.py --quick               # 200 series per setup
    python benchmarks/bench_placebo.py --sections scale,peer --before 5f69a8c
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import flashpoint as fp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = 20231122
START = pd.Timestamp("2020-01-01")
SECTIONS = ("size", "scale", "peer", "data")
THREAD_VARS = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
LEVELS = (0.05, 0.10)


# ------------------------------------------------------------------------------------------
# simulated data
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Setup:
    """One simulated design: NB2 counts without an effect at the tested date."""

    name: str
    n_days: int
    real_day: int
    baseline: float = 3.0
    nb_alpha: float = 0.5
    growth: float = 0.0  # log rate change over the series (a trend in the truth)
    ar: float = 0.0  # AR(1) coefficient of a latent log-rate noise (autocorrelation)
    ar_sd: float = 0.0
    family: str = "negbin"
    trend: str = "linear"

    def describe(self) -> str:
        extra = []
        if self.growth:
            extra.append(f"log-rate trend {self.growth:+g} over the series")
        if self.ar:
            extra.append(f"AR(1) log-rate noise rho {self.ar}, sd {self.ar_sd}")
        return (
            f"{self.n_days} days, event day {self.real_day}, baseline {self.baseline}/day, "
            f"NB2 alpha {self.nb_alpha}" + ("; " + ", ".join(extra) if extra else "")
        )


SETUPS = (
    Setup("middle", 365, 182),
    Setup("near start", 365, 20),
    Setup("near end", 365, 352),
    Setup("trend, 3/4", 365, 274, growth=1.0),
    Setup("short, like KH", 110, 36, baseline=1.0, nb_alpha=1.0),
    Setup("short, near end", 120, 108),
    Setup("sparse, overdispersed", 365, 300, baseline=0.5, nb_alpha=2.0),
    Setup("autocorrelated", 365, 182, ar=0.8, ar_sd=0.3),
)


def simulate(rng: np.random.Generator, setup: Setup, n_groups: int = 1) -> pd.DataFrame:
    """Simulated NB2 counts (``Var = mu + alpha mu^2``) of ``n_groups`` series."""
    t = np.arange(setup.n_days)
    frames = []
    for g in range(n_groups):
        log_mu = np.log(setup.baseline) + setup.growth * t / setup.n_days
        if setup.ar:
            e = rng.normal(0.0, setup.ar_sd * np.sqrt(1 - setup.ar**2), setup.n_days)
            noise = np.empty(setup.n_days)
            noise[0] = rng.normal(0.0, setup.ar_sd)
            for i in range(1, setup.n_days):
                noise[i] = setup.ar * noise[i - 1] + e[i]
            log_mu = log_mu + noise
        mu = np.exp(log_mu)
        y = rng.negative_binomial(1.0 / setup.nb_alpha, 1.0 / (1.0 + setup.nb_alpha * mu))
        frames.append(
            pd.DataFrame(
                {"date": pd.date_range(START, periods=setup.n_days), "group": g, "count": y}
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out if n_groups > 1 else out.drop(columns="group")


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------
def _pin_worker() -> None:
    warnings.simplefilter("ignore")


def _map(fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int) -> list[Any]:
    """Map over spawned processes with one BLAS thread each (env vars read at import)."""
    if workers <= 1:
        return [fn(t) for t in tasks]
    saved = {k: os.environ.get(k) for k in THREAD_VARS}
    os.environ.update(dict.fromkeys(THREAD_VARS, "1"))
    try:
        with mp.get_context("spawn").Pool(workers, initializer=_pin_worker) as pool:
            return pool.map(fn, tasks, chunksize=1)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _chunks(n: int, size: int) -> list[range]:
    return [range(i, min(i + size, n)) for i in range(0, n, size)]


def _table(frame: pd.DataFrame, floatfmt: str = "{:.4g}") -> str:
    return frame.to_string(
        index=False, float_format=lambda v: floatfmt.format(v), na_rep="-", justify="right"
    )


def _header(title: str) -> None:
    print(f"\n{'=' * 100}\n{title}\n{'=' * 100}", flush=True)


def _rank_p(observed: float, placebo: np.ndarray) -> float:
    placebo = placebo[~np.isnan(placebo)]
    return float((1 + np.sum(np.abs(placebo) >= abs(observed))) / (1 + len(placebo)))


def _z(est: np.ndarray, se: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.isinf(est), est, est / se)


# ------------------------------------------------------------------------------------------
# 1. size
# ------------------------------------------------------------------------------------------
DESIGNS = (("windows", 28), ("whole series", None))
VARIANTS = ("z", "estimate", "z, no overlap")


def _p_values(res: Any, real: pd.Timestamp) -> list[float]:
    """p-values of one test: z, estimate, and z without windows overlapping the real one."""
    row = res.table.iloc[0]
    pl = res.placebos
    est, se = pl["estimate"].to_numpy(float), pl["std_err"].to_numpy(float)
    z_obs, z_pl = _z(np.array([row["estimate"]]), np.array([row["std_err"]]))[0], _z(est, se)
    apart = np.abs((pl["date"] - real).dt.days.to_numpy())
    far = apart >= row["window_pre"] + row["window_post"]
    return [_rank_p(z_obs, z_pl), _rank_p(row["estimate"], est), _rank_p(z_obs, z_pl[far])]


def _in_time_task(task: tuple[int, range]) -> list[tuple[int, ...]]:
    """p-values of both designs (windows, whole series), every variant, per series."""
    k, sims = task
    setup = SETUPS[k]
    real = START + pd.Timedelta(days=setup.real_day)
    out = []
    for sim in sims:
        simulated_counts = simulate(np.random.default_rng([SEED, k, sim]), setup)
        ps: list[float] = [sim]
        for _name, window in DESIGNS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    res = fp.placebo_test(
                        simulated_counts,
                        real,
                        window=window,
                        family=setup.family,
                        trend=setup.trend,
                    )
                    ps += _p_values(res, real)
                except fp.FlashpointError:
                    ps += [np.nan] * len(VARIANTS)
        out.append(tuple(ps))
    return out


def _across_task(sims: range) -> list[tuple[int, float, float, float, float]]:
    """Across-group p-values of the smallest and the largest of 10 heterogeneous groups."""
    baselines = np.geomspace(0.3, 10.0, 10)
    out = []
    for sim in sims:
        rng = np.random.default_rng([SEED, 77, sim])
        frames = [
            simulate(rng, Setup("g", 365, 182, baseline=b)).assign(group=f"g{i}")
            for i, b in enumerate(baselines)
        ]
        simulated_counts = pd.concat(frames, ignore_index=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fp.placebo_test(
                simulated_counts, START + pd.Timedelta(days=182), kind="across_group", by="group"
            )
        t = res.table.set_index("group")
        z = _z(t["estimate"].to_numpy(float), t["std_err"].to_numpy(float))
        est = t["estimate"].to_numpy(float)
        ps = []
        for i in (0, len(baselines) - 1):
            others = np.delete(np.arange(len(baselines)), i)
            ps += [_rank_p(z[i], z[others]), _rank_p(est[i], est[others])]
        out.append((sim, *ps))
    return out


def _size_rows(name: str, detail: str, p: np.ndarray, statistic: str) -> list[dict[str, Any]]:
    p = p[~np.isnan(p)]
    rows = []
    for level in LEVELS:
        rate = float(np.mean(p <= level))
        se = np.sqrt(level * (1 - level) / len(p))
        rows.append(
            {
                "setup": name,
                "statistic": statistic,
                "level": level,
                "n_series": len(p),
                "size": rate,
                "mc_se": se,
                "within_2se": abs(rate - level) <= 2 * se,
                "detail": detail,
            }
        )
    return rows


def size_study(n_sims: int, workers: int) -> pd.DataFrame:
    t0 = time.perf_counter()
    tasks = [(k, c) for k in range(len(SETUPS)) for c in _chunks(n_sims, 25)]
    parts = _map(_in_time_task, tasks, workers)
    across = [r for part in _map(_across_task, _chunks(n_sims, 25), workers) for r in part]
    rows: list[dict[str, Any]] = []
    for k, setup in enumerate(SETUPS):
        res = np.array(
            [r[1:] for (kk, _c), part in zip(tasks, parts, strict=True) for r in part if kk == k]
        )
        for d, (design, _w) in enumerate(DESIGNS):
            for v, variant in enumerate(VARIANTS):
                if design == "whole series" and variant == "z, no overlap":
                    continue
                p = res[:, d * len(VARIANTS) + v]
                rows += _size_rows(setup.name, setup.describe(), p, f"{design}: {variant}")
    a = np.array([r[1:] for r in across])
    detail = "10 groups, baselines 0.3..10/day (geometric), 365 days; p of the"
    for j, (which, stat) in enumerate(
        [("smallest", "z"), ("smallest", "estimate"), ("largest", "z"), ("largest", "estimate")]
    ):
        rows += _size_rows(f"across-group, {which}", f"{detail} {which} group", a[:, j], stat)
    table = pd.DataFrame(rows)
    print(
        "in-time: placebo_test(counts, real_date, window=28) (windows: 28 days each side, "
        "the default) and window=None (whole series, min_pre=14, min_post=7: the previous "
        "design); NB ITS with linear trend, two-sided; each fit gives the z and estimate "
        "p-values; 'no overlap' leaves out the windows overlapping the real one. "
        "Across-group: placebo_test(kind='across_group'); with 10 groups the smallest "
        "attainable p is 0.1, so the size at 0.05 is 0 by construction."
    )
    print(_table(table.drop(columns="detail")))
    for setup in SETUPS:
        print(f"  {setup.name}: {setup.describe()}")
    print(f"[{len(SETUPS) * n_sims + n_sims} placebo tests in {time.perf_counter() - t0:.0f} s]")
    return table


# ------------------------------------------------------------------------------------------
# 2. scale (child processes)
# ------------------------------------------------------------------------------------------
_CHILD = r"""
import json, sys, time, warnings
import numpy as np, pandas as pd
import flashpoint as fp

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
n = int(sys.argv[1])
kw = {} if sys.argv[2] == "default" else {"window": None}
rng = np.random.default_rng([20231122, n])
mu = np.full(n, 3.0)
mu[int(0.6 * n):] *= 1.5
simulated = pd.DataFrame({"date": pd.date_range("2000-01-01", periods=n),
                          "count": rng.negative_binomial(2, 1 / (1 + 0.5 * mu))})
real = simulated["date"].iloc[int(0.6 * n)]
warnings.simplefilter("ignore")
fp.placebo_test(simulated.iloc[:200], simulated["date"].iloc[100], **kw)  # imports, first calls
before = hwm()
t = time.perf_counter()
res = fp.placebo_test(simulated, real, **kw)
wall = time.perf_counter() - t
row = res.summary().iloc[0]
print(json.dumps({"n_days": n, "wall_s": wall, "peak_mb": hwm(), "peak_before_mb": before,
                  "n_placebo": int(row["n_placebo"]), "p_value": float(row["p_value"])}))
"""


def _child(
    n: int, design: str, pythonpath: Path, threads: str, timeout: float = 3600
) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    if threads == "one":
        env.update(dict.fromkeys(THREAD_VARS, "1"))
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(n), design],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"n_days": n, "error": proc.stderr[-800:]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _checkout(ref: str) -> Path:
    """Extract ``src/`` of git ``ref`` into a temporary directory (for --before)."""
    out = Path(tempfile.mkdtemp(prefix="fp-placebo-before-"))
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True)
    (out / "data").symlink_to(ROOT / "data")  # a source checkout finds data/ next to src/
    return out / "src"


def scale_study(sizes: Sequence[int], before: str | None, threads: str) -> pd.DataFrame:
    rows = []
    runs = [("this branch: default (window=28)", ROOT / "src", "default")]
    runs.append(("this branch: window=None", ROOT / "src", "none"))
    if before:
        runs.append((f"git {before}: default (whole series)", _checkout(before), "default"))
    for label, path, design in runs:
        for n in sizes:
            if label.startswith("git") and n > 10_000:
                continue  # O(n^2): 4x the 10,000-day cost
            r = _child(n, design, path, threads)
            r["version"] = label
            rows.append(r)
            print(f"  {label}, {n} days: {r}", flush=True)
    table = pd.DataFrame(rows)
    if "error" not in table:
        table["added_mb"] = table["peak_mb"] - table["peak_before_mb"]
        table["us_per_fit"] = 1e6 * table["wall_s"] / table["n_placebo"]
    cols = [
        c
        for c in (
            "version",
            "n_days",
            "n_placebo",
            "wall_s",
            "us_per_fit",
            "peak_mb",
            "peak_before_mb",
            "added_mb",
            "p_value",
            "error",
        )
        if c in table
    ]
    print(
        "simulated NB2 series (baseline 3/day, dispersion 0.5, step x1.5 at 60% of the "
        "series); fp.placebo_test(counts, real_date) with every eligible date, default "
        "windows or window=None (whole-series fits by the anchored expansion); "
        f"fresh child process per row, BLAS threads: {threads}; peak_mb = VmHWM after the "
        "call, peak_before_mb = VmHWM after imports and a 200-day warm-up call"
    )
    print(_table(table[cols]))
    return table


# ------------------------------------------------------------------------------------------
# 3. peer: the same estimator looped in statsmodels
# ------------------------------------------------------------------------------------------
_PEER = r"""
import json, sys, time, warnings
import numpy as np, pandas as pd
import statsmodels.api as sm
import flashpoint as fp

n, design, reps = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
window = 28 if design == "windows" else None
rng = np.random.default_rng([20231122, 7, n])
mu = np.full(n, 3.0)
real_day = int(0.55 * n)
mu[real_day:] *= 1.5
y = rng.negative_binomial(2, 1 / (1 + 0.5 * mu))
simulated = pd.DataFrame({"date": pd.date_range("2000-01-01", periods=n), "count": y})
warnings.simplefilter("ignore")
fp.placebo_test(simulated.iloc[:200], simulated["date"].iloc[100], window=window)  # warm up
sm.GLM(y[:50], np.ones((50, 1))).fit()

def ours():
    return fp.placebo_test(simulated, simulated["date"].iloc[real_day], window=window)

def loop(days, pre, post, alpha=None, tol=1e-8):
    # the user's loop: the real model for the NB dispersion, then one GLM per placebo date
    t = np.arange(n) / 7.0
    if alpha is None:
        X0 = np.column_stack([np.ones(n), t, (np.arange(n) >= real_day).astype(float)])
        nb = sm.NegativeBinomial(y, X0, loglike_method="nb2").fit(disp=0, maxiter=200)
        alpha = float(nb.params[-1])
    family = sm.families.NegativeBinomial(alpha=alpha)
    est, se = [], []
    for d in days:
        if window is None:
            rows = np.arange(n)
            X = np.column_stack([np.ones(n), t, (rows >= d).astype(float)])
        else:
            rows = np.arange(d - pre, d + post)
            local = np.arange(pre + post)
            X = np.column_stack([np.ones(len(rows)), local / 7.0, (local >= pre).astype(float)])
        r = sm.GLM(y[rows], X, family=family).fit(tol=tol)
        est.append(r.params[2]); se.append(r.bse[2])
    return np.array(est), np.array(se), alpha

times = []
for _ in range(reps):
    t0 = time.perf_counter(); res = ours(); times.append(time.perf_counter() - t0)
row = res.summary().iloc[0]
pre, post = int(row["window_pre"]), int(row["window_post"])
days = ((res.placebos["date"] - simulated["date"].iloc[0]).dt.days).to_numpy()
t0 = time.perf_counter(); est, se, alpha = loop(days, pre, post); loop_s = time.perf_counter() - t0
pl = res.placebos
ours_alpha = fp.fit_its(simulated, simulated["date"].iloc[real_day], n_sim=2).fits[None].nb_alpha
# agreement on the same dispersion, statsmodels converged tightly (first 50 dates)
tight, tight_se, _a = loop(days[:50], pre, post, alpha=ours_alpha, tol=1e-12)
print(json.dumps({
    "design": design, "n_days": n, "n_fits": len(days), "ours_s": float(np.median(times)),
    "statsmodels_s": loop_s,
    "max_abs_diff_estimate": float(np.nanmax(np.abs(pl["estimate"].to_numpy() - est))),
    "max_rel_diff_std_err": float(np.nanmax(np.abs(pl["std_err"].to_numpy() / se - 1))),
    "nb_alpha_ours": float(ours_alpha), "nb_alpha_statsmodels": alpha,
    "max_abs_diff_same_alpha_tight": float(np.abs(pl["estimate"][:50].to_numpy() - tight).max()),
    "max_rel_diff_se_same_alpha_tight": float(np.abs(pl["std_err"][:50] / tight_se - 1).max()),
}))
"""


def peer_study(cases: Sequence[tuple[int, str]], threads: str, reps: int) -> pd.DataFrame:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    if threads == "one":
        env.update(dict.fromkeys(THREAD_VARS, "1"))
    rows = []
    for n, design in cases:
        proc = subprocess.run(
            [sys.executable, "-c", _PEER, str(n), design, str(reps)],
            capture_output=True,
            text=True,
            env=env,
            timeout=3600,
        )
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        rows.append(json.loads(lines[-1]) if lines else {"n_days": n, "error": proc.stderr[-800:]})
        print(f"  {rows[-1]}", flush=True)
    table = pd.DataFrame(rows)
    if "error" not in table:
        table["speedup_x"] = table["statsmodels_s"] / table["ours_s"]
    print(
        "simulated NB2 series (baseline 3/day, dispersion 0.5, step x1.5 at 55%); ours = "
        f"fp.placebo_test(counts, real_date, window=28 or None) (median of {reps}, the real "
        "fit_its included); statsmodels = sm.NegativeBinomial fit of the real model for the "
        "dispersion, then sm.GLM(NegativeBinomial(alpha)) at each of the same placebo dates "
        "on the same rows (windows: intercept, trend in window time, step), one run; "
        "max_abs_diff_*: against that loop (statsmodels' default tolerance, its own "
        "dispersion) and, *_same_alpha_tight, against statsmodels with our dispersion and "
        f"tol=1e-12 on the first 50 dates; BLAS threads: {threads}"
    )
    print(_table(table))
    return table


# ------------------------------------------------------------------------------------------
# 4. bundled data
# ------------------------------------------------------------------------------------------
_DATA = r"""
import json, warnings
import numpy as np, pandas as pd
import flashpoint as fp
counts = fp.count_daily(fp.load_attacks(), by="country", start="2023-10-17", end="2024-02-04")
counts = counts[counts["country"] != "Jordan"].reset_index(drop=True)
events = [fp.EventSpec(date="2023-11-22", label="KH strike"),
          fp.EventSpec(date="2023-11-24", end="2023-12-01", shape="pulse", label="Gaza truce")]
rows = []
for kind in ("in_time", "across_group"):
    for statistic in ("z", "estimate"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            s = fp.placebo_test(counts, events, target="KH strike", kind=kind,
                                statistic=statistic).summary()
        for _, r in s.iterrows():
            rows.append({"kind": kind, "statistic": statistic, "country": r["country"],
                         "rate_ratio": float(r["rate_ratio"]), "observed": float(r["observed"]),
                         "n_placebo": int(r["n_placebo"]), "p_value": float(r["p_value"]),
                         "min_p_value": float(r.get("min_p_value", 1 / (1 + r["n_placebo"]))),
                         "warnings": sorted({w.category.__name__ for w in caught})})
print(json.dumps(rows))
"""


def bundled_data(before: str | None) -> pd.DataFrame:
    frames = []
    versions = [("this branch", ROOT / "src")]
    if before:
        versions.append((f"git {before}", _checkout(before)))
    for label, path in versions:
        proc = subprocess.run(
            [sys.executable, "-c", _DATA],
            capture_output=True,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(path)),
            timeout=1800,
        )
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("[")]
        if not lines:
            print(f"  {label}: failed: {proc.stderr[-800:]}")
            continue
        frames.append(pd.DataFrame(json.loads(lines[-1])).assign(version=label))
    table = pd.concat(frames, ignore_index=True)
    print(
        "real data: fp.count_daily(fp.load_attacks(), by='country', start='2023-10-17', "
        "end='2024-02-04'), Jordan left out; events: KH strike step 2023-11-22 + Gaza truce "
        "pulse 2023-11-24..2023-12-01; placebo_test(target='KH strike'), NB ITS, linear "
        "trend, two-sided (the old version had no z default: its 'statistic' is what was asked)"
    )
    print(_table(table[["version", *[c for c in table if c != "version"]]]))
    return table


# ------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="200 series per setup")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--sims", type=int, default=None, help="series per setup (1000)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--before", default=None, help="git ref of an older version to compare")
    parser.add_argument("--threads", choices=("one", "default"), default="one")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    if set(sections) - set(SECTIONS):
        parser.error(f"unknown sections; choose from {SECTIONS}")
    sims = args.sims or (200 if args.quick else 1000)
    t0 = time.perf_counter()
    print(
        f"bench_placebo.py: flashpoint {fp.__version__}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}; {os.cpu_count()} cores, load "
        f"average {os.getloadavg()[0]:.2f} at start. All series simulated except section 4."
    )
    if "size" in sections:
        _header(f"1. Size of in-time and across-group placebo tests ({sims} series per setup)")
        size_study(sims, args.workers)
    if "scale" in sections:
        _header("2. Scale: placebo_test with every eligible date, time and peak memory")
        sizes = (2_500, 5_000, 10_000) if args.quick else (2_500, 5_000, 10_000, 20_000)
        scale_study(sizes, args.before, args.threads)
    if "peer" in sections:
        _header("3. The same placebo fits looped in statsmodels")
        cases = [(1_100, "windows"), (365, "whole")]
        if not args.quick:
            cases += [(2_200, "windows"), (730, "whole")]
        peer_study(cases, args.threads, 5)
    if "data" in sections:
        _header("4. Bundled data: KH strike, per country")
        bundled_data(args.before)
    print(
        f"\ntotal {time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.2f} at "
        "the end (other processes share this machine)"
    )


if __name__ == "__main__":
    main()
