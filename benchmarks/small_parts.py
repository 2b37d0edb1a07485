#!/usr/bin/env python
"""Speed of two small parts that used to be timed unit tests (timing belongs here, not in tests).

    python benchmarks/small_parts.py [--repeats 3]

Prints, per scenario, the median seconds to generate its windows (target: under 3 s), and per
mean-type metric the median seconds of ``compare_windows`` on 1M rows per window (target:
under 1 s), each with the ratio to a baseline measured in the same run (one pass of numpy's
sort over the same number of values), because this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from causal_rca.metrics import compare_windows  # noqa: E402
from causal_rca.scenarios import generate, get_scenario, list_scenarios  # noqa: E402


def _median_seconds(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    values = np.random.default_rng(0).random(2_000_000)
    baseline = _median_seconds(lambda: np.sort(values), args.repeats)
    print(f"baseline: numpy sort of 2M floats, median {baseline:.3f} s")
    print("\nscenario generation (target < 3 s)")
    for s in list_scenarios():
        secs = _median_seconds(lambda s=s: generate(s, seed=s.seed + 7), args.repeats)
        print(f"  {s.name:45s} {secs:6.2f} s  ({secs / baseline:5.1f}× baseline){'  OVER' if secs >= 3 else ''}")
    from metrics_frames import frame_for  # the tests' synthetic scored frames

    print("\ncompare_windows on 1M rows per window (target < 1 s)")
    for name in ("accuracy", "precision", "recall", "log_loss", "mae", "mean"):
        spec, ref = frame_for(name, 1_000_000, seed=0)
        _, cur = frame_for(name, 1_000_000, seed=1)
        secs = _median_seconds(lambda: compare_windows(spec, ref, cur, seed=0), args.repeats)
        print(f"  {name:10s} {secs:6.3f} s  ({secs / baseline:5.1f}× baseline){'  OVER' if secs >= 1 else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
