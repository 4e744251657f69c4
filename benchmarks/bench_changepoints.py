"""Benchmark: count change points (Bayesian posterior and PELT) against ruptures.

Simulated data only (seeded; NOT real data). Dense series: piecewise-constant Poisson
daily counts whose segments last 180..900 days and whose rates are log-uniform in
[0.3, 8] per day, each at least 1.5 times larger or smaller than the previous one. Sparse
series: 40,907 days (112 years) at 0.02, then 0.06, then 0.01 events a day (changes on
days 15,000 and 27,000).

Cases, one run side by side:

1. Bayesian posterior (``method="bayes"``) on 36,500 daily counts, Poisson and negative
   binomial (size by maximum marginal likelihood on its grid, the default for series this
   long), target < 2 s each; the sparse 40,907-day series, target < 5 s. The algorithm:
   start points dropped by a certified bound (``approx_error`` is printed: the bound on
   the total-variation error of the posterior; the MAP is exact) and the recursions run a
   block of 64 ends at a time (old starts as one score matrix, starts inside the block by
   a scaled triangular solve). ``--exact-check`` also runs the unpruned recursions on
   the first 10,000 days and prints the largest difference of the change probabilities.
2. PELT with a Poisson cost on 36,500 daily counts: flashpoint against ruptures ``Pelt``
   given the same Poisson cost as a custom cost (``jump=1``, same ``min_size`` and the same
   BIC penalty, ``2 log n``), with the F1 score of both against the true change dates
   (a detection within 5 days of a true change counts once) and the speed-up (target
   >= 300x, same change points). The algorithm: PELT scored a block of 64 ends at a time
   (cumulative sums give every segment total; starts inside the block by a min-plus fixed
   point). flashpoint's default MBIC penalty for information.
3. PELT on 100,000 daily counts (target < 5 s).

ruptures is a benchmark-only peer (the ``bench`` extra): ``pip install ruptures`` into a
separate environment (it is not a dependency of flashpoint).

Run:  python benchmarks/bench_changepoints.py                 (everything; ruptures ~2 min)
      python benchmarks/bench_changepoints.py --skip-ruptures (flashpoint only)
      python benchmarks/bench_changepoints.py --baseline /path/to/old/src
          (adds the same cases run by another flashpoint version, e.g. a ``git archive``
          of an earlier commit, in a subprocess: before/after side by side in one run)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.models.changepoints import detect_changepoints
from flashpoint.models.changepoints._pelt import pelt, penalty_value, segment_cost

MIN_SIZE = 2
MARGIN = 5


def simulated_piecewise_poisson(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded piecewise-constant Poisson counts (not real data) and the true change indices."""
    rng = np.random.default_rng(seed)
    rates, lengths = [], []
    rate = math.exp(rng.uniform(math.log(0.3), math.log(8.0)))
    total = 0
    while total < n:
        length = int(rng.integers(180, 901))
        rates.append(rate)
        lengths.append(length)
        total += length
        while True:
            new = math.exp(rng.uniform(math.log(0.3), math.log(8.0)))
            if max(new / rate, rate / new) >= 1.5:
                rate = new
                break
    mu = np.repeat(rates, lengths)[:n]
    changes = np.cumsum(lengths)[:-1]
    changes = changes[changes < n]
    return rng.poisson(mu), changes.astype(np.int64)


def simulated_sparse(n: int = 40_907, seed: int = 40907) -> tuple[np.ndarray, np.ndarray]:
    """Seeded mostly-zero counts (not real data): 0.02, 0.06, 0.01 events a day."""
    rng = np.random.default_rng(seed)
    mu = np.repeat([0.02, 0.06, 0.01], [15_000, 12_000, n - 27_000])
    return rng.poisson(mu), np.array([15_000, 27_000], dtype=np.int64)


def as_counts(y: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.date_range("1950-01-01", periods=y.size), "count": y})


def f1(found: np.ndarray, true: np.ndarray, margin: int = MARGIN) -> float:
    """F1 with one-to-one matching of detections within ``margin`` periods of a true change."""
    used = np.zeros(true.size, dtype=bool)
    hits = 0
    for d in np.sort(found):
        dist = np.abs(true - d).astype(float)
        dist[used] = np.inf
        j = int(np.argmin(dist)) if dist.size else -1
        if j >= 0 and dist[j] <= margin:
            used[j] = True
            hits += 1
    if found.size == 0 or true.size == 0:
        return 1.0 if found.size == true.size else 0.0
    precision, recall = hits / found.size, hits / true.size
    return 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """Median wall and CPU time over repeats, and the last result."""
    times, cpu, out = [], [], None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(times), statistics.median(cpu), out


