"""Every flashpoint figure, drawn at build time (``hooks.py`` turns this into ``gallery.md``).

Each ``fig_*`` function below draws one public ``plot_*`` figure, on the bundled data where
one fits (the 2023 attacks, tallies and key events, and the Iraq 2006 events) and on seeded
simulated data, named ``simulated``, where none does. The gallery prints each function's
source above its figure, so the code shown is the code that ran. A result's ``.plot()`` draws
the same figure as its ``plot_*`` function.
"""

from __future__ import annotations

import html
import inspect
import textwrap
import warnings
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

import flashpoint as fp

# --- shared inputs (bundled data) -------------------------------------------------------


@cache
def attacks() -> pd.DataFrame:
    """Attacks on US forces in Iraq and Syria, 2023-2024 (bundled)."""
    return fp.load_attacks()


@cache
def counts() -> pd.DataFrame:
    """Daily attacks on US forces in Iraq and Syria (bundled), Jordan's single attack left out."""
    daily = fp.count_daily(attacks(), by="country", start="2023-10-17", end="2024-02-04")
    return daily[daily["country"] != "Jordan"]


@cache
def key_events() -> pd.DataFrame:
    """US strikes and the start of the Gaza truce (bundled key events)."""
    events = fp.load_key_events()
    return events[events["kind"].isin(["us_strike", "truce_start"])]


@cache
def events() -> list[fp.EventSpec]:
    """Return the KH strike (a step) and the Gaza truce (a pulse)."""
    kh = fp.EventSpec(date="2023-11-22", label="KH strike")
    truce = fp.EventSpec(date="2023-11-24", end="2023-12-01", shape="pulse", label="Gaza truce")
    return [kh, truce]


@cache
def verdict() -> fp.AssessmentResult:
    """Assess both events on the daily counts."""
    return fp.assess_event(counts(), events(), noun="attack")


