"""Full reproduction of Abadie, Diamond & Hainmueller (2010) with in-space placebos.

Not part of the test suite: the 39 nested fits (predictors and V, every state in turn)
take about a minute. Run from the repository root::

    PYTHONPATH=src python tests/reference/synth_prop99_reference.py

It prints the weights, the predictor balance, the gap, and the placebo p-values of the
predictor specification (ADH's) and of the outcome-path specification; the numbers are
recorded in ``tests/reference/synth.md``.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import flashpoint as fp

HERE = Path(__file__).parent
PREDICTORS = {
    "ln_income": ("lnincome", "1980", "1988"),
    "retail_price": ("retprice", "1980", "1988"),
    "age_15_24": ("age15to24", "1980", "1988"),
    "beer": ("beer", "1984", "1988"),
    "cigsale_1975": ("rate", "1975", "1975"),
    "cigsale_1980": ("rate", "1980", "1980"),
    "cigsale_1988": ("rate", "1988", "1988"),
}


def counts() -> pd.DataFrame:
    data = pd.read_csv(HERE / "synth_prop99.csv")
    return data.assign(
        date=pd.to_datetime(data["year"].astype(str) + "-01-01"),
        count=np.round(10 * data["cigsale"]).astype(int),
        tenths=10.0,
    ).drop(columns=["year", "cigsale"])


def report(name: str, res: fp.SyntheticControlResult, seconds: float) -> None:
    print(f"\n=== {name} ({seconds:.1f} s)")
    row = res.summary().iloc[0]
    cols = [
        "pre_rmspe",
        "post_rmspe",
        "rmspe_ratio",
        "average_gap",
        "rate_ratio",
        "p_value",
        "p_value_good_fit",
        "n_placebos",
        "n_placebos_good_fit",
    ]
    print(row[cols].to_string())
    print(res.weights.head(6)[["donor", "weight"]].round(3).to_string(index=False))
    if not res.predictor_balance.empty:
        print(res.predictor_balance.iloc[:, 3:].round(4).to_string(index=False))
    gaps = res.paths.query("role == 'treated'").set_index("date")["gap"]
    print("gap 1989-2000:", gaps.iloc[-12:].round(1).tolist())
    ranks = res.placebos.sort_values("rank").head(5)
    print(
        ranks[["unit", "pre_rmspe", "rmspe_ratio", "rank", "poor_fit"]]
        .round(3)
        .to_string(index=False)
    )
    pre = res.placebos["pre_rmspe"]
    for mspe_times in (20, 5, 2):  # ADH's figures cut on MSPE, i.e. RMSPE ratio sqrt(times)
        keep = (res.placebos["role"] == "placebo") & (pre**2 <= mspe_times * pre.iloc[0] ** 2)
        ratio = res.placebos["rmspe_ratio"]
        p = (1 + int((ratio[keep] >= ratio.iloc[0]).sum())) / (1 + int(keep.sum()))
        print(f"placebos with MSPE <= {mspe_times}x California's: {int(keep.sum())}, p = {p:.4f}")


def main() -> None:
    data = counts()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, kwargs in [
            ("ADH predictors, placebo_pool='others'", {"predictors": PREDICTORS}),
            (
                "ADH predictors, placebo_pool='donors'",
                {"predictors": PREDICTORS, "placebo_pool": "donors"},
            ),
            ("outcome path, placebo_pool='others'", {}),
        ]:
            t0 = time.perf_counter()
            res = fp.fit_synthetic_control(
                data,
                treated="California",
                event="1989-01-01",
                by="state",
                exposure="tenths",
                **kwargs,
            )
            report(name, res, time.perf_counter() - t0)


if __name__ == "__main__":
    main()
