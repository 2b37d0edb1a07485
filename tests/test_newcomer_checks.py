"""What a newcomer meets on their own data: validate --data, the split's time range, mixed types,
empty history answers, the watch bucket hint, the verbose table and the meanings beside the numbers."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from tests.conftest import TINY_GRAPH, run_cli, tiny_frame

CONTRACT_GRAPH = TINY_GRAPH.replace("""  x:
    kind: source
    column: x
""", """  x:
    kind: source
    column: x
    contract:
      dtype: numeric
      min: -10
      max_null_rate: 0.01
""").replace("""  cat:
    kind: source
    column: cat
""", """  cat:
    kind: source
    column: cat
    contract:
      allowed:
        - a
        - b
""")


def _files(tmp_path: Path, frame: pd.DataFrame) -> tuple[Path, Path]:
    graph = tmp_path / "g.yaml"
    graph.write_text(CONTRACT_GRAPH, encoding="utf-8")
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    return graph, data


def test_validate_data_reports_dtype_contracts_per_node(tmp_path: Path, capsys) -> None:
    frame = tiny_frame(400, 1)
    frame["x"] = frame["x"].astype(object)
    frame.loc[:99, "x"] = "n/a"          # a numeric-contract column holding strings
    frame.loc[100:109, "x"] = -50.0      # below min
    graph, data = _files(tmp_path, frame)
    code, out, err = run_cli(["validate", graph, "--data", data], capsys)
    assert code == 0, err
    assert "x (column x) dtype: 100 values (25%) are not numeric" in out and "'n/a'" in out
    assert "x (column x) min: 10 values" in out
    assert "cat (column cat) allowed:" in out and "'c'" in out
    code, out, err = run_cli(["validate", graph, "--data", data, "--strict"], capsys)
    assert code == 1


def test_validate_data_clean_table_says_ok(tmp_path: Path, capsys) -> None:
    frame = tiny_frame(400, 1)
    frame["cat"] = frame["cat"].replace("c", "a")
    graph, data = _files(tmp_path, frame)
    code, out, err = run_cli(["validate", graph, "--data", data, "--strict"], capsys)
    assert code == 0, err
    assert "meet its contract" in out


def test_validate_flags_a_text_column_that_mostly_holds_numbers(tmp_path: Path, capsys) -> None:
    frame = tiny_frame(400, 1)
    frame["fx"] = frame["fx"].astype(object)
    frame.loc[:19, "fx"] = "oops"
    graph = tmp_path / "g.yaml"
    graph.write_text(TINY_GRAPH, encoding="utf-8")
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    code, out, err = run_cli(["validate", graph, "--data", data], capsys)
    assert code == 0 and "fx (column fx) mixed_types: 20 values" in out


def test_split_outside_the_log_names_its_time_range(tiny_files: dict, capsys) -> None:
    code, out, err = run_cli(["why", "recall", "--graph", tiny_files["graph"], "--data", tiny_files["reference"],
                              "--split", "2030-01-01", "--quiet"], capsys)
    assert code == 2
    assert "the log's times run from 2026-01-01 00:00:00 to 2026-01-03 01:59:00 (column 'ts')" in err


def test_concatenated_log_with_mixed_types_reads_as_schema_change(tmp_path: Path) -> None:
    """Codes as numbers before the split and partly as text after: numeric, with coercion in the current window."""
    from causal_rca.lineage import load_graph
    from causal_rca.windows.frames import resolve_dtypes
    from causal_rca.windows.tables import open_windows

    graph_text = TINY_GRAPH.replace("  cat:\n    kind: source\n    column: cat\n",
                                    "  cat:\n    kind: source\n    column: cat\n  code:\n    kind: source\n"
                                    "    column: code\n")
    ref, cur = tiny_frame(300, 1), tiny_frame(300, 2, start="2026-02-01")
    ref["code"] = 5411
    cur["code"] = ["MCC-5411" if i % 3 == 0 else "5411" for i in range(len(cur))]
    log = tmp_path / "log.csv"
    pd.concat([ref, cur]).to_csv(log, index=False)
    path = tmp_path / "g.yaml"
    path.write_text(graph_text, encoding="utf-8")
    g = load_graph(path)
    ref_w, cur_w = open_windows(g, data=str(log), split="2026-02-01")
    assert ref_w.column_types["code"] == "VARCHAR"
    assert resolve_dtypes(g, ref_w)["code"] == "categorical"
    assert resolve_dtypes(g, ref_w, cur_w)["code"] == "numeric"
    # A fitted model counts the reference's side once (frames.reference_parse_counts): the same answer.
    from causal_rca.windows.frames import reference_parse_counts

    parsed = reference_parse_counts(g, ref_w)
    assert parsed["code"] == (300, 300)
    assert resolve_dtypes(g, ref_w, cur_w, parsed)["code"] == "numeric"


def test_history_empty_and_no_similar_incident_say_so(tmp_path: Path, tiny_files: dict, capsys) -> None:
    db = tmp_path / "h.sqlite"
    code, out, err = run_cli(["why", "recall", "--graph", tiny_files["graph"], "--reference", tiny_files["reference"],
                              "--current", tiny_files["current"], "--quiet", "--record", db], capsys)
    assert code == 0, err
    code, out, err = run_cli(["history", db, "--similar", "1"], capsys)
    assert code == 0 and "no recorded incident is like #1" in out


def test_watch_suggests_a_bucket_length_when_small_buckets_cannot_alert() -> None:
    from causal_rca.cli.timeline_commands import bucket_hint

    start = pd.Timestamp("2026-01-01")
    buckets = [SimpleNamespace(rows=140, start=start + pd.Timedelta(days=i)) for i in range(120)]
    report = SimpleNamespace(alerts=[], buckets=buckets, limits=SimpleNamespace(lower=0.41, upper=0.93))
    hint = bucket_hint(report)
    assert "median of 140 rows" in hint and "try --every 8d" in hint
    short = SimpleNamespace(alerts=[], buckets=buckets[:30], limits=report.limits)
    assert "too short" in bucket_hint(short)
    assert bucket_hint(SimpleNamespace(alerts=[object()], buckets=buckets, limits=report.limits)) is None
    big = [SimpleNamespace(rows=5000, start=b.start) for b in buckets]
    assert bucket_hint(SimpleNamespace(alerts=[], buckets=big, limits=report.limits)) is None


def test_text_names_the_anomalous_signals_and_verbose_lists_every_node(tiny_files: dict, capsys) -> None:
    base = ["why", "recall", "--graph", tiny_files["graph"], "--reference", tiny_files["reference"], "--quiet"]
    cur = tiny_files["dir"] / "bad.csv"
    tiny_frame(3000, 4, fault="fx_scale", start="2026-02-01").to_csv(cur, index=False)
    code, out, err = run_cli([*base, "--current", cur], capsys)
    assert code == 0, err
    assert "anomalous signals at" in out and "fx (" in out and "--verbose" in out
    assert "score (0 to 1): how sure" in out and "contribution: the part of the change" in out
    code, out, err = run_cli([*base, "--current", cur, "--verbose"], capsys)
    assert code == 0 and "Every node: what moved" in out and "mechanism" in out
