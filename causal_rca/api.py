"""``diagnose``: the whole flow, one step per module.

lineage → windows → metric → signals → mechanism tests → attribution →
ranking and classification → explanation. Each step is a pure function of
the previous steps' outputs and the seed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from causal_rca.causal.metric_graph import ROWS_NODE, attribution_graph
from causal_rca.causal.encoding import effective_parents, encode_windows
from causal_rca.causal.mechanism import (
    LENIENT_SIGNIFICANCE, MechanismResult, assess_mechanisms, lenient_mechanisms,
)
from causal_rca.diagnosis.class_confidence import with_confidence_evidence
from causal_rca.diagnosis.classes import class_node_dtypes, multiclass_findings
from causal_rca.diagnosis.classify import classify
from causal_rca.diagnosis.data_quality import data_quality_findings
from causal_rca.diagnosis.findings import ModelFindings
from causal_rca.diagnosis.model import (
    Anomaly, Cause, Diagnosis, Evidence, MechanismSummary, WindowMetric,
)
from causal_rca.diagnosis.missing_edges import missing_edges
from causal_rca.diagnosis.quality import assess_quality, infinite_values
from causal_rca.diagnosis.rank import Candidate, find_candidates, score_candidates
from causal_rca.diagnosis.vocabulary import MITIGATION
from causal_rca.arguments import check_diagnose_arguments
from causal_rca.errors import InputError, ParameterError
from causal_rca.explain.distributions import distribution_summaries, plotted_nodes
from causal_rca.explain.over_time import metric_over_time
from causal_rca.explain.whys import fault_path, why_chain
from causal_rca.library_warnings import captured_warnings, diagnosis_messages
from causal_rca.lineage import LineageGraph
from causal_rca.metrics import (
    MetricSpec, compare_windows, is_positive, metric_frame, row_outcome_description,
)
from causal_rca.metrics.compute import class_key
from causal_rca.metrics.spec import JOINT_FORMS
from causal_rca.metrics.target import metric_to_explain, resolve_metric
from causal_rca.model.driver_review import review_drivers
from causal_rca.model.review import ReviewInputs, load_model, review
from causal_rca.model.tables import segment_samples
from causal_rca.model.unlabelled import WARNING as UNLABELLED_WARNING
from causal_rca.model.unlabelled import estimated_comparison, unlabelled_label
from causal_rca.signals.clustering import clustered_signals, design_effects
from causal_rca.signals.detect import MIN_EFFECT, Signal, measure_signals, null_contract_violations
from causal_rca.windows.counts import measure_counts
from causal_rca.windows.engines import Engine
from causal_rca.windows.frames import TIME, constant_nodes, node_columns, node_samples, resolve_dtypes
from causal_rca.windows.stats import fetch_all, typed_expression
from causal_rca.windows.tables import TableLike, Window, open_windows

SAMPLE_ROWS = 20_000
_EXTRA = "__extra__"  # prefix of the extra columns read with the metric's
LENIENT_CONFIDENCE = 0.5  # scores of causes that passed only the lenient mechanism test
Progress = Callable[[str], None]
# The steps ``diagnose`` announces to ``progress``, in order (attribution only when there is a change to explain).
# The model review runs only for a model-aware diagnosis (an artifact, --training, or no labels yet);
# the decision drivers (SHAP) only with an artifact.
STEPS = ("reading windows", "sampling", "measuring the metric", "counting values", "measuring signals",
         "testing mechanisms", "attributing the change", "reviewing the model", "explaining the model's drivers")


def _metric_spec(graph: LineageGraph, metric_id: str, reference: Window | None = None) -> MetricSpec:
    """The metric node as a ``MetricSpec`` (``metrics.target.resolve_metric``; kept for its importers)."""
    return resolve_metric(graph, metric_id, reference).spec


def _metric_frames(graph: LineageGraph, metric_id: str, spec: MetricSpec, dtypes: dict[str, str],
                   windows: tuple[Window, Window], extra: tuple[str, ...] = (),
                   with_time: bool = False) -> list[pd.DataFrame]:
    """One metric frame per window; ``extra`` columns (segments, for the model review) ride along as stored,
    and with ``with_time`` the graph's time column as epoch seconds (column ``TIME``), read in the same query.

    A multi-class model's metric reads the predicted class, or its class
    probabilities (``scores``): all of them, or one class's for that class's roc_auc.
    """
    extras = {_EXTRA + c: typed_expression(c, None) for c in extra}
    if with_time:
        extras[TIME] = typed_expression(graph.time_column, "datetime")

    def with_extras(frame: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
        frame = frame.assign(**{c: raw[_EXTRA + c].to_numpy() for c in extra}) if extra else frame
        return frame.assign(**{TIME: raw[TIME].to_numpy(dtype=float)}) if with_time else frame

    frames = []
    if spec.name == "mean":
        node = graph.nodes[metric_id]
        for w in windows:
            raw = fetch_all(w, {"value": typed_expression(node.column, "numeric"), **extras})
            frames.append(with_extras(metric_frame(spec, None, None, value=raw["value"]), raw))
        return frames
    prediction, label = graph.metric_inputs(metric_id)
    model = graph.nodes[prediction]
    pred_col, label_col = model.column, graph.nodes[label].column
    pred_expr = typed_expression(pred_col, "numeric" if dtypes[prediction] in ("numeric", "boolean") else None)
    scores: dict[str, Any] = {}
    if spec.multiclass and model.scores:
        by_class = {class_key(c): col for c, col in model.scores.items()}
        if spec.name == "roc_auc" and spec.target_class is not None:  # one class against the rest
            pred_expr = typed_expression(by_class[class_key(spec.target_class)], "numeric")
        elif spec.needs_class_scores:
            scores = {f"__score{i}": typed_expression(col, "numeric") for i, col in enumerate(model.scores.values())}
    label_expr = typed_expression(label_col, "numeric" if spec.is_regression else None)
    for w in windows:
        raw = fetch_all(w, {"prediction": pred_expr, "label": label_expr, **scores, **extras})
        class_scores = raw[list(scores)] if scores else None
        frames.append(with_extras(metric_frame(spec, raw["prediction"], raw["label"], scores=class_scores), raw))
    return frames


def _node_name(graph: LineageGraph, node_id: str) -> str:
    return f"node '{node_id}' (column '{graph.nodes[node_id].column}')"


def _label_overrides(graph: LineageGraph, metric_id: str, spec: MetricSpec, ref: pd.DataFrame,
                     cur: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Binary metrics read the label as "is positive": so do the causal models. A multi-class label
    stays a category, also for one class's metric (a new class in the labels is a finding)."""
    if spec.name == "mean" or spec.is_regression or spec.multiclass:
        return {}
    _, label = graph.metric_inputs(metric_id)
    return {label: (is_positive(ref[label], spec.positive), is_positive(cur[label], spec.positive))}


