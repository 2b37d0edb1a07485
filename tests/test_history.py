"""The diagnosis history: record, list, show, similar incidents; and the CLI around it."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
import time
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from causal_rca.cli.app import main
from causal_rca.errors import InputError
from causal_rca.history import store
from tests.conftest import run_cli


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


# Issue 17 (D5): concurrent writers, locks, schema versions and damaged rows.

def _write_fifty(db: str, start) -> None:
    start.wait()  # all at once: the moment the file is created is the most contended
    for i in range(50):
        store.record(Path(db), _diagnosis("amount", "missing_values", [("amount", "null_rate")]), "why", note=str(i))


def _list_until(db: str, start, stop) -> None:
    """Someone runs `causal-rca history` again and again while the writers write."""
    start.wait()
    while not stop.is_set():
        if Path(db).exists():
            store.records(Path(db))
        time.sleep(0.01)


def test_eight_concurrent_writers_lose_no_row(tmp_path) -> None:
    db = str(tmp_path / "h.sqlite")
    ctx = multiprocessing.get_context("fork")
    start, stop = ctx.Barrier(10), ctx.Event()
    writers = [ctx.Process(target=_write_fifty, args=(db, start)) for _ in range(8)]
    readers = [ctx.Process(target=_list_until, args=(db, start, stop)) for _ in range(2)]
    for p in writers + readers:
        p.start()
    for w in writers:
        w.join(60)
    stop.set()
    for r in readers:
        r.join(10)
    assert [p.exitcode for p in writers + readers] == [0] * 10
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("SELECT count(*), count(DISTINCT id) FROM diagnoses").fetchone() == (400, 400)
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION


@contextmanager
def _exclusive_lock(db: Path, seconds: float | None = None):
    """Another connection holds the write lock (``BEGIN EXCLUSIVE``), for ``seconds`` or the whole block."""
    con = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    con.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(seconds, con.rollback) if seconds is not None else None
    if release is not None:
        release.start()
    try:
        yield
    finally:
        if release is not None:
            release.join()
        con.rollback()
        con.close()


def test_a_write_waits_for_a_lock_held_by_another_connection(tmp_path) -> None:
    db = tmp_path / "h.sqlite"
    store.record(db, _diagnosis("a", "scale_change", []), "why")
    began = time.monotonic()
    with _exclusive_lock(db, seconds=1.0):
        new = store.record(db, _diagnosis("b", "scale_change", []), "why", timeout=10)
    assert time.monotonic() - began >= 0.9
    assert [r.id for r in store.records(db)] == [1, new] == [1, 2]


def test_a_lock_that_never_clears_is_one_clear_error(tmp_path) -> None:
    db = tmp_path / "h.sqlite"
    store.record(db, _diagnosis("a", "scale_change", []), "why")
    with _exclusive_lock(db), pytest.raises(InputError, match="is locked by another process"):
        store.record(db, _diagnosis("b", "scale_change", []), "why", timeout=0.3)
    assert len(store.records(db)) == 1


def test_cli_prints_the_diagnosis_then_says_the_history_is_locked(tiny_files, tmp_path, capsys, monkeypatch) -> None:
    db = tmp_path / "h.sqlite"
    store.record(db, _diagnosis("a", "scale_change", []), "why")
    monkeypatch.setattr(store, "LOCK_TIMEOUT", 0.3)
    with _exclusive_lock(db):
        code, out, err = run_cli(["why", "recall", "--graph", tiny_files["graph"], "--reference",
                                  tiny_files["reference"], "--current", tiny_files["current"], "--format", "json",
                                  "--quiet", "--record", db], capsys)
    assert code == 2 and "Traceback" not in err
    assert json.loads(out)["target"] == "recall"  # the diagnosis is printed before the history is written
    assert "is locked by another process" in err and "not recorded" in err


def test_a_history_of_another_shape_or_version_is_refused_by_name(tmp_path, capsys) -> None:
    foreign = tmp_path / "foreign.sqlite"
    with closing(sqlite3.connect(foreign)) as con, con:
        con.execute("CREATE TABLE diagnoses (id INTEGER PRIMARY KEY, payload BLOB)")
    newer = tmp_path / "newer.sqlite"
    store.record(newer, _diagnosis("a", "scale_change", []), "why")
    with closing(sqlite3.connect(newer)) as con:
        con.execute("PRAGMA user_version = 7")
    for db, message in ((foreign, "is not a causal-rca history: its 'diagnoses' table has columns id, payload"),
                        (newer, "has schema version 7, this causal-rca reads version 1")):
        code, out, err = run_cli(["history", db], capsys)
        assert code == 2 and "Traceback" not in err and message in err, err
        with pytest.raises(InputError, match=message.split(":")[0]):
            store.record(db, _diagnosis("a", "scale_change", []), "why")
    with closing(sqlite3.connect(foreign)) as con:  # refused without a change
        assert con.execute("SELECT count(*) FROM diagnoses").fetchone() == (0,)


def test_a_history_written_before_versioning_is_still_read_and_written(tmp_path) -> None:
    db = tmp_path / "old.sqlite"
    with closing(sqlite3.connect(db)) as con, con:
        con.execute(store.SCHEMA.replace("IF NOT EXISTS ", ""))
    store.record(db, _diagnosis("a", "scale_change", []), "why")
    assert [r.top_node for r in store.records(db)] == ["a"]
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION


def test_damaged_rows_are_skipped_with_a_warning_naming_them(tmp_path, capsys) -> None:
    db = tmp_path / "h.sqlite"
    for _ in range(4):
        store.record(db, _diagnosis("amount", "missing_values", [("amount", "null_rate")]), "why")
    with closing(sqlite3.connect(db)) as con, con:
        con.execute("UPDATE diagnoses SET diagnosis = '{not json' WHERE id = 2")
        con.execute("UPDATE diagnoses SET change = 'a lot' WHERE id = 3")
    code, out, err = run_cli(["history", db], capsys)
    assert code == 0 and "Traceback" not in err
    assert "diagnosis 2 skipped" in err and "diagnosis 3 skipped: its change is str 'a lot'" in err
    listed = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")]
    assert listed == ["1", "4"]
    with pytest.warns(store.DamagedRecordWarning) as warned:
        assert [r.id for r in store.records(db)] == [1, 4]
    assert [str(w.message).split("': ", 1)[1] for w in warned] == [
        "diagnosis 2 skipped: its diagnosis is not JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))", "diagnosis 3 skipped: its change is str 'a lot'"]
    code, out, err = run_cli(["history", db, "--similar", "1"], capsys)
    assert code == 0 and "diagnosis 3 skipped" in err and "│ 4" in out
    code, out, err = run_cli(["history", db, "--show", "3"], capsys)
    assert code == 2 and "diagnosis 3 is damaged: its change is str" in err and "Traceback" not in err
