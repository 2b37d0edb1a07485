"""Record diagnoses in an embedded SQLite file; list them; find earlier incidents like a new one.

SQLite (Python's standard library) because a history is a handful of rows written once
per run and read by people: no server, one file to keep beside the graphs. The whole
diagnosis JSON is stored, so nothing is lost when the report format grows.

Several runs (a cron of `watch`, parallel `why`s) may write the same file at once, so
the file is in WAL mode (readers never wait for a writer), each write is one
``BEGIN IMMEDIATE`` transaction that waits for the lock (busy timeout) and is retried
with backoff until ``LOCK_TIMEOUT`` has passed: a row is recorded or the command says
the file is locked, never lost in silence. The schema carries a version
(``PRAGMA user_version``) so a file of another version or shape is refused by name.
A damaged row (bad JSON, a value of the wrong type) is skipped with a warning naming
its id, so the good rows can still be read.

Similarity of two incidents on the same graph and metric: 0.5 for the same top cause,
0.3 for the same failure mode, 0.2 × the Jaccard overlap of their anomalies (node, signal).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
import warnings
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TypeVar

from causal_rca.errors import InputError, first_line

SCHEMA_VERSION = 1
LOCK_TIMEOUT = 30.0  # seconds a command waits for another process's lock on the history file
NULL = type(None)

# (name, declared type, constraint, Python types a sound row holds): the one description of the table.
COLUMNS: tuple[tuple[str, str, str, tuple[type, ...]], ...] = (
    ("id", "INTEGER", "PRIMARY KEY AUTOINCREMENT", (int,)),
    ("recorded_at", "TEXT", "NOT NULL", (str,)),
    ("command", "TEXT", "NOT NULL", (str,)),
    ("graph", "TEXT", "NOT NULL", (str,)),
    ("target", "TEXT", "NOT NULL", (str,)),
    ("change", "REAL", "", (float, int, NULL)),
    ("significant", "INTEGER", "NOT NULL", (int,)),
    ("top_node", "TEXT", "", (str, NULL)),
    ("top_mode", "TEXT", "", (str, NULL)),
    ("note", "TEXT", "", (str, NULL)),
    ("diagnosis", "TEXT", "NOT NULL", (str,)),
)
NAMES = ", ".join(c[0] for c in COLUMNS)
WRITTEN = NAMES.removeprefix("id, ")  # SQLite numbers the rows
SCHEMA = f"CREATE TABLE IF NOT EXISTS diagnoses ({', '.join(' '.join(c[:3]).strip() for c in COLUMNS)})"
T = TypeVar("T")


class DamagedRecordWarning(UserWarning):
    """A row of the history that cannot be read; it is skipped so the others can be."""


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


def _busy(exc: sqlite3.Error) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED (any extended code): another connection holds the lock."""
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _locked(path: Path, timeout: float, work: Callable[[sqlite3.Connection], T], what: str) -> T:
    """Run ``work`` on a fresh connection, again with backoff while another process holds the lock.

    The busy timeout covers most waits; the retries cover the busy cases SQLite
    returns without waiting (WAL recovery, a lock taken by a connection that
    started first). A failed attempt's connection is closed, which rolls its
    transaction back, so a retried write cannot be recorded twice.
    """
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        try:
            with closing(sqlite3.connect(path, timeout=max(deadline - time.monotonic(), 0.0),
                                         isolation_level=None)) as con:
                return work(con)
        except sqlite3.Error as exc:
            if not _busy(exc):
                raise InputError(f"history '{path}' cannot be used: {first_line(exc)}") from None
            if time.monotonic() >= deadline:
                raise InputError(f"history '{path}' is locked by another process (waited {timeout:g} s): {what}. "
                                 "Run again when that process has finished; a program holding a transaction "
                                 "open on the file (an SQLite browser) must commit or close it") from None
            time.sleep(min(0.02 * 2 ** attempt, 1.0, max(deadline - time.monotonic(), 0.0)) * random.uniform(0.5, 1))
            attempt += 1


def _check_schema(con: sqlite3.Connection, path: Path) -> bool:
    """Whether the file holds the table; refuse a file of another schema version or whose table has other columns.

    Version 0 with the right columns is a history written before versioning: the same table.
    A file without any table is a new history whose first writer has not committed yet.
    """
    version = con.execute("PRAGMA user_version").fetchone()[0]
    if version not in (0, SCHEMA_VERSION):
        raise InputError(f"history '{path}' has schema version {version}, this causal-rca reads version "
                         f"{SCHEMA_VERSION}: read it with the causal-rca that wrote it, or record into a new file")
    found = {(r[1], r[2].upper()) for r in con.execute("PRAGMA table_info(diagnoses)")}
    if not found and con.execute("SELECT 1 FROM sqlite_master").fetchone() is None:
        return False
    if found != {(c[0], c[1]) for c in COLUMNS}:
        columns = ", ".join(sorted(name for name, _ in found)) or "none: there is no such table"
        raise InputError(f"history '{path}' is not a causal-rca history: its 'diagnoses' table has columns "
                         f"{columns}; version {SCHEMA_VERSION} has {NAMES}. Record into a new file, "
                         "or move this one aside")
    return True


