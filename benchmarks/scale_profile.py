#!/usr/bin/env python
"""Where the time goes in one case of the scale targets: a profile by stage, for the cases that miss.

    python benchmarks/scale_profile.py CASE [--data /tmp/causal-rca-scale] [--jobs 1] [--top 25] [--imports]

``CASE`` is a target of ``benchmarks/scale.py --targets`` (``name/fault``, e.g. ``1m/skew``). One fresh
process runs it under cProfile: ``why`` on the command line, or for "fitted" ``CausalRCA.fit`` and then
``diagnose`` with only the ``diagnose`` profiled. ``--jobs 1`` (the default here) keeps the causal step's
work in the profiled process: with worker processes the profile would show the waiting, not the work.
Prints the run's total, the engine's stages (cumulative seconds and share of the total: a stage's
functions, see ``STAGES``), and the ``--top`` entries by cumulative and by own time. ``--imports``
runs the case once more under ``python -X importtime`` and prints the top-level packages by import
time (the start-up).
"""

from __future__ import annotations

import argparse
import json
import pstats
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.scale import TARGETS, inputs, parse_case, top  # noqa: E402

# stage: (module file ending, function name), in the order `diagnose` runs them
STAGES = {
    "imports": [("<frozen importlib._bootstrap>", "_find_and_load")],
    "open the windows": [("windows/tables.py", "open_window")],
    "sample both windows": [("windows/frames.py", "node_samples")],
    "fit the reference's mechanisms": [("reference_fit.py", "mechanism_fits")],
    "metric": [("metrics/frames.py", "metric_frames")],
    "count values": [("windows/counts.py", "measure_counts")],
    "signals": [("signals/detect.py", "measure_signals")],
    "mechanism tests": [("causal/mechanism.py", "assess_mechanisms")],
    "attribution": [("causal/contributions.py", "candidate_contributions")],
    "rank, paths, missing edges": [("diagnosis/causes.py", "ranked_causes"), ("diagnosis/missing_edges.py",
                                                                              "missing_edges")],
    "render": [("render/", "render")],
}

_FITTED = ("import cProfile, sys\n"
           "from causal_rca import CausalRCA\n"
           "graph, ref, cur, out, jobs = sys.argv[1:6]\n"
           "rca = CausalRCA(graph, 'recall', jobs=int(jobs)).fit(ref)\n"
           "cProfile.run('d = rca.diagnose(cur)', out)\n"
           "print(d.to_json())\n")


def profile(graph: Path, ref: Path, cur: Path, out: Path, jobs: int, fitted: bool) -> dict:
    """Write the case's cProfile statistics to ``out`` (a fresh process); its diagnosis."""
    if fitted:
        cmd = [sys.executable, "-c", _FITTED, str(graph), str(ref), str(cur), str(out), str(jobs)]
    else:
        cmd = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "causal_rca", "why", "recall", "--graph",
               str(graph), "--reference", str(ref), "--current", str(cur), "--format", "json", "--quiet",
               "--jobs", str(jobs)]
    return json.loads(subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, text=True).stdout)


def stages(stats: pstats.Stats) -> dict[str, float]:
    """Cumulative seconds of each stage's functions (outermost calls only: cProfile's cumulative time)."""
    found: dict[str, float] = defaultdict(float)
    for (path, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        for stage, functions in STAGES.items():
            if any(path.endswith(end) or (end.endswith("/") and end in path) for end, f in functions
                   if f == func and ("causal_rca" in path or path.startswith("<frozen"))):
                found[stage] += ct
    return found


def import_times(graph: Path, ref: Path, cur: Path) -> list[tuple[str, float]]:
    """Top-level packages by cumulative import seconds, from ``python -X importtime`` of the same ``why``."""
    cmd = [sys.executable, "-X", "importtime", "-m", "causal_rca", "why", "recall", "--graph", str(graph),
           "--reference", str(ref), "--current", str(cur), "--format", "json", "--quiet"]
    err = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True).stderr
    by_package: dict[str, float] = defaultdict(float)
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line or "cumulative" in line:
            continue
        _self, cumulative, name = line.removeprefix("import time:").split("|")
        if name.startswith(" ") and not name.startswith("  "):  # top-level imports only (one space)
            by_package[name.strip().split(".")[0]] += int(cumulative) / 1e6
    return sorted(by_package.items(), key=lambda kv: -kv[1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", help="name/fault, as benchmarks/scale.py --cases")
    ap.add_argument("--data", type=Path, default=Path("/tmp/causal-rca-scale"))
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--imports", action="store_true", help="also the start-up's imports (python -X importtime)")
    ap.add_argument("--answer", type=Path, help="write the profiled run's diagnosis (JSON) to this file")
    ap.add_argument("--keep", type=Path, help="keep the cProfile statistics in this file")
    args = ap.parse_args(argv)
    name, fault, _ = parse_case(args.case)
    nodes, rows, kind, *_ = TARGETS[name]
    graph, ref, cur, truth = inputs(args.data, nodes, rows, kind, fault)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "case.prof"
        diagnosis = profile(graph, ref, cur, out, args.jobs, name == "fitted")
        stats = pstats.Stats(str(out))
        if args.keep:
            stats.dump_stats(str(args.keep))
    if args.answer:
        args.answer.write_text(json.dumps(diagnosis, indent=1))
    total = stats.total_tt
    print(f"{args.case}: {nodes} nodes × {rows:,} rows ({kind}), truth {truth}, jobs={args.jobs}: "
          f"{total:.2f} s under cProfile; top cause {top(diagnosis)}")
    found = stages(stats)
    print("stages (cumulative: a stage's time includes the imports it triggers):")
    for stage, seconds in ((k, found[k]) for k in STAGES if k in found):
        print(f"  {stage:32s} {seconds:7.2f} s  {seconds / total:6.1%}")
    for title, key in (("cumulative", 3), ("own", 2)):
        print(f"top {args.top} by {title} time:")
        for (path, line, func), (_cc, calls, tt, ct, _callers) in sorted(stats.stats.items(),
                                                                        key=lambda kv: -kv[1][key])[:args.top]:
            where = path.split("site-packages/")[-1].split(str(ROOT) + "/")[-1]
            print(f"  {ct:7.2f} s {ct / total:6.1%}  (own {tt:6.2f} s, {calls:>7} calls)  {where}:{line}({func})")
    if args.imports:
        packages = import_times(graph, ref, cur)
        print(f"imports (python -X importtime, top-level, cumulative): {sum(s for _, s in packages):.2f} s")
        for package, seconds in packages[:15]:
            print(f"  {package:28s} {seconds:6.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
