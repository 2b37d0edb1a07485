#!/usr/bin/env python
"""Accuracy benchmark: who names the true root cause of a metric change?

    python benchmarks/accuracy.py --cases 200 --seed 20261123 [--jobs 1] [--out docs/benchmarks.md]
    python benchmarks/accuracy.py --family blind --cases 250 [--jobs 2] [--out docs/benchmarks.md]
    python benchmarks/accuracy.py --kinds binary,multiclass,regression --cases 300 [--jobs 2]

Cases come from ``benchmarks.cases.random_family.draw_case(seed + i)`` (``--family random``) or
from the held-out ``benchmarks.blind_family`` written from the specs alone (``--family blind``):
random pipelines (6–40 nodes) with one fault from the 11 failure modes, or
none (controls). Three methods answer on the same cases, side by side:

(a) **drift ranking**, as monitoring tools do today: every observed ancestor
    of the metric is ranked by a two-sample drift statistic between the
    windows (KS statistic for numeric columns with nulls kept as a mass below
    every value, total variation distance for categorical columns with null
    as a category); the top node is the answer, its failure mode always
    ``distribution_shift``.
(b) **DoWhy's own recipe** (``dowhy.gcm``): a ``ProbabilisticCausalModel`` on
    the observed lineage graph plus a row-level metric node, mechanisms from
    ``gcm.auto.assign_causal_mechanisms`` on the reference, then
    ``gcm.distribution_change(model, reference, current, row_node,
    difference_estimation_func=<metric change>)``; nodes ranked by absolute
    attribution. No failure mode (counted as wrong). A case where gcm raises
    (or exceeds the time limit) is a miss.
(c) **causal-rca**: ``causal_rca.api.diagnose``.

(a) and (b) decide significance with the same metric interval as causal-rca
(``causal_rca.metrics.compare_windows`` at the case seed): they blame a node
only when the change is significant, so on controls all three raise the
same false alarms unless causal-rca's own test disagrees.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread per worker: --jobs sets the parallelism

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from causal_rca.lineage.loader import graph_from_dict  # noqa: E402
from causal_rca.metrics import MetricSpec, compare_windows, encode_rows, metric_frame, metric_from_encoded  # noqa: E402
from benchmarks.case_families import FAMILIES, default_seed, draw, parse_kinds  # noqa: E402
from benchmarks.accuracy_report import (  # noqa: E402
    DOWHY_NUM_SAMPLES, DOWHY_PERMUTATIONS, DOWHY_ROWS, DOWHY_TEST_ROWS, DOWHY_TIME_LIMIT, HEADINGS, METHODS,
    Answer, CaseResult, render_section, render_tables, summarise, write_section,
)
# the rest of the report's public names, importable from here as before
from benchmarks.accuracy_report import BLIND_CASES, TITLES, render_random_section  # noqa: E402, F401

ROW_NODE = "__metric_row__"
THRESHOLD_METRICS = ("recall", "precision", "accuracy", "f1")


# --------------------------------------------------------------------------- shared


def metric_comparison(graph, metric: str, ref: pd.DataFrame, cur: pd.DataFrame, seed: int):
    node = graph.nodes[metric]
    spec = MetricSpec(node.metric, threshold=node.threshold, positive=node.positive)
    if spec.name == "mean":  # a business metric: the mean of the metric node's own column
        frames = [metric_frame(spec, None, None, value=w[node.column]) for w in (ref, cur)]
    else:
        pred, label = graph.metric_inputs(metric)
        frames = [metric_frame(spec, w[graph.nodes[pred].column], w[graph.nodes[label].column]) for w in (ref, cur)]
    return spec, compare_windows(spec, frames[0], frames[1], seed)


def observed_ancestors(graph, metric: str) -> list[str]:
    return [n for n in graph.topological_order() if n in graph.ancestors(metric) and graph.nodes[n].observed]


def is_categorical(graph, node_id: str, ref_col: pd.Series) -> bool:
    """The declared dtype, else the reference column's type (numeric text counts as numeric)."""
    declared = graph.nodes[node_id].dtype
    if declared is not None:
        return declared in ("categorical", "text", "boolean")
    if pd.api.types.is_numeric_dtype(ref_col) or pd.api.types.is_bool_dtype(ref_col):
        return False
    present = ref_col.dropna()
    parsed = pd.to_numeric(present.astype(object), errors="coerce")
    return bool(len(present) == 0 or parsed.notna().mean() < 0.95)


def as_float(col: pd.Series) -> np.ndarray:
    return pd.to_numeric(col.astype(object), errors="coerce").astype(float).to_numpy()


# --------------------------------------------------------------------------- (a) drift ranking


