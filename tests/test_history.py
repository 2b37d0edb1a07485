"""The diagnosis history: record, list, show, similar incidents; and the CLI around it."""

from __future__ import annotations

import json
import sqlite3

import pytest

from causal_rca.cli.app import main
from causal_rca.errors import InputError
from causal_rca.history import store


def _diagnosis(node: str | None, mode: str | None, anomalies: list[tuple[str, str]], graph: str = "g") -> dict:
    causes = [{"rank": 1, "node": node, "failure_mode": mode}] if node else []
    return {"graph": graph, "target": "recall", "change": -0.1, "significant": bool(node), "causes": causes,
            "anomalies": [{"node": n, "signal": s} for n, s in anomalies]}


def test_record_list_show_and_similar(tmp_path) -> None:
    db = tmp_path / "h.sqlite"
    a = store.record(db, _diagnosis("amount", "missing_values", [("amount", "null_rate")]), "why")
    b = store.record(db, _diagnosis("amount", "missing_values", [("amount", "null_rate"), ("x", "drift")]), "watch")
    c = store.record(db, _diagnosis("country", "distribution_shift", [("country", "drift")]), "why")
    d = store.record(db, _diagnosis("amount", "missing_values", [("amount", "null_rate")], graph="other"), "why")
    assert [r.id for r in store.records(db)] == [a, b, c, d]
    assert store.get(db, b).diagnosis["anomalies"][1] == {"node": "x", "signal": "drift"}
    ranked = store.similar(db, a)
    assert [r.id for r, _ in ranked] == [b]  # c shares nothing, d is another graph
    assert ranked[0][1] == pytest.approx(0.5 + 0.3 + 0.2 * 0.5)


def test_missing_or_broken_history_is_one_clear_error(tmp_path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        store.records(tmp_path / "none.sqlite")
    broken = tmp_path / "broken.sqlite"
    broken.write_text("not a database")
    with pytest.raises(InputError):
        store.records(broken)
    db = tmp_path / "h.sqlite"
    store.record(db, _diagnosis("a", "scale_change", []), "why")
    with pytest.raises(InputError, match="no diagnosis 7"):
        store.get(db, 7)


def test_why_records_and_history_lists(tmp_path, capsys) -> None:
    from causal_rca.scenarios import export_scenario, get_scenario

    paths = export_scenario(get_scenario("schema_change_coerced_nulls"), tmp_path / "x")
    db = tmp_path / "h.sqlite"
    args = ["why", "recall", "--graph", str(paths["graph"]), "--reference", str(paths["reference"]),
            "--current", str(paths["current"]), "--format", "json", "--quiet", "--record", str(db)]
    for _ in range(2):
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert json.loads(out.split("\n}\n")[0] + "\n}")["causes"][0]["node"] == "merchant_category"
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*), min(top_node) FROM diagnoses").fetchone() == (2, "merchant_category")
    with pytest.raises(SystemExit) as exit_info:
        main(["history", str(db), "--similar", "1"])
    assert exit_info.value.code == 0
    assert "merchant_category" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["history", str(tmp_path / "missing.sqlite")])
    assert exit_info.value.code == 2
