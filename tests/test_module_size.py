"""The project rule "no module over 500 lines", for every Python file of causal_rca/, benchmarks/ and tests/.

The files are the ones git tracks (``git ls-files``); outside a git checkout, every ``*.py``
file below the three folders.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("causal_rca", "benchmarks", "tests")
MAX_LINES = 500


def python_files() -> list[Path]:
    """The tracked Python files of FOLDERS, or all of them when git cannot say."""
    if shutil.which("git") is not None:
        proc = subprocess.run(["git", "ls-files", "-z", "--", *(f"{f}/*.py" for f in FOLDERS)], cwd=ROOT,
                              capture_output=True, timeout=60)
        names = [n for n in proc.stdout.decode().split("\0") if n] if proc.returncode == 0 else []
        if names:
            return sorted(p for p in (ROOT / n for n in names) if p.is_file())  # a deleted file is not checked
    return sorted(p for f in FOLDERS for p in (ROOT / f).rglob("*.py"))


def test_no_module_is_over_500_lines() -> None:
    files = python_files()
    assert len(files) > 10, f"found only {len(files)} Python files below {', '.join(FOLDERS)}"
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines()) for p in files}
    over = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not over, f"modules over {MAX_LINES} lines (split them by topic): " + ", ".join(
        f"{name} ({n} lines)" for name, n in sorted(over.items(), key=lambda item: -item[1]))
