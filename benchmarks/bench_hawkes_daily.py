"""Benchmark: the daily-count Hawkes model (fit time, parameter recovery) and forecast backtests.

1. Fit time on 3,650 simulated days (seeded; NOT real data): ``fit_hawkes`` (profile and Wald
   intervals; univariate and a 2-group multivariate model) against what a user would do
   otherwise: a statsmodels negative-binomial regression on lagged counts (GLM with a fixed
   NB2 alpha, and the discrete NegativeBinomial model that estimates alpha), 21 lags.
   Target: one daily-count fit in under 1 s. Times are medians over repeats after one warm-up
   call (the cold first call is shown separately).
2. Parameter recovery: simulated series with branching ratio 0.3, 0.6, 0.9 (3,650 days each,
   NB2 dispersion 0.3, mean about 2 events per day), many seeds: mean estimate, SD, RMSE and
   the coverage of the 95% profile-likelihood interval.
3. Backtest on the bundled Iraq/Syria data (real): rolling origins, CRPS and log score of the
   Hawkes forecast against the baselines.
4. A changing background without excitation (issue 11): simulated counts whose background
   doubles over 730 days and doubles again mid-way, no excitation at all: the branching
   ratio read with a constant background (the old default) and with the default
   ``baseline="auto"``, how often its 95% interval covers 0 and how often the result says
   excitation is not identified; then the same background with true branching ratios 0.3 and
   0.6 (recovery, coverage), and a constant background (coverage of the default).

Run:  python benchmarks/bench_hawkes_daily.py            (about 5-10 minutes)
      python benchmarks/bench_hawkes_daily.py --quick    (fewer repeats and seeds)
      python benchmarks/bench_hawkes_daily.py --sections 1 4
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm

import flashpoint as fp
from flashpoint.models.forecast import backtest
from flashpoint.models.hawkes import fit_hawkes, simulate_hawkes_counts

try:  # the bench extra has threadpoolctl: one BLAS thread, as ENVIRONMENT.md advises
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

N_DAYS = 3650
MAX_LAG = 21


def timed(fn, repeats: int) -> tuple[float, float, float]:
    """Cold first call, then medians of wall and CPU time of ``repeats`` calls (seconds)."""
    t = time.perf_counter()
    fn()
    cold = time.perf_counter() - t
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return cold, statistics.median(wall), statistics.median(cpu)


def lagged_design(y: np.ndarray, lags: int) -> np.ndarray:
    n = len(y)
    cols = [np.ones(n)]
    for lag in range(1, lags + 1):
        cols.append(np.concatenate([np.zeros(lag), y[: n - lag]]))
    return np.column_stack(cols)


def fit_time_table(repeats: int) -> pd.DataFrame:
    simulated = simulate_hawkes_counts(
        N_DAYS, background=0.8, branching_ratio=0.6, decay=0.6, dispersion=0.3, seed=2024
    )
    simulated_2 = simulate_hawkes_counts(
        N_DAYS,
        background=[0.6, 0.5],
        branching_ratio=[[0.3, 0.3], [0.0, 0.4]],
        decay=0.6,
        groups=["A", "B"],
        seed=2025,
    )
    y = simulated["count"].to_numpy(dtype=float)
    X = lagged_design(y, MAX_LAG)
    cases = {
        "fit_hawkes, NB, profile CI (default)": lambda: fit_hawkes(simulated),
        "fit_hawkes, NB, Wald CI": lambda: fit_hawkes(simulated, ci_method="wald"),
        "fit_hawkes, Poisson, Wald CI": lambda: fit_hawkes(
            simulated, family="poisson", ci_method="wald"
        ),
        "fit_hawkes, 2-group multivariate, profile CI (default)": lambda: fit_hawkes(
            simulated_2, multivariate=True
        ),
        "fit_hawkes, 2-group multivariate, constant background, Wald CI": lambda: fit_hawkes(
            simulated_2, multivariate=True, baseline="constant", ci_method="wald"
        ),
        "statsmodels GLM NB (alpha fixed) on 21 lags": lambda: sm.GLM(
            y, X, family=sm.families.NegativeBinomial(alpha=0.3)
        ).fit(),
        "statsmodels NegativeBinomial (alpha estimated) on 21 lags": lambda: sm.NegativeBinomial(
            y, X
        ).fit(disp=0, maxiter=200),
    }
    rows = []
    for name, fn in cases.items():
        cold, wall, cpu = timed(fn, repeats)
        rows.append({"method": name, "cold_s": cold, "median_wall_s": wall, "median_cpu_s": cpu})
    return pd.DataFrame(rows)


def recovery_table(n_seeds: int) -> pd.DataFrame:
    rows = []
    for eta in (0.3, 0.6, 0.9):
        est, cover, secs = [], 0, []
        for seed in range(n_seeds):
            simulated = simulate_hawkes_counts(
                N_DAYS,
                background=2 * (1 - eta),
                branching_ratio=eta,
                decay=0.6,
                dispersion=0.3,
                seed=10_000 + seed,
            )
            t = time.perf_counter()
            br = fit_hawkes(simulated).branching_ratios().iloc[0]
            secs.append(time.perf_counter() - t)
            est.append(br["estimate"])
            cover += br["ci_lower"] <= eta <= br["ci_upper"]
        e = np.array(est)
        rows.append(
            {
                "true_eta": eta,
                "n_seeds": n_seeds,
                "mean_estimate": e.mean(),
                "sd": e.std(ddof=1),
                "rmse": float(np.sqrt(((e - eta) ** 2).mean())),
                "max_abs_error": float(np.abs(e - eta).max()),
                "ci95_coverage": cover / n_seeds,
                "median_fit_s": statistics.median(secs),
            }
        )
    return pd.DataFrame(rows)


def backtest_table(n_sim: int) -> pd.DataFrame:
    counts = fp.count_daily(fp.load_attacks(), by="country")
    counts = counts[counts["country"] != "Jordan"]  # one attack in Jordan: no series
    out = []
    for score in ("crps", "log"):
        bt = backtest(counts, horizon=14, initial=60, step=7, n_sim=n_sim, seed=1, score=score)
        s = bt.summary()
        s.insert(0, "origins", f"{bt.origins[0].date()}..{bt.origins[-1].date()}")
        out.append(s)
    return pd.concat(out, ignore_index=True)


def _trend_and_step(n: int, seed: int, eta: float) -> pd.DataFrame:
    """Simulated: background doubles over the period and doubles again mid-way."""
    half = pd.Timestamp("2020-01-01") + pd.Timedelta(days=n // 2)
    return simulate_hawkes_counts(
        n,
        background=1.0 - eta if eta else 1.0,
        branching_ratio=eta,
        trend=np.log(2.0) * 365.25 / n,
        background_steps={half: 2.0},
        seed=seed,
    )


def changing_background_table(n_seeds: int, n_days: int = 730) -> pd.DataFrame:
    rows = []
    cases = [
        ("trend+step, no excitation", 0.0, "constant", True),
        ("trend+step, no excitation", 0.0, "auto", True),
        ("trend+step", 0.3, "auto", True),
        ("trend+step", 0.6, "auto", True),
        ("constant background", 0.3, "auto", False),
        ("constant background", 0.6, "auto", False),
    ]
    for label, eta, baseline, changing in cases:
        est, covers0, covers, ident, secs = [], 0, 0, 0, []
        for seed in range(n_seeds):
            if changing:
                simulated = _trend_and_step(n_days, 20_000 + seed, eta)
            else:
                simulated = simulate_hawkes_counts(
                    n_days, background=2 * (1 - eta), branching_ratio=eta, seed=20_000 + seed
                )
            t = time.perf_counter()
            res = fit_hawkes(simulated, baseline=baseline)  # type: ignore[arg-type]
            secs.append(time.perf_counter() - t)
            br = res.branching_ratios().iloc[0]
            est.append(br["estimate"])
            covers0 += br["ci_lower"] <= 1e-9
            covers += br["ci_lower"] - 1e-6 <= eta <= br["ci_upper"] + 1e-6
            ident += res.identifiable
        e = np.array(est)
        rows.append(
            {
                "simulated": label,
                "true_eta": eta,
                "baseline": baseline,
                "mean_estimate": e.mean(),
                "sd": e.std(ddof=1),
                "ci_covers_0": covers0 / n_seeds,
                "ci95_coverage": covers / n_seeds,
                "identifiable": ident / n_seeds,
                "median_fit_s": statistics.median(secs),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and seeds")
    parser.add_argument("--sections", type=int, nargs="+", default=[1, 2, 3, 4])
    args = parser.parse_args()
    repeats, seeds, n_sim = (3, 5, 300) if args.quick else (7, 30, 1000)
    warnings.simplefilter("ignore")
    limits = threadpool_limits(1) if threadpool_limits is not None else contextlib.nullcontext()
    with limits:
        run(repeats, seeds, n_sim, set(args.sections))


def run(repeats: int, seeds: int, n_sim: int, sections: set[int]) -> None:
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 20)
    fmt3 = {"index": False, "float_format": lambda v: f"{v:.3f}"}
    if 1 in sections:
        print(f"1. Fit time, {N_DAYS} simulated days (s; median of {repeats} after a warm-up)")
        print(fit_time_table(repeats).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if 2 in sections:
        print(f"\n2. Recovery of the branching ratio ({N_DAYS} simulated days, {seeds} seeds)")
        print(recovery_table(seeds).to_string(**fmt3))
    if 3 in sections:
        print("\n3. Backtest on the bundled Iraq/Syria counts (horizon 14, step 7, initial 60)")
        print(backtest_table(n_sim).to_string(**fmt3))
    if 4 in sections:
        print(f"\n4. A changing background (730 simulated days, {seeds} seeds per row)")
        print(changing_background_table(seeds).to_string(**fmt3))


if __name__ == "__main__":
    main()
