"""Benchmark of `validate --check-graph` and the diagnosis' graph_warnings (issue 24).

1. Deleted edges: for 10 scenarios, one true edge out of the scenario's true
   cause into a child that keeps another observed parent is deleted from the
   graph (the list below was fixed before the first run). Is the deleted
   edge among the top-3 suggestions of the check on the reference window
   (target 8/10)? Does the diagnosis of the scenario's fault on the damaged
   graph still name the true node, or warn (graph_warnings) that the graph
   misses an edge at the node it names?
2. False alarms: conditions reported on every scenario's own graph (target
   5% of tested conditions or fewer) and how many graphs the permutation
   baseline calls better than chance.
3. Runtime: the check on a 40-node graph at 20,000 rows (target 30 s), median
   of repeats, against reading the same table for `validate --data` without
   the check (measured in the same run), with and without the baseline.

Run: python3 benchmarks/graph_check.py [--skip-diagnosis] [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from causal_rca.api import diagnose  # noqa: E402
from causal_rca.causal.graph_check import check_graph  # noqa: E402
from causal_rca.lineage import graph_from_dict  # noqa: E402
from causal_rca.scenarios import generate, get_scenario, list_scenarios, load_truth  # noqa: E402

# (scenario, child, deleted parent): the parent is the scenario's true cause.
DELETED = (
    ("card_feature_store_outage_defaults", "fraud_model", "amount_7d_avg"),
    ("card_rolling_average_ingestion_delay", "is_fraud", "amount_7d_avg"),
    ("card_new_market_foreign_currency", "is_fraud", "amount"),
    ("eta_routing_distance_in_miles", "travel_time_est", "distance_km"),
    ("eta_weather_feed_outage", "eta_model", "rain_mm"),
    ("churn_scaler_refit_per_partition", "churn_model", "charges_z"),
    ("credit_thin_file_policy", "credit_score", "credit_history_months"),
    ("usedcar_heavier_trade_ins", "power_to_weight", "curb_weight_kg"),
    ("eta_frozen_prep_time_cache", "eta_model", "prep_time_7d_avg"),
    ("motor_driver_age_band_in_months", "claim_model", "driver_age_band"),
)


def _graph_dict(name: str) -> dict:
    return yaml.safe_load((get_scenario(name).directory / "graph.yaml").read_text(encoding="utf-8"))


def deleted_edges(with_diagnosis: bool) -> None:
    print("## Deleted edges (one true edge out of the true cause)\n")
    print("| scenario | deleted edge | rank among suggestions | top cause | graph warning at it |")
    print("|---|---|---|---|---|")
    suggested = named = 0
    for name, child, parent in DELETED:
        scenario = get_scenario(name)
        d = _graph_dict(name)
        d["nodes"][child]["parents"].remove(parent)
        graph = graph_from_dict(d)
        frames = generate(scenario, scenario.seed)
        result = check_graph(graph, frames["reference"], baseline=False)
        edges = [(v.node, v.other) for v in result.violations]
        rank = edges.index((child, parent)) + 1 if (child, parent) in edges else None
        suggested += rank is not None and rank <= 3
        top, warning = "-", "-"
        if with_diagnosis:
            truth = load_truth(scenario)
            diagnosis = diagnose(graph, frames["reference"], frames["current"], scenario.metric, seed=scenario.seed)
            top = diagnosis.causes[0].node if diagnosis.causes else "none"
            at_top = [w for w in diagnosis.graph_warnings if w["node"] == top]
            warning = f"{at_top[0]['parent']} -> {top}" if at_top else "none"
            ok = top == truth.node or bool(at_top)
            named += ok
            top = f"{top}{' (true)' if top == truth.node else ''}"
        print(f"| {name} | {parent} -> {child} | {rank or 'not suggested'} | {top} | {warning} |", flush=True)
    print(f"\ndeleted edge in the top 3 suggestions: {suggested}/{len(DELETED)} (target 8)")
    if with_diagnosis:
        print(f"diagnosis names the true node or warns at the node it names: {named}/{len(DELETED)}")


def false_alarms() -> None:
    print("\n## Every scenario's own graph on its reference window\n")
    tested = reported = better = with_baseline = 0
    seconds = []
    for scenario in list_scenarios():
        graph = graph_from_dict(_graph_dict(scenario.name))
        started = time.perf_counter()
        result = check_graph(graph, generate(scenario, scenario.seed)["reference"])
        seconds.append(time.perf_counter() - started)
        tested += result.tests
        reported += len(result.violations)
        if result.baseline is not None:
            with_baseline += 1
            better += result.baseline.better_than_chance()
        for v in result.violations:
            print(f"- {scenario.name}: {v.message()}", flush=True)
    print(f"\nreported {reported} of {tested} tested conditions ({reported / max(tested, 1):.1%}; target 5%); "
          f"better than chance: {better} of {with_baseline} graphs with a baseline; "
          f"median {statistics.median(seconds):.1f} s per graph (with the baseline)")


def runtime(repeats: int) -> None:
    from benchmarks.cases.scale_family import scale_pipeline, write_window
    from causal_rca.windows.validate import check_table

    print("\n## Runtime: 40 nodes, 20,000 rows\n")
    pipeline = scale_pipeline(40, 7)
    graph = graph_from_dict(pipeline.graph())
    with tempfile.TemporaryDirectory() as tmp:
        table = str(write_window(pipeline, 20_000, Path(tmp) / "reference.parquet", faulty=False, window_seed=1))
        times: dict[str, list[float]] = {"validate --data (no check)": [], "check, no baseline": [],
                                         "check with baseline": []}
        for _ in range(repeats):
            for label, run in (("validate --data (no check)", lambda: check_table(graph, table)),
                               ("check, no baseline", lambda: check_graph(graph, table, baseline=False)),
                               ("check with baseline", lambda: check_graph(graph, table))):
                started = time.perf_counter()
                out = run()
                times[label].append(time.perf_counter() - started)
                if label == "check with baseline":
                    last = out
    base = statistics.median(times["validate --data (no check)"])
    for label, values in times.items():
        median = statistics.median(values)
        print(f"- {label}: median {median:.1f} s of {repeats} (x{median / base:.1f} the plain validate)")
    print(f"- {last.tests} conditions at {len(last.tested_nodes)} nodes; "
          f"{len(last.violations)} reported; {last.baseline.message() if last.baseline else 'no baseline'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-diagnosis", action="store_true", help="only the suggestions, not the diagnoses")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=("edges", "alarms", "runtime"))
    args = parser.parse_args(argv)
    if args.only in (None, "edges"):
        deleted_edges(not args.skip_diagnosis)
    if args.only in (None, "alarms"):
        false_alarms()
    if args.only in (None, "runtime"):
        runtime(args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
