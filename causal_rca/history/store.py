"""Record diagnoses in an embedded SQLite file; list them; find earlier incidents like a new one.

SQLite (Python's standard library) because a history is a handful of rows written once
per run and read by people: no server, one file to keep beside the graphs. The whole
diagnosis JSON is stored, so nothing is lost when the report format grows.

Similarity of two incidents on the same graph and metric: 0.5 for the same top cause,
0.3 for the same failure mode, 0.2 × the Jaccard overlap of their anomalies (node, signal).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from causal_rca.errors import InputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS diagnoses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    command TEXT NOT NULL,
    graph TEXT NOT NULL,
    target TEXT NOT NULL,
    change REAL,
    significant INTEGER NOT NULL,
    top_node TEXT,
    top_mode TEXT,
    note TEXT,
    diagnosis TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Record:
    id: int
    recorded_at: str
    command: str
    graph: str
    target: str
    change: float | None
    significant: bool
    top_node: str | None
    top_mode: str | None
    note: str | None
    diagnosis: dict

    def anomalies(self) -> set[tuple[str, str]]:
        return {(a.get("node"), a.get("signal")) for a in self.diagnosis.get("anomalies", [])}


def _connect(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path)
        con.execute(SCHEMA)
        return con
    except (OSError, sqlite3.Error) as exc:
        raise InputError(f"history '{path}' cannot be opened: {exc}") from None


def record(path: Path, diagnosis_dict: dict, command: str, note: str | None = None) -> int:
    """Append one diagnosis (``Diagnosis.to_dict()``); returns its id."""
    causes = diagnosis_dict.get("causes") or []
    top = causes[0] if causes else {}
    with closing(_connect(path)) as con, con:
        cur = con.execute(
            "INSERT INTO diagnoses (recorded_at, command, graph, target, change, significant, top_node, top_mode, "
            "note, diagnosis) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (datetime.now(timezone.utc).isoformat(timespec="seconds"), command, diagnosis_dict["graph"],
             diagnosis_dict["target"], diagnosis_dict.get("change"), int(bool(diagnosis_dict.get("significant"))),
             top.get("node"), top.get("failure_mode"), note, json.dumps(diagnosis_dict, sort_keys=True)))
        return int(cur.lastrowid)


def records(path: Path) -> list[Record]:
    if not path.exists():
        raise InputError(f"history '{path}' does not exist (record into it with --record {path})")
    with closing(_connect(path)) as con:
        try:
            rows = con.execute("SELECT id, recorded_at, command, graph, target, change, significant, top_node, "
                               "top_mode, note, diagnosis FROM diagnoses ORDER BY id").fetchall()
        except sqlite3.Error as exc:
            raise InputError(f"history '{path}' cannot be read: {exc}") from None
    return [Record(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7], r[8], r[9], json.loads(r[10])) for r in rows]


def get(path: Path, record_id: int) -> Record:
    for r in records(path):
        if r.id == record_id:
            return r
    raise InputError(f"history '{path}' has no diagnosis {record_id}")


def similarity(a: Record, b: Record) -> float:
    if (a.graph, a.target) != (b.graph, b.target):
        return 0.0
    union = a.anomalies() | b.anomalies()
    overlap = len(a.anomalies() & b.anomalies()) / len(union) if union else 0.0
    return round(0.5 * (a.top_node is not None and a.top_node == b.top_node)
                 + 0.3 * (a.top_mode is not None and a.top_mode == b.top_mode) + 0.2 * overlap, 4)


def similar(path: Path, record_id: int, limit: int = 5) -> list[tuple[Record, float]]:
    """Earlier and later incidents most like ``record_id`` (score > 0), most similar first."""
    target = get(path, record_id)
    scored = [(r, similarity(target, r)) for r in records(path) if r.id != record_id]
    scored = [(r, s) for r, s in scored if s > 0]
    return sorted(scored, key=lambda t: (-t[1], t[0].id))[:limit]
