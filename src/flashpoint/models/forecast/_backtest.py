"""Rolling-origin evaluation of count forecasts with proper scores: :func:`backtest`."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import pandas as pd

from flashpoint._progress import track
from flashpoint.errors import FlashpointValueError
from flashpoint.models._base import CountSeries, ResultMixin, check_choice
from flashpoint.models._levels import fixed_level
from flashpoint.models.forecast._auto import _Forecaster, option_values, prepare, seed_field
from flashpoint.models.forecast._models import MODELS, _stack
from flashpoint.models.forecast._predictive import _Predictive, day_stats
from flashpoint.schemas import COUNT, DATE

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["BacktestResult", "backtest"]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class BacktestResult(ResultMixin):
    """Rolling-origin evaluation of forecasts with proper scores.

    Attributes
    ----------
    alpha, by, groups, models, baseline, score, horizon, initial, step, n_sim, seed
        The inputs that matter.
    origins
        The forecast origins (last day of each training window).
    scores
        One row per origin, model, group and day ahead: ``origin``, ``date``, group column,
        ``model``, ``horizon`` (days ahead), ``count`` (observed), ``mean`` (predicted
        events per day), ``crps`` (events), ``log_score`` (nats), ``covered`` (observed
        count inside the prediction interval), ``pit`` (randomised probability integral
        transform: uniform on [0, 1] when the forecasts are calibrated; Czado, Gneiting &
        Held 2009).
    selection
        The choices of ``"auto"``: one row per origin, group and candidate model:
        ``origin``, group column, ``model``, ``crps`` (its mean CRPS in the inner backtest
        on the days before the origin), ``n_windows``, ``weight`` (in the forecast from
        that origin). Empty when ``"auto"`` is not among the models.
    """

    alpha: float
    by: str | None
    groups: tuple[Hashable | None, ...]
    models: tuple[str, ...]
    baseline: str
    score: str
    horizon: int
    initial: int
    step: int
    n_sim: int
    seed: int | None
    origins: tuple[pd.Timestamp, ...]
    scores: pd.DataFrame = field(compare=False)
    selection: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)

    def summary(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per model: mean score, its standard error, skill and coverage.

        Columns: ``model``, ``score`` (``"crps"`` or ``"log"``), ``mean_score`` (lower is
        better; CRPS in events, log score in nats), ``std_err`` (across origins),
        ``skill`` (``1 - mean_score / mean_score of the baseline``; > 0 beats it),
        ``coverage`` (share of observed counts inside the prediction intervals),
        ``conf_level``, ``n_forecasts`` (scored days x groups), ``n_origins``.

        Parameters
        ----------
        alpha
            Only the fit's level (``None`` or its ``alpha``): its intervals cannot be
            recomputed at another; refit with ``alpha=`` for another level.
        """
        fixed_level(
            self.alpha, alpha, what="this backtest", kind="simulated prediction (its coverage)"
        )
        col = "crps" if self.score == "crps" else "log_score"
        rows = []
        for model in self.models:
            s = self.scores[self.scores["model"] == model]
            per_origin = s.groupby("origin")[col].mean()
            rows.append(
                {
                    "model": model,
                    "score": self.score,
                    "mean_score": float(s[col].mean()),
                    "std_err": float(per_origin.std(ddof=1) / np.sqrt(len(per_origin)))
                    if len(per_origin) > 1
                    else np.nan,
                    "coverage": float(s["covered"].mean()),
                    "conf_level": self.conf_level,
                    "n_forecasts": len(s),
                    "n_origins": int(per_origin.size),
                }
            )
        out = pd.DataFrame(rows)
        base = out.loc[out["model"] == self.baseline, "mean_score"]
        ref = float(base.iloc[0]) if len(base) else np.nan
        out.insert(4, "skill", 1.0 - out["mean_score"] / ref)
        return out

    def _headline(self) -> str:
        s = self.summary().sort_values("mean_score")
        best = s.iloc[0]
        return (
            f"{len(self.origins)} origins x {self.horizon} days, {self.score} score; best "
            f"{best['model']} ({best['mean_score']:.3f}, skill {best['skill']:+.1%} vs "
            f"{self.baseline})"
        )

    def plot(self) -> go.Figure:
        """Mean score by days ahead, one line per model."""
        return self._draw()


