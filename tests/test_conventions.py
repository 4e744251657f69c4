"""One spelling per idea across the public API (issue 15): checked on every signature."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import flashpoint as fp

P = inspect.Parameter


def _public_functions() -> dict[str, Callable[..., Any]]:
    return {n: getattr(fp, n) for n in fp.__all__ if inspect.isfunction(getattr(fp, n))}


FUNCTIONS = _public_functions()

GROUP_SPELLINGS = {"group", "group_col", "group_column", "groupby", "group_by"}
SEED_SPELLINGS = {"random_state", "rng", "random_seed", "seed_value", "generator"}
# data and one main argument may be positional; these take two data inputs (and an event)
MORE_POSITIONAL = {"compare_sources": 3, "plot_cumulative": 2}
# the family default is negative binomial, except where the docstring says why not
FAMILY_EXCEPTIONS = {"detect_changepoints", "fit_tally_rates"}


def test_the_public_api_is_inspected() -> None:
    assert len(FUNCTIONS) > 50
    assert {"fit_its", "count_daily", "read_events", "resample"} <= FUNCTIONS.keys()


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_signature_conventions(name: str) -> None:
    params = inspect.signature(FUNCTIONS[name]).parameters
    names = set(params)
    assert not names & GROUP_SPELLINGS, f"{name}: the group column is by="
    assert not names & SEED_SPELLINGS, f"{name}: the seed is seed="
    positional = [
        p for p in params.values() if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)
    ]
    assert len(positional) <= MORE_POSITIONAL.get(name, 2), (
        f"{name}: only the data and one main argument may be positional, "
        f"got {[p.name for p in positional]}"
    )
    if "family" in params and name not in FAMILY_EXCEPTIONS:
        assert params["family"].default == "negbin", f"{name}: the default family is negbin"
    if "alpha" in params and params["alpha"].default is not None:
        assert params["alpha"].default == 0.05, name
    if "progress" in params:
        assert params["progress"].default is False, name
        assert params["progress"].kind is P.KEYWORD_ONLY, name


@pytest.mark.parametrize("name", sorted(FAMILY_EXCEPTIONS))
def test_family_exceptions_say_why(name: str) -> None:
    assert inspect.signature(FUNCTIONS[name]).parameters["family"].default != "negbin"
    assert "Unlike the other models the default" in " ".join(
        (FUNCTIONS[name].__doc__ or "").split()
    )


def test_counting_functions_take_their_main_argument_positionally() -> None:
    simulated = pd.DataFrame({"date": pd.date_range("2023-12-20", periods=20), "count": range(20)})
    counts = simulated
    pd.testing.assert_frame_equal(fp.resample(counts, "YS"), fp.resample(counts, freq="YS"))
    pd.testing.assert_frame_equal(fp.rolling_mean(counts, 3), fp.rolling_mean(counts, window=3))
    with pytest.raises(TypeError):
        fp.resample(counts, "YS", "country")  # type: ignore[misc]


@pytest.mark.parametrize(
    "reader", [fp.read_events, fp.read_acled, fp.read_ucdp_ged, fp.read_gdelt_events]
)
def test_readers_old_group_spelling_warns(reader: Callable[..., Any]) -> None:
    """group= still works for now, with a FutureWarning naming by=; an unknown name is a
    TypeError as usual; both spellings with different values are an error."""
    frame = pd.DataFrame({"date": ["2023-11-21"], "country": ["Iraq"]})
    with pytest.raises(TypeError, match="unexpected keyword argument 'grup'"):
        reader(frame, grup="country")
    with pytest.raises(fp.FlashpointError, match="give by= only"):
        reader(frame, by="admin1", group="country")
    if reader is fp.read_events:
        with pytest.warns(FutureWarning, match=r"read_events\(group=\.\.\.\) is now spelled by="):
            old = reader(frame, group="country")
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)
            new = reader(frame, by="country")
        pd.testing.assert_frame_equal(old, new)
