"""Change points of count series: Bayesian posterior and PELT.

``detect_changepoints(counts, method="bayes" | "pelt", family="poisson" | "negbin")``
returns a :class:`ChangepointResult` with the segments, the posterior probability of a
change on each date, the posterior of the number of changes and ``change_near`` to ask
whether the rate changed around an event.

A call that would need more memory than the budget (:mod:`flashpoint.limits`) raises an
error before allocating, naming the size and how to reduce it.
"""

from __future__ import annotations

from flashpoint.models.changepoints._detect import detect_changepoints
from flashpoint.models.changepoints._result import ChangepointResult

__all__ = ["ChangepointResult", "detect_changepoints"]