def flashpoint_changes(result: Any) -> np.ndarray:
    """0-based indices of the periods that start a new segment."""
    return np.flatnonzero(result.daily["change"].to_numpy()).astype(np.int64)


def approx_error(result: Any) -> str:
    if "approx_error" not in result.overview.columns:
        return "exact"  # the implementation before pruning
    return f"approx_error {float(result.overview['approx_error'].max()):.1e}"


def ruptures_pelt(y: np.ndarray, pen: float) -> np.ndarray:
    import ruptures as rpt
    from ruptures.base import BaseCost

    class CostPoisson(BaseCost):  # type: ignore[misc]
        """-2 x maximised Poisson log likelihood of a segment (without the log y! terms)."""

        model = "poisson"
        min_size = 1

        def fit(self, signal: np.ndarray) -> CostPoisson:
            self.signal = signal
            self.cum = np.concatenate([[0.0], np.cumsum(signal[:, 0])])
            return self

        def error(self, start: int, end: int) -> float:
            s = self.cum[end] - self.cum[start]
            return 0.0 if s == 0 else 2.0 * (s - s * math.log(s / (end - start)))

    algo = rpt.Pelt(custom_cost=CostPoisson(), min_size=MIN_SIZE, jump=1)
    bkps = algo.fit(y.astype(float).reshape(-1, 1)).predict(pen=pen)
    return np.array(bkps[:-1], dtype=np.int64)


Row = tuple[str, str, int, int, int, float, float, float, str]


