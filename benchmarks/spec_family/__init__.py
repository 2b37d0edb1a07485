"""A held-out family of root-cause cases written from the public specs only.

    from benchmarks.spec_family import draw_case, plan_case, EVALUATION_SEED, DEVELOPMENT_SEEDS, FAILURE_MODES
"""
from .case import Case, Truth, draw_case
from .plan import DEVELOPMENT_SEEDS, EVALUATION_SEED, FAILURE_MODES, plan_case

__all__ = ["Case", "Truth", "draw_case", "plan_case", "EVALUATION_SEED", "DEVELOPMENT_SEEDS", "FAILURE_MODES"]
