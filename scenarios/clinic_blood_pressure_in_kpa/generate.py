"""A regression's input changes units: blood pressure arrives in kPa instead of mmHg.

The clinic moved to a new health-record integration at the start of the month;
it sends mean arterial pressure in kilopascals (mmHg / 7.50062). The model,
fitted on mmHg, reads a pressure of 12 as dangerously low and predicts far less
progression than it should. Real patients: scikit-learn's bundled diabetes data
(worlds_clinic.py).
"""

from __future__ import annotations

from causal_rca.scenarios import worlds_clinic as wcl

N_ROWS = 6000
MMHG_PER_KPA = 7.50062


def generate(seed: int) -> dict:
    world = wcl.build_clinic_world(seed)
    ref, cur = wcl.draw_visits(world, "reference", N_ROWS), wcl.draw_visits(world, "current", N_ROWS)
    served = cur.assign(bp=(cur["bp"] / MMHG_PER_KPA).round(2))
    return {"training": wcl.training_log(world),
            "reference": wcl.serve(world, ref, ref, "reference", wcl.REFERENCE_START),
            "current": wcl.serve(world, served, cur, "current", wcl.CURRENT_START)}