def bayes_cases(repeats: int, exact_check: bool) -> list[Row]:
    rows: list[Row] = []
    y, true = simulated_piecewise_poisson(36_500, seed=36500)
    counts = as_counts(y)
    detect_changepoints(counts.iloc[:500])  # warm-up (imports)
    for family in ("poisson", "negbin"):
        sec, cpu, res = timed(lambda f=family: detect_changepoints(counts, family=f), repeats)
        found = flashpoint_changes(res)
        rows.append((f"bayes posterior ({family})", "flashpoint detect_changepoints", y.size,
                     true.size, found.size, f1(found, true), sec, cpu,
                     f"target < 2 s; {approx_error(res)}"))  # fmt: skip
    y, true = simulated_sparse()
    sec, cpu, res = timed(lambda: detect_changepoints(as_counts(y)), max(1, repeats // 2))
    found = flashpoint_changes(res)
    rows.append(("bayes posterior, sparse (poisson)", "flashpoint detect_changepoints", y.size,
                 true.size, found.size, f1(found, true, margin=200), sec, cpu,
                 f"target < 5 s; {approx_error(res)}; F1 within 200 days"))  # fmt: skip
    if exact_check:
        rows.append(_exact_check())
    return rows


def _exact_check() -> Row:
    """Pruned against unpruned recursions on the first 10,000 dense days."""
    from flashpoint.models.changepoints._bayes import bayes_fit
    from flashpoint.models.changepoints._segment import SegmentModel

    y, _ = simulated_piecewise_poisson(36_500, seed=36500)
    y = y[:10_000]
    model = SegmentModel("poisson", shape=1.0, mean=float(y.mean()), size=None, n=y.size,
                         total=int(y.sum()))  # fmt: skip
    p = 1.0 / (y.size - 1)
    sec, cpu, exact = timed(lambda: bayes_fit(y, model, p=p, min_size=1, eps=0.0), 1)
    pruned = bayes_fit(y, model, p=p, min_size=1)
    diff = float(np.abs(pruned.prob_change - exact.prob_change).max())
    same = bool(np.array_equal(pruned.map_changes, exact.map_changes))
    return ("bayes unpruned (poisson, 10,000 d)", "flashpoint bayes_fit(eps=0)", y.size, 0,
            exact.map_changes.size, math.nan, sec, cpu,
            f"max |prob diff| {diff:.1e} (2 x bound {2 * pruned.approx_error:.1e} + rounding); "
            f"same MAP {same}")  # fmt: skip


def pelt_cases(repeats: int, skip_ruptures: bool) -> tuple[list[Row], bool | None]:
    rows: list[Row] = []
    y, true = simulated_piecewise_poisson(36_500, seed=36500)
    cum = np.concatenate([[0], np.cumsum(y)])
    beta, _ = penalty_value("bic", y.size)
    cost = segment_cost("poisson", None)
    pelt(cum[:1000], cost, beta, min_size=MIN_SIZE)  # warm-up
    sec, cpu, out = timed(lambda: pelt(cum, cost, beta, min_size=MIN_SIZE), repeats)
    ours = out[0]
    rows.append(("PELT poisson, BIC", "flashpoint (core pelt)", y.size, true.size, ours.size,
                 f1(ours, true), sec, cpu, ""))  # fmt: skip
    counts = as_counts(y)
    sec_api, cpu_api, res = timed(
        lambda: detect_changepoints(counts, method="pelt", penalty="bic", min_size=MIN_SIZE),
        repeats,
    )
    api = flashpoint_changes(res)
    rows.append(("PELT poisson, BIC", "flashpoint detect_changepoints", y.size, true.size,
                 api.size, f1(api, true), sec_api, cpu_api, ""))  # fmt: skip
    sec, cpu, res = timed(
        lambda: detect_changepoints(counts, method="pelt", min_size=MIN_SIZE), repeats
    )
    found = flashpoint_changes(res)
    rows.append(("PELT poisson, MBIC (default)", "flashpoint detect_changepoints", y.size,
                 true.size, found.size, f1(found, true), sec, cpu, ""))  # fmt: skip
    same = None
    if not skip_ruptures:
        t0, c0 = time.perf_counter(), time.process_time()
        theirs = ruptures_pelt(y, beta)
        sec_rpt, cpu_rpt = time.perf_counter() - t0, time.process_time() - c0
        same = bool(np.array_equal(theirs, ours)) and bool(np.array_equal(theirs, api))
        rows.append(("PELT poisson, BIC", "ruptures Pelt (custom cost, jump=1)", y.size,
                     true.size, theirs.size, f1(theirs, true), sec_rpt, cpu_rpt,
                     f"speed-up {sec_rpt / sec_api:.0f}x wall / {cpu_rpt / cpu_api:.0f}x CPU "
                     "(target >= 300x)"))  # fmt: skip
    y, true = simulated_piecewise_poisson(100_000, seed=100000)
    counts = as_counts(y)
    sec, cpu, res = timed(lambda: detect_changepoints(counts, method="pelt"), repeats)
    found = flashpoint_changes(res)
    rows.append(("PELT poisson, MBIC (default)", "flashpoint detect_changepoints", y.size,
                 true.size, found.size, f1(found, true), sec, cpu, "target < 5 s"))  # fmt: skip
    return rows, same


def baseline_rows(src: str, label: str, repeats: int) -> list[Row]:
    """The same cases with another flashpoint version (``src`` on PYTHONPATH), in a subprocess."""
    env = {**os.environ, "PYTHONPATH": src}
    cmd = [sys.executable, __file__, "--json", "--skip-ruptures", "--repeats", str(repeats)]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return [
        (r[0], r[1].replace("flashpoint", f"flashpoint {label}", 1), *r[2:])
        for r in json.loads(out)
    ]


def speedups(rows: list[Row]) -> list[str]:
    """ruptures' time over each flashpoint detect_changepoints time on the same PELT case."""
    rpt = [r for r in rows if r[1].startswith("ruptures")]
    if not rpt:
        return []
    _, _, n, *_, sec_r, cpu_r, _ = rpt[0]
    return [
        f"ruptures / {r[1]}: {sec_r / r[6]:.0f}x wall, {cpu_r / r[7]:.0f}x CPU"
        for r in rows
        if r[0] == "PELT poisson, BIC" and r[2] == n and r[1].endswith("detect_changepoints")
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-ruptures", action="store_true")
    parser.add_argument("--exact-check", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", help="src directory of another flashpoint version")
    parser.add_argument("--baseline-label", default="before")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    rows = bayes_cases(args.repeats, args.exact_check)
    pelt_rows, same = pelt_cases(args.repeats, args.skip_ruptures)
    rows += pelt_rows
    if args.json:
        print(json.dumps(rows))
        return
    if args.baseline:
        rows += baseline_rows(args.baseline, args.baseline_label, max(1, args.repeats // 2))
        rows.sort(key=lambda r: (r[0].split(",")[0], r[2]))
    header = (
        f"{'case':<34} {'implementation':<36} {'n':>8} {'true':>5} {'found':>6} "
        f"{'F1':>6} {'wall s':>8} {'CPU s':>8}  note"
    )
    print(header)
    print("-" * len(header))
    for case, impl, n, nt, nf, score, sec, cpu, note in rows:
        print(
            f"{case:<34} {impl:<36} {n:>8,} {nt:>5} {nf:>6} {score:>6.3f} {sec:>8.3f} "
            f"{cpu:>8.3f}  {note}"
        )
    if same is not None:
        print(f"\nruptures and flashpoint (BIC) return identical change points: {same}")
    for line in speedups(rows):
        print(line)
    print(f"F1: a detection within {MARGIN} days of a true change counts once; min_size={MIN_SIZE}")


if __name__ == "__main__":
    main()
