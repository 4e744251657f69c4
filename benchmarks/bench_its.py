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
   bundled attacks, ``basis="official"`` and all rows, with in-time placebo p-values;
5. decay-null: size of the test of a ``decay`` event whose half-life is estimated, on
   365-day NB2 series without effect: the p-value fit_its reports (the score statistic
   maximised over the half-life, null distribution simulated from the fitted null model),
   the same statistic with Davies' Gaussian bound, the Wald test with the half-life's
   uncertainty in the standard error, and the Wald test at the estimated half-life (what
   fit_its reported before); then, with a decay of RR 2 and half-life 7 days, the coverage
   of the rate ratio's 95% interval with and without the half-life's uncertainty;
6. bands: coverage of the counterfactual bands on 365-day NB2 series with a step of RR 2
   at day 200, against the counts that would have happened without it (simulated on the
   same days): daily counts inside ``counterfactual_pred_lower/_upper`` (predictive) and
   ``counterfactual_lower/_upper`` (mean only), and the true cumulative excess inside the
   cumulative excess band, ``band="predictive"`` and ``band="parameter"``.

Run (from the repository root):
    python benchmarks/bench_its.py                    # everything (~10 min on 2 cores, ~8 of
                                                      # them the 3 tfcausalimpact fits)
    python benchmarks/bench_its.py --quick            # fewer simulations and repeats
    python benchmarks/bench_its.py --sections speed --skip-causalimpact
    python benchmarks/bench_its.py --sections decay-null,bands   # issue 11 (~10 min)
Flags: --quick, --skip-prophet, --skip-causalimpact, --sections, --workers,
--causalimpact-venv (created on first use by causalimpact_env.sh, default
/tmp/fp-causalimpact-venv), --causalimpact-days, --causalimpact-repeats, --coverage-sims,
--placebo-sims, --decay-sims, --band-sims.
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
from scipy import stats

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
SECTIONS = ("coverage", "placebo-null", "speed", "data", "decay-null", "bands")


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
    param_t, _ = _timed(lambda: fp.fit_its(simulated_long, step, band="parameter"), reps)
    r = ours.table.iloc[0]
    ours_med = ours_t.median
    effect = f"RR {r['rate_ratio']:.3f} [{r['rate_ratio_lower']:.3f}, {r['rate_ratio_upper']:.3f}]"
    rows.append(_row("fit_its negbin, defaults (n_sim=1000)", LONG_DAYS, ours_t, ours_med, effect))
    rows.append(
        _row("fit_its negbin, band='parameter' (n_sim=1000)", LONG_DAYS, param_t, ours_med, effect)
    )
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
# 5. size of the test of a decay with an estimated half-life
# ------------------------------------------------------------------------------------------
def _decay_null_task(sims: range) -> list[tuple[float, ...]]:
    from flashpoint.models._base import CountSeries
    from flashpoint.models.design import build_design
    from flashpoint.models.its._decay import decay_test

    out = []
    for sim in sims:
        rng = np.random.default_rng([SEED, 55, sim])
        simulated_counts = simulate_nb_counts(rng, rate_ratio=1.0, step_day=None)
        event = fp.EventSpec(date=_date(STEP_DAY), shape="decay", label="decay")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = fp.fit_its(simulated_counts, event, n_sim=2, seed=sim).table.iloc[0]
            at_h = fp.fit_its(
                simulated_counts,
                fp.EventSpec(date=event.date, shape="decay", half_life=float(row["half_life"])),
                n_sim=2,
            ).table.iloc[0]
            series = CountSeries(
                None,
                pd.DatetimeIndex(simulated_counts["date"]),
                simulated_counts["count"].to_numpy(),
            )
            design = build_design(series.dates, [event], freq="D")
            _z, davies, _m = decay_test(
                series,
                design,
                event,
                design.event_cols["decay [decay]"],
                family="negbin",
                cov_type="model",
                maxlags=None,
                where="",
                calibration="davies",
            )
        joint = 2 * stats.norm.sf(abs(row["estimate"] / row["std_err"]))
        out.append(
            (
                float(row["p_value"]),
                float(davies),
                float(joint),
                float(at_h["p_value"]),
                float(row["half_life"]),
            )
        )
    return out


