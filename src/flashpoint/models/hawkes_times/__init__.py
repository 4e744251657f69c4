"""Continuous-time self-exciting (Hawkes) model for events with exact times.

:func:`fit_hawkes_times` fits a univariate Hawkes process with an exponential kernel to event
times (an event table's ``timestamp`` column, or an array of times in days) by exact maximum
likelihood, and checks the fit with time-rescaling residuals and a Kolmogorov-Smirnov test.
:func:`simulate_hawkes_times` draws from the same model (for tests and benchmarks only).

The log-likelihood and its first two derivatives use Ozaki's (1979) O(n) recursion. To make
it fast in numpy, the recursion runs along blocks of about sqrt(n) consecutive events at
once (vectorised across the blocks), then the same recursion carries each block's state to
the next; the result equals the sequential recursion up to rounding.

Modules: ``_likelihood`` (the recursion and the log-likelihood), ``_times`` (input checks and
tied times), ``_optimise`` (maximisation), ``_result``, ``_fit`` and ``_simulate``. The
thresholds ``MIN_EVENTS``/``FEW_EVENTS`` and the likelihood helpers the tests check against
reference values are importable from here but not in ``__all__``.
"""

from __future__ import annotations

from flashpoint.models.hawkes_times._fit import FEW_EVENTS as FEW_EVENTS
from flashpoint.models.hawkes_times._fit import fit_hawkes_times
from flashpoint.models.hawkes_times._likelihood import (
    _compensator_steps as _compensator_steps,
)
from flashpoint.models.hawkes_times._likelihood import _kernel_sums as _kernel_sums
from flashpoint.models.hawkes_times._likelihood import _log_likelihood as _log_likelihood
from flashpoint.models.hawkes_times._result import HawkesTimesResult
from flashpoint.models.hawkes_times._simulate import simulate_hawkes_times
from flashpoint.models.hawkes_times._times import MIN_EVENTS as MIN_EVENTS

__all__ = [
    "HawkesTimesResult",
    "fit_hawkes_times",
    "simulate_hawkes_times",
]
