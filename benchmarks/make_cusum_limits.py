"""Build the table of NB-CUSUM decision limits that ``detect_alarms`` interpolates.

Method: for every point of a grid of the design inputs of the default chart (``kappa = 2``,
``arl0 = 200``), the decision limit ``h`` is computed exactly as ``detect_alarms`` would
compute it without the table (:func:`flashpoint.models.alarms._limits.exact_limit`: Brook &
Evans Markov chain with 60 states, the false-alarm rate averaged over 6 gamma nodes of the
true mean and 4 chi-square nodes of the true dispersion, root in ``log h`` to about 0.2%).
The grid (about 53,000 points) is

- ``log mu``: baseline mean 2^-7 .. 2^8 events per period, steps of sqrt(2);
- ``log phi_raw``: Pearson dispersion 2^-4 .. 2^4.5, steps of sqrt(2);
- ``1/df``: 0 (dispersion known) and 2^-9 .. 2 (degrees of freedom 0.5 .. 512), doubling;
- ``log n_eff``: ``max(1, phi_raw) / (mu cv2)``, the number of periods the baseline mean is
  worth (28 for the default 28-day constant baseline), 3.5 .. 448, doubling.

``detect_alarms`` interpolates ``log h`` multilinearly in these coordinates and computes
limits outside the grid, or for another ``kappa`` / ``arl0``, exactly. The table is stored
as float32 ``log h`` in ``src/flashpoint/models/alarms/cusum_limits.npz``.

Run (about 40 min on two cores):  python benchmarks/make_cusum_limits.py --jobs 2
Check (exact vs interpolated at random points):  python benchmarks/make_cusum_limits.py --check 200
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from pathlib import Path

import numpy as np

from flashpoint.models.alarms._limits import (
    N_QUAD_MEAN,
    N_QUAD_PHI,
    N_STATES,
    TABLE_FILE,
    _design_key,
    exact_limit,
    limit_table,
    llr_coefficients,
    mean_inverse_arl,
    table_coordinates,
    truth_nodes,
)

KAPPA, ARL0 = 2.0, 200.0
OUT = Path(__file__).resolve().parents[1] / "src" / "flashpoint" / "models" / "alarms" / TABLE_FILE


def axes() -> tuple[np.ndarray, ...]:
    log_mu = np.log(2.0) * np.arange(-14, 17) / 2
    log_phi = np.log(2.0) * np.arange(-8, 10) / 2
    inv_df = np.r_[0.0, 2.0 ** np.arange(-9, 2)]
    log_neff = np.log(3.5 * 2.0 ** np.arange(8))
    return log_mu, log_phi, inv_df, log_neff


def _extrapolate(values: list[float]) -> float:
    """Next value of a smooth sequence of log h (linear from the last two), as a guess."""
    if not values:
        return float(np.log(4.0))
    if len(values) == 1:
        return values[-1]
    return 2 * values[-1] - values[-2]


def build_row(i: int) -> np.ndarray:
    """``log h`` of one baseline mean (axis 0 index ``i``) over the other three axes."""
    log_mu, log_phi, inv_df, log_neff = axes()
    mu = float(np.exp(log_mu[i]))
    row = np.empty((len(log_phi), len(inv_df), len(log_neff)))
    for j, lp in enumerate(log_phi):
        phi = float(np.exp(lp))
        for m, ln in enumerate(log_neff):
            cv2 = max(1.0, phi) / (mu * float(np.exp(ln)))
            for k, idf in enumerate(inv_df):
                if k >= 1:
                    seen = list(row[j, max(0, k - 2) : k, m])
                elif m >= 1:
                    seen = list(row[j, 0, max(0, m - 2) : m])
                else:
                    seen = list(row[max(0, j - 2) : j, 0, 0])
                df = np.inf if idf == 0 else 1.0 / idf
                guess = float(np.exp(_extrapolate(seen)))
                row[j, k, m] = np.log(exact_limit(mu, phi, df, cv2, KAPPA, ARL0, guess=guess))
    return row


def build(jobs: int) -> None:
    ax = axes()
    start = time.perf_counter()
    rows: list[np.ndarray] = [np.empty(0)] * len(ax[0])
    with multiprocessing.Pool(jobs) as pool:
        for done, (i, row) in enumerate(
            pool.imap_unordered(_indexed_row, range(len(ax[0]))), start=1
        ):
            rows[i] = row
            elapsed = time.perf_counter() - start
            print(f"row {i} (mu {np.exp(ax[0][i]):.4f}): {done}/{len(rows)} in {elapsed:.0f} s")
    log_h = np.stack(rows)
    np.savez_compressed(
        OUT,
        axis0=ax[0],
        axis1=ax[1],
        axis2=ax[2],
        axis3=ax[3],
        log_h=log_h.astype(np.float32),
        kappa=KAPPA,
        arl0=ARL0,
        n_states=N_STATES,
        n_quad_mean=N_QUAD_MEAN,
        n_quad_phi=N_QUAD_PHI,
    )
    size = OUT.stat().st_size / 1024
    print(f"wrote {OUT} ({size:.0f} KiB) in {time.perf_counter() - start:.0f} s")


def _indexed_row(i: int) -> tuple[int, np.ndarray]:
    return i, build_row(i)


def check(n: int, seed: int = 0) -> None:
    """Interpolated vs exact limits at random design points of the default 28-day baseline."""
    table = limit_table()
    if table is None:
        raise SystemExit(f"{OUT} is missing: run without --check first")
    rng = np.random.default_rng(seed)
    ratios, snapped, errors = [], [], []
    outside = 0
    for _ in range(n):
        mu = float(np.exp(rng.uniform(np.log(0.02), np.log(50.0))))
        phi = float(np.exp(rng.uniform(np.log(0.3), np.log(8.0))))
        df = float(np.exp(rng.uniform(np.log(0.6), np.log(27.0))))
        n_eff = float(np.exp(rng.uniform(np.log(5.0), np.log(200.0))))
        cv2 = max(1.0, phi) / (mu * n_eff)
        coords = table_coordinates(*(np.array([v]) for v in (mu, phi, df, cv2)))
        h_tab, inside = (float(v[0]) for v in table.lookup(coords))
        if not inside:
            outside += 1
            continue
        h_exact = exact_limit(mu, phi, df, cv2, KAPPA, ARL0)
        key = _design_key(mu, phi, df, cv2)
        h_snap = exact_limit(*key, KAPPA, ARL0)
        disp = (max(1.0, phi) - 1.0) / mu
        c0, c1 = (float(v) for v in llr_coefficients(np.array(mu), np.array(disp), KAPPA))
        nodes = truth_nodes(mu, phi, df, cv2)
        rates = mean_inverse_arl(np.array([h_tab, h_snap]), c0, c1, *nodes) * ARL0
        ratios.append(rates[0])
        snapped.append(rates[1])
        errors.append(abs(np.log(h_tab / h_exact)))
    q = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]
    print(f"{n} random design points (mu 0.02-50, phi 0.3-8, df 0.6-27, n_eff 5-200)")
    print(f"{outside} fall outside the table or next to its cliff (computed exactly)")
    print("expected false-alarm rate / nominal, quantiles", q)
    print("   at the interpolated limit:", np.round(np.quantile(ratios, q), 3))
    print("   at the exact limit of the rounded design (the method without the table):")
    print("                             ", np.round(np.quantile(snapped, q), 3))
    print("|log(h interpolated / h exact)| quantiles", q)
    print("  ", np.round(np.quantile(errors, q), 4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", type=int, default=0, help="only check at N random points")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    args = parser.parse_args()
    if args.check:
        check(args.check)
    else:
        build(args.jobs)


if __name__ == "__main__":
    main()
