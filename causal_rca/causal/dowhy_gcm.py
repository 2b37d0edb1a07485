"""Import the few ``dowhy.gcm`` modules the attribution uses without DoWhy's package ``__init__`` files.

Four of DoWhy's package ``__init__`` files import far more than their submodules need:

- ``dowhy`` imports its effect-estimation API (``CausalModel``, the identifiers):
  sympy and statsmodels' formula layer;
- ``dowhy.gcm`` imports every gcm module: ``gcm.auto``, the anomaly scorers
  (``statsmodels.robust``), the independence tests, the equation parser;
- ``dowhy.gcm.util`` and ``dowhy.utils`` import their plotting helpers, and with
  them ``matplotlib.pyplot`` (about 0.55 s alone), which the causal mechanisms
  reach through ``gcm.util.general`` and ``dowhy.graph``.

Measured with ``python -X importtime`` (DoWhy 0.14, docs/scale.md): ``dowhy.gcm``
took 0.65 s of a 15-node diagnosis this way, against about 0.1 s for the
modules it uses. So these packages are registered from their specs without
being executed. Their submodules import as usual (``dowhy.gcm.shapley``,
``dowhy.gcm.causal_models``, ...) and the attribute a submodule's import sets on
its package is there as always; the first time anyone asks a package for a
name that is not a submodule (``dowhy.CausalModel``, ``gcm.fit``,
``dowhy.utils.plot``), its ``__init__`` runs then, in place, and answers. Nothing
the attribution computes depends on these ``__init__`` files: they only import
(``dowhy``'s also adds a ``NullHandler`` to the ``dowhy`` logger, added here too,
so DoWhy's log records stay silent as before).

Import this module before any ``dowhy`` import (``causal/attribution.py`` and
``causal/class_outputs.py`` do), and import gcm's names from the modules that
define them (``from dowhy.gcm.causal_models import ...``), not from ``dowhy.gcm``.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from typing import Any

# parents first: a package's spec is found through its parent's search path
DEFERRED_PACKAGES = ("dowhy", "dowhy.utils", "dowhy.gcm", "dowhy.gcm.util")


def _register_without_init(name: str) -> None:
    if name in sys.modules:  # already imported (by the user, or before us): nothing to save
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not an ordinary package: let the imports fail or succeed the usual way
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def __getattr__(attribute: str) -> Any:
        submodule = f"{name}.{attribute}"
        if submodule in sys.modules:  # a submodule still being imported (``import dowhy.gcm.config as c``)
            return sys.modules[submodule]
        if not attribute.startswith("__") and importlib.util.find_spec(submodule) is not None:
            return importlib.import_module(submodule)  # ``from dowhy.gcm import config``: no need for __init__
        del package.__dict__["__getattr__"]  # the package's own names: run its __init__ once, then answer
        loader.exec_module(package)
        return getattr(package, attribute)

    package.__dict__["__getattr__"] = __getattr__
    sys.modules[name] = package
    parent, _, child = name.rpartition(".")
    if parent:  # as the import system does: ``dowhy.gcm`` is an attribute of ``dowhy``
        setattr(sys.modules[parent], child, package)


def _register_all() -> None:
    if "dowhy" not in sys.modules:
        logging.getLogger("dowhy").addHandler(logging.NullHandler())
    for name in DEFERRED_PACKAGES:
        _register_without_init(name)


_register_all()
