"""Model choice by a rolling-origin backtest inside the history: ``model="auto"``.

A :class:`_Forecaster` holds the series and the options of one :func:`forecast` or
:func:`backtest` call and gives the predictive laws of any model fitted to the first ``o``
days (cached by ``o``, so that a backtest refits each model once per training length and
its inner model choices reuse the forecasts it scores anyway).

``auto`` at origin ``o`` (per group): score every candidate by its mean CRPS over the
``J`` most recent forecast windows that end by day ``o`` (origins ``o - H - 7 j``), pick
the best, and hedge it with the naive mean: the forecast is the equal mixture of the best
candidate and ``naive_mean`` (just ``naive_mean`` when it is the best or when the history
is too short for one inner window). Only the data up to ``o`` are used.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.models._base import CountSeries, check_alpha, check_choice
from flashpoint.models.forecast._models import (
    FAMILIES,
    _check_common,
    _check_lengths,
    _check_size,
    _predict,
    _split,
)
from flashpoint.models.forecast._predictive import _Predictive, combine, day_stats
from flashpoint.models.hawkes._fit import _Exogenous, _parse_exogenous

__all__ = [
    "CANDIDATES",
    "HEDGE",
    "INNER_STEP",
    "n_inner_windows",
    "option_values",
    "prepare",
    "seed_field",
]

CANDIDATES = ("hawkes", "negbin", "naive_mean")
"""Models ``auto`` chooses from."""
HEDGE = 0.5
"""Weight of ``naive_mean`` in the forecast when another candidate scored best."""
INNER_STEP = 7
"""Days between the inner forecast origins."""
MIN_TRAIN = 14
"""Fewest training days of an inner forecast origin."""


def n_inner_windows(horizon: int) -> int:
    """Inner forecast windows scored: at least 2 and about 21 scored days (at most 4)."""
    return min(4, max(2, math.ceil(21 / horizon)))


def seed_field(seed: int | np.random.Generator | None) -> int | None:
    """Return the seed a result records: the integer given, else ``None``."""
    return seed if isinstance(seed, int) else None


OPTIONS = (
    "horizon",
    "alpha",
    "family",
    "window",
    "season",
    "n_sim",
    "multivariate",
    "max_lag",
    "parameter_uncertainty",
)
"""Arguments that :func:`forecast` and :func:`backtest` share and hand to :func:`prepare`."""


def option_values(arguments: dict[str, Any]) -> dict[str, Any]:
    """Pick the shared options (:data:`OPTIONS`) from a function's arguments (``locals()``)."""
    return {k: v for k, v in arguments.items() if k in OPTIONS}


def prepare(
    counts: pd.DataFrame,
    *,
    models: tuple[str, ...],
    options: dict[str, Any],
    seed: int | np.random.Generator | None,
    exogenous: Any,
    split: dict[str, Any],
    scenario: bool = False,
) -> tuple[str | None, list[CountSeries], _Forecaster]:
    """Check the options and the counts of :func:`forecast` / :func:`backtest`, once.

    ``options`` holds ``horizon``, ``alpha``, ``family`` and the model options of
    :class:`_Forecaster` (``window``, ``season``, ``n_sim``, ``multivariate``, ``max_lag``,
    ``parameter_uncertainty``); ``split`` the arguments of ``_split`` (``by``,
    ``drop_all_zero``, ``what`` and optionally ``zero_fix``). Returns the group column, the
    series and the forecaster that fits the models to any number of first days.
    """
    opts = dict(options)
    horizon, n_sim, max_lag = opts.pop("horizon"), opts["n_sim"], opts["max_lag"]
    check_alpha(opts.pop("alpha"))
    check_choice("family", opts["family"], FAMILIES)
    _check_common(horizon, n_sim, opts["window"], opts["season"], max_lag)
    by, series = _split(counts, min_days=3, **split)
    _check_lengths(series[0].n, window=opts["window"], season=opts["season"], models=models)
    _check_size(horizon, n_sim, len(series), max_lag, hawkes=bool({"auto", "hawkes"} & set(models)))
    fc = _Forecaster(
        series=series,
        horizon=horizon,
        options=opts,
        rng=seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed),
        exo=_parse_exogenous(exogenous),
        scenario=scenario,
    )
    return by, series, fc


