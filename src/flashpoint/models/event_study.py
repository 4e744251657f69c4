"""Event study: the average change of the rate around many events of one kind.

A distributed-lag count regression on the whole series: for each window of days relative
to an event (e.g. days 1-3, 4-7, 8-14 after it, and days before it as a pre-trend check),
a column counts how many events have the day in that window; overlapping windows of
nearby events add up on the log scale. ``exp(coefficient)`` is the rate ratio of a day in
the window against a day outside every window, adjusted for the trend.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.errors import ModelSpecError
from flashpoint.models._base import (
    ResultMixin,
    check_alpha,
    check_choice,
    split_counts,
    warn_if_short,
)
from flashpoint.models._glm import FAMILIES, CountFit, fit_counts
from flashpoint.models.design import (
    as_event_specs,
    build_design,
    check_rank,
    event_index,
    time_unit,
)
from flashpoint.schemas import DATE, KIND, LABEL

if TYPE_CHECKING:
    import plotly.graph_objects as go

stats = lazy_module("scipy.stats")

__all__ = ["EventStudyResult", "fit_event_study"]

DEFAULT_WINDOWS: tuple[tuple[int, int], ...] = (
    (-14, -8),
    (-7, -1),
    (0, 0),
    (1, 3),
    (4, 7),
    (8, 14),
)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class EventStudyResult(ResultMixin):
    """Result of :func:`fit_event_study`.

    Attributes
    ----------
    family, trend : str
        Model settings.
    alpha : float
        Intervals at level ``1 - alpha``.
    by : str or None
        Group column.
    groups : tuple
        Groups analysed.
    windows : tuple of (int, int)
        Windows in days relative to the event (inclusive).
    event_dates : tuple of Timestamp
        The events.
    table : DataFrame
        The summary (see :meth:`summary`).
    pretrend : DataFrame
        Per group, the joint Wald test that every pre-event window has rate ratio 1:
        ``statistic`` (chi2), ``df``, ``p_value``.
    per_event : DataFrame
        Per group and event: ``date``, ``label``, the rate ratio of days 1 to the last
        post-window day after this event (``rate_ratio``, ``rate_ratio_lower/upper``,
        ``p_value``), other events' windows held in the model; missing when the window
        lies outside the data.
    fits : dict
        ``CountFit`` per group.
    """

    family: str
    trend: str
    alpha: float
    by: str | None
    groups: tuple[Hashable, ...]
    windows: tuple[tuple[int, int], ...]
    event_dates: tuple[pd.Timestamp, ...]
    table: pd.DataFrame = field(compare=False)
    pretrend: pd.DataFrame = field(compare=False)
    per_event: pd.DataFrame = field(compare=False)
    fits: dict[Hashable, CountFit] = field(compare=False)

    @property
    def n_events(self) -> int:
        """Number of events."""
        return len(self.event_dates)

    def summary(self) -> pd.DataFrame:
        """One row per group and window.

        Returns
        -------
        pandas.DataFrame
            ``<by>``, ``window`` (e.g. ``"1 to 3"``), ``start``, ``end`` (days relative to the
            event), ``estimate`` (log rate ratio), ``std_err``, ``p_value``,
            ``rate_ratio``, ``rate_ratio_lower``, ``rate_ratio_upper``, ``event_days``
            (event-days in the data falling in the window), ``conf_level``.
        """
        return self.table.copy()

    def _headline(self) -> str:
        return (
            f"{self.n_events} events, {len(self.windows)} windows, {self.family} model with "
            f"{self.trend} trend; {1 - self.alpha:.0%} intervals"
        )

    def plot(self) -> go.Figure:
        """Rate ratio by window with intervals (plotly)."""
        return self._draw()


def _window_columns(
    dates: pd.DatetimeIndex, event_dates: Sequence[pd.Timestamp], windows: Sequence[tuple[int, int]]
) -> np.ndarray:
    """Count, for each day and window, the events whose window holds the day."""
    n = len(dates)
    out = np.zeros((n, len(windows)))
    day0 = dates[0]
    for e in event_dates:
        pos = int((e - day0).days)  # may be outside [0, n)
        for w, (a, b) in enumerate(windows):
            lo, hi = max(pos + a, 0), min(pos + b, n - 1)
            if lo <= hi:
                out[lo : hi + 1, w] += 1
    return out


def _label(window: tuple[int, int]) -> str:
    a, b = window
    return f"{a}" if a == b else f"{a} to {b}"


def fit_event_study(
    counts: pd.DataFrame,
    events: Any,
    *,
    kind: str | None = None,
    windows: Sequence[tuple[int, int]] = DEFAULT_WINDOWS,
    by: str | None = None,
    family: str = "negbin",
    trend: str = "spline",
    spline_df: int | None = None,
    dow: bool = False,
    alpha: float = 0.05,
    per_event: bool = True,
) -> EventStudyResult:
    """Estimate the average rate ratio in windows before and after many events of one kind.

    Parameters
    ----------
    counts
        Tidy daily counts.
    events
        The events: a key-events frame (filtered by ``kind``), a list of dates or
        :class:`EventSpec` (only their dates are used).
    kind
        Keep only key events of this ``kind`` (e.g. ``"us_strike"``).
    windows
        ``(first, last)`` days relative to the event, inclusive (0 is the event day).
        Windows must not overlap. Default: two pre-event weeks as a pre-trend check, the
        event day, days 1-3, 4-7 and 8-14.
    by
        Group column (found by elimination when ``None``).
    family
        ``"negbin"`` (default), ``"poisson"`` or ``"quasipoisson"``.
    trend
        Baseline trend: ``"spline"`` (default; absorbs slow changes), ``"linear"`` or
        ``"none"``.
    spline_df
        Spline degrees of freedom (default: one per ~8 weeks, 3 to 8).
    dow
        Day-of-week terms.
    alpha
        Intervals at level ``1 - alpha``.
    per_event
        Also estimate each event's own post-event rate ratio.

    Returns
    -------
    EventStudyResult
        ``summary()``: rate ratio per window; ``pretrend``: joint test of the pre-event
        windows; ``per_event``: each event's estimate.

    Raises
    ------
    ModelSpecError
        On overlapping or inverted windows, no events, or an unknown kind.

    Notes
    -----
    ``log E[y_t] = b0 + f(t) + sum_w beta_w n_w(t)``, where ``n_w(t)`` counts the events
    ``e`` with ``t - t_e`` in window ``w`` (a distributed-lag model; see e.g. Gasparrini,
    Armstrong & Kenward 2010, Stat Med 29:2224-2234, for distributed lags in count
    regressions). Under a correct baseline, pre-event windows should have rate ratio 1:
    a small ``pretrend`` p-value signals anticipation or reverse causality (strikes that
    respond to attacks). Events close together share days; their effects add on the log
    scale.

    Examples
    --------
    >>> import flashpoint as fp
    >>> counts = fp.count_daily(fp.load_attacks(), start="2023-10-17", end="2024-02-04")
    >>> res = fp.fit_event_study(counts[counts["country"] == "Syria"], fp.load_key_events(),
    ...                          kind="us_strike", per_event=False)
    >>> res.summary()["window"].tolist()
    ['-14 to -8', '-7 to -1', '0', '1 to 3', '4 to 7', '8 to 14']
    """
    alpha = check_alpha(alpha)
    check_choice("family", family, FAMILIES)
    check_choice("trend", trend, ("spline", "linear", "none"))
    windows = [(int(a), int(b)) for a, b in windows]
    for a, b in windows:
        if a > b:
            raise ModelSpecError(f"window ({a}, {b}) ends before it starts")
    ordered = sorted(windows)
    for (a1, b1), (a2, _b2) in itertools.pairwise(ordered):
        if a2 <= b1:
            raise ModelSpecError(f"windows overlap: ({a1}, {b1}) and ({a2}, {_b2})")
    if isinstance(events, pd.DataFrame) and kind is not None:
        if KIND not in events.columns:
            raise ModelSpecError("kind= needs a key-events frame with a 'kind' column")
        kinds = sorted(events[KIND].unique())
        if kind not in kinds:
            raise ModelSpecError(f"no key event of kind {kind!r}; kinds: {kinds}")
        events = events[events[KIND] == kind]
    specs = as_event_specs(events)
    event_dates = tuple(sorted({s.date for s in specs}))
    labels = {s.date: s.name for s in specs}
    if isinstance(events, pd.DataFrame) and LABEL in events.columns:
        labels = {
            pd.Timestamp(d): str(lb) for d, lb in zip(events[DATE], events[LABEL], strict=True)
        }
    by, freq, series = split_counts(counts, by=by, min_obs=3, drop_all_zero=True)
    unit, _ = time_unit(freq)
    if unit != 7.0:
        raise ModelSpecError("the event study needs daily counts (windows are in days)")
    z = stats.norm.ppf(1 - alpha / 2)
    names = [f"window[{_label(w)}]" for w in windows]
    rows, pre_rows, per_rows = [], [], []
    fits: dict[Hashable, CountFit] = {}
    for s in series:
        where = "" if s.group is None else f" for group {s.group!r}"
        warn_if_short(s, 60, "an event study")
        df = spline_df if spline_df is not None else int(np.clip(round(s.n / 56), 3, 8))
        base = build_design(s.dates, [], freq=freq, trend=trend, spline_df=df, dow=dow)
        W = _window_columns(s.dates, event_dates, windows)
        keep = [w for w in range(len(windows)) if W[:, w].any()]
        X = np.column_stack([base.X, W[:, keep]])
        col_names = base.names + [names[w] for w in keep]
        check_rank(X, col_names)
        first = base.X.shape[1]
        fit = fit_counts(
            s.y,
            X,
            names=col_names,
            family=family,
            where=where,
            separable=list(range(first, X.shape[1])),
            alpha=alpha,
        )
        fits[s.group] = fit
        se = fit.std_err
        for w, window in enumerate(windows):
            row: dict[str, Any] = {
                "group": s.group,
                "window": _label(window),
                "start": window[0],
                "end": window[1],
                "event_days": int(W[:, w].sum()),
                "conf_level": 1 - alpha,
            }
            if w in keep:
                j = first + keep.index(w)
                est, err = fit.params[j], se[j]
                lo, hi = est - z * err, est + z * err
                p = 2 * stats.norm.sf(abs(est / err)) if err > 0 else np.nan
                if j in fit.separated:
                    lo, (hi, p) = -np.inf, fit.separated[j]
                row.update(
                    estimate=est,
                    std_err=err,
                    p_value=p,
                    rate_ratio=np.exp(est),
                    rate_ratio_lower=np.exp(lo),
                    rate_ratio_upper=np.exp(hi),
                )
            else:
                row.update(
                    estimate=np.nan,
                    std_err=np.nan,
                    p_value=np.nan,
                    rate_ratio=np.nan,
                    rate_ratio_lower=np.nan,
                    rate_ratio_upper=np.nan,
                )
            rows.append(row)
        pre = [
            first + keep.index(w)
            for w, (_a, b) in enumerate(windows)
            if b < 0 and w in keep and first + keep.index(w) not in fit.separated
        ]
        if pre:
            beta = fit.params[pre]
            cov = fit.cov[np.ix_(pre, pre)]
            chi2 = float(beta @ np.linalg.solve(cov, beta))
            pre_rows.append(
                {
                    "group": s.group,
                    "statistic": chi2,
                    "df": len(pre),
                    "p_value": float(stats.chi2.sf(chi2, len(pre))),
                }
            )
        if per_event:
            per_rows += _per_event(
                s,
                base.X,
                base.names,
                W,
                windows,
                event_dates,
                labels,
                family=family,
                alpha=alpha,
                where=where,
            )

    def tidy(records: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
        frame = pd.DataFrame(records, columns=["group", *columns])
        return frame.drop(columns="group") if by is None else frame.rename(columns={"group": by})

    table_cols = [
        "window",
        "start",
        "end",
        "estimate",
        "std_err",
        "p_value",
        "rate_ratio",
        "rate_ratio_lower",
        "rate_ratio_upper",
        "event_days",
        "conf_level",
    ]
    return EventStudyResult(
        family=family,
        trend=trend,
        alpha=alpha,
        by=by,
        groups=tuple(s.group for s in series),
        windows=tuple(windows),
        event_dates=event_dates,
        table=tidy(rows, table_cols),
        pretrend=tidy(pre_rows, ["statistic", "df", "p_value"]),
        per_event=tidy(
            per_rows, [DATE, LABEL, "rate_ratio", "rate_ratio_lower", "rate_ratio_upper", "p_value"]
        ),
        fits=fits,
    )


def _per_event(
    s: Any,
    base_X: np.ndarray,
    base_names: list[str],
    W: np.ndarray,
    windows: Sequence[tuple[int, int]],
    event_dates: Sequence[pd.Timestamp],
    labels: dict[pd.Timestamp, str],
    *,
    family: str,
    alpha: float,
    where: str,
) -> list[dict[str, Any]]:
    """Each event's own post-window rate ratio, with the other events' windows adjusted."""
    import warnings

    z = stats.norm.ppf(1 - alpha / 2)
    last = max(b for _a, b in windows)
    out = []
    for e in event_dates:
        own = _window_columns(s.dates, [e], windows)
        others = W - own
        post = np.zeros(s.n)
        pos = event_index(s.dates, e) if e >= s.dates[0] else -1
        row: dict[str, Any] = {
            "group": s.group,
            DATE: e,
            LABEL: labels.get(e, str(e.date())),
            "rate_ratio": np.nan,
            "rate_ratio_lower": np.nan,
            "rate_ratio_upper": np.nan,
            "p_value": np.nan,
        }
        if e < s.dates[0] or pos + 1 >= s.n:
            out.append(row)
            continue
        post[pos + 1 : min(pos + last, s.n - 1) + 1] = 1.0
        keep = [w for w in range(others.shape[1]) if others[:, w].any()]
        X = np.column_stack([base_X, others[:, keep], post])
        names = base_names + [f"other[{w}]" for w in keep] + ["post"]
        try:
            check_rank(X, names)
        except ModelSpecError:
            out.append(row)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_counts(
                s.y,
                X,
                names=names,
                family=family,
                where=where,
                separable=[X.shape[1] - 1],
                alpha=alpha,
            )
        j = X.shape[1] - 1
        est, err = fit.params[j], fit.std_err[j]
        if j in fit.separated:
            bound, p = fit.separated[j]
            row.update(
                rate_ratio=0.0, rate_ratio_lower=0.0, rate_ratio_upper=np.exp(bound), p_value=p
            )
        else:
            row.update(
                rate_ratio=np.exp(est),
                rate_ratio_lower=np.exp(est - z * err),
                rate_ratio_upper=np.exp(est + z * err),
                p_value=2 * stats.norm.sf(abs(est / err)) if err > 0 else np.nan,
            )
        out.append(row)
    return out
