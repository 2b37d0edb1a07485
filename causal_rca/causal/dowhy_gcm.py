"""Import ``dowhy.gcm`` without running ``dowhy/__init__.py`` first.

DoWhy's package ``__init__`` imports its effect-estimation API (``CausalModel``,
the identifiers), which pulls in sympy and DoWhy's plotting helpers: about
0.6 s of a diagnosis that only uses ``dowhy.gcm`` (measured with
``python -X importtime``, DoWhy 0.14; docs/scale.md). So the package is
registered from its spec without being executed; ``dowhy.gcm`` and every other
submodule import as usual, and the first time anyone asks the package itself
for a name (``dowhy.CausalModel``, ``dowhy.__version__``) its ``__init__`` runs
then, in place. Nothing ``dowhy.gcm`` computes depends on that ``__init__``,
which only imports and adds a ``NullHandler`` to the ``dowhy`` logger (added
here too, so DoWhy's log records stay silent as before).

Import this module before any ``dowhy`` import (``causal/attribution.py`` does).
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from typing import Any


def _register_without_init() -> None:
    if "dowhy" in sys.modules:  # already imported (by the user, or before us): nothing to save
        return
    spec = importlib.util.find_spec("dowhy")
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not an ordinary package: let the import below fail or succeed the usual way
    package = importlib.util.module_from_spec(spec)

    def __getattr__(name: str) -> Any:  # the package's own names: run its __init__ once, then answer
        submodule = sys.modules.get(f"dowhy.{name}")
        if submodule is not None:  # a submodule still being imported (``import dowhy.gcm.config as c``)
            return submodule
        del package.__dict__["__getattr__"]
        spec.loader.exec_module(package)
        return getattr(package, name)

    package.__dict__["__getattr__"] = __getattr__
    sys.modules["dowhy"] = package
    logging.getLogger("dowhy").addHandler(logging.NullHandler())


_register_without_init()
