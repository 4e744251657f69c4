"""One event's effect, every reading of it, and a verdict in plain words.

:func:`assess_event` answers "did the rate change after this event?" the way a referee
would ask for it: not with one model's number but with every reasonable reading side by
side (the default model, other trends, robust errors, placebo tests, other sources of the
same record) and a verdict that says the direction, how far the readings spread, whether
they agree, how strong the evidence is and what it rests on.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flashpoint.counts import reconcile_tallies
from flashpoint.counts._tallies import match_tally_groups
from flashpoint.errors import FlashpointError, FlashpointValueError, ModelSpecError, PoorFitWarning
from flashpoint.models._base import ResultMixin, check_alpha, check_choice, split_counts
from flashpoint.models._glm import FAMILIES
from flashpoint.models._levels import fixed_level
from flashpoint.models.design import EventSpec, as_event_specs, event_index
from flashpoint.models.its import ITSResult, fit_its
from flashpoint.models.placebo import PlaceboResult, placebo_test
from flashpoint.models.synth import fit_synthetic_control
from flashpoint.models.tallies import fit_tally_rates

if TYPE_CHECKING:
    import plotly.graph_objects as go


__all__ = ["READING_KINDS", "AssessmentResult", "assess_event"]

READING_KINDS: tuple[str, ...] = ("model", "trend", "errors", "placebo", "source", "controls")
"""What a reading varies: the default model, the trend, the standard errors, a placebo
test, the source of the record, or the comparison series."""

STRENGTHS: tuple[str, ...] = ("strong", "moderate", "weak", "none", "not estimable")

_ESTIMATE_COLUMNS = [
    "group",
    "event",
    "rate_ratio",
    "rate_ratio_lower",
    "rate_ratio_upper",
    "p_value",
    "ci_method",
]
_COLUMNS = [
    "group",
    "event",
    "reading",
    "kind",
    "rate_ratio",
    "rate_ratio_lower",
    "rate_ratio_upper",
    "p_value",
    "p_holm",
    "min_p_value",
    "ci_method",
    "periods_before",
    "periods_after",
    "note",
]


_WHAT, _KIND = "this assessment", "profile, placebo and Wald"
"""How ``summary(alpha=)`` names this result and its intervals."""


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AssessmentResult(ResultMixin):
    """Result of :func:`assess_event`.

    Attributes
    ----------
    events : tuple of EventSpec
        The events assessed (every event of ``events``; all of them enter every model).
    alpha : float
        Level of the tests; intervals at level ``1 - alpha``.
    by : str or None
        Group column.
    groups : tuple
        Groups assessed.
    family : str
        Count model of the default reading.
    freq : str
        Frequency of the series (``periods_before/after`` count its periods).
    readings : DataFrame
        Every reading (see :meth:`summary`).
    verdicts : DataFrame
        One row per group and event: ``<by>``, ``event``, ``direction`` (``"higher"``,
        ``"lower"`` or ``"not estimable"``), ``strength`` (one of ``strong``, ``moderate``,
        ``weak``, ``none``, ``not estimable``), ``agree`` (every estimating reading on the
        same side of 1), ``n_readings``, ``rate_ratio_min``, ``rate_ratio_max`` (range of
        the point estimates across readings) and ``sentence`` (the verdict in words).
    verdict : str
        The sentences of ``verdicts``, one line each.
    its : ITSResult
        The default model (for its figure and paths).
    placebos : dict
        The placebo tests, ``{(kind, event): PlaceboResult}`` with ``kind`` ``"in_time"``
        or ``"across_group"``.
    """

    events: tuple[EventSpec, ...]
    alpha: float
    by: str | None
    groups: tuple[Hashable, ...]
    family: str
    freq: str
    readings: pd.DataFrame = field(compare=False)
    verdicts: pd.DataFrame = field(compare=False)
    verdict: str = field(compare=False)
    its: ITSResult = field(compare=False, repr=False)
    placebos: Mapping[tuple[str, str], PlaceboResult] = field(compare=False, repr=False)

    def summary(self, alpha: float | None = None) -> pd.DataFrame:
        """Every reading of every assessed event per group.

        Parameters
        ----------
        alpha
            Only the fit's level (``None`` or its ``alpha``): its intervals cannot be
            recomputed at another; refit with ``alpha=`` for another level.

        Returns
        -------
        pandas.DataFrame
            ``<by>`` (when grouped), ``event``, ``reading`` (what was fitted, in words),
            ``kind`` (see :data:`READING_KINDS`), ``rate_ratio`` with
            ``rate_ratio_lower/upper`` (``NaN`` for placebo readings, which give a
            p-value only), ``p_value``, ``p_holm`` (Holm-adjusted across the groups and
            events of the same reading; equal to ``p_value`` when only one is tested),
            ``min_p_value`` (the smallest p-value a placebo test can give: its
            resolution), ``ci_method``, ``periods_before`` / ``periods_after`` (periods
            of the series before the event and from it on), ``note`` (why a reading is
            missing, or a warning it raised) and ``conf_level``.
        """
        fixed_level(self.alpha, alpha, what=_WHAT, kind=_KIND)
        return self.readings.copy()

    def _headline(self) -> str:
        names = ", ".join(sp.name for sp in self.events)
        return (
            f"{names}: {len(self.readings)} readings in {len(self.groups)} group(s); "
            f"{self.conf_level:.0%} intervals"
        )

    def __str__(self) -> str:
        return f"{self!r}\n{self.verdict}"

    def plot(self, *, event: str | None = None) -> go.Figure:
        """Forest plot of every reading of one event (default: the first), per group."""
        return self._draw(event=event)


# --------------------------------------------------------------------------------------------
# The readings
# --------------------------------------------------------------------------------------------

_Reading = tuple[str, str, pd.DataFrame | None, str]
"""One reading: its kind, its name in words, its rows (``None`` when it failed), a note."""


@dataclass(frozen=True, slots=True)
class _Setting:
    """What every reading shares: the events, the assessed ones and the default model."""

    specs: Sequence[EventSpec]
    targets: Sequence[str]
    by: str | None
    family: str
    trend: str
    alpha: float

    def its_rows(
        self, counts: pd.DataFrame, *, trend: str | None = None, **extra: Any
    ) -> tuple[pd.DataFrame | None, str]:
        """Fit ``fit_its`` (the default model unless changed) quietly: rows and a note."""

        def fit() -> pd.DataFrame:
            options: dict[str, Any] = {"by": self.by, "family": self.family, "alpha": self.alpha}
            res = fit_its(
                counts, list(self.specs), trend=trend or self.trend, n_sim=200, **options, **extra
            )
            return _its_rows(res, self.targets)

        return _quietly(fit)


def _quietly(fit: Callable[[], pd.DataFrame]) -> tuple[pd.DataFrame | None, str]:
    """Run one reading; return its rows (or ``None``) and its first warning or error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            rows = fit()
        except FlashpointError as err:
            return None, str(err).splitlines()[0]
    poor = [str(w.message) for w in caught if issubclass(w.category, PoorFitWarning)]
    if poor:  # a reading whose counterfactual does not track the series before the event
        return rows, POOR_FIT + poor[0]
    notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    return rows, (notes[0] if notes else "")


