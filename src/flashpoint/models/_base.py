"""Shared plumbing of the model modules: input series, result behaviour, warnings.

Every ``fit_*`` / ``detect_*`` / ``estimate_*`` function starts with :func:`split_counts`,
which checks a tidy counts table once (the boundary) and hands back one regular series per
group. Every result class is a frozen dataclass that inherits :class:`ResultMixin` for a
one-line ``repr`` and an HTML view built from its ``summary()``.
"""

from __future__ import annotations

import html
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from flashpoint._registry import _plotter, register_plot, set_plot_loader
from flashpoint.counts import group_column
from flashpoint.errors import (
    AllZeroGroupWarning,
    FewEventsWarning,
    FlashpointValueError,
    ShortSeriesWarning,
    warn,
)
from flashpoint.schemas import COUNT, DATE

__all__ = [
    "CountSeries",
    "ResultMixin",
    "check_alpha",
    "check_choice",
    "counts_group_column",
    "register_plot",
    "set_plot_loader",
    "split_counts",
    "warn",
    "warn_if_short",
]


def check_alpha(alpha: float) -> float:
    """Validate a significance level (``0 < alpha < 1``) and return it as float."""
    if not isinstance(alpha, int | float) or not 0 < float(alpha) < 1:
        raise FlashpointValueError(
            f"alpha must be a number strictly between 0 and 1 (0.05 gives 95% intervals), "
            f"got {alpha!r}"
        )
    return float(alpha)


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """Raise a clear error unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise FlashpointValueError(
            f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}"
        )
    return value


@dataclass(frozen=True, slots=True)
class CountSeries:
    """One regular count series (one group of a counts table).

    Attributes
    ----------
    group
        The group label (``None`` for a table without a group column).
    dates
        Regular calendar (``freq``), one entry per observation.
    y
        Counts (``int64``, non-negative), or ``float64`` values of a continuous outcome
        (``split_counts(..., integer=False)``).
    exposure
        Exposure per observation (for a log offset), or ``None``.
    """

    group: Hashable | None
    dates: pd.DatetimeIndex
    y: np.ndarray
    exposure: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of observations."""
        return len(self.y)


def _infer_freq(dates: pd.DatetimeIndex, group: Hashable | None) -> str:
    where = "" if group is None else f" for group {group!r}"
    if len(dates) < 3:
        raise FlashpointValueError(
            f"cannot infer the frequency of a series with {len(dates)} observations{where}; "
            "pass freq= (for example freq='D')"
        )
    with pd.option_context("future.infer_freq_returns_offset", True):
        offset = pd.infer_freq(dates)
    freq = None if offset is None else str(getattr(offset, "freqstr", offset))
    if freq is None:
        raise FlashpointValueError(
            f"the counts{where} are not on a regular calendar (dates {dates[0].date()} .. "
            f"{dates[-1].date()}, {len(dates)} rows); build them with fp.count_daily or "
            "fp.resample, which fill every period"
        )
    return freq