@dataclass
class _Forecaster:
    """Predictive laws of the models fitted to the first ``o`` days of every series."""

    series: list[CountSeries]
    horizon: int
    options: dict[str, Any]
    rng: np.random.Generator
    exo: list[_Exogenous]
    scenario: bool = False  # forecast(): exogenous events after the last day are known
    hawkes_models: Any = None  # fitted Hawkes models of the whole series (forecast())
    _cache: dict[tuple[int, str], list[_Predictive | None]] = field(default_factory=dict)
    _crps: dict[tuple[int, str], list[float]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Days in every series."""
        return self.series[0].n

    def _exo_until(self, o: int) -> list[_Exogenous]:
        if self.scenario and o == self.n:
            return self.exo
        cut = self.series[0].dates[o - 1]
        return [
            _Exogenous(name=e.name, dates=e.dates[e.dates <= cut], x=e.x[e.dates <= cut])
            for e in self.exo
        ]

    def candidate(self, o: int, model: str) -> list[_Predictive | None]:
        """Per group, the law of ``model`` fitted to days ``1..o`` (``None``: cannot fit)."""
        key = (o, model)
        if key not in self._cache:
            self._cache[key] = self._fit(o, model)
        return self._cache[key]

    def _fit(self, o: int, model: str) -> list[_Predictive | None]:
        train = [CountSeries(group=s.group, dates=s.dates[:o], y=s.y[:o]) for s in self.series]
        opts = dict(self.options)
        whole = o == self.n and self.hawkes_models is not None
        opts["parameter_uncertainty"] = opts["parameter_uncertainty"] and whole
        if model != "hawkes":
            return list(_predict(train, model, self.horizon, rng=self.rng, exo=[], **opts))
        if not whole and o < 2 * opts["max_lag"]:
            return [None] * len(train)
        live = [i for i, s in enumerate(train) if s.y.any()]
        if opts["multivariate"] and len(live) < len(train):
            return [None] * len(train)
        out: list[_Predictive | None] = [None] * len(train)
        preds = _predict(
            [train[i] for i in live],
            "hawkes",
            self.horizon,
            rng=self.rng,
            exo=self._exo_until(o),
            models=self.hawkes_models if whole else None,
            **opts,
        )
        for i, p in zip(live, preds, strict=True):
            out[i] = p
        return out

    def window_crps(self, o: int, model: str) -> list[float]:
        """Per group, the mean CRPS of the forecast from ``o`` over days ``o+1..o+H``."""
        key = (o, model)
        if key not in self._crps:
            out = []
            for s, p in zip(self.series, self.candidate(o, model), strict=True):
                y = s.y[o : o + self.horizon]
                crps = None if p is None else day_stats(p, alpha=0.05, y=y).crps
                out.append(np.nan if crps is None else float(crps.mean()))
            self._crps[key] = out
        return self._crps[key]

    def forget_before(self, o: int) -> None:
        """Drop cached laws fitted to fewer than ``o`` days (no longer needed)."""
        for key in [k for k in self._cache if k[0] < o]:
            del self._cache[key]

    def inner_origins(self, o: int) -> list[int]:
        """Origins of the inner forecast windows of ``auto`` at ``o`` (most recent first)."""
        J = n_inner_windows(self.horizon)
        origins = [o - self.horizon - INNER_STEP * j for j in range(J)]
        return [oi for oi in origins if oi >= MIN_TRAIN]

    def choose(self, o: int) -> tuple[list[dict[str, float]], list[dict[str, Any]]]:
        """Per group, the weights of the ``auto`` law at ``o``, and the scores behind them."""
        inner = self.inner_origins(o)
        scores = {m: np.array([self.window_crps(oi, m) for oi in inner]) for m in CANDIDATES}
        weights, rows = [], []
        for g, s in enumerate(self.series):
            mean = {m: _mean_if_complete(scores[m][:, g]) for m in CANDIDATES} if inner else {}
            w = choose(mean)
            weights.append(w)
            rows += [
                _selection_row(s.group, m, mean.get(m, np.nan), len(inner), w.get(m, 0.0))
                for m in CANDIDATES
            ]
        return weights, rows

    def mixture(self, o: int, weights: list[dict[str, float]]) -> list[_Predictive]:
        """Per group, the mixture of the candidates' laws at ``o`` with the given weights."""
        out = []
        for g, w in enumerate(weights):
            laws = [self.candidate(o, m)[g] for m in w]
            out.append(combine([p for p in laws if p is not None], list(w.values())))
        return out

    def auto(self, o: int) -> tuple[list[_Predictive], list[dict[str, Any]]]:
        """Per group, the ``auto`` law at ``o`` and the selection rows behind it."""
        weights, rows = self.choose(o)
        return self.mixture(o, weights), rows


def _mean_if_complete(values: np.ndarray) -> float:
    """Mean score over the inner windows, NaN unless the model was scored in all of them."""
    return float(values.mean()) if values.size and not np.isnan(values).any() else np.nan


def choose(mean_crps: dict[str, float]) -> dict[str, float]:
    """Weights of the ``auto`` forecast from the candidates' mean inner CRPS (NaN: not scored).

    Examples
    --------
    >>> choose({"hawkes": 0.40, "negbin": 0.45, "naive_mean": 0.50, "seasonal_naive": 0.7})
    {'hawkes': 0.5, 'naive_mean': 0.5}
    >>> choose({"hawkes": float("nan"), "negbin": 0.6, "naive_mean": 0.5})
    {'naive_mean': 1.0}
    >>> choose({})
    {'naive_mean': 1.0}
    """
    scored = {m: v for m, v in mean_crps.items() if np.isfinite(v)}
    if not scored or "naive_mean" not in scored:
        return {"naive_mean": 1.0}
    best = min(scored, key=lambda m: scored[m])
    if best == "naive_mean":
        return {"naive_mean": 1.0}
    return {best: 1.0 - HEDGE, "naive_mean": HEDGE}


def _selection_row(
    group: Hashable | None, model: str, crps: float, n_windows: int, weight: float
) -> dict[str, Any]:
    return {
        "group": group,
        "model": model,
        "crps": crps,
        "n_windows": n_windows,
        "weight": weight,
    }
