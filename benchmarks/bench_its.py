"""Benchmark and simulation study of the interrupted-time-series models (issue 3).

Every series here is SIMULATED (seeded negative-binomial counts, ``simulated_*``), never
real data, except section 4, which uses the bundled attacks data set. One run prints, as
plain-text tables:

1. coverage: 95% CI coverage of the step rate ratio (true RR 0.5, 1.0, 2.0) for the
   negative-binomial, Poisson and quasi-Poisson ITS models on 365-day NB2 series
   (baseline 3/day, dispersion 0.5, step at day 200), with Monte Carlo standard errors,
   mean estimate, bias and median CI width;
2. placebo-null: moved to ``benchmarks/bench_placebo.py`` (size, scale, statsmodels peer);
3. speed: (a) one NB ITS fit on 3,650 daily counts vs Prophet fit+predict; (b) vs
   tfcausalimpact (run in its own venv, see ``causalimpact_env.sh``); (c) placebo fits:
   moved to ``benchmarks/bench_placebo.py``;
4. data: per-country ITS for the KH strike (step) with the Gaza truce (pulse) on the
   bundled attacks, ``basis="official"`` and all rows, with in-time placebo p-values.

Run (from the repository root):
    python benchmarks/bench_its.py                    # everything (~10 min on 2 cores, ~8 of
                                                      # them the 3 tfcausalimpact fits)
    python benchmarks/bench_its.py --quick            # fewer simulations and repeats
    python benchmarks/bench_its.py --sections speed --skip-causalimpact
Flags: --quick, --skip-prophet, --skip-causalimpact, --sections, --workers,
--causalimpact-venv (created on first use by causalimpact_env.sh, default
/tmp/fp-causalimpact-venv), --causalimpact-days, --causalimpact-repeats, --coverage-sims,
--placebo-sims.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import os
import platform
import resource
import statistics
import subprocess
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import flashpoint as fp

HERE = Path(__file__).resolve().parent
SEED = 20231122
START = pd.Timestamp("2020-01-01")
# coverage / placebo-null design (simulated)
N_DAYS = 365
STEP_DAY = 200
BASELINE = 3.0
NB_ALPHA = 0.5
RATE_RATIOS = (0.5, 1.0, 2.0)
FAMILIES = ("negbin", "poisson", "quasipoisson")
MIN_PRE, MIN_POST = 14, 7
# speed design (simulated)
LONG_DAYS, LONG_STEP, LONG_RR = 3650, 3000, 1.5
THREAD_VARS = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
SECTIONS = ("coverage", "placebo-null", "speed", "data")


# ------------------------------------------------------------------------------------------
# simulated data
# ------------------------------------------------------------------------------------------
def simulate_nb_counts(
    rng: np.random.Generator,
    *,
    n_days: int = N_DAYS,
    baseline: float = BASELINE,
    nb_alpha: float = NB_ALPHA,
    rate_ratio: float = 1.0,
    step_day: int | None = STEP_DAY,
) -> pd.DataFrame:
    """Simulated daily NB2 counts (``Var = mu + nb_alpha mu^2``), a step of ``rate_ratio``."""
    mu = np.full(n_days, baseline)
    if step_day is not None:
        mu[step_day:] *= rate_ratio
    y = rng.negative_binomial(1.0 / nb_alpha, 1.0 / (1.0 + nb_alpha * mu))
    return pd.DataFrame({"date": pd.date_range(START, periods=n_days), "count": y})


def _date(day: int) -> pd.Timestamp:
    return START + pd.Timedelta(days=day)


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------
def _pin_worker() -> None:
    """Worker initializer: one BLAS thread (the env vars were set before numpy's import)."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - the env vars already pin the threads
        pass
    warnings.simplefilter("ignore")


def _map(fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int) -> list[Any]:
    """Map over ``workers`` spawned processes with BLAS pinned to one thread each."""
    if workers <= 1:
        return [fn(t) for t in tasks]
    saved = {k: os.environ.get(k) for k in THREAD_VARS}
    os.environ.update(dict.fromkeys(THREAD_VARS, "1"))  # read by the children's numpy
    try:
        ctx = mp.get_context("spawn")
        with ctx.Pool(workers, initializer=_pin_worker) as pool:
            return pool.map(fn, tasks, chunksize=1)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _chunks(n: int, size: int) -> list[range]:
    return [range(i, min(i + size, n)) for i in range(0, n, size)]


def _cpu() -> float:
    """CPU seconds of this process and its waited-for children (e.g. Prophet's CmdStan)."""
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + child.ru_utime + child.ru_stime


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds of repeated calls."""

    wall: list[float]
    cpu: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def min(self) -> float:
        return min(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")


def _timed(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> tuple[Timing, Any]:
    """Time ``repeats`` calls of ``fn`` after ``warmup`` untimed ones."""
    out = None
    for _ in range(warmup):
        out = fn()
    wall, cpu = [], []
    for _ in range(repeats):
        c, t = _cpu(), time.perf_counter()
        out = fn()
        wall.append(time.perf_counter() - t)
        cpu.append(_cpu() - c)
    return Timing(wall, cpu), out


def _table(frame: pd.DataFrame, floatfmt: str = "{:.4g}") -> str:
    return frame.to_string(
        index=False, float_format=lambda v: floatfmt.format(v), na_rep="-", justify="right"
    )


def _header(title: str) -> None:
    print(f"\n{'=' * 100}\n{title}\n{'=' * 100}", flush=True)


# ------------------------------------------------------------------------------------------
# 1. coverage
# ------------------------------------------------------------------------------------------
def _coverage_task(task: tuple[int, float, range]) -> tuple[int, range, dict[str, Any], Counter]:
    k_rr, rr, sims = task
    out = {f: np.full((len(sims), 3), np.nan) for f in FAMILIES}
    caught_all: Counter[tuple[str, str]] = Counter()
    step = _date(STEP_DAY)
    for i, sim in enumerate(sims):
        rng = np.random.default_rng([SEED, k_rr, sim])
        simulated_counts = simulate_nb_counts(rng, rate_ratio=rr)
        for fam in FAMILIES:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res = fp.fit_its(simulated_counts, step, family=fam, n_sim=2)
            row = res.table.iloc[0]
            out[fam][i] = row["estimate"], row["ci_lower"], row["ci_upper"]
            caught_all.update((fam, w.category.__name__) for w in caught)
    return k_rr, sims, out, caught_all


def coverage_study(n_sims: int, workers: int) -> pd.DataFrame:
    tasks = [(k, rr, chunk) for k, rr in enumerate(RATE_RATIOS) for chunk in _chunks(n_sims, 50)]
    t0 = time.perf_counter()
    results = _map(_coverage_task, tasks, workers)
    elapsed = time.perf_counter() - t0
    est = {(k, f): np.full((n_sims, 3), np.nan) for k in range(len(RATE_RATIOS)) for f in FAMILIES}
    warn_counts: Counter[tuple[int, str, str]] = Counter()
    for k, sims, out, caught in results:
        for f in FAMILIES:
            est[k, f][sims.start : sims.stop] = out[f]
        for (f, cat), c in caught.items():
            warn_counts[k, f, cat] += c
    rows = []
    for k, rr in enumerate(RATE_RATIOS):
        truth = np.log(rr)
        for f in FAMILIES:
            e, lo, hi = est[k, f].T
            ok = np.isfinite(e) & np.isfinite(lo) & np.isfinite(hi)
            cover = (lo[ok] <= truth) & (truth <= hi[ok])
            p = cover.mean()
            rows.append(
                {
                    "true_rr": rr,
                    "family": f,
                    "n_sims": int(ok.sum()),
                    "coverage": p,
                    "mc_se": np.sqrt(p * (1 - p) / ok.sum()),
                    "mean_rr": np.exp(e[ok]).mean(),
                    "median_rr": np.median(np.exp(e[ok])),
                    "bias_log_rr": e[ok].mean() - truth,
                    "median_ci_width_rr": np.median(np.exp(hi[ok]) - np.exp(lo[ok])),
                    "median_ci_width_log": np.median(hi[ok] - lo[ok]),
                    "n_warnings": sum(
                        c for (kk, ff, _cat), c in warn_counts.items() if kk == k and ff == f
                    ),
                }
            )
    table = pd.DataFrame(rows)
    print(
        f"simulated NB2 series: {N_DAYS} days, baseline {BASELINE}/day, dispersion "
        f"{NB_ALPHA} (Var = mu + {NB_ALPHA} mu^2), step at day {STEP_DAY}; model: default "
        "linear trend + step; 95% Wald CI of the step log rate ratio; fit_its(n_sim=2)"
    )
    print(_table(table))
    nb = table[table["family"] == "negbin"]
    inside = ((nb["coverage"] >= 0.93) & (nb["coverage"] <= 0.97)).all()
    print(f"NB coverage within the 93-97% target for every RR: {'yes' if inside else 'NO'}")
    cats: Counter[tuple[str, str]] = Counter()
    for (_k, f, cat), c in warn_counts.items():
        cats[f, cat] += c
    if cats:
        print(
            "warnings raised (family, class: count): "
            + "; ".join(f"{f}, {cat}: {c}" for (f, cat), c in sorted(cats.items()))
        )
    print(
        f"[{len(RATE_RATIOS) * n_sims * len(FAMILIES)} fits in {elapsed:.1f} s, "
        f"{workers} worker(s)]"
    )
    return table


# ------------------------------------------------------------------------------------------
# 2. placebo p-values under the null
# ------------------------------------------------------------------------------------------
def placebo_null_study(n_sims: int, workers: int) -> None:
    print("moved to benchmarks/bench_placebo.py (section 1: size of the placebo test)")


# ------------------------------------------------------------------------------------------
# 3. speed
# ------------------------------------------------------------------------------------------
def _quiet_prophet_logs() -> None:
    import prophet  # noqa: F401  (cmdstanpy configures its logger on import)

    for name in ("cmdstanpy", "prophet", "prophet.plot"):
        logging.getLogger(name).setLevel(logging.ERROR)
    logging.getLogger("cmdstanpy").disabled = True  # it resets its level when fitting


def prophet_fit_predict(simulated_counts: pd.DataFrame, step: pd.Timestamp) -> Any:
    """What a Prophet user writes: default model + the event as a step regressor."""
    from prophet import Prophet

    frame = pd.DataFrame(
        {
            "ds": simulated_counts["date"],
            "y": simulated_counts["count"].astype(float),
            "step": (simulated_counts["date"] >= step).astype(float),
        }
    )
    model = Prophet()  # linear growth, 25 changepoints, weekly+yearly seasonality, MAP fit
    model.add_regressor("step")
    model.fit(frame)
    forecast = model.predict(frame[["ds", "step"]])  # 1000 uncertainty samples (default)
    return model, forecast


def _run_causalimpact(
    venv: Path,
    simulated_counts: pd.DataFrame,
    step: pd.Timestamp,
    repeats: int,
    create: bool,
) -> dict[str, Any]:
    python = venv / "bin" / "python"
    if not python.exists():
        if not create:
            return {"error": f"no venv at {venv} (run benchmarks/causalimpact_env.sh {venv})"}
        print(f"creating the tfcausalimpact venv at {venv} (causalimpact_env.sh) ...", flush=True)
        proc = subprocess.run(
            ["bash", str(HERE / "causalimpact_env.sh"), str(venv)],
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if proc.returncode != 0 or not python.exists():
            tail = "\n".join(
                line
                for line in (proc.stderr + proc.stdout).splitlines()
                if not line.startswith("WARNING: Location")
            )[-1500:]
            return {"error": f"could not create the tfcausalimpact venv: {tail}"}
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "simulated_counts.csv"
        simulated_counts.to_csv(csv, index=False, date_format="%Y-%m-%d")
        pre_end = (step - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
        cmd = [
            str(python),
            str(HERE / "_causalimpact_runner.py"),
            str(csv),
            pre_end,
            step.strftime("%Y-%m-%d"),
            "--repeats",
            str(repeats),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=7200)
        except subprocess.TimeoutExpired:
            return {"error": "tfcausalimpact did not finish within 2 hours"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": f"tfcausalimpact failed (exit {proc.returncode}): {proc.stderr[-1500:]}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _row(case: str, n: int, timing: Timing, ref: float, effect: str = "") -> dict[str, Any]:
    return {
        "case": case,
        "n_obs": n,
        "repeats": len(timing.wall),
        "median_s": timing.median,
        "min_s": timing.min,
        "cpu_median_s": timing.cpu_median,
        "time_vs_fit_its_x": timing.median / ref,
        "effect": effect,
    }


def speed(args: argparse.Namespace) -> None:
    reps = 3 if args.quick else 7
    rows: list[dict[str, Any]] = []
    step = _date(LONG_STEP)
    simulated_long = simulate_nb_counts(
        np.random.default_rng([SEED, LONG_DAYS]),
        n_days=LONG_DAYS,
        rate_ratio=LONG_RR,
        step_day=LONG_STEP,
    )
    print(
        f"(a, b) simulated NB2 series: {LONG_DAYS} days, baseline {BASELINE}/day, dispersion "
        f"{NB_ALPHA}, step at day {LONG_STEP} (true RR {LONG_RR}); fit_its(counts, step) with "
        "defaults (negbin, linear trend, n_sim=1000 excess draws)"
    )
    ours_t, ours = _timed(lambda: fp.fit_its(simulated_long, step), reps)
    fit_only_t, _ = _timed(lambda: fp.fit_its(simulated_long, step, n_sim=2), reps)
    r = ours.table.iloc[0]
    ours_med = ours_t.median
    effect = f"RR {r['rate_ratio']:.3f} [{r['rate_ratio_lower']:.3f}, {r['rate_ratio_upper']:.3f}]"
    rows.append(_row("fit_its negbin, defaults (n_sim=1000)", LONG_DAYS, ours_t, ours_med, effect))
    rows.append(_row("fit_its negbin, n_sim=2 (fit only)", LONG_DAYS, fit_only_t, ours_med, effect))
    notes = []
    if args.skip_prophet:
        notes.append("Prophet skipped (--skip-prophet)")
    else:
        try:
            _quiet_prophet_logs()
            import prophet
            from prophet.utilities import regressor_coefficients

            prophet_t, (model, _fc) = _timed(
                lambda: prophet_fit_predict(simulated_long, step), 2 if args.quick else 5
            )
            coef = regressor_coefficients(model)["coef"].iloc[0]
            rows.append(
                _row(
                    f"Prophet {prophet.__version__} fit+predict (step regressor)",
                    LONG_DAYS,
                    prophet_t,
                    ours_med,
                    f"step {coef:+.3f} attacks/day (additive, no CI)",
                )
            )
            notes.append(
                "Prophet config: Prophet() defaults (linear growth, 25 changepoints, weekly + "
                "yearly seasonality, MAP fit by CmdStan L-BFGS) + add_regressor('step') with the "
                "0/1 step indicator; predict() on the same 3,650 dates (1,000 uncertainty "
                "samples, the default); cpu_median_s includes CmdStan's child process"
            )
        except ImportError as err:
            notes.append(f"Prophet not installed ({err}); pip install prophet")
    if args.skip_causalimpact:
        notes.append("tfcausalimpact skipped (--skip-causalimpact)")
    else:
        ci_days = args.causalimpact_days
        ci_counts, ci_ref, ci_step = simulated_long, ours_med, step
        if ci_days != LONG_DAYS:  # another simulated series, step at the same fraction
            ci_step_day = round(ci_days * LONG_STEP / LONG_DAYS)
            ci_step = _date(ci_step_day)
            ci_counts = simulate_nb_counts(
                np.random.default_rng([SEED, ci_days]),
                n_days=ci_days,
                rate_ratio=LONG_RR,
                step_day=ci_step_day,
            )
            t_, _ = _timed(lambda: fp.fit_its(ci_counts, ci_step), reps)
            ci_ref = t_.median
            rows.append(_row("fit_its negbin, defaults (n_sim=1000)", ci_days, t_, ci_ref))
        ci_reps = args.causalimpact_repeats or (1 if args.quick else 3)
        print(f"running tfcausalimpact ({ci_reps} fit(s) on {len(ci_counts)} days) ...", flush=True)
        res = _run_causalimpact(
            Path(args.causalimpact_venv),
            ci_counts,
            ci_step,
            ci_reps,
            create=not args.no_create_venv,
        )
        if "error" in res:
            notes.append(f"tfcausalimpact NOT measured: {res['error']}")
        else:
            v = res["versions"]
            rows.append(
                _row(
                    f"tfcausalimpact {v['tfcausalimpact']} (TF {v['tensorflow']}), model_args={{}}",
                    res["n_obs"],
                    Timing(res["times"], res["cpu_times"]),
                    ci_ref,
                    f"rel. effect {res['rel_effect']:+.3f} "
                    f"[{res['rel_effect_lower']:+.3f}, {res['rel_effect_upper']:+.3f}]",
                )
            )
            notes.append(
                f"tfcausalimpact ran in its own venv ({args.causalimpact_venv}; pandas "
                f"{v['pandas']}, TFP {v['tensorflow_probability']}) with its defaults (local "
                "level model, standardised data, variational inference); import time "
                f"{res['import_s']:.1f} s not counted; 'rel. effect' = average relative effect "
                "(the analogue of RR - 1) with its 95% interval"
            )
    print(_table(pd.DataFrame(rows)))
    print(
        "time_vs_fit_its_x = median wall time / that of fit_its with defaults on the same "
        "series; cpu_median_s = CPU seconds (all threads and child processes)"
    )
    for row in rows:
        for peer, target in (("Prophet", 20), ("tfcausalimpact", 100)):
            if row["case"].startswith(peer):
                x = row["time_vs_fit_its_x"]
                met = "met" if x >= target else "NOT met"
                print(f"{peer}: fit_its is {x:.0f}x faster (target >= {target}x): {met}")
    for note in notes:
        print("note:", note)
    _speed_placebo(args)


def _speed_placebo(args: argparse.Namespace) -> None:
    print("\n(c) placebo fits: moved to benchmarks/bench_placebo.py (sections 2 and 3)")


# ------------------------------------------------------------------------------------------
# 4. bundled data
# ------------------------------------------------------------------------------------------
def bundled_data() -> None:
    events = [
        fp.EventSpec(date=pd.Timestamp("2023-11-22"), shape="step", label="KH strike"),
        fp.EventSpec(
            date=pd.Timestamp("2023-11-24"),
            end=pd.Timestamp("2023-12-01"),
            shape="pulse",
            label="Gaza truce",
        ),
    ]
    print(
        "real data: fp.load_attacks(basis=b), fp.count_daily(start='2023-10-17', "
        "end='2024-02-04'), Jordan dropped; NB ITS, linear trend, KH strike step 2023-11-22 + "
        "Gaza truce pulse 2023-11-24..2023-12-01; placebo: in-time, KH strike, two-sided"
    )
    frames = []
    for basis in ("official", None):
        counts = fp.count_daily(fp.load_attacks(basis=basis), start="2023-10-17", end="2024-02-04")
        counts = counts[counts["country"] != "Jordan"].reset_index(drop=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = fp.fit_its(counts, events)
            pl = fp.placebo_test(counts, events, target=0, progress=False)
        s = res.summary()
        p = pl.summary().set_index("country")["p_value"]
        n_pl = pl.summary().set_index("country")["n_placebo"]
        disp = res.dispersion.set_index("country")
        totals = counts.groupby("country")["count"].sum()
        s["basis"] = "all rows" if basis is None else basis
        s["n_attacks"] = s["country"].map(totals)
        s["nb_alpha"] = s["country"].map(disp["nb_alpha"])
        s["placebo_p"] = np.where(s["event"] == "KH strike", s["country"].map(p), np.nan)
        s["n_placebo"] = np.where(s["event"] == "KH strike", s["country"].map(n_pl), np.nan)
        frames.append(s)
        for w in {(w.category.__name__, str(w.message)) for w in caught}:
            print(f"warning ({s['basis'].iloc[0]}): {w[0]}: {w[1]}")
    out = pd.concat(frames, ignore_index=True)[
        [
            "basis",
            "country",
            "n_attacks",
            "event",
            "rate_ratio",
            "rate_ratio_lower",
            "rate_ratio_upper",
            "ci_method",
            "p_value",
            "nb_alpha",
            "placebo_p",
            "n_placebo",
        ]
    ]
    print(_table(out))


# ------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer simulations and repeats")
    parser.add_argument("--skip-prophet", action="store_true")
    parser.add_argument("--skip-causalimpact", action="store_true")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma list of {', '.join(SECTIONS)}"
    )
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--coverage-sims", type=int, default=None, help="default 1000 (100)")
    parser.add_argument("--placebo-sims", type=int, default=None, help="default 1000 (100)")
    parser.add_argument("--causalimpact-venv", default="/tmp/fp-causalimpact-venv")
    parser.add_argument("--no-create-venv", action="store_true")
    parser.add_argument("--causalimpact-days", type=int, default=LONG_DAYS)
    parser.add_argument("--causalimpact-repeats", type=int, default=None, help="default 3 (1)")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    cov_sims = args.coverage_sims or (100 if args.quick else 1000)
    pl_sims = args.placebo_sims or (100 if args.quick else 1000)

    import scipy
    import statsmodels

    t_start = time.perf_counter()
    print(
        f"bench_its.py{' --quick' if args.quick else ''}: flashpoint {fp.__version__}, Python "
        f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, scipy "
        f"{scipy.__version__}, statsmodels {statsmodels.__version__}; {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f} at start. All series simulated (seeded) except "
        "section 4."
    )
    if "coverage" in sections:
        _header(f"1. Coverage of 95% CIs for the step rate ratio ({cov_sims} simulations per RR)")
        coverage_study(cov_sims, args.workers)
    if "placebo-null" in sections:
        _header("2. In-time placebo p-values under the null")
        placebo_null_study(pl_sims, args.workers)
    if "speed" in sections:
        _header("3. Speed (medians over repeats; wall-clock seconds)")
        speed(args)
    if "data" in sections:
        _header("4. Bundled data: KH strike (step) and Gaza truce (pulse), per country")
        bundled_data()
    print(
        f"\ntotal {time.perf_counter() - t_start:.0f} s; load average "
        f"{os.getloadavg()[0]:.2f} at the end (other processes share this machine)"
    )


if __name__ == "__main__":
    main()
