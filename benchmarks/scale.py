#!/usr/bin/env python
"""Scale benchmark: wall time and peak memory of `causal-rca why` as rows and nodes grow.

    python benchmarks/scale.py [--rows 10000,100000,1000000,10000000] [--nodes 10,50,200,500]
                               [--dowhy] [--dowhy-limit 1200] [--repeats 1] [--data /tmp/causal-rca-scale]
                               [--out docs/benchmarks.md]

Inputs come from ``benchmarks.cases.scale_family`` (``--fault``: ``nulls``, one
model input served null in 30% of current rows, the default and the fault of
earlier results; ``skew``, a feature three layers above the model computed
differently at serving; ``concept``, the label's relation to its inputs
changed), written as Parquet once and reused (one reference window per size,
one current window per fault): a data folder written before the family chose
its fault on a pilot draw holds other windows, so give a new ``--data``. Every measurement runs in a fresh process (the
command line, ``--format json --quiet``), so wall time includes start-up and
peak memory is that process's maximum resident set (``wait4``). In the same
run it measures:

- the **floor**: DuckDB alone reading every named column of both windows once
  (``SELECT sum(hash(col)), … FROM read_parquet(…)``, median of 3), and
  causal-rca's time as a multiple of it;
- with ``--dowhy``, **DoWhy's documented recipe** on the same graph and data
  (100k rows, 50 nodes): ``gcm.auto.assign_causal_mechanisms`` + ``gcm.fit`` +
  ``gcm.distribution_change`` with DoWhy's defaults, in its own process with a
  time limit; the ratio against causal-rca's time on the same inputs.

Prints one table per sweep; with ``--out`` replaces the section "Scale" of that file.

``--targets`` measures instead the cases of issue 22's targets table (``--cases`` to choose,
``name/fault:runs``): each a median of ``--repeats`` (default 3) fresh processes, its floor
measured in the same run (median of 3), the ratio of the two, peak memory, and the answer beside
the truth; with ``--out`` it replaces the section "Targets" of that file (docs/scale.md). The
15-node case reads two 2,000-row **CSV** windows (written from the same family): the CLI's fixed
cost. "fitted" times ``CausalRCA(graph).fit(reference)`` then ``.diagnose(current)`` in one
process, the ``diagnose`` call alone (100k rows × 50 nodes).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.cases.scale_family import FAULTS, scale_pipeline, write_window  # noqa: E402

SEED = 7
FAULT_WORDS = {"nulls": "one model input null in 30% of current rows",
               "skew": "a feature three layers above the model computed differently at serving",
               "concept": "the label's relation to the model inputs changed, inputs unchanged"}
SECTION = "## Scale"
TARGETS_SECTION = "## Targets"
# (name, nodes, rows per window, file type, target seconds, target × floor, target GiB): issue 22's table.
# "fitted": `CausalRCA(graph).fit(reference)` then `.diagnose(current)` in one process, the diagnose timed alone.
TARGETS = {
    "csv15": (15, 2_000, "csv", 2.5, None, None),
    "1m": (50, 1_000_000, "parquet", 4.0, 5.0, 1.5),
    "10m": (50, 10_000_000, "parquet", 12.0, 2.5, 2.0),
    "n500": (500, 100_000, "parquet", 15.0, None, None),
    "n2000": (2000, 100_000, "parquet", 60.0, None, 4.0),
    "fitted": (50, 100_000, "parquet", 1.0, None, None),
}


def inputs(data: Path, nodes: int, rows: int, kind: str = "parquet",
           fault: str = "nulls") -> tuple[Path, Path, Path, str]:
    """Graph, reference and current windows for (nodes, rows, fault), written on first use; and the truth.

    The graph and the reference window do not depend on the fault: one folder per (nodes, rows) holds them
    and one current window per fault (``current.parquet`` for nulls, as before: old folders stay valid).
    ``kind="csv"``: the same windows as CSV, written by DuckDB from the Parquet files."""
    p = scale_pipeline(nodes, SEED, fault)
    folder = data / f"n{nodes}_r{rows}"
    graph = folder / "graph.yaml"
    ref = folder / "reference.parquet"
    cur = folder / ("current.parquet" if fault == "nulls" else f"current_{fault}.parquet")
    folder.mkdir(parents=True, exist_ok=True)
    if not ref.exists():
        write_window(p, rows, ref, faulty=False, window_seed=1)
    if not cur.exists():
        write_window(p, rows, cur, faulty=True, window_seed=2)
    text = yaml.safe_dump(p.graph(), sort_keys=False)
    if not graph.exists() or graph.read_text() != text:  # the family's graph changed: the windows did not
        graph.write_text(text)
    if kind == "csv":
        import duckdb

        for parquet in (ref, cur):
            csv = parquet.with_suffix(".csv")
            if not csv.exists():
                duckdb.sql(f"COPY (SELECT * FROM read_parquet('{parquet}')) TO '{csv}' (HEADER)")
        ref, cur = ref.with_suffix(".csv"), cur.with_suffix(".csv")
    return graph, ref, cur, p.truth


def measured(cmd: list[str], timeout: float | None = None, cwd: Path | None = None) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS in GiB, exit status, stdout) of one fresh process (run in ``cwd``: whose code)."""
    started = time.perf_counter()
    # a session of its own: at the limit the whole group goes (gcm's joblib workers hold the pipes open)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            cwd=cwd)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stopped = time.perf_counter() - started
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return stopped, float("nan"), -9, ""
    wall = time.perf_counter() - started
    peak = float("nan")  # the child reports its own maximum resident set on stderr (see ``_PEAK``)
    for line in err.splitlines():
        if line.startswith("__peak_rss_kib "):
            peak = int(line.split()[1]) / 1024 ** 2
    if proc.returncode != 0:
        sys.stderr.write(err[-2000:])
    return wall, peak, proc.returncode, out