def _its_rows(res: ITSResult, targets: Sequence[str]) -> pd.DataFrame:
    table = res.summary()
    table = table[table["event"].isin(targets)].copy()
    table["group"] = table[res.by] if res.by else None
    return table[_ESTIMATE_COLUMNS]


def _model_readings(counts: pd.DataFrame, st: _Setting) -> tuple[ITSResult, list[_Reading]]:
    """Fit the default model, the same with the other trends, and with HAC errors."""
    default = fit_its(
        counts,
        list(st.specs),
        by=st.by,
        family=st.family,
        trend=st.trend,
        alpha=st.alpha,
        n_sim=200,
    )
    readings: list[_Reading] = [
        ("model", f"default: {st.family}, {st.trend} trend", _its_rows(default, st.targets), "")
    ]
    for other in ("none", "linear", "spline"):
        if other == st.trend:
            continue
        name = f"{other} trend" if other != "none" else "no trend"
        readings.append(("trend", name, *st.its_rows(counts, trend=other)))
    readings.append(("errors", "HAC (Newey-West) errors", *st.its_rows(counts, cov_type="hac")))
    return default, readings


def _placebo_readings(
    counts: pd.DataFrame,
    everyone: pd.DataFrame,
    st: _Setting,
    *,
    keep: dict[tuple[str, str], PlaceboResult],
) -> list[_Reading]:
    """In-time placebo per group; across-group placebo among every group (controls too)."""
    kinds = [("in_time", "in-time placebo", counts)]
    if st.by is not None and everyone[st.by].nunique() > 1:
        kinds.append(("across_group", "across-group placebo", everyone))
    readings = []
    for kind, name, table in kinds:
        frames = []
        note = ""
        for target in st.targets:
            options = {"by": st.by, "family": st.family, "trend": st.trend, "alpha": st.alpha}
            rows, note_t = _quietly(
                partial(_placebo_reading, table, st.specs, target, options, kind=kind, keep=keep)
            )
            note = note or note_t
            if rows is not None:
                frames.append(rows)
        readings.append(("placebo", name, pd.concat(frames) if frames else None, note))
    return readings


