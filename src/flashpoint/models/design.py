"""Intervention events and the regression designs built from them.

:class:`EventSpec` describes one intervention and the shape of its effect on the log rate:

==========  =================================================================
``step``    a level change from the event on: ``x_t = 1[t >= t_e]``
``slope``   a trend change from the event on: ``x_t = max(0, t - t_e) / unit``
``pulse``   a window such as a truce: ``x_t = 1[t_e <= t <= t_end]``
``decay``   a jump that fades: ``x_t = 1[t >= t_e] * 2 ** (-(t - t_e) / half_life)``
==========  =================================================================

Times are in periods of the series (days for daily counts); ``unit`` is a week for daily
series and one period otherwise, so slopes and trends read "per week" on daily data.
A slope column's coefficient is the *change* of the log-rate's slope at the event (with a
linear trend ``b_1 t``, the slope is ``b_1`` before and ``b_1 + b_k`` after);
:func:`flashpoint.fit_its` reports either (``slope="change"`` or ``"post"``).
The functions here build the columns of a design matrix; they are shared by the
interrupted-time-series, trend, placebo and event-study models.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from flashpoint.errors import EventRangeError, FewPreEventDaysWarning, ModelSpecError
from flashpoint.models._base import warn
from flashpoint.schemas import DATE, END, GROUP, LABEL

__all__ = ["SHAPES", "EventSpec", "as_event_specs"]

Shape = Literal["step", "slope", "pulse", "decay"]
DateLike = pd.Timestamp | str | _dt.date | np.datetime64
"""Anything :class:`pandas.Timestamp` reads as a date."""
SHAPES: tuple[str, ...] = ("step", "slope", "pulse", "decay")


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class EventSpec:
    """One intervention event and the shape of its effect.

    Parameters
    ----------
    date
        Date of the event (the first period affected is the one containing it).
    shape
        ``"step"``, ``"slope"``, ``"pulse"`` or ``"decay"`` (see the module notes).
    end
        Last day of a ``pulse`` window (inclusive), e.g. the end of a truce.
    label
        Name used in summaries and figures (default: shape and date).
    half_life
        For ``decay``: the half-life of the effect in periods of the series (days for daily
        counts). ``None`` estimates it by profile likelihood.
    group
        The group the event applies to; ``None`` applies it to every group.

    Examples
    --------
    >>> import flashpoint as fp
    >>> kh = fp.EventSpec(date="2023-11-22", label="KH strike")
    >>> kh.date, kh.shape, kh.name
    (Timestamp('2023-11-22 00:00:00'), 'step', 'KH strike')
    >>> truce = fp.EventSpec(date="2023-11-24", end="2023-12-01", shape="pulse", label="truce")
    """

    date: pd.Timestamp
    shape: str
    end: pd.Timestamp | None
    label: str | None
    half_life: float | None
    group: Hashable | None

    def __init__(
        self,
        *,
        date: DateLike,
        shape: str = "step",
        end: DateLike | None = None,
        label: str | None = None,
        half_life: float | None = None,
        group: Hashable | None = None,
    ) -> None:
        object.__setattr__(self, "date", date)
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "half_life", half_life)
        object.__setattr__(self, "group", group)
        self.__post_init__()

    def __post_init__(self) -> None:
        for name in ("date", "end"):
            value = getattr(self, name)
            number = isinstance(value, int | float | np.integer | np.floating)
            missing_end = name == "end" and number and bool(np.isnan(value))
            if number and not isinstance(value, bool) and not missing_end:
                raise ModelSpecError(
                    f"event {name}={value!r} is a number; pandas would read it as nanoseconds "
                    "after 1970-01-01. Expected a date such as '2023-11-22' (a string, "
                    "datetime.date or pandas.Timestamp)"
                )
        try:
            date = pd.Timestamp(self.date)
            end = None if self.end is None or pd.isna(self.end) else pd.Timestamp(self.end)
        except (TypeError, ValueError) as err:
            raise ModelSpecError(
                f"cannot read the event date {self.date!r} / end {self.end!r}; use ISO dates "
                "such as '2023-11-22'"
            ) from err
        if pd.isna(date):
            raise ModelSpecError("an event needs a date")
        object.__setattr__(self, "date", date.normalize())
        object.__setattr__(self, "end", None if end is None else end.normalize())
        if self.shape not in SHAPES:
            raise ModelSpecError(
                f"unknown event shape {self.shape!r}; use one of {', '.join(SHAPES)}"
            )
        if self.shape == "pulse":
            if self.end is None:
                raise ModelSpecError(
                    f"the pulse event {self.name!r} needs end= (the last day of the window)"
                )
            if self.end < self.date:
                raise ModelSpecError(f"the pulse event {self.name!r} ends before it starts")
        elif self.end is not None:
            raise ModelSpecError(
                f"end= is only used by pulse events; event {self.name!r} has shape "
                f"{self.shape!r} (use shape='pulse' for a window)"
            )
        if self.half_life is not None:
            if self.shape != "decay":
                raise ModelSpecError("half_life= is only used by decay events")
            if not np.isfinite(self.half_life) or self.half_life <= 0:
                raise ModelSpecError(f"half_life must be positive, got {self.half_life}")
        if self.label is not None and not isinstance(self.label, str):
            object.__setattr__(self, "label", str(self.label))

    @property
    def name(self) -> str:
        """Label, or ``"<shape> <date>"``."""
        return self.label if self.label else f"{self.shape} {self.date.date()}"

    def applies_to(self, group: Hashable | None) -> bool:
        """Whether the event enters the model of ``group``."""
        return self.group is None or group is None or self.group == group

    def moved(self, date: pd.Timestamp) -> EventSpec:
        """Return the same event at another date (a pulse keeps its length)."""
        end = None if self.end is None else date + (self.end - self.date)
        return EventSpec(
            date=date,
            shape=self.shape,
            end=end,
            label=self.label,
            half_life=self.half_life,
            group=self.group,
        )


def as_event_specs(events: Any) -> tuple[EventSpec, ...]:
    """Normalise the ways users give events into a tuple of :class:`EventSpec`.

    Accepts a date (string or Timestamp: a step), an :class:`EventSpec`, a sequence of
    those, or a key-events frame (``date`` and optionally ``end``, ``label``, ``group``,
    ``shape``, ``half_life``; a row with ``end`` is a pulse unless ``shape`` says otherwise).
    """
    if events is None:
        raise ModelSpecError("no events given; pass a date, an EventSpec or a key-events frame")
    if isinstance(events, EventSpec):
        return (events,)
    if isinstance(events, str | pd.Timestamp | np.datetime64):
        return (EventSpec(date=pd.Timestamp(events)),)
    if isinstance(events, pd.DataFrame):
        if DATE not in events.columns:
            raise ModelSpecError(
                f"the events frame needs a '{DATE}' column (columns: {list(events.columns)})"
            )
        specs = []
        for _, row in events.iterrows():
            end = row.get(END)
            end = None if end is None or pd.isna(end) else end
            shape = row.get("shape")
            shape = (
                str(shape)
                if shape is not None and not pd.isna(shape)
                else ("pulse" if end is not None else "step")
            )
            half_life = row.get("half_life")
            label = row.get(LABEL)
            group = row.get(GROUP)
            specs.append(
                EventSpec(
                    date=row[DATE],
                    shape=shape,
                    end=end if shape == "pulse" else None,
                    label=None if label is None or pd.isna(label) else str(label),
                    half_life=None if half_life is None or pd.isna(half_life) else float(half_life),
                    group=None if group is None or pd.isna(group) else group,
                )
            )
        if not specs:
            raise ModelSpecError("the events frame is empty")
        return tuple(specs)
    if isinstance(events, Iterable):
        out: list[EventSpec] = []
        for ev in events:
            out.extend(as_event_specs(ev))
        if not out:
            raise ModelSpecError("the list of events is empty")
        return tuple(out)
    raise ModelSpecError(
        f"cannot use {type(events).__name__} as events; pass a date, an EventSpec, a list of "
        "them or a key-events frame"
    )


# --------------------------------------------------------------------------------------------
# Design columns
# --------------------------------------------------------------------------------------------
def time_unit(freq: str) -> tuple[float, str]:
    """Periods per trend unit and its name: a week for daily series, one period otherwise."""
    offset = pd.tseries.frequencies.to_offset(freq)
    code = offset.rule_code.split("-")[0]
    if code == "D" and offset.n == 1:
        return 7.0, "week"
    names = {
        "W": "week",
        "M": "month",
        "MS": "month",
        "ME": "month",
        "Q": "quarter",
        "QS": "quarter",
        "QE": "quarter",
        "Y": "year",
        "YS": "year",
        "YE": "year",
        "h": "hour",
    }
    return 1.0, names.get(code, f"period ({freq})") if offset.n == 1 else f"period ({freq})"


def event_index(dates: pd.DatetimeIndex, date: pd.Timestamp) -> int:
    """Position of the period containing ``date`` (``-1`` before the first period)."""
    return int(np.searchsorted(dates.to_numpy(), date.to_datetime64(), side="right")) - 1


def event_column(spec: EventSpec, dates: pd.DatetimeIndex, unit: float) -> np.ndarray:
    """Build the design column of one event on a regular calendar."""
    n = len(dates)
    i = np.arange(n, dtype=float)
    start = event_index(dates, spec.date)
    if spec.shape == "step":
        return (i >= start).astype(float)
    if spec.shape == "slope":
        return np.maximum(0.0, i - start) / unit
    if spec.shape == "pulse":
        assert spec.end is not None  # guaranteed by EventSpec
        stop = event_index(dates, spec.end)
        return ((i >= start) & (i <= stop)).astype(float)
    half_life = spec.half_life if spec.half_life is not None else 7.0
    lag = i - start
    return np.where(lag >= 0, np.exp2(-np.maximum(lag, 0.0) / half_life), 0.0)


def check_event_range(
    spec: EventSpec, dates: pd.DatetimeIndex, group: Hashable | None, *, min_pre: int
) -> None:
    """Errors for events outside the data; a warning when too few periods precede one."""
    where = "" if group is None else f" (group {group!r})"
    first, last = dates[0], dates[-1]
    if spec.date <= first:
        raise EventRangeError(
            f"event {spec.name!r} on {spec.date.date()} is at or before the first observation "
            f"{first.date()}{where}: its effect cannot be separated from the baseline. Start "
            "the counts earlier (count_daily(..., start=...)) or drop the event"
        )
    if spec.date > last:
        raise EventRangeError(
            f"event {spec.name!r} on {spec.date.date()} is after the last observation "
            f"{last.date()}{where}; extend the counts (count_daily(..., end=...)) or drop it"
        )
    n_pre = event_index(dates, spec.date)
    if n_pre < min_pre:
        warn(
            f"only {n_pre} periods before event {spec.name!r}{where}; the pre-event level "
            f"and trend rest on few observations (at least {min_pre} recommended)",
            FewPreEventDaysWarning,
        )


def natural_spline_basis(x: np.ndarray, df: int, *, derivative: bool = False) -> np.ndarray:
    """Natural cubic spline basis (without intercept) with ``df`` columns, or its derivative.

    Knots at equally spaced quantiles of ``x``; truncated-power construction of a natural
    cubic spline (Hastie, Tibshirani & Friedman, *Elements of Statistical Learning*, 2nd
    ed., eqs. 5.4-5.5), rescaled for conditioning. ``df=1`` is a linear term. With
    ``derivative=True`` the columns are the derivatives with respect to ``x`` of the same
    basis (same knots and scaling).
    """
    x = np.asarray(x, dtype=float)
    span = x.max() - x.min() if len(x) else 1.0
    span = span if span > 0 else 1.0
    z = (x - x.min()) / span
    if df <= 1:
        return np.full((len(x), 1), 1.0 / span) if derivative else z[:, None]
    knots = np.quantile(z, np.linspace(0, 1, df + 1))
    k_last = knots[-1]
    k_prev = knots[-2]

    def d(k: float) -> np.ndarray:
        return (np.maximum(z - k, 0) ** 3 - np.maximum(z - k_last, 0) ** 3) / (k_last - k)

    def d_prime(k: float) -> np.ndarray:
        return 3 * (np.maximum(z - k, 0) ** 2 - np.maximum(z - k_last, 0) ** 2) / (k_last - k)

    basis = np.column_stack([z] + [d(k) - d(k_prev) for k in knots[:-2]])
    scale = np.abs(basis).max(axis=0)
    scale[scale == 0] = 1.0
    if not derivative:
        return basis / scale
    slope = np.column_stack([np.ones_like(z)] + [d_prime(k) - d_prime(k_prev) for k in knots[:-2]])
    return slope / scale / span


def fourier_columns(n: int, seasonality: Mapping[float, int]) -> tuple[np.ndarray, list[str]]:
    """Sine/cosine pairs ``sin(2 pi k t / period)``, ``cos(...)`` for k = 1..K per period."""
    i = np.arange(n, dtype=float)
    cols, names = [], []
    for period, harmonics in seasonality.items():
        if period <= 1 or harmonics < 1:
            raise ModelSpecError(
                f"seasonality needs period > 1 and at least one harmonic, got {period}: {harmonics}"
            )
        for k in range(1, int(harmonics) + 1):
            w = 2 * np.pi * k * i / period
            cols += [np.sin(w), np.cos(w)]
            names += [f"sin({k}, {period:g})", f"cos({k}, {period:g})"]
    return (np.column_stack(cols) if cols else np.empty((n, 0))), names


def dow_columns(dates: pd.DatetimeIndex) -> tuple[np.ndarray, list[str]]:
    """Day-of-week indicators (Monday is the reference)."""
    dow = dates.day_of_week.to_numpy()
    names = ["Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    return np.column_stack([(dow == k).astype(float) for k in range(1, 7)]), [
        f"dow[{n}]" for n in names
    ]


def trend_columns(n: int, trend: str, unit: float, spline_df: int) -> tuple[np.ndarray, list[str]]:
    """Trend columns: ``"none"``, ``"linear"`` (time in trend units) or ``"spline"``."""
    if trend == "none":
        return np.empty((n, 0)), []
    t = np.arange(n, dtype=float) / unit
    if trend == "linear":
        return t[:, None], ["trend"]
    if trend == "spline":
        basis = natural_spline_basis(t, spline_df)
        return basis, [f"spline[{k}]" for k in range(basis.shape[1])]
    raise ModelSpecError(f"trend must be 'none', 'linear' or 'spline', got {trend!r}")


@dataclass(frozen=True, slots=True)
class Design:
    """A design matrix with named columns and the positions of the event columns."""

    X: np.ndarray
    names: list[str]
    event_cols: dict[str, int]  # event term name -> column
    offset: np.ndarray | None

    def frame(self, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """Return the design as a DataFrame indexed by date."""
        return pd.DataFrame(self.X, index=dates, columns=self.names)


def event_term_names(specs: Sequence[EventSpec]) -> list[str]:
    """Name event terms ``"<label> [shape]"``, numbered when labels repeat."""
    names: list[str] = []
    for spec in specs:
        base = f"{spec.name} [{spec.shape}]"
        name, k = base, 2
        while name in names:
            name, k = f"{base} #{k}", k + 1
        names.append(name)
    return names


def build_design(
    dates: pd.DatetimeIndex,
    specs: Sequence[EventSpec],
    *,
    freq: str,
    trend: str = "linear",
    spline_df: int = 4,
    seasonality: Mapping[float, int] | None = None,
    dow: bool = False,
    exposure: np.ndarray | None = None,
) -> Design:
    """Intercept, trend, seasonality, day-of-week and one column per event."""
    n = len(dates)
    unit, _ = time_unit(freq)
    blocks = [np.ones((n, 1))]
    names = ["const"]
    tcols, tnames = trend_columns(n, trend, unit, spline_df)
    blocks.append(tcols)
    names += tnames
    if seasonality:
        fcols, fnames = fourier_columns(n, seasonality)
        blocks.append(fcols)
        names += fnames
    if dow:
        if unit != 7.0:
            raise ModelSpecError("dow=True needs a daily series")
        dcols, dnames = dow_columns(dates)
        blocks.append(dcols)
        names += dnames
    event_cols: dict[str, int] = {}
    for spec, term in zip(specs, event_term_names(specs), strict=True):
        event_cols[term] = len(names)
        blocks.append(event_column(spec, dates, unit)[:, None])
        names.append(term)
    X = np.column_stack(blocks)
    offset = None if exposure is None else np.log(exposure)
    check_rank(X, names)
    return Design(X=X, names=names, event_cols=event_cols, offset=offset)


def check_rank(X: np.ndarray, names: Sequence[str]) -> None:
    """Raise EventRangeError naming the columns that make the design rank deficient."""
    rank = np.linalg.matrix_rank(X)
    if rank == X.shape[1]:
        return
    # find the first column that adds nothing to the ones before it
    for j in range(1, X.shape[1]):
        if np.linalg.matrix_rank(X[:, : j + 1]) <= j:
            zero = not X[:, j].any()
            detail = (
                "it is zero everywhere (the event falls outside the data or its window is empty)"
                if zero
                else "it is a combination of earlier columns (two events on the same date, a "
                "window that covers the whole series, or an event at the series edge)"
            )
            raise EventRangeError(
                f"events overlap badly: the column {names[j]!r} cannot be estimated because "
                f"{detail}. Drop or merge the overlapping events"
            )
    raise EventRangeError("the design is rank deficient")  # pragma: no cover


def group_specs(specs: Sequence[EventSpec], group: Hashable | None) -> list[EventSpec]:
    """Select the events that enter the model of ``group``."""
    return [s for s in specs if s.applies_to(group)]
