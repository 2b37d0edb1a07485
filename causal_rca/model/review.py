"""The model-aware review: run after the engine has ranked its causes.

What the logs alone show is always reported (score confidence, classes,
segments, inputs outside the support, the label-free estimate). With the
real model (the model node's ``artifact``) it also replays each top cause,
re-ranks them by how much fixing each would recover, and, with a golden set,
clears or blames the model itself. Graphs without an artifact keep the
engine's ranking unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from causal_rca.diagnosis.findings import ArtifactCheck
from causal_rca.diagnosis.model import Cause, Evidence
from causal_rca.diagnosis.vocabulary import MITIGATION
from causal_rca.errors import InputError, ParameterError
from causal_rca.lineage import LineageGraph
from causal_rca.metrics import MetricSpec
# Every fit imports this module for ``load_model``: the review's own statistics and the replay
# (scikit-learn, the windows' readers) are imported by the functions that use them.
from causal_rca.model.artifact import ModelArtifact, load_artifact
from causal_rca.model.inputs import check_feature_names, model_inputs, model_node_of, scores_of
from causal_rca.windows.engines import Engine
from causal_rca.windows.tables import TableLike

REPLAYED = 4  # top causes replayed with the real model
REPLAY_WEIGHT = 0.5  # share of a replayed cause's score that comes from what fixing it recovers
FIDELITY_TOLERANCE = 1e-3  # artifact and logged score agree on a row within this
GOLDEN_ROWS = 50_000
TRAINING_ROWS = 20_000
CLEARED_FACTOR = 0.25  # a model cleared by the golden set keeps this share of its score


@dataclass
class ReviewInputs:
    """What the review reads besides the engine's own results."""

    graph: LineageGraph
    metric: str
    spec: MetricSpec
    dtypes: dict[str, str]
    reference: pd.DataFrame  # node-keyed samples
    current: pd.DataFrame
    reference_frame: pd.DataFrame  # metric frames (every row) with one column per segment
    current_frame: pd.DataFrame
    reference_value: float
    reference_ci: tuple[float, float]
    change: float
    significant: bool
    seed: int
    sample_segments: dict[str, tuple[pd.Series, pd.Series]] = field(default_factory=dict)
    trust_model: bool = False
    golden: TableLike | None = None
    training: TableLike | None = None
    label_free: bool = False
    estimate: bool = False  # the label-free estimate even when the current window has labels (``--estimate``)
    artifact: ModelArtifact | None = None  # from ``load_model`` (loaded before the engine runs)
    engine: Engine = "duckdb"  # the windows' engine (their backend): golden and training tables are read on it too


def _log_only(r: ReviewInputs, model_node: str | None) -> dict[str, Any]:
    """Findings from the logs alone: confidence, classes, segments, support, label-free estimate."""
    from causal_rca.model import confidence, estimate, segments

    out: dict[str, Any] = {}
    if r.graph.segments and r.significant and not r.label_free:
        out["segments"] = segments.drill_down(r.spec, r.reference_frame, r.current_frame, r.graph.segments, r.change)
    if model_node is None or not r.spec.is_classification or r.dtypes.get(model_node) != "numeric":
        return out
    ref_scores, cur_scores = estimate.frame_scores(r.reference_frame), estimate.frame_scores(r.current_frame)
    out["confidence"] = confidence.confidence_report(r.spec, {
        "reference": (ref_scores, r.reference_frame["label"]),
        "current": (cur_scores, None if r.label_free else r.current_frame["label"])})
    # Beside measured labels the estimate only competes with the truth (and can be far from it):
    # shown when the labels are missing, or when asked for to check it.
    if r.spec.name in estimate.ESTIMABLE and (r.label_free or r.estimate):
        est = estimate.estimate_window(r.spec, r.reference_frame, r.current_frame, r.seed)
        est["estimated"] = r.label_free
        out["estimate"] = est
    return out


