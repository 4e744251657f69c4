"""The tidy frames of a synthetic-control result, built from the fitted analyses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.models.synth._analysis import Analysis, treated_summary, unit_statistics
from flashpoint.models.synth._panel import Panel, PredictorSpec
from flashpoint.schemas import DATE

__all__ = ["tables"]


def tables(
    panel: Panel, analyses: Sequence[Analysis], specs: Sequence[PredictorSpec], ratio: float
) -> dict[str, pd.DataFrame]:
    """Return the summary table and the long frames (see ``SyntheticControlResult``)."""
    rows = []
    parts: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {
        "weights": [],
        "placebos": [],
        "paths": [],
        "predictor_balance": [],
    }
    for a in analyses:
        key = {"treated": panel.units[a.plan.treated], "event": a.plan.event, "kind": a.plan.kind}
        stats = unit_statistics(panel, a, ratio)
        rows.append({"treated": key["treated"], **treated_summary(panel, a, stats)})
        parts["weights"].append((key, _weights_columns(panel, a)))
        parts["placebos"].append((key, stats))
        parts["paths"].append((key, _paths_columns(panel, a)))
        if specs:
            parts["predictor_balance"].append((key, _balance_columns(a, specs)))
    table = pd.DataFrame(rows)
    first = ["treated", "event", "date", "kind"]
    table = table[first + [c for c in table.columns if c not in first]]
    empty_balance = ["predictor", "v_weight", "treated_value", "synthetic_value", "donor_mean"]
    frames = {name: _stack(chunks, empty_balance) for name, chunks in parts.items()}
    return {"table": table, **frames}


def _stack(
    chunks: Sequence[tuple[dict[str, Any], dict[str, Any]]], empty: list[str]
) -> pd.DataFrame:
    """One frame from per-analysis columns, with the analysis key repeated in front."""
    lead = ["treated", "event", "kind"]
    if not chunks:
        return pd.DataFrame(columns=lead + empty)
    lengths = [len(next(iter(cols.values()))) for _, cols in chunks]
    data: dict[str, Any] = {
        name: np.repeat(np.array([key[name] for key, _ in chunks], dtype=object), lengths)
        for name in lead
    }
    for column in chunks[0][1]:
        data[column] = np.concatenate([np.asarray(cols[column]) for _, cols in chunks])
    return pd.DataFrame(data)


def _weights_columns(panel: Panel, a: Analysis) -> dict[str, Any]:
    order = np.argsort(-a.fits[0].weights, kind="stable")
    donors = np.array([panel.units[d] for d in a.pools[0]], dtype=object)
    return {"donor": donors[order], "weight": a.fits[0].weights[order]}


def _paths_columns(panel: Panel, a: Analysis) -> dict[str, Any]:
    pre, stop = a.plan.pre_stop, a.plan.post_stop
    observed = panel.rates[:stop][:, a.units]
    gap = observed - a.synthetic
    counts_gap = gap * panel.exposure[:stop][:, a.units]
    cumulative = np.full_like(gap, np.nan)
    cumulative[pre:] = np.cumsum(counts_gap[pre:], axis=0)
    n_units = len(a.units)
    return {
        "unit": np.repeat(np.array([panel.units[u] for u in a.units], dtype=object), stop),
        "role": np.repeat(np.array(["treated"] + ["placebo"] * (n_units - 1)), stop),
        DATE: np.tile(panel.dates[:stop].to_numpy(), n_units),
        "observed": observed.T.ravel(),
        "synthetic": a.synthetic.T.ravel(),
        "gap": gap.T.ravel(),
        "cumulative_gap": cumulative.T.ravel(),
    }


def _balance_columns(a: Analysis, specs: Sequence[PredictorSpec]) -> dict[str, Any]:
    X = a.predictor_values
    assert X is not None  # built whenever there are predictors
    v = a.fits[0].v
    donors = X[:, 1 : len(a.pools[0]) + 1]
    return {
        "predictor": np.array([s.name for s in specs], dtype=object),
        "v_weight": v if v is not None else np.full(len(specs), np.nan),
        "treated_value": X[:, 0],
        "synthetic_value": donors @ a.fits[0].weights,
        "donor_mean": donors.mean(axis=1),
    }