def ks_with_nulls(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample KS statistic with nulls as a point mass below every value."""
    a = np.sort(np.where(np.isnan(a), -np.inf, a))
    b = np.sort(np.where(np.isnan(b), -np.inf, b))
    if len(a) == 0 or len(b) == 0:
        return 0.0
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / len(a)
    fb = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def tvd_with_nulls(a: pd.Series, b: pd.Series) -> float:
    """Total variation distance between category shares, null as a category."""
    pa = a.astype(object).where(a.notna(), "<null>").astype(str).value_counts(normalize=True)
    pb = b.astype(object).where(b.notna(), "<null>").astype(str).value_counts(normalize=True)
    keys = pa.index.union(pb.index)
    return float(0.5 * np.abs(pa.reindex(keys, fill_value=0.0) - pb.reindex(keys, fill_value=0.0)).sum())


def drift_ranking(graph, metric: str, ref: pd.DataFrame, cur: pd.DataFrame, seed: int) -> Answer:
    started = time.perf_counter()
    _, comparison = metric_comparison(graph, metric, ref, cur, seed)
    scores = {}
    for n in observed_ancestors(graph, metric):
        col = graph.nodes[n].column
        if is_categorical(graph, n, ref[col]):
            scores[n] = tvd_with_nulls(ref[col], cur[col])
        else:
            scores[n] = ks_with_nulls(as_float(ref[col]), as_float(cur[col]))
    order = list(scores)
    ranked = sorted(order, key=lambda n: (-scores[n], order.index(n)))
    significant = comparison.significant
    return Answer(significant, ranked if significant else [], "distribution_shift" if significant else None,
                  time.perf_counter() - started)


# --------------------------------------------------------------------------- (b) DoWhy's recipe


def _gcm_frames(graph, nodes: list[str], ref: pd.DataFrame, cur: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The minimum gcm needs: label-encoded categoricals, numbers parsed, nulls = reference median."""
    out_ref, out_cur = {}, {}
    for n in nodes:
        col = graph.nodes[n].column
        r, c = ref[col], cur[col]
        if is_categorical(graph, n, r):
            rt = r.astype(object).where(r.notna(), None)
            ct = c.astype(object).where(c.notna(), None)
            cats = sorted({str(v) for v in pd.concat([rt, ct]).dropna()})
            code = {v: float(i) for i, v in enumerate(cats)}
            rv = rt.map(lambda v: np.nan if v is None else code[str(v)]).astype(float).to_numpy()
            cv = ct.map(lambda v: np.nan if v is None else code[str(v)]).astype(float).to_numpy()
        else:
            rv, cv = as_float(r), as_float(c)
        med = float(np.nanmedian(rv)) if np.isfinite(rv).any() else 0.0
        out_ref[n] = np.where(np.isfinite(rv), rv, med)
        out_cur[n] = np.where(np.isfinite(cv), cv, med)
    return pd.DataFrame(out_ref), pd.DataFrame(out_cur)


def _decode(spec: MetricSpec, v: np.ndarray) -> np.ndarray:
    """Sampled row values back to the metric's row encoding (-1 = the row does not enter it)."""
    v = np.asarray(v, dtype=float).ravel()
    out = np.where(v < -0.5, np.nan, v)
    if spec.name in THRESHOLD_METRICS:
        return np.clip(np.round(out), 0.0, 1.0)
    if spec.name == "roc_auc":
        return np.clip(out, 0.0, 3.0)
    return np.maximum(out, 0.0)


def _metric_of_samples(spec: MetricSpec, v: np.ndarray) -> float:
    try:
        return metric_from_encoded(spec, _decode(spec, v))
    except Exception:  # noqa: BLE001 - no row entered the metric in these samples
        return float("nan")


class _TimeLimit(Exception):
    pass


def _alarm(_signum, _frame):
    raise _TimeLimit(f"DoWhy exceeded {DOWHY_TIME_LIMIT}s")


def dowhy_ranking(graph, metric: str, ref: pd.DataFrame, cur: pd.DataFrame, seed: int, *,
                  rows: int = DOWHY_ROWS, num_samples: int = DOWHY_NUM_SAMPLES,
                  permutations: int = DOWHY_PERMUTATIONS, time_limit: int = DOWHY_TIME_LIMIT,
                  test_rows: int = DOWHY_TEST_ROWS) -> Answer:
    import functools

    import networkx as nx
    from dowhy import gcm
    from dowhy.gcm.independence_test import kernel_based
    from dowhy.gcm.shapley import ShapleyConfig

    started = time.perf_counter()
    spec, comparison = metric_comparison(graph, metric, ref, cur, seed)
    if not comparison.significant:
        return Answer(False, [], None, time.perf_counter() - started)
    nodes = observed_ancestors(graph, metric)
    dag = nx.DiGraph()
    dag.add_nodes_from(nodes)
    for n in nodes:
        for p in graph.observed_parents(n):
            if p in nodes:
                dag.add_edge(p, n)
    pred, label = graph.metric_inputs(metric)
    # A metric over a column of its own (``mean`` of an approval flag) reads no prediction/label pair:
    # its row value is that column, computed from the metric node's parents.
    value_column = graph.nodes[metric].column if spec.name == "mean" else None
    for parent in ((pred, label) if value_column is None else graph.observed_parents(metric)):
        if parent in nodes:
            dag.add_edge(parent, ROW_NODE)

    ref_s = ref.sample(n=min(rows, len(ref)), random_state=seed % (2**32)) if rows else ref
    cur_s = cur.sample(n=min(rows, len(cur)), random_state=(seed + 1) % (2**32)) if rows else cur
    ref_d, cur_d = _gcm_frames(graph, nodes, ref_s, cur_s)
    for frame, raw in ((ref_d, ref_s), (cur_d, cur_s)):
        if value_column is None:
            rows_frame = metric_frame(spec, raw[graph.nodes[pred].column], raw[graph.nodes[label].column])
        else:
            rows_frame = metric_frame(spec, None, None, value=raw[value_column])
        enc = encode_rows(spec, rows_frame)
        frame[ROW_NODE] = np.where(np.isnan(enc), -1.0, enc)

    def difference(old: np.ndarray, new: np.ndarray) -> float:
        return _metric_of_samples(spec, new) - _metric_of_samples(spec, old)

    previous = None
    if time_limit and hasattr(signal, "SIGALRM"):
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(int(time_limit))
    try:
        np.random.seed(seed % (2**32))  # gcm samples from numpy's global generator
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = gcm.ProbabilisticCausalModel(dag)
            gcm.auto.assign_causal_mechanisms(model, ref_d)
            # gcm's own mechanism-change test (kernel, KCI), on at most ``test_rows`` rows per test
            test = functools.partial(kernel_based, max_num_samples_run=test_rows)
            attributions = gcm.distribution_change(
                model, ref_d, cur_d, ROW_NODE, num_samples=num_samples, difference_estimation_func=difference,
                independence_test=test, conditional_independence_test=test,
                shapley_config=ShapleyConfig(num_permutations=permutations, n_jobs=1))
    except Exception as exc:  # noqa: BLE001 - a method that raises misses the case
        return Answer(True, [], None, time.perf_counter() - started, f"{type(exc).__name__}: {exc}"[:200])
    finally:
        if previous is not None:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    scores = {n: abs(float(v)) if np.isfinite(v) else 0.0 for n, v in attributions.items() if n != ROW_NODE}
    ranked = sorted(scores, key=lambda n: (-scores[n], nodes.index(n)))
    return Answer(True, ranked, None, time.perf_counter() - started)


# --------------------------------------------------------------------------- (c) causal-rca


def causal_rca_answer(graph, metric: str, ref: pd.DataFrame, cur: pd.DataFrame, seed: int) -> Answer:
    from causal_rca.api import diagnose

    started = time.perf_counter()
    try:
        d = diagnose(graph, ref, cur, metric, seed=seed, jobs=1)  # cases already run in parallel
    except Exception as exc:  # noqa: BLE001 - an engine error is a miss, not a crashed benchmark
        return Answer(False, [], None, time.perf_counter() - started, f"{type(exc).__name__}: {exc}"[:200])
    causes = sorted(d.causes, key=lambda c: c.rank)
    return Answer(bool(d.significant), [c.node for c in causes], causes[0].failure_mode if causes else None,
                  time.perf_counter() - started)


# --------------------------------------------------------------------------- one case


def run_case(seed: int, dowhy_options: dict[str, Any] | None = None, family: str = "random",
             kinds: tuple[str, ...] = ("binary",)) -> CaseResult | None:
    """Draw one case and answer it with the three methods, one thread each (BLAS and OpenMP).

    ``None`` for a case its generator marks unusable (the blind family's few faults that never
    moved the metric clearly)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _run_case(seed, dowhy_options, family, kinds)


def _run_case(seed: int, dowhy_options: dict[str, Any] | None, family: str = "random",
              kinds: tuple[str, ...] = ("binary",)) -> CaseResult | None:
    from dowhy.gcm import config as gcm_config

    gcm_config.disable_progress_bars()
    gcm_config.default_n_jobs = 1
    started = time.perf_counter()
    case = draw(family, seed, kinds)
    if not case.usable:
        return None
    generated = time.perf_counter() - started
    graph = graph_from_dict(case.graph, f"<{family} case {seed}>")
    result = CaseResult(seed, len(case.graph["nodes"]), case.metric, case.significant, case.node,
                        case.mode, generate_seconds=generated, kind=case.kind)
    result.answers["drift"] = _guarded(drift_ranking, graph, case.metric, case.reference, case.current, seed)
    result.answers["dowhy"] = _guarded(dowhy_ranking, graph, case.metric, case.reference, case.current, seed,
                                       **(dowhy_options or {}))
    result.answers["causal-rca"] = causal_rca_answer(graph, case.metric, case.reference, case.current, seed)
    return result


def _guarded(method, *args, **kwargs) -> Answer:
    """A baseline that raises on a case misses it (column *errors*) instead of ending the run."""
    started = time.perf_counter()
    try:
        return method(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - e.g. gcm on a metric it cannot express row by row
        return Answer(False, [], None, time.perf_counter() - started, f"{type(exc).__name__}: {exc}"[:200])


# --------------------------------------------------------------------------- the run


def run_benchmark(cases: int, seed: int, jobs: int = 1, dowhy_options: dict[str, Any] | None = None,
                  progress: bool = False, family: str = "random",
                  kinds: tuple[str, ...] = ("binary",)) -> list[CaseResult]:
    seeds = [seed + i for i in range(cases)]
    results: list[CaseResult] = []
    if jobs <= 1:
        for i, s in enumerate(seeds):
            r = run_case(s, dowhy_options, family, kinds)
            if r is not None:
                results.append(r)
                if progress:
                    _progress(i + 1, cases, r)
        return results
    import multiprocessing as mp

    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(run_case, s, dowhy_options, family, kinds) for s in seeds]
        for i, fut in enumerate(futures):
            r = fut.result()
            if r is not None:
                results.append(r)
                if progress:
                    _progress(i + 1, cases, r)
    return results


def _progress(i: int, total: int, r: CaseResult) -> None:
    bits = []
    for m in METHODS:
        a = r.answers[m]
        bits.append(f"{m}={a.nodes[0] if a.nodes else '-'}{'!' if a.error else ''}({a.seconds:.1f}s)")
    truth = f"{r.truth_node}/{r.truth_mode}" if r.truth_significant else "control"
    print(f"[{i}/{total}] seed {r.seed} ({r.nodes} nodes, {r.metric}) truth {truth}: {' '.join(bits)}",
          file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--family", choices=FAMILIES, default="random",
                        help="random: the project's generator; blind: the held-out family (docs/blind-family.md)")
    parser.add_argument("--seed", type=int, default=None, help="first seed (default: the family's evaluation seed)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="write the Accuracy section into this Markdown file")
    parser.add_argument("--dowhy-rows", type=int, default=DOWHY_ROWS)
    parser.add_argument("--dowhy-test-rows", type=int, default=DOWHY_TEST_ROWS)
    parser.add_argument("--dowhy-samples", type=int, default=DOWHY_NUM_SAMPLES)
    parser.add_argument("--dowhy-permutations", type=int, default=DOWHY_PERMUTATIONS)
    parser.add_argument("--dowhy-time-limit", type=int, default=DOWHY_TIME_LIMIT)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--kinds", type=parse_kinds, default=("binary",),
                        help="random family: model kinds to draw, comma-separated (binary, multiclass, regression)")
    args = parser.parse_args(argv)
    kinds = args.kinds
    options = {"rows": args.dowhy_rows, "test_rows": args.dowhy_test_rows, "num_samples": args.dowhy_samples,
               "permutations": args.dowhy_permutations, "time_limit": args.dowhy_time_limit}
    seed = default_seed(args.family) if args.seed is None else args.seed
    started = time.perf_counter()
    results = run_benchmark(args.cases, seed, args.jobs, options, progress=not args.quiet, family=args.family,
                            kinds=kinds)
    total = time.perf_counter() - started
    summary = summarise(results)
    print(render_tables(summary))
    print(f"\ntotal {total / 60:.1f} min", file=sys.stderr)
    if args.out is not None:
        family = f" --family {args.family}" if args.family != "random" else ""
        command = f"python benchmarks/accuracy.py{family} --cases {args.cases} --seed {seed} --jobs {args.jobs}"
        command += f" --kinds {','.join(kinds)}" if kinds != ("binary",) else ""
        defaults = {"rows": DOWHY_ROWS, "test_rows": DOWHY_TEST_ROWS, "num_samples": DOWHY_NUM_SAMPLES,
                    "permutations": DOWHY_PERMUTATIONS, "time_limit": DOWHY_TIME_LIMIT}
        flags = {"rows": "--dowhy-rows", "test_rows": "--dowhy-test-rows", "num_samples": "--dowhy-samples",
                 "permutations": "--dowhy-permutations", "time_limit": "--dowhy-time-limit"}
        command += "".join(f" {flags[k]} {v}" for k, v in options.items() if v != defaults[k])
        command += f" --out {args.out}"
        write_section(args.out, render_section(summary, command, total, args.jobs, options, args.family,
                                               args.cases - len(results)), HEADINGS[args.family])
    return 0


if __name__ == "__main__":
    sys.exit(main())