@cache
def iraq2006() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily insurgent events and air operations in Iraq, 2006 (bundled), per type."""
    insurgents, air = fp.load_iraq2006()
    return fp.count_daily(insurgents, by="type"), fp.count_daily(air, by="type")


# --- one function per figure ------------------------------------------------------------


def fig_counts() -> Any:
    """Daily attacks (7-day mean) per country, US strikes and the truce marked."""
    return fp.plot_counts(fp.rolling_mean(counts(), window=7), events=key_events())


def fig_cumulative() -> Any:
    """Cumulative event rows against the official cumulative tallies."""
    daily = fp.count_daily(attacks(), by="country", start="2023-10-17")
    cum = fp.cumulative(daily, start="2023-10-17", total="total")
    rec = fp.reconcile_tallies(attacks(), fp.load_tallies(), start="2023-10-17")
    return fp.plot_cumulative(cum[cum["date"] <= "2024-02-10"], rec, events=key_events())


def fig_count_heatmap() -> Any:
    """Weekly insurgent events in Iraq, 2006, one row per event type."""
    insurgent_counts, _ = iraq2006()
    weekly = fp.resample(insurgent_counts, freq="W", by="type")
    return fp.plot_count_heatmap(weekly, by="type")


def fig_trend() -> Any:
    """Negative binomial spline trend per country: ``fit_trend(...).plot()``."""
    return fp.fit_trend(counts()).plot()


def fig_assessment() -> Any:
    """Show the verdict on the KH strike: every reading side by side (``assess_event``)."""
    return verdict().plot(event="KH strike")


def fig_its() -> Any:
    """Interrupted time series: observed, fitted and counterfactual (``fit_its``)."""
    return fp.fit_its(counts(), events()).plot()


def fig_effect_overview() -> Any:
    """Rate ratio and excess attacks per country for one event."""
    return fp.plot_effect_overview(fp.fit_its(counts(), events()), event="KH strike")


def fig_placebo() -> Any:
    """In-time placebo test of the KH strike (``placebo_test``)."""
    return fp.placebo_test(counts(), events(), target="KH strike").plot()


def fig_event_study() -> Any:
    """Iraq 2006: insurgent events on air-strike days (``fit_event_study``)."""
    insurgent_counts, air_counts = iraq2006()
    airstrikes = air_counts[(air_counts["type"] == "Airstrike") & (air_counts["count"] > 0)]
    study = fp.fit_event_study(
        insurgent_counts, airstrikes["date"].tolist(), windows=[(0, 0)], per_event=False
    )
    return study.plot()


def fig_synthetic_control() -> Any:
    """Synthetic control on SIMULATED data: 20 units, unit u0 doubled from 2023-04-01."""
    rng = np.random.default_rng(1)
    dates = pd.date_range("2023-01-01", periods=120)
    common = 4 + 2 * np.sin(np.arange(120) / 15)
    simulated = pd.concat(
        [
            pd.DataFrame(
                {
                    "date": dates,
                    "unit": f"u{k}",
                    "count": rng.poisson(common * rng.uniform(0.5, 1.5)),
                }
            )
            for k in range(20)
        ],
        ignore_index=True,
    )
    hit = (simulated["unit"] == "u0") & (simulated["date"] >= "2023-04-01")
    simulated.loc[hit, "count"] = rng.poisson(2 * simulated.loc[hit, "count"] + 1)
    return fp.fit_synthetic_control(simulated, treated="u0", event="2023-04-01").plot()


def fig_hawkes() -> Any:
    """Daily self-excitation with US strikes as exogenous events (``fit_hawkes``)."""
    strikes = fp.load_key_events().query("kind == 'us_strike'")
    return fp.fit_hawkes(counts(), exogenous=strikes).plot()


def fig_hawkes_times() -> Any:
    """Hawkes process on exact times, SIMULATED (the bundled data hold dates only)."""
    simulated_times = fp.simulate_hawkes_times(mu=0.5, branching=0.5, decay=2.0, end=400.0, seed=1)
    return fp.fit_hawkes_times(simulated_times, start=0.0, end=400.0).plot()


def fig_rt() -> Any:
    """Time-varying reproduction number per country (``estimate_rt``)."""
    return fp.estimate_rt(counts(), window=7).plot()


def fig_alarms() -> Any:
    """Negative binomial CUSUM alarms (``detect_alarms``)."""
    return fp.detect_alarms(counts(), method="nb_cusum").plot()


def fig_changepoints() -> Any:
    """Bayesian changepoints in the daily attack rate (``detect_changepoints``)."""
    return fp.detect_changepoints(counts(), family="negbin").plot(events=key_events())


def fig_forecast() -> Any:
    """Forecast 14 days from 2023-12-15 (``forecast``)."""
    history = counts()[counts()["date"] < "2023-12-15"]
    return fp.forecast(history, horizon=14, seed=0).plot()


def fig_backtest() -> Any:
    """Rolling-origin backtest of forecasting models, CRPS per horizon (``backtest``)."""
    result = fp.backtest(counts(), horizon=7, models=("negbin", "naive_mean"), n_sim=200, seed=0)
    return result.plot()


def fig_tally_fit() -> Any:
    """Attack rates estimated from the official cumulative tallies (``fit_tally_rates``)."""
    return fp.fit_tally_rates(fp.load_tallies(), events()).plot()


def fig_source_comparison() -> Any:
    """Official tallies and event rows: the same question, two sources (``compare_sources``)."""
    return fp.compare_sources(fp.load_tallies(), attacks(), events()).plot()


FIGURES: dict[str, Callable[[], Any]] = {
    "plot_counts": fig_counts,
    "plot_cumulative": fig_cumulative,
    "plot_count_heatmap": fig_count_heatmap,
    "plot_trend": fig_trend,
    "plot_assessment": fig_assessment,
    "plot_its": fig_its,
    "plot_effect_overview": fig_effect_overview,
    "plot_placebo": fig_placebo,
    "plot_event_study": fig_event_study,
    "plot_synthetic_control": fig_synthetic_control,
    "plot_hawkes": fig_hawkes,
    "plot_hawkes_times": fig_hawkes_times,
    "plot_rt": fig_rt,
    "plot_alarms": fig_alarms,
    "plot_changepoints": fig_changepoints,
    "plot_forecast": fig_forecast,
    "plot_backtest": fig_backtest,
    "plot_tally_fit": fig_tally_fit,
    "plot_source_comparison": fig_source_comparison,
}


def _section(name: str, draw: Callable[[], Any]) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fp.errors.FlashpointWarning)
        figure = draw()
    source = textwrap.dedent(inspect.getsource(draw))
    div = figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"gallery-{name}")
    return (
        f"## `{name}`\n\n{html.escape(inspect.getdoc(draw) or '')}\n\n"
        f'```python\n{source}```\n\n<div class="gallery-figure">\n{div}\n</div>\n'
    )


def markdown(plotly_js_url: str) -> str:
    """Return the gallery page: every figure with the code that drew it."""
    missing = {n for n in fp.__all__ if n.startswith("plot_")} - set(FIGURES)
    if missing:
        raise RuntimeError(f"docs/gallery.py draws no figure for {sorted(missing)}")
    intro = (
        "# Figure gallery\n\n"
        "Every `plot_*` function, drawn when the site was built from the code shown, on the\n"
        "bundled data (the 2023 attacks on US forces in Iraq and Syria, their tallies and key\n"
        "events; the Iraq 2006 events). Two figures use seeded **simulated** data, named so,\n"
        "where no bundled data fit. A result's `.plot()` draws the figure of its `plot_*`\n"
        "function. The figures are interactive (hover, zoom) and work offline.\n\n"
        f'<script src="{plotly_js_url}"></script>\n\n'
        "Shared inputs used below:\n\n"
        f"```python\n{inspect.getsource(counts)}\n{inspect.getsource(key_events)}\n"
        f"{inspect.getsource(events)}\n{inspect.getsource(verdict)}\n"
        f"{inspect.getsource(iraq2006)}```\n\n"
    )
    return intro + "\n".join(_section(name, draw) for name, draw in FIGURES.items())
