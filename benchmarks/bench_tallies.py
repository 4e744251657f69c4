"""Benchmark: rates from cumulative tallies (interval counts) on simulated data.

Seeded simulated daily Poisson series (NOT real data) with a step effect at day 100 of 200,
aggregated to irregular intervals (25 random tally dates, so intervals straddle the event),
as officials' running totals would give them. For each true rate ratio, 500 simulations:
coverage of the 95% interval of `fp.fit_tally_rates`, bias, median interval width, and the
same for the daily model fitted to the (unobserved) daily counts, to show what aggregation
costs. Also the time of one tally fit.

Second table (issue 11): a window that often holds no attack. Seeded simulated daily NB2
counts (mean 2, dispersion 1: overdispersed) with a 7-day pulse of true rate ratio 0.1 at
days 100-106 whose days form tally intervals of their own, so that about a quarter of the
windows are empty. Coverage of the 95% interval (Wald, or the profile bound when the window
is empty: ``ci_method="profile"``) of ``fit_tally_rates`` with ``family="quasipoisson"``
(the statistic divided by the Pearson dispersion) and ``"poisson"``, by ``ci_method``.

Run:  python benchmarks/bench_tallies.py [--n-sim 500] [--window-sims 500]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import pandas as pd

import flashpoint as fp

START = pd.Timestamp("2023-01-01")
N_DAYS, AT, N_TALLIES = 200, 100, 25


def simulated_tallies(
    rng: np.random.Generator, rate_ratio: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    daily = rng.poisson(2.0 * np.where(np.arange(N_DAYS) >= AT, rate_ratio, 1.0))
    ends = np.append(
        np.sort(rng.choice(np.arange(2, N_DAYS - 1), size=N_TALLIES, replace=False)), N_DAYS - 1
    )
    cum = np.cumsum(daily)
    tallies = pd.DataFrame(
        {
            "as_of_date": START + pd.to_timedelta(ends, unit="D"),
            "total": pd.array(cum[ends], dtype="Int64"),
            "qualifier": "exact",
            "official": True,
        }
    )
    counts = pd.DataFrame({"date": pd.date_range(START, periods=N_DAYS), "count": daily})
    return tallies, counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-sim", type=int, default=500)
    parser.add_argument("--window-sims", type=int, default=500)
    args = parser.parse_args()
    event = fp.EventSpec(date=START + pd.Timedelta(days=AT), label="step")
    print(
        f"{'true RR':>8} {'model':>14} {'coverage':>9} {'MC se':>6} {'mean RR':>8} "
        f"{'median CI width':>16}"
    )
    fit_times = []
    for rr in (0.5, 1.0, 2.0):
        rng = np.random.default_rng(int(rr * 1000))
        res: dict[str, list[tuple[float, float, float]]] = {"tallies": [], "daily counts": []}
        for _ in range(args.n_sim):
            tallies, counts = simulated_tallies(rng, rr)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t0 = time.perf_counter()
                row = (
                    fp.fit_tally_rates(tallies, event, start=START, trend="none").summary().iloc[0]
                )
                fit_times.append(time.perf_counter() - t0)
                daily = (
                    fp.fit_its(counts, event, family="poisson", trend="none", n_sim=2)
                    .summary()
                    .iloc[0]
                )
            res["tallies"].append(
                (row["rate_ratio"], row["rate_ratio_lower"], row["rate_ratio_upper"])
            )
            res["daily counts"].append(
                (daily["rate_ratio"], daily["rate_ratio_lower"], daily["rate_ratio_upper"])
            )
        for model, values in res.items():
            arr = np.array(values)
            cover = np.mean((arr[:, 1] <= rr) & (rr <= arr[:, 2]))
            se = np.sqrt(cover * (1 - cover) / len(arr))
            print(
                f"{rr:>8.1f} {model:>14} {cover:>9.3f} {se:>6.3f} {arr[:, 0].mean():>8.3f} "
                f"{np.median(arr[:, 2] - arr[:, 1]):>16.3f}"
            )
    print(
        f"\nsimulations per rate ratio: {args.n_sim}; one tally fit: median "
        f"{statistics.median(fit_times) * 1000:.1f} ms"
    )
    empty_window_study(args.window_sims)


def empty_window_study(n_sim: int) -> None:
    """Coverage of the truce's rate ratio when its window is often empty (see the docstring)."""
    truth, first, last = 0.1, 100, 106
    event = fp.EventSpec(
        date=START + pd.Timedelta(days=first),
        end=START + pd.Timedelta(days=last),
        shape="pulse",
        label="truce",
    )
    rows = []
    for sim in range(n_sim):
        rng = np.random.default_rng([2024, sim])
        mu = 2.0 * np.where((np.arange(N_DAYS) >= first) & (np.arange(N_DAYS) <= last), truth, 1.0)
        daily = rng.negative_binomial(1.0, 1.0 / (1.0 + mu))
        others = rng.choice(np.r_[np.arange(2, first - 1), np.arange(last + 2, N_DAYS - 1)], 22)
        ends = np.unique(np.r_[others, first - 1, last, N_DAYS - 1])
        cum = np.cumsum(daily)
        tallies = pd.DataFrame(
            {
                "as_of_date": START + pd.to_timedelta(ends, unit="D"),
                "total": pd.array(cum[ends], dtype="Int64"),
                "qualifier": "exact",
                "official": True,
            }
        )
        for family in ("quasipoisson", "poisson"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                row = (
                    fp.fit_tally_rates(tallies, event, start=START, trend="none", family=family)
                    .summary()
                    .iloc[0]
                )
            rows.append(
                {
                    "family": family,
                    "ci_method": row["ci_method"],
                    "covered": row["rate_ratio_lower"] <= truth <= row["rate_ratio_upper"],
                    "upper": row["rate_ratio_upper"],
                }
            )
    frame = pd.DataFrame(rows)
    table = (
        frame.groupby(["family", "ci_method"])
        .agg(n=("covered", "size"), coverage=("covered", "mean"), median_upper=("upper", "median"))
        .reset_index()
    )
    overall = frame.groupby("family")["covered"].mean()
    print(
        f"\nempty windows: simulated NB2 daily counts (mean 2, dispersion 1), 7-day pulse of "
        f"true RR {truth} with its own tally interval, 25 tallies; {n_sim} simulations"
    )
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(
        "overall coverage: "
        + ", ".join(f"{fam} {cov:.3f}" for fam, cov in overall.items())
        + f" (MC se about {np.sqrt(0.05 * 0.95 / n_sim):.3f})"
    )


if __name__ == "__main__":
    main()
