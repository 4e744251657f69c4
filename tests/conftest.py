"""Shared fixtures: small seeded frames, never built at import time."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20231122)


@pytest.fixture
def events() -> pd.DataFrame:
    """A small valid event table with raw (string) dates, as read from a CSV file."""
    return pd.DataFrame(
        {
            "event_id": ["a1", "a2", "a3", "a4", "a5"],
            "date": ["2023-11-20", "2023-11-22", "2023-11-22", "2023-11-25", "2023-11-21"],
            "country": ["Iraq", "Iraq", "Syria", "Syria", "Iraq"],
            "weapon": ["drone", "rocket", "drone", "unknown", "drone"],
            "basis": ["official", "media", "claim", "official", "monitor"],
            "fatalities": ["0", None, "1", "0", None],
        }
    )


@pytest.fixture
def simulated_events(rng: np.random.Generator) -> pd.DataFrame:
    """Seeded synthetic events (not real data): 3 groups over 60 days."""
    n = 400
    days = rng.integers(0, 60, size=n)
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"),
            "country": rng.choice(["A", "B", "C"], size=n, p=[0.5, 0.3, 0.2]),
        }
    )


def trace_dates(trace: object) -> list[pd.Timestamp]:
    """The dates of a plotly trace, whether given as ``x`` or compactly as ``x0``/``dx``."""
    x = getattr(trace, "x", None)
    if x is not None:
        return list(pd.to_datetime(x))
    n = len(trace.y)  # type: ignore[attr-defined]
    start = pd.Timestamp(trace.x0)  # type: ignore[attr-defined]
    return list(start + pd.to_timedelta(np.arange(n) * trace.dx, unit="ms"))  # type: ignore[attr-defined]
