"""Golden-set check: does the model still score a trusted labelled set as well as it did?

A golden set is labelled data the team trusts and that does not change
between windows. If the artifact's metric on it matches the reference
window's, the model is cleared: whatever broke, it was not the model. If it
drops (a new version, a wrong artifact, a bad fine-tune), the model's own
behaviour changed: that is the evidence for ``model_change``.

The comparison assumes the golden set is drawn like the reference window
(the same population); a golden set of hard cases would look like a drop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.diagnosis.findings import GoldenCheck
from causal_rca.metrics import MetricSpec, compare_windows, metric_frame


def golden_check(spec: MetricSpec, reference_frame: pd.DataFrame, golden_scores: np.ndarray,
                 golden_labels: pd.Series, observed_change: float, seed: int) -> GoldenCheck:
    """The artifact's metric on the golden set against the reference window's logged metric."""
    golden = metric_frame(spec, pd.Series(golden_scores, index=golden_labels.index), golden_labels)
    cmp = compare_windows(spec, reference_frame, golden, seed)
    worse = (cmp.change < 0) == spec.higher_is_better
    dropped = cmp.significant and worse
    # Cleared: the interval of the golden change excludes a change as large as the observed one.
    lo, hi = cmp.change_ci
    cleared = not dropped and not (lo <= observed_change <= hi) and abs(cmp.change) < abs(observed_change) / 2
    return GoldenCheck(rows=int(len(golden)), value=cmp.current.value, ci=cmp.current.ci, reference=cmp.reference.value,
                       change=cmp.change, change_ci=cmp.change_ci, p_value=cmp.p_value, dropped=bool(dropped),
                       cleared=bool(cleared))
