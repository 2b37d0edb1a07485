"""Blind, held-out benchmark cases for causal root-cause analysis, written
from the public specs only (spec/lineage.md, spec/diagnosis.md) and never
from the engine.  See docs/blind-family.md.

    from benchmarks.blind_family import draw_case, EVALUATION_SEED
    case = draw_case(EVALUATION_SEED + 7)
    case.graph, case.reference, case.current, case.metric, case.truth, case.info
"""
from .case import Case, Truth, draw_case
from .constants import DEVELOPMENT_SEEDS, EVALUATION_SEED, FAILURE_MODES
from .plan import Plan, plan_case

__all__ = ["Case", "Truth", "draw_case", "plan_case", "Plan", "EVALUATION_SEED",
           "DEVELOPMENT_SEEDS", "FAILURE_MODES"]
