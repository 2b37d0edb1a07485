"""Register a library's package without running its ``__init__``, for libraries whose ``__init__`` imports far more than we use.

Some packages import every submodule they have in their ``__init__`` (DoWhy's
``dowhy.gcm`` and its plotting helpers, ibis's one SQL compiler per database),
while a diagnosis uses a few submodules. ``defer_package_init`` puts the package
in ``sys.modules`` from its spec, unexecuted. Its submodules then import as
usual, each set as an attribute of the package as the import system always
does; asking the package for a submodule it has not imported yet
(``from dowhy.gcm import config``, ``getattr(compilers, "duckdb")``) imports that
submodule; asking it for any other name (``dowhy.CausalModel``, ``gcm.fit``)
runs its ``__init__`` then, once, in place, and answers. So code that uses the
whole package still sees the whole package; only its cost moves to the first
use that needs it. docs/scale.md ("Imports") has the figures.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any


def defer_package_init(name: str) -> None:
    """Register package ``name`` (its parents first) unexecuted; nothing to do if it is imported already."""
    if name in sys.modules:  # imported already (by the user, or before us): nothing to save
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not installed, or not an ordinary package: its imports fail or succeed the usual way
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def __getattr__(attribute: str) -> Any:
        submodule = f"{name}.{attribute}"
        if submodule in sys.modules:  # a submodule still being imported (``import dowhy.gcm.config as c``)
            return sys.modules[submodule]
        if not attribute.startswith("__") and importlib.util.find_spec(submodule) is not None:
            return importlib.import_module(submodule)
        del package.__dict__["__getattr__"]  # the package's own names: run its __init__ once, then answer
        loader.exec_module(package)
        return getattr(package, attribute)

    package.__dict__["__getattr__"] = __getattr__
    sys.modules[name] = package
    parent, _, child = name.rpartition(".")
    if parent:  # as the import system does: ``dowhy.gcm`` is the attribute ``gcm`` of ``dowhy``
        setattr(sys.modules[parent], child, package)
