"""Resource limits: the memory budget of one call.

Functions whose output size is known before it is built (a zero-filled calendar, a wide
table, spreading multi-day events over their days) estimate it first and raise
:class:`~flashpoint.errors.MemoryBudgetError`, naming the size and the argument that
reduces it, instead of allocating more than the machine can give. The budget is half the
memory available when the call starts; set :data:`MAX_BYTES` to change it::

    import flashpoint.limits
    flashpoint.limits.MAX_BYTES = 2 * 1024**3  # 2 GiB

This is also how the tests check the guards without allocating gigabytes.
"""

from __future__ import annotations

import os
from pathlib import Path

from flashpoint.errors import MemoryBudgetError

__all__ = ["CHUNK_BYTES", "MAX_BYTES", "check_memory", "chunk_size", "memory_budget"]

MAX_BYTES: int | None = None
"""Memory budget of one call in bytes; ``None``: half the memory available at the call."""

CHUNK_BYTES = 1 << 30
"""Working memory of one chunk of a step that runs in chunks (1 GiB, or the budget if less)."""


def memory_budget() -> int:
    """Bytes one call may allocate: :data:`MAX_BYTES`, else half the available memory."""
    if MAX_BYTES is not None:
        return int(MAX_BYTES)
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024 // 2
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not POSIX
        return 4 * 1024**3


def _size(n_bytes: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{int(n_bytes)} bytes"


def check_memory(n_bytes: float, what: str, fix: str) -> None:
    """Raise :class:`MemoryBudgetError` when ``n_bytes`` exceeds :func:`memory_budget`.

    ``what`` names what would be built (with its size in rows), ``fix`` the arguments that
    make it smaller.
    """
    budget = memory_budget()
    if n_bytes > budget:
        source = (
            "flashpoint.limits.MAX_BYTES"
            if MAX_BYTES is not None
            else "half the memory available; set flashpoint.limits.MAX_BYTES to change it"
        )
        raise MemoryBudgetError(
            f"{what} needs about {_size(n_bytes)}, more than the memory budget of "
            f"{_size(budget)} ({source}). {fix[:1].upper()}{fix[1:]}"
        )


def chunk_size(bytes_per_item: float, n_items: int, *, minimum: int = 1) -> int:
    """Items per chunk so that one chunk needs at most ``min(CHUNK_BYTES, memory_budget())``.

    Examples
    --------
    >>> chunk_size(1000.0, 10**9) <= CHUNK_BYTES // 1000
    True
    >>> chunk_size(1000.0, 5)
    5
    """
    per = int(min(CHUNK_BYTES, memory_budget()) // max(bytes_per_item, 1.0))
    return max(minimum, min(n_items, per))
