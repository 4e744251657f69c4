"""Probabilistic forecasts of daily counts and their rolling-origin backtest.

``forecast`` gives, per future day and group, the predictive mean, median and prediction
interval: by simulation from a fitted self-exciting (Hawkes) NB model, from a negative
binomial fitted to the whole history, or from naive baselines (the mean of the last
``window`` days, the same weekday last week). The default, ``model="auto"``, picks per
group the model that forecast the recent past best (a backtest inside the history) and
hedges it with the naive mean. ``backtest`` refits at rolling origins and scores the
predictive distributions with proper scoring rules (CRPS, log score).

Modules: ``_predictive`` (predictive laws and scores), ``_models`` (the models), ``_auto``
(fits by training length and the choice of ``auto``), ``_forecast`` and ``_backtest``.
``MODELS``, ``crps_from_pmf`` and ``_Predictive`` are importable from here but not in
``__all__``.
"""

from __future__ import annotations

from flashpoint.models.forecast._backtest import BacktestResult, backtest
from flashpoint.models.forecast._forecast import ForecastResult, forecast
from flashpoint.models.forecast._models import MODELS as MODELS
from flashpoint.models.forecast._predictive import _Predictive as _Predictive
from flashpoint.models.forecast._predictive import crps_from_pmf as crps_from_pmf

__all__ = ["BacktestResult", "ForecastResult", "backtest", "forecast"]
