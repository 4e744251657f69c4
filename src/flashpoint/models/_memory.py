"""Working-memory budget of the model code: estimate before allocating, chunk or refuse.

Array-heavy steps (predictive probability grids, rolling baseline windows, simulated paths)
estimate the bytes they need first. Steps that can be split run in chunks that fit
:data:`MEMORY_BUDGET`; a step whose *result* alone would not fit raises a
:class:`~flashpoint.errors.FlashpointValueError` naming the size and the option that
reduces it, instead of a NumPy ``MemoryError`` (or the operating system killing Python).

The budget is a module attribute so that tests can lower it::

    monkeypatch.setattr(flashpoint.models._memory, "MEMORY_BUDGET", 10_000)
"""

from __future__ import annotations

from flashpoint.errors import FlashpointValueError

__all__ = ["MEMORY_BUDGET", "check_memory", "chunk_size", "format_bytes"]

MEMORY_BUDGET = 1 << 30
"""Bytes one array-heavy step may allocate at once (1 GiB)."""


def format_bytes(n: float) -> str:
    """Human-readable size: ``format_bytes(3e9) == '2.8 GiB'``.

    Examples
    --------
    >>> format_bytes(3e9)
    '2.8 GiB'
    >>> format_bytes(512)
    '512 B'
    """
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"  # pragma: no cover - unreachable


def check_memory(nbytes: float, *, what: str, fix: str) -> None:
    """Raise a clear error when ``nbytes`` exceed :data:`MEMORY_BUDGET`.

    Parameters
    ----------
    nbytes
        Estimated bytes of the allocation.
    what
        What would be allocated, with its shape (e.g. ``"the predictive probabilities of
        100000 days x 35 counts"``).
    fix
        The option(s) that reduce it (e.g. ``"lower horizon="``).

    Raises
    ------
    FlashpointValueError
        When the estimate exceeds the budget.
    """
    if nbytes > MEMORY_BUDGET:
        raise FlashpointValueError(
            f"{what} would need about {format_bytes(nbytes)} of memory, more than the "
            f"{format_bytes(MEMORY_BUDGET)} budget (flashpoint.models._memory.MEMORY_BUDGET); "
            f"{fix}"
        )


def chunk_size(bytes_per_item: float, n_items: int, *, minimum: int = 1) -> int:
    """Items per chunk so that one chunk needs at most :data:`MEMORY_BUDGET` bytes.

    Examples
    --------
    >>> chunk_size(1000.0, 10**9) == MEMORY_BUDGET // 1000
    True
    """
    per = int(MEMORY_BUDGET // max(bytes_per_item, 1.0))
    return max(minimum, min(n_items, per))
