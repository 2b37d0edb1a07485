#!/usr/bin/env python
"""causal-rca alone on the accuracy benchmark's cases (no baselines): a quick re-measure.

    python benchmarks/accuracy_engine_only.py --cases 200 --seed 20261123 --jobs 2
    python benchmarks/accuracy_engine_only.py --family blind --cases 250 --jobs 2   # the held-out family
    python benchmarks/accuracy_engine_only.py --family spec --cases 200 --jobs 2    # the second held-out family
    python benchmarks/accuracy_engine_only.py --family field --cases 200 --jobs 2   # the third held-out family
    python benchmarks/accuracy_engine_only.py --kinds multiclass,regression --cases 200 --seed 5000 --jobs 2

Same cases and the same answer function as ``benchmarks/accuracy.py``; prints AC@1,
AC@3, failure-mode accuracy when the node is right, false alarms and median seconds,
overall, per model kind (``--kinds``: binary, multiclass, regression) and per failure mode.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy import causal_rca_answer  # noqa: E402
from case_families import FAMILIES, default_seed, draw, parse_kinds  # noqa: E402

from causal_rca.lineage.loader import graph_from_dict  # noqa: E402


def one(family: str, seed: int, kinds: tuple[str, ...] = ("binary",)) -> tuple | None:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        case = draw(family, seed, kinds)
        if not case.usable:
            return None
        graph = graph_from_dict(case.graph, f"<{family} case {seed}>")
        a = causal_rca_answer(graph, case.metric, case.reference, case.current, seed)
    return (case.mode if case.significant else "control", case.significant, case.node, a.significant,
            list(a.nodes), a.mode, a.seconds, getattr(a, "error", None), case.kind)


def planned_seeds(family: str, first: int, cases: int, mode: str | None) -> list[int]:
    """``cases`` seeds from ``first``; with ``mode``, the next ``cases`` blind seeds planned with that mode.

    Selecting by the plan, not by the drawn case, keeps a targeted run cheap and leaves the
    generator untouched: the plan is what the draw realises.
    """
    if mode is None:
        return [first + i for i in range(cases)]
    if family == "blind":
        from benchmarks.blind_family.plan import plan_case

        def planned_mode(seed: int) -> str | None:
            return plan_case(seed).mode
    elif family == "spec":
        from benchmarks.spec_family import plan_case as plan_spec_case

        def planned_mode(seed: int) -> str | None:
            return plan_spec_case(seed)["failure_mode"] or "control"
    elif family == "field":
        from benchmarks.field_family import plan_case as plan_field_case

        def planned_mode(seed: int) -> str | None:
            return plan_field_case(seed)["failure_mode"] or "control"
    else:
        raise SystemExit("--mode needs --family blind, spec or field")

    seeds, seed = [], first
    while len(seeds) < cases:
        if planned_mode(seed) == mode:
            seeds.append(seed)
        seed += 1
    return seeds


def score(rows: list[tuple]) -> tuple[dict[str, list[int]], int, int, list[float]]:
    """(per mode: cases, top1, top3, mode right when node right; false alarms; controls; seconds)."""
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    alarms, controls, secs = 0, 0, []
    for mode, sig, node, answered_sig, nodes, amode, seconds, _err, _kind in rows:
        secs.append(seconds)
        if not sig:
            controls += 1
            alarms += bool(answered_sig and nodes)
            continue
        top1 = bool(nodes) and nodes[0] == node
        per[mode][0] += 1
        per[mode][1] += top1
        per[mode][2] += node in nodes[:3]
        per[mode][3] += top1 and amode == mode
    return per, alarms, controls, secs


def summary_line(rows: list[tuple]) -> str:
    per, alarms, controls, secs = score(rows)
    tot = [sum(v[i] for v in per.values()) for i in range(4)]
    return (f"faulty {tot[0]}  AC@1 {tot[1] / max(tot[0], 1):.3f}  AC@3 {tot[2] / max(tot[0], 1):.3f}  "
            f"mode|node {tot[3] / max(tot[1], 1):.3f}  false alarms {alarms}/{controls}  "
            f"median s {statistics.median(secs) if secs else float('nan'):.2f}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--family", choices=FAMILIES, default="random")
    ap.add_argument("--seed", type=int, default=None, help="first seed (default: the family's evaluation seed)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--misses", action="store_true", help="print every case the engine got wrong")
    ap.add_argument("--kinds", type=parse_kinds, default=("binary",),
                    help="random family: model kinds to draw, comma-separated (binary, multiclass, regression)")
    ap.add_argument("--mode", default=None,
                    help="blind, spec or field family: only the seeds whose plan injects this failure mode (the plan is "
                         "read without drawing data); --cases then counts matching seeds")
    args = ap.parse_args()
    kinds = args.kinds
    first = default_seed(args.family) if args.seed is None else args.seed
    drawn = planned_seeds(args.family, first, args.cases, args.mode)
    with ProcessPoolExecutor(args.jobs) as pool:
        answered = list(pool.map(one, [args.family] * len(drawn), drawn, [kinds] * len(drawn)))
    seeds = [s for s, r in zip(drawn, answered) if r is not None]
    rows = [r for r in answered if r is not None]
    only = f" planned as {args.mode}" if args.mode else ""
    print(f"{args.family} family, seeds {drawn[0]}..{drawn[-1]}{only}: {len(rows)} cases "
          f"({len(drawn) - len(rows)} left out by the generator)")
    for seed, (mode, sig, node, answered_sig, nodes, amode, seconds, err, kind) in zip(seeds, rows):
        if args.misses and (err or (sig and (not nodes or nodes[0] != node or amode != mode))
                            or (not sig and answered_sig and nodes)):
            print(f"miss seed {seed} ({kind}): truth {node}/{mode} answer {nodes[:3]}/{amode} {err or ''}")
    print(summary_line(rows))
    for kind in sorted({r[-1] for r in rows}):
        print(f"  {kind:20s} {summary_line([r for r in rows if r[-1] == kind])}")
    per = score(rows)[0]
    for mode in sorted(per):
        n, a1, a3, m = per[mode]
        print(f"  {mode:20s} n={n:3d}  AC@1 {a1 / n:.2f}  AC@3 {a3 / n:.2f}  mode|node {m / max(a1, 1):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
