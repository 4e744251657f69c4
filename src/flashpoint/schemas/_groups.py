"""The group column of an event table: one check of its name, one near-duplicate warning.

Every layer that takes a group column (``by=`` in validation, counting and out-of-core
counting, ``group=`` in the source readers) checks it here, so the rule and its message
exist once.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from flashpoint.errors import DataQualityWarning, FlashpointTypeError, warn
from flashpoint.schemas._dates import near_duplicate_labels


def check_group_name(by: Any, *, argument: str = "by", optional: bool = True) -> None:
    """Raise unless ``by`` names a column (a string), or is ``None`` when ``optional``."""
    if by is None and optional:
        return
    if not isinstance(by, str):
        allowed = " or None" if optional else ""
        raise FlashpointTypeError(
            f"{argument} must be the name of the group column (a string){allowed}; got {by!r}"
        )


def key_columns(date: str, by: str | None) -> list[str]:
    """Return the key columns of an event table: its date column, then any group column."""
    return [date] if by is None else [date, by]


def warn_near_duplicates(values: pd.Series, by: str, *, fix: str) -> None:
    """Warn when group labels differ only in case or spaces; ``fix`` says how to merge them."""
    sets = near_duplicate_labels(values)
    if sets:
        shown = "; ".join(", ".join(repr(v) for v in labels) for labels in sets[:5])
        warn(
            f"group labels in '{by}' that differ only in case or spaces are counted as "
            f"different groups: {shown}. If they are one group, fix the labels or {fix}",
            DataQualityWarning,
        )
