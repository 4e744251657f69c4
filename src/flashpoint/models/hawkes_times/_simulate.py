"""Simulating the exponential Hawkes process (for tests and benchmarks only)."""

from __future__ import annotations

import math

import numpy as np

from flashpoint.errors import FlashpointValueError

__all__ = ["simulate_hawkes_times"]


def simulate_hawkes_times(
    *,
    mu: float,
    branching: float,
    decay: float,
    end: float,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    r"""Simulate an exponential Hawkes process on ``[0, end)`` (days), for tests and benchmarks.

    Parameters
    ----------
    mu
        Background rate (events per day), > 0.
    branching
        Branching ratio :math:`\eta`, in ``[0, 1)``.
    decay
        Decay rate :math:`\beta` (per day), > 0.
    end
        Length of the window in days, > 0.
    seed
        Seed or ``numpy.random.Generator`` (never the global random state).

    Returns
    -------
    numpy.ndarray
        Sorted simulated event times in days (float64). Simulated data: never present it as
        real events.

    Raises
    ------
    FlashpointValueError
        When a parameter is out of range.

    See Also
    --------
    fit_hawkes_times : fit the model.

    Notes
    -----
    Cluster (branching) representation (Hawkes and Oakes 1974): immigrants arrive as a
    Poisson process of rate :math:`\mu` on ``[0, end)``; every event has
    Poisson(:math:`\eta`) children, each after an Exp(:math:`\beta`) delay; children
    after ``end`` are dropped. This is exactly the Hawkes process with intensity
    :math:`\mu + \sum_{t_i < t} \eta \beta e^{-\beta (t - t_i)}` and no events before 0.
    Each generation is drawn at once (vectorised).

    Examples
    --------
    >>> from flashpoint.models.hawkes_times import simulate_hawkes_times
    >>> simulated_times = simulate_hawkes_times(mu=0.2, branching=0.5, decay=1.0,
    ...                                         end=100.0, seed=7)
    >>> len(simulated_times), bool((simulated_times < 100.0).all())
    (48, True)
    """
    for name, value in (("mu", mu), ("decay", decay), ("end", end)):
        if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
            raise FlashpointValueError(f"{name} must be a positive number; got {value!r}")
    if not isinstance(branching, int | float) or not 0 <= branching < 1:
        raise FlashpointValueError(
            f"branching must be in [0, 1) (a stationary process); got {branching!r}"
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n0 = int(rng.poisson(mu * end))
    generation = np.sort(rng.uniform(0.0, end, size=n0))
    out = [generation]
    while generation.size:
        kids = rng.poisson(branching, size=generation.size)
        parents = np.repeat(generation, kids)
        births = parents + rng.exponential(1.0 / decay, size=parents.size)
        generation = births[births < end]
        out.append(generation)
    return np.sort(np.concatenate(out))
