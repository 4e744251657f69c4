"""Benchmark: daily counts of 100 million events, out of core (DuckDB) vs pandas vs Dask.

Simulated events (seeded; NOT real data): 50 groups with skewed frequencies, 10 years of
days (2014-01-01 .. 2023-12-31), written in chunks of 10 million rows to Parquet files. Each
(method, size) runs in a fresh subprocess, which reports its wall time and its peak resident
memory (Linux ``VmHWM``: the whole process, Python and imports included):

- ``duckdb``: ``flashpoint.scale.count_daily_duckdb(files)`` (group-by pushed to DuckDB);
- ``pandas``: ``pd.read_parquet(files)`` then ``fp.count_daily`` (what a user would write);
- ``dask``: ``count_daily_dask(dd.read_parquet(files))`` on Dask's default threaded scheduler.

Every run checks that its counts sum to the number of events and that each method's table is
identical to DuckDB's at the same size (a hash of the whole table). pandas sizes grow until
the next one would need more than half of the available memory (projected from the last).

Run:  python benchmarks/bench_scale.py                       (100M events, temp dir, deleted)
      python benchmarks/bench_scale.py --events 20000000 --pandas-sizes 10000000 20000000
      python benchmarks/bench_scale.py --dir /data/bench --keep   (reuse or keep the files)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SEED = 20231122
N_GROUPS = 50
FIRST_DAY = np.datetime64("2014-01-01", "D")
N_DAYS = 3652
TARGET_SECONDS = 60.0
TARGET_GB = 4.0


def _status(field: str) -> int:
    """A memory field of /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    return 0


