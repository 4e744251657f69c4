"""Renamed arguments: the old spelling keeps working for a while, with a FutureWarning."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from flashpoint.errors import FlashpointValueError

__all__ = ["renamed"]


def renamed(
    extra: Mapping[str, Any], *, old: str, new: str, value: Any, default: Any, where: str
) -> Any:
    """Return the value of argument ``new``, accepting its old name ``old`` from ``extra``.

    ``extra`` holds the keyword arguments a function collected in ``**extra``: ``old`` is
    accepted with a :class:`FutureWarning` (attributed to the caller's line); any other name
    is the :class:`TypeError` Python raises for an unknown keyword. Both spellings with
    different values raise a :class:`~flashpoint.errors.FlashpointValueError`.
    """
    unknown = sorted(set(extra) - {old})
    if unknown:
        raise TypeError(f"{where}() got an unexpected keyword argument {unknown[0]!r}")
    if old not in extra:
        return value
    if value != default and value != extra[old]:
        raise FlashpointValueError(
            f"{where}() got {new}={value!r} and {old}={extra[old]!r}; {old}= is the old name "
            f"of {new}=: give {new}= only"
        )
    warnings.warn(
        f"{where}({old}=...) is now spelled {new}=...; {old}= will be removed in a future version",
        FutureWarning,
        stacklevel=3,
    )
    return extra[old]