def _evidence(node: str, signals: list[Signal], mech: MechanismResult | None,
              contribution: float | None, change: float, extra: tuple[Evidence, ...] = ()) -> list[Evidence]:
    own = sorted((s for s in signals if s.node == node and s.anomalous),
                 key=lambda s: (-s.effect / MIN_EFFECT.get(s.signal, 0.05), s.signal))
    out = [Evidence(s.signal, s.reference, s.current, s.p_adjusted, s.detail) for s in own[:6]]
    if mech is not None and mech.method != "marginal":
        out.insert(0, Evidence("mechanism", None, None, mech.p_adjusted, mech.detail))
    if mech is not None and mech.moved_with:
        out.append(Evidence("moved_with", None, None, mech.measures.get("sibling_p_value"),
                            f"{', '.join(mech.moved_with)} moved with it; given {node}, "
                            f"{'its' if len(mech.moved_with) == 1 else 'their'} distribution is unchanged, "
                            f"while {node} changed given {'it' if len(mech.moved_with) == 1 else 'them'}"))
    out += list(extra)
    if contribution is not None and change != 0:
        out.append(Evidence("attribution", None, contribution, None,
                            f"explains {contribution:+.3g} of the {change:+.3g} change "
                            f"({contribution / change:.0%})"))
    return out