_PEAK = ("import resource, runpy, sys, atexit\n"
         "atexit.register(lambda: sys.stderr.write("
         "f'__peak_rss_kib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n'))\n"
         "sys.argv = ['causal-rca'] + sys.argv[1:]\n"
         "runpy.run_module('causal_rca', run_name='__main__')\n")


def why(graph: Path, ref: Path, cur: Path, code: Path | None = None) -> tuple[float, float, dict]:
    """One fresh `why`; ``code``: a checkout whose causal_rca runs (``python -c`` imports from its directory)."""
    wall, peak, status, out = measured([sys.executable, "-c", _PEAK, "why", "recall", "--graph", str(graph),
                                        "--reference", str(ref), "--current", str(cur), "--format", "json",
                                        "--quiet"], cwd=code or ROOT)
    if status != 0:
        raise SystemExit(f"why failed with status {status}")
    return wall, peak, json.loads(out)


def floor_seconds(graph: Path, windows: tuple[Path, ...], repeats: int = 3) -> float:
    """DuckDB alone reading every value of the named columns of ``windows`` once (median of ``repeats``)."""
    import duckdb

    g = yaml.safe_load(graph.read_text())
    cols = [n["column"] for n in g["nodes"].values() if "column" in n]
    select = ", ".join(f'sum(hash("{c}"))' for c in cols)
    reader = "read_csv" if windows[0].suffix == ".csv" else "read_parquet"
    times = []
    for _ in range(repeats):
        con = duckdb.connect()
        started = time.perf_counter()
        for path in windows:
            con.execute(f"SELECT {select} FROM {reader}('{path}')").fetchall()
        times.append(time.perf_counter() - started)
        con.close()
    return statistics.median(times)


def top(d: dict) -> str:
    return f"{d['causes'][0]['node']}/{d['causes'][0]['failure_mode']}" if d.get("causes") else "-"


