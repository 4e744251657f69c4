"""Benchmark: synthetic control with all in-space placebos, flashpoint against pysyncon.

Simulated daily counts (seeded; NOT real data): 50 donors x 3,650 days, Poisson with
rates (about 200 a day) driven by three common factors (a trend, a yearly cycle, a random
walk) with unit-specific loadings and a random walk of each donor's own; the treated
unit's rate is a weighted mix of five donors' rates (weights 0.35, 0.25, 0.2, 0.12, 0.08),
times 1.3 after the event (day 3,286 of 3,650). The fitted weights fall short of the true
ones: the donors' own Poisson noise is an error in the regressors, which spreads weight
over more donors (known of synthetic controls on noisy series; not a solver issue).

Both sides solve the same problems: for the treated unit and for each donor in turn (the
in-space placebos: 51 fits), the donor weights minimising the pre-period sum of squared
differences between the unit's rate path and the weighted donor paths over the simplex,
with the placebo pools made of the other donors (flashpoint ``placebo_pool="donors"``,
which is what pysyncon's ``PlaceboTest`` does). pysyncon 1.7.0 fits ``Synth`` on matrices
(``X0, X1, Z0, Z1``) with the pre-period rate paths as its "predictors" and a fixed
``custom_V``: pysyncon divides each predictor row by its standard deviation across the
units, so ``V = 1000 s_t^2 / sum(s_t^2)`` turns its objective into the plain sum of
squares (up to a constant factor), and its inner solver (scipy SLSQP, pysyncon's defaults)
solves it. The factor 1000 changes nothing in the problem, but SLSQP's tolerance is
absolute (1e-6 on the objective): with ``V`` summing to one it stopped short of the optimum
on some placebos (pre-period RMSPE up to 1 event/day above it), with the factor it
reaches it. Its placebos are run one after the other in one process, as flashpoint does
(pysyncon's ``PlaceboTest`` spreads them over processes: at most 2x on this 2-core
machine). Building pysyncon's ``Dataprep`` with 3,287 one-day predictors would add
pandas work that is not the method's, so the matrices are passed directly.

flashpoint is timed end to end (tidy counts in, result with summary, weights, placebos and
51 x 3,650 paths out; median of ``--repeats``); pysyncon's time covers the 51 fits and the
synthetic paths. Agreement: the treated unit's weights, every fit's synthetic path (the
donor weights of each placebo are recovered from its path by least squares) and the
pre-period RMSPE of each fit.

pysyncon runs in a child process: this interpreter when it can import pysyncon (it is in
the ``bench`` extra: ``pip install -e ".[bench]"``), else the venv given by
``--peer-python`` (default ``/tmp/synth-venv``)::

    python3.11 -m venv /tmp/synth-venv
    /tmp/synth-venv/bin/pip install pysyncon==1.7.0

Run:  python benchmarks/bench_synth.py [--peer-python /tmp/synth-venv/bin/python]
      python benchmarks/bench_synth.py --donors 20 --days 1000   (a quick run)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

DEFAULT_PEER = "/tmp/synth-venv/bin/python"
TRUE_WEIGHTS = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
EFFECT = 1.3


def simulated_rates(n_donors: int, n_days: int, seed: int = 2024) -> tuple[np.ndarray, int]:
    """Seeded simulated expected rates (days x units, treated first) and the event day."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_days)
    factors = np.column_stack(
        [
            t / n_days,
            np.sin(2 * np.pi * t / 365.25),
            np.cumsum(rng.normal(0, 0.03, n_days)),
        ]
    )
    loadings = rng.normal(0, 0.5, (3, n_donors))
    level = rng.normal(np.log(200), 0.3, n_donors)
    own = np.cumsum(rng.normal(0, 0.02, (n_days, n_donors)), axis=0)
    donors = np.exp(level + factors @ loadings + own)
    treated = donors[:, : len(TRUE_WEIGHTS)] @ TRUE_WEIGHTS
    event = int(n_days * 0.9)
    treated[event:] *= EFFECT
    return np.column_stack([treated, donors]), event


