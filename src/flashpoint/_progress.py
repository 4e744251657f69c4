"""Progress bars for loops that can run longer than a few seconds.

Every public function with such a loop takes ``progress: bool = False``; ``True`` shows a
`tqdm.auto <https://tqdm.github.io/>`_ bar, which renders as a widget in Jupyter and as a text
bar on a terminal (written to standard error). tqdm is imported only when a bar is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


class _NoBar:
    """A bar that shows nothing (``progress=False``)."""

    def update(self, n: float = 1) -> None:
        return None

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        return None

    def close(self) -> None:
        return None

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def progress_bar(total: float | None, *, desc: str, progress: bool, unit: str = "it") -> Any:
    """Return a bar of ``total`` steps, or a silent stand-in when ``progress`` is False.

    Use it as a context manager: ``with progress_bar(n, desc="placebo", progress=progress)
    as bar: ... bar.update()``.
    """
    if not progress:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False, mininterval=0.5, dynamic_ncols=True)


def track(
    items: Iterable[T], *, desc: str, progress: bool, total: int | None = None, unit: str = "it"
) -> Iterator[T]:
    """Iterate over ``items``, showing a bar when ``progress`` is True."""
    if not progress:
        yield from items
        return
    from tqdm.auto import tqdm

    yield from tqdm(items, desc=desc, total=total, unit=unit, leave=False, mininterval=0.5)
