"""Which query engine runs the data layer: DuckDB embedded, or Spark when logs outgrow one machine.

The rest of ``windows/`` is written once as ibis expressions; this module only
opens the backend they execute on. DuckDB needs nothing beyond the package;
Spark is the optional extra (``pip install 'causal-rca[spark]'``) and is
imported only when asked for, so a laptop install never pays for a JVM.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Union

import ibis
from ibis.backends import BaseBackend

from causal_rca.errors import InputError, ParameterError, first_line
from causal_rca.package_init import defer_package_init

# ibis's SQL backends import ``ibis.backends.sql.compilers``, whose ``__init__`` imports the compiler of
# every database ibis knows (and sqlglot's dialect for each); the backend asks for its own only
# (``compilers.duckdb``). About 0.1 s of CPU a diagnosis does not need (docs/scale.md, "Imports").
defer_package_init("ibis.backends.sql.compilers")

ENGINES = ("duckdb", "spark")
Engine = Union[str, BaseBackend]


def connect(engine: Engine = "duckdb", spark_master: str | None = None) -> BaseBackend:
    """An ibis backend for ``engine`` (a name from ``ENGINES``, or an ibis backend already open).

    ``spark_master`` is a Spark master URL (``local[2]``, ``spark://host:7077``,
    ``yarn``); it is only meaningful with ``engine="spark"``.
    """
    check_engine(engine, spark_master)
    if isinstance(engine, BaseBackend):
        return engine
    if engine == "duckdb":
        # DuckDB draws a progress bar on standard output for long queries: standard output holds the diagnosis.
        backend = ibis.duckdb.connect()
        backend.raw_sql("SET enable_progress_bar = false")
        # Parquet min/max statistics leave NaN out, and DuckDB's statistics propagation then folds
        # isnan(x) to false: a float column served as NaN would count as fully present (measured on
        # DuckDB 2.0.1; see docs/decisions.md). Without that pass the scans are as fast.
        backend.raw_sql("SET disabled_optimizers = 'statistics_propagation'")
        return backend
    return ibis.pyspark.connect(spark_session(spark_master or "local[*]"))


def check_engine(engine: Any, spark_master: Any = None) -> None:
    """``engine`` is a name of ``ENGINES`` or an open ibis backend; ``spark_master`` goes with Spark only."""
    if isinstance(engine, BaseBackend):
        return
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ParameterError(f"{{engine}} must be one of {', '.join(ENGINES)} or an open ibis backend, not {engine!r}")
    if spark_master is not None and engine != "spark":
        raise ParameterError("{spark_master} needs {engine='spark'}")


QUIET_SPARK_LOG = Path(__file__).with_name("spark_log4j2.properties")


def _own_local_spark(master: str) -> bool:
    """Whether causal-rca may choose Spark's logging: a local master and no Spark configuration of the user's.

    A cluster, or a ``SPARK_CONF_DIR``, comes with its own ``spark-defaults.conf`` and log
    configuration, which setting ``spark.driver.extraJavaOptions`` here would replace.
    """
    return master.startswith("local") and "SPARK_CONF_DIR" not in os.environ


def spark_session(master: str) -> Any:
    """A Spark session on ``master`` with the settings the statistics rely on.

    UTC session time zone: timestamps must mean the same instant on every
    executor and in DuckDB, or staleness and time splits would move with the
    cluster's locale. The session is Spark's own (``getOrCreate``): a user who
    already runs one gets it reused, not a second JVM.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ParameterError("{engine='spark'} needs PySpark: pip install 'causal-rca[spark]'") from None
    builder = (SparkSession.builder.master(master).appName("causal-rca")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")  # causal-rca draws its own progress bar
               .config("spark.sql.shuffle.partitions", "8"))
    if _own_local_spark(master):
        builder = builder.config("spark.driver.extraJavaOptions",
                                 f"-Dlog4j2.configurationFile={QUIET_SPARK_LOG.as_uri()}")
    try:
        return builder.getOrCreate()
    except Exception as exc:  # a missing Java or an unreachable master: the user's setup, not a bug
        raise InputError(f"could not start Spark on '{master}' (Spark needs Java 17+): {first_line(exc)}") from None


def engine_name(backend: BaseBackend) -> str:
    """``duckdb`` or ``spark``: what the diagnosis reports it ran on."""
    return "spark" if backend.name == "pyspark" else backend.name
