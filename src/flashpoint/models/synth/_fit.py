"""``fit_synthetic_control``: checks, the analyses to run, and the tidy result."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.errors import (
    AllZeroGroupWarning,
    ConvergenceWarning,
    EventRangeError,
    FewPlacebosWarning,
    FlashpointValueError,
    ModelSpecError,
    PoorFitWarning,
)
from flashpoint.models._base import check_alpha, check_choice, warn
from flashpoint.models.design import EventSpec, as_event_specs, event_index
from flashpoint.models.synth._analysis import Plan, run_analysis
from flashpoint.models.synth._panel import (
    RATE,
    Panel,
    PredictorSpec,
    build_panel,
    parse_predictors,
)
from flashpoint.models.synth._result import SyntheticControlResult
from flashpoint.models.synth._solver import DEFAULT_TOL
from flashpoint.models.synth._tables import tables

__all__ = ["fit_synthetic_control"]

PLACEBO_POOLS = ("others", "donors")
MISFIT_WARNING = 0.1
MISFIT_Z = 3.0
"""The treated unit's pre-period fit is called poor when ``pre_misfit > MISFIT_WARNING``
and the misfit stands out of the period-to-period noise (``pre_misfit_z > MISFIT_Z``)."""


def fit_synthetic_control(
    counts: pd.DataFrame,
    *,
    treated: Hashable | Sequence[Hashable],
    event: Any,
    donors: Sequence[Hashable] | None = None,
    by: str | None = None,
    exposure: str | None = None,
    freq: str | None = None,
    predictors: Mapping[str, Sequence[Any]] | None = None,
    predictor_weights: Mapping[str, float] | None = None,
    in_time: Any = None,
    placebos: bool = True,
    placebo_pool: str = "others",
    poor_fit_ratio: float = 5.0,
    min_pre: int = 5,
    alpha: float = 0.05,
    tol: float = DEFAULT_TOL,
) -> SyntheticControlResult:
    """Synthetic control: the treated unit against a weighted mix of comparable units.

    Parameters
    ----------
    counts
        Tidy counts with ``date``, a group column and ``count`` (and the exposure and
        predictor columns, if used), every group on the same calendar, as made by
        ``fp.count_daily(events, by=...)``.
    treated
        The treated group label, or several (each is analysed on its own; none is a
        donor of another).
    event
        A date, an :class:`EventSpec`, a list of them or a key-events frame. An event with
        a ``group`` applies to that treated unit only; a pulse event's post window ends
        at its ``end``, any other's at the end of the data.
    donors
        The donor pool (default: every group that is not treated).
    by
        Group column (found by elimination when ``None``; give it when the table has
        predictor columns).
    exposure
        Column of a positive exposure (population, days covered, ...): rates are ``count
        / exposure``. Default: counts per period.
    freq
        Frequency of the series (inferred when ``None``).
    predictors
        Match on predictors instead of the outcome path (Abadie, Diamond & Hainmueller
        2010): ``{name: (column, start, end)}``, each the mean of ``column`` over
        ``[start, end]`` (dates, inclusive; ``None`` for the pre-period's first or last
        period), cut at the event. The column ``"rate"`` stands for the outcome rate.
        Weights on the predictors (the diagonal ``V``) are chosen to fit the pre-period
        outcome path, unless ``predictor_weights`` gives them.
    predictor_weights
        Fixed ``V`` (``{name: weight}``, normalised to sum to one).
    in_time
        An in-time placebo date inside the pre-period: each analysis is repeated on the
        data before its event with the event moved to this date (``kind="in_time"``).
    placebos
        Refit every donor as if treated (in-space placebos) for the rank p-values.
    placebo_pool
        A placebo's donors: ``"others"`` (every other unit, the treated one included, as
        in Abadie, Diamond & Hainmueller 2010; every unit's statistic is then computed
        the same way, which makes the p-value exact under exchangeability) or
        ``"donors"`` (the donor pool without the treated unit, as pysyncon and tidysynth
        do; it keeps the treated unit's post-event path out of the placebos, at the
        price of a slightly anti-conservative test).
    poor_fit_ratio
        Placebos whose pre-period RMSPE exceeds this multiple of the treated unit's are
        flagged ``poor_fit`` and left out of ``p_value_good_fit``.
    min_pre
        Fewest pre-event periods allowed.
    alpha
        Level of ``reject`` and of the warning when ``min_p_value > alpha``.
    tol
        Relative tolerance of the weight solver's optimality check.

    Returns
    -------
    SyntheticControlResult
        ``summary()`` (one row per treated unit and event), ``weights``, ``placebos``,
        ``paths``, ``predictor_balance``, ``plot()``.

    Raises
    ------
    ModelSpecError
        On an unknown treated unit or donor, fewer than two donors, bad predictors.
    EventRangeError
        When an event (or the in-time date) leaves fewer than ``min_pre`` periods before
        it, or lies outside the data.
    FlashpointValueError
        On a malformed counts table, groups on different calendars, a treated unit with
        no event before its event date, or donors with no events at all.

    Warns
    -----
    PoorFitWarning
        When ``pre_misfit`` exceeds 0.1 and stands out of the noise (``pre_misfit_z >
        3``): the donors do not track the treated unit before the event, so the gap after
        it is not a credible effect.
    FewPlacebosWarning
        When ``min_p_value > alpha``: no result can be significant at ``alpha``.
    AllZeroGroupWarning
        For donors without any event (left out of the pool).
    ConvergenceWarning
        When a weight fit stopped at its iteration cap.

    See Also
    --------
    fit_its : the treated series against its own past.
    placebo_test : in-time and across-group placebos of an ITS effect.

    Notes
    -----
    Rates ``r_it = y_it / e_it`` (counts over exposure, or per period). The weights
    minimise the pre-period squared distance between the treated rate path and the
    weighted donor paths over the simplex (``w >= 0``, ``sum w = 1``; Abadie &
    Gardeazabal 2003, AER 93:113-132; Abadie, Diamond & Hainmueller 2010, JASA
    105:493-505), solved exactly by an active-set method (``flashpoint.models.synth``).
    With ``predictors`` the weights match standardised predictors under a diagonal ``V``
    chosen by nested optimisation, as in those papers. The synthetic rate times the
    treated unit's exposure gives the counts it would have had; ``cumulative_gap`` is the
    observed minus that.

    Inference is by in-space placebos (Abadie, Diamond & Hainmueller 2010, 2015 AJPS
    59:495-510): every donor is treated in turn, on the other donors, and the treated
    unit's post/pre RMSPE ratio is ranked among all; ``p_value`` is the share of units
    with a ratio at least as large (treated unit included), so it cannot fall below
    ``1 / (J + 1)`` with ``J`` donors. It is a test of no effect anywhere in the post
    window (two-sided in effect), exact when the treated unit is exchangeable with the
    donors under the null.

    The pre-period fit is reported as ``pre_rmspe``, ``pre_r2`` and ``pre_misfit``:
    ``sqrt(max(0, D)) / mean(r)`` with ``D = mean(g^2) - mean(diff(g)^2)/2`` for the
    pre-period gaps ``g`` of the treated unit, the misfit that count noise (serially
    independent) does not explain, as a share of its mean rate; ``pre_misfit_z = D
    sqrt(n) / (mean(diff(g)^2)/2)`` says whether it stands out of that noise (about
    standard normal for independent gaps).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import flashpoint as fp
    >>> rng = np.random.default_rng(1)
    >>> dates = pd.date_range("2023-01-01", periods=120)
    >>> common = 4 + 2 * np.sin(np.arange(120) / 15)      # a shock every unit shares
    >>> simulated = pd.concat(
    ...     [pd.DataFrame({"date": dates, "unit": f"u{k}",
    ...                    "count": rng.poisson(common * rng.uniform(0.5, 1.5))})
    ...      for k in range(20)], ignore_index=True)
    >>> hit = (simulated["unit"] == "u0") & (simulated["date"] >= "2023-04-01")
    >>> simulated.loc[hit, "count"] = rng.poisson(2 * simulated.loc[hit, "count"] + 1)
    >>> res = fp.fit_synthetic_control(simulated, treated="u0", event="2023-04-01")
    >>> res.summary()[["rate_ratio", "cumulative_gap", "p_value", "min_p_value"]].round(2)
       rate_ratio  cumulative_gap  p_value  min_p_value
    0        2.45          220.91     0.05         0.05
    >>> res.weights[["donor", "weight"]].head(3).round(3)
      donor  weight
    0    u6   0.224
    1   u10   0.205
    2    u3   0.143
    """
    alpha = check_alpha(alpha)
    check_choice("placebo_pool", placebo_pool, PLACEBO_POOLS)
    if not (np.isfinite(poor_fit_ratio) and poor_fit_ratio > 0):
        raise ModelSpecError(f"poor_fit_ratio must be a positive number, got {poor_fit_ratio!r}")
    specs = parse_predictors(predictors)
    v_fixed = _fixed_weights(predictor_weights, specs)
    panel = build_panel(
        counts,
        by=by,
        freq=freq,
        exposure=exposure,
        columns=sorted({s.column for s in specs if s.column != RATE}),
    )
    treated_units = _treated_units(panel, treated)
    pool = _donor_pool(panel, treated_units, donors)
    plans = _plans(panel, treated_units, as_event_specs(event), in_time, min_pre)
    analyses = [
        run_analysis(
            panel,
            plan,
            pool,
            specs=specs,
            v_fixed=v_fixed,
            placebos=placebos,
            placebo_pool=placebo_pool,
            tol=tol,
        )
        for plan in plans
    ]
    frames = tables(panel, analyses, specs, poor_fit_ratio)
    frames["table"]["reject"] = frames["table"]["p_value"] <= alpha
    _warn(frames["table"], alpha)
    return SyntheticControlResult(
        by=panel.by,
        freq=panel.freq,
        rate_unit=f"per unit of {exposure}" if exposure else f"per {_period_name(panel.freq)}",
        exposure=exposure,
        treated=tuple(panel.units[t] for t in treated_units),
        events=as_event_specs(event),
        in_time=None if in_time is None else pd.Timestamp(in_time),
        alpha=alpha,
        poor_fit_ratio=float(poor_fit_ratio),
        predictors=tuple(s.name for s in specs),
        **frames,
    )


def _period_name(freq: str) -> str:
    offset = pd.tseries.frequencies.to_offset(freq)
    names = {
        "D": "day",
        "W": "week",
        "MS": "month",
        "ME": "month",
        "QS": "quarter",
        "QE": "quarter",
        "YS": "year",
        "YE": "year",
        "h": "hour",
    }
    name = names.get(offset.rule_code.split("-")[0], "period")
    return name if offset.n == 1 else f"period ({freq})"


def _fixed_weights(
    weights: Mapping[str, float] | None, specs: Sequence[PredictorSpec]
) -> np.ndarray | None:
    if weights is None:
        return None
    names = [s.name for s in specs]
    if not specs:
        raise ModelSpecError("predictor_weights= needs predictors= (the predictors they weight)")
    if set(weights) != set(names):
        raise ModelSpecError(
            f"predictor_weights must give one weight per predictor {names}; got {list(weights)}"
        )
    v = np.array([float(weights[n]) for n in names])
    if not np.all(np.isfinite(v)) or np.any(v < 0) or v.sum() <= 0:
        raise ModelSpecError(f"predictor weights must be >= 0 and not all zero; got {v.tolist()}")
    return v / v.sum()


def _treated_units(panel: Panel, treated: Hashable | Sequence[Hashable]) -> list[int]:
    labels = list(treated) if isinstance(treated, list | tuple) else [treated]
    if not labels:
        raise ModelSpecError("treated= is empty; name the treated group")
    unknown = [t for t in labels if t not in panel.units]
    if unknown:
        raise ModelSpecError(
            f"treated unit(s) {unknown} are not groups of {panel.by!r} (groups: "
            f"{list(panel.units)[:20]}{' ...' if len(panel.units) > 20 else ''}); check "
            "the spelling or the by= column"
        )
    return [panel.index(t) for t in labels]


def _donor_pool(
    panel: Panel, treated: Sequence[int], donors: Sequence[Hashable] | None
) -> np.ndarray:
    if donors is None:
        pool = [i for i in range(len(panel.units)) if i not in treated]
    else:
        if isinstance(donors, str) or not isinstance(donors, Sequence):
            raise ModelSpecError(f"donors must be a list of group labels, got {donors!r}")
        unknown = [d for d in donors if d not in panel.units]
        if unknown:
            raise ModelSpecError(f"donor(s) {unknown} are not groups of {panel.by!r}")
        clash = [d for d in donors if panel.index(d) in treated]
        if clash:
            raise ModelSpecError(f"donor(s) {clash} are also treated; leave them out of donors=")
        pool = list(dict.fromkeys(panel.index(d) for d in donors))
    silent = [i for i in pool if not panel.counts[:, i].any()]
    for i in silent:
        warn(
            f"donor {panel.units[i]!r} has no events at all; it is left out of the pool",
            AllZeroGroupWarning,
        )
    pool = [i for i in pool if i not in silent]
    if len(pool) < 2:
        raise ModelSpecError(
            f"a synthetic control needs at least two donors with events; found {len(pool)}"
            f"{' (every donor is all zero)' if silent else ''}. Add groups to the counts "
            "(fp.count_daily(events, by=...)) or to donors="
        )
    return np.array(pool)


def _plans(
    panel: Panel,
    treated: Sequence[int],
    events: Sequence[EventSpec],
    in_time: Any,
    min_pre: int,
) -> list[Plan]:
    plans = []
    for t in treated:
        label = panel.units[t]
        mine = [e for e in events if e.group is None or e.group == label]
        if not mine:
            raise ModelSpecError(f"no event applies to treated unit {label!r}")
        for spec in mine:
            pre_stop = _pre_periods(panel, spec.date, spec.name, label, min_pre)
            stop = len(panel.dates)
            if spec.shape == "pulse" and spec.end is not None:
                stop = min(stop, event_index(panel.dates, spec.end) + 1)
            _check_treated_events(panel, t, pre_stop)
            plans.append(Plan(t, spec.name, "event", spec.date, pre_stop, stop))
            if in_time is not None:
                fake = pd.Timestamp(in_time)
                if fake >= spec.date:
                    raise EventRangeError(
                        f"in_time={fake.date()} is not before event {spec.name!r} "
                        f"({spec.date.date()}); an in-time placebo date lies in the pre-period"
                    )
                fake_stop = _pre_periods(panel, fake, "in-time placebo", label, min_pre)
                plans.append(Plan(t, spec.name, "in_time", fake, fake_stop, pre_stop))
    return plans


def _pre_periods(panel: Panel, date: pd.Timestamp, name: str, label: Hashable, min_pre: int) -> int:
    dates = panel.dates
    if date > dates[-1]:
        raise EventRangeError(
            f"event {name!r} on {date.date()} is after the last date {dates[-1].date()}; "
            "extend the counts (count_daily(..., end=...)) or drop the event"
        )
    n_pre = event_index(dates, date)
    if n_pre < min_pre:
        raise EventRangeError(
            f"event {name!r} on {date.date()} leaves {max(n_pre, 0)} periods before it for "
            f"{label!r} (from {dates[0].date()}); a synthetic control needs at least "
            f"min_pre={min_pre} to fit the weights: start the counts earlier or lower min_pre="
        )
    return n_pre


def _check_treated_events(panel: Panel, t: int, pre_stop: int) -> None:
    if not panel.counts[:pre_stop, t].any():
        raise FlashpointValueError(
            f"treated unit {panel.units[t]!r} has no events before its event date "
            f"({panel.dates[pre_stop].date()}); its pre-event path is flat zero, so there is "
            "nothing for the donors to match. Start the counts earlier or use fp.fit_its"
        )


def _warn(table: pd.DataFrame, alpha: float) -> None:
    for _, row in table.iterrows():
        what = f"{row['treated']!r}, {row['event']!r}" + (
            " (in-time placebo)" if row["kind"] == "in_time" else ""
        )
        if row["pre_misfit"] > MISFIT_WARNING and row["pre_misfit_z"] > MISFIT_Z:
            warn(
                f"the synthetic control of {what} does not track it before the event: a "
                f"systematic misfit of {row['pre_misfit']:.0%} of its mean rate (pre-period "
                f"R^2 {row['pre_r2']:.2f}). The gap after the event is then not a credible "
                "effect; choose donors that move with the treated unit, or compare it with "
                "its own past (fp.fit_its)",
                PoorFitWarning,
            )
        if row["min_p_value"] > alpha:
            warn(
                f"{row['n_placebos']} placebos for {what}: the smallest attainable p-value is "
                f"{row['min_p_value']:.3g} > alpha={alpha}, so the placebo test cannot reject "
                "at that level; add donors",
                FewPlacebosWarning,
            )
        if not row["converged"]:
            warn(
                f"a weight fit for {what} stopped at its iteration cap; weights may be "
                "inexact (raise tol=)",
                ConvergenceWarning,
            )
