"""Benchmark: false-alarm rate and detection delay of detect_alarms on simulated series.

Everything here is simulated (seeded); nothing is real event data.

1. In-control false-alarm rate: negative-binomial daily counts with constant mean and
   dispersion (variance = mean + dispersion * mean^2), ``--series`` series of ``--days``
   days per setting. The measured rate (alarms per monitored day) is set against the nominal
   rate of each method (``1/arl0`` for nb_cusum, ``alpha`` for farrington).
2. Detection: in-control mean 1/day (dispersion 0.2) for 100 days, then
   - "step x2" / "step x3": the mean doubles / triples for 30 days;
   - "spike +10": ten extra events on day 100 only (mean 2/day);
   - "escalation": a self-exciting (renewal) series whose branching ratio rises from 0.3
     to 0.8 on day 100 (background 0.7/day, serial interval mean 4, sd 3 days).
   Reported: share of series alarmed within 7 and 14 days of the change, the median delay
   (days from the change to the first alarm at or after it), and alarms per series in the
   100 in-control days before the change.

3. First call: seconds of one ``detect_alarms(method="nb_cusum")`` call in a fresh Python
   process (no cached limits), on the bundled counts (Iraq, Jordan, Syria, whole record)
   and on 40 simulated NB series x 1000 days (mean 2, dispersion 0.3), with the decision
   limits interpolated from the shipped table (the default) and computed exactly per
   rounded design (the method before the table, still used for other kappa / arl0).

The comparison is "what a user would write by hand": an EARS-C2-style rule (alarm when the
count exceeds the mean + 3 sd of the 7 days ending 2 days earlier), which ignores count
dispersion and has no stated false-alarm rate.

Run:  python benchmarks/bench_alarms.py                 (40 series x 1000 days per setting)
      python benchmarks/bench_alarms.py --series 10 --days 500    (quick look)
      python benchmarks/bench_alarms.py --sections 3      (first-call times only)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from flashpoint.models.alarms import detect_alarms
from flashpoint.models.rt import DEFAULT_SERIAL_INTERVAL, serial_interval_pmf

IN_CONTROL = [(0.3, 0.0), (0.5, 1.0), (2.0, 0.3), (5.0, 0.1), (20.0, 0.05)]
METHODS = ["nb_cusum", "farrington", "ears_c2 (by hand)"]


def simulate_nb(rng: np.random.Generator, mu: float | np.ndarray, dispersion: float, n: int):
    """Seeded negative-binomial (Poisson when dispersion = 0) counts."""
    if dispersion == 0:
        return rng.poisson(mu, n)
    size = 1.0 / dispersion
    return rng.negative_binomial(size, size / (size + np.asarray(mu, dtype=float)), n)


def simulate_escalation(rng: np.random.Generator, n: int, change: int) -> np.ndarray:
    """Seeded renewal series: I_t ~ Poisson(0.7 + b_t * Lambda_t), b = 0.3 then 0.8."""
    w = serial_interval_pmf(*DEFAULT_SERIAL_INTERVAL)
    branching = np.where(np.arange(n) < change, 0.3, 0.8)
    y = np.zeros(n, dtype=np.int64)
    for t in range(n):
        k = min(t, len(w))
        lam = float(np.dot(w[:k], y[t - 1 :: -1][:k])) if k else 0.0
        y[t] = rng.poisson(0.7 + branching[t] * lam)
    return y


def panel(series: list[np.ndarray]) -> pd.DataFrame:
    dates = pd.date_range("2000-01-01", periods=len(series[0]))
    return pd.concat(
        [pd.DataFrame({"date": dates, "series": i, "count": y}) for i, y in enumerate(series)],
        ignore_index=True,
    )


def ears_c2(counts: pd.DataFrame) -> pd.DataFrame:
    """The by-hand rule: count > mean + 3 sd of the 7 days ending 2 days before (per series)."""
    out = []
    for _, frame in counts.groupby("series", sort=False):
        past = frame["count"].shift(3).rolling(7)
        mean, sd = past.mean(), past.std()
        monitored = mean.notna()
        alarm = monitored & (frame["count"] > mean + 3 * sd.fillna(0.0))
        out.append(frame.assign(monitored=monitored, alarm=alarm))
    return pd.concat(out, ignore_index=True)


def run(method: str, counts: pd.DataFrame) -> tuple[pd.DataFrame, float, float]:
    """Per-day frame (with monitored/alarm), nominal rate and run time in seconds."""
    start = time.perf_counter()
    if method.startswith("ears"):
        frame, nominal = ears_c2(counts), float("nan")
    else:
        res = detect_alarms(counts, method=method, by="series")  # type: ignore[arg-type]
        frame, nominal = res.frame, res.nominal_false_alarm_rate
    return frame, nominal, time.perf_counter() - start


def false_alarm_table(n_series: int, n_days: int, seed: int) -> pd.DataFrame:
    rows = []
    for k, (mu, dispersion) in enumerate(IN_CONTROL):
        rng = np.random.default_rng(seed + k)
        simulated = panel([simulate_nb(rng, mu, dispersion, n_days) for _ in range(n_series)])
        for method in METHODS:
            frame, nominal, seconds = run(method, simulated)
            monitored = int(frame["monitored"].sum())
            alarms = int(frame["alarm"].sum())
            rate = alarms / monitored
            rows.append(
                {
                    "mean/day": mu,
                    "dispersion": dispersion,
                    "method": method,
                    "monitored days": monitored,
                    "false alarms": alarms,
                    "rate (/day)": rate,
                    "nominal (/day)": nominal,
                    "measured/nominal": rate / nominal if nominal == nominal else float("nan"),
                    "seconds": seconds,
                }
            )
    return pd.DataFrame(rows)


def detection_table(n_series: int, seed: int) -> pd.DataFrame:
    change, after = 135, 30  # 100 in-control monitored days (baseline 28 + guard 7 first)
    n = change + after
    scenarios = {}
    rng = np.random.default_rng(seed)
    scenarios["step x2"] = [
        np.r_[simulate_nb(rng, 1.0, 0.2, change), simulate_nb(rng, 2.0, 0.2, after)]
        for _ in range(n_series)
    ]
    scenarios["step x3"] = [
        np.r_[simulate_nb(rng, 1.0, 0.2, change), simulate_nb(rng, 3.0, 0.2, after)]
        for _ in range(n_series)
    ]
    spikes = []
    for _ in range(n_series):
        y = simulate_nb(rng, 2.0, 0.2, n)
        y[change] += 10
        spikes.append(y)
    scenarios["spike +10"] = spikes
    scenarios["escalation"] = [simulate_escalation(rng, n, change) for _ in range(n_series)]
    rows = []
    for name, series in scenarios.items():
        simulated = panel(series)
        for method in METHODS:
            frame, _, seconds = run(method, simulated)
            delays, before = [], []
            for _, f in frame.groupby("series", sort=False):
                alarm = f["alarm"].to_numpy()
                hits = np.flatnonzero(alarm[change:])
                delays.append(float(hits[0]) if hits.size else np.inf)
                before.append(int(alarm[:change].sum()))
            d = np.array(delays)
            rows.append(
                {
                    "scenario": name,
                    "method": method,
                    "detected <= 7 d": float(np.mean(d <= 7)),
                    "detected <= 14 d": float(np.mean(d <= 14)),
                    "median delay (d)": float(np.median(d)),
                    "false alarms/series before": float(np.mean(before)),
                    "seconds": seconds,
                }
            )
    return pd.DataFrame(rows)


FIRST_CALL = """
import sys, time
import numpy as np, pandas as pd
import flashpoint as fp
import flashpoint.models.alarms._limits as limits
from flashpoint.models.alarms import detect_alarms
data, how = sys.argv[1], sys.argv[2]
if data == "bundled":
    counts, by = fp.count_daily(fp.load_attacks(), by="country"), "country"
