"""Change points of count series: Bayesian posterior and PELT.

``detect_changepoints(counts, method="bayes" | "pelt", family="poisson" | "negbin")``
returns a :class:`ChangepointResult` with the segments, the posterior probability of a
change on each date, the posterior of the number of changes and ``change_near`` to ask
whether the rate changed around an event.

``MAX_BYTES`` is the memory a call may use: a call that would need more raises an error
before allocating, naming the size and how to reduce it.
"""

from __future__ import annotations

from flashpoint.models.changepoints._detect import detect_changepoints
from flashpoint.models.changepoints._result import ChangepointResult

MAX_BYTES: int = 4 * 1024**3
"""Memory (bytes) a :func:`detect_changepoints` call may use; raise it on a larger machine."""

__all__ = ["MAX_BYTES", "ChangepointResult", "detect_changepoints"]
