"""Out of distribution: applicants with under two years of credit history are scored for the first time.

Until the current window, lending policy declined applications whose bureau
file was younger than 24 months before they reached the model, so the model
never saw one. A "first loan" campaign for newcomers and young borrowers came
with a policy change: thin files are now scored like everyone else, and they
make up more than a quarter of the current applications. Their files are 0 to
23 months old, outside anything in training; their bureau scores carry little
information and their risk is much higher than the model extrapolates from the
thinnest files it knew. Everything else (features, model, default process) is
unchanged.
"""

from __future__ import annotations

import pandas as pd

from causal_rca.scenarios import worlds_credit as wc

N_ROWS = 20000


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wc.build_credit_world(seed)
    ref, ref_y = wc.draw_credit_window(world, "reference", N_ROWS, start=wc.REFERENCE_START)
    cur, cur_y = wc.draw_credit_window(world, "current", N_ROWS, start=wc.CURRENT_START,
                                       min_history_months=0, newcomer_share=0.25)
    return {
        "training": world.training,
        "reference": world.serve(ref, ref_y, id_prefix="ref"),
        "current": world.serve(cur, cur_y, id_prefix="cur"),
    }