def simulated_counts(n_donors: int, n_days: int, seed: int = 2024) -> tuple[object, str]:
    """Tidy simulated counts (``date, unit, count``) and the event date."""
    import pandas as pd

    rates, event = simulated_rates(n_donors, n_days, seed)
    rng = np.random.default_rng(seed + 1)
    y = rng.poisson(rates)
    dates = pd.date_range("2014-01-01", periods=n_days)
    units = ["treated"] + [f"donor{j:02d}" for j in range(1, n_donors + 1)]
    counts = pd.DataFrame(
        {
            "date": np.tile(dates, len(units)),
            "unit": np.repeat(units, n_days),
            "count": y.T.ravel(),
        }
    )
    return counts, str(dates[event].date())


def time_flashpoint(counts: object, event: str, repeats: int, pool: str) -> dict:
    import flashpoint as fp

    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeats):
            t0 = time.perf_counter()
            res = fp.fit_synthetic_control(
                counts, treated="treated", event=event, placebo_pool=pool
            )
            times.append(time.perf_counter() - t0)
    return {"seconds": statistics.median(times), "result": res}


def peer_child(path: str) -> None:
    """Run in the pysyncon venv: the fits of the saved problem (treated, then placebos)."""
    import pandas as pd
    from pysyncon import Synth

    data = np.load(path)
    rates, pre = data["rates"], int(data["pre"])
    n = rates.shape[1]
    names = [f"u{k}" for k in range(n)]
    weights, paths, seconds = [], [], []
    t_all = time.perf_counter()
    for i in range(n):
        pool = [j for j in range(1, n) if j != i]
        block = rates[:pre][:, [i, *pool]]
        s2 = block.std(axis=1, ddof=1) ** 2
        X0 = pd.DataFrame(rates[:pre][:, pool], columns=[names[j] for j in pool])
        X1 = pd.Series(rates[:pre, i], name=names[i])
        t0 = time.perf_counter()
        synth = Synth()
        synth.fit(X0=X0, X1=X1, Z0=X0, Z1=X1, custom_V=1000.0 * s2 / s2.sum())
        w = np.asarray(synth.W, dtype=float)
        paths.append((rates[:, pool] @ w).tolist())
        seconds.append(time.perf_counter() - t0)
        weights.append(w.tolist())
    out = {
        "seconds": time.perf_counter() - t_all,
        "seconds_per_fit": statistics.median(seconds),
        "weights": weights,
        "paths": paths,
    }
    print(json.dumps(out))


def _peer_python() -> str:
    """This interpreter if it has pysyncon, else the default separate venv."""
    import importlib.util
    import sys

    return sys.executable if importlib.util.find_spec("pysyncon") else DEFAULT_PEER