def diagnose(
    graph: LineageGraph | str | Path,
    reference: TableLike | None = None,
    current: TableLike | None = None,
    metric: str | None = None,
    *,
    data: TableLike | None = None,
    split: str | None = None,
    seed: int = 0,
    sample_rows: int = SAMPLE_ROWS,
    progress: Progress | None = None,
    engine: Engine = "duckdb",
    spark_master: str | None = None,
    jobs: int | None = None,
    trust_model: bool = False,
    golden: TableLike | None = None,
    training: TableLike | None = None,
    estimate: bool = False,
) -> Diagnosis:
    """Why did ``metric`` change between the reference and the current window?

    Every argument is checked first (``ParameterError`` names the wrong one),
    then the windows are read, the metric compared, every node's signals and
    mechanism tested, the change attributed and the causes ranked.

    Parameters
    ----------
    graph : LineageGraph, str or Path
        The lineage graph, or its YAML file.
    reference, current : str, Path or pandas.DataFrame, optional
        The two windows: CSV or Parquet files (a glob or URL too) or DataFrames.
    metric : str, optional
        The metric node to explain; the graph's only one when not given.
    data : str, Path or pandas.DataFrame, optional
        One table to split in time instead of two windows (needs ``split``).
    split : str or datetime, optional
        Where ``data`` splits into reference and current, or ``"auto"``: where the metric changed.
    seed : int, default 0
        Seeds sampling and resampling: the same inputs and seed give the same bytes.
    sample_rows : int, default 20000
        Rows sampled per window for the tests (counts use every row).
    progress : callable, optional
        Called with the name of each step as it starts (``STEPS``).
    engine : {"duckdb", "spark"} or ibis backend, default "duckdb"
        Where the tables are read and counted; only the samples come back to Python.
    spark_master : str, optional
        The Spark master URL for ``engine="spark"`` (default ``local[*]``).
    jobs : int, optional
        Processes for the mechanism tests (default: all cores, at most four, on
        graphs with many of them; the answer is the same).
    trust_model : bool, default False
        Allow model artifacts whose loading runs code (pickles, MLflow).
    golden : str, Path or pandas.DataFrame, optional
        A trusted labelled set to clear or blame the model on (needs the model node's ``artifact``).
    training : str, Path or pandas.DataFrame, optional
        The training snapshot that defines the model's support (default: the reference).
    estimate : bool, default False
        Also give the label-free estimate of the current metric when it has labels
        (a current window without labels always gets one).

    Returns
    -------
    Diagnosis
        The verdict, the ranked causes with their evidence and the chain of whys.

    Raises
    ------
    InputError
        A graph, table or argument the engine cannot use (``ParameterError`` for an argument).

    Examples
    --------
    >>> from causal_rca.scenarios import generate, get_scenario
    >>> s = get_scenario("schema_change_coerced_nulls")  # the demo: merchant codes arrive as text
    >>> windows = generate(s)
    >>> d = diagnose(s.graph_path, windows["reference"], windows["current"], "recall", seed=0)
    >>> d.significant, d.causes[0].node, d.causes[0].failure_mode
    (True, 'merchant_category', 'schema_change')
    """
    # The models are small: one OpenMP thread is as fast, and many spin-waiting threads on a
    # shared machine make gradient boosting tens of times slower.
    check_diagnose_arguments(graph=graph, reference=reference, current=current, metric=metric, data=data, split=split,
                             seed=seed, sample_rows=sample_rows, progress=progress, engine=engine,
                             spark_master=spark_master, jobs=jobs, trust_model=trust_model, golden=golden,
                             training=training, estimate=estimate)
    with threadpool_limits(limits=1, user_api="openmp"), captured_warnings() as raised:
        if split == "auto" and data is not None:
            d = _diagnose_auto_split(graph, data, metric, seed=seed, sample_rows=sample_rows, progress=progress,
                                     jobs=jobs, trust_model=trust_model, golden=golden, training=training,
                                     estimate=estimate)
        else:
            d = _diagnose(graph, reference, current, metric, data=data, split=split, seed=seed,
                          sample_rows=sample_rows, progress=progress, engine=engine, spark_master=spark_master,
                          jobs=jobs, trust_model=trust_model, golden=golden, training=training,
                          estimate=estimate)
    extra = [m for m in diagnosis_messages(raised) if m not in d.warnings]
    return replace(d, warnings=[*d.warnings, *extra]) if extra else d


