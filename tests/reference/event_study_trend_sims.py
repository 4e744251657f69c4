"""Seeded simulations behind the event-study and trend checks (see event_study_trend.md).

Not part of the test suite (a few minutes on one core); the tests assert smaller seeded
versions. From the worktree root::

    PYTHONPATH=src python tests/reference/event_study_trend_sims.py pretrend
    PYTHONPATH=src python tests/reference/event_study_trend_sims.py coverage
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd


def pretrend_size(k_events: int, reps: int, family: str, rate: float) -> tuple[float, float]:
    """Rejection rates at 5% of the likelihood-ratio pre-trend test and of a Wald test.

    Simulated series (not real data) of 200 days with a slow wave in the rate (negative
    binomial with size 5, or Poisson) and ``k_events`` events at random days, no effect
    anywhere; windows (-7, -1), (0, 0), (1, 3), (4, 7); spline trend.
    """
    from scipy import stats

    import flashpoint as fp

    rng = np.random.default_rng(100 + k_events)
    n = 200
    windows = [(-7, -1), (0, 0), (1, 3), (4, 7)]
    lr_rejected = wald_rejected = 0
    for _ in range(reps):
        mu = rate * np.exp(0.4 * np.sin(np.arange(n) / 40))
        y = rng.negative_binomial(5.0, 5.0 / (5.0 + mu)) if family == "negbin" else rng.poisson(mu)
        data = pd.DataFrame({"date": pd.date_range("2022-01-01", periods=n), "count": y})
        pos = np.sort(rng.choice(np.arange(10, n - 10), size=k_events, replace=False))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fp.fit_event_study(
                data, list(data["date"].iloc[pos]), windows=windows, family=family, per_event=False
            )
        lr_rejected += res.pretrend["p_value"].iloc[0] < 0.05
        fit = res.fits[None]
        j = fit.names.index("window[-7 to -1]")
        if j not in fit.separated:  # a Wald test cannot use a window without events
            wald_rejected += 2 * stats.norm.sf(abs(fit.params[j] / fit.std_err[j])) < 0.05
    return lr_rejected / reps, wald_rejected / reps


def trend_coverage(reps: int, family: str, n: int, seed: int) -> tuple[float, float]:
    """Coverage of the 95% intervals of the 4-week average growth and the last-day slope.

    Simulated log-linear series (not real data): rate ``2 exp(0.05 t / 7)`` (5% a week),
    Poisson or negative binomial with size 4; default spline trend.
    """
    import flashpoint as fp

    rng = np.random.default_rng(seed)
    weekly = 0.05
    mu = 2 * np.exp(weekly * np.arange(n) / 7)
    dates = pd.date_range("2022-01-01", periods=n)
    avg = last = 0
    for _ in range(reps):
        y = rng.poisson(mu) if family == "poisson" else rng.negative_binomial(4.0, 4.0 / (4.0 + mu))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = fp.fit_trend(pd.DataFrame({"date": dates, "count": y}), family=family)
        r = row.summary().iloc[0]
        avg += r["avg_growth_lower"] <= weekly <= r["avg_growth_upper"]
        last += r["last_day_growth_lower"] <= weekly <= r["last_day_growth_upper"]
    return avg / reps, last / reps


def main(what: str) -> None:
    if what == "pretrend":
        for rate, reps in ((3.0, 200), (0.3, 300)):
            for k in (2, 3, 5) if rate == 3.0 else (2, 3):
                for family in ("negbin",) if rate == 3.0 else ("negbin", "poisson"):
                    lr, wald = pretrend_size(k, reps, family, rate)
                    print(f"rate {rate}, {k} events, {family}, {reps} runs: ", end="")
                    print(f"LR {lr:.3f}, Wald {wald:.3f}")
    elif what == "coverage":
        for family, n, seed in (("poisson", 140, 11), ("negbin", 140, 12), ("negbin", 280, 13)):
            avg, last = trend_coverage(400, family, n, seed)
            print(f"{family}, {n} days, 400 runs: 4-week average {avg:.3f}, last day {last:.3f}")
    else:
        raise SystemExit("usage: event_study_trend_sims.py pretrend|coverage")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