def run_peer(python: str, rates: np.ndarray, pre: int) -> dict | str:
    if not Path(python).exists():
        return f"pysyncon venv not found at {python} (see the module docstring to create it)"
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "data.npz")
        np.savez(path, rates=rates, pre=np.array(pre))
        proc = subprocess.run(
            [python, __file__, "--peer-child", path], capture_output=True, text=True
        )
    if proc.returncode != 0:
        return "pysyncon failed: " + proc.stderr.strip().splitlines()[-1]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compare(res: object, peer: dict, rates: np.ndarray, pre: int) -> dict[str, float]:
    """Weight, path and RMSPE agreement between flashpoint's result and pysyncon's fits."""
    paths = res.paths  # type: ignore[attr-defined]
    units = list(dict.fromkeys(paths["unit"]))
    ours = np.column_stack([paths.loc[paths["unit"] == u, "synthetic"].to_numpy() for u in units])
    theirs = np.array(peer["paths"]).T
    n = rates.shape[1]
    w_diff, rmspe_ours, rmspe_theirs, rmspe_feasible = [], [], [], []
    for i in range(n):
        pool = [j for j in range(1, n) if j != i]
        w_ours, *_ = np.linalg.lstsq(rates[:, pool], ours[:, i], rcond=None)
        w_diff.append(float(np.max(np.abs(w_ours - np.array(peer["weights"][i])))))
        rmspe_ours.append(float(np.sqrt(np.mean((rates[:pre, i] - ours[:pre, i]) ** 2))))
        rmspe_theirs.append(float(np.sqrt(np.mean((rates[:pre, i] - theirs[:pre, i]) ** 2))))
        feasible = np.clip(np.array(peer["weights"][i]), 0.0, None)
        path = rates[:pre][:, pool] @ (feasible / feasible.sum())
        rmspe_feasible.append(float(np.sqrt(np.mean((rates[:pre, i] - path) ** 2))))
    level = float(np.mean(rates))
    peer_w = [np.array(w) for w in peer["weights"]]
    return {
        "peer_sum_error": max(abs(float(w.sum()) - 1.0) for w in peer_w),
        "peer_min_weight": min(float(w.min()) for w in peer_w),
        "max_weight_diff": max(w_diff),
        "treated_weight_diff": w_diff[0],
        "max_path_diff_rel": float(np.max(np.abs(ours - theirs))) / level,
        "max_rmspe_excess_ours": max(a - b for a, b in zip(rmspe_ours, rmspe_theirs, strict=True)),
        "max_rmspe_excess_theirs": max(
            b - a for a, b in zip(rmspe_ours, rmspe_theirs, strict=True)
        ),
        "max_rmspe_excess_ours_feasible": max(
            a - b for a, b in zip(rmspe_ours, rmspe_feasible, strict=True)
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donors", type=int, default=50)
    parser.add_argument("--days", type=int, default=3650)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-python", default=None)
    parser.add_argument("--peer-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer_child:
        peer_child(args.peer_child)
        return

    counts, event = simulated_counts(args.donors, args.days)
    table = counts.pivot(index="date", columns="unit", values="count")  # type: ignore[attr-defined]
    units = ["treated"] + [c for c in table.columns if c != "treated"]
    rates = table[units].to_numpy(dtype=float)
    pre = int((table.index < event).sum())
    flash = time_flashpoint(counts, event, args.repeats, "donors")
    flash_others = time_flashpoint(counts, event, 1, "others")
    peer = run_peer(args.peer_python or _peer_python(), rates, pre)

    print(
        f"Simulated Poisson counts (NOT real data): {args.donors} donors x {args.days} days, "
        f"event on day {pre + 1}; synthetic control + {args.donors} in-space placebos."
    )
    res = flash["result"]
    row = res.summary().iloc[0]
    weights = res.weights.set_index("donor")["weight"]
    true = dict(zip([f"donor{j:02d}" for j in range(1, 6)], TRUE_WEIGHTS, strict=True))
    print(
        "flashpoint weights of the five donors the treated rate mixes (true weight): "
        + ", ".join(f"{d} {weights[d]:.3f} ({w:.2f})" for d, w in true.items())
        + f"; rate ratio {row['rate_ratio']:.3f} (true {EFFECT}), p = {row['p_value']:.3f}"
    )
    print(f"{'method':<58} {'time (s)':>9}")
    print(
        f"{'flashpoint fit_synthetic_control (placebo_pool=donors)':<58} {flash['seconds']:>9.3f}"
    )
    print(
        f"{'flashpoint fit_synthetic_control (placebo_pool=others)':<58} "
        f"{flash_others['seconds']:>9.3f}"
    )
    if isinstance(peer, str):
        print(f"pysyncon not run: {peer}")
        return
    fits = f"pysyncon 1.7.0 Synth, {args.donors + 1} fits (SLSQP, custom_V)"
    print(f"{fits:<58} {peer['seconds']:>9.3f}")
    print(f"{'  (pysyncon median per fit)':<58} {peer['seconds_per_fit']:>9.3f}")
    ratio = peer["seconds"] / flash["seconds"]
    agree = compare(res, peer, rates, pre)
    print(
        f"\nspeed-up: {ratio:.0f}x ({'meets' if ratio >= 10 else 'MISSES'} the 10x target)\n"
        f"agreement over the {args.donors + 1} fits: max |weight difference| "
        f"{agree['max_weight_diff']:.2e} "
        f"(treated unit {agree['treated_weight_diff']:.2e}); max |synthetic path difference| "
        f"{agree['max_path_diff_rel']:.2e} of the mean rate;\n"
        f"pre-period RMSPE: flashpoint above pysyncon by at most "
        f"{agree['max_rmspe_excess_ours']:.2e}, pysyncon above flashpoint by at most "
        f"{agree['max_rmspe_excess_theirs']:.2e} (events per day); pysyncon's weights sum to 1 "
        f"within {agree['peer_sum_error']:.1e}, smallest {agree['peer_min_weight']:.1e} "
        "(flashpoint's: exactly 1 and >= 0);\n"
        "with pysyncon's weights rescaled to sum to one, flashpoint's pre-period RMSPE is above "
        f"pysyncon's by at most {agree['max_rmspe_excess_ours_feasible']:.2e}"
    )


if __name__ == "__main__":
    main()