def _diagnose_auto_split(graph, data: TableLike, metric: str | None, *, seed: int, sample_rows: int,
                         progress: Progress | None, jobs: int | None = None, trust_model: bool = False,
                         golden: TableLike | None = None, training: TableLike | None = None,
                         estimate: bool = False) -> Diagnosis:
    """``--split auto``: split where the metric changed (timeline/changepoint.py), then diagnose."""
    from causal_rca.timeline.changepoint import find_change_point
    from causal_rca.timeline.nodes import node_change_points
    from causal_rca.timeline.series import load_timeline

    graph, metric = metric_to_explain(graph, metric)
    if progress:
        progress("finding when the metric changed")
    timeline = load_timeline(graph, data, metric)
    try:
        point = find_change_point(timeline, seed)
    except ValueError:
        raise ParameterError("{split='auto'}: the log is too short to place a change point; give {split=TIMESTAMP}") from None
    # The split is the best of many candidate times, so the windows' own interval is too optimistic:
    # a change the change-point test does not support is not a significant change.
    d = _diagnose(graph, None, None, metric, data=data, split=point.time.isoformat(), seed=seed,
                  sample_rows=sample_rows, progress=progress, jobs=jobs, trust_model=trust_model, golden=golden,
                  training=training, split_p_value=None if point.significant else point.p_value, estimate=estimate)
    split = {**point.to_dict(), "nodes": [c.to_dict() for c in node_change_points(timeline)]}
    warnings = list(d.warnings)
    if not point.significant:
        warnings.append(f"--split auto: no clear change point (p = {point.p_value:.2g}); the windows are split at "
                        f"the most likely time, {point.time.isoformat()}")
    return replace(d, split=split, warnings=warnings)