def decay_null_study(n_sims: int, workers: int) -> pd.DataFrame:
    t0 = time.perf_counter()
    parts = _map(_decay_null_task, _chunks(n_sims, 25), workers)
    elapsed = time.perf_counter() - t0
    p = np.array([r for part in parts for r in part])
    rows = []
    for k, test in enumerate(
        (
            "fit_its p_value: sup of the score over the half-life, simulated null",
            "the same statistic, Davies' (1987) Gaussian bound",
            "Wald, s.e. with the half-life's uncertainty (fit_its std_err)",
            "Wald at the estimated half-life (fit_its before issue 11)",
        )
    ):
        for level in (0.01, 0.05, 0.10):
            rate = float(np.mean(p[:, k] <= level))
            rows.append(
                {
                    "test": test,
                    "level": level,
                    "n_series": len(p),
                    "reject_rate": rate,
                    "mc_se": np.sqrt(level * (1 - level) / len(p)),
                }
            )
    table = pd.DataFrame(rows)
    print(
        f"simulated NB2 series without an effect: {N_DAYS} days, baseline {BASELINE}/day, "
        f"dispersion {NB_ALPHA}; decay event at day {STEP_DAY}, half-life estimated "
        "(profile likelihood, 0.5 to 120 days); NB ITS with linear trend"
    )
    print(_table(table))
    size = table[(table["level"] == 0.05) & table["test"].str.startswith("fit_its")]
    met = float(size["reject_rate"].iloc[0]) <= 0.065
    print(f"size at 5% of the reported p-value <= 6.5%: {'met' if met else 'NOT met'}")
    print(f"median estimated half-life {np.median(p[:, 4]):.1f} days")
    print(f"[{len(p)} series in {elapsed:.1f} s, {workers} worker(s)]")
    return table


DECAY_RR, DECAY_HALF_LIFE = 2.0, 7.0


def _decay_effect_task(sims: range) -> list[tuple[float, float, float, float, float]]:
    out = []
    r = 1.0 / NB_ALPHA
    lag = np.arange(N_DAYS) - STEP_DAY
    shape = np.where(lag >= 0, np.exp2(-np.maximum(lag, 0) / DECAY_HALF_LIFE), 0.0)
    for sim in sims:
        rng = np.random.default_rng([SEED, 77, sim])
        mu = BASELINE * np.exp(np.log(DECAY_RR) * shape)
        y = rng.negative_binomial(r, r / (r + mu))
        counts = pd.DataFrame({"date": pd.date_range(START, periods=N_DAYS), "count": y})
        event = fp.EventSpec(date=_date(STEP_DAY), shape="decay", label="decay")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = fp.fit_its(counts, event, n_sim=2).table.iloc[0]
            fixed = fp.fit_its(
                counts,
                fp.EventSpec(date=event.date, shape="decay", half_life=float(row["half_life"])),
                n_sim=2,
            ).table.iloc[0]
        out.append(
            (
                float(row["rate_ratio_lower"]),
                float(row["rate_ratio_upper"]),
                float(fixed["rate_ratio_lower"]),
                float(fixed["rate_ratio_upper"]),
                float(row["p_value"]),
            )
        )
    return out


def decay_effect_study(n_sims: int, workers: int) -> pd.DataFrame:
    t0 = time.perf_counter()
    parts = _map(_decay_effect_task, _chunks(n_sims, 25), workers)
    elapsed = time.perf_counter() - t0
    a = np.array([r for part in parts for r in part])
    rows = []
    for name, lo, hi in (
        ("Wald, s.e. with the half-life's uncertainty (fit_its)", a[:, 0], a[:, 1]),
        ("Wald at the estimated half-life (before issue 11)", a[:, 2], a[:, 3]),
    ):
        cover = float(np.mean((lo <= DECAY_RR) & (hi >= DECAY_RR)))
        rows.append(
            {
                "interval": name,
                "n_series": len(a),
                "coverage": cover,
                "mc_se": np.sqrt(cover * (1 - cover) / len(a)),
                "median_width_rr": float(np.median(hi - lo)),
            }
        )
    table = pd.DataFrame(rows)
    print(
        f"simulated NB2 series: {N_DAYS} days, baseline {BASELINE}/day, dispersion {NB_ALPHA}, "
        f"decay of RR {DECAY_RR} and half-life {DECAY_HALF_LIFE} days at day {STEP_DAY}; "
        "half-life estimated; 95% intervals of the rate ratio at the event"
    )
    print(_table(table))
    print(f"power of the reported (sup-score) p-value at 5%: {np.mean(a[:, 4] <= 0.05):.3f}")
    print(f"[{len(a)} series in {elapsed:.1f} s, {workers} worker(s)]")
    return table


# ------------------------------------------------------------------------------------------
# 6. coverage of the counterfactual and excess bands
# ------------------------------------------------------------------------------------------
BAND_RR = 2.0