def _control_readings(
    counts: pd.DataFrame, st: _Setting, *, controls: Sequence[Hashable] | pd.DataFrame
) -> list[_Reading]:
    """Fit the default model with the control series as predictors (CausalImpact-style)."""
    n = len(controls.columns) if isinstance(controls, pd.DataFrame) else len(controls)
    rows, note = st.its_rows(counts, controls=controls)
    return [("controls", f"control series as predictors ({n})", rows, note)]


def _synth_readings(
    everyone: pd.DataFrame,
    st: _Setting,
    *,
    by: str,
    treated: Sequence[Hashable],
    donors: Sequence[Hashable],
) -> list[_Reading]:
    """Synthetic control of each treated group from the control groups, with its placebos."""

    def fit() -> pd.DataFrame:
        frames = []
        for sp in st.specs:
            if sp.name not in st.targets:
                continue
            res = fit_synthetic_control(
                everyone,
                treated=list(treated),
                event=sp,
                donors=list(donors),
                by=by,
                alpha=st.alpha,
            )
            table = res.summary()
            frames.append(
                pd.DataFrame(
                    {
                        "group": table["treated"].to_numpy(),
                        "event": sp.name,
                        "rate_ratio": table["rate_ratio"].to_numpy(float),
                        "p_value": table["p_value"].to_numpy(float),
                        "min_p_value": table["min_p_value"].to_numpy(float),
                        "ci_method": "rank (in-space placebo)",
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    rows, note = _quietly(fit)
    return [("controls", f"synthetic control ({len(donors)} donors)", rows, note)]


def _placebo_reading(
    counts: pd.DataFrame,
    specs: Sequence[EventSpec],
    target: str,
    options: Mapping[str, Any],
    *,
    kind: str,
    keep: dict[tuple[str, str], PlaceboResult],
) -> pd.DataFrame:
    res = placebo_test(counts, list(specs), target=target, kind=kind, progress=False, **options)
    keep[(kind, target)] = res
    table = res.summary()
    n = table["n_placebo"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "group": table[res.by].to_numpy() if res.by else None,
            "event": target,
            "p_value": table["p_value"].to_numpy(dtype=float),
            "min_p_value": table["min_p_value"].to_numpy(dtype=float)
            if "min_p_value" in table.columns
            else 1.0 / (1.0 + n),
            "ci_method": "rank",
        }
    )


def _tally_readings(
    tallies: pd.DataFrame,
    st: _Setting,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    groups: Sequence[Hashable],
) -> list[_Reading]:
    """Estimate the same effect from cumulative tallies (quasi-Poisson interval rates)."""
    if groups == [None]:
        mapping: dict[str, Hashable] = {"total": None}
    else:
        matched = match_tally_groups([str(c) for c in tallies.columns], list(groups))
        mapping = {col: found[0] for col, found in matched.items() if len(found) == 1}

    def fit() -> pd.DataFrame:
        if not mapping:
            raise FlashpointValueError(
                f"no tally column matches the groups {list(groups)} (tally columns: "
                f"{list(tallies.columns)})"
            )
        res = fit_tally_rates(
            tallies,
            list(st.specs),
            family="quasipoisson",
            start=start,
            end=end,
            groups=list(mapping),
            alpha=st.alpha,
        )
        labels = {col if col == "total" else col.capitalize(): g for col, g in mapping.items()}
        table = res.summary()
        table = table[table["event"].isin(st.targets) & table["group"].isin(list(labels))]
        table = table.assign(group=table["group"].map(labels))
        if "ci_method" not in table.columns:
            table = table.assign(ci_method="wald")
        return table[_ESTIMATE_COLUMNS]

    rows, note = _quietly(fit)
    return [("source", "official tallies (quasi-Poisson)", rows, note)]


def _source_readings(sources: Mapping[str, pd.DataFrame], st: _Setting) -> list[_Reading]:
    """Fit the default model to other counts of the same record."""
    return [("source", str(name), *st.its_rows(other)) for name, other in sources.items()]


# --------------------------------------------------------------------------------------------
# Combining the readings
# --------------------------------------------------------------------------------------------
def _readings_table(
    readings: Sequence[_Reading],
    pairs: Sequence[tuple[Hashable, str]],
) -> pd.DataFrame:
    """One row per reading, group and event; a reading that failed keeps its rows (NaN)."""
    frames = []
    for kind, name, rows, note in readings:
        grid = pd.DataFrame(pairs, columns=["group", "event"])
        if rows is not None and len(rows):
            rows = rows.astype({"group": object})
            grid = grid.astype({"group": object}).merge(rows, on=["group", "event"], how="left")
        grid["reading"] = name
        grid["kind"] = kind
        grid["note"] = note
        frames.append(grid)
    table = pd.concat(frames, ignore_index=True)
    for col in _COLUMNS:
        if col not in table.columns:
            table[col] = np.nan
    return table[_COLUMNS]


def _holm(table: pd.DataFrame) -> pd.Series:
    """Holm-adjusted p-values within each reading (across its groups and events)."""
    adjusted = pd.Series(np.nan, index=table.index)
    for _name, rows in table.groupby("reading", sort=False):
        p = rows["p_value"].astype(float)
        ok = p.notna()
        if ok.sum() == 1:
            adjusted[p[ok].index] = p[ok]
        elif ok.any():
            adjusted[p[ok].index] = holm_adjust(p[ok].to_numpy())
    return adjusted


def holm_adjust(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm 1979), the same as statsmodels' ``"holm"``.

    The ``i``-th smallest of ``m`` p-values is multiplied by ``m - i`` (``i`` from 0), then
    made non-decreasing in that order and capped at 1. (Written here because statsmodels'
    ``multipletests`` runs a full garbage collection on every call.)
    """
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    scaled = (len(p) - np.arange(len(p))) * p[order]
    adjusted = np.empty(len(p))
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def _periods(
    dates_by_group: Mapping[Hashable, pd.DatetimeIndex], specs: Sequence[EventSpec]
) -> pd.DataFrame:
    """Periods of each group's series before each event and from it on."""
    rows = []
    for group, dates in dates_by_group.items():
        for sp in specs:
            before = max(event_index(dates, sp.date), 0)
            rows.append(
                {
                    "group": group,
                    "event": sp.name,
                    "periods_before": before,
                    "periods_after": len(dates) - before,
                }
            )
    return pd.DataFrame(rows).astype({"group": object})


def _coverage(
    counts: pd.DataFrame,
    tallies: pd.DataFrame | None,
    *,
    by: str | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> dict[Hashable, tuple[float, float]]:
    """Range of (counted events / official tally) at the tallies inside the window."""
    if tallies is None:
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rec = reconcile_tallies(counts, tallies, by=by, start=start)
    except FlashpointError:
        return {}
    rec = rec[(rec["end"] >= start) & (rec["end"] <= end)]
    ratio = pd.to_numeric(rec["coverage"], errors="coerce")
    out = {}
    for group, values in ratio.groupby(rec["group"]):
        values = values.dropna()
        if len(values):
            out[group] = (float(values.min()), float(values.max()))
    return out


# --------------------------------------------------------------------------------------------
# The verdict
# --------------------------------------------------------------------------------------------
_ESTIMATING = ("model", "trend", "errors", "source", "controls")
POOR_FIT = "poor pre-event fit, left out of the verdict: "
"""How the note of a reading with a poor pre-event fit starts; such readings are shown in
the table but count neither in the range of estimates, nor in the direction check, nor as
rejecting "no change"."""


def _estimates(rows: pd.DataFrame) -> pd.Series:
    """Return the rate ratios that count in the range and the direction check."""
    fits = rows["kind"].isin(_ESTIMATING) & ~rows["note"].astype(str).str.startswith(POOR_FIT)
    return rows.loc[fits, "rate_ratio"].astype(float).dropna()


def _left_out(rows: pd.DataFrame) -> list[str]:
    poor = rows["note"].astype(str).str.startswith(POOR_FIT) & rows["rate_ratio"].notna()
    return rows.loc[poor, "reading"].astype(str).tolist()


_PERIOD_NAMES = {"D": "days", "W": "weeks", "MS": "months", "ME": "months", "h": "hours"}


def _fmt(value: float) -> str:
    """Format a rate ratio for reading: two decimals, two significant digits when small."""
    if not np.isfinite(value):
        return "infinite" if value > 0 else "n/a"
    if value == 0:
        return "0"
    return f"{value:.2f}" if value >= 0.1 or value == 0 else f"{value:.2g}"


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _significant(row: pd.Series | None, alpha: float) -> bool:
    return row is not None and bool(np.isfinite(row["p_holm"]) and row["p_holm"] <= alpha)


def _first(rows: pd.DataFrame, column: str, value: str) -> pd.Series | None:
    picked = rows[rows[column] == value]
    return picked.iloc[0] if len(picked) else None


def _strength(rows: pd.DataFrame, alpha: float) -> tuple[str, bool, str]:
    """Strength of the evidence, whether the estimates agree in direction, and why."""
    model, hac = _first(rows, "kind", "model"), _first(rows, "kind", "errors")
    placebo = _first(rows, "reading", "in-time placebo")
    est = _estimates(rows)
    agree = bool(len(est)) and (bool((est > 1).all()) or bool((est < 1).all()))
    fitted = ~rows["note"].astype(str).str.startswith(POOR_FIT)
    rejecting = rows.loc[fitted & (rows["p_holm"].astype(float) <= alpha), "reading"].tolist()
    level = f"the {alpha:.0%} level"
    if model is None or not np.isfinite(model["rate_ratio"]):
        return "not estimable", agree, "the default model gives no estimate"
    confirmed = [
        name
        for name, row in (("robust errors", hac), ("the placebo test", placebo))
        if _significant(row, alpha)
    ]
    if _significant(model, alpha) and len(confirmed) == 2 and agree:
        return "strong", agree, "the model, robust errors and the placebo test agree"
    if _significant(model, alpha) and confirmed and agree:
        return "moderate", agree, f"the model and {confirmed[0]} reject no change at {level}"
    if rejecting:
        why = "the readings disagree in direction; " if not agree else ""
        names = ", ".join(rejecting)
        verb = "reading rejects" if len(rejecting) == 1 else "readings reject"
        return "weak", agree, f"{why}only the {names} {verb} no change at {level}"
    return "none", agree, f"no reading rejects no change at {level}"


def _p_text(name: str, p: float) -> str:
    """``name p = 0.012`` or ``name p < 0.001``."""
    shown = _fmt_p(p)
    return f"{name} p {shown}" if shown.startswith("<") else f"{name} p = {shown}"


def _tests_text(rows: pd.DataFrame, alpha: float) -> str:
    """Give the robust-error, placebo and synthetic-control p-values (and coarse floors)."""
    parts = []
    hac = _first(rows, "kind", "errors")
    if hac is not None and np.isfinite(hac["p_holm"]):
        parts.append(_p_text("HAC", hac["p_holm"]))
    tested = [(_first(rows, "reading", "in-time placebo"), "in-time placebo")]
    tested += [(row, str(row["reading"])) for _, row in rows[rows["kind"] == "controls"].iterrows()]
    for row, name in tested:
        if row is None or not np.isfinite(row["p_holm"]):
            continue
        text = _p_text(name, row["p_holm"])
        floor = float(row["min_p_value"])
        if np.isfinite(floor) and floor > alpha:
            text += f" (it cannot go below {floor:.2g}, so it can show no evidence either way)"
        parts.append(text)
    return ", ".join(parts)


def _estimate_text(model: pd.Series, noun: str, level: str) -> str:
    rr = float(model["rate_ratio"])
    adj = (
        f", Holm-adjusted {_fmt_p(model['p_holm'])}"
        if np.isfinite(model["p_holm"]) and model["p_holm"] != model["p_value"]
        else ""
    )
    p_text = _p_text("", model["p_value"]).strip()
    if rr == 0:
        return (
            f"no {noun} in the event's window: rate ratio 0, upper bound "
            f"{_fmt(model['rate_ratio_upper'])}; {p_text}{adj}"
        )
    return (
        f"rate ratio {_fmt(rr)}, {level} CI {_fmt(model['rate_ratio_lower'])} to "
        f"{_fmt(model['rate_ratio_upper'])}; {p_text}{adj}"
    )


def _spread_text(est: pd.Series, agree: bool, left_out: Sequence[str] = ()) -> str:
    low, high = float(est.min()), float(est.max())
    aside = (
        f" (left out for a poor fit before the event: {', '.join(left_out)})" if left_out else ""
    )
    if low == high:
        return f"All {len(est)} readings give {_fmt(low)}{aside}."
    way = "point the same way" if agree else "disagree in direction"
    return f"The {len(est)} readings range from {_fmt(low)} to {_fmt(high)}{aside} and {way}."


def _sentence(
    group: Hashable,
    event: str,
    rows: pd.DataFrame,
    *,
    alpha: float,
    coverage: tuple[float, float] | None,
    noun: str,
    unit: str,
) -> dict[str, Any]:
    """Give the verdict on one event in one group, as a row with its sentence."""
    strength, agree, why = _strength(rows, alpha)
    model = rows[rows["kind"] == "model"].iloc[0]
    est = _estimates(rows)
    where = "" if group is None else f"{group}, "
    rr = float(model["rate_ratio"])
    if strength == "not estimable":
        direction = "not estimable"
        text = f"{where}{event}: the effect cannot be estimated ({model['note'] or why})."
    else:
        direction = "higher" if rr > 1 else "lower" if rr < 1 else "unchanged"
        tests = _tests_text(rows, alpha)
        text = (
            f"{where}{event}: the {noun} rate was {direction} after the event in the default "
            f"model ({_estimate_text(model, noun, f'{1 - alpha:.0%}')}). "
            f"{_spread_text(est, agree, _left_out(rows))} Evidence of a change: {strength} "
            f"({why})" + (f"; {tests}" if tests else "") + "."
        )
    text += (
        f" Based on {int(model['periods_before'])} {unit} before the event and "
        f"{int(model['periods_after'])} from it on"
    )
    if coverage is not None:
        text += (
            f"; the counted {noun}s are {coverage[0]:.0%} to {coverage[1]:.0%} of the official "
            "tallies in the window, so part of any change may be reporting"
        )
    return {
        "group": group,
        "event": event,
        "direction": direction,
        "strength": strength,
        "agree": agree,
        "n_readings": len(est),
        "rate_ratio_min": float(est.min()) if len(est) else np.nan,
        "rate_ratio_max": float(est.max()) if len(est) else np.nan,
        "sentence": text + ".",
    }


# --------------------------------------------------------------------------------------------
# The function
# --------------------------------------------------------------------------------------------
def assess_event(
    counts: pd.DataFrame,
    events: Any,
    *,
    targets: Sequence[str] | None = None,
    by: str | None = None,
    family: str = "negbin",
    trend: str = "linear",
    tallies: pd.DataFrame | None = None,
    tally_start: str | pd.Timestamp | None = None,
    sources: Mapping[str, pd.DataFrame] | None = None,
    controls: Sequence[Hashable] | pd.DataFrame | None = None,
    placebo: bool = True,
    alpha: float = 0.05,
    noun: str = "event",
) -> AssessmentResult:
    """Assess whether the rate changed after an event, across every reasonable reading.

    Parameters
    ----------
    counts
        Tidy counts on a regular calendar (``date``, optional group column, ``count``).
    events
        The events of the model, as for :func:`flashpoint.fit_its`. Every event enters
        every reading's model (so that a truce two days after a strike is not read as the
        strike's effect).
    targets
        Labels of the events to assess (default: every event).
    by
        Group column (found by elimination when ``None``).
    family, trend
        The default model (see :func:`flashpoint.fit_its`).
    tallies
        Official cumulative tallies (:func:`flashpoint.validate_tallies`): adds the reading
        from the tallies (:func:`flashpoint.fit_tally_rates`, quasi-Poisson) and the
        coverage of the counts against them to the verdict.
    tally_start
        The day the tallies count from (default: the first day of ``counts``).
    sources
        Other counts of the same record, ``{name: counts}`` (e.g. only the rows officials
        confirmed): each adds a reading from the default model.
    controls
        Series the events did not touch. Either groups of ``counts`` (neighbours,
        comparable places): they are not assessed, they add the reading of the default
        model with them as predictors (``fit_its(controls=...)``), the synthetic-control
        reading (:func:`flashpoint.fit_synthetic_control`, with at least two of them) and
        join the across-group placebo test. Or a wide frame indexed by date, one column per
        series (a news-volume index, a neighbour's counts): it adds the predictor reading.
    placebo
        Add the in-time placebo test (and the across-group one with several groups).
    alpha
        Level of the tests; intervals at level ``1 - alpha``.
    noun
        What is counted, for the verdict's sentences (``"attack"``, ``"protest"``, ...).

    Returns
    -------
    AssessmentResult
        ``summary()``: every reading; ``verdict``: the sentences; ``verdicts``: the same
        as a table; ``plot()``: a forest plot of the readings.

    Raises
    ------
    ModelSpecError
        For an unknown target, family or trend.
    FlashpointValueError, EventRangeError
        When the default model cannot be fitted (see :func:`flashpoint.fit_its`).

    See Also
    --------
    fit_its : the default reading, with its paths and excess events.
    placebo_test : the placebo readings.
    compare_sources : the official tallies against event rows.

    Notes
    -----
    Readings: the default model (``family``, ``trend``, model-based errors); the same
    model with each other trend (none, linear, natural spline); with HAC (Newey-West)
    errors; the in-time placebo test and, with several groups, the across-group one;
    the official tallies and each further source when given. p-values are Holm-adjusted
    (Holm 1979, Scand J Statist 6:65-70) within each reading across the groups and events
    assessed. The verdict's strength is **strong** only when the default model, the HAC
    errors and the in-time placebo test all reject "no change" at ``alpha`` (adjusted)
    and every estimate lies on the same side of 1; **moderate** when the default model
    and one of the other two reject and the estimates agree; **weak** when some reading
    rejects but not in that pattern (or the estimates disagree in direction); **none**
    when no reading rejects. A placebo test whose smallest attainable p-value exceeds
    ``alpha`` (e.g. across two groups, where a rank p-value can only be 0.5 or 1) cannot
    reject, and the verdict says so.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import flashpoint as fp
    >>> rng = np.random.default_rng(2)
    >>> dates = pd.date_range("2024-01-01", periods=150)
    >>> simulated = pd.DataFrame({"date": dates, "count": rng.poisson(
    ...     np.where(dates >= "2024-03-15", 6.0, 3.0))})
    >>> res = fp.assess_event(simulated, fp.EventSpec(date="2024-03-15", label="strike"))
    >>> res.verdicts[["direction", "strength", "agree"]]
      direction strength  agree
    0    higher   strong   True
    """
    alpha = check_alpha(alpha)
    check_choice("family", family, FAMILIES)
    specs = as_event_specs(events)
    names = [sp.name for sp in specs]
    targets = list(names if targets is None else targets)
    unknown = [t for t in targets if t not in names]
    if unknown:
        raise ModelSpecError(f"unknown target(s) {unknown}; the events are {names}")
    by, freq, series = split_counts(counts, by=by, min_obs=3, drop_all_zero=True)
    donors = _control_groups(controls, by, [s.group for s in series])
    dates = {s.group: s.dates for s in series if s.group not in donors}
    pairs = [(g, t) for g in dates for t in targets]
    start = min(d[0] for d in dates.values())
    end = max(d[-1] for d in dates.values())
    kept = counts if by is None else counts[counts[by].isin(list(dates))]
    everyone = counts if by is None else counts[counts[by].isin([*dates, *donors])]
    st = _Setting(specs, targets, by, family, trend, alpha)
    default, readings = _model_readings(kept, st)
    placebos: dict[tuple[str, str], PlaceboResult] = {}
    if placebo:
        readings += _placebo_readings(kept, everyone, st, keep=placebos)
    if donors or isinstance(controls, pd.DataFrame):
        series_controls = controls if isinstance(controls, pd.DataFrame) else donors
        table = everyone if donors else kept
        readings += _control_readings(table, st, controls=series_controls)
    if len(donors) >= 2 and by is not None:
        readings += _synth_readings(everyone, st, by=by, treated=list(dates), donors=donors)
    t0 = start if tally_start is None else pd.Timestamp(tally_start)
    if tallies is not None:
        readings += _tally_readings(tallies, st, start=t0, end=end, groups=list(dates))
    if sources:
        readings += _source_readings(sources, st)
    table = _readings_table(readings, pairs).drop(columns=["periods_before", "periods_after"])
    table = table.merge(_periods(dates, [sp for sp in specs if sp.name in targets]), how="left")
    table["p_holm"] = _holm(table)
    table["conf_level"] = 1 - alpha
    coverage = _coverage(kept, tallies, by=by, start=t0, end=end)
    unit = _PERIOD_NAMES.get(freq, f"periods ({freq})")
    verdicts = pd.DataFrame(
        [
            _sentence(g, str(t), rows, alpha=alpha, coverage=coverage.get(g), noun=noun, unit=unit)
            for (g, t), rows in table.groupby(["group", "event"], sort=False, dropna=False)
        ]
    )
    return AssessmentResult(
        events=tuple(sp for sp in specs if sp.name in targets),
        alpha=alpha,
        by=by,
        groups=tuple(dates),
        family=family,
        freq=freq,
        readings=_tidy(table, by),
        verdicts=_tidy(verdicts, by),
        verdict="\n".join(verdicts["sentence"]),
        its=default,
        placebos=placebos,
    )


def _control_groups(
    controls: Sequence[Hashable] | pd.DataFrame | None,
    by: str | None,
    groups: Sequence[Hashable],
) -> list[Hashable]:
    """Check the control groups: present in the counts, and not every group."""
    if controls is None or isinstance(controls, pd.DataFrame):
        return []
    if isinstance(controls, str) or not isinstance(controls, Sequence):
        raise ModelSpecError(
            f"controls must be a list of group names or a frame of series, got "
            f"{type(controls).__name__} {controls!r}; e.g. controls=['North', 'South']"
        )
    if by is None:
        raise ModelSpecError(
            "controls= names groups, but the counts have no group column; count by a group "
            "(count_daily(..., by=...)) or drop controls="
        )
    missing = [c for c in controls if c not in groups]
    if missing:
        raise ModelSpecError(
            f"control group(s) {missing} are not among the groups with events in the counts "
            f"({list(groups)}); check the names"
        )
    if len(set(controls)) >= len(groups):
        raise ModelSpecError(
            "every group is a control: leave at least one group out of controls= to assess"
        )
    return list(dict.fromkeys(controls))


def _tidy(frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    if by is None:
        return frame.drop(columns=["group"]).reset_index(drop=True)
    return frame.rename(columns={"group": by}).reset_index(drop=True)
