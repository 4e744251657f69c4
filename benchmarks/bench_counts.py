"""Benchmark: validate + count_daily against plain pandas (groupby + reindex to a full calendar).

Synthetic events (seeded; NOT real data): 50 groups, 10 years (2010-01-01 .. 2019-12-31),
1 million and 10 million rows. Each (method, size) runs in a fresh subprocess so that peak
memory (Linux VmHWM, reset before the timed call) is its own. Times are medians over repeats.

Run:  python benchmarks/bench_counts.py            (both sizes)
      python benchmarks/bench_counts.py --sizes 1000000
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_GROUPS = 50
START = pd.Timestamp("2010-01-01")
N_DAYS = 3652


def simulated_events(n: int, seed: int = 2023) -> pd.DataFrame:
    """Seeded synthetic event table (not real data)."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, N_DAYS, size=n)
    groups = np.array([f"group_{i:02d}" for i in range(N_GROUPS)])
    return pd.DataFrame(
        {
            "date": (START + pd.to_timedelta(days, unit="D")).astype("datetime64[us]"),
            "country": groups[rng.integers(0, N_GROUPS, size=n)],
        }
    )


def plain_pandas(df: pd.DataFrame) -> pd.DataFrame:
    """What a user writes by hand: groupby + size, reindexed to every (group, day)."""
    calendar = pd.date_range(df["date"].min(), df["date"].max(), freq="D")
    groups = sorted(df["country"].unique())
    full = pd.MultiIndex.from_product([groups, calendar], names=["country", "date"])
    return (
        df.groupby(["country", "date"])
        .size()
        .reindex(full, fill_value=0)
        .rename("count")
        .reset_index()
    )


def flashpoint_path(df: pd.DataFrame) -> pd.DataFrame:
    import flashpoint as fp

    return fp.count_daily(fp.validate_events(df, by="country"), by="country")


def _rss(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    return 0


def child(method: str, n: int, repeats: int) -> dict[str, float]:
    df = simulated_events(n)
    fn = {"pandas": plain_pandas, "flashpoint": flashpoint_path}[method]
    fn(df.iloc[:1000])  # warm imports
    input_bytes = int(df.memory_usage(deep=True).sum())
    times = []
    peak_extra = 0
    for _ in range(repeats):
        before = _rss("VmRSS:")
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM)
        t0 = time.perf_counter()
        out = fn(df)
        times.append(time.perf_counter() - t0)
        peak_extra = max(peak_extra, _rss("VmHWM:") - before)
        del out
    return {
        "median_s": statistics.median(times),
        "peak_extra_bytes": peak_extra,
        "input_bytes": input_bytes,
    }


def check_equal(n: int = 200_000) -> None:
    df = simulated_events(n)
    a = plain_pandas(df)
    b = flashpoint_path(df)
    assert (a["count"].to_numpy() == b["count"].to_numpy()).all()
    assert int(b["count"].sum()) == n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "N", "REPEATS"))
    args = parser.parse_args()
    if args.child:
        method, n, repeats = args.child
        print(json.dumps(child(method, int(n), int(repeats))))
        return
    check_equal()
    rows = []
    for n in args.sizes:
        repeats = 7 if n <= 1_000_000 else 3
        res = {}
        for method in ("pandas", "flashpoint"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", method, str(n), str(repeats)],
                check=True,
                capture_output=True,
                text=True,
            )
            res[method] = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append((n, res))
    print(
        f"{'events':>12} {'pandas s':>9} {'validate+count s':>17} {'ratio':>6} "
        f"{'input MB':>9} {'peak extra MB (pandas)':>23} {'peak extra MB (fp)':>19} {'fp/input':>9}"
    )
    for n, res in rows:
        p, f = res["pandas"], res["flashpoint"]
        mb = 1024 * 1024
        print(
            f"{n:>12,} {p['median_s']:>9.3f} {f['median_s']:>17.3f} "
            f"{f['median_s'] / p['median_s']:>6.2f} {f['input_bytes'] / mb:>9.0f} "
            f"{p['peak_extra_bytes'] / mb:>23.0f} {f['peak_extra_bytes'] / mb:>19.0f} "
            f"{f['peak_extra_bytes'] / f['input_bytes']:>9.2f}"
        )


if __name__ == "__main__":
    main()
