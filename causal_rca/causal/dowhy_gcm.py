"""Import the few ``dowhy.gcm`` modules the attribution uses without DoWhy's package ``__init__`` files.

Four of DoWhy's package ``__init__`` files import far more than the attribution needs:

- ``dowhy`` imports its effect-estimation API (``CausalModel``, the identifiers):
  sympy and statsmodels' formula layer;
- ``dowhy.gcm`` imports every gcm module: ``gcm.auto``, the anomaly scorers
  (``statsmodels.robust``), the independence tests, the equation parser;
- ``dowhy.gcm.util`` and ``dowhy.utils`` import their plotting helpers, and with
  them ``matplotlib.pyplot`` (about 0.55 s alone), which the causal mechanisms
  reach through ``gcm.util.general`` and ``dowhy.graph``.

So these four are registered unexecuted (``package_init.defer_package_init``):
the modules the attribution imports (``causal_models``, ``causal_mechanisms``,
``stochastic_models``, ``fitting_sampling``, ``shapley``, ``config``,
``dowhy.graph``) run as they are, and anyone who asks for ``dowhy.CausalModel``
or ``gcm.fit`` gets them. Nothing the attribution computes depends on these
``__init__`` files: they only import (``dowhy``'s also adds a ``NullHandler`` to
the ``dowhy`` logger, added here too, so DoWhy's log records stay silent as
before).

Import this module before any ``dowhy`` import (``causal/attribution.py`` and
``causal/class_outputs.py`` do), and import gcm's names from the modules that
define them (``from dowhy.gcm.causal_models import ...``), not from ``dowhy.gcm``.
"""

from __future__ import annotations

import logging
import sys

from causal_rca.package_init import defer_package_init

# parents first: a subpackage is found through its parent's search path
DEFERRED = ("dowhy", "dowhy.utils", "dowhy.gcm", "dowhy.gcm.util")

if "dowhy" not in sys.modules:
    logging.getLogger("dowhy").addHandler(logging.NullHandler())
for _package in DEFERRED:
    defer_package_init(_package)
