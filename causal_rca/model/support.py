"""Inputs outside what the model was trained on.

A model answers anywhere, but only means something near the rows it learned
from. A current row is *outside* when its combination of model inputs has no
near neighbours among training rows (the engine's own k-nearest-neighbour
support test, compared with the local density like LOF) or one input lies
outside the range the training data covered. The share is compared with the
share of held-out reference rows that test outside, which is the test's own
false-alarm rate; what exceeds it is the evidence for ``out_of_distribution``,
reported per input (which input left the support) and per segment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.causal.encoding import encode_windows, joint_support_mask, support_mask

MAX_ROWS = 5000


def _outside(train: pd.DataFrame, rows: pd.DataFrame, inputs: tuple[str, ...], dtypes: dict[str, str],
             seed: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    sub = {n: dtypes[n] for n in inputs}
    enc = encode_windows(train[list(inputs)], rows[list(inputs)], sub)
    categorical = np.array([n in enc.categorical for n in inputs])
    per_input = {n: ~support_mask(enc.reference[n].to_numpy(float), enc.current[n].to_numpy(float),
                                  n in enc.categorical) for n in inputs}
    joint = ~joint_support_mask(enc.reference[list(inputs)].to_numpy(float), enc.current[list(inputs)].to_numpy(float),
                                categorical, seed)
    any_input = np.any(np.column_stack(list(per_input.values())), axis=1) if per_input else np.zeros(len(rows), bool)
    return joint | any_input, per_input


def support_report(training: pd.DataFrame, reference: pd.DataFrame, current: pd.DataFrame, inputs: tuple[str, ...],
                   dtypes: dict[str, str], seed: int, source: str,
                   segments: dict[str, tuple[pd.Series, pd.Series]] | None = None) -> dict:
    """Share of current (and held-out reference) rows outside the training support, overall, per input, per segment.

    When ``training`` is the reference itself, half the reference is the support and
    the other half the baseline, so the baseline is not judged against itself.
    """
    rng = np.random.default_rng(seed)
    if training is reference:
        order = rng.permutation(len(reference))
        half = len(order) // 2
        train, baseline = reference.iloc[np.sort(order[:half])], reference.iloc[np.sort(order[half:])]
    else:
        train, baseline = training, reference
    if len(train) > MAX_ROWS:
        train = train.iloc[np.sort(rng.choice(len(train), MAX_ROWS, replace=False))]
    base_out, base_inputs = _outside(train, baseline, inputs, dtypes, seed)
    cur_out, cur_inputs = _outside(train, current, inputs, dtypes, seed)
    report = {
        "support": source,
        "reference_share": float(base_out.mean()),
        "current_share": float(cur_out.mean()),
        "excess_share": float(cur_out.mean() - base_out.mean()),
        "inputs": sorted(({"node": n, "reference_share": float(base_inputs[n].mean()),
                           "current_share": float(cur_inputs[n].mean())} for n in inputs),
                         key=lambda d: (-(d["current_share"] - d["reference_share"]), d["node"])),
        "segments": [],
    }
    for segment, (_ref_values, cur_values) in (segments or {}).items():
        values = cur_values.astype(str).where(cur_values.notna(), "(null)").to_numpy()
        for level in sorted(set(values)):
            mask = values == level
            if mask.sum() >= 30:
                report["segments"].append({"segment": segment, "value": level, "rows": int(mask.sum()),
                                           "current_share": float(cur_out[mask].mean())})
    report["segments"].sort(key=lambda d: (-d["current_share"], d["segment"], d["value"]))
    return report
