"""Issue 17's small defects outside the window layer (D8): each case crashed or passed silently before.

Duplicate DataFrame column names in the API, a closed standard output, ``--every nan``,
infinite scores that no warning mentioned, and NumPy / scikit-learn warnings that leaked
to standard error instead of the diagnosis' warnings.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from causal_rca.api import diagnose
from causal_rca.errors import InputError
from causal_rca.library_warnings import call_recording_warnings, captured_warnings, diagnosis_messages, reissue
from tests.conftest import TINY_GRAPH, run_cli, tiny_frame

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tiny_graph(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_GRAPH)
    return path


def test_duplicate_dataframe_columns_are_refused_by_name(tiny_graph) -> None:
    ref, cur = tiny_frame(600, 1), tiny_frame(600, 4)
    doubled = pd.concat([cur, cur[["fx"]]], axis=1)
    with pytest.raises(InputError, match=r"the current= DataFrame has duplicate column names \(fx\)"):
        diagnose(tiny_graph, ref, doubled, "recall")


def test_closed_standard_output_is_one_clear_line(tiny_files) -> None:
    args = ["why", "recall", "--graph", tiny_files["graph"], "--reference", tiny_files["reference"],
            "--current", tiny_files["current"], "--quiet"]
    command = " ".join(f"'{a}'" for a in [sys.executable, "-m", "causal_rca", *map(str, args)])
    proc = subprocess.run(["bash", "-c", command + " >&-"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "standard output is closed" in proc.stderr and "Traceback" not in proc.stderr


def test_a_closed_pipe_ends_quietly_with_the_sigpipe_status(tiny_files) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "causal_rca", "scenarios", "list"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(5)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) in (0, 141)  # 0 when everything fitted in the pipe before it closed
    assert "Traceback" not in err and "Exception ignored" not in err


@pytest.mark.parametrize("every", ["nan", "NaN", "NaT"])
def test_every_nan_is_not_a_duration(tiny_files, capsys, every) -> None:
    code, _, err = run_cli(["watch", tiny_files["graph"], "--data", tiny_files["reference"], "--metric", "recall",
                            "--every", every], capsys)
    assert code == 2
    assert "is not a duration" in err


def test_infinite_scores_are_flagged(tiny_graph) -> None:
    ref, cur = tiny_frame(3000, 1), tiny_frame(3000, 4, start="2026-02-01")
    cur.loc[:299, "score"] = np.inf
    cur.loc[300:309, "fx"] = -np.inf
    d = diagnose(tiny_graph, ref, cur, "recall", seed=0)
    scores = [w for w in d.warnings if "node 'model' (column 'score') holds infinite values" in w]
    assert scores == ["node 'model' (column 'score') holds infinite values (0 of 3000 reference rows, 300 of "
                      "3000 current rows): not a valid measurement; the causal models read them as missing"]
    assert any("node 'fx' (column 'fx') holds infinite values" in w and "10 of 3000 current sampled rows" in w
               for w in d.warnings)


def test_finite_windows_have_no_infinity_warning(tiny_graph) -> None:
    d = diagnose(tiny_graph, tiny_frame(3000, 1), tiny_frame(3000, 4, start="2026-02-01"), "recall", seed=0)
    assert not any("infinite" in w for w in d.warnings)


def test_library_warnings_go_to_the_diagnosis_not_stderr(tiny_graph, monkeypatch, capfd) -> None:
    """A RuntimeWarning raised inside the engine is reported once, with the answer."""
    import causal_rca.pipeline as api  # the module that runs the steps

    real = api.assess_quality

    def noisy(*args, **kwargs):
        np.log(np.array([-1.0]))  # numpy: RuntimeWarning: invalid value encountered in log
        np.log(np.array([-1.0]))
        warnings.warn("deprecated call", DeprecationWarning)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "assess_quality", noisy)
    d = diagnose(tiny_graph, tiny_frame(800, 1), tiny_frame(800, 4), "recall", seed=0)
    assert d.warnings.count("RuntimeWarning: invalid value encountered in log") == 1
    assert not any("deprecated call" in w for w in d.warnings)
    assert "RuntimeWarning" not in capfd.readouterr().err


def _warn_and_return(value: int) -> int:
    np.log(np.array([-1.0]))
    return value


def test_worker_warnings_reach_the_same_diagnosis_lines() -> None:
    """Warnings from a worker process and from this one give the same lines (the answer ignores --jobs)."""
    with captured_warnings() as here:
        _warn_and_return(1)
    result, records = call_recording_warnings(_warn_and_return, (2,), {})
    with captured_warnings() as parent:
        reissue(records)
    assert result == 2
    assert diagnosis_messages(here) == diagnosis_messages(parent) == [
        "RuntimeWarning: invalid value encountered in log"]
