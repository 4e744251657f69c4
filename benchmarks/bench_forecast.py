"""Benchmark: the default forecast (``model="auto"``) against the naive baselines, by backtest.

Rolling-origin backtests (horizon 14 days, step 7, first origin at half the series) of
``auto`` (the default of ``forecast``), ``hawkes``, ``negbin``, ``naive_mean`` (mean of the
last 28 days) and ``seasonal_naive`` (same weekday last week), scored by CRPS. ``auto``
chooses its model inside each training window (no peeking). Reported: mean CRPS per model
and the ratio of each to the best naive baseline (``naive_mean`` or ``seasonal_naive``,
whichever scored lower on that data set); ratio <= 1 means no worse than the best naive.

Data:
- the bundled attacks (real), Iraq and Syria (Jordan has one attack and is left out):
  17 Oct 2023 - 4 Feb 2024 (the escalation) and the whole record;
- simulated (seeded) series of 300 days, ``--seeds`` of each: stationary negative binomial
  (mean 2, size 2), trending negative binomial (mean 0.7 -> 4 a day, log-linear, size 3),
  self-exciting (Hawkes, background 0.5, branching ratio 0.6, NB dispersion 0.3) and a
  level drop (NB mean 3 -> 1 on day 200, size 3; like the end of the bundled record).

Run:  python benchmarks/bench_forecast.py              (5 seeds per kind, n_sim 500)
      python benchmarks/bench_forecast.py --seeds 2 --n-sim 200    (quick look)
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd

import flashpoint as fp
from flashpoint.models.forecast import backtest
from flashpoint.models.hawkes import simulate_hawkes_counts

MODELS = ("auto", "hawkes", "negbin", "naive_mean", "seasonal_naive")
N_DAYS = 300


def bundled() -> Iterator[tuple[str, pd.DataFrame]]:
    events = fp.load_attacks()
    for name, window in (
        ("bundled 2023-10-17..2024-02-04", {"start": "2023-10-17", "end": "2024-02-04"}),
        ("bundled whole record", {}),
    ):
        counts = fp.count_daily(events, by="country", **window)
        yield name, counts[counts["country"] != "Jordan"]


def simulated_nb(rng: np.random.Generator, mean: np.ndarray | float, size: float) -> pd.DataFrame:
    """Seeded negative-binomial daily counts (simulated)."""
    mu = np.broadcast_to(np.asarray(mean, dtype=float), (N_DAYS,))
    return pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=N_DAYS),
            "count": rng.negative_binomial(size, size / (size + mu)),
        }
    )


def simulated(seed: int) -> Iterator[tuple[str, pd.DataFrame]]:
    rng = np.random.default_rng(seed)
    trend = np.exp(np.linspace(np.log(0.7), np.log(4.0), N_DAYS))
    drop = np.where(np.arange(N_DAYS) < 200, 3.0, 1.0)
    yield "simulated stationary NB", simulated_nb(rng, 2.0, 2.0)
    yield "simulated trending NB", simulated_nb(rng, trend, 3.0)
    yield (
        "simulated self-exciting",
        simulate_hawkes_counts(N_DAYS, background=0.5, branching_ratio=0.6, seed=seed + 1),
    )
    yield "simulated level drop", simulated_nb(rng, drop, 3.0)


def score(counts: pd.DataFrame, n_sim: int) -> tuple[dict[str, float], float]:
    start = time.perf_counter()
    bt = backtest(counts, horizon=14, step=7, models=MODELS, n_sim=n_sim, seed=1)
    seconds = time.perf_counter() - start
    s = bt.summary().set_index("model")["mean_score"]
    return {m: float(s[m]) for m in MODELS}, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--n-sim", type=int, default=500)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    pd.set_option("display.width", 200)
    rows = []
    sets = list(bundled())
    for seed in range(args.seeds):
        sets += [(f"{name} (seed {seed})", c) for name, c in simulated(1000 + seed)]
    for name, counts in sets:
        crps, seconds = score(counts, args.n_sim)
        best_naive = min(crps["naive_mean"], crps["seasonal_naive"])
        rows.append(
            {"data": name}
            | {m: crps[m] for m in MODELS}
            | {"auto / best naive": crps["auto"] / best_naive, "seconds": seconds}
        )
        print(f"{name}: {seconds:.1f} s", flush=True)
    table = pd.DataFrame(rows)
    print("\nMean CRPS (events per day; lower is better), horizon 14 days, step 7\n")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    ratio = table["auto / best naive"]
    sim = table["data"].str.startswith("simulated")
    print(
        f"\nauto / best naive: max {ratio.max():.3f}, mean over simulated sets "
        f"{ratio[sim].mean():.3f}; sets where auto is worse than the best naive: "
        f"{int((ratio > 1).sum())} of {len(ratio)}"
    )
    kinds = table.assign(kind=table["data"].str.replace(r" \(seed \d+\)", "", regex=True))
    print("\nMean over seeds per kind\n")
    print(
        kinds.groupby("kind", sort=False)[[*MODELS, "auto / best naive"]]
        .mean()
        .to_string(float_format=lambda v: f"{v:.3f}")
    )


if __name__ == "__main__":
    main()