def _available_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def _files(folder: Path, n: int, chunk: int) -> list[Path]:
    return [folder / f"simulated-events-{i:03d}.parquet" for i in range(n // chunk)]


def write_simulated_events(folder: Path, n: int, chunk: int) -> tuple[list[Path], float]:
    """Write ``n`` seeded synthetic events (NOT real data) as Parquet files of ``chunk`` rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = _files(folder, n, chunk)
    weights = 1.0 / np.arange(1, N_GROUPS + 1)  # a few busy groups, many quiet ones
    weights /= weights.sum()
    names = pa.array([f"group_{i:02d}" for i in range(N_GROUPS)])
    streams = np.random.SeedSequence(SEED).spawn(len(files))
    t0 = time.perf_counter()
    for path, stream in zip(files, streams, strict=True):
        if path.exists():  # reuse files from a kept run (same seed, same content)
            continue
        rng = np.random.default_rng(stream)
        days = FIRST_DAY + rng.integers(0, N_DAYS, size=chunk)
        groups = rng.choice(N_GROUPS, size=chunk, p=weights).astype("int32")
        table = pa.table(
            {
                "date": pa.array(days.astype("datetime64[us]")),
                "country": pa.DictionaryArray.from_arrays(pa.array(groups), names).cast(
                    pa.string()
                ),
            }
        )
        pq.write_table(table, path)
    return files, time.perf_counter() - t0


# --------------------------------------------------------------------------------------------
# Child processes: one method at one size
# --------------------------------------------------------------------------------------------
def _table_hash(counts: object) -> str:
    import pandas as pd

    assert isinstance(counts, pd.DataFrame)
    digest = hashlib.sha256()
    digest.update(counts["date"].to_numpy().astype("datetime64[D]").tobytes())
    digest.update("\x1f".join(map(str, counts["country"])).encode())
    digest.update(counts["count"].to_numpy().astype("int64").tobytes())
    return digest.hexdigest()


def child(method: str, files: list[Path], repeats: int) -> dict[str, object]:
    import pandas as pd

    import flashpoint as fp
    from flashpoint.scale import count_daily_dask, count_daily_duckdb

    if method == "duckdb":
        import duckdb  # noqa: F401  (imported before timing)

        def run() -> pd.DataFrame:
            return count_daily_duckdb(files)
    elif method == "pandas":

        def run() -> pd.DataFrame:
            return fp.count_daily(pd.read_parquet(files))
    elif method == "dask":
        import dask.dataframe as dd

        def run() -> pd.DataFrame:
            return count_daily_dask(dd.read_parquet([str(f) for f in files]))
    else:
        raise SystemExit(f"unknown method {method}")
    baseline = _status("VmRSS:")
    times = []
    out = None
    for _ in range(repeats):
        del out
        t0 = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t0)
    assert out is not None
    return {
        "seconds": times,
        "peak_bytes": _status("VmHWM:"),
        "baseline_bytes": baseline,
        "counted": int(out["count"].sum()),
        "rows": len(out),
        "hash": _table_hash(out),
    }


def _run_child(method: str, folder: Path, size: int, chunk: int, repeats: int) -> dict:
    cmd = [sys.executable, __file__, "--child", method, str(size), str(repeats)]
    cmd += ["--dir", str(folder), "--chunk", str(chunk)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--chunk", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the files")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument(
        "--pandas-sizes",
        type=int,
        nargs="*",
        default=[10_000_000, 30_000_000, 50_000_000, 100_000_000],
    )
    parser.add_argument("--dask-size", type=int, default=30_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="DuckDB runs per size")
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "N", "REPEATS"))
    args = parser.parse_args()
    if args.child:
        method, n, repeats = args.child
        files = _files(args.dir, int(n), args.chunk)
        print(json.dumps(child(method, files, int(repeats))))
        return

    sizes_ok = all(s % args.chunk == 0 for s in [args.events, *args.pandas_sizes, args.dask_size])
    if not sizes_ok:
        raise SystemExit(f"every size must be a multiple of --chunk ({args.chunk:,})")
    created = args.dir is None
    folder = Path(tempfile.mkdtemp(prefix="flashpoint-bench-")) if created else args.dir
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    need = args.events * 4  # measured: about 2.3 bytes per event on disk; keep a margin
    print(f"disk: {free / 1e9:.1f} GB free in {folder} (need about {need / 1e9:.1f} GB)")
    if free < need:
        raise SystemExit("not enough free disk space; pass --dir on a larger disk or --events")
    try:
        files, gen_s = write_simulated_events(folder, args.events, args.chunk)
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        print(
            f"SIMULATED events (seeded, NOT real data): {args.events:,} rows, {N_GROUPS} groups, "
            f"{N_DAYS} days, in {len(files)} Parquet files ({size_mb:,.0f} MB) written in "
            f"{gen_s:.0f} s"
        )
        rows: list[tuple[str, int, dict]] = []
        duck_sizes = sorted({*args.pandas_sizes, args.dask_size, args.events})
        duck_sizes = [s for s in duck_sizes if s <= args.events]
        duck = {}
        for size in duck_sizes:
            duck[size] = _run_child("duckdb", folder, size, args.chunk, args.repeats)
            rows.append(("duckdb", size, duck[size]))
        last: tuple[int, float] | None = None
        for size in sorted(s for s in args.pandas_sizes if s <= args.events):
            limit = 0.5 * _available_bytes()
            if last is not None and last[1] * size / last[0] > limit:
                projected = last[1] * size / last[0] / 1e9
                rows.append(("pandas", size, {"error": f"not run: projected {projected:.1f} GB"}))
                break
            res = _run_child("pandas", folder, size, args.chunk, 1)
            rows.append(("pandas", size, res))
            if "error" in res:
                break
            last = (size, float(res["peak_bytes"]))
        if args.dask_size <= args.events:
            rows.append(
                ("dask", args.dask_size, _run_child("dask", folder, args.dask_size, args.chunk, 1))
            )
        _print_table(rows, duck)
    finally:
        if args.keep:
            print(f"kept the files in {folder}")
        elif created:
            shutil.rmtree(folder, ignore_errors=True)
            print(f"deleted {folder}")
        else:
            for f in _files(folder, args.events, args.chunk):
                f.unlink(missing_ok=True)
            print(f"deleted the generated files in {folder}")


def _print_table(rows: list[tuple[str, int, dict]], duck: dict[int, dict]) -> None:
    print()
    print(
        f"{'method':<7} {'events':>12} {'median s':>9} {'min s':>7} {'peak RSS MB':>12} "
        f"{'(baseline MB)':>14} {'counted':>12} {'= duckdb':>9}"
    )
    for method, size, res in rows:
        if "error" in res:
            print(f"{method:<7} {size:>12,} {res['error']}")
            continue
        secs = res["seconds"]
        same = "yes" if res["hash"] == duck.get(size, {}).get("hash") else "NO"
        if res["counted"] != size:
            same = "COUNT!"
        print(
            f"{method:<7} {size:>12,} {statistics.median(secs):>9.2f} {min(secs):>7.2f} "
            f"{res['peak_bytes'] / 1e6:>12,.0f} {res['baseline_bytes'] / 1e6:>14,.0f} "
            f"{res['counted']:>12,} {same:>9}"
        )
    top = max(duck)
    best = duck[top]
    if "error" not in best:
        ok_t = statistics.median(best["seconds"]) < TARGET_SECONDS
        ok_m = best["peak_bytes"] / 1e9 < TARGET_GB
        print(
            f"\nDuckDB at {top:,} events: target < {TARGET_SECONDS:.0f} s "
            f"{'met' if ok_t else 'MISSED'}, < {TARGET_GB:.0f} GB peak "
            f"{'met' if ok_m else 'MISSED'}. All data above is simulated."
        )


if __name__ == "__main__":
    main()
