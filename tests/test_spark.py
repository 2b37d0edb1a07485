"""The Spark backend, for real: a local SparkSession must give DuckDB's statistics and DuckDB's answer.

The data layer is written once as ibis expressions; this test is what keeps
"the same code on Spark" true. It installs the ``spark`` extra when PySpark is
missing (CI starts from a clean clone) and needs Java; without Java it skips,
except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import TINY_GRAPH, tiny_frame

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def _ensure_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
        return
    except ImportError:
        pass
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["spark"]
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *extra],
                   check=True)


@pytest.fixture(scope="module")
def engines():
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CI") == "true":
            pytest.fail("Java is needed for the Spark test and is not installed")
        pytest.skip("Java is not installed")
    _ensure_pyspark()
    from causal_rca.windows.engines import connect, spark_session

    session = spark_session("local[2]")
    yield connect("duckdb"), connect(__import__("ibis").pyspark.connect(session))
    session.stop()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A window pair with every kind of count: nulls, a fallback default, categories, a rescaled feature."""
    d = tmp_path_factory.mktemp("spark")
    ref, cur = tiny_frame(4000, 1), tiny_frame(4000, 4, fault="fx_scale", start="2026-02-01")
    rng = np.random.default_rng(0)
    cur.loc[rng.random(len(cur)) < 0.2, "x"] = np.nan
    cur.loc[rng.random(len(cur)) < 0.1, "cat"] = "zz"
    ref.loc[rng.random(len(ref)) < 0.05, "x"] = 0.0
    (d / "g.yaml").write_text(TINY_GRAPH)
    ref.to_parquet(d / "ref.parquet", index=False)
    cur.to_parquet(d / "cur.parquet", index=False)
    return {"graph": d / "g.yaml", "reference": d / "ref.parquet", "current": d / "cur.parquet"}


def _statistics(backend, files, sample_rows: int):
    from causal_rca.lineage import load_graph
    from causal_rca.windows.counts import measure_counts
    from causal_rca.windows.frames import node_columns, node_samples, resolve_dtypes
    from causal_rca.windows.tables import open_windows

    graph = load_graph(files["graph"])
    ref, cur = open_windows(graph, files["reference"], files["current"], engine=backend)
    dtypes = resolve_dtypes(graph, ref)
    (rs, rt), (cs, ct) = node_samples(ref, graph, dtypes, sample_rows, 0), node_samples(cur, graph, dtypes, sample_rows, 1)
    rc, cc = measure_counts(ref, cur, node_columns(graph, dtypes), rt, ct)
    counts = {w: {n: (c.profile, c.values) for n, c in side.items()} for w, side in (("ref", rc), ("cur", cc))}
    return {"rows": (ref.rows, cur.rows), "types": (ref.column_types, cur.column_types), "dtypes": dtypes,
            "samples": (rs, cs), "counts": counts}


@pytest.mark.parametrize("sample_rows", [1000, 20000], ids=["sampled", "whole-window"])
def test_spark_gives_duckdbs_statistics(engines, files, sample_rows) -> None:
    duck, spark = (_statistics(b, files, sample_rows) for b in engines)
    assert duck["rows"] == spark["rows"] == (4000, 4000)
    assert duck["types"] == spark["types"]
    assert duck["dtypes"] == spark["dtypes"]
    for d, s in zip(duck["samples"], spark["samples"]):
        pd.testing.assert_frame_equal(d, s, check_dtype=False)
    assert duck["counts"] == spark["counts"]
    assert duck["counts"]["cur"]["x"][0].raw_nulls > 700  # the fixture really has nulls to count


def test_why_on_spark_names_duckdbs_top_cause(engines, files) -> None:
    from causal_rca.api import diagnose

    duck, spark = (diagnose(files["graph"], files["reference"], files["current"], "recall", seed=0, engine=b)
                   for b in engines)
    assert duck.significant and spark.significant
    assert (spark.causes[0].node, spark.causes[0].failure_mode) == (duck.causes[0].node, duck.causes[0].failure_mode)
    assert spark.to_json() == duck.to_json()


def test_model_review_on_spark_gives_duckdbs_json(engines, files, tmp_path) -> None:
    """Golden and training tables are read by the windows' engine: the model-aware JSON must not depend on it."""
    from causal_rca.api import diagnose
    from causal_rca.model.save import save_skops
    from tests.test_model_artifact import _fitted_tiny_model

    save_skops(_fitted_tiny_model(), tmp_path / "model.skops")
    graph = tmp_path / "g.yaml"
    graph.write_text(TINY_GRAPH.replace("    column: score\n", "    column: score\n    artifact: model.skops\n"))
    tiny_frame(2000, 11).drop(columns=["score"]).to_parquet(tmp_path / "golden.parquet", index=False)
    tiny_frame(2000, 12).to_parquet(tmp_path / "training.parquet", index=False)
    duck, spark = (diagnose(graph, files["reference"], files["current"], "recall", seed=0, engine=b,
                            golden=tmp_path / "golden.parquet", training=tmp_path / "training.parquet")
                   for b in engines)
    assert {"artifact", "golden", "support"} <= set(duck.model_aware.to_dict())
    assert duck.causes[0].replay is not None
    assert spark.to_json() == duck.to_json()


def test_a_quiet_spark_diagnosis_keeps_sparks_log_off_the_terminal(engines, files) -> None:
    """Fuzz audit row 16: Spark's log4j start-up lines reached stderr through ``--quiet``.

    A fresh process, because the log configuration is read when the JVM starts. The JVM's own
    "Using incubator modules" notice is printed before any logging is configured and stays.
    """
    env = {k: v for k, v in os.environ.items() if k != "SPARK_CONF_DIR"}
    done = subprocess.run([sys.executable, "-m", "causal_rca", "why", "recall", "--graph", files["graph"],
                           "--reference", files["reference"], "--current", files["current"], "--quiet",
                           "--engine", "spark", "--spark-master", "local[1]", "--format", "json"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    noise = [line for line in done.stderr.splitlines() if "incubator modules" not in line]
    assert noise == [], done.stderr


def test_only_a_local_session_without_the_users_spark_configuration_gets_the_quiet_log(monkeypatch) -> None:
    from causal_rca.windows.engines import QUIET_SPARK_LOG, _own_local_spark

    monkeypatch.delenv("SPARK_CONF_DIR", raising=False)
    assert QUIET_SPARK_LOG.is_file() and "rootLogger.level = error" in QUIET_SPARK_LOG.read_text()
    assert _own_local_spark("local[*]") and not _own_local_spark("spark://host:7077")
    monkeypatch.setenv("SPARK_CONF_DIR", "/etc/spark")
    assert not _own_local_spark("local[2]")
