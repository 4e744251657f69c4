"""Reference fits of the exponential Hawkes model by two other packages (see hawkes_times.md).

Not part of the test suite (it needs packages flashpoint does not depend on). Two steps:

1. In the flashpoint venv, write the seeded simulated data sets (not real data)::

       python tests/reference/hawkes_times_reference.py dump /tmp/hawkes_times_ref.npz

2. In a separate venv with the peers (``pip install hawkes==1.0.0 tick==0.8.0.2 numpydoc
   six``; never in the project venv), fit them::

       /tmp/peers/bin/python tests/reference/hawkes_times_reference.py peers \
           /tmp/hawkes_times_ref.npz

The printed numbers are copied into ``tests/test_hawkes_times.py`` (REFERENCE_FITS).

3. Optional, the published fit (see hawkes_times.md): with Omi's ``notebooks/Data/test1.txt``
   downloaded to a local path, in the flashpoint venv::

       python tests/reference/hawkes_times_reference.py published /path/to/test1.txt
"""

from __future__ import annotations

import json
import sys

import numpy as np

# name -> (mu, branching, decay, end, seed); times in days
DATASETS = {
    "ozaki": (0.1, 0.5, 10.0, 10_000.0, 1979),
    "strong": (0.5, 0.9, 1.0, 1_000.0, 1988),
    "small": (1.0, 0.3, 5.0, 200.0, 2002),
}


def dump(path: str) -> None:
    from flashpoint.models.hawkes_times import simulate_hawkes_times

    arrays = {
        name: simulate_hawkes_times(mu=mu, branching=eta, decay=beta, end=end, seed=seed)
        for name, (mu, eta, beta, end, seed) in DATASETS.items()
    }
    np.savez(path, **arrays)
    print({name: len(a) for name, a in arrays.items()})


def peers(path: str) -> None:
    import Hawkes  # Omi's package: pip install hawkes
    from scipy import optimize
    from tick.hawkes import ModelHawkesExpKernLogLik

    data = np.load(path)
    out = {}
    for name, (_, _, _, end, _) in DATASETS.items():
        t = data[name]
        est = Hawkes.estimator().set_kernel("exp").set_baseline("const")
        est.fit(t, [0.0, end])
        para = {k: float(v) for k, v in est.para.items()}
        # tick: log-likelihood at Omi's estimate, and the (baseline, adjacency) MLE with the
        # decay fixed at Omi's estimate. tick's loss is (-loglik - end) / n.
        model = ModelHawkesExpKernLogLik(para["beta"])
        model.fit([t], end)
        coeffs = np.array([para["mu"], para["alpha"]])
        tick_loglik = -len(t) * float(model.loss(coeffs)) - end
        res = optimize.minimize(
            lambda c, model=model: (model.loss(c), model.grad(c)),
            coeffs * 1.2,
            jac=True,
            method="L-BFGS-B",
            bounds=[(1e-12, None), (0.0, None)],
            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 1000},
        )
        out[name] = {
            "n": len(t),
            "omi_mu": para["mu"],
            "omi_branching": para["alpha"],
            "omi_decay": para["beta"],
            "omi_loglik": float(est.L),
            "tick_loglik_at_omi": tick_loglik,
            "tick_fixed_decay_mu": float(res.x[0]),
            "tick_fixed_decay_branching": float(res.x[1]),
        }
    print(json.dumps(out, indent=1))


# Published by Omi's Hawkes (notebooks/test.ipynb, "expected output") for test1.txt on [0, 1e5]
PUBLISHED_TEST1 = {
    "mu": 0.10030016745850244,
    "alpha": 0.49292129697827947,
    "beta": 10.047258972961286,
    "loglik": -29044.498858665163,
}


def published(path: str) -> None:
    from flashpoint.models.hawkes_times import _log_likelihood, fit_hawkes_times

    t = np.loadtxt(path)
    ref = PUBLISHED_TEST1
    fit = fit_hawkes_times(t, start=0.0, end=100_000.0)
    at_published = _log_likelihood(t, 100_000.0, (ref["mu"], ref["alpha"], ref["beta"]))[0]
    print(f"{len(t)} events")
    print(f"mu        ours {fit.mu:.10g}  published {ref['mu']:.10g}")
    print(f"branching ours {fit.branching_ratio:.10g}  published {ref['alpha']:.10g}")
    print(f"decay     ours {fit.decay:.10g}  published {ref['beta']:.10g}")
    print(f"loglik    ours {fit.log_likelihood:.12g}  published {ref['loglik']:.12g}")
    print(f"our loglik at the published estimate: {at_published:.12g}")


if __name__ == "__main__":
    {"dump": dump, "peers": peers, "published": published}[sys.argv[1]](sys.argv[2])
