"""SQL is built only from bound identifiers and literals (docs/security.md).

File paths and column names reach DuckDB through ibis, which quotes them; a
path or column name written as an SQL injection must be read as a name, give
the same diagnosis as a plain name, and run nothing (here: no COPY writes a
marker file).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import TINY_GRAPH, run_cli, tiny_frame


def _marker_sql(quote: str) -> str:
    """An injection that, run as SQL, writes marker.csv into the working folder."""
    return f"x{quote}); COPY (SELECT 1) TO 'marker.csv'; --"


def _why(tmp: Path, column: str, ref_name: str, cur_name: str, capsys) -> dict:
    graph = tmp / "g.yaml"
    graph.write_text(TINY_GRAPH.replace("    column: fx\n", f"    column: {json.dumps(column)}\n"))
    for name, frame in ((ref_name, tiny_frame(600, 1)), (cur_name, tiny_frame(600, 4, fault="fx_scale"))):
        frame.rename(columns={"fx": column}).to_csv(tmp / name, index=False)
    code, out, err = run_cli(["why", "recall", "--graph", graph, "--reference", tmp / ref_name,
                              "--current", tmp / cur_name, "--format", "json", "--quiet"], capsys)
    assert code == 0, err
    return json.loads(out)


def test_hostile_paths_and_column_names_are_names(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "marker.csv"
    plain = _why(tmp_path, "fx", "ref.csv", "cur.csv", capsys)
    hostile = _why(tmp_path, _marker_sql('"'), _marker_sql("'") + ".csv",
                   'cur"; DROP TABLE t; --.csv', capsys)
    assert not marker.exists()
    assert hostile["reference"] == plain["reference"] and hostile["current"] == plain["current"]
    assert [c["node"] for c in hostile["causes"]] == [c["node"] for c in plain["causes"]]
