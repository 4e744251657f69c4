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
