"""What a node's marginal says beside its mechanism test: rows that look like the reference's, and drift
inside the support or beside a fallback value (read by ``diagnosis/classify.py``)."""

from __future__ import annotations

import numpy as np

from causal_rca.causal.encoding import EncodedWindows, support_mask
from causal_rca.signals import statistics as st
from causal_rca.signals.levels import reference_levels
from causal_rca.signals.shifted_tail import outside_beyond_shift
from causal_rca.signals.sorted_ks import effective_size, ks_sorted, sorted_sample


def root_consistency(node_id: str, enc: EncodedWindows, default_value: float | None) -> np.ndarray:
    """Rows of a root node that look like reference values: inside its support, not a new default."""
    ref = enc.reference[node_id].to_numpy(dtype=float)
    cur = enc.current[node_id].to_numpy(dtype=float)
    ok = support_mask(ref, cur, node_id in enc.categorical)
    if default_value is not None:
        ok &= cur != default_value
    return ok


def drift_inside_support(node_id: str, enc: EncodedWindows) -> dict[str, float]:
    """Inputs outside the training support arrive as a population of their own, the bulk
    unchanged; a shifted population moves the bulk and pushes its tail out with it: as many rows
    past the range as the reference, moved by the bulk's move, puts there
    (``outside_beyond_shift_p``, ``signals/shifted_tail.py``)."""
    if node_id in enc.categorical:
        return {}
    ref = enc.reference[node_id].to_numpy(dtype=float)
    cur = enc.current[node_id].to_numpy(dtype=float)
    inside = support_mask(ref, cur, categorical=False) & ~np.isnan(cur)
    d, _p = st.ks_two_sample(ref[~np.isnan(ref)], cur[inside])
    tail = outside_beyond_shift(ref, cur)
    return {"drift_inside_support": d, **({"outside_beyond_shift_p": tail.p_value} if tail is not None else {})}


def drift_outside_default(node_id: str, enc: EncodedWindows, value: float,
                           level: float | None = None, design_effects: dict[str, float] | None = None,
                           ) -> dict[str, float]:
    """What the rows of a repeated value say: ``drift_outside_default``, how far the other rows
    moved (a fallback adds rows at one value and leaves the others as they were; a population that
    moved, such as a count whose level fell so that small values gain share, moves them too), and
    ``default_off_support``, whether the value lies off the reference's support (past its range,
    or on a level a discrete column never had), where only a placeholder is a fallback.

    ``level``: count the distance only when the KS test rejects at it, at the windows' effective
    size (the node's design effect in ``design_effects``: rows that repeat an entity count once
    between them, as in the other tests of a node's marginal). A computed node asks this of its
    marginal only when its own per-row deviations cannot tell (a noisy mechanism, such as a count
    over an entity's last 24 hours), and few rows may be left beside the value."""
    ref = enc.reference[node_id].to_numpy(dtype=float)
    cur = enc.current[node_id].to_numpy(dtype=float)
    seen = np.sort(ref[np.isfinite(ref)])
    # Inside a continuous column's range a fallback can be any number (a mean, a median filled in).
    levels = reference_levels(seen)
    off = len(seen) > 0 and (not seen[0] <= value <= seen[-1] or (levels is not None and value not in levels))
    ref, cur = ref[ref != value], cur[cur != value]
    size = effective_size(len(ref), len(cur), (design_effects or {}).get(node_id, 1.0))
    d, p = ks_sorted(sorted_sample(ref), sorted_sample(cur), at_most=size)
    return {"drift_outside_default": d if level is None or p < level else 0.0, "default_off_support": float(off)}
