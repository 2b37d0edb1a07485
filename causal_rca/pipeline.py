"""The diagnosis of one current window against a fitted reference: one step per module, in order.

windows → metric → signals → mechanism tests → attribution → ranking and
classification → explanation. Each step is a public function of the module
that owns it and a pure function of the previous steps' outputs and the seed;
what depends on the reference alone comes from the ``ReferenceFit``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from causal_rca.causal.category_function import with_category_purity
from causal_rca.causal.contributions import attributable, candidate_contributions, unattributed_warning
from causal_rca.causal.encoding import encode_windows, label_overrides
from causal_rca.causal.history import history_checks, one_broken_history
from causal_rca.causal.mechanism import assess_mechanisms
from causal_rca.causal.metric_graph import metric_causal_graph
from causal_rca.diagnosis.causes import as_anomaly, ranked_causes, report_extras, summary_line
from causal_rca.diagnosis.class_confidence import with_confidence_evidence
from causal_rca.diagnosis.classes import class_node_dtypes, multiclass_findings
from causal_rca.diagnosis.data_quality import data_quality_findings
from causal_rca.diagnosis.findings import ModelFindings
from causal_rca.diagnosis.missing_edges import missing_edges
from causal_rca.diagnosis.model import Diagnosis
from causal_rca.diagnosis.quality import assess_quality, infinite_values
from causal_rca.diagnosis.rank import candidates_or_weak_leads
from causal_rca.diagnosis.records import MechanismSummary, WindowMetric
from causal_rca.explain.over_time import metric_over_time
from causal_rca.lineage.graph import node_label
from causal_rca.metrics import compare_windows
from causal_rca.metrics.frames import metric_frames
from causal_rca.model.driver_review import review_drivers
from causal_rca.model.review import ReviewInputs, review
from causal_rca.model.tables import segment_samples
from causal_rca.model.unlabelled import WARNING as UNLABELLED_WARNING
from causal_rca.model.unlabelled import estimated_comparison, unlabelled_label
from causal_rca.reference_fit import ReferenceFit, reference_frame, reference_sample
from causal_rca.signals.clustering import clustered_signals, design_effects
from causal_rca.signals.detect import measure_signals, null_contract_violations
from causal_rca.timeline.changepoint import SIGNIFICANCE as CHANGE_POINT_LEVEL
from causal_rca.windows.counts import measure_counts
from causal_rca.windows.frames import (
    TIME, check_usable, constant_nodes, freshness_key, node_columns, node_samples, resolve_dtypes,
    staler_than_reference,
)
from causal_rca.windows.tables import TableLike, Window

Progress = Callable[[str], None]
# The steps a diagnosis announces to ``progress``, in order (attribution only when there is a change to explain).
# The model review runs only for a model-aware diagnosis (an artifact, a training set, or no labels yet);
# the decision drivers (SHAP) only with an artifact.
STEPS = ("reading windows", "sampling", "measuring the metric", "counting values", "measuring signals",
         "testing mechanisms", "attributing the change", "reviewing the model", "explaining the model's drivers")


@dataclass(frozen=True)
class Queries:
    """What a diagnosis of a current window is asked besides the windows (``CausalRCA``'s options)."""

    jobs: int | None = None
    golden: TableLike | None = None
    training: TableLike | None = None
    trust_model: bool = False
    estimate: bool = False
    progress: Progress | None = None


def diagnose_window(fit: ReferenceFit, cur_w: Window, queries: Queries,
                    split_p_value: float | None = None) -> Diagnosis:
    """Why the metric changed between the fitted reference and ``cur_w``.

    ``split_p_value``: set when ``split='auto'`` chose a split its own change-point test does not support.
    """
    say = queries.progress or (lambda _msg: None)
    graph, target, ref_w, seed, sample_rows = fit.graph, fit.target, fit.window, fit.seed, fit.sample_rows
    metric, spec, artifact = target.node, target.spec, fit.artifact
    jobs, golden, training, estimate = queries.jobs, queries.golden, queries.training, queries.estimate
    dtypes = class_node_dtypes(graph, metric, spec, resolve_dtypes(graph, ref_w, cur_w, fit.parsed))
    # A current window without labels is estimated from a binary model's calibrated scores only.
    unlabelled = unlabelled_label(graph, metric, spec, cur_w) if not spec.multiclass else None
    if unlabelled is not None:  # labels not in yet: the engine works on everything else
        dtypes = {n: t for n, t in dtypes.items() if n != unlabelled}
    # Only a model-aware diagnosis gets the review: without one the JSON is what it always was.
    reviewed = artifact is not None or training is not None or unlabelled is not None

    say("sampling")
    # A window larger than its sample: counts look up only values its sample repeats (counts.py).
    beyond_sample = max(ref_w.rows, cur_w.rows) > sample_rows
    ref_s, ref_texts = reference_sample(fit, dtypes, numbers_as_text=not beyond_sample)
    cur_s, cur_texts = node_samples(cur_w, graph, dtypes, sample_rows, seed + 1, numbers_as_text=not beyond_sample)
    check_usable(graph, dtypes, ref_s, cur_s)
    warnings = list(dict.fromkeys(ref_w.warnings + cur_w.warnings))
    warnings += [f"node '{n}' is constant in both windows: it cannot explain a change"
                 for n in constant_nodes((ref_w, cur_w), graph, dtypes, (ref_s, cur_s))]

    say("measuring the metric")
    extra = graph.segments if reviewed else ()
    ref_frame = reference_frame(fit, dtypes, extra)
    (cur_frame,) = metric_frames(graph, metric, spec, dtypes, (cur_w,), extra=extra, with_time=bool(graph.time_column))
    if unlabelled is None:
        comparison = compare_windows(spec, ref_frame, cur_frame, seed)
    else:
        comparison = estimated_comparison(spec, ref_frame, cur_frame, seed)
        warnings.append(UNLABELLED_WARNING.format(metric=metric))
    if split_p_value is not None:
        comparison = replace(comparison, significant=False)
    class_findings = multiclass_findings(graph, metric, spec, (ref_w, cur_w), seed)
    over_time = (metric_over_time(spec, {"reference": ref_frame, "current": cur_frame},
                                  {"reference": ref_frame[TIME].to_numpy(), "current": cur_frame[TIME].to_numpy()})
                 if graph.time_column and unlabelled is None else [])
    # thin windows: warnings, lower scores (an unlabelled current window is said once, above)
    quality = assess_quality(spec, ref_frame, cur_frame, current_labelled=unlabelled is None)
    warnings += quality.warnings
    metric_inputs = target.input_nodes  # counted over the whole windows
    warnings += infinite_values({"reference": ref_frame, "current": cur_frame},
                                {c: node_label(graph, n) for c, n in metric_inputs.items()})
    warnings += infinite_values({"reference": ref_s, "current": cur_s}, {
        n: node_label(graph, n) for n, t in dtypes.items() if t == "numeric" and n not in metric_inputs.values()},
        unit="sampled rows")
    change = comparison.change

    say("counting values")
    ref_counts, cur_counts = measure_counts(ref_w, cur_w, node_columns(graph, dtypes), ref_texts, cur_texts,
                                            ref_s, cur_s, repeated_only=beyond_sample, fitted=fit.counts)

    say("measuring signals")
    clustering = design_effects(ref_s, cur_s, dtypes)  # rows that repeat an entity count once between them
    # the tests that read a change of units run at the effective sizes too (signals/units.py)
    signals, profiles = measure_signals(graph, ref_counts, cur_counts, dtypes, ref_s, cur_s, fit.baselines, clustering)
    signals = clustered_signals(signals, clustering)
    if clustering:
        worst = max(clustering, key=clustering.get)
        warnings.append(f"rows repeat the entities of '{graph.key_column}': tests count entities where values "
                        f"cluster (design effect up to {clustering[worst]:.1f}, at '{worst}')")

    say("testing mechanisms")
    enc = encode_windows(ref_s, cur_s, dtypes,
                         {} if unlabelled else label_overrides(graph, metric, spec, ref_s, cur_s))
    # Features over an entity's history are tested against it, where the samples hold whole windows.
    histories = {} if beyond_sample else history_checks(graph, ref_s, cur_s, dtypes, seed)
    histories, several = one_broken_history(histories, graph.key_column)
    warnings += several
    # Rows a cache served from older data than the reference ever had (mechanism.assess_mechanisms).
    stale_rows = {n: staler_than_reference(ref_s, cur_s, n) for n in dtypes if freshness_key(n) in cur_s}
    mechanisms = assess_mechanisms(graph, enc, signals, seed, nodes=[n for n in graph.observed_nodes() if n in dtypes],
                                   jobs=jobs, design_effects=clustering, fits=fit.mechanism_fits,
                                   histories=histories, stale_rows=stale_rows)
    # Renamed categories at a computed node: do the parents' values still decide the new names? (classify.py)
    mechanisms = with_category_purity(graph, mechanisms, signals, ref_s, cur_s, dtypes)

    # The causal graph of the metric: observed ancestors through effective parents.
    metric_graph = metric_causal_graph(graph, metric, spec, dtypes, labelled=not unlabelled)
    candidates, mechanisms, weak = candidates_or_weak_leads(graph, mechanisms, metric_graph.relevant, signals,
                                                            comparison.significant)
    warnings += weak

    contributions: dict[str, float] | None = None
    if comparison.significant and candidates:
        if attributable(spec, dtypes, metric_graph, labelled=unlabelled is None):
            contributions, limited = candidate_contributions(
                graph, metric, spec, metric_graph, enc, candidates, (ref_s, cur_s), (ref_w, cur_w),
                sample_rows=sample_rows, seed=seed, jobs=jobs, say=say, fitted=fit.attribution_fits)
            warnings += limited
        else:
            warnings.append(unattributed_warning(spec))

    causes = (ranked_causes(graph, metric, spec, candidates, contributions, comparison, signals, mechanisms,
                            quality.confidence) if comparison.significant else [])

    if class_findings:  # a model_change of a multi-class model carries its confidence profile
        causes = with_confidence_evidence(causes, graph.metric_inputs(metric)[0],
                                          class_findings.get("confidence_profile"))
    # Would a missing edge explain the top causes? (diagnosis/missing_edges.py; scores lowered, re-ranked)
    causes, missing = missing_edges(graph, causes, mechanisms, signals, enc, ref_s, dtypes, seed)

    model_aware: dict = {}
    if reviewed:
        say("reviewing the model")
        model_aware, causes, review_warnings = review(ReviewInputs(
            graph=graph, metric=metric, spec=spec, dtypes=dtypes, reference=ref_s, current=cur_s,
            reference_frame=ref_frame, current_frame=cur_frame, reference_value=comparison.reference.value,
            reference_ci=comparison.reference.ci, change=change, significant=comparison.significant, seed=seed,
            sample_segments=segment_samples(graph, ref_w, cur_w, sample_rows, seed),
            trust_model=queries.trust_model, golden=golden, training=training, label_free=unlabelled is not None,
            estimate=estimate, artifact=artifact, engine=ref_w.backend), causes)
        warnings += review_warnings
    # SHAP decision drivers, with an artifact only; evidence on the causes, no re-ranking (model/driver_review.py)
    drivers, causes, driver_warnings = review_drivers(graph, metric, artifact, ref_s, cur_s, causes, seed, say)
    warnings += driver_warnings
    anomalies = [as_anomaly(s) for s in sorted(signals, key=lambda s: (s.p_adjusted, -s.effect, s.node, s.signal))
                 if s.anomalous]
    broken_contracts = [as_anomaly(s) for s in null_contract_violations(graph, profiles)]
    anomalous_nodes = {a.node for a in anomalies} | {n for n, m in mechanisms.items() if m.changed}
    checked_clear = [n for n in graph.observed_nodes() if n not in anomalous_nodes and n in dtypes]
    summary = summary_line(metric, comparison, causes, split_p_value, CHANGE_POINT_LEVEL)
    if unlabelled:
        summary = f"estimate, no labels yet: {summary}"
    return Diagnosis(
        graph=graph.name, target=metric, metric=spec.name,
        reference=WindowMetric(comparison.reference.value, comparison.reference.ci, comparison.reference.rows),
        current=WindowMetric(comparison.current.value, comparison.current.ci, comparison.current.rows),
        change=change, change_ci=comparison.change_ci, significant=comparison.significant,
        causes=causes, anomalies=anomalies, summary=summary,
        mechanisms=[MechanismSummary(m.node, m.method, m.changed, m.p_adjusted, m.effect, m.detail)
                    for m in mechanisms.values()],
        checked_clear=checked_clear, warnings=warnings, seed=seed,
        sample_rows=int(max(len(ref_s), len(cur_s))), description=graph.description,
        model_aware=ModelFindings(**model_aware) if model_aware else None, metric_over_time=over_time, class_findings=class_findings, graph_warnings=[e.to_dict() for e in missing], data_quality=data_quality_findings([*broken_contracts, *anomalies]),
        decision_drivers=drivers,
        **report_extras(graph, dtypes, ref_s, cur_s, causes),
    )