def split_counts(
    counts: pd.DataFrame,
    *,
    by: str | None = None,
    freq: str | None = None,
    exposure: str | None = None,
    min_obs: int = 1,
    drop_all_zero: bool = False,
    integer: bool = True,
) -> tuple[str | None, str, list[CountSeries]]:
    """Check a tidy counts table and split it into one regular series per group.

    Parameters
    ----------
    counts
        Tidy counts: ``date``, an optional group column, ``count`` (and optional extra
        columns such as ``days`` or an exposure column).
    by
        Group column; found by elimination when ``None`` (see
        :func:`flashpoint.counts.group_column`). Columns named in ``exposure`` are not
        candidates.
    freq
        Expected frequency; inferred from the dates when ``None``.
    exposure
        Column holding a positive exposure (days covered, population, ...).
    min_obs
        Minimum observations per group; fewer raises an error.
    drop_all_zero
        Leave out groups whose counts are all zero, with an :class:`AllZeroGroupWarning`.
    integer
        ``True`` (default): ``count`` must hold non-negative whole numbers. ``False``: any
        finite real values (a continuous outcome, e.g. for a Gaussian model); ``y`` is then
        ``float64``.

    Returns
    -------
    by, freq, series
        The group column (or ``None``), the frequency string and the series in group order.

    Raises
    ------
    FlashpointValueError
        On a missing column, negative or non-integer counts, duplicate dates, an irregular
        calendar, too few observations, or no group left.
    """
    by = counts_group_column(counts, by, exposure=exposure)
    _check_count_values(counts, integer=integer)
    series: list[CountSeries] = []
    seen_freq: str | None = freq
    for group, frame in _group_frames(counts, by):
        frame = frame.sort_values(DATE, kind="stable")
        dates = pd.DatetimeIndex(frame[DATE])
        where = "" if group is None else f" in group {group!r}"
        this_freq = _check_calendar(dates, group, freq=freq, min_obs=min_obs)
        if seen_freq is not None and this_freq != seen_freq:
            raise FlashpointValueError(
                f"groups have different frequencies ({seen_freq!r} and {this_freq!r}{where})"
            )
        seen_freq = this_freq
        y = frame[COUNT].to_numpy(dtype=np.int64 if integer else float)
        expo = None if exposure is None else _exposure_values(frame, exposure, where)
        if drop_all_zero and not y.any():
            warn(
                f"group {group!r} has no events in the analysed window; it is left out",
                AllZeroGroupWarning,
            )
            continue
        series.append(CountSeries(group=group, dates=dates, y=y, exposure=expo))
    if not series:
        raise FlashpointValueError("no series left to analyse (every group is all zero)")
    return by, cast(str, seen_freq), series


def counts_group_column(
    counts: pd.DataFrame, by: str | None, *, exposure: str | None = None
) -> str | None:
    """Return the group column of a counts table, leaving its ``exposure`` column out.

    :func:`flashpoint.counts.group_column` with the exposure column (checked to exist) left
    out of the elimination.
    """
    if exposure is None:
        return group_column(counts, by)
    if exposure not in counts.columns:
        raise FlashpointValueError(
            f"exposure column {exposure!r} is not in the counts table "
            f"(columns: {list(counts.columns)})"
        )
    return group_column(counts.drop(columns=[exposure]), by)


def _check_count_values(counts: pd.DataFrame, *, integer: bool) -> None:
    """Refuse non-datetime or missing dates and counts that are not counts (or not finite)."""
    if not pd.api.types.is_datetime64_dtype(counts[DATE].dtype):
        raise FlashpointValueError(
            f"'{DATE}' must be datetime64, got {counts[DATE].dtype}; build counts with "
            "fp.count_daily"
        )
    y_all = counts[COUNT]
    if not integer:
        values = pd.to_numeric(y_all, errors="coerce")
        if not np.all(np.isfinite(values.to_numpy(dtype=float))):
            raise FlashpointValueError(
                f"'{COUNT}' must hold finite numbers; found missing or infinite values "
                f"(dtype {y_all.dtype}): drop or fill them"
            )
    elif not pd.api.types.is_integer_dtype(y_all.dtype):
        values = pd.to_numeric(y_all, errors="coerce")
        if values.isna().any() or (values % 1 != 0).any():
            raise FlashpointValueError(
                f"'{COUNT}' must hold whole numbers (counts are counts); got dtype "
                f"{y_all.dtype}. A continuous measure is modelled by "
                "fit_its(..., family='gaussian')"
            )
    if integer and (y_all < 0).any():
        bad = counts.loc[y_all < 0, DATE].iloc[0]
        raise FlashpointValueError(f"negative count on {bad.date()}; counts must be >= 0")
    if counts[DATE].isna().any():
        raise FlashpointValueError(f"missing dates in '{DATE}'")


def _group_frames(
    counts: pd.DataFrame, by: str | None
) -> list[tuple[Hashable | None, pd.DataFrame]]:
    """Split the rows by group in order of appearance (the whole table without a group)."""
    if by is None:
        return [(None, counts)]
    if counts[by].isna().any():
        raise FlashpointValueError(f"missing values in group column {by!r}")
    return [(g, frame) for g, frame in counts.groupby(by, sort=False, observed=True)]


