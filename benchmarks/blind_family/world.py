"""What both families share: a World is one pipeline (nodes + population
sampler) from which the train, reference and current windows are drawn."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .pipeline import Fault, Node, graph_dict, output_columns, run
from . import faults as _faults


class World:
    nodes: list[Node]
    task: str
    metric_kind: str
    time_column: str | None = None
    key_column: str | None = None
    levels: dict          # categorical node id -> levels seen at training
    info: dict

    # -- to implement per family -------------------------------------------------
    def population(self, window: str, n: int, rng, fault: Fault | None) -> pd.DataFrame:
        raise NotImplementedError

    def population_fault(self, mode, s, rng, seed) -> Fault:
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------
    @property
    def by_id(self):
        return {n.id: n for n in self.nodes}

    @property
    def model(self) -> Node:
        return next(n for n in self.nodes if n.kind == "model")

    @property
    def label(self) -> Node:
        return next(n for n in self.nodes if n.kind == "label")

    @property
    def model_ancestors(self) -> set:
        by, out, todo = self.by_id, set(), list(self.model.parents)
        while todo:
            a = todo.pop()
            if a not in out:
                out.add(a)
                todo.extend(by[a].parents)
        return out

    def window(self, window, n, rng, state, fault=None) -> pd.DataFrame:
        base = self.population(window, n, rng, fault)
        frame = run(self.nodes, base, window, rng, state, fault, _faults.post,
                    self.time_column, self.key_column)
        if "_warm" in frame:
            frame = frame[~frame["_warm"].to_numpy(bool)]
        if self.time_column:
            frame = frame.sort_values(self.time_column, kind="mergesort")
        return frame.reset_index(drop=True)

    def public(self, frame: pd.DataFrame) -> pd.DataFrame:
        cols = output_columns(self.nodes, self.time_column, self.key_column)
        return frame[[c for c in cols if c in frame]].copy()

    def graph(self, name, description, segments=None) -> dict:
        return graph_dict(self.nodes, name, description, self.time_column, self.key_column, segments)

    def label_fault(self, mode, s, rng, seed) -> Fault:
        label = self.label
        by = self.by_id
        parents = [p for p in label.parents if by[p].column]
        parent = parents[int(rng.integers(len(parents)))]
        p = dict(seed=seed, task=self.task, parent=parent, levels=None,
                 q=float(rng.uniform(0.45, 0.7)), upper=bool(rng.random() < 0.5))
        if "categorical" in by[parent].tags and self.levels.get(parent):
            shares = self.level_shares.get(parent, {})
            lv = [k for k, _ in sorted(shares.items(), key=lambda kv: -kv[1])]
            order = [lv[i] for i in rng.permutation(len(lv))]
            chosen, tot = [], 0.0
            for k in order:
                chosen.append(k)
                tot += shares[k]
                if tot >= 0.25:
                    break
            p["levels"] = chosen
        if self.task == "binary":
            base = self.base_rate
            if mode == "label_shift":
                direction = 1 if (base < 0.3 or rng.random() < 0.5) else -1
                if direction > 0:
                    rate = min(0.6, base * (0.35 + 1.4 * s) / max(1 - base, 0.05))
                else:
                    rate = 0.15 + 0.5 * s
                p.update(direction=direction, rate=float(rate))
                return Fault(mode, label.id, p,
                             f"label policy: {'more' if direction > 0 else 'fewer'} positives "
                             f"({rate:.0%} relabelled) regardless of inputs")
            variant = ["region_flip", "region_vanish", "region_emerge"][int(rng.integers(3))]
            if variant == "region_emerge":
                rate = min(0.7, (0.1 + 0.5 * s) * max(base, 0.1) * 3)
            else:
                rate = 0.25 + 0.6 * s
            p.update(variant=variant, rate=float(rate))
            return Fault(mode, label.id, p, f"outcome's relation to {parent} changed ({variant})")
        sd = self.label_sd
        if mode == "label_shift":
            off = (0.15 + 0.6 * s) * sd * (1 if rng.random() < 0.5 else -1)
            p.update(offset=float(off))
            return Fault(mode, label.id, p, f"label definition changed: offset {off:+.3g}")
        variant = "slope" if (rng.random() < 0.5 and p["levels"] is None
                              and "categorical" not in by[parent].tags) else "region_offset"
        delta = (0.25 + 0.9 * s) * sd * (1 if rng.random() < 0.5 else -1)
        p.update(variant=variant, delta=float(delta))
        return Fault(mode, label.id, p, f"outcome's relation to {parent} changed ({variant})")
