"""Control: a quiet month for the form reader; both windows come from the same scanning process.

Same forms, scanners, featurisation and model in both windows (real handwriting:
scikit-learn's bundled digits, worlds_digits.py). Any move of macro-F1 is
sampling noise: an engine that reports a significant drop with a cause raises a
false alarm.
"""

from __future__ import annotations

from causal_rca.scenarios import worlds_digits as wd

N_ROWS = 6000


def generate(seed: int) -> dict:
    world = wd.build_digit_world(seed)
    return {
        "training": wd.training_log(world),
        "reference": wd.serve(world, *wd.draw_scans(world, "reference", N_ROWS), "reference", wd.REFERENCE_START),
        "current": wd.serve(world, *wd.draw_scans(world, "current", N_ROWS), "current", wd.CURRENT_START),
    }