def _check_calendar(
    dates: pd.DatetimeIndex, group: Hashable | None, *, freq: str | None, min_obs: int
) -> str:
    """Check one group's dates (unique, enough, a complete calendar); return its frequency."""
    where = "" if group is None else f" in group {group!r}"
    if dates.has_duplicates:
        raise FlashpointValueError(
            f"duplicate dates{where} (e.g. {dates[dates.duplicated()][0].date()}); a counts "
            "table has one row per date and group"
        )
    if len(dates) < min_obs:
        raise FlashpointValueError(
            f"{len(dates)} observations{where}; at least {min_obs} are needed"
        )
    if freq is None:
        return _infer_freq(dates, group)
    if len(dates) > 1:
        expected = pd.date_range(dates[0], periods=len(dates), freq=freq)
        if not dates.equals(expected):
            raise FlashpointValueError(
                f"the counts{where} are not a complete calendar at frequency {freq!r}; "
                "build them with fp.count_daily or fp.resample"
            )
    return freq


def _exposure_values(frame: pd.DataFrame, exposure: str, where: str) -> np.ndarray:
    """One group's exposure, which must be positive and finite."""
    expo = frame[exposure].to_numpy(dtype=float)
    if not np.all(np.isfinite(expo)) or np.any(expo <= 0):
        raise FlashpointValueError(f"exposure {exposure!r} must be positive and finite{where}")
    return expo


def warn_if_short(s: CountSeries, minimum: int, what: str, *, min_events: int = 10) -> None:
    """Warn when a series has fewer than ``minimum`` observations or ``min_events`` events."""
    where = "" if s.group is None else f" (group {s.group!r})"
    if s.n < minimum:
        warn(
            f"only {s.n} observations{where}; {what} needs about {minimum} to be reliable",
            ShortSeriesWarning,
        )
    total = int(s.y.sum())
    if 0 < total < min_events:
        warn(
            f"only {total} event(s){where}; {what} on so few events carries little "
            "information (consider leaving the group out)",
            FewEventsWarning,
        )


class ResultMixin:
    """One-line ``repr`` and a notebook HTML view for frozen result dataclasses.

    Subclasses implement ``summary() -> DataFrame`` and ``_headline() -> str`` (one line:
    the model and its key settings).
    """

    __slots__ = ()

    @property
    def conf_level(self) -> float:
        """Level of the intervals (``1 - alpha``; ``nan`` for a result without intervals)."""
        alpha = getattr(self, "alpha", None)
        return float("nan") if alpha is None else 1.0 - float(alpha)

    def summary(self, alpha: float | None = None) -> pd.DataFrame:  # pragma: no cover
        """Return the tidy summary table (intervals at ``1 - alpha``, default the fit's)."""
        raise NotImplementedError

    def _headline(self) -> str:  # pragma: no cover - implemented by subclasses
        raise NotImplementedError

    def _draw(self, **options: Any) -> Any:
        """Draw this result with the figure registered for its type (see ``register_plot``)."""
        return _plotter(type(self))(self, **options)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self._headline()}>"

    def __str__(self) -> str:
        """Text summary: result type, data span, settings and fit facts, ``summary()`` table."""
        from flashpoint.models._text import describe

        return describe(self)

    def _facts(self) -> list[tuple[str, str]]:
        """Key fit facts beyond the scalar fields, as ``(name, text)`` (for ``str(result)``)."""
        return []

    def save(self, path: str | PathLike[str], *, force: bool = False) -> Path:
        """Save the result to ``path``; read it back with :func:`flashpoint.load_result`.

        The file is a header (flashpoint version, result type) and a pickle. An existing
        file is replaced only when it is a flashpoint result file, or with ``force=True``.
        A file saved by another flashpoint version is refused when loaded (refit, or load
        with ``allow_other_version=True``). Returns the path written.
        """
        from flashpoint.models._persist import save_result

        return save_result(self, path, force=force)

    def _repr_html_(self) -> str:
        table = self.summary().to_html(
            index=False, float_format=lambda v: f"{v:.4g}", na_rep="", border=0
        )
        return (
            f"<div><strong>{html.escape(type(self).__name__)}</strong>: "
            f"{html.escape(self._headline())}{table}</div>"
        )
