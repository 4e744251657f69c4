"""Benchmark and simulation study of control series in ``fit_its`` (CausalImpact-style).

Every series here is SIMULATED (seeded), except section 2, which regenerates R
CausalImpact's documented example draw for draw (``tests/reference/causalimpact_data.py``).
One run prints, as plain-text tables:

1. coverage: the treated log-rate tracks a control (elasticity 0.8; an AR(1) log-index)
   that doubles at the event; the event multiplies the rate by 1.5 (NB2 counts, 200 days,
   event at day 120, dispersion 0.2). Coverage of the 95% interval of the rate ratio,
   mean log estimate and bias, with ``controls=`` and without (default NB model, linear
   trend), over ``--coverage-sims`` replications (500 by default);
2. causalimpact: R CausalImpact's vignette example (``y = 1.2 x1 + noise``, +10 from point
   71) with ``family="gaussian"`` and ``x1`` as control, side by side with R's printed
   summary (``tests/reference/causalimpact.md``);
3. speed: ``fit_its`` with 10 controls on 3,650 daily counts (NB and Gaussian; simulated
   NB counts whose log-rate is 0.08 times the sum of 10 log-indices, effect 1.3 from day
   3,000) vs tfcausalimpact on the same data (its defaults: local level + regression on
   the 10 covariates, variational inference; run in its own venv, see
   ``causalimpact_env.sh``): wall times, the ratio, and the relative effects with their
   95% intervals and widths.

Run (from the repository root):
    python benchmarks/bench_controls.py                 # everything (~5 min on 2 cores)
    python benchmarks/bench_controls.py --quick         # 100 replications, 1 peer fit
    python benchmarks/bench_controls.py --sections speed --skip-causalimpact
Flags: --quick, --sections, --coverage-sims, --skip-causalimpact, --causalimpact-venv
(created on first use by causalimpact_env.sh, default /tmp/fp-causalimpact-venv),
--causalimpact-repeats, --workers.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import flashpoint as fp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "reference"))
from bench_its import _header, _run_causalimpact, _table, _timed  # noqa: E402
from causalimpact_data import causalimpact_example  # noqa: E402

SEED = 20231122
SECTIONS = ("coverage", "causalimpact", "speed")


# ------------------------------------------------------------------------------------------
# simulated data
# ------------------------------------------------------------------------------------------
def simulate_regional_shock(
    rng: np.random.Generator,
    *,
    n: int = 200,
    at: int = 120,
    coef: float = 0.8,
    rate_ratio: float = 1.5,
    jump: float = 2.0,
    nb_alpha: float = 0.2,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Simulated NB counts tracking a control index that doubles at the event (as in
    tests/test_controls.py)."""
    z = np.zeros(n)
    shocks = rng.normal(0, 0.15, n)
    for t in range(1, n):
        z[t] = 0.9 * z[t - 1] + shocks[t]
    after = np.arange(n) >= at
    index = np.exp(z) * np.where(after, jump, 1.0)
    mu = 5.0 * index**coef * np.where(after, rate_ratio, 1.0)
    size = 1 / nb_alpha
    y = rng.negative_binomial(size, size / (size + mu))
    dates = pd.date_range("2022-01-01", periods=n)
    return (
        pd.DataFrame({"date": dates, "count": y}),
        pd.DataFrame({"index": index}, index=dates),
        dates[at],
    )