else:
    rng = np.random.default_rng(7)
    size = 1 / 0.3
    y = [rng.negative_binomial(size, size / (size + 2.0), 1000) for _ in range(40)]
    days = pd.date_range("2000-01-01", periods=1000)
    counts = pd.concat(
        [pd.DataFrame({"date": days, "series": i, "count": v}) for i, v in enumerate(y)]
    )
    by = "series"
if how == "exact":
    limits.limit_table = lambda: None
detect_alarms(counts.head(60), method="farrington", by=by)  # imports scipy, warms up
start = time.perf_counter()
detect_alarms(counts, method="nb_cusum", by=by)
print(time.perf_counter() - start)
"""


def first_call_table() -> pd.DataFrame:
    rows = []
    for data in ("bundled", "simulated"):
        for how in ("table", "exact"):
            out = subprocess.run(
                [sys.executable, "-c", FIRST_CALL, data, how],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append(
                {
                    "data": "bundled counts (3 groups)"
                    if data == "bundled"
                    else "40 simulated series x 1000 days",
                    "limits": "interpolated from the table"
                    if how == "table"
                    else "exact per rounded design",
                    "seconds": float(out.stdout.strip().splitlines()[-1]),
                }
            )
    return pd.DataFrame(rows)


def false_alarms(args: argparse.Namespace) -> None:
    print(
        f"In-control false-alarm rate ({args.series} simulated NB series x {args.days} days "
        "per row; defaults: baseline 28, guard 7, nb_cusum kappa 2 / arl0 200, farrington "
        "alpha 0.005)\n"
    )
    far = false_alarm_table(args.series, args.days, args.seed)
    print(far.to_string(index=False, float_format=lambda v: f"{v:.4g}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=40)
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--sections", default="123", help="which sections to run, e.g. 13")
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    if "3" in args.sections:
        print("First call of detect_alarms(method='nb_cusum') in a fresh process\n")
        print(first_call_table().to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        print()
    if "1" in args.sections:
        false_alarms(args)
    if "2" in args.sections:
        print(f"\nDetection ({args.series} simulated series per scenario; change on day 135)\n")
        det = detection_table(args.series, args.seed + 100)
        print(det.to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