def _diagnose(
    graph: LineageGraph | str | Path,
    reference: TableLike | None = None,
    current: TableLike | None = None,
    metric: str | None = None,
    *,
    data: TableLike | None = None,
    split: str | None = None,
    seed: int = 0,
    sample_rows: int = SAMPLE_ROWS,
    progress: Progress | None = None,
    engine: Engine = "duckdb",
    spark_master: str | None = None,
    jobs: int | None = None,
    trust_model: bool = False,
    golden: TableLike | None = None,
    training: TableLike | None = None,
    split_p_value: float | None = None,
    estimate: bool = False,
) -> Diagnosis:
    """``split_p_value``: set when ``--split auto`` chose a split its own test does not support."""
    say = progress or (lambda _msg: None)
    graph, metric = metric_to_explain(graph, metric)
    spec = _metric_spec(graph, metric)  # read again from the reference window once it is open

    artifact = load_model(graph, metric, trust=trust_model, golden=golden)  # bad input fails before any work
    say("reading windows")
    ref_w, cur_w = open_windows(graph, reference, current, data=data, split=split, engine=engine,
                                spark_master=spark_master)
    dtypes = resolve_dtypes(graph, ref_w, cur_w)
    target = resolve_metric(graph, metric, ref_w)  # the metric, resolved once
    spec = target.spec
    dtypes = class_node_dtypes(graph, metric, spec, dtypes)  # a multi-class model's classes are categories
    # A current window without labels is estimated from a binary model's calibrated scores only.
    unlabelled = unlabelled_label(graph, metric, spec, cur_w) if not spec.multiclass else None
    if unlabelled is not None:  # labels not in yet: the engine works on everything else
        dtypes = {n: t for n, t in dtypes.items() if n != unlabelled}
    # Only a model-aware diagnosis gets the review: without one the JSON is what it always was.
    reviewed = artifact is not None or training is not None or unlabelled is not None

    say("sampling")
    # A window larger than its sample: counts look up only values its sample repeats (counts.py).
    beyond_sample = max(ref_w.rows, cur_w.rows) > sample_rows
    ref_s, ref_texts = node_samples(ref_w, graph, dtypes, sample_rows, seed, numbers_as_text=not beyond_sample)
    cur_s, cur_texts = node_samples(cur_w, graph, dtypes, sample_rows, seed + 1, numbers_as_text=not beyond_sample)
    _check_usable(graph, dtypes, ref_s, cur_s)
    warnings = list(dict.fromkeys(ref_w.warnings + cur_w.warnings))
    warnings += [f"node '{n}' is constant in both windows: it cannot explain a change"
                 for n in constant_nodes((ref_w, cur_w), graph, dtypes, (ref_s, cur_s))]

    say("measuring the metric")
    ref_frame, cur_frame = _metric_frames(graph, metric, spec, dtypes, (ref_w, cur_w),
                                          extra=graph.segments if reviewed else (),
                                          with_time=bool(graph.time_column))
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
                                {c: _node_name(graph, n) for c, n in metric_inputs.items()})
    warnings += infinite_values({"reference": ref_s, "current": cur_s}, {
        n: _node_name(graph, n) for n, t in dtypes.items() if t == "numeric" and n not in metric_inputs.values()},
        unit="sampled rows")
    change = comparison.change

    say("counting values")
    ref_counts, cur_counts = measure_counts(ref_w, cur_w, node_columns(graph, dtypes), ref_texts, cur_texts,
                                            ref_s, cur_s, repeated_only=beyond_sample)

    say("measuring signals")
    signals, profiles = measure_signals(graph, ref_counts, cur_counts, dtypes, ref_s, cur_s)
    clustering = design_effects(ref_s, cur_s, dtypes)  # rows that repeat an entity count once between them
    signals = clustered_signals(signals, clustering)
    if clustering:
        worst = max(clustering, key=clustering.get)
        warnings.append(f"rows repeat the entities of '{graph.key_column}': tests count entities where values "
                        f"cluster (design effect up to {clustering[worst]:.1f}, at '{worst}')")

    say("testing mechanisms")
    enc = encode_windows(ref_s, cur_s, dtypes,
                         {} if unlabelled else _label_overrides(graph, metric, spec, ref_s, cur_s))
    mechanisms = assess_mechanisms(graph, enc, signals, seed, nodes=[n for n in graph.observed_nodes() if n in dtypes],
                                   jobs=jobs, design_effects=clustering)

    # The causal graph of the metric: observed ancestors through effective parents.
    parents_of = {n: effective_parents(graph, n) for n in dtypes}
    if spec.name == "mean":
        target, target_parents, rows_target = metric, (), False
        if graph.nodes[metric].observed:
            parents_of[metric] = effective_parents(graph, metric)
    else:
        target, target_parents, rows_target = ROWS_NODE, tuple(graph.metric_inputs(metric)), True
        if unlabelled:
            target_parents = target_parents[:1]
    causal_graph = attribution_graph(parents_of, target, target_parents)
    relevant = set(causal_graph.nodes) - {ROWS_NODE}
    candidates = find_candidates(graph, mechanisms, relevant, signals)
    if comparison.significant and not candidates:
        lenient = lenient_mechanisms(mechanisms)
        candidates = find_candidates(graph, lenient, relevant, signals)
        if candidates:
            mechanisms = lenient
            warnings.append(f"no node's mechanism change passed the test adjusted for all {len(mechanisms)} "
                            f"nodes; the causes below passed it only one node at a time (p < "
                            f"{LENIENT_SIGNIFICANCE}): weak leads, to be confirmed")

    contributions: dict[str, float] | None = None
    # The attribution samples the model node's column and reads the metric row by row from it.
    per_row = spec.form not in JOINT_FORMS  # a multi-class model's output: causal/class_outputs.py
    attributable = unlabelled is None and per_row and (spec.name == "mean" or spec.is_regression or spec.multiclass
                                                       or dtypes[target_parents[0]] in ("numeric", "boolean"))
    if comparison.significant and candidates and not attributable:
        if spec.form in JOINT_FORMS:
            warnings.append(f"{spec.name} is not a sum over rows, so the attribution cannot split its change: "
                            f"candidates ranked by the strength of their mechanism change only, without attribution")
        else:
            warnings.append("the model's output is a class label, not a score: candidates ranked by the strength "
                            "of their mechanism change only, without attribution")
    if comparison.significant and candidates and attributable:
        say("attributing the change")
        from causal_rca.causal.attribution import attribute_change  # DoWhy: imported on this path only
        from causal_rca.causal.class_outputs import class_attribution_inputs

        players = {c.node: list(c.members) for c in candidates}
        att_ref, att_cur, custom = enc.reference, enc.current, None
        if spec.multiclass:
            att_ref, att_cur, custom = class_attribution_inputs(graph, metric, spec, enc, (ref_s, cur_s),
                                                                (ref_w, cur_w), sample_rows, seed)
        attribution = attribute_change(causal_graph, target, spec, att_ref, att_cur, players,
                                       enc.categorical, seed, rows_target=rows_target,
                                       prediction=target_parents[0] if rows_target else None, jobs=jobs,
                                       mechanisms=custom)
        contributions = attribution.contributions
        if len(candidates) > len(attribution.players):
            warnings.append(f"attribution limited to the {len(attribution.players)} strongest of "
                            f"{len(candidates)} candidates")

    causes: list[Cause] = []
    if comparison.significant:
        outcome = row_outcome_description(spec, worse=(change < 0) == spec.higher_is_better)
        moved = {s.node for s in signals if s.anomalous} | {n for n, m in mechanisms.items() if m.changed}
        confidence = (LENIENT_CONFIDENCE if any(m.lenient for m in mechanisms.values()) else 1.0) * quality.confidence
        for rank, (cand, score, contrib) in enumerate(score_candidates(candidates, contributions, change), 1):
            score = round(score * confidence, 4)
            causes.append(_cause(graph, metric, cand, rank, score, contrib, change, comparison,
                                 signals, mechanisms, outcome, moved))

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
            trust_model=trust_model, golden=golden, training=training, label_free=unlabelled is not None,
            estimate=estimate, artifact=artifact, engine=ref_w.backend), causes)
        warnings += review_warnings
    # SHAP decision drivers, with an artifact only; evidence on the causes, no re-ranking (model/driver_review.py)
    drivers, causes, driver_warnings = review_drivers(graph, metric, artifact, ref_s, cur_s, causes, seed, say)
    warnings += driver_warnings
    anomalies = [_as_anomaly(s) for s in sorted(signals, key=lambda s: (s.p_adjusted, -s.effect, s.node, s.signal))
                 if s.anomalous]
    broken_contracts = [_as_anomaly(s) for s in null_contract_violations(graph, profiles)]
    anomalous_nodes = {a.node for a in anomalies} | {n for n, m in mechanisms.items() if m.changed}
    checked_clear = [n for n in graph.observed_nodes() if n not in anomalous_nodes and n in dtypes]
    summary = _summary(metric, comparison, causes, split_p_value)
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
        **_report_extras(graph, dtypes, ref_s, cur_s, causes),
    )


