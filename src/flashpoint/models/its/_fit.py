"""Interrupted time series: :func:`fit_its` and its steps (one fit per group, then rows)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.errors import ModelSpecError, OverdispersionWarning
from flashpoint.models._base import (
    CountSeries,
    check_alpha,
    check_choice,
    split_counts,
    warn,
    warn_if_short,
)
from flashpoint.models._glm import ALL_FAMILIES, GAUSSIAN, CountFit, fit_counts
from flashpoint.models._separation import zero_mean_rows
from flashpoint.models.design import (
    Design,
    EventSpec,
    as_event_specs,
    build_design,
    check_event_range,
    event_term_names,
    group_specs,
    time_unit,
)
from flashpoint.models.its._controls import SHRINKAGE, group_controls, split_controls
from flashpoint.models.its._decay import (
    append_columns,
    decay_test,
    half_life_covariance,
    profile_half_lives,
    unknown_decays,
)
from flashpoint.models.its._paths import paths
from flashpoint.models.its._result import ITSResult
from flashpoint.models.its._ridge import fit_ridge
from flashpoint.models.its._rows import (
    coefficient_rows,
    controls_rows,
    dispersion_row,
    event_rows,
    pre_fit_row,
)
from flashpoint.models.its._types import GroupFit, Settings

__all__ = ["BANDS", "SLOPES", "TRENDS", "fit_its"]

TRENDS = ("linear", "spline", "none")
BANDS = ("predictive", "parameter")
SLOPES = ("change", "post")


def fit_its(
    counts: pd.DataFrame,
    events: Any,
    *,
    by: str | None = None,
    family: str = "negbin",
    trend: str = "linear",
    spline_df: int = 4,
    seasonality: Mapping[float, int] | None = None,
    dow: bool = False,
    exposure: str | None = None,
    controls: Sequence[Hashable] | pd.DataFrame | None = None,
    control_transform: str = "auto",
    shrinkage: str = "auto",
    cov_type: str = "model",
    maxlags: int | None = None,
    alpha: float = 0.05,
    band: str = "predictive",
    slope: str = "change",
    n_sim: int = 1000,
    seed: int | None = 0,
    min_pre: int = 14,
) -> ITSResult:
    r"""Fit an interrupted time series model with any number of events, per group.

    Parameters
    ----------
    counts
        Tidy counts (``date``, optional group column, ``count``) on a regular calendar,
        e.g. from :func:`flashpoint.count_daily` or :func:`flashpoint.resample`.
    events
        The interventions: a date (a step), an :class:`EventSpec`, a list of them, or a
        key-events frame (``date``, optional ``end``/``label``/``group``/``shape``/
        ``half_life``; rows with ``end`` are pulses).
    by
        Group column (found by elimination when ``None``). Every group gets its own model;
        an event with ``group`` set enters only that group's model.
    family
        ``"negbin"`` (default: NB2 with the dispersion estimated), ``"poisson"``,
        ``"quasipoisson"`` (Poisson with Pearson-scaled standard errors) or
        ``"gaussian"`` (least squares, identity link, for a continuous outcome: ``count``
        may then hold any real values; estimates are changes of its level, and the rate
        ratio columns are ``nan``).
    trend
        Baseline trend: ``"linear"`` (log-linear in time), ``"spline"`` (natural cubic
        spline with ``spline_df`` degrees of freedom) or ``"none"``.
    spline_df
        Degrees of freedom of the spline trend.
    seasonality
        Fourier terms ``{period: harmonics}`` with the period in observations, e.g.
        ``{7: 1}`` (weekly cycle of daily data) or ``{12: 2}`` (yearly cycle of monthly data).
    dow
        Add day-of-week indicators (daily series only).
    exposure
        Column of ``counts`` holding a positive exposure (days covered, population, ...),
        entered as ``log(exposure)`` offset; rates are then per unit of exposure.
    controls
        Control series that predict the counterfactual (CausalImpact-style): a list of
        groups of ``counts`` (their counts become predictors of the other groups, which
        alone are fitted), or a frame indexed by date (or with a ``date`` column) with one
        numeric column per series, covering every date of ``counts`` (e.g. a neighbour's
        counts, a news-volume index). ``None``: the series' own past only.
    control_transform
        ``"auto"`` (default: with the log link ``log1p`` for whole non-negative numbers
        and ``log`` for positive measures, so that coefficients are elasticities, else
        as-is; as-is with ``family="gaussian"``), or ``"log1p"``, ``"log"``, ``"none"``
        for every control.
    shrinkage
        ``"auto"`` (default: a ridge penalty on the controls when there are fewer than
        20 pre-event periods per control), ``"ridge"`` (always) or ``"none"``.
    cov_type
        ``"model"`` (inverse information) or ``"hac"`` (heteroskedasticity and
        autocorrelation robust, Newey-West with ``maxlags`` lags).
    maxlags
        Lags of the HAC covariance (default ``floor(4 (n/100)^(2/9))``).
    alpha
        Significance level: intervals at level ``1 - alpha``.
    band
        What the excess bands cover: ``"predictive"`` (default: parameter uncertainty and
        count noise, i.e. how many attacks could have happened without the events) or
        ``"parameter"`` (parameter uncertainty only: the uncertainty of the expected
        count). Both counterfactual bands are always in ``fitted``.
    slope
        How ``slope`` events are reported: ``"change"`` (default: the change of the
        log-rate's slope at the event, ``beta_k``) or ``"post"`` (the slope after the
        event itself: the trend's slope plus the changes of every slope event up to and
        including this one). ``"post"`` needs ``trend="linear"`` or ``"none"``.
    n_sim
        Coefficient draws for the band of the cumulative excess.
    seed
        Seed of those draws (results are reproducible).
    min_pre
        Warn (:class:`~flashpoint.errors.FewPreEventDaysWarning`) when fewer observations
        precede an event.

    Returns
    -------
    ITSResult
        ``summary()`` gives one row per event term and group with the rate ratio and its
        interval; ``fitted`` holds the paths and excess attacks; ``impact()`` the average
        and cumulative effect over the post-event periods; ``controls_fit`` and
        ``pre_fit`` the controls' coefficients and how well they track each group before
        the first event; ``plot()`` draws the paths.

    Raises
    ------
    EventRangeError
        When an event lies outside the data (on or before the first observation, or after
        the last) or events overlap so that an effect cannot be estimated (e.g. two steps
        on one date).
    ModelSpecError
        On an unknown family, trend, event shape, band, slope, covariance type,
        shrinkage or control transform; for ``slope="post"`` with a spline trend; for
        exposure with ``family="gaussian"``; for controls that are not groups of
        ``counts``, miss dates of the series, are not numeric, or are constant before the
        first event.
    FlashpointValueError
        When the counts are not a regular, complete calendar.

    Warns
    -----
    NotEstimableWarning
        When a term cannot be estimated, e.g. a step with no event before it (all-zero
        pre-event counts): its row and the group's counterfactual and excess are ``nan``.
    OverdispersionWarning
        When a Poisson model is fitted to overdispersed counts.
    PoorFitWarning
        When the controls do not track a group before its first event (their
        likelihood-ratio test in the pre-event fit has ``p > alpha``).
    AffectedControlWarning
        When a control shifts at an event date more than at (almost) any pre-event date:
        the event may have moved the control too (see Notes).
    FewPreEventDaysWarning, ShortSeriesWarning, AllZeroGroupWarning, ConvergenceWarning
        As their names say.

    See Also
    --------
    fit_trend : the trend alone.
    placebo_test : in-time and across-group placebo inference for one event.
    fit_event_study : average effect of many events of one kind.

    Notes
    -----
    The model for the count ``y_t`` of a group is

    .. math:: \log E[y_t] = \beta_0 + f(t) + \sum_k \beta_k x_{kt} + s(t) + \log e_t,

    with ``f`` the trend, ``x_k`` the event columns (see :mod:`flashpoint.models.design`),
    ``s`` seasonal terms and ``e_t`` the exposure; ``y_t`` is negative binomial (NB2,
    ``Var = mu + alpha mu^2``) or Poisson. ``exp(beta_k)`` is the rate ratio of event k.
    This is segmented regression for interrupted time series (Wagner et al. 2002, J Clin
    Pharm Ther 27:299-309; Bernal, Cummins & Gasparrini 2017, Int J Epidemiol 46:348-355)
    with a count likelihood.

    *Slopes.* With a linear trend ``f(t) = b_1 t`` and a slope event at ``t_e``,
    ``log E[y_t] = b_0 + b_1 t + b_k (t - t_e)_+``: the slope is ``b_1`` before the event
    and ``b_1 + b_k`` after it. ``slope="change"`` reports ``b_k`` (rate ratio per time
    unit relative to the pre-event trend), ``slope="post"`` reports ``b_1 + b_k`` (the
    rate ratio per time unit after the event; its standard error from the covariance of
    the sum). Both come from the same fit.

    *Decays with an estimated half-life.* The half-life is estimated by profile
    likelihood. Without an effect it does not exist (Davies 1987, Biometrika 74:33-43), so
    a Wald test at the estimated half-life is too liberal (11% rejections at 5% in
    ``benchmarks/bench_its.py``). The p-value is instead that of the score statistic
    maximised over half-lives of 0.5 to 120 periods, its null distribution simulated from
    the fitted null model (999 draws seeded by ``seed``; ``p_method="sup-score
    bootstrap"``; Davies' bound with ``cov_type="hac"``, ``p_method="davies"``). The
    rate ratio's standard error includes the half-life's uncertainty (the coefficient
    block of the inverse joint information of the coefficients and the ``log``
    half-life; ``ci_method="wald (half-life estimated)"``).

    *Control series.* With ``controls``, each (transformed) control ``c_j`` enters the
    linear predictor as a column standardised by its pre-event mean and standard
    deviation: ``log E[y_t] = ... + sum_j gamma_j (c_jt - m_j) / s_j`` (identity link for
    ``family="gaussian"``). The relation is fitted on all periods together with the event
    terms, as the rest of the model: the event columns absorb the effect, so the
    post-event periods inform the controls' coefficients too, and every event shape,
    several events and the HAC covariance work unchanged. CausalImpact instead fits the
    relation on the pre-period alone (Brodersen et al. 2015, Ann Appl Stat 9:247-274),
    which does not rely on the event's shape; here a wrong shape (a step for an effect
    that grows) can leak into the controls' coefficients, and ``pre_fit`` shows how well
    the relation holds before the event. The counterfactual sets the event columns to zero
    and keeps the controls' observed values after the event. With many controls
    (``shrinkage``), their coefficients get a ridge penalty ``lambda/2 sum gamma_j^2``
    whose ``lambda`` minimises the generalised cross-validation score of the pre-event fit
    (Craven & Wahba 1979; Wood 2017, sec. 6.2), and the covariance is the Bayesian
    ``(X'WX + S)^-1`` (Wahba 1983; Nychka 1988). A control that the event itself affects
    absorbs part of the effect and biases the estimate towards none (a neighbour whose
    attacks also rose because of the strike): choose controls the event cannot move. Each
    control's shift at each event (the mean of ``min(14, n_pre/6)`` periods after minus
    before, against the same statistic at every pre-event date) is in ``controls_fit``,
    and a large one warns; a shift from a shock common to both series is what the
    control is there to remove, so only the analyst can judge it.

    *Counterfactual and excess.* The counterfactual is the fitted mean with every event
    column set to zero. ``counterfactual_lower/_upper`` is the confidence band of that
    mean (``exp(eta +- z se)``, parameter uncertainty only). ``counterfactual_pred_lower/
    _upper`` is the predictive band of a count without the events: the count distribution
    (NB2, Poisson, or NB with ``Var = phi mu`` for quasi-Poisson) mixed over the normal
    distribution of the linear predictor. The excess bands are the count minus one of
    them (``band``); the cumulative excess band comes from ``n_sim`` coefficient draws,
    with the count noise of the running sum added per draw for ``band="predictive"``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import flashpoint as fp
    >>> rng = np.random.default_rng(1)
    >>> dates = pd.date_range("2023-01-01", periods=120)
    >>> simulated = pd.DataFrame({"date": dates, "count": rng.poisson(
    ...     np.where(dates >= "2023-03-01", 4.0, 2.0))})
    >>> res = fp.fit_its(simulated, "2023-03-01", family="poisson", trend="none")
    >>> res.summary()[["event", "rate_ratio", "rate_ratio_lower", "rate_ratio_upper"]].round(2)
                 event  rate_ratio  rate_ratio_lower  rate_ratio_upper
    0  step 2023-03-01        1.67              1.34              2.07

    With a control series (simulated: a regional index that doubles on the event date and
    drives the counts with elasticity 0.8; the event itself multiplies them by 1.5):

    >>> after = dates >= "2023-03-01"
    >>> index = np.exp(rng.normal(0, 0.3, 120)) * np.where(after, 2.0, 1.0)
    >>> treated = pd.DataFrame(
    ...     {"date": dates, "count": rng.poisson(3 * index**0.8 * np.where(after, 1.5, 1.0))})
    >>> import warnings
    >>> with warnings.catch_warnings():  # the index shifts at the event: a warning says so
    ...     warnings.simplefilter("ignore", fp.errors.AffectedControlWarning)
    ...     res = fp.fit_its(treated, "2023-03-01", family="poisson", trend="none",
    ...                      controls=pd.DataFrame({"index": index}, index=dates))
    >>> res.summary()[["rate_ratio", "rate_ratio_lower", "rate_ratio_upper"]].round(2)
       rate_ratio  rate_ratio_lower  rate_ratio_upper
    0        1.67              1.32              2.12
    >>> res.controls_fit[["control", "transform", "estimate", "shift_flagged"]].round(2)
      control transform  estimate  shift_flagged
    0   index       log      0.65           True
    """
    alpha = check_alpha(alpha)
    check_choice("family", family, ALL_FAMILIES)
    check_choice("trend", trend, TRENDS)
    check_choice("band", band, BANDS)
    check_choice("slope", slope, SLOPES)
    check_choice("shrinkage", shrinkage, SHRINKAGE)
    specs = as_event_specs(events)
    if slope == "post" and trend == "spline" and any(sp.shape == "slope" for sp in specs):
        raise ModelSpecError(
            "slope='post' needs trend='linear' or 'none': with a spline trend the slope "
            "after an event is not one number; use slope='change'"
        )
    if family == GAUSSIAN and exposure is not None:
        raise ModelSpecError(
            "exposure= enters a log link as an offset; family='gaussian' has an identity "
            "link: divide the outcome by the exposure instead"
        )
    treated, control_series = split_controls(
        counts, controls, by=by, exposure=exposure, family=family, transform=control_transform
    )
    by, freq, series = split_counts(
        treated,
        by=by,
        exposure=exposure,
        min_obs=3,
        drop_all_zero=True,
        integer=family != GAUSSIAN,
    )
    st = Settings(
        family=family,
        cov_type=cov_type,
        maxlags=maxlags,
        alpha=alpha,
        n_sim=n_sim,
        seed=seed,
        min_pre=min_pre,
        band=band,
        slope=slope,
        design_kwargs={
            "freq": freq,
            "trend": trend,
            "spline_df": spline_df,
            "seasonality": seasonality,
            "dow": dow,
        },
        controls=control_series,
        shrinkage=shrinkage,
    )
    groups = [_fit_group(s, specs, st) for s in series]
    return _result(groups, st, by=by, trend=trend, specs=specs)


def _result(
    groups: list[GroupFit],
    st: Settings,
    *,
    by: str | None,
    trend: str,
    specs: tuple[EventSpec, ...],
) -> ITSResult:
    """Assemble the result: the tidy tables of every group, then the paths."""

    def tidy(rows: Sequence[Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
        if "group" not in frame.columns:
            return frame
        if by is None:
            del frame["group"]  # in place: the frame is ours
            return frame
        return frame.rename(columns={"group": by})

    fitted = [
        paths(g.series, g.design, g.fit, alpha=st.alpha, n_sim=st.n_sim, seed=st.seed, band=st.band)
        for g in groups
    ]
    return ITSResult(
        family=st.family,
        trend=trend,
        cov_type=st.cov_type,
        band=st.band,
        slope=st.slope,
        alpha=st.alpha,
        freq=st.design_kwargs["freq"],
        time_unit=time_unit(st.design_kwargs["freq"])[1],
        by=by,
        groups=tuple(g.series.group for g in groups),
        events=specs,
        n_sim=st.n_sim,
        seed=st.seed,
        controls=() if st.controls is None else st.controls.names,
        table=tidy([r for g in groups for r in event_rows(g, st)]),
        coefficients=tidy([r for g in groups for r in coefficient_rows(g, st)]),
        fitted=tidy(pd.concat(fitted, ignore_index=True)),
        dispersion=tidy([dispersion_row(g) for g in groups]),
        controls_fit=tidy([r for g in groups for r in controls_rows(g, st)]),
        pre_fit=tidy([pre_fit_row(g) for g in groups if g.controls is not None]),
        fits={g.series.group: g.fit for g in groups},
        designs={g.series.group: g.design.frame(g.series.dates) for g in groups},
    )


def _fit_group(s: CountSeries, specs: tuple[EventSpec, ...], st: Settings) -> GroupFit:
    """Check the events, add the controls, estimate half-lives, fit the model."""
    where = "" if s.group is None else f" for group {s.group!r}"
    mine = group_specs(specs, s.group)
    warn_if_short(
        s, 30, "an interrupted time series", min_events=0 if st.family == GAUSSIAN else 10
    )
    for sp in mine:
        check_event_range(sp, s.dates, s.group, min_pre=st.min_pre)
    gc = None
    if st.controls is not None:
        first = build_design(s.dates, mine, **st.design_kwargs, exposure=s.exposure)
        gc = group_controls(
            st.controls, s, mine, first,
            family=st.family, shrinkage=st.shrinkage, alpha=st.alpha, where=where,
        )  # fmt: skip
    extra = None if gc is None else (gc.columns, gc.design_names)
    estimated = [event_term_names(mine)[k] for k in unknown_decays(mine)]
    mine, half_lives = profile_half_lives(
        s,
        mine,
        family=st.family,
        design_kwargs=st.design_kwargs,
        alpha=st.alpha,
        where=where,
        extra=extra,
    )
    design = build_design(s.dates, mine, **st.design_kwargs, exposure=s.exposure)
    if extra is not None:
        design = append_columns(design, *extra)
    fit = _fit_design(s, design, st, where=where, penalty=0.0 if gc is None else gc.penalty)
    if st.family == "poisson" and fit.pearson_dispersion > 1.5:
        warn(
            f"the counts{where} are overdispersed (Pearson dispersion "
            f"{fit.pearson_dispersion:.2f} > 1): Poisson standard errors are too small; "
            "use family='negbin' (default) or 'quasipoisson'",
            OverdispersionWarning,
        )
    fit = half_life_covariance(fit, design, s.dates, mine, estimated)
    tests = {
        term: decay_test(
            s,
            design,
            mine[k],
            design.event_cols[term],
            family=st.family,
            cov_type=st.cov_type,
            maxlags=st.maxlags,
            where=where,
            seed=st.seed,
        )
        for k, term in enumerate(event_term_names(mine))
        if term in estimated
    }
    return GroupFit(
        series=s,
        specs=mine,
        design=design,
        fit=fit,
        half_lives=half_lives,
        tests=tests,
        controls=gc,
    )


def _fit_design(
    s: CountSeries, design: Design, st: Settings, *, where: str, penalty: float
) -> CountFit:
    """Fit the design; with a penalty, ridge on the control columns (see ``_ridge``).

    A design whose maximum-likelihood estimate does not exist (an event window without
    events, no event before a step) goes to :func:`~flashpoint.models._glm.fit_counts`
    unpenalised, which handles those edges.
    """
    separable = list(design.event_cols.values())
    X, y = design.X, s.y
    edge = (
        penalty > 0
        and st.family != GAUSSIAN
        and (
            any(X[:, j].any() and not y[X[:, j] != 0].any() for j in separable)
            or bool(zero_mean_rows(y, X).any())
        )
    )
    if penalty > 0 and not edge:
        control = [j for j, name in enumerate(design.names) if name.startswith("control[")]
        weights = np.zeros(X.shape[1])
        weights[control] = penalty
        return fit_ridge(
            y, X, names=design.names, family=st.family, offset=design.offset,
            penalty=weights, cov_type=st.cov_type, maxlags=st.maxlags, where=where,
        )  # fmt: skip
    return fit_counts(
        y,
        X,
        names=design.names,
        family=st.family,
        offset=design.offset,
        cov_type=st.cov_type,
        maxlags=st.maxlags,
        where=where,
        separable=separable,
        alpha=st.alpha,
    )
