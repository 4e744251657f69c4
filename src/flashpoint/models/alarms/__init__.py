"""Alarms: days whose count exceeds what the recent baseline predicts.

``detect_alarms`` fits a baseline to a rolling reference window before each day (a
quasi-Poisson log-linear model with an optional trend, down-weighting past outbreaks, as in
the improved Farrington method) and flags the day either when its count is above the upper
prediction limit (``method="farrington"``) or when a negative-binomial CUSUM, tuned to detect
a ``kappa``-fold rise of the rate, crosses its decision limit (``method="nb_cusum"``). Both
methods state their nominal in-control false-alarm rate; the benchmark
``benchmarks/bench_alarms.py`` measures it.

Modules: ``_baseline`` (the rolling baseline fits), ``_farrington`` and ``_cusum`` (the two
methods), ``_limits`` (the CUSUM decision limits: exact, and the shipped table
``cusum_limits.npz`` built by ``benchmarks/make_cusum_limits.py``), ``_result`` and
``_detect``. The defaults and thresholds (``DEFAULT_*``, ...) and the
CUSUM helpers the tests check are importable from here but not in ``__all__``.
"""

from __future__ import annotations

from flashpoint.models.alarms._baseline import MIN_TREND_EVENTS as MIN_TREND_EVENTS
from flashpoint.models.alarms._baseline import REWEIGHT_THRESHOLD as REWEIGHT_THRESHOLD
from flashpoint.models.alarms._baseline import TREND_P_VALUE as TREND_P_VALUE
from flashpoint.models.alarms._cusum import _decision_limit as _decision_limit
from flashpoint.models.alarms._cusum import _llr_coefficients as _llr_coefficients
from flashpoint.models.alarms._detect import DEFAULT_ALPHA as DEFAULT_ALPHA
from flashpoint.models.alarms._detect import DEFAULT_ARL0 as DEFAULT_ARL0
from flashpoint.models.alarms._detect import DEFAULT_KAPPA as DEFAULT_KAPPA
from flashpoint.models.alarms._detect import METHODS as METHODS
from flashpoint.models.alarms._detect import detect_alarms
from flashpoint.models.alarms._result import AlarmResult

__all__ = ["AlarmResult", "detect_alarms"]
