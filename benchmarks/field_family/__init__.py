"""The field family: held-out benchmark cases with benign background change beside one fault.

Written from the public contract only (spec/lineage.md, spec/diagnosis.md and the user
docs); see docs/field-family.md. It never imports the engine.

    from benchmarks.field_family import draw_case, plan_case, EVALUATION_SEED
    case = draw_case(EVALUATION_SEED + 3)
"""

from .case import Case, Truth, draw_case
from .plan import (DEVELOPMENT_SEEDS, EVALUATION_CASES, EVALUATION_SEED, FAILURE_MODES, KINDS,
                   METRICS, MODE_NODE_KINDS, plan_case)

EVALUATION_SEEDS = range(EVALUATION_SEED, EVALUATION_SEED + EVALUATION_CASES)

__all__ = [
    "Case", "Truth", "draw_case", "plan_case", "EVALUATION_SEED", "EVALUATION_SEEDS",
    "EVALUATION_CASES", "DEVELOPMENT_SEEDS", "FAILURE_MODES", "KINDS", "METRICS", "MODE_NODE_KINDS",
]
