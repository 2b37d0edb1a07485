"""A newcomer, outside the repository: the README's commands, the quickstart's, `init` on three logs.

Every command runs as written, through a shell, in a scratch folder outside the checkout, with
`causal-rca` on PATH as a one-line script that runs this checkout's code (what the README's
editable install gives). Nothing may read a file of the checkout by a relative path.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
pytestmark = pytest.mark.slow


def _env(bin_dir: Path) -> dict:
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "causal-rca"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m causal_rca "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONPATH": str(ROOT),
           "COLUMNS": "120"}
    env.pop("CAUSAL_RCA_SCENARIOS", None)
    return env


def _blocks(text: str, language: str = "") -> list[str]:
    return re.findall(r"^```" + re.escape(language) + r"\n(.*?)^```", text, flags=re.S | re.M)


def _use_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## Use\n"):text.index("## Documentation\n")]


def readme_commands() -> list[str]:
    """The command lines of the README's Use block, in order."""
    return [line for line in _blocks(_use_section())[0].splitlines() if line.strip()]


def run_lines(lines: list[str], start: Path, env: dict, timeout: int = 900) -> dict[str, subprocess.CompletedProcess]:
    """Run each line in bash from ``start`` (``cd`` moves on); fail on the first that does not exit 0."""
    cwd, results = start, {}
    for line in lines:
        command = line.split(" #")[0].strip()
        if command.startswith("cd "):
            cwd = (cwd / command[3:].strip()).resolve()
            assert cwd.is_dir(), line
            continue
        proc = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout)
        assert proc.returncode == 0, (line, proc.stdout[-2000:], proc.stderr[-3000:])
        assert "Traceback" not in proc.stderr, (line, proc.stderr[-3000:])
        results[command] = proc
    return results


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("newcomer")
    assert ROOT not in path.parents and path != ROOT
    return path


@pytest.fixture(scope="module")
def readme_run(scratch: Path) -> tuple[Path, dict, dict]:
    """Every command of the README's Use block, run in a scratch folder: (folder, env, results)."""
    env = _env(scratch / "bin")
    work = scratch / "readme"
    work.mkdir()
    results = run_lines(readme_commands(), work, env)
    return work, env, results


def test_readme_use_block_runs_outside_the_checkout(readme_run) -> None:
    work, _env_, results = readme_run
    demo = work / "demo"
    for name in ("graph.yaml", "log.csv", "reference.csv", "current.csv", "model.skops", "d.json", "report.html",
                 "lineage.svg", "recall.svg", "history.sqlite", "from-openlineage.yaml", "from-dbt.yaml",
                 "draft.yaml"):
        assert (demo / name).is_file(), name
    why = results["causal-rca why recall --graph graph.yaml --reference reference.csv --current current.csv"].stdout
    assert "schema_change at merchant_category" in why
    # one log split in time gives the answer the two files give (mixed types read as a schema change)
    verbose = results["causal-rca why recall --graph graph.yaml --data log.csv --split 2024-03-04 --verbose"].stdout
    assert "schema_change at merchant_category" in verbose and "Every node" in verbose
    assert "mixed_types" in results["causal-rca validate graph.yaml --data log.csv"].stdout
    similar = [c for c in results if c.startswith("causal-rca history")][0]
    assert results[similar].stdout.strip()


def test_readme_python_block_runs_in_the_quickstart_folder(readme_run) -> None:
    work, env, _ = readme_run
    code = _blocks(_use_section(), "python")[0]
    proc = subprocess.run([sys.executable, "-c", code], cwd=work / "demo", env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("merchant_category schema_change")


def _strip(line: str) -> str:
    return line.split(" #")[0].strip()


def test_every_command_quickstart_prints_works_as_printed(readme_run, scratch: Path) -> None:
    """`quickstart` prints its commands; they are the README's Use block (run above, in order), and the
    files it writes are the same bytes in any folder, so each printed command works as printed."""
    work_readme, env, _ = readme_run
    work = scratch / "printed"
    work.mkdir()
    proc = subprocess.run(["bash", "-c", "causal-rca quickstart my-example"], cwd=work, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout[proc.stdout.index("Try, in order"):proc.stdout.index("Then on your own data")]
    lines = [line for line in printed.splitlines()[1:] if line.strip() and not line.startswith("#")]
    assert lines[0] == "cd my-example" and len(lines) >= 10
    readme = [_strip(line) for line in readme_commands()]
    assert readme[0] == "causal-rca quickstart demo"
    assert ["cd demo", *lines[1:]] == readme[1:len(lines) + 1]
    for name in ("graph.yaml", "log.csv", "reference.csv", "current.csv", "training.csv", "golden.csv",
                 "events.jsonl", "manifest.json", "model.yaml"):
        assert (work / "my-example" / name).read_bytes() == (work_readme / "demo" / name).read_bytes(), name
    # and the first commands, as printed, in the new folder
    run_lines(lines[:3], work, env)


def test_init_on_three_logs_validates_and_why_runs(scratch: Path, readme_run) -> None:
    """A scenario's log (classification), the quickstart's, and a regression model's: draft, validate, why."""
    from causal_rca.scenarios import export_scenario, get_scenario

    _, env, _ = readme_run
    work = scratch / "init"
    work.mkdir()
    logs = {}
    for name, label, prediction in (("churn_silent_null_jump", None, None),
                                    ("eta_weather_feed_outage", None, None)):
        paths = export_scenario(get_scenario(name), work / name)
        log = pd.concat([pd.read_csv(paths["reference"]), pd.read_csv(paths["current"])], ignore_index=True)
        log.to_csv(work / f"{name}.csv", index=False)
        logs[name] = work / f"{name}.csv"
    logs["quickstart"] = work.parent / "readme" / "demo" / "log.csv"
    roles = {"churn_silent_null_jump": ("churned", "churn_score"), "eta_weather_feed_outage": ("delivery_minutes", "eta_minutes"),
             "quickstart": ("is_fraud", "score")}
    for name, log in logs.items():
        label, prediction = roles[name]
        header = pd.read_csv(log, nrows=1).columns
        assert label in header and prediction in header, (name, list(header))
        draft = work / f"{name}.yaml"
        run_lines([f"causal-rca init --data {log} --label {label} --prediction {prediction} --out {draft}",
                   f"causal-rca validate {draft} --data {log}"], work, env)
        text = draft.read_text(encoding="utf-8")
        metric = re.search(r"^    metric: (\w+)$", text, flags=re.M).group(1)
        metric_node = re.search(r"^  (\w+):\n    kind: metric", text, flags=re.M).group(1)
        if name == "eta_weather_feed_outage":
            assert metric == "mae", text
        times = pd.read_csv(log, usecols=[re.search(r"^time_column: (\S+)", text, flags=re.M).group(1)]).iloc[:, 0]
        times = pd.to_datetime(times)
        split = (times.min() + (times.max() - times.min()) / 2).isoformat()
        out = run_lines([f"causal-rca why {metric_node} --graph {draft} --data {log} --split {split} --quiet "
                         f"--format json --out {work / (name + '.json')}"], work, env)
        assert out and (work / f"{name}.json").is_file()