def _as_anomaly(s: Signal) -> Anomaly:
    return Anomaly(s.node, s.signal, s.reference, s.current, s.p_adjusted, s.detail)


def _report_extras(graph: LineageGraph, dtypes: dict[str, str], ref_s: pd.DataFrame, cur_s: pd.DataFrame,
                   causes: list[Cause]) -> dict:
    """What reports need beyond the verdict: the graph to draw and the top causes' distributions to plot.

    Read only after ranking, from the same seeded samples, so it changes no
    verdict and the JSON stays byte-stable for a seed.
    """
    return {"lineage": graph,
            "distributions": distribution_summaries(ref_s, cur_s, dtypes, plotted_nodes(causes))}


def _check_usable(graph: LineageGraph, dtypes: dict[str, str], ref: pd.DataFrame, cur: pd.DataFrame) -> None:
    """Refuse windows that cannot be compared, rather than answer from nothing.

    A feature that is all null in the *current* window is a finding (an
    outage), but with no reference values there is no baseline, and with
    no model output or labels there is no metric.
    """
    for name, frame in (("reference", ref), ("current", cur)):
        if all(frame[n].isna().all() for n in dtypes):
            raise InputError(f"every column the graph names is null in the {name} window")
    for node_id in dtypes:
        node = graph.nodes[node_id]
        where = [name for name, frame in (("reference", ref), ("current", cur)) if frame[node_id].isna().all()]
        if "reference" in where or (where and node.kind in ("model", "label", "metric")):
            raise InputError(f"node '{node_id}' (column '{node.column}') is entirely null in the "
                             f"{' and '.join(where)} window: there is nothing to compare")


