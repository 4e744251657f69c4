"""Reading a result at another confidence level: ``result.summary(alpha=0.1)``.

A Wald interval ``estimate +- z(alpha) * std_err`` (on the scale where it is symmetric:
the log rate for rate ratios) is recomputed exactly from the stored estimate and standard
error, like statsmodels' ``conf_int(alpha=)``. Intervals of other kinds (profile
likelihood, bootstrap, simulation) cannot be recomputed from what a result stores: asking
for another level then raises a :class:`~flashpoint.errors.FlashpointError` that says to
refit with ``alpha=``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from flashpoint._lazy import lazy_module
from flashpoint.errors import FlashpointError, FlashpointValueError

stats = lazy_module("scipy.stats")

__all__ = [
    "TRANSFORMS",
    "fixed_level",
    "new_level",
    "refuse_level",
    "relevel_rate_table",
    "set_level",
    "wald_interval",
]

TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda x: x,
    "exp": np.exp,
    "percent": lambda x: 100.0 * np.expm1(x),
}
"""How a bound on the Wald scale becomes a reported bound (rate ratio, percent change)."""


def new_level(fitted: float | None, alpha: float | None) -> tuple[float, float] | None:
    """Return ``(z_fitted, z_new)`` when ``alpha`` asks for another level, else ``None``."""
    if alpha is None or (fitted is not None and np.isclose(alpha, fitted, rtol=0, atol=1e-12)):
        return None
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise FlashpointValueError(
            f"alpha must be a number strictly between 0 and 1 (0.05 gives 95% intervals), "
            f"got {alpha!r}"
        )
    z_fit = np.nan if fitted is None else float(stats.norm.ppf(1 - fitted / 2))
    return z_fit, float(stats.norm.ppf(1 - float(alpha) / 2))


def refuse_level(what: str, kind: str, fitted: float | None, alpha: float) -> FlashpointError:
    """Build the error for an interval that cannot be recomputed at another level."""
    level = "no level" if fitted is None else f"{1 - fitted:.0%}"
    return FlashpointError(
        f"{what} holds {kind} intervals, computed at {level} when it was fitted; they cannot "
        f"be recomputed at {1 - alpha:.0%} from the stored result. Refit with alpha={alpha:g} "
        "to get them"
    )


def wald_interval(
    table: pd.DataFrame,
    z: tuple[float, float],
    *,
    estimate: str,
    std_err: str | None = None,
    bounds: tuple[str, str] | None = None,
    derived: Sequence[tuple[str, str, str]] = (),
    rows: pd.Series | np.ndarray | None = None,
    limits: tuple[float, float] = (-np.inf, np.inf),
) -> None:
    """Recompute a Wald interval in ``table`` (in place) at the level of ``z[1]``.

    Parameters
    ----------
    table
        The summary table.
    z
        ``(z_fitted, z_new)`` from :func:`new_level`.
    estimate, std_err
        Columns of the estimate and its standard error on the Wald scale. Without
        ``std_err``, the standard error is read back from the stored ``bounds``
        (``(upper - lower) / (2 z_fitted)``: exact for an unclipped Wald interval).
    bounds
        Columns of the interval on the Wald scale, if reported.
    derived
        ``(lower, upper, transform)`` columns of transformed bounds (``TRANSFORMS``).
    rows
        Rows holding Wald intervals (default: all); the others are left as they are.
    limits
        The parameter's range: bounds are clipped to it, as the fit clipped them.
    """
    mask = np.ones(len(table), dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
    est = table.loc[mask, estimate].to_numpy(dtype=float)
    if std_err is not None:
        se = table.loc[mask, std_err].to_numpy(dtype=float)
    else:
        assert bounds is not None, "give std_err or the stored bounds"
        width = table.loc[mask, bounds[1]].to_numpy(float) - table.loc[mask, bounds[0]].to_numpy(
            float
        )
        se = width / (2 * z[0])
    with np.errstate(invalid="ignore", over="ignore"):
        lo = np.clip(est - z[1] * se, *limits)
        hi = np.clip(est + z[1] * se, *limits)
        if bounds is not None:
            table.loc[mask, bounds[0]] = lo
            table.loc[mask, bounds[1]] = hi
        for low_col, up_col, transform in derived:
            table.loc[mask, low_col] = TRANSFORMS[transform](lo)
            table.loc[mask, up_col] = TRANSFORMS[transform](hi)


def set_level(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Write the new level into the table's ``conf_level`` column (when it has one)."""
    if "conf_level" in table.columns:
        table["conf_level"] = 1 - float(alpha)
    return table


def relevel_rate_table(
    table: pd.DataFrame,
    fitted: float,
    alpha: float | None,
    *,
    what: str,
    ratio: bool = True,
    profiled: pd.Series | None = None,
) -> pd.DataFrame:
    """Recompute a table of log rate ratios at level ``1 - alpha``.

    The table has ``estimate``, ``std_err``, ``ci_lower/upper``, ``ci_method``, ``term``
    and (with ``ratio``) ``rate_ratio_lower/upper``. Rows whose ``ci_method`` starts with
    ``"wald"`` are recomputed; ``"not estimable"`` rows stay missing; any other row
    (profile likelihood), or a row flagged in ``profiled``, makes another level an error.
    """
    z = new_level(fitted, alpha)
    if z is None or alpha is None:
        return table
    methods = table["ci_method"].astype(str)
    wald = methods.str.startswith("wald")
    other = ~wald & (methods != "not estimable")
    if profiled is not None:
        other |= profiled.to_numpy(dtype=bool)
    if other.any():
        terms = ", ".join(map(str, table.loc[other, "term"].unique()))
        raise refuse_level(what, f"profile-likelihood ({terms})", fitted, alpha)
    derived = (("rate_ratio_lower", "rate_ratio_upper", "exp"),) if ratio else ()
    wald_interval(
        table,
        z,
        estimate="estimate",
        std_err="std_err",
        bounds=("ci_lower", "ci_upper"),
        derived=derived,
        rows=wald.to_numpy(),
    )
    return set_level(table, alpha)


def fixed_level(fitted: float | None, alpha: float | None, *, what: str, kind: str) -> None:
    """Raise unless ``alpha`` is ``None`` or the fit's: the intervals cannot be recomputed."""
    if new_level(fitted, alpha) is not None:
        raise refuse_level(what, kind, fitted, float(alpha))  # type: ignore[arg-type]
