"""The arguments of the public calls, checked before any work and named as the caller wrote them.

Each check raises ``ParameterError`` naming the parameter (``split=`` to a
Python caller, ``--split`` on the command line), so a wrong argument fails in
a second with one line, not after the windows were read or deep in a library.
"""

from __future__ import annotations

import numbers
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from causal_rca.errors import ParameterError

MIN_SAMPLE_ROWS = 100
# The engine derives seeds as ``seed + offset`` (offsets up to about 10**5) and hands them to numpy and
# scikit-learn, which take seeds below 2**32: 2**31 - 1 leaves the offsets room.
MAX_SEED = 2**31 - 1
TABLE_TYPES = (str, Path, pd.DataFrame)


def check_table(name: str, value: Any) -> None:
    """A table argument: a CSV or Parquet path (a glob or URL too) or a DataFrame, or ``None``."""
    if value is not None and not isinstance(value, TABLE_TYPES):
        raise ParameterError(f"{{{name}}} must be a CSV or Parquet path or a pandas DataFrame, "
                             f"not {type(value).__name__}")
    if isinstance(value, pd.DataFrame) and value.columns.duplicated().any():
        names = sorted({str(c) for c in value.columns[value.columns.duplicated()]})
        raise ParameterError(f"the {{{name}}} DataFrame has duplicate column names ({', '.join(names[:5])}): "
                             f"each column the graph names must appear once")


def check_windows(reference: Any, current: Any, data: Any, split: Any) -> None:
    """Two windows, or one table and where to split it: exactly one of the two ways."""
    for name, value in (("reference", reference), ("current", current), ("data", data)):
        check_table(name, value)
    if data is not None:
        if reference is not None or current is not None:
            raise ParameterError("give either {data} with {split}, or {reference} and {current}, not both")
        if split is None or split == "":
            raise ParameterError("{data} needs {split=TIMESTAMP} (or {split='auto'})")
        if split != "auto":
            split_time(split)
        return
    if reference is None or current is None:
        raise ParameterError("give both {reference} and {current} tables (or {data} with {split})")
    if split is not None:
        raise ParameterError("{split} splits one table in time: give it with {data}, not with {reference} and "
                             "{current}")


def split_time(split: Any) -> pd.Timestamp:
    """The split as a time: a timestamp text (``2026-11-01T12:00``) or a ``datetime``."""
    if not isinstance(split, (str, datetime)):
        raise ParameterError(f"{{split}} must be a timestamp or 'auto', not {type(split).__name__}")
    try:
        at = pd.Timestamp(split)
    except (ValueError, TypeError):
        at = None
    if at is None or at is pd.NaT:
        raise ParameterError(f"{{split={str(split)!r}}} is not a timestamp (expected e.g. 2026-11-01 or "
                             f"2026-11-01T12:00)")
    return at


def check_integer(name: str, value: Any, minimum: int, meaning: str, maximum: int | None = None) -> None:
    """An integer (not a bool) of at least ``minimum`` (and at most ``maximum``); ``meaning`` says what it counts."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum
            or (maximum is not None and value > maximum)):
        raise ParameterError(f"{{{name}}} must be {meaning}, not {value!r}")


def check_seed(seed: Any) -> None:
    """A seed the random generators take (every command's ``--seed``, ``seed=`` in Python)."""
    check_integer("seed", seed, 0, f"a non-negative integer of at most {MAX_SEED}", maximum=MAX_SEED)


def check_p_value(name: str, value: Any) -> None:
    """A probability: a real number from 0 to 1 (not a bool, not NaN)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ParameterError(f"{{{name}}} must be a p-value from 0 to 1 (or None), not {value!r}")


def check_folder(name: str, value: Any, *, writing: bool = False) -> None:
    """A folder's path (``CausalRCA.save``/``load``): a str or Path; to write into, naming no regular file."""
    if not isinstance(value, (str, Path)):
        raise ParameterError(f"{{{name}}} must be the path of a folder (a str or Path), not {type(value).__name__}")
    if writing and Path(value).is_file():
        raise ParameterError(f"{{{name}}} must be the path of a folder, and '{value}' is a file")


def check_flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ParameterError(f"{{{name}}} must be True or False, not {value!r}")


def check_diagnose_arguments(*, graph: Any, reference: Any, current: Any, metric: Any, data: Any, split: Any,
                             seed: Any, sample_rows: Any, progress: Any, engine: Any, spark_master: Any,
                             jobs: Any, trust_model: Any, golden: Any, training: Any, estimate: Any) -> None:
    """Every argument of ``diagnose``, before the graph or a table is read."""
    check_graph_and_metric(graph, metric)
    check_windows(reference, current, data, split)
    check_options(seed=seed, sample_rows=sample_rows, progress=progress, engine=engine, spark_master=spark_master,
                  jobs=jobs, trust_model=trust_model, golden=golden, training=training, estimate=estimate)


def check_graph_and_metric(graph: Any, metric: Any) -> None:
    """The graph (an object or its YAML file) and the metric node's id."""
    from causal_rca.lineage import LineageGraph

    if not isinstance(graph, (LineageGraph, str, Path)):
        raise ParameterError(f"{{graph}} must be a LineageGraph or the path of a graph YAML, "
                             f"not {type(graph).__name__}")
    if metric is not None and not isinstance(metric, str):
        raise ParameterError(f"{{metric}} must be the id of a metric node (a str), not {type(metric).__name__}")


def check_options(*, seed: Any, sample_rows: Any, progress: Any, engine: Any, spark_master: Any, jobs: Any,
                  trust_model: Any, golden: Any, training: Any, estimate: Any) -> None:
    """The options of a diagnosis (``diagnose``'s keywords, ``CausalRCA``'s constructor)."""
    from causal_rca.windows.engines import check_engine

    check_table("golden", golden)
    check_table("training", training)
    check_seed(seed)
    check_integer("sample_rows", sample_rows, MIN_SAMPLE_ROWS, f"an integer of at least {MIN_SAMPLE_ROWS}")
    if jobs is not None:
        check_integer("jobs", jobs, 1, "a positive number of processes (or None: all cores, at most four)")
    if progress is not None and not callable(progress):
        raise ParameterError(f"{{progress}} must be a function of one message (or None), "
                             f"not {type(progress).__name__}")
    check_flag("trust_model", trust_model)
    check_flag("estimate", estimate)
    check_engine(engine, spark_master)
