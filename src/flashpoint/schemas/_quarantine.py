"""The result of validation that sets failing rows aside (no pandera needed to hold it)."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

__all__ = ["Quarantine"]


class Quarantine(NamedTuple):
    """Result of validation with ``on_error="quarantine"``.

    Attributes
    ----------
    valid : pandas.DataFrame
        Rows that passed every check, converted to the schema's dtypes.
    rejected : pandas.DataFrame
        Rows that failed, exactly as given, plus a ``reason`` column listing every failure
        of that row (separated by ``"; "``). ``len(valid) + len(rejected)`` equals the
        number of input rows and the original index labels are kept.
    """

    valid: pd.DataFrame
    rejected: pd.DataFrame
