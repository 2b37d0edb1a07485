"""Every message in docs/errors.md, triggered through the command line.

The catalogue is only worth reading if it is true, so each entry's message is
read from the document and must appear on standard error (exit status 2, no
traceback) when its case runs; an entry without a case, or a case without an
entry, fails the first test. The cases are in tests/errors_cases.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.errors_case_builders import HELD
from tests.errors_cases import API_CASES, CASES, PROCESS_CASES


DOC = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
ENTRY = re.compile(r"^### `([a-z0-9-]+)`\s*$")
MESSAGE = re.compile(r"^- \*\*Message:\*\* `(.+)`\s*$")


def catalogue() -> dict[str, str]:
    """Entry id → the message fragment the document promises."""
    entries: dict[str, str] = {}
    current = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if m := ENTRY.match(line):
            current = m.group(1)
            assert current not in entries, f"entry {current} twice in {DOC.name}"
            entries[current] = ""
        elif (m := MESSAGE.match(line)) and current is not None:
            entries[current] = m.group(1)
    return entries


@pytest.fixture(autouse=True)
def quick_history_lock(monkeypatch) -> None:
    """A locked history is reported after 0.3 s, not the 30 s a real run waits; the lock is released after."""
    from causal_rca.history import store

    monkeypatch.setattr(store, "LOCK_TIMEOUT", 0.3)
    yield
    while HELD:
        HELD.pop().close()


def test_every_catalogued_message_has_a_case_and_back() -> None:
    entries = catalogue()
    assert len(entries) >= 60, f"{DOC.name} lists only {len(entries)} entries"
    cases = {*CASES, *PROCESS_CASES, *API_CASES}
    assert len(cases) == len(CASES) + len(PROCESS_CASES) + len(API_CASES), "an entry with two cases"
    assert sorted(set(entries) - cases) == [], "entries without a case"
    assert sorted(cases - set(entries)) == [], "cases without an entry"
    assert all(entries.values()), [k for k, v in entries.items() if not v]


@pytest.mark.parametrize("entry", sorted(CASES))
def test_catalogued_message(entry: str, tiny_files: dict, tmp_path: Path, capsys, monkeypatch) -> None:
    message = catalogue().get(entry)
    assert message, f"{entry} is not in {DOC.name}"
    monkeypatch.chdir(tmp_path)
    work = tmp_path / "case"
    work.mkdir()
    code, out, err = run_cli(CASES[entry](work, tiny_files), capsys)
    assert code == 2, (entry, out, err)
    assert "Traceback" not in err
    assert message.lower() in " ".join(err.split()).lower(), (entry, message, err)


@pytest.mark.parametrize("entry", sorted(PROCESS_CASES))
def test_catalogued_message_in_a_process(entry: str, tiny_files: dict, tmp_path: Path) -> None:
    message = catalogue()[entry]
    code, err = PROCESS_CASES[entry](tmp_path, tiny_files)
    assert code == 2, (entry, err)
    assert "Traceback" not in err
    assert message.lower() in " ".join(err.split()).lower(), (entry, message, err)


@pytest.mark.parametrize("entry", sorted(API_CASES))
def test_catalogued_api_message(entry: str, tiny_files: dict, tmp_path: Path) -> None:
    from causal_rca.errors import InputError

    message = catalogue()[entry]
    with pytest.raises(InputError) as raised:
        API_CASES[entry](tmp_path, tiny_files)
    assert message.lower() in " ".join(str(raised.value).split()).lower(), (entry, message, raised.value)