def check_recordable(path: Path) -> None:
    """Refuse a ``--record`` file that is not a history before the diagnosis runs, not after.

    Otherwise a wrong path costs a whole diagnosis first, and ``watch`` with no
    alert never looks at it. A file that does not exist yet is fine (recording
    creates it); a lock held by another writer is left for ``record`` to wait on.
    """
    if path.is_dir():
        raise InputError(f"history '{path}' cannot be opened: it is a directory")
    if not path.exists():
        return
    try:
        with closing(sqlite3.connect(path, timeout=0)) as con:
            _check_schema(con, path)
    except sqlite3.Error as exc:
        if not _busy(exc):
            raise InputError(f"history '{path}' cannot be used: {first_line(exc)}") from None


def record(path: Path, diagnosis_dict: dict, command: str, note: str | None = None, *,
           timeout: float | None = None) -> int:
    """Append one diagnosis (``Diagnosis.to_dict()``); returns its id.

    Waits up to ``timeout`` seconds (default ``LOCK_TIMEOUT``) for other writers.
    """
    causes = diagnosis_dict.get("causes") or []
    top = causes[0] if causes else {}
    row = (datetime.now(timezone.utc).isoformat(timespec="seconds"), command, diagnosis_dict["graph"],
           diagnosis_dict["target"], diagnosis_dict.get("change"), int(bool(diagnosis_dict.get("significant"))),
           top.get("node"), top.get("failure_mode"), note, json.dumps(diagnosis_dict, sort_keys=True))

    def insert(con: sqlite3.Connection) -> int:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("BEGIN IMMEDIATE")  # the write lock first: check, create and insert as one step
        con.execute(SCHEMA)
        _check_schema(con, path)
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        cur = con.execute(f"INSERT INTO diagnoses ({WRITTEN}) VALUES ({', '.join('?' * len(row))})", row)
        con.execute("COMMIT")
        return int(cur.lastrowid)

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"history '{path}' cannot be opened: {exc.strerror}") from None
    return _locked(path, LOCK_TIMEOUT if timeout is None else timeout, insert, "the diagnosis was not recorded")


def _parse(row: tuple) -> Record:
    """One row as a ``Record``; ValueError saying what is wrong with it."""
    for (name, _, _, types), value in zip(COLUMNS, row):
        if not isinstance(value, types):
            raise ValueError(f"its {name} is {type(value).__name__} {str(value)[:40]!r}")
    try:
        diagnosis = json.loads(row[-1])
    except ValueError as exc:
        raise ValueError(f"its diagnosis is not JSON ({exc})") from None
    anomalies = diagnosis.get("anomalies", []) if isinstance(diagnosis, dict) else None
    if not isinstance(anomalies, list) or not all(isinstance(a, dict) for a in anomalies):
        raise ValueError("its diagnosis is not a causal-rca diagnosis object")
    change, significant = row[5], row[6]
    return Record(*row[:5], None if change is None else float(change), bool(significant), *row[7:10], diagnosis)


def _select(path: Path, where: str = "", args: tuple = (), timeout: float | None = None) -> list[tuple]:
    if not path.exists():
        raise InputError(f"history '{path}' does not exist (record into it with --record {path})")

    def read(con: sqlite3.Connection) -> list[tuple]:
        if not _check_schema(con, path):
            return []
        return con.execute(f"SELECT {NAMES} FROM diagnoses {where} ORDER BY id", args).fetchall()

    return _locked(path, LOCK_TIMEOUT if timeout is None else timeout, read, "nothing was read")


def records(path: Path, *, timeout: float | None = None) -> list[Record]:
    """Every readable diagnosis, oldest first; a damaged row gives a ``DamagedRecordWarning`` naming its id."""
    good = []
    for row in _select(path, timeout=timeout):
        try:
            good.append(_parse(row))
        except ValueError as exc:
            warnings.warn(f"history '{path}': diagnosis {row[0]} skipped: {exc}", DamagedRecordWarning, stacklevel=2)
    return good


def get(path: Path, record_id: int) -> Record:
    """One diagnosis; asked for by id, a damaged row is an error rather than a warning."""
    rows = _select(path, "WHERE id = ?", (record_id,))
    if not rows:
        raise InputError(f"history '{path}' has no diagnosis {record_id}")
    try:
        return _parse(rows[0])
    except ValueError as exc:
        raise InputError(f"history '{path}': diagnosis {record_id} is damaged: {exc}") from None


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
