"""An optional progress bar: ``tqdm.auto`` when installed, nothing otherwise."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = ["progress_bar"]


class Progress(Protocol):
    """Called with ``(done, total)`` of the current group's fits."""

    def __call__(self, done: int, total: int) -> None: ...


@contextmanager
def progress_bar(enabled: bool, description: str) -> Iterator[Progress | None]:
    """Yield a ``(done, total)`` callback drawing a tqdm bar, or ``None``.

    tqdm is not a dependency of flashpoint: without it (or with ``enabled=False``) there
    is no bar and no output.
    """
    if not enabled:
        yield None
        return
    try:
        tqdm = importlib.import_module("tqdm.auto").tqdm
    except ImportError:
        yield None
        return
    bars: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        bar = bars.get("bar")
        if bar is None or bar.total != total or done < bar.n:
            if bar is not None:
                bar.close()
            bar = bars["bar"] = tqdm(total=total, desc=description, unit="fit")
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if "bar" in bars:
            bars["bar"].close()