def _support(r: ReviewInputs, inputs: tuple[str, ...]) -> dict[str, Any]:
    from causal_rca.model import support
    from causal_rca.model.tables import read_nodes

    if r.training is not None:
        train = read_nodes(r.training, r.graph, inputs, r.dtypes, "training", TRAINING_ROWS, r.seed, r.engine)
        source = "training table"
    else:
        train, source = r.reference, "reference window (no --training given)"
    return support.support_report(train, r.reference, r.current, inputs, r.dtypes, r.seed, source,
                                  r.sample_segments)


def _fidelity(score, graph, inputs, frame: pd.DataFrame, model_node: str) -> float:
    """Share of rows whose logged score the artifact reproduces (is it the model that served them?)."""
    mine = scores_of(score, graph, inputs, frame)
    logged = frame[model_node].to_numpy(dtype=float)
    ok = np.isfinite(logged)
    return float(np.mean(np.isclose(mine[ok], logged[ok], atol=FIDELITY_TOLERANCE))) if ok.any() else float("nan")


def _replay_evidence(res, metric: str) -> Evidence:
    half = (res.ci[1] - res.ci[0]) / 2
    who = " and ".join(res.nodes)
    return Evidence("replay", res.baseline, res.value, None,
                    f"putting {who} back to its reference behaviour would bring {metric} to {res.value:.3g} ± "
                    f"{half:.2g} (replayed now {res.baseline:.3g}; reference {res.reference:.3g}): recovers "
                    f"{res.recovered_share:.0%} of the drop"
                    + ("; indistinguishable from the reference" if res.matches_reference else ""))


def _rerank(causes: list[Cause], replays: dict[int, Any]) -> list[Cause]:
    """Replayed causes: half their score from what fixing them recovers; the rest stay below."""
    rescored = []
    for i, c in enumerate(causes):
        if i in replays:
            share = min(1.0, max(0.0, replays[i].recovered_share))
            rescored.append(replace(c, score=round((1 - REPLAY_WEIGHT) * c.score + REPLAY_WEIGHT * share, 4)))
        else:
            rescored.append(c)
    floor = min((rescored[i].score for i in replays), default=1.0)
    rescored = [c if i in replays else replace(c, score=min(c.score, floor)) for i, c in enumerate(rescored)]
    order = sorted(range(len(rescored)), key=lambda i: (i not in replays, -rescored[i].score, rescored[i].node))
    return [replace(rescored[i], rank=rank) for rank, i in enumerate(order, 1)]


def _golden_cause(r: ReviewInputs, model_node: str, g, causes: list[Cause]) -> list[Cause]:
    """Blame or clear the model with the golden-set result."""
    node = r.graph.nodes[model_node]
    evidence = Evidence("golden_set", g.reference, g.value, g.p_value, g.sentence(r.metric))
    idx = next((i for i, c in enumerate(causes) if c.node == model_node), None)
    if g.cleared and idx is not None:
        c = causes[idx]
        causes[idx] = replace(c, score=round(c.score * CLEARED_FACTOR, 4), evidence=[evidence, *c.evidence])
    elif g.dropped:
        strength = min(1.0, abs(g.change) / abs(r.change)) if r.change else 1.0
        if idx is None:
            verb = "fell" if r.change < 0 else "rose"
            why = [f"{r.metric} {verb} from {r.reference_value:.3g} to {r.reference_value + r.change:.3g}",
                   f"because {model_node} scores the trusted golden set worse ({g.value:.3g} against "
                   f"{g.reference:.3g})",
                   f"because {model_node} itself behaves differently (a new version or a different artifact)"]
            causes.append(Cause(rank=len(causes) + 1, node=model_node, failure_mode="model_change",
                                category=node.category, score=round(strength, 4), contribution=None,
                                p_value=g.p_value, evidence=[evidence], why=why,
                                mitigation=MITIGATION["model_change"], path=[model_node, r.metric],
                                owner=node.owner))
        else:
            c = causes[idx]
            causes[idx] = replace(c, failure_mode="model_change", mitigation=MITIGATION["model_change"],
                                  score=round(max(c.score, strength), 4), evidence=[evidence, *c.evidence])
    else:
        return causes
    order = sorted(range(len(causes)), key=lambda i: (-causes[i].score, causes[i].node))
    return [replace(causes[i], rank=rank) for rank, i in enumerate(order, 1)]


