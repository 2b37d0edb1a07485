"""Start-up: a command imports what it uses, and a deferred package ``__init__`` still answers when asked.

Each check runs in a fresh interpreter (``sys.modules`` of this test process holds everything the
other tests imported). Timings are in ``benchmarks/`` and docs/scale.md, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import causal_rca
from causal_rca.history.store import record

ROOT = Path(causal_rca.__path__[0]).parent
HEAVY = ("dowhy", "sklearn", "ibis", "scipy.stats", "matplotlib", "statsmodels", "sympy")


def imported_after(code: str, *args: str) -> list[str]:
    """The ``HEAVY`` modules loaded once ``code`` ran in a fresh interpreter (from the repository root)."""
    probe = f"{code}\nimport sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)"
    done = subprocess.run([sys.executable, "-c", "import json, sys\n" + probe, *args], capture_output=True, text=True,
                          cwd=ROOT)
    return json.loads(done.stderr.strip().splitlines()[-1])


CLI = "from causal_rca.cli.app import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass"


@pytest.fixture
def history(tmp_path: Path) -> Path:
    db = tmp_path / "h.db"
    record(db, {"graph": "g", "target": "m", "change": -0.1, "significant": True, "causes": []}, "why")
    return db


@pytest.mark.parametrize("command", [["scenarios", "list"], ["render", "graphs/fraud.yaml", "--out", "{tmp}/g.dot"],
                                     ["validate", "graphs/fraud.yaml"], ["history", "{db}"], ["--help"],
                                     ["--version"]])
def test_commands_that_run_no_diagnosis_import_no_engine_and_no_statistics(command, history, tmp_path) -> None:
    args = [a.format(tmp=tmp_path, db=history) for a in command]
    assert imported_after(CLI, *args) == []


def test_the_lineage_loads_a_graph_without_the_metrics_statistics() -> None:
    assert imported_after("from causal_rca.lineage import load_graph\nload_graph('graphs/fraud.yaml')") == []


def test_the_metrics_names_are_there_when_asked_for() -> None:
    import causal_rca.metrics as metrics

    assert "compare_windows" in dir(metrics) and callable(metrics.compare_windows)
    assert metrics.MetricSpec is __import__("causal_rca.metrics.spec", fromlist=["MetricSpec"]).MetricSpec
    with pytest.raises(AttributeError):
        metrics.no_such_name  # noqa: B018


def test_the_attribution_imports_dowhy_gcm_without_plotting_or_statsmodels_robust() -> None:
    loaded = imported_after("import causal_rca.causal.attribution, causal_rca.causal.class_outputs\n"
                            "assert 'dowhy.gcm.auto' not in sys.modules and 'statsmodels.robust' not in sys.modules")
    assert "matplotlib" not in loaded and "statsmodels" not in loaded and "sympy" not in loaded
    assert "dowhy" in loaded and "sklearn" in loaded


def test_dowhys_deferred_packages_still_answer_with_their_own_names() -> None:
    """What ``import dowhy`` / ``from dowhy import gcm`` users reach still works after the attribution's import."""
    code = ("import causal_rca.causal.attribution\nimport dowhy\nfrom dowhy import gcm, CausalModel\n"
            "from dowhy.gcm import config, auto\nfrom dowhy.utils import plot\n"
            "print(CausalModel.__name__, gcm.fit.__name__, auto.__name__, config.__name__, callable(plot))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.split() == ["CausalModel", "fit", "dowhy.gcm.auto", "dowhy.gcm.config", "True"]


def test_the_query_engine_compiles_for_duckdb_only_and_other_dialects_still_work(tmp_path: Path) -> None:
    (tmp_path / "w.csv").write_text("x\n1\n2\n")
    code = ("import sys\nimport ibis\nfrom causal_rca.windows.engines import connect\n"
            f"print(connect().read_csv({str(tmp_path / 'w.csv')!r}).count().execute())\n"
            "print(sorted(m.rpartition('.')[2] for m in sys.modules if m.startswith('ibis.backends.sql.compilers.')))\n"
            "print(ibis.to_sql(ibis.table({'a': 'int'}, name='t').a.sum(), dialect='postgres').split()[1])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.splitlines() == ["2", "['_compat', 'base', 'duckdb']", 'SUM("t0"."a")'], done.stdout


def test_a_deferred_package_runs_its_init_only_for_its_own_names(tmp_path: Path) -> None:
    pkg = tmp_path / "heavy_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import sys\nsys.heavy_init_ran = True\nfrom .costly import VALUE\nNAME = 'init'\n")
    (pkg / "costly.py").write_text("VALUE = 1\n")
    (pkg / "light.py").write_text("from heavy_pkg import other\nLIGHT = other.OTHER\n")
    (pkg / "other.py").write_text("OTHER = 2\n")
    code = ("import sys\nfrom causal_rca.package_init import defer_package_init\ndefer_package_init('heavy_pkg')\n"
            "import heavy_pkg.light as light\nassert light.LIGHT == 2\n"
            "assert not hasattr(sys, 'heavy_init_ran') and 'heavy_pkg.costly' not in sys.modules\n"
            "import heavy_pkg\nassert heavy_pkg.light is light\n"
            "assert heavy_pkg.NAME == 'init' and heavy_pkg.VALUE == 1 and sys.heavy_init_ran\nprint('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": ""})
    assert done.stdout.strip() == "ok", done.stderr


def test_garbage_left_at_exit_is_still_finalized_after_the_cli_ran() -> None:
    """The CLI freezes what is left at exit (``cli.app._collect_once_at_exit``) after collecting the garbage:
    an object in a reference cycle (a connection, a file) is finalized as it would be without it."""
    code = ("from causal_rca.cli.app import main\n"
            "for _ in range(3):\n    try:\n        main(['--version'])\n    except SystemExit:\n        pass\n"
            "class Held:\n    def __del__(self):\n        print('finalized', flush=True)\n"
            "held = Held()\nheld.me = held\ndel held\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "finalized", (done.stdout, done.stderr)
