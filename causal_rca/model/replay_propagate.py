"""Reverted values carried down the graph to the model's inputs, each descendant keeping its own row noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.causal.encoding import effective_parents, encode_windows, support_mask
from causal_rca.model.replay_context import ReplayContext, fit_rows, node_codes
from causal_rca.model.replay_mechanisms import CategoricalMechanism, numeric_mechanism


def propagate(ctx: ReplayContext, frame: pd.DataFrame, changed: set[str], rng: np.random.Generator,
               seed: int) -> pd.DataFrame:
    """Carry reverted values down to the model's inputs, keeping each descendant's own row noise."""
    needed = set(ctx.inputs).union(*(ctx.graph.ancestors(i) for i in ctx.inputs))
    downstream = set().union(*(ctx.graph.descendants(n) for n in changed)) & needed
    for node in ctx.graph.topological_order():
        if node not in downstream or node in changed or node not in ctx.dtypes:
            continue
        parents = effective_parents(ctx.graph, node)
        touched = [p for p in parents if p in changed]
        if not touched:
            continue
        fit = fit_rows(len(ctx.reference), rng)
        X_obs = node_codes(ctx, ctx.current, parents)
        X_cf = node_codes(ctx, frame, parents)
        moved = np.any(~np.isclose(np.nan_to_num(X_obs, nan=-9e9), np.nan_to_num(X_cf, nan=-9e9)), axis=1)
        if ctx.dtypes[node] in ("numeric", "boolean", "datetime"):
            mech = numeric_mechanism(ctx, node, parents, fit, seed)
            observed = ctx.current[node].to_numpy(float)
            # Abduction only where the observed parents were ones the reference knows.
            known = np.ones(len(frame), dtype=bool)
            enc = encode_windows(ctx.reference[list(parents)], ctx.current[list(parents)],
                                 {p: ctx.dtypes[p] for p in parents})
            for p in parents:
                categorical = ctx.dtypes[p] not in ("numeric", "boolean", "datetime")
                known &= support_mask(enc.reference[p].to_numpy(float), enc.current[p].to_numpy(float), categorical)
            residual = observed - mech.predict(X_obs)
            abduced = known & np.isfinite(residual)
            cf = np.where(abduced, mech.predict(X_cf) + np.where(abduced, residual, 0.0), mech.draw(X_cf, rng))
            values = np.where(moved, cf, observed)
            frame[node] = values
        else:
            ref_fit = ctx.reference.iloc[fit]
            mech = CategoricalMechanism(node_codes(ctx, ref_fit, parents), ref_fit[node], seed)
            drawn = pd.Series(mech.sample(X_cf[moved], rng), index=frame.index[moved], dtype=object)
            col = frame[node].astype(object)
            col[moved] = drawn
            frame[node] = col
        changed = changed | {node}
    return frame