def simulate_ten_controls(
    seed: int, n: int = 3650, k: int = 10, at: int = 3000
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Simulated NB counts (size 10), log-rate ``0.08 sum_j log x_j``, RR 1.3 from ``at``."""
    rng = np.random.default_rng(seed)
    z = np.zeros((n, k))
    shocks = rng.normal(0, 0.1, (n, k))
    for t in range(1, n):
        z[t] = 0.95 * z[t - 1] + shocks[t]
    x = 50 * np.exp(z)
    mu = np.exp(np.log(x).sum(axis=1) * 0.08) * np.where(np.arange(n) >= at, 1.3, 1.0)
    y = rng.negative_binomial(10, 10 / (10 + mu))
    dates = pd.date_range("2015-01-01", periods=n)
    controls = pd.DataFrame(x, index=dates, columns=[f"c{j}" for j in range(k)])
    return pd.DataFrame({"date": dates, "count": y}), controls, dates[at]


# ------------------------------------------------------------------------------------------
# 1. coverage
# ------------------------------------------------------------------------------------------
def _coverage_task(seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    counts, controls, event = simulate_regional_shock(rng)
    out: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, kwargs in (("controls", {"controls": controls}), ("no controls", {})):
            row = fp.fit_its(counts, event, n_sim=2, **kwargs).summary().iloc[0]
            out[f"{name}:covered"] = float(row["ci_lower"] <= np.log(1.5) <= row["ci_upper"])
            out[f"{name}:estimate"] = float(row["estimate"])
            out[f"{name}:width"] = float(row["ci_upper"] - row["ci_lower"])
    return out


def coverage_study(n_sims: int, workers: int) -> pd.DataFrame:
    seeds = [SEED + k for k in range(n_sims)]
    if workers > 1:
        with mp.get_context("fork").Pool(workers) as pool:
            results = pool.map(_coverage_task, seeds)
    else:
        results = [_coverage_task(s) for s in seeds]
    frame = pd.DataFrame(results)
    rows = []
    for name in ("controls", "no controls"):
        hit = frame[f"{name}:covered"]
        est = frame[f"{name}:estimate"]
        rows.append(
            {
                "model": f"fit_its, {name}",
                "n_sims": n_sims,
                "coverage": hit.mean(),
                "mc_se": np.sqrt(hit.mean() * (1 - hit.mean()) / n_sims),
                "mean_rr": float(np.exp(est.mean())),
                "bias_log": est.mean() - np.log(1.5),
                "median_width_log": frame[f"{name}:width"].median(),
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------
# 2. R CausalImpact's example
# ------------------------------------------------------------------------------------------
def causalimpact_section() -> pd.DataFrame:
    y, x1 = causalimpact_example()
    dates = pd.date_range("2014-01-01", periods=100)
    res = fp.fit_its(
        pd.DataFrame({"date": dates, "count": y}),
        "2014-03-12",
        controls=pd.DataFrame({"x1": x1}, index=dates),
        family="gaussian",
        trend="none",
    )
    imp = res.impact().set_index("measure")
    avg, cum = imp.loc["average"], imp.loc["cumulative"]
    r_runs = "R run 1 / run 2 (causalimpact.md)"
    return pd.DataFrame(
        [
            ("actual, average", "117", f"{avg['actual']:.2f}"),
            ("actual, cumulative", "3511", f"{cum['actual']:.1f}"),
            (
                "prediction, average [95%]",
                "107 [106, 107]",
                f"{avg['counterfactual']:.2f} [{avg['counterfactual_lower']:.2f}, "
                f"{avg['counterfactual_upper']:.2f}]",
            ),
            (
                "prediction, cumulative [95%]",
                "3196 [3176, 3217] / 3195 [3171, 3220]",
                f"{cum['counterfactual']:.1f} [{cum['counterfactual_lower']:.1f}, "
                f"{cum['counterfactual_upper']:.1f}]",
            ),
            (
                "absolute effect, cumulative [95%]",
                "316 [294.4, 336] / 316 [291.7, 340]",
                f"{cum['excess']:.1f} [{cum['excess_lower']:.1f}, {cum['excess_upper']:.1f}]",
            ),
            (
                "relative effect [95%]",
                "9.9% [9.2%, 11%] / 9.9% [9.1%, 11%]",
                f"{cum['relative_excess']:.1%} [{cum['relative_excess_lower']:.1%}, "
                f"{cum['relative_excess_upper']:.1%}]",
            ),
        ],
        columns=["quantity", r_runs, "flashpoint (gaussian, trend='none')"],
    )


# ------------------------------------------------------------------------------------------
# 3. speed
# ------------------------------------------------------------------------------------------
def speed(args: argparse.Namespace) -> None:
    counts, controls, event = simulate_ten_controls(SEED)
    repeats = 3 if args.quick else 7
    rows: list[dict[str, Any]] = []
    ours: dict[str, float] = {}
    for family in ("negbin", "gaussian"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            timing, res = _timed(
                lambda family=family: fp.fit_its(counts, event, controls=controls, family=family),
                repeats,
            )
        cum = res.impact().set_index("measure").loc["cumulative"]
        ours[family] = timing.median
        rows.append(_speed_row(f"fit_its, {family}, 10 controls", timing.median, cum))
    if args.skip_causalimpact:
        print("tfcausalimpact skipped (--skip-causalimpact)")
    else:
        reps = args.causalimpact_repeats or (1 if args.quick else 3)
        print(f"running tfcausalimpact ({reps} fit(s), {len(counts)} days, 10 covariates) ...")
        wide = counts.assign(**{c: controls[c].to_numpy() for c in controls.columns})
        peer = _run_causalimpact(Path(args.causalimpact_venv), wide, event, reps, create=True)
        if "error" in peer:
            print(f"tfcausalimpact NOT measured: {peer['error']}")
        else:
            wall = float(np.median(peer["times"]))
            rows.append(
                {
                    "method": f"tfcausalimpact {peer['versions']['tfcausalimpact']} (defaults)",
                    "seconds": wall,
                    "relative_effect": peer["rel_effect"],
                    "relative_lower": peer["rel_effect_lower"],
                    "relative_upper": peer["rel_effect_upper"],
                    "width": peer["rel_effect_upper"] - peer["rel_effect_lower"],
                }
            )
            for family, seconds in ours.items():
                print(f"speed-up of fit_its ({family}) over tfcausalimpact: {wall / seconds:.0f}x")
    print(_table(pd.DataFrame(rows)))
    print("true relative effect: +30% (rate ratio 1.3 from day 3,000 of 3,650)")


def _speed_row(method: str, seconds: float, cum: pd.Series) -> dict[str, Any]:
    return {
        "method": method,
        "seconds": seconds,
        "relative_effect": cum["relative_excess"],
        "relative_lower": cum["relative_excess_lower"],
        "relative_upper": cum["relative_excess_upper"],
        "width": cum["relative_excess_upper"] - cum["relative_excess_lower"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--coverage-sims", type=int, default=None)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--skip-causalimpact", action="store_true")
    parser.add_argument("--causalimpact-venv", default="/tmp/fp-causalimpact-venv")
    parser.add_argument("--causalimpact-repeats", type=int, default=None)
    args = parser.parse_args()
    sections = args.sections.split(",")
    if "coverage" in sections:
        n_sims = args.coverage_sims or (100 if args.quick else 500)
        _header(f"1. coverage of the rate ratio's 95% interval, regional shock ({n_sims} sims)")
        print(_table(coverage_study(n_sims, args.workers)))
    if "causalimpact" in sections:
        _header("2. R CausalImpact's vignette example: flashpoint vs R's printed summary")
        print(_table(causalimpact_section()))
    if "speed" in sections:
        _header("3. speed: 10 controls on 3,650 days, fit_its vs tfcausalimpact")
        speed(args)


if __name__ == "__main__":
    main()
