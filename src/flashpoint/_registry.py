"""How results are drawn: the plotting layer registers a figure per result type.

Results hold data and never import the plotting layer (it sits above the models). The package
root hands this registry a loader that imports :mod:`flashpoint.plots` the first time a
result is drawn; importing the plots registers every result type's figure. This module sits
at the bottom of the layers so that the root can set the loader without importing the models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flashpoint.errors import FlashpointError

__all__ = ["register_plot", "set_plot_loader"]

_PLOTTERS: dict[type, Callable[..., Any]] = {}
_PLOT_LOADER: list[Callable[[], object]] = []


def register_plot(result_type: type, draw: Callable[..., Any]) -> None:
    """Make ``result_type.plot()`` draw with ``draw(result, **options)``.

    Called by :mod:`flashpoint.plots` for every result type it knows how to draw.
    """
    _PLOTTERS[result_type] = draw


def set_plot_loader(loader: Callable[[], object]) -> None:
    """Register the callable that loads the plotting layer (called by the package root)."""
    _PLOT_LOADER[:] = [loader]


def _plotter(result_type: type) -> Callable[..., Any]:
    if result_type not in _PLOTTERS:
        for load in _PLOT_LOADER:
            load()
    try:
        return _PLOTTERS[result_type]
    except KeyError:
        raise FlashpointError(
            f"no figure is registered for {result_type.__name__}; import flashpoint.plots "
            "(it registers the figures of every result type)"
        ) from None