def load_model(graph: LineageGraph, metric: str, *, trust: bool, golden: TableLike | None) -> ModelArtifact | None:
    """The metric's model artifact, loaded (and its inputs checked) before any work, so bad input fails fast."""
    model_node = model_node_of(graph, metric)
    node = graph.nodes[model_node] if model_node else None
    if golden is not None and (node is None or not node.artifact):
        raise ParameterError(f"{{golden}} needs the real model: model node '{model_node}' declares no artifact")
    if node is None or not node.artifact:
        return None
    inputs = model_inputs(graph, model_node)
    art = load_artifact(graph, model_node, trust=trust)
    check_feature_names(graph, inputs, art.estimator, art.source)
    return art


def review(r: ReviewInputs, causes: list[Cause]) -> tuple[dict[str, Any], list[Cause], list[str]]:
    """(model-aware findings, causes re-ranked when the real model is at hand, warnings)."""
    model_node = model_node_of(r.graph, r.metric)
    findings = _log_only(r, model_node)
    warnings: list[str] = []
    if model_node is None:
        return findings, causes, warnings
    node = r.graph.nodes[model_node]
    try:
        inputs = model_inputs(r.graph, model_node)
    except InputError:
        if node.artifact:
            raise
        return findings, causes, warnings
    findings["support"] = _support(r, inputs)
    if not node.artifact:
        return findings, causes, warnings
    # the replay and the golden check, with a model artifact only: their modules are imported here
    from causal_rca.model.golden import golden_check
    from causal_rca.model.replay import baseline
    from causal_rca.model.replay_context import ReplayContext
    from causal_rca.model.replay_service import replayed_nodes
    from causal_rca.model.reweight import counterfactual, how_for
    from causal_rca.model.tables import read_nodes

    art = r.artifact or load_model(r.graph, r.metric, trust=r.trust_model, golden=r.golden)
    findings["artifact"] = ArtifactCheck(
        art.source, art.kind, reproduces_reference_scores=_fidelity(art.score, r.graph, inputs, r.reference, model_node),
        reproduces_current_scores=_fidelity(art.score, r.graph, inputs, r.current, model_node))
    score = lambda frame: scores_of(art.score, r.graph, inputs, frame)  # noqa: E731
    _prediction, label = r.graph.metric_inputs(r.metric)
    if r.golden is not None:
        golden = read_nodes(r.golden, r.graph, (*inputs, label), r.dtypes, "golden", GOLDEN_ROWS, r.seed,
                            r.engine)
        g = golden_check(r.spec, r.reference_frame, score(golden), golden[label], r.change, r.seed)
        findings["golden"] = g
        causes = _golden_cause(r, model_node, g, list(causes))
        if g.cleared:
            warnings.append(g.sentence(r.metric))
    if r.significant and causes and not r.label_free:
        ctx = ReplayContext(r.graph, r.spec, r.dtypes, r.reference, r.current, model_node, label, inputs, score,
                            r.reference_value, r.reference_ci, r.seed)
        base = baseline(ctx)
        replays = {}
        for i, c in enumerate(causes[:REPLAYED]):
            nodes = replayed_nodes(r.graph, c.node, r.dtypes)
            if nodes:  # a service none of whose fields is logged has nothing to put back
                # a population change is reweighted, the rest replayed (model/reweight.py)
                replays[i] = counterfactual(ctx, nodes, base, how_for(c.failure_mode, nodes))
        causes = [replace(c, evidence=[*c.evidence, _replay_evidence(replays[i], r.metric)],
                          replay=replays[i]) if i in replays else c for i, c in enumerate(causes)]
        causes = _rerank(causes, replays)
        findings["replay_baseline"] = base
    return findings, causes, warnings
