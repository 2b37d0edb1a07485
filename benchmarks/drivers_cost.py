"""What the decision drivers (SHAP) add to a diagnosis: `why` with and without shap, same artifact.

    python benchmarks/drivers_cost.py [NAME:METRIC ...] [--runs 3]

Each scenario is exported with its model (skops), then `causal-rca why` runs as
a fresh process (`--format json --quiet`), alternately with shap importable and
with shap blocked (a `shap.py` that raises ImportError first on PYTHONPATH: the
diagnosis then skips the drivers with a warning). Prints per scenario the
wall times, their medians and the added seconds and ratio, both measured in
the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from causal_rca.scenarios import export_scenario, get_scenario  # noqa: E402

DEFAULT = ("schema_change_coerced_nulls:recall", "credit_bad_finetune:roc_auc")


def _run(folder: Path, metric: str, pythonpath: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "causal_rca", "why", metric, "--graph", "graph.yaml", "--reference",
                           "reference.csv", "--current", "current.csv", "--format", "json", "--out", "d.json",
                           "--quiet"], cwd=folder, env={**os.environ, "PYTHONPATH": pythonpath},
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", default=list(DEFAULT), help="NAME:METRIC of scenarios with a model")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="drivers-cost-"))
    blocked = work / "no-shap"
    blocked.mkdir()
    (blocked / "shap.py").write_text('raise ImportError("shap blocked by benchmarks/drivers_cost.py")\n')
    with_shap, without_shap = str(ROOT), f"{blocked}{os.pathsep}{ROOT}"
    for case in args.cases:
        name, metric = case.split(":")
        folder = work / name
        export_scenario(get_scenario(name), folder, with_model=True)
        times: dict[str, list[float]] = {"with shap": [], "without": []}
        for _ in range(args.runs):  # alternate, so load on a shared machine hits both alike
            times["with shap"].append(_run(folder, metric, with_shap))
            times["without"].append(_run(folder, metric, without_shap))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"{name} ({metric}): " + "; ".join(f"{k} {[round(x, 1) for x in v]} median {med[k]:.1f}s"
                                                  for k, v in times.items())
              + f"; drivers add {med['with shap'] - med['without']:+.1f}s (x{med['with shap'] / med['without']:.2f})",
              flush=True)


if __name__ == "__main__":
    main()
