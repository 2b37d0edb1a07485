"""A tiny executable pipeline: nodes computed in order from a window's base
frame, with a fault hook at one node.  The same node list gives the lineage
graph (graph_dict) and the data (run), so the two cannot disagree.

Node functions take a Ctx and return the node's per-row values (or None for
an unobserved node, which may leave hidden ``_``-prefixed columns for its
children).  In the ``train`` window they may fit state (medians, scalers,
the model) into ``ctx.state``; the other windows reuse it, as in production.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd


@dataclass
class Node:
    id: str
    kind: str
    parents: list = field(default_factory=list)
    column: str | None = None
    fn: Callable | None = None
    spec: dict = field(default_factory=dict)      # more graph keys (dtype, contract, metric, ...)
    tags: set = field(default_factory=set)        # fault eligibility: numeric, categorical, ...
    variants: dict = field(default_factory=dict)  # pipeline_skew: name -> fn(ctx)
    fallback: Any = None                          # value served when an infra parent fails
    late: Callable | None = None                  # history: fn(ctx, delay_s), the late-data view


@dataclass
class Fault:
    mode: str
    node: str
    params: dict = field(default_factory=dict)
    describe: str = ""


@dataclass
class Ctx:
    frame: pd.DataFrame
    window: str                     # "train" | "reference" | "current"
    rng: np.random.Generator
    state: dict
    fault: Fault | None = None
    time_column: str | None = None
    key_column: str | None = None

    def fault_at(self, node_id: str) -> Fault | None:
        if self.fault is not None and self.window == "current" and self.fault.node == node_id:
            return self.fault
        return None

    def num(self, column: str) -> np.ndarray:
        """A parent column read as numbers (text coerced to NaN, as pipelines do)."""
        return pd.to_numeric(self.frame[column], errors="coerce").to_numpy(dtype=float)


def run(nodes: list[Node], base: pd.DataFrame, window: str, rng, state: dict,
        fault: Fault | None = None, post: Callable | None = None,
        time_column=None, key_column=None) -> pd.DataFrame:
    """Compute every node on one window; apply ``post`` (the fault's generic
    transform of a node's output) at the faulted node."""
    ctx = Ctx(base.copy(), window, rng, state, fault, time_column, key_column)
    by_id = {n.id: n for n in nodes}
    for node in nodes:
        if node.fn is None:
            continue
        f = ctx.fault_at(node.id)
        if f is not None and f.mode == "pipeline_skew":
            values = node.variants[f.params["variant"]](ctx)
        else:
            values = node.fn(ctx)
        # infra fallbacks: a failed call to an infra parent serves the default
        for p in node.parents:
            if by_id[p].kind == "infra" and f"_fail_{p}" in ctx.frame and values is not None:
                fail = ctx.frame[f"_fail_{p}"].to_numpy(bool)
                values = pd.Series(values, index=ctx.frame.index)
                if fail.any():
                    values = values.astype(object) if isinstance(node.fallback, str) else values
                    values[fail] = node.fallback
                values = values.to_numpy()
        if f is not None and post is not None:
            values = post(ctx, node, values)
        if node.column is not None and values is not None:
            ctx.frame[node.column] = values
        fresh = node.spec.get("freshness")
        if fresh and fresh not in ctx.frame:
            delay = ctx.rng.uniform(5, 600, size=len(ctx.frame))
            ctx.frame[fresh] = ctx.frame[time_column] - pd.to_timedelta(np.round(delay), unit="s")
    return ctx.frame


def output_columns(nodes: list[Node], time_column=None, key_column=None) -> list[str]:
    cols = [c for c in (time_column, key_column) if c]
    for n in nodes:
        for c in (n.column, n.spec.get("freshness"), n.spec.get("version_column")):
            if c and c not in cols:
                cols.append(c)
    return cols


def graph_dict(nodes: list[Node], name: str, description: str, time_column=None,
               key_column=None, segments=None) -> dict:
    g: dict = {"version": 1, "name": name, "description": description}
    if time_column:
        g["time_column"] = time_column
    if key_column:
        g["key_column"] = key_column
    if segments:
        g["segments"] = list(segments)
    g["nodes"] = {}
    for n in nodes:
        d: dict = {"kind": n.kind}
        if n.parents:
            d["parents"] = list(n.parents)
        if n.column is not None:
            d["column"] = n.column
        d.update(n.spec)
        g["nodes"][n.id] = d
    return g
