"""Public API of the daily-count Hawkes model: fit_hawkes and HawkesResult."""

from __future__ import annotations

import html
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from flashpoint.errors import FlashpointValueError, ModelSpecError, ShortSeriesWarning
from flashpoint.models._base import (
    CountSeries,
    ResultMixin,
    check_alpha,
    check_choice,
    split_counts,
    warn,
)
from flashpoint.models._levels import new_level, refuse_level, set_level, wald_interval
from flashpoint.models._likelihood import nb_logpmf, poisson_logpmf
from flashpoint.models.hawkes._baseline import BaselineSpec, parse_baseline
from flashpoint.models.hawkes._checks import (
    baseline_alternative,
    batch_of,
    check_stationary,
    frames,
    identifiability,
    model_tests,
    with_cov,
)
from flashpoint.models.hawkes._engine import ETA_MAX, components, observed_information
from flashpoint.models.hawkes._fit import (
    ExogenousInput,
    IdentifiabilityWarning,
    _Model,
    _parse_exogenous,
    _parse_kernel,
    _parse_regimes,
    _where,
    fit_models,
)
from flashpoint.models.hawkes._inference import param_rows

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["HawkesResult", "fit_hawkes"]

_SUMMARY_COLUMNS = [
    "term",
    "source",
    "regime",
    "regime_start",
    "regime_end",
    "estimate",
    "std_err",
    "statistic",
    "p_value",
    "ci_lower",
    "ci_upper",
    "conf_level",
    "ci_method",
    "unit",
]


