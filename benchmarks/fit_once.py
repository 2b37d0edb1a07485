#!/usr/bin/env python
"""Fit once, diagnose many: ``CausalRCA.fit`` + ten ``diagnose`` calls against ten one-call diagnoses.

    python benchmarks/fit_once.py [--rows 100000] [--nodes 50] [--windows 10] [--data /tmp/causal-rca-scale]

The case is the scale family's (``benchmarks/scale.py``: one model input served
null in 30% of current rows): one reference window and ``--windows`` current
windows, each drawn with its own seed, written as Parquet once and reused.
Both ways run in this process, alternating window by window so that load on
a shared machine falls on both alike; the first one-call diagnosis of the run
is made before timing (imports). Every fitted answer must be byte-identical to
the one-call answer for the same window (asserted). Prints the fit's time,
the median of each way, and their ratio (issue 19's target: the median
``diagnose`` after ``fit`` at most 25% of a one-call diagnosis at 100k rows x 50 nodes), then
each step's median seconds both ways, timed between the ``progress`` messages a diagnosis
announces (a one-call diagnosis's "reading windows" holds its whole ``fit``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.scale import SEED, inputs  # noqa: E402
from causal_rca.api import diagnose  # noqa: E402
from causal_rca.fitted import CausalRCA  # noqa: E402
from benchmarks.cases.scale_family import scale_pipeline, write_window  # noqa: E402

TARGET_RATIO = 0.25


class StepClock:
    """A ``progress`` callable that times the steps of one diagnosis at a time."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def __call__(self, step: str) -> None:
        self.marks.append((step, time.perf_counter()))

    def start(self) -> None:
        self.marks = [("reading windows", time.perf_counter())]

    def spans(self) -> dict[str, float]:
        """Seconds from each step's message to the next (repeated steps summed), up to now."""
        ends = [t for _step, t in self.marks[1:]] + [time.perf_counter()]
        out: dict[str, float] = {}
        for (step, began), ended in zip(self.marks, ends):
            out[step] = out.get(step, 0.0) + ended - began
        return out


def current_windows(folder: Path, nodes: int, rows: int, count: int) -> list[Path]:
    """``count`` faulty current windows beside the scale case's own, each with its own seed (written once)."""
    p = scale_pipeline(nodes, SEED)
    paths = []
    for k in range(count):
        path = folder / f"current_{k}.parquet"
        if not path.exists():
            write_window(p, rows, path, faulty=True, window_seed=100 + k)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--nodes", type=int, default=50)
    ap.add_argument("--windows", type=int, default=10)
    ap.add_argument("--data", type=Path, default=Path("/tmp/causal-rca-scale"))
    args = ap.parse_args(argv)

    graph, reference, _current, _truth = inputs(args.data, args.nodes, args.rows)
    currents = current_windows(graph.parent, args.nodes, args.rows, args.windows)
    diagnose(str(graph), str(reference), str(currents[0]), seed=0)  # imports and first-use costs, untimed

    one_clock, fitted_clock = StepClock(), StepClock()
    started = time.perf_counter()
    rca = CausalRCA(str(graph), seed=0, progress=fitted_clock).fit(str(reference))
    fit_seconds = time.perf_counter() - started
    one_call, fitted, one_steps, fitted_steps = [], [], [], []
    for path in currents:
        one_clock.start()
        started = time.perf_counter()
        expected = diagnose(str(graph), str(reference), str(path), seed=0, progress=one_clock).to_json()
        one_call.append(time.perf_counter() - started)
        one_steps.append(one_clock.spans())
        fitted_clock.start()
        started = time.perf_counter()
        got = rca.diagnose(str(path)).to_json()
        fitted.append(time.perf_counter() - started)
        fitted_steps.append(fitted_clock.spans())
        assert got == expected, f"{path.name}: the fitted answer differs from the one-call answer"
    one, after = statistics.median(one_call), statistics.median(fitted)
    ratio = after / one
    print(f"fit-once at {args.rows:,} rows x {args.nodes} nodes, {len(currents)} current windows "
          f"(answers byte-identical: yes)")
    print(f"  fit:                        {fit_seconds:6.2f} s")
    print(f"  one-call diagnose, median:  {one:6.2f} s   (min {min(one_call):.2f}, max {max(one_call):.2f})")
    print(f"  diagnose after fit, median: {after:6.2f} s   (min {min(fitted):.2f}, max {max(fitted):.2f})")
    print(f"  ratio: {ratio:.0%} of a one-call diagnosis (target <= {TARGET_RATIO:.0%}: "
          f"{'met' if ratio <= TARGET_RATIO else 'not met'})")
    print("  median seconds per step:       after fit   one-call")
    for step in dict.fromkeys(s for steps in (*fitted_steps, *one_steps) for s in steps):
        after_step = statistics.median(s.get(step, 0.0) for s in fitted_steps)
        one_step = statistics.median(s.get(step, 0.0) for s in one_steps)
        print(f"    {step:28s} {after_step:9.2f}   {one_step:8.2f}")
    return {"fit": fit_seconds, "one_call": one, "fitted": after, "ratio": ratio}


if __name__ == "__main__":
    main()
