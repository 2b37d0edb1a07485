"""How much of the metric's change each candidate explains: the attribution step, when it can be made.

The attribution reads the metric row by row from the model's output, so it
needs a metric that is a sum over rows and a model output that is a score (or
a multi-class model's classes, ``class_outputs.py``). Otherwise the
candidates are ranked by their mechanism change alone, and the diagnosis says so.
DoWhy is imported only when an attribution is made.
"""

from __future__ import annotations

from typing import Callable, Mapping

import pandas as pd

from causal_rca.causal.encoding import EncodedWindows
from causal_rca.causal.metric_graph import MetricGraph
from causal_rca.diagnosis.rank import Candidate
from causal_rca.lineage.graph import LineageGraph
from causal_rca.metrics import MetricSpec
from causal_rca.metrics.spec import JOINT_FORMS
from causal_rca.windows.tables import Window


def attributable(spec: MetricSpec, dtypes: dict[str, str], metric_graph: MetricGraph, labelled: bool) -> bool:
    """Can the change be split between the candidates (see the module docstring)?"""
    per_row = spec.form not in JOINT_FORMS  # a multi-class model's output: causal/class_outputs.py
    return labelled and per_row and (spec.name == "mean" or spec.is_regression or spec.multiclass
                                     or dtypes[metric_graph.target_parents[0]] in ("numeric", "boolean"))


def unattributed_warning(spec: MetricSpec) -> str:
    """Why the candidates are ranked without attribution."""
    if spec.form in JOINT_FORMS:
        return (f"{spec.name} is not a sum over rows, so the attribution cannot split its change: "
                f"candidates ranked by the strength of their mechanism change only, without attribution")
    return ("the model's output is a class label, not a score: candidates ranked by the strength "
            "of their mechanism change only, without attribution")


def candidate_contributions(graph: LineageGraph, metric: str, spec: MetricSpec, metric_graph: MetricGraph,
                            enc: EncodedWindows, candidates: list[Candidate],
                            samples: tuple[pd.DataFrame, pd.DataFrame], windows: tuple[Window, Window], *,
                            sample_rows: int, seed: int, jobs: int | None, say: Callable[[str], None],
                            fitted: Mapping | None = None) -> tuple[dict[str, float], list[str]]:
    """Each candidate's share of the change (metric units), and the warning when only the strongest were attributed.

    ``fitted``: the reference mechanisms a fitted model learnt (``attribution.reference_mechanisms``).
    """
    say("attributing the change")
    from causal_rca.causal.attribution import attribute_change  # DoWhy: imported on this path only
    from causal_rca.causal.class_outputs import class_attribution_inputs

    players = {c.node: list(c.members) for c in candidates}
    att_ref, att_cur, custom = enc.reference, enc.current, None
    if spec.multiclass:
        att_ref, att_cur, custom = class_attribution_inputs(graph, metric, spec, enc, samples, windows,
                                                            sample_rows, seed)
    mg = metric_graph
    attribution = attribute_change(mg.graph, mg.target, spec, att_ref, att_cur, players, enc.categorical, seed,
                                   rows_target=mg.rows_target, prediction=mg.target_parents[0] if mg.rows_target
                                   else None, jobs=jobs, mechanisms=custom, fitted=fitted)
    warnings = []
    if len(candidates) > len(attribution.players):
        warnings.append(f"attribution limited to the {len(attribution.players)} strongest of "
                        f"{len(candidates)} candidates")
    return attribution.contributions, warnings
