"""Benchmark: count change points (exact Bayesian posterior and PELT) against ruptures.

Simulated data only (seeded; NOT real data): piecewise-constant Poisson daily counts whose
segments last 180..900 days and whose rates are log-uniform in [0.3, 8] per day, each at
least 1.5 times larger or smaller than the previous one.

Cases, one run side by side:

1. exact Bayesian posterior (``method="bayes"``, Poisson) on 10,000 daily counts
   (target < 2 s); the negative-binomial variant for information;
2. PELT with a Poisson cost on 36,500 daily counts: flashpoint against ruptures ``Pelt``
   given the same Poisson cost as a custom cost (``jump=1``, same ``min_size`` and the same
   BIC penalty, ``2 log n``), with the F1 score of both against the true change dates
   (a detection within 5 days of a true change counts once) and the speed-up
   (target >= 100x); flashpoint's default MBIC penalty for information;
3. PELT on 100,000 daily counts (target < 5 s).

ruptures is a benchmark-only peer (the ``bench`` extra): ``pip install ruptures``.

Run:  python benchmarks/bench_changepoints.py                 (everything; ruptures ~2 min)
      python benchmarks/bench_changepoints.py --skip-ruptures (flashpoint only)
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import warnings

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


CPU: dict[int, float] = {}


def timed(fn, repeats: int) -> tuple[float, object]:
    """Median wall time over repeats (the median CPU time is kept in CPU[id(result)])."""
    times, cpu, out = [], [], None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU[id(out)] = statistics.median(cpu)
    return statistics.median(times), out


def flashpoint_changes(result) -> np.ndarray:
    """0-based indices of the periods that start a new segment."""
    return np.flatnonzero(result.daily["change"].to_numpy()).astype(np.int64)


def ruptures_pelt(y: np.ndarray, pen: float) -> np.ndarray:
    import ruptures as rpt
    from ruptures.base import BaseCost

    class CostPoisson(BaseCost):
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-ruptures", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    rows = []

    # 1. exact Bayesian posterior, 10,000 daily counts
    y, true = simulated_piecewise_poisson(10_000, seed=2023)
    counts = as_counts(y)
    detect_changepoints(counts.iloc[:500])  # warm-up
    for family in ("poisson", "negbin"):
        kw = {"size": 10.0} if family == "negbin" else {}
        reps = args.repeats if family == "poisson" else max(1, args.repeats // 2)
        sec, res = timed(lambda f=family, k=kw: detect_changepoints(counts, family=f, **k), reps)
        found = flashpoint_changes(res)
        rows.append(
            (f"bayes exact posterior ({family})", "flashpoint detect_changepoints", 10_000,
             true.size, found.size, f1(found, true), sec, CPU[id(res)],
             "target < 2 s" if family == "poisson" else "")
        )  # fmt: skip

    # 2. PELT Poisson, 36,500 points: flashpoint vs ruptures (same cost, penalty, min_size)
    y, true = simulated_piecewise_poisson(36_500, seed=36500)
    cum = np.concatenate([[0], np.cumsum(y)])
    beta, _ = penalty_value("bic", y.size)
    cost = segment_cost("poisson", None)
    sec_fp, out = timed(lambda: pelt(cum, cost, beta, min_size=MIN_SIZE), args.repeats)
    ours = out[0]
    rows.append(
        ("PELT poisson, BIC", "flashpoint (core pelt)", y.size, true.size, ours.size,
         f1(ours, true), sec_fp, CPU[id(out)], "")
    )  # fmt: skip
    counts = as_counts(y)
    sec_api, res = timed(
        lambda: detect_changepoints(counts, method="pelt", penalty="bic", min_size=MIN_SIZE),
        args.repeats,
    )
    res_api = res
    api = flashpoint_changes(res)
    rows.append(
        ("PELT poisson, BIC", "flashpoint detect_changepoints", y.size, true.size, api.size,
         f1(api, true), sec_api, CPU[id(res)], "")
    )  # fmt: skip
    sec_mbic, res = timed(
        lambda: detect_changepoints(counts, method="pelt", min_size=MIN_SIZE), args.repeats
    )
    found = flashpoint_changes(res)
    rows.append(
        ("PELT poisson, MBIC (default)", "flashpoint detect_changepoints", y.size, true.size,
         found.size, f1(found, true), sec_mbic, CPU[id(res)], "")
    )  # fmt: skip
    same = None
    if not args.skip_ruptures:
        t0, c0 = time.perf_counter(), time.process_time()
        theirs = ruptures_pelt(y, beta)
        sec_rpt, cpu_rpt = time.perf_counter() - t0, time.process_time() - c0
        same = bool(np.array_equal(theirs, ours))
        rows.append(
            ("PELT poisson, BIC", "ruptures Pelt (custom cost, jump=1)", y.size, true.size,
             theirs.size, f1(theirs, true), sec_rpt, cpu_rpt,
             f"speed-up {sec_rpt / sec_api:.0f}x wall / {cpu_rpt / CPU[id(res_api)]:.0f}x "
             "CPU (target >= 100x)")
        )  # fmt: skip

    # 3. PELT on 100,000 points
    y, true = simulated_piecewise_poisson(100_000, seed=100000)
    counts = as_counts(y)
    sec, res = timed(lambda: detect_changepoints(counts, method="pelt"), max(1, args.repeats // 2))
    found = flashpoint_changes(res)
    rows.append(
        ("PELT poisson, MBIC (default)", "flashpoint detect_changepoints", y.size, true.size,
         found.size, f1(found, true), sec, CPU[id(res)], "target < 5 s")
    )  # fmt: skip

    header = (
        f"{'case':<32} {'implementation':<36} {'n':>8} {'true':>5} {'found':>6} "
        f"{'F1':>6} {'wall s':>8} {'CPU s':>8}  note"
    )
    print(header)
    print("-" * len(header))
    for case, impl, n, nt, nf, score, sec, cpu, note in rows:
        print(
            f"{case:<32} {impl:<36} {n:>8,} {nt:>5} {nf:>6} {score:>6.3f} {sec:>8.3f} "
            f"{cpu:>8.3f}  {note}"
        )
    if same is not None:
        print(f"\nruptures and flashpoint (BIC) return identical change points: {same}")
    print(f"F1: a detection within {MARGIN} days of a true change counts once; min_size={MIN_SIZE}")


if __name__ == "__main__":
    main()