def backtest(
    counts: pd.DataFrame,
    *,
    horizon: int = 14,
    initial: int | None = None,
    step: int = 7,
    models: Sequence[str] = ("auto", "hawkes", "negbin", "naive_mean", "seasonal_naive"),
    baseline: str = "naive_mean",
    score: Literal["crps", "log"] = "crps",
    by: str | None = None,
    n_sim: int = 500,
    seed: int | np.random.Generator | None = None,
    alpha: float = 0.05,
    window: int = 28,
    season: int = 7,
    multivariate: bool = False,
    exogenous: Any = None,
    max_lag: int = 21,
    family: Literal["negbin", "poisson"] = "negbin",
    progress: bool = False,
) -> BacktestResult:
    """Rolling-origin backtest of count forecasts with proper scores.

    Parameters
    ----------
    counts
        Tidy daily counts (``date``, optional group column, ``count``), every group on the
        same calendar.
    horizon
        Days ahead scored at each origin.
    initial
        Days in the first training window (default: half the series, at least
        ``2 * max_lag``).
    step
        Days between origins.
    models
        Models to compare (see :func:`forecast`; ``"auto"`` is the default forecast).
    baseline
        Reference model of the skill score (must be in ``models``).
    score
        Score of the summary: ``"crps"`` (continuous ranked probability score, exact for
        count distributions) or ``"log"`` (negative log predictive probability). Both are
        kept in ``scores``.
    by, n_sim, seed, alpha, window, season, multivariate, exogenous, max_lag, family
        As in :func:`forecast`.
    progress
        Show a progress bar over the origins (``tqdm.auto``, when installed).

    Returns
    -------
    BacktestResult
        ``summary()`` has one row per model; ``scores`` one row per forecast day;
        ``selection`` the choices of ``"auto"`` at each origin.

    Raises
    ------
    FlashpointValueError
        On bad options, a series too short for one origin, or a ``window`` / ``season``
        longer than the series.

    See Also
    --------
    forecast : One forecast.

    Notes
    -----
    Each origin ``o = initial, initial + step, ...`` (while ``o + horizon`` days exist) fits
    every model on days ``1..o`` and forecasts days ``o+1..o+horizon`` (Tashman 2000).
    ``"auto"`` chooses its model inside each training window exactly as :func:`forecast`
    does on the whole series (its inner backtest uses days ``1..o`` only; the models it
    refits at the inner origins are the ones scored at earlier origins, fitted once).
    Exogenous events after the origin are unknown at the origin and left out.
    CRPS is computed exactly from the predictive probabilities,
    ``CRPS(F, y) = sum_k (F(k) - 1{y <= k})**2`` (Gneiting & Raftery 2007; Czado, Gneiting
    & Held 2009); the log score is ``-log p(y)``. Both are negatively oriented (lower is
    better). Skill is ``1 - S_model / S_baseline``.

    Examples
    --------
    >>> from flashpoint.models.hawkes import simulate_hawkes_counts
    >>> from flashpoint.models.forecast import backtest
    >>> simulated = simulate_hawkes_counts(200, background=0.6, branching_ratio=0.5, seed=4)
    >>> bt = backtest(simulated, horizon=7, initial=150, step=14, n_sim=200, seed=1,
    ...               models=("auto", "negbin", "naive_mean"))
    >>> bt.summary()[["model", "n_forecasts", "n_origins"]]
            model  n_forecasts  n_origins
    0        auto           28          4
    1      negbin           28          4
    2  naive_mean           28          4
    """
    models = _check_backtest_options(models, baseline, score, step)
    by, series, fc = prepare(
        counts,
        models=models,
        options={**option_values(locals()), "parameter_uncertainty": False},
        seed=seed,
        exogenous=exogenous,
        split={
            "by": by,
            "drop_all_zero": True,
            "what": "a backtest",
            "zero_fix": "there is nothing to score (pass counts with events)",
        },
    )
    alpha, n = float(alpha), series[0].n
    init = max(n // 2, 2 * max_lag) if initial is None else int(initial)
    if init < 2 * max_lag or init + horizon > n:
        raise FlashpointValueError(
            f"initial={init} leaves no origin: need 2 * max_lag ({2 * max_lag}) <= initial "
            f"<= n_days - horizon ({n} - {horizon}); lower max_lag= or horizon=, or use a "
            "longer series"
        )
    origins = list(range(init, n - horizon + 1, step))
    scores, selection = _run_origins(fc, origins, models, alpha=alpha, progress=progress)
    return BacktestResult(
        alpha=alpha,
        by=by,
        groups=tuple(s.group for s in series),
        models=models,
        baseline=baseline,
        score=score,
        horizon=int(horizon),
        initial=init,
        step=int(step),
        n_sim=int(n_sim),
        seed=seed_field(seed),
        origins=tuple(series[0].dates[o - 1] for o in origins),
        scores=_stack(scores, by),
        selection=_stack(selection, by) if selection else pd.DataFrame(),
    )


def _check_backtest_options(
    models: Sequence[str], baseline: str, score: str, step: int
) -> tuple[str, ...]:
    check_choice("score", score, ("crps", "log"))
    models = tuple(models)
    if not models:
        raise FlashpointValueError("models must name at least one model")
    for m in models:
        check_choice("model", m, MODELS)
    if baseline not in models:
        raise FlashpointValueError(
            f"baseline {baseline!r} is not among models {models}; add it to models"
        )
    if isinstance(step, bool) or not isinstance(step, int | np.integer) or step < 1:
        raise FlashpointValueError(f"step must be an integer >= 1, got {step!r}")
    return models


def _run_origins(
    fc: _Forecaster, origins: list[int], models: tuple[str, ...], *, alpha: float, progress: bool
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Forecast from every origin with every model; score rows and ``auto`` selections."""
    rows, selection = [], []
    for k, o in enumerate(track(origins, desc="backtest origins", progress=progress)):
        for model in models:
            preds: list[_Predictive | None]
            if model == "auto":
                laws, chosen = fc.auto(o)
                preds = list(laws)
                selection.append(pd.DataFrame(chosen).assign(origin=fc.series[0].dates[o - 1]))
            else:
                preds = fc.candidate(o, model)
            for s, p in zip(fc.series, preds, strict=True):
                if p is None:
                    raise FlashpointValueError(
                        f"model {model!r} cannot be fitted to the {o} days before origin "
                        f"{s.dates[o - 1].date()} in group {s.group!r} (no events yet); "
                        "raise initial= or leave the model out"
                    )
                rows.append(_score_frame(s, p, o, model, fc.horizon, alpha, fc.rng))
        if k + 1 < len(origins):  # laws the later origins will not need again
            fc.forget_before(min(fc.inner_origins(origins[k + 1]), default=origins[k + 1]))
    return rows, [f[["origin", *f.columns.drop("origin")]] for f in selection]


def _score_frame(
    s: CountSeries,
    p: _Predictive,
    o: int,
    model: str,
    horizon: int,
    alpha: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Scores of one forecast of one group: one row per day ahead."""
    y = s.y[o : o + horizon]
    st = day_stats(p, alpha=alpha, y=y)
    f_y, f_below = cast(np.ndarray, st.f_y), cast(np.ndarray, st.f_below)
    pit = f_below + rng.uniform(size=horizon) * (f_y - f_below)
    return pd.DataFrame(
        {
            "origin": s.dates[o - 1],
            DATE: s.dates[o : o + horizon],
            "group": s.group,
            "model": model,
            "horizon": np.arange(1, horizon + 1),
            COUNT: y,
            "mean": p.mean(),
            "crps": st.crps,
            "log_score": p.log_score(y),
            "covered": (y >= st.lower) & (y <= st.upper),
            "pit": pit,
        }
    )