def _bands_task(sims: range) -> list[dict[str, float]]:
    out = []
    r = 1.0 / NB_ALPHA
    for sim in sims:
        rng = np.random.default_rng([SEED, 66, sim])
        mu = np.full(N_DAYS, BASELINE)
        without = rng.negative_binomial(r, r / (r + mu))  # what happens without the event
        with_event = rng.negative_binomial(r, r / (r + BAND_RR * mu))
        y = np.where(np.arange(N_DAYS) >= STEP_DAY, with_event, without)
        counts = pd.DataFrame({"date": pd.date_range(START, periods=N_DAYS), "count": y})
        post = slice(STEP_DAY, None)
        true_cum = np.cumsum(y[post] - without[post])
        row: dict[str, float] = {}
        for band in ("predictive", "parameter"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f = fp.fit_its(counts, _date(STEP_DAY), band=band, n_sim=1000, seed=sim).fitted
            f = f.iloc[STEP_DAY:]
            lo = f["cumulative_excess_lower"].to_numpy()
            hi = f["cumulative_excess_upper"].to_numpy()
            row[f"cumulative_{band}"] = float(np.mean((lo <= true_cum) & (true_cum <= hi)))
            row[f"cumulative_end_{band}"] = float(lo[-1] <= true_cum[-1] <= hi[-1])
            if band == "predictive":
                cf = without[post]
                row["daily_predictive"] = float(
                    np.mean(
                        (f["counterfactual_pred_lower"] <= cf)
                        & (cf <= f["counterfactual_pred_upper"])
                    )
                )
                row["daily_mean_band"] = float(
                    np.mean((f["counterfactual_lower"] <= cf) & (cf <= f["counterfactual_upper"]))
                )
        out.append(row)
    return out


def bands_study(n_sims: int, workers: int) -> pd.DataFrame:
    t0 = time.perf_counter()
    parts = _map(_bands_task, _chunks(n_sims, 25), workers)
    elapsed = time.perf_counter() - t0
    frame = pd.DataFrame([r for part in parts for r in part])
    labels = {
        "daily_predictive": "daily counts without the event in counterfactual_pred band",
        "daily_mean_band": "daily counts without the event in counterfactual_lower/_upper",
        "cumulative_predictive": "true cumulative excess in band='predictive' (all days)",
        "cumulative_parameter": "true cumulative excess in band='parameter' (all days)",
        "cumulative_end_predictive": "true cumulative excess, last day, band='predictive'",
        "cumulative_end_parameter": "true cumulative excess, last day, band='parameter'",
    }
    table = pd.DataFrame(
        [
            {
                "coverage_of": text,
                "n_series": len(frame),
                "coverage": frame[col].mean(),
                "mc_se": frame[col].std(ddof=1) / np.sqrt(len(frame)),
            }
            for col, text in labels.items()
        ]
    )
    print(
        f"simulated NB2 series: {N_DAYS} days, baseline {BASELINE}/day, dispersion {NB_ALPHA}, "
        f"step RR {BAND_RR} at day {STEP_DAY}; the counts without the event are simulated on "
        "the same days; NB ITS with linear trend, 95% bands, n_sim=1000; coverage over the "
        f"{N_DAYS - STEP_DAY} post-event days (daily rows: integer quantiles, so at least 95%)"
    )
    print(_table(table))
    print(f"[{len(frame)} series in {elapsed:.1f} s, {workers} worker(s)]")
    return table


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
    parser.add_argument("--decay-sims", type=int, default=None, help="default 1000 (200)")
    parser.add_argument("--band-sims", type=int, default=None, help="default 500 (100)")
    parser.add_argument("--decay-effect-sims", type=int, default=None, help="default 300 (50)")
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
    decay_sims = args.decay_sims or (200 if args.quick else 1000)
    band_sims = args.band_sims or (100 if args.quick else 500)
    decay_effect_sims = args.decay_effect_sims or (50 if args.quick else 300)

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
    if "decay-null" in sections:
        _header(f"5. Size of the test of a decay with estimated half-life ({decay_sims} series)")
        decay_null_study(decay_sims, args.workers)
        print()
        decay_effect_study(decay_effect_sims, args.workers)
    if "bands" in sections:
        _header(f"6. Coverage of the counterfactual and excess bands ({band_sims} series)")
        bands_study(band_sims, args.workers)
    print(
        f"\ntotal {time.perf_counter() - t_start:.0f} s; load average "
        f"{os.getloadavg()[0]:.2f} at the end (other processes share this machine)"
    )


if __name__ == "__main__":
    main()