_CI = ("ci_lower", "ci_upper")
_LIMITS = {
    "branching_ratio": (0.0, ETA_MAX),
    "exogenous_size": (0.0, np.inf),
    "kernel_decay": (0.0, 1.0),
    "exogenous_decay": (0.0, 1.0),
    "kernel_mean_lag": (1.0, np.inf),
    "spectral_radius": (0.0, np.inf),
}
"""Range of each parameter with an identity-scale Wald interval (clipped as in the fit)."""


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class HawkesResult(ResultMixin):
    """Fitted discrete-time (daily-count) Hawkes model.

    Attributes
    ----------
    alpha
        Significance level; intervals are at ``conf_level = 1 - alpha``.
    by
        Group column of the counts (``None`` for a single series).
    groups
        Group labels in fitting order.
    family
        ``"negbin"`` or ``"poisson"``.
    kernel
        ``"geometric"`` (decay estimated) or ``"fixed"`` (weights given).
    max_lag
        Kernel support in days.
    baseline
        The background asked for: ``"auto"``, ``"spline"``, ``"linear"`` or ``"constant"``.
    baseline_used
        ``(group, kind)`` of the background each group got (``"auto"`` resolves to
        ``"spline"`` or ``"constant"``; with steps when ``baseline_breaks`` were given).
    baseline_df
        Degrees of freedom of the spline background (``None`` when no group has one).
    baseline_breaks
        ``(group, date)`` of every step of the background.
    multivariate
        Whether the groups excite each other (one joint model).
    regimes
        Regime start dates (empty: one regime).
    exogenous
        Names of the exogenous streams.
    ci_method
        ``"profile"`` or ``"wald"`` (for branching ratios and exogenous sizes).
    start, end
        First and last fitted day.
    n_obs
        Days per group.
    loglik
        Maximised log-likelihood (all groups).
    n_params
        Number of estimated parameters.
    aic
        Akaike information criterion.
    converged
        Whether every maximisation converged.
    identifiable
        ``False`` when self-excitation cannot be told apart from a changing background
        (see ``notes``): read the branching ratios as clustering, not as contagion.
    notes
        Why, in words (empty when ``identifiable``).
    params
        The tidy parameter table returned by :meth:`summary`.
    decomposition
        Per day and group: ``date``, group column, ``count`` (observed events),
        ``expected`` (fitted mean, events per day) = ``background`` + ``self_excited`` +
        ``exogenous`` (events per day each; ``exogenous`` is the expected extra events
        after exogenous events).
    self_excitation
        Per day, group and source group: ``date``, group column, ``source``,
        ``self_excited`` (expected events per day in the group attributed to past events
        of the source group).
    tests
        Likelihood-ratio tests: group column, ``test`` (``equal_branching_ratio`` across
        regimes, ``no_cross_excitation``, ``baseline_varies``), ``statistic``, ``df``,
        ``p_value``, ``note``.
    """

    alpha: float
    by: str | None
    groups: tuple[Hashable | None, ...]
    family: str
    kernel: str
    max_lag: int
    baseline: str
    baseline_used: tuple[tuple[Hashable | None, str], ...]
    baseline_df: int | None
    baseline_breaks: tuple[tuple[Hashable | None, pd.Timestamp], ...]
    multivariate: bool
    regimes: tuple[pd.Timestamp, ...]
    exogenous: tuple[str, ...]
    ci_method: str
    start: pd.Timestamp
    end: pd.Timestamp
    n_obs: int
    loglik: float
    n_params: int
    aic: float
    converged: bool
    identifiable: bool
    notes: tuple[str, ...]
    params: pd.DataFrame = field(compare=False)
    decomposition: pd.DataFrame = field(compare=False)
    self_excitation: pd.DataFrame = field(compare=False)
    tests: pd.DataFrame = field(compare=False)
    models: tuple[_Model, ...] = field(repr=False, compare=False)

    def summary(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per parameter (see :func:`fit_hawkes`, Returns).

        ``alpha`` reads the intervals at level ``1 - alpha`` (default: the fit's): Wald and
        delta-method intervals are recomputed from ``estimate`` and ``std_err`` (on the log
        scale for the ``*_log_scale`` rows; clipped to the parameter's range as in the
        fit). Profile-likelihood intervals (``ci_method="profile"``, the default of
        :func:`fit_hawkes`) cannot be: refit with ``alpha=``.
        """
        out = self.params.copy()
        z = new_level(self.alpha, alpha)
        if z is None or alpha is None:
            return out
        method = out["ci_method"].astype(str)
        if method.str.startswith("profile").any():
            raise refuse_level("this Hawkes fit", "profile-likelihood", self.alpha, alpha)
        for term, limits in _LIMITS.items():
            rows = (out["term"] == term) & method.isin(["wald", "delta_method"])
            if term == "kernel_mean_lag":
                limits = (1.0, float(self.max_lag))
            wald_interval(
                out, z, estimate="estimate", std_err="std_err", bounds=_CI, rows=rows, limits=limits
            )
        logged = method.str.endswith("log_scale").to_numpy()
        est = out.loc[logged, "estimate"].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            s_log = out.loc[logged, "std_err"].to_numpy(float) / est
        out.loc[logged, "ci_lower"] = est * np.exp(-z[1] * s_log)
        out.loc[logged, "ci_upper"] = est * np.exp(z[1] * s_log)
        return set_level(out, alpha)

    def branching_ratios(self) -> pd.DataFrame:
        """Return the branching-ratio rows of :meth:`summary` (per group, source, regime)."""
        p = self.params
        return p[p["term"] == "branching_ratio"].reset_index(drop=True)

    def exogenous_effects(self) -> pd.DataFrame:
        """Exogenous-size rows of :meth:`summary` with ``significant`` (``p_value < alpha``).

        Only a significant size supports saying that events were triggered by the
        exogenous events; otherwise say "expected extra events after" them.
        """
        p = self.params
        out = p[p["term"] == "exogenous_size"].reset_index(drop=True)
        return out.assign(significant=out["p_value"] < self.alpha)

    def regime_test(self) -> pd.DataFrame:
        """Return the likelihood-ratio test of equal branching ratios across regimes.

        Rows of ``tests`` (``statistic``, ``df``, ``p_value``): before vs after each regime
        start; empty without regimes.
        """
        return self.tests[self.tests["test"] == "equal_branching_ratio"].reset_index(drop=True)

    def _repr_html_(self) -> str:
        body = ResultMixin._repr_html_(self)
        tests = self.tests.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        extra = f"<p>Tests</p>{tests}" + (f"<p>Notes</p><ul>{notes}</ul>" if notes else "")
        return body[: -len("</div>")] + extra + "</div>"

    def _headline(self) -> str:
        br = self.branching_ratios()
        parts = []
        for _, r in br.head(6).iterrows():
            who = "" if self.by is None else f"{r[self.by]}"
            if self.multivariate:
                who = f"{r['source']}->{who}"
            reg = f" regime {r['regime']}" if self.regimes else ""
            parts.append(
                f"{who}{reg} {r['estimate']:.2f} [{r['ci_lower']:.2f}, {r['ci_upper']:.2f}]"
            )
        more = ", ..." if len(br) > 6 else ""
        caveat = "" if self.identifiable else "; excitation not identified (see notes)"
        kinds = sorted({kind for _, kind in self.baseline_used})
        background = (kinds[0] if len(kinds) == 1 else "per-group") + (
            " (auto)" if self.baseline == "auto" else ""
        )
        return (
            f"{self.family} daily Hawkes, {self.n_obs} days, {background} background, "
            f"branching ratio ({self.conf_level:.0%} CI): " + "; ".join(parts) + more + caveat
        )

    def plot(self, *, events: Any = None) -> go.Figure:
        """Stacked background / self-excited / after-exogenous-event expected counts per day."""
        return self._draw(events=events)


def fit_hawkes(
    counts: pd.DataFrame,
    *,
    by: str | None = None,
    exogenous: ExogenousInput | dict[str, ExogenousInput] | None = None,
    family: Literal["negbin", "poisson"] = "negbin",
    kernel: Literal["geometric"] | Sequence[float] = "geometric",
    max_lag: int | None = None,
    baseline: Literal["auto", "constant", "linear", "spline"] = "auto",
    baseline_df: int | None = None,
    baseline_breaks: Any = None,
    multivariate: bool = False,
    regimes: Sequence[Any] | None = None,
    alpha: float = 0.05,
    ci_method: Literal["profile", "wald"] = "profile",
) -> HawkesResult:
    """Fit a self-exciting (discrete-time Hawkes) model to daily counts.

    Each day's expected count is a background rate (which may change slowly over time)
    plus excitation carried over from the events of the previous days (self-excitation,
    with a branching ratio) plus extra events after exogenous events such as strikes (each
    stream with its own size and kernel).

    Parameters
    ----------
    counts
        Tidy daily counts (``date``, optional group column, ``count``), zero-filled, e.g.
        from ``fp.count_daily``.
    by
        Group column (found by elimination when ``None``).
    exogenous
        Exogenous events: an event table with ``date`` (each row one event, e.g.
        ``fp.load_key_events().query("kind == 'us_strike'")``), daily counts with ``date``
        and ``count`` (e.g. air operations from ``fp.count_daily``), a sequence of dates, or
        a dict of these by name (one size and kernel each). Events act from the next day on;
        events before the first day still act on the first ``max_lag`` days.
    family
        Observation model: ``"negbin"`` (NB2, dispersion estimated) or ``"poisson"``.
    kernel
        ``"geometric"``: ``g(l) ∝ decay**(l-1)`` on lags ``1..max_lag`` with the decay
        estimated; or fixed non-negative weights for lags ``1, 2, ...`` (normalised to sum 1,
        also used for the exogenous kernel).
    max_lag
        Kernel support in days (default 21 for the geometric kernel).
    baseline
        The background's shape over time, per group (log scale): ``"auto"`` (default: the
        spline when a likelihood-ratio test finds the background changing, else the
        constant; see Notes), ``"spline"`` (a natural cubic spline with ``baseline_df``
        degrees of freedom, varying only on time scales longer than the kernel),
        ``"linear"`` (a log-linear trend) or ``"constant"`` (one level per regime, the
        classical model, which reads a trend as self-excitation).
    baseline_df
        Degrees of freedom of the spline (default: one per ``4 * max_lag`` days, 1 to 12).
    baseline_breaks
        Dates at which the background may jump (a step on the log scale, estimated as a
        rate ratio), added to ``baseline``: a sequence of dates for every group, a dict
        ``{group: dates}``, or a ``ChangepointResult`` (its change dates, per group). Use
        them for known or detected shifts (a truce, a change of source).
    multivariate
        ``True``: one joint model in which groups excite each other (a branching matrix).
        ``False``: one model per group.
    regimes
        Dates at which a new regime starts: the branching ratios and background levels are
        estimated separately before and after each date (e.g. ``[fp.datasets.KH_STRIKE]``),
        with a likelihood-ratio test of equal branching ratios (``regime_test()``).
    alpha
        Significance level (0.05 gives 95% intervals and tests at 5%).
    ci_method
        Interval for branching ratios and exogenous sizes: ``"profile"`` (profile
        likelihood, respects the bounds 0 and 1; default) or ``"wald"`` (estimate ± z
        standard errors, clipped to the bounds; faster).

    Returns
    -------
    HawkesResult
        ``summary()`` has one row per parameter: the group column (absent for a single
        series; missing for shared parameters), ``term``, ``source`` (source group of a
        branching ratio, the exogenous stream, or the date of a background step),
        ``regime`` (0, 1, ...), ``regime_start``/``regime_end`` (first/last day of the
        regime), ``estimate``, ``std_err`` (from the observed information; missing for a
        parameter on a bound), ``statistic`` and ``p_value`` (test of "= 0" for branching
        ratios and exogenous sizes: the likelihood-ratio statistic against chi-square(1)
        with profile intervals, so that ``p_value < alpha`` exactly when the interval
        excludes 0, or the Wald z; Wald z of the trend and of the log step ratio; missing
        for the other terms), ``ci_lower``/``ci_upper``, ``conf_level``, ``ci_method`` and
        ``unit``. Terms: ``background`` (mean background over the regime's days, events per
        day), ``trend`` (log rate ratio per year), ``baseline_step`` (rate ratio of the
        background from ``source`` on), ``branching_ratio`` (expected direct offspring per
        event, in the row's group, of one event in ``source``), ``exogenous_size``
        (expected extra events per exogenous event, before self-excitation amplifies
        them), ``dispersion`` (NB2), ``kernel_decay``, ``kernel_mean_lag`` (days),
        ``exogenous_decay`` and, for a multivariate model, ``spectral_radius`` of the
        branching matrix (below 1: stationary). ``identifiable`` and ``notes`` say whether
        excitation can be told apart from the background; ``decomposition``,
        ``self_excitation`` and ``tests`` are described in :class:`HawkesResult`.

    Raises
    ------
    FlashpointValueError
        On a bad counts table, an invalid option, or fewer than ``2 * max_lag`` days.
    EventRangeError
        When a regime date or a background break is outside the counts.
    ModelSpecError
        On an invalid kernel, or a background break on a regime start.

    Warns
    -----
    IdentifiabilityWarning
        When excitation cannot be told apart from a changing background (``notes``).
    HawkesConvergenceWarning
        When the maximisation did not converge.
    NonStationaryWarning
        When a branching ratio or the spectral radius reaches 1.
    ShortSeriesWarning
        When a group has fewer than 20 events.

    See Also
    --------
    simulate_hawkes_counts : Simulate from the model.
    flashpoint.models.forecast.forecast : Forecasts by simulation from the fitted model.

    Notes
    -----
    For group ``i`` on day ``t``::

        lambda_{i,t} = mu_{i,r(t)} exp(sum_p b_{i,p} B_p(t))
                       + sum_j eta_{r(t),ij} sum_{l=1}^{L} g(l) y_{j,t-l}
                       + sum_m kappa_{m,i} sum_{l=1}^{L} h_m(l) x_{m,t-l}

    with ``r(t)`` the regime, ``B`` the background's columns (spline, trend ``t/365.25``,
    steps ``1{t >= break}``), ``g`` and ``h_m`` normalised kernels (``sum g = 1``), so
    that ``eta`` is the branching ratio (expected direct offspring per event) and ``kappa``
    the expected number of extra events per exogenous event; ``y_{i,t} ~ Poisson(lambda)``
    or ``NB2(lambda, dispersion)``. Counts before the first day are taken as zero. This is
    the Poisson autoregression / INGARCH model of Fokianos, Rahbek & Tjøstheim (2009)
    with a long, normalised kernel: the binned Hawkes process of Kirchner (2016, 2017),
    with the NB observation of Zhu (2011), and a time-varying background as in the
    epidemic-type models of Meyer, Elias & Höhle (2012).

    *Why the background may drift by default.* With a constant background, a branching
    ratio near 1 turns ``lambda`` into a running mean of recent counts, which follows any
    slow drift: on simulated counts with a trend and a step and no excitation at all the
    constant-background model reads a branching ratio of 0.83-0.95 (tests/test_hawkes.py).
    The spline's knots are at least ``4 * max_lag`` days apart, so it can carry trends and
    (smoothed) shifts but not the clustering within the kernel's reach, which stays
    excitation. But strong excitation also makes slow swings, which a spline partly
    absorbs (0.6 reads about 0.5). ``"auto"`` therefore fits both and keeps the spline only
    when the likelihood-ratio test of a changing background rejects at 1% (stricter than 5%
    because the chi-square reference is anti-conservative here; see
    tests/reference/hawkes_daily.md). Each fit is also compared with the other reading of
    the background (constant vs the default spline): ``tests`` holds that test
    (``baseline_varies``), and ``identifiable`` is ``False`` (with an
    :class:`IdentifiabilityWarning` and ``notes``) when the two readings of a branching
    ratio disagree while that test does not reject at 1%, when a constant background is
    rejected and reads a different ratio, or when a branching ratio's interval spans more
    than half of ``[0, 1]``.

    Parameters are estimated by maximum likelihood (scipy's bounded truncated-Newton
    method TNC with the exact gradient, every branching ratio in ``[0, 0.999]``, two
    starting points); standard errors come from the observed information (central
    differences of the exact gradient). Branching-ratio and exogenous-size intervals are
    profile-likelihood intervals by default (chi-square(1) cutoff); a bound of 0 or 0.999
    means the interval reaches the edge of the parameter space. Other intervals are Wald
    intervals (on the log scale for the dispersion and the background's steps; delta
    method for the mean background, the mean lag and the spectral radius). The test of
    equal branching ratios across regimes is a likelihood ratio against
    chi-square(G*G*(K-1)); the multivariate test of no cross-excitation fixes the
    off-diagonal ratios at 0 and uses chi-square(G*(G-1)*K), conservative because the
    null lies on the boundary (Self & Liang 1987), as are the tests of "= 0". In a
    multivariate model each entry of the branching matrix is bounded by 0.999 too (a
    restriction: stationarity only needs the spectral radius below 1).

    Recovery and coverage are checked in tests/test_hawkes.py on seeded simulations (see
    tests/reference/hawkes_daily.md for the numbers and benchmarks/bench_hawkes_daily.py
    for the larger runs).

    Examples
    --------
    >>> from flashpoint.models.hawkes import fit_hawkes, simulate_hawkes_counts
    >>> simulated = simulate_hawkes_counts(400, background=0.5, branching_ratio=0.5,
    ...                                    family="poisson", seed=3)
    >>> res = fit_hawkes(simulated, family="poisson", ci_method="wald")
    >>> br = res.branching_ratios()
    >>> round(float(br["estimate"].iloc[0]), 2)
    0.43
    >>> res.identifiable
    True
    >>> dec = res.decomposition
    >>> bool(np.allclose(dec["expected"], dec["background"] + dec["self_excited"]))
    True
    """
    alpha = check_alpha(alpha)
    check_choice("ci_method", ci_method, ("profile", "wald"))
    by, series, common = _prepare(
        counts,
        by=by,
        family=family,
        kernel=kernel,
        max_lag=max_lag,
        multivariate=multivariate,
        exogenous=exogenous,
        regimes=regimes,
        baseline=parse_baseline(baseline, baseline_df, baseline_breaks),
    )
    models = fit_models(series, multivariate=multivariate, **common)
    models = [with_cov(m, observed_information(m.design, m.theta)[0]) for m in models]
    parts = [_infer(m, series, multivariate, common, alpha, ci_method) for m in models]
    return _assemble(by, series, models, parts, common, alpha, ci_method, multivariate)


def _prepare(
    counts: pd.DataFrame,
    *,
    by: str | None,
    family: str,
    kernel: str | Sequence[float],
    max_lag: int | None,
    multivariate: bool,
    exogenous: Any,
    regimes: Sequence[Any] | None,
    baseline: BaselineSpec,
) -> tuple[str | None, list[CountSeries], dict[str, Any]]:
    """Check the options and the series; return the settings every design shares."""
    check_choice("family", family, ("negbin", "poisson"))
    if not isinstance(multivariate, bool):
        raise FlashpointValueError(f"multivariate must be True or False, got {multivariate!r}")
    fixed_kernel, L = _parse_kernel(kernel, max_lag)
    by, _, series = split_counts(counts, by=by, freq="D", min_obs=3, drop_all_zero=True)
    _check_series(series, L, multivariate)
    regime_starts = _parse_regimes(regimes, series[0].dates)
    given = baseline.breaks
    breaks: list[tuple[pd.Timestamp, ...]] = (
        list(given.values()) if isinstance(given, Mapping) else [given]
    )
    clash = sorted({b for group in breaks for b in group} & set(regime_starts))
    if clash:
        raise ModelSpecError(
            f"baseline break {clash[0].date()} is also a regime start; each regime already "
            "has its own background level: drop it from baseline_breaks"
        )
    common = {
        "exo": _parse_exogenous(exogenous),
        "fixed_kernel": fixed_kernel,
        "max_lag": L,
        "regime_starts": regime_starts,
        "baseline": baseline,
        "family": family,
    }
    return by, series, common


def _check_series(series: list[CountSeries], L: int, multivariate: bool) -> None:
    if multivariate:
        if len(series) < 2:
            raise FlashpointValueError(
                f"multivariate=True needs at least two groups; found {len(series)} (pass a "
                "counts table with a group column, or use multivariate=False)"
            )
        first = series[0].dates
        for s in series[1:]:
            if not s.dates.equals(first):
                raise FlashpointValueError(
                    f"group {s.group!r} covers {s.dates[0].date()} .. {s.dates[-1].date()} but "
                    f"group {series[0].group!r} covers {first[0].date()} .. "
                    f"{first[-1].date()}; a multivariate model needs one calendar (build the "
                    "counts with fp.count_daily on all groups at once)"
                )
    for s in series:
        if s.n < 2 * L:
            raise FlashpointValueError(
                f"{s.n} days{'' if s.group is None else f' in group {s.group!r}'}; the model "
                f"needs at least 2 * max_lag = {2 * L} days (lower max_lag)"
            )
        if s.y.sum() < 20:
            warn(
                f"{_where((s.group,))} has only {int(s.y.sum())} events; a self-exciting "
                "model needs about 20 or more to say much",
                ShortSeriesWarning,
            )


@dataclass(frozen=True)
class _Inferred:
    rows: list[dict[str, Any]]
    decomposition: pd.DataFrame
    self_excitation: pd.DataFrame
    tests: list[dict[str, Any]]
    notes: list[str]


def _infer(
    m: _Model,
    series: list[CountSeries],
    multivariate: bool,
    common: dict[str, Any],
    alpha: float,
    ci_method: str,
) -> _Inferred:
    """Intervals, tests, identifiability and frames of one fitted model."""
    batch = batch_of(m, series)
    rows = param_rows(m, alpha=alpha, ci_method=ci_method)
    alt = baseline_alternative(m)
    notes = identifiability(m, rows, alt)
    for note in notes:
        warn(note, IdentifiabilityWarning)
    check_stationary(m)
    dec, src = frames(m)
    tests = [*model_tests(m, batch, multivariate, common), alt.test]
    return _Inferred(rows, dec, src, tests, notes)


def _total_loglik(m: _Model) -> float:
    """Log-likelihood with its constant, from the shared NB / Poisson log-pmf."""
    mu, by_source, exo, _ = components(m.theta, m.design)
    lam = mu + by_source.sum(axis=1) + exo.sum(axis=0)
    lay = m.design.layout
    if not lay.negbin:
        return float(poisson_logpmf(m.design.y, lam).sum())
    size = np.exp(-lay.unpack(m.theta)["logdisp"])[:, None]
    return float(nb_logpmf(m.design.y, lam, size).sum())


def _assemble(
    by: str | None,
    series: list[CountSeries],
    models: list[_Model],
    parts: list[_Inferred],
    common: dict[str, Any],
    alpha: float,
    ci_method: str,
    multivariate: bool,
) -> HawkesResult:
    params = pd.DataFrame([r for p in parts for r in p.rows])
    params.insert(list(params.columns).index("ci_upper") + 1, "conf_level", 1.0 - alpha)
    params["regime"] = params["regime"].astype("Int64")
    tests = pd.DataFrame(
        [t for p in parts for t in p.tests],
        columns=["group", "test", "statistic", "df", "p_value", "note"],
    )
    frames_ = [
        params,
        pd.concat([p.decomposition for p in parts], ignore_index=True),
        pd.concat([p.self_excitation for p in parts], ignore_index=True),
        tests,
    ]
    if by is None:
        frames_ = [f.drop(columns="group") for f in frames_]
        frames_[2] = frames_[2].drop(columns="source")
    else:
        frames_ = [f.rename(columns={"group": by}) for f in frames_]
    n_params = sum(m.design.layout.size for m in models)
    loglik = float(sum(_total_loglik(m) for m in models))
    spec: BaselineSpec = common["baseline"]
    notes = tuple(n for p in parts for n in p.notes)
    return HawkesResult(
        alpha=alpha,
        by=by,
        groups=tuple(s.group for s in series),
        family=common["family"],
        kernel="geometric" if common["fixed_kernel"] is None else "fixed",
        max_lag=common["max_lag"],
        baseline=spec.kind,
        baseline_used=tuple((g, _kind_of(m)) for m in models for g in m.groups),
        baseline_df=_spline_df(models),
        baseline_breaks=_breaks_of(models),
        multivariate=multivariate,
        regimes=common["regime_starts"],
        exogenous=tuple(e.name for e in common["exo"]),
        ci_method=ci_method,
        start=series[0].dates[0],
        end=series[0].dates[-1],
        n_obs=series[0].n,
        loglik=loglik,
        n_params=n_params,
        aic=2 * n_params - 2 * loglik,
        converged=all(m.converged for m in models),
        identifiable=not notes,
        notes=notes,
        params=frames_[0][[c for c in ([by] if by else []) + _SUMMARY_COLUMNS]],
        decomposition=frames_[1],
        self_excitation=frames_[2],
        tests=frames_[3],
        models=tuple(models),
    )


def _kind_of(m: _Model) -> str:
    labels = [lab for lab in (m.design.basis_labels or [()])[0] if lab is not None]
    if any(lab.startswith("spline_") for lab in labels):
        return "spline"
    return "linear" if "trend" in labels else "constant"


def _spline_df(models: list[_Model]) -> int | None:
    for m in models:
        labels = m.design.basis_labels[0] if m.design.basis_labels else ()
        n = sum(1 for k in labels if k is not None and k.startswith("spline_"))
        if n:
            return n
    return None


def _breaks_of(models: list[_Model]) -> tuple[tuple[Hashable | None, pd.Timestamp], ...]:
    out = []
    for m in models:
        for g, labels in zip(m.groups, m.design.basis_labels, strict=True):
            out += [(g, pd.Timestamp(lab[5:])) for lab in labels if lab and lab.startswith("step ")]
    return tuple(out)
