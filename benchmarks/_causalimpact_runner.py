"""Run tfcausalimpact on one series; executed INSIDE its own venv by bench_its.py.

Not part of flashpoint (it imports only tfcausalimpact, pandas and TensorFlow). Reads a CSV
with columns ``date, count`` and optionally control series in further columns (simulated,
seeded data written by bench_its.py or bench_controls.py; the controls become
CausalImpact's covariates), fits
``CausalImpact(data, pre_period, post_period, model_args={})`` (the package defaults: local
level model, standardised data, variational inference, 1,000 posterior samples) ``repeats``
times and prints one JSON object on the last line of standard output: the wall and CPU
times of the fits (seconds; imports excluded), the average relative effect with its interval and the
posterior tail probability, and the versions used.

Usage:  <venv>/bin/python _causalimpact_runner.py CSV PRE_END POST_START [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("csv")
    parser.add_argument("pre_end", help="last day of the pre-period (YYYY-MM-DD)")
    parser.add_argument("post_start", help="first day of the post-period (YYYY-MM-DD)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    t0 = time.perf_counter()
    import pandas as pd
    import tensorflow as tf
    import tensorflow_probability as tfp
    from causalimpact import CausalImpact
    from causalimpact.__version__ import __version__ as ci_version

    import_s = time.perf_counter() - t0
    frame = pd.read_csv(args.csv, parse_dates=["date"])
    columns = ["count", *[c for c in frame.columns if c not in ("date", "count")]]
    data = frame.set_index("date")[columns].astype(float)
    pre = [data.index[0], pd.Timestamp(args.pre_end)]
    post = [pd.Timestamp(args.post_start), data.index[-1]]
    times, cpu_times = [], []
    ci = None
    for k in range(args.repeats):
        tf.random.set_seed(args.seed + k)
        c, t = time.process_time(), time.perf_counter()
        ci = CausalImpact(data, pre, post, model_args={})
        times.append(time.perf_counter() - t)
        cpu_times.append(time.process_time() - c)
    assert ci is not None
    s = ci.summary_data["average"]
    print(
        json.dumps(
            {
                "times": times,
                "cpu_times": cpu_times,
                "import_s": import_s,
                "n_obs": len(data),
                "n_controls": len(columns) - 1,
                "rel_effect": float(s["rel_effect"]),
                "rel_effect_lower": float(s["rel_effect_lower"]),
                "rel_effect_upper": float(s["rel_effect_upper"]),
                "abs_effect": float(s["abs_effect"]),
                "p_value": float(ci.p_value),
                "versions": {
                    "tfcausalimpact": ci_version,
                    "tensorflow": tf.__version__,
                    "tensorflow_probability": tfp.__version__,
                    "pandas": pd.__version__,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
