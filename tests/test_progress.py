"""progress=True shows a tqdm bar on standard error; progress=False (the default) is silent."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import flashpoint as fp


def _simulated(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame(
        {"date": pd.date_range("2024-01-01", periods=n), "count": rng.poisson(2.0, n)}
    )


CALLS: dict[str, Callable[[pd.DataFrame, bool], Any]] = {
    "placebo_test": lambda c, p: fp.placebo_test(
        c, ["2024-02-15"], family="poisson", window=14, progress=p
    ),
    "backtest": lambda c, p: fp.backtest(
        c, models=("negbin", "naive_mean"), initial=42, horizon=7, n_sim=50, seed=1, progress=p
    ),
    "fit_event_study": lambda c, p: fp.fit_event_study(
        c, ["2024-01-25", "2024-02-10"], family="poisson", trend="linear", progress=p
    ),
    "detect_changepoints": lambda c, p: fp.detect_changepoints(c, method="pelt", progress=p),
    # a kappa off the shipped table: the decision limits are computed, with a bar
    "detect_alarms": lambda c, p: fp.detect_alarms(c, kappa=2.7, progress=p),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_progress_bar_on_stderr_only_when_asked(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    counts = _simulated()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fp.FlashpointWarning)
        CALLS[name](counts, True)
        shown = capsys.readouterr()
        CALLS[name](counts, False)
        silent = capsys.readouterr()
    assert shown.out == ""
    assert "|" in shown.err  # the bar
    assert (silent.out, silent.err) == ("", "")
