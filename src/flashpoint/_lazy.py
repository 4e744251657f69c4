"""Heavy modules loaded on first use, so that ``import flashpoint`` stays quick.

``scipy.stats`` and ``statsmodels.api`` take one to two seconds to import, more than the
rest of the package together. The model modules bind them with :func:`lazy_module`: the
real import happens the first time an attribute is read (the first model fitted), and
after that the module's names are copied into the stand-in, so later look-ups cost what
an ordinary module attribute costs.

>>> from flashpoint._lazy import lazy_module
>>> math = lazy_module("math")
>>> math.sqrt(4.0)
2.0
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy_module"]


class _LazyModule(ModuleType):
    """A module stand-in that imports the real module when an attribute is first read."""

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)
        return getattr(module, attr)


def lazy_module(name: str) -> ModuleType:
    """Return a stand-in for module ``name`` that imports it on first attribute access."""
    return _LazyModule(name)
