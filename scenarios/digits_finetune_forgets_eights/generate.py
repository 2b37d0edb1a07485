"""A fine-tune that forgets one class: the form reader stops recognising most eights.

To "adapt to the new scanners", the team warm-started the production digit
classifier on 600 recently annotated forms with almost no regularisation. The
annotation batch happened to hold few eights (most were still in review), so
the refreshed model learned that eights are rare and now reads most of them as
other digits. Overall accuracy slips a little (the other digits even gain); the
recall of class 8 collapses. Forms, scanners and the featurisation are unchanged.
Real handwriting: scikit-learn's bundled digits (worlds_digits.py).
"""

from __future__ import annotations

from causal_rca.scenarios import worlds_digits as wd

N_ROWS = 6000
NEW_VERSION = "digits-lr-2026.03-ft"


def generate(seed: int) -> dict:
    world = wd.build_digit_world(seed)
    released = wd.fine_tune(world, 600, {8: 0.15}, NEW_VERSION)
    return {
        "training": wd.training_log(world),
        "reference": wd.serve(world, *wd.draw_scans(world, "reference", N_ROWS), "reference", wd.REFERENCE_START),
        "current": wd.serve(released, *wd.draw_scans(world, "current", N_ROWS), "current", wd.CURRENT_START),
    }
