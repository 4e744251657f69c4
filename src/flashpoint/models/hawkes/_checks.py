"""Model checks of the daily Hawkes model: tests, identifiability, stationarity, frames.

Self-excitation and a background that changes over time both make counts cluster in
time, so a model with a constant background can read a trend or a step as excitation
(and a flexible one can absorb real excitation). Every fit is therefore compared with
the other reading of the background (constant when the fitted background can change, the
default spline when it is constant): the likelihood-ratio test of a changing background
goes into ``tests`` and, when the two readings of the branching ratio disagree while the
data do not prefer one background clearly, or when an interval spans more than half of
``[0, 1]``, the result says that excitation is not identified here.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.models._base import CountSeries, warn
from flashpoint.models.hawkes._engine import ETA_MAX, components, maximize
from flashpoint.models.hawkes._fit import (
    BASELINE_LEVEL,
    NonStationaryWarning,
    _build_design,
    _fit_design,
    _Model,
    _where,
)
from flashpoint.models.hawkes._inference import lr_test
from flashpoint.schemas import COUNT, DATE

__all__: list[str] = []

WIDE_INTERVAL = 0.5
"""A branching-ratio interval wider than this (half of [0, 1]) cannot tell much apart."""

TestRow = dict[str, Any]


@dataclass(frozen=True)
class Alternative:
    """The model fitted with the other reading of the background."""

    kind: str  # "constant" or "spline"
    eta: np.ndarray  # (K_eta, G, G) branching ratios of the alternative
    test: TestRow  # LR test of a changing background (flexible vs constant)


def baseline_alternative(m: _Model) -> Alternative:
    """Return the other reading of the background (fitted with the model) and its LR test."""
    alt = m.alternative
    if alt is None:  # pragma: no cover - fit_models always fits it
        raise RuntimeError("the model was fitted without its alternative background")
    test = {
        "group": None if m.design.layout.G > 1 else m.groups[0],
        "test": "baseline_varies",
        "statistic": alt.stat,
        "df": alt.df,
        "p_value": alt.p_value,
        "note": "LR test: the background drifts (trend or spline, given steps kept) against "
        "one level per regime",
    }
    return Alternative(kind=alt.kind, eta=alt.eta, test=test)


def identifiability(
    m: _Model, rows: list[dict[str, Any]], alt: Alternative, level: float = BASELINE_LEVEL
) -> list[str]:
    """Say why excitation cannot be told apart from the background (empty: it can)."""
    br = [r for r in rows if r["term"] == "branching_ratio"]
    notes: list[str] = []
    wide = [r for r in br if r["ci_upper"] - r["ci_lower"] > WIDE_INTERVAL]
    if wide:
        notes.append(
            f"the branching ratio's interval of {_where(m.groups)} spans more than half of "
            f"[0, 1] ({_interval(wide[0])}): the data cannot tell how much of the clustering "
            "is self-excitation"
        )
    outside = []
    for r, alt_eta in zip(br, alt.eta.ravel(), strict=True):
        if not r["ci_lower"] - 1e-6 <= alt_eta <= r["ci_upper"] + 1e-6:
            outside.append((r, float(alt_eta)))
    if not outside:
        return notes
    r, other = outside[0]
    p = alt.test["p_value"]
    reading = (
        f"with a {alt.kind} background the branching ratio of {_where(m.groups)} reads "
        f"{other:.2f}, outside this fit's interval ({_interval(r)})"
    )
    if p >= level:
        notes.append(
            f"{reading}, and the data do not prefer either background (LR test of a changing "
            f"background p = {p:.3g}): excitation cannot be told apart from a changing "
            "background here"
        )
    elif alt.kind == "spline":
        notes.append(
            f"{reading}, and the background changes over time (LR p = {p:.3g}): this fit's "
            "constant background reads that change as excitation; refit with "
            "baseline='spline' or baseline_breaks"
        )
    return notes


def _interval(r: dict[str, Any]) -> str:
    return f"{r['estimate']:.2f} [{r['ci_lower']:.2f}, {r['ci_upper']:.2f}]"


def model_tests(
    m: _Model, batch: list[CountSeries], multivariate: bool, common: dict[str, Any]
) -> list[TestRow]:
    """LR tests of equal branching ratios across regimes and of no cross-excitation."""
    lay = m.design.layout
    group = None if lay.G > 1 else m.groups[0]
    out: list[TestRow] = []
    if lay.K_eta > 1:
        d0, _ = _build_design(batch, pool_eta_regimes=True, **common)
        _, ll0, _ = _fit_design(d0)
        df = lay.G * lay.G * (lay.K_eta - 1)
        stat, p = lr_test(m.loglik, ll0, df)
        note = "LR test: branching ratio(s) equal across regimes (backgrounds free)"
        out.append(_test(group, "equal_branching_ratio", stat, df, p, note))
    if multivariate and lay.G > 1:
        sl = lay.slices()
        fixed = {
            sl["eta"].start + (k * lay.G + i) * lay.G + j: 0.0
            for k in range(lay.K_eta)
            for i in range(lay.G)
            for j in range(lay.G)
            if i != j
        }
        _, ll0, _, _ = maximize(m.design, m.theta.copy(), fixed=fixed)
        stat, p = lr_test(m.loglik, ll0, len(fixed))
        note = (
            "LR test: off-diagonal branching ratios = 0; chi-square p is conservative "
            "(null on the boundary)"
        )
        out.append(_test(group, "no_cross_excitation", stat, len(fixed), p, note))
    return out


def _test(group: Any, test: str, stat: float, df: int, p: float, note: str) -> TestRow:
    return {"group": group, "test": test, "statistic": stat, "df": df, "p_value": p, "note": note}


def check_stationary(m: _Model) -> None:
    """Warn when a branching ratio or spectral radius sits at the stationarity bound."""
    lay = m.design.layout
    eta = lay.unpack(m.theta)["eta"]
    for k in range(lay.K_eta):
        rho = float(np.max(np.abs(np.linalg.eigvals(eta[k]))))
        if rho >= ETA_MAX - 1e-3:
            warn(
                f"the branching ratio (spectral radius {rho:.3f}) of {_where(m.groups)}"
                f"{f' in regime {k}' if lay.K_eta > 1 else ''} is at the stationarity bound; "
                "the process is explosive or the background is mis-specified (try "
                "baseline='spline', baseline_breaks or regimes)",
                NonStationaryWarning,
            )


def frames(m: _Model) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-day decomposition and self-excitation by source group of one model."""
    mu, by_source, exo, _ = components(m.theta, m.design)
    n = len(m.dates)
    dec, src = [], []
    for gi, grp in enumerate(m.groups):
        self_part = by_source[gi].sum(axis=0)
        exo_part = exo[:, gi, :].sum(axis=0) if exo.shape[0] else np.zeros(n)
        dec.append(
            pd.DataFrame(
                {
                    DATE: m.dates,
                    "group": grp,
                    COUNT: m.design.y[gi].astype(np.int64),
                    "expected": mu[gi] + self_part + exo_part,
                    "background": mu[gi],
                    "self_excited": self_part,
                    "exogenous": exo_part,
                }
            )
        )
        for gj, s in enumerate(m.groups):
            src.append(
                pd.DataFrame(
                    {DATE: m.dates, "group": grp, "source": s, "self_excited": by_source[gi, gj]}
                )
            )
    return pd.concat(dec, ignore_index=True), pd.concat(src, ignore_index=True)


def batch_of(m: _Model, series: list[CountSeries]) -> list[CountSeries]:
    """Return the series a model was fitted to."""
    groups: set[Hashable | None] = set(m.groups)
    return [s for s in series if s.group in groups]


def with_cov(m: _Model, cov: np.ndarray) -> _Model:
    """Return the model with its covariance matrix filled in."""
    return replace(m, cov=cov)
