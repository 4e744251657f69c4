"""Daily attack rates and event effects estimated from cumulative tallies (interval counts).

Officials report running totals ("73 attacks since October 17"), not daily counts. The
difference of two successive totals is the number of attacks in the interval between them.
:func:`fit_tally_rates` models the daily rate as a log-linear function of time and event
terms (the same shapes as :func:`flashpoint.fit_its`) and fits it to the interval counts
exactly: the expected count of an interval is the sum of the daily rates over its days, so
an interval that straddles an event is neither assigned to one side nor dropped.

Modules: ``_likelihood`` (the interval-count likelihood and its maximisation), ``_result``,
``_fit`` and ``_impute`` (:func:`impute_daily_from_tallies`). ``FAMILIES`` and the likelihood
helpers the tests check are importable from here but not in ``__all__``.
"""

from __future__ import annotations

from flashpoint.models.tallies._fit import FAMILIES as FAMILIES
from flashpoint.models.tallies._fit import fit_tally_rates
from flashpoint.models.tallies._impute import impute_daily_from_tallies
from flashpoint.models.tallies._likelihood import _llf_grad as _llf_grad
from flashpoint.models.tallies._likelihood import _membership as _membership
from flashpoint.models.tallies._result import TallyRatesResult

__all__ = ["TallyRatesResult", "fit_tally_rates", "impute_daily_from_tallies"]
