"""Draw a range of development seeds, time them, validate their graphs with the CLI.

    python3 -m benchmarks.spec_family.check START COUNT [--validate] [--out FILE.json]

The CLI is used as a black box (`python -m <tool> validate GRAPH.yaml`); nothing of the
tool is imported. The tool's module name is read from the environment variable
SPEC_FAMILY_TOOL so that this package never names it.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import yaml

from . import draw_case, plan_case


def validate(graph: dict, tool: str, cwd: str) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "graph.yaml")
        with open(path, "w") as fh:
            yaml.safe_dump(graph, fh, sort_keys=False)
        r = subprocess.run([sys.executable, "-m", tool, "validate", path], capture_output=True, text=True, cwd=cwd,
                           env={**os.environ, "PYTHONPATH": cwd})
        return r.returncode, (r.stdout + r.stderr).strip()


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("start", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("--validate", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    tool = os.environ.get("SPEC_FAMILY_TOOL")
    cwd = os.environ.get("SPEC_FAMILY_REPO", os.getcwd())
    rows = []
    for seed in range(a.start, a.start + a.count):
        t = time.perf_counter()
        row = {"seed": seed, **{k: plan_case(seed)[k] for k in ("kind", "failure_mode", "metric", "real_data")}}
        try:
            c = draw_case(seed)
            row.update(ok=True, seconds=round(time.perf_counter() - t, 2), significance=c.info["significance_check"],
                       z=round(c.info["z_worse"], 2), attempts=c.info["attempts"], node=c.truth.node,
                       nodes=c.info["graph_shape"]["nodes"], rows=c.info["rows"], model=c.info["model"])
            if a.validate and tool:
                rc, msg = validate(c.graph, tool, cwd)
                row.update(valid=rc == 0, validate_msg=msg[-400:] if rc else "")
        except Exception as e:  # report, keep going
            import traceback
            row.update(ok=False, seconds=round(time.perf_counter() - t, 2), error=repr(e),
                       tb=traceback.format_exc()[-1500:])
        rows.append(row)
        print(json.dumps(row, default=str), flush=True)
    if a.out:
        with open(a.out, "w") as fh:
            json.dump(rows, fh, indent=1, default=str)


if __name__ == "__main__":
    main()
