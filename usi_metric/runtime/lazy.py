"""Lazy package attributes (PEP 562): a package names what it exports without importing it.

``usi`` must start without numpy and the featurizer (``import usi_metric.cli`` builds the
parser only); the package's public names still work as ``from usi_metric import X``, which
imports X's module on first use.

>>> getattr_, dir_ = lazy_exports("no_such_package", {"math": ("pi",)})
>>> round(getattr_("pi"), 2), dir_()
(3.14, ['pi'])
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, Iterable[str]]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for a package whose names live in other modules:
    ``exports`` is ``{module: (name, ...)}``; a name is imported from its module the first
    time it is asked for, then kept as an ordinary attribute of the package."""
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:  # the PEP 562 hook
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        if package in sys.modules:
            setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:  # the PEP 562 hook
        own = vars(sys.modules[package]) if package in sys.modules else {}
        return sorted({*own, *where})

    return __getattr__, __dir__