def _cause(graph, metric, cand: Candidate, rank, score, contrib, change, comparison, signals, mechanisms,
           outcome, moved: set[str]) -> Cause:
    root_mech = mechanisms.get(cand.node)
    mode, _decided_by, alternatives = classify(graph, cand.node, signals, root_mech)
    path = fault_path(graph, cand.node, metric, moved)
    why = why_chain(graph, metric, cand.node, mode, comparison.reference.value, comparison.current.value,
                    signals, mechanisms, outcome, path)
    children = [k for k in cand.members if k in graph.children(cand.node)]
    children_evidence = [Evidence("mechanism", None, None, mechanisms[k].p_adjusted, f"{k}: {mechanisms[k].detail}")
                         for k in children]
    if cand.latent:
        evidence = children_evidence
        if contrib is not None and change != 0:
            evidence.append(Evidence("attribution", None, contrib, None,
                                     f"its children together explain {contrib:+.3g} of the {change:+.3g} change"))
    else:  # an observed service carries the children that fell back with it (rank.find_candidates)
        evidence = _evidence(cand.node, signals, root_mech, contrib, change, tuple(children_evidence))
    node = graph.nodes[cand.node]
    return Cause(rank=rank, node=cand.node, failure_mode=mode, category=node.category, score=score,
                 contribution=contrib, p_value=cand.p_value, evidence=evidence, why=why,
                 mitigation=MITIGATION[mode], path=path, owner=node.owner,
                 alternatives=[{"failure_mode": m, "evidence": said, "mitigation": MITIGATION[m]}
                               for m, said in alternatives],
                 children=children)


def _summary(metric: str, comparison, causes: list[Cause], split_p_value: float | None = None) -> str:
    change = comparison.change
    verb = "fell" if change < 0 else "rose"
    if split_p_value is not None:
        from causal_rca.timeline.changepoint import SIGNIFICANCE as CHANGE_POINT_LEVEL

        return (f"{metric} moved {change:+.3g} ({comparison.reference.value:.3g} → {comparison.current.value:.3g}) "
                f"across the most likely split, but the change-point test does not support a change there "
                f"(p = {split_p_value:.2g}, held to {CHANGE_POINT_LEVEL:g} because the split is the best of many "
                f"times): no significant change to explain")
    if not comparison.significant:
        return (f"{metric} moved {change:+.3g} ({comparison.reference.value:.3g} → {comparison.current.value:.3g}), "
                f"within the noise (95% CI of the change {comparison.change_ci[0]:+.3g} to "
                f"{comparison.change_ci[1]:+.3g}): no significant change to explain")
    if not causes:
        return (f"{metric} {verb} {abs(change):.3g}; no node of the graph changed its own mechanism: "
                f"the cause may lie outside the graph")
    top = causes[0]
    return f"{metric} {verb} {abs(change):.3g}; most likely cause: {top.failure_mode} at {top.node}"