def sweep(label: str, points: list[tuple[int, int]], data: Path, repeats: int, fault: str = "nulls") -> list[dict]:
    rows_out = []
    for nodes, rows in points:
        graph, ref, cur, truth = inputs(data, nodes, rows, fault=fault)
        runs = [why(graph, ref, cur) for _ in range(repeats)]
        wall = statistics.median(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        d = runs[0][2]
        floor = floor_seconds(graph, (ref, cur))
        row = {"sweep": label, "nodes": nodes, "rows": rows, "wall_s": wall, "peak_gib": peak, "floor_s": floor,
               "x_floor": wall / floor, "top": top(d), "truth": truth,
               "sample_rows": d.get("sample_rows")}
        rows_out.append(row)
        print(f"{label:6s} nodes={nodes:4d} rows={rows:>9,d}  why {wall:7.2f} s  peak {peak:5.2f} GiB  "
              f"floor {floor:6.2f} s  ×{wall / floor:5.1f}  top {row['top']}  (truth {row['truth']})", flush=True)
    return rows_out


_DOWHY = r"""
import json, resource, sys, time, warnings
import networkx as nx, numpy as np, pandas as pd, yaml
from dowhy import gcm
graph, ref, cur = sys.argv[1:4]
g = yaml.safe_load(open(graph))
obs = {k: v for k, v in g["nodes"].items() if "column" in v}
names = {v["column"]: k for k, v in obs.items()}  # gcm names data columns by graph node
ref_d = pd.read_parquet(ref, columns=list(names)).rename(columns=names)
cur_d = pd.read_parquet(cur, columns=list(names)).rename(columns=names)
for frame in (ref_d, cur_d):  # gcm rejects nulls and text: codes for categories, reference medians for nulls
    for c in frame.columns:
        if frame[c].dtype == object or str(frame[c].dtype).startswith(("str", "string")):
            frame[c] = frame[c].astype("category").cat.codes.astype(float)
for c in ref_d.columns:
    med = float(ref_d[c].median())
    ref_d[c] = ref_d[c].fillna(med); cur_d[c] = cur_d[c].fillna(med)
dag = nx.DiGraph(); dag.add_nodes_from(obs)
for k, v in obs.items():
    for p in v.get("parents", []):
        if p in obs: dag.add_edge(p, k)
started = time.perf_counter()
np.random.seed(0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model = gcm.ProbabilisticCausalModel(dag)
    gcm.auto.assign_causal_mechanisms(model, ref_d)
    gcm.fit(model, ref_d)
    attr = gcm.distribution_change(model, ref_d, cur_d, "model")
top = max(attr, key=lambda k: abs(attr[k]))
print(json.dumps({"seconds": time.perf_counter() - started, "top": top}))
sys.stderr.write(f"__peak_rss_kib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\n")
"""


def dowhy_vs(data: Path, limit: float, nodes: int = 50, rows: int = 100_000) -> dict:
    """DoWhy's recipe against a fresh `why` on the same inputs, one after the other in this run."""
    graph, ref, cur, truth = inputs(data, nodes, rows)
    ours, _peak, d = why(graph, ref, cur)
    wall, peak, status, out = measured([sys.executable, "-c", _DOWHY, str(graph), str(ref), str(cur)], timeout=limit)
    if status > 0:
        raise SystemExit(f"DoWhy's recipe failed with status {status}")
    result = {"nodes": nodes, "rows": rows, "ours_s": ours, "ours_top": top(d), "truth": truth,
              "dowhy_s": wall, "dowhy_peak_gib": peak, "dowhy_finished": status == 0,
              "dowhy_top": json.loads(out)["top"] if status == 0 and out.strip() else None}
    result["ratio"] = wall / ours
    bound = "" if result["dowhy_finished"] else " (stopped at the limit: a lower bound)"
    print(f"dowhy  nodes={nodes} rows={rows:,d}  causal-rca {ours:.1f} s (top {result['ours_top']})  "
          f"DoWhy {wall:.1f} s{bound} (top {result['dowhy_top']})  ratio ×{result['ratio']:.1f}  truth {truth}",
          flush=True)
    return result


def section(rows: list[dict], versus: dict | None, command: str, fault: str = "nulls") -> str:
    lines = [SECTION, "",
             f"Produced by `{command}` on this machine (2 cores, shared), "
             f"{time.strftime('%Y-%m-%d')}. Inputs: `benchmarks.cases.scale_family` (seed {SEED}), Parquet, "
             f"fault {fault} ({FAULT_WORDS[fault]}). Each `why` is a fresh process "
             "(`--format json --quiet`): wall time includes start-up; peak memory is its maximum resident set. "
             "Floor: DuckDB alone reading every named column of both windows once (median of 3).", "",
             "| sweep | nodes | rows per window | `why` (s) | peak (GiB) | floor (s) | × floor | top cause | truth |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        lines.append(f"| {r['sweep']} | {r['nodes']} | {r['rows']:,} | {r['wall_s']:.2f} | {r['peak_gib']:.2f} | "
                     f"{r['floor_s']:.2f} | {r['x_floor']:.1f} | {r['top']} | {r['truth']} |")
    if versus:
        bound = "" if versus["dowhy_finished"] else " (stopped at the time limit: the ratio is a lower bound)"
        lines += ["", f"DoWhy's documented recipe on the same graph and data ({versus['nodes']} nodes, "
                      f"{versus['rows']:,} rows per window): `gcm.auto.assign_causal_mechanisms` + `gcm.fit` + "
                      f"`gcm.distribution_change` (defaults; nulls filled with reference medians and categories "
                      f"coded, since gcm rejects both): {versus['dowhy_s']:.1f} s{bound}, top node "
                      f"{versus['dowhy_top']}; causal-rca {versus['ours_s']:.1f} s, top {versus['ours_top']}; "
                      f"ratio ×{versus['ratio']:.1f}. Truth: {versus['truth']}."]
    return "\n".join(lines) + "\n"


_FITTED = ("import json, resource, sys, time\n"
           "from causal_rca import CausalRCA\n"
           "graph, ref, cur = sys.argv[1:4]\n"
           "started = time.perf_counter()\n"
           "rca = CausalRCA(graph, 'recall').fit(ref)\n"
           "fitted = time.perf_counter()\n"
           "d = rca.diagnose(cur)\n"
           "done = time.perf_counter()\n"
           "print(json.dumps({'fit_s': fitted - started, 'diagnose_s': done - fitted,"
           " 'diagnosis': json.loads(d.to_json())}))\n"
           "sys.stderr.write(f'__peak_rss_kib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n')\n")


def fitted_run(graph: Path, ref: Path, cur: Path) -> tuple[float, float, dict, float]:
    """One fresh process: fit on ``ref``, then diagnose ``cur``; (diagnose seconds, peak GiB, diagnosis, fit s)."""
    _wall, peak, status, out = measured([sys.executable, "-c", _FITTED, str(graph), str(ref), str(cur)], cwd=ROOT)
    if status != 0:
        raise SystemExit(f"fit and diagnose failed with status {status}")
    result = json.loads(out)
    return result["diagnose_s"], peak, result["diagnosis"], result["fit_s"]


def parse_case(case: str, fault: str = "nulls") -> tuple[str, str, int | None]:
    """``name[/fault][:runs]`` → (name, fault, runs or None)."""
    spec, _, times = case.partition(":")
    name, _, named_fault = spec.partition("/")
    fault = named_fault or fault
    if name not in TARGETS or fault not in FAULTS:
        raise SystemExit(f"error: unknown case {case!r}: names are {', '.join(TARGETS)}; faults {', '.join(FAULTS)}")
    return name, fault, int(times) if times else None


def recall_move(d: dict) -> str:
    """The metric as the diagnosis reports it, reference → current."""
    return f"{d['reference']['value']:.3f} → {d['current']['value']:.3f}"


def targets(data: Path, cases: list[str], repeats: int, baseline: Path | None = None,
            baseline_cases: set[str] | None = None, done=lambda rows: None, fault: str = "nulls") -> list[dict]:
    """Issue 22's targets table: each case a median of ``repeats`` fresh `why` runs, against its floor.

    A case written ``name/fault:n`` runs ``n`` times with that fault (``fault`` when none is named).
    "fitted" times ``diagnose`` alone after ``fit`` in the same process, against the floor of the current
    window alone (the only one it reads). With ``baseline`` (another checkout), each run of this code is
    followed by one of that code on the same inputs: the ratio of the medians is measured in the same run,
    and the answers are compared (only for ``baseline_cases`` when given). ``done(rows)`` is called after
    each case, so a long run leaves what it measured."""
    out = []
    for name, case_fault, times in [parse_case(case, fault) for case in cases]:
        n = times or repeats
        nodes, rows, kind, t_s, t_floor, t_gib = TARGETS[name]
        graph, ref, cur, truth = inputs(data, nodes, rows, kind, case_fault)
        load_before = os.getloadavg()[0]
        floor = floor_seconds(graph, (cur,) if name == "fitted" else (ref, cur))
        runs, before, fits = [], [], []
        for _ in range(n):
            if name == "fitted":
                *run, fit_s = fitted_run(graph, ref, cur)
                runs.append(tuple(run))
                fits.append(fit_s)
            else:
                runs.append(why(graph, ref, cur))
            if baseline is not None and (baseline_cases is None or name in baseline_cases):
                before.append(why(graph, ref, cur, baseline))
        walls = sorted(r[0] for r in runs)
        wall, peak = statistics.median(walls), max(r[1] for r in runs)
        met = wall <= t_s and (t_floor is None or wall / floor <= t_floor) and (t_gib is None or peak <= t_gib)
        row = {"case": name, "fault": case_fault, "nodes": nodes, "rows": rows, "kind": kind, "wall_s": wall,
               "walls": walls, "floor_s": floor, "x_floor": wall / floor, "peak_gib": peak, "top": top(runs[0][2]),
               "truth": truth, "recall": recall_move(runs[0][2]), "target_s": t_s, "target_x": t_floor,
               "target_gib": t_gib, "met": met, "right": top(runs[0][2]) == truth,
               "load": (load_before, os.getloadavg()[0]),
               "same_answer": len({json.dumps(r[2], sort_keys=True) for r in runs}) == 1}
        if fits:
            row["fit_s"] = statistics.median(fits)
        if before:
            row["before_walls"] = sorted(r[0] for r in before)
            row["before_s"] = statistics.median(row["before_walls"])
            row["before_peak_gib"] = max(r[1] for r in before)
            row["speedup"] = row["before_s"] / wall
            row["answer_as_before"] = all(json.dumps(r[2], sort_keys=True) == json.dumps(runs[0][2], sort_keys=True)
                                          for r in before)
            walls_before = ", ".join(f"{w:.2f}" for w in row["before_walls"])
            print(f"        before: median {row['before_s']:.2f} s (runs {walls_before}), "
                  f"peak {row['before_peak_gib']:.2f} GiB; ×{row['speedup']:.1f} faster; same answer: "
                  f"{row['answer_as_before']}", flush=True)
        out.append(row)
        done(out)
        fit = f" (fit {row['fit_s']:.2f} s)" if fits else ""
        print(f"{name:6s} {case_fault:7s} {nodes:5d} nodes × {rows:>10,d} rows ({kind})  median {wall:7.2f} s{fit} "
              f"(runs {', '.join(f'{w:.2f}' for w in walls)})  floor {floor:6.2f} s  ×{wall / floor:5.1f}  "
              f"peak {peak:5.2f} GiB  recall {row['recall']}  top {row['top']} (truth {row['truth']})  "
              f"target {'met' if met else 'MISSED'}", flush=True)
    return out


def targets_section(rows: list[dict], command: str, notes: str = "") -> str:
    with_before = any("before_s" in r for r in rows)
    lines = [TARGETS_SECTION, "",
             f"Produced by `{command}` on this machine (2 cores, shared with other sessions), "
             f"{time.strftime('%Y-%m-%d')}. Each `why` is a fresh process (`--format json --quiet`): wall time "
             "includes start-up; the figure is the median of the runs listed; peak memory is the largest maximum "
             "resident set among them. \"after fit\": one fresh process per run fits `CausalRCA` on the reference "
             "window and then diagnoses the current one; the time is the `diagnose` call's alone (the fit's median "
             "beside it). Floor: DuckDB alone reading every named column of both windows once (median of 3, same "
             "run; the current window alone for \"after fit\"). Inputs: `benchmarks.cases.scale_family` (seed "
             f"{SEED}); faults: " + "; ".join(f"{k}: {v}" for k, v in FAULT_WORDS.items()) + ". Each is placed where "
             "it lowers recall most on a pilot draw, so that the metric moves at every size. Recall: the "
             "diagnosis's reference → current value; right: the top cause is the truth (node and mode). Load: the "
             "machine's one-minute load average before and after the case.", ""]
    if notes:
        lines += [notes, ""]
    head = ("| case | fault | runs (s) | median (s) | floor (s) | × floor | peak (GiB) | target | met | recall "
            "| top cause | truth | right | load |")
    rule = "|---|---|---|---:|---:|---:|---:|---|---|---|---|---|---|---|"
    if with_before:
        head += " before: median (s), peak (GiB) | × faster | same answer |"
        rule += "---|---:|---|"
    lines += [head, rule]
    for r in rows:
        target = [f"≤ {r['target_s']:g} s"] + ([f"≤ {r['target_x']:g}× floor"] if r["target_x"] else []) + (
            [f"≤ {r['target_gib']:g} GiB"] if r["target_gib"] else [])
        case = f"{r['nodes']:,} nodes × {r['rows']:,} rows, {r['kind']}"
        if r["case"] == "fitted":
            case = f"diagnose after fit (fit {r['fit_s']:.1f} s), {r['nodes']:,} nodes × {r['rows']:,} rows"
        line = (f"| {case} | {r['fault']} | {', '.join(f'{w:.2f}' for w in r['walls'])} | {r['wall_s']:.2f} | "
                f"{r['floor_s']:.2f} | {r['x_floor']:.1f} | {r['peak_gib']:.2f} | {', '.join(target)} | "
                f"{'yes' if r['met'] else 'no'} | {r['recall']} | {r['top']} | {r['truth']} | "
                f"{'yes' if r['right'] else 'no'} | {r['load'][0]:.1f} → {r['load'][1]:.1f} |")
        if with_before:
            line += (f" {r['before_s']:.2f}, {r['before_peak_gib']:.2f} | {r['speedup']:.1f} | "
                     f"{'yes' if r['answer_as_before'] else 'no'} |" if "before_s" in r else " – | – | – |")
        lines.append(line)
    return "\n".join(lines) + "\n"


def write_section(path: Path, text: str, heading: str = SECTION) -> None:
    """Replace this benchmark's own section (from its heading to the next `## `), or append it."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if heading + "\n" in old:
        head, rest = old.split(heading + "\n", 1)
        tail = rest[rest.find("\n## ") + 1:] if "\n## " in rest else ""
        new = head + text + ("\n" + tail if tail else "")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="10000,100000,1000000,10000000", help="rows per window, 50 nodes")
    ap.add_argument("--nodes", default="10,50,200,500", help="nodes, 100k rows per window")
    ap.add_argument("--dowhy", action="store_true", help="also run DoWhy's recipe at 100k rows, 50 nodes")
    ap.add_argument("--dowhy-limit", type=float, default=1200.0, help="seconds before DoWhy is stopped")
    ap.add_argument("--repeats", type=int, default=None, help="runs per point (default 1; 3 with --targets)")
    ap.add_argument("--targets", action="store_true", help="measure issue 22's targets table instead of the sweeps")
    ap.add_argument("--cases", default=",".join(TARGETS),
                    help=f"with --targets: some of {', '.join(TARGETS)}; name:n runs that case n times, "
                         "name/fault that case with that fault (e.g. 1m/skew:3)")
    ap.add_argument("--fault", choices=list(FAULTS), default="nulls",
                    help="the injected fault (nulls: a model input served null; skew: a feature three layers "
                         "above the model computed differently at serving; concept: the label's relation changed); "
                         "with --targets, for cases that name none")
    ap.add_argument("--baseline", type=Path, help="with --targets: a checkout of the code before, run alternately")
    ap.add_argument("--baseline-cases", help="with --baseline: only these cases (default: all)")
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "causal-rca-scale")
    ap.add_argument("--out", type=Path, help="write the results as the 'Scale' section of this Markdown file")
    ap.add_argument("--reuse", action="store_true",
                    help="take the sweeps' rows from the last run's results.json in --data instead of measuring")
    args = ap.parse_args(argv)
    if args.targets:
        command = ("python benchmarks/scale.py " + " ".join(argv if argv is not None else sys.argv[1:])).strip()

        def done(rows: list[dict]) -> None:
            (args.data / "targets.json").write_text(json.dumps(rows))
            if args.out:
                write_section(args.out, targets_section(rows, command), TARGETS_SECTION)

        only = set(args.baseline_cases.split(",")) if args.baseline_cases else None
        targets(args.data, [c for c in args.cases.split(",") if c], args.repeats or 3, args.baseline, only, done,
                args.fault)
        return 0
    args.repeats = args.repeats or 1
    points_rows = [(50, int(r)) for r in args.rows.split(",") if r]
    points_nodes = [(int(n), 100_000) for n in args.nodes.split(",") if n]
    cache = args.data / "results.json"
    if args.reuse:
        results = json.loads(cache.read_text())
        for r in results:
            print(f"{r['sweep']:6s} nodes={r['nodes']:4d} rows={r['rows']:>9,d}  why {r['wall_s']:7.2f} s  "
                  f"peak {r['peak_gib']:5.2f} GiB  floor {r['floor_s']:6.2f} s  (from {cache})")
    else:
        results = sweep("rows", points_rows, args.data, args.repeats, args.fault)
        results += sweep("nodes", points_nodes, args.data, args.repeats, args.fault)
        cache.write_text(json.dumps(results))
    versus = dowhy_vs(args.data, args.dowhy_limit) if args.dowhy else None
    if args.out:
        command = "python benchmarks/scale.py " + " ".join(argv if argv is not None else sys.argv[1:])
        write_section(args.out, section(results, versus, command.strip(), args.fault))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
