"""`causal-rca init --data LOG`: draft a lineage graph from a prediction log, for the user to correct.

What a log can tell: its columns and their types, which column is the row time (a time type, or
text that reads as times, preferring names such as ``event_time``), the row key (text unique per
row, named ``*id``), when a value was computed (``<column>_at``), the model version (``*version*``),
and, from the reference part of the log (the first half in time), each column's range, null rate
and (for a few categories) its values: the contracts. What it cannot tell is the pipeline: which
column is computed from which. So every column becomes a ``source`` with a comment saying how to
make it a ``feature``; the model reads every input (in the artifact's order with ``--model``), and
the label depends on every input. The YAML is block style with comments, written to be edited.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from causal_rca.errors import InputError, ParameterError
from causal_rca.lineage.schema import suggest
from causal_rca.windows.engines import connect
from causal_rca.windows.stats import logical_dtype, stored
from causal_rca.windows.tables import MIN_ROWS, read_table, type_name

TIME_NAMES = re.compile(r"(^|_)(time|timestamp|ts|date|datetime|scored_at|event_time|created_at)($|_)", re.I)
KEY_NAMES = re.compile(r"(^|_)(id|key|uuid)$", re.I)
VERSION_NAMES = re.compile(r"version", re.I)
ID_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
ALLOWED_MAX = 12          # at most this many categories become an `allowed` list
NUMBERS_SHARE = 0.98      # a text column whose values read as numbers at least this often is numeric
MARGIN = 0.25             # min/max contracts: the reference range widened by this share of it
SEGMENT_MAX = 12          # a text column with 2..SEGMENT_MAX values is a segment candidate


@dataclass
class Column:
    name: str
    stored: str
    dtype: str                       # numeric, categorical, boolean, datetime
    values: int = 0                  # non-null in the reference part
    rows: int = 0
    distinct: int = 0
    low: float | None = None
    high: float | None = None
    categories: list[Any] = field(default_factory=list)
    not_numbers: int = 0             # text values of a column read as numeric

    @property
    def null_rate(self) -> float:
        return 1 - self.values / self.rows if self.rows else 0.0


def _node_id(column: str, taken: set[str]) -> str:
    base = ID_SAFE.sub("_", column).strip("_") or "column"
    node, i = base, 2
    while node in taken:
        node, i = f"{base}_{i}", i + 1
    taken.add(node)
    return node


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", text) and text.lower() not in (
            "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"):
        return text
    return "'" + text.replace("'", "''") + "'"


def _round_out(value: float, up: bool) -> float | int:
    """``value`` rounded outward to three significant digits; integers stay integers."""
    if float(value).is_integer():
        return int(value)
    scale = 10 ** (math.floor(math.log10(abs(value))) - 2)
    rounded = round((math.ceil if up else math.floor)(value / scale) * scale, 10)
    return int(rounded) if float(rounded).is_integer() else rounded


def _bounds(low: float, high: float) -> tuple[float | int, float | int]:
    """min and max contracts from the reference range: non-negative stays ``min: 0``, else widened by MARGIN."""
    room = MARGIN * (high - low)
    lower = 0 if low >= 0 else _round_out(low - room, up=False)
    return lower, _round_out(high + room, up=True)


def _null_bound(rate: float) -> float:
    """A max_null_rate from the reference rate: room for noise, never below 1%."""
    return round(min(1.0, max(0.01, math.ceil(rate * 2 * 100) / 100)), 2)


def _profile(table: ibis.Table, backend, names: list[str], types: dict[str, str]) -> dict[str, Column]:
    aggs: dict[str, ibis.Value] = {"__rows": table.count()}
    for i, name in enumerate(names):
        c = stored(table, name)
        dtype = logical_dtype(types[name])
        aggs[f"v{i}"] = c.count()
        aggs[f"d{i}"] = c.nunique()
        if dtype == "numeric":
            aggs[f"lo{i}"] = c.min().cast("float64")
            aggs[f"hi{i}"] = c.max().cast("float64")
        elif dtype == "categorical":
            aggs[f"n{i}"] = c.try_cast("float64").count()
    row = backend.execute(table.aggregate(**aggs)).iloc[0]
    out = {}
    for i, name in enumerate(names):
        dtype = logical_dtype(types[name])
        col = Column(name, types[name], dtype, int(row[f"v{i}"]), int(row["__rows"]), int(row[f"d{i}"]))
        if dtype == "numeric" and col.values:
            col.low, col.high = float(row[f"lo{i}"]), float(row[f"hi{i}"])
        if dtype == "categorical" and col.values and int(row[f"n{i}"]) >= NUMBERS_SHARE * col.values:
            col.dtype = "numeric"  # text that holds (almost) only numbers
            col.not_numbers = col.values - int(row[f"n{i}"])
        out[name] = col
    return out


def _categories(table: ibis.Table, backend, name: str) -> list[Any]:
    values = backend.execute(table.select(v=table[name]).filter(ibis._.v.notnull()).distinct().order_by("v"))["v"]
    return [v.item() if hasattr(v, "item") else v for v in values.tolist()]


def _time_column(table: ibis.Table, backend, types: dict[str, str], given: str | None) -> str | None:
    if given:
        return given
    typed = [c for c, t in types.items() if logical_dtype(t) == "datetime"]
    texts = [c for c, t in types.items() if logical_dtype(t) == "categorical" and TIME_NAMES.search(c)]
    for c in texts:  # text that reads as times
        ok = backend.execute(table.aggregate(v=table[c].count(), t=table[c].try_cast("timestamp").count())).iloc[0]
        if int(ok["v"]) and int(ok["v"]) == int(ok["t"]):
            typed.append(c)
    if not typed:
        return None
    named = [c for c in typed if TIME_NAMES.search(c) and not c.endswith("_at") or c in ("scored_at", "created_at")]
    return (named or typed)[0]


def model_input_order(path: Path, trust: bool) -> list[str]:
    """The column names the model artifact was trained on, in its order."""
    from causal_rca.model.artifact import load_pickle, load_skops

    if not path.exists():
        raise ParameterError(f"{{model={str(path)!r}}}: no such file")
    if path.suffix.lower() == ".skops":
        estimator = load_skops(path, str(path), trust)
    elif trust:
        estimator = load_pickle(path, str(path))
    else:
        raise ParameterError(f"model artifact '{path}' is not a .skops file: loading it runs code, so give "
                             f"{{trust_model=True}} if you trust it")
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        raise InputError(f"model artifact '{path}' does not record its input column names (feature_names_in_): "
                         f"list the model's parents in its input order by hand")
    return [str(n) for n in names]


def draft_graph(data: "str | pd.DataFrame", *, label: str | None = None, prediction: str | None = None, metric: str | None = None,
                time_column: str | None = None, name: str | None = None, model: Path | None = None,
                trust_model: bool = False) -> str:
    """A draft lineage graph of a log, as YAML text to correct by hand (``causal-rca init``).

    Every column becomes a node with a contract read from the log (dtype, range,
    null rate); with ``label`` and ``prediction`` the model, label and metric
    nodes are added. What only the team knows (which columns are computed from
    which) is left as comments to fill in.

    Parameters
    ----------
    data : str or pandas.DataFrame
        The prediction log: a CSV or Parquet file (or glob), or a DataFrame.
    label, prediction : str, optional
        The columns holding the true outcome and the model's output; both or neither.
    metric : str, optional
        The metric node to add (default: f1 for two classes, accuracy for more, mae for numbers).
    time_column : str, optional
        The row time column (default: found by name and type).
    name : str, optional
        The graph's name (default: the log's file name).
    model : Path, optional
        The model artifact (``.skops``): its input order becomes the model node's parents.
    trust_model : bool, default False
        Allow ``model`` to be a pickle (loading it runs code).

    Returns
    -------
    str
        The YAML text, with comments on what to correct.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> log = pd.DataFrame({"amount": rng.gamma(2, 30, 200).round(2), "country": rng.choice(["FR", "DE"], 200)})
    >>> log["score"] = (log.amount / 200).clip(0, 1)
    >>> log["is_fraud"] = (rng.random(200) < log.score).astype(int)
    >>> text = draft_graph(log, label="is_fraud", prediction="score")
    >>> "kind: model" in text and "metric: f1" in text
    True
    """
    if (label is None) != (prediction is None):
        raise ParameterError("give both {label} and {prediction} (the true outcome and the model's output column), "
                             "or neither")
    if label is not None and label == prediction:
        raise ParameterError("{label} and {prediction} name the same column")
    if model is not None and prediction is None:
        raise ParameterError("{model} needs {label} and {prediction} (the model node is built from them)")
    backend = connect("duckdb")
    table = read_table(backend, data, "data")
    source = "a DataFrame" if isinstance(data, pd.DataFrame) else str(data)
    file_name = "log" if isinstance(data, pd.DataFrame) else Path(str(data)).name
    types = {c: type_name(table.schema()[c]) for c in table.columns}
    for role, col in (("label", label), ("prediction", prediction), ("time_column", time_column)):
        if col is not None and col not in types:
            raise ParameterError(f"{{{role}={col!r}}} is not a column of {source}{suggest(col, list(types))}")
    rows = int(backend.execute(table.count()))
    if rows < MIN_ROWS:
        raise InputError(f"{source} has {rows} rows; at least {MIN_ROWS} are needed to draft contracts")
    time = _time_column(table, backend, types, time_column)
    reference, note = table, f"all {rows} rows of {file_name}"
    if time is not None:
        t = table[time].try_cast("timestamp")
        bounds = backend.execute(table.aggregate(lo=t.min(), hi=t.max())).iloc[0]
        if pd.notna(bounds["lo"]) and pd.notna(bounds["hi"]) and bounds["lo"] < bounds["hi"]:
            middle = pd.Timestamp(bounds["lo"]) + (pd.Timestamp(bounds["hi"]) - pd.Timestamp(bounds["lo"])) / 2
            reference = table.filter(t < ibis.literal(middle.to_pydatetime(), type="timestamp"))
            note = f"the first half of the log in time (before {middle.isoformat(sep=' ', timespec='seconds')})"
    profile = _profile(reference, backend, list(types), types)

    key = next((c for c in types if c != time and KEY_NAMES.search(c) and profile[c].dtype == "categorical"
                and profile[c].distinct == profile[c].values == profile[c].rows), None)
    version = next((c for c in types if VERSION_NAMES.search(c) and c not in (label, prediction)), None) \
        if prediction is not None else None
    freshness = {c[:-3]: c for c in types if c.endswith("_at") and c[:-3] in types and c != time
                 and logical_dtype(types[c]) in ("datetime", "categorical")}
    bookkeeping = {c for c in (time, key, version) if c} | set(freshness.values())
    inputs = [c for c in types if c not in bookkeeping and c not in (label, prediction)]
    if model is not None:
        order = model_input_order(model, trust_model)
        missing = [c for c in order if c not in types]
        if missing:
            raise InputError(f"model artifact '{model}' reads column(s) {', '.join(missing[:5])} that {source} "
                             f"does not have: the log must hold every model input")
        model_inputs = order
    else:
        model_inputs = inputs
    segments = [c for c in inputs if profile[c].dtype == "categorical" and 2 <= profile[c].distinct <= SEGMENT_MAX
                and c not in model_inputs][:3]

    taken: set[str] = set()
    ids = {c: _node_id(c, taken) for c in types}
    graph_name = ID_SAFE.sub("-", name or Path(file_name).stem).strip("-") or "pipeline"
    lines = [
        f"# A draft lineage graph for {file_name}, written by `causal-rca init`: correct it.",
        "# Format: docs/lineage-format.md. Check it with:",
        f"#   causal-rca validate <this file> --data {'YOUR_LOG' if isinstance(data, pd.DataFrame) else data}",
        "#",
        "# What to correct:",
        "# - Every column is a `source`. A column your code computes from others is a `feature`:",
        "#   set `kind: feature` and list what it is computed from under `parents`.",
        "# - An unobserved service (a feature store, an API) several columns come from: add a node",
        "#   without `column` (kind: infra) and make it their parent.",
        "# - The label's parents: keep only what the true outcome depends on.",
        f"# - Contracts come from {note}: widen or tighten them.",
        "version: 1",
        f"name: {_yaml_scalar(graph_name)}",
    ]
    if time:
        lines.append(f"time_column: {_yaml_scalar(time)}     # the row's timestamp: enables --split and watch")
    else:
        lines.append("# time_column: (none found: add the column holding the row's time to use --split and watch)")
    if key:
        lines.append(f"key_column: {_yaml_scalar(key)}")
    if segments:
        lines += ["segments:                 # columns to drill into (where the drop concentrates)"]
        lines += [f"  - {_yaml_scalar(c)}" for c in segments]
    lines += ["", "nodes:"]
    for c in inputs:
        lines += _node_lines(ids[c], "source", c, profile[c], [], freshness.get(c))
    if prediction is not None:
        label_col = profile[label]
        classes = _categories(reference, backend, label) if label_col.distinct <= ALLOWED_MAX else []
        kind_of_task = ("binary" if len(classes) == 2 else "multiclass" if classes else "regression")
        if metric is None:
            metric = {"binary": "f1", "multiclass": "accuracy", "regression": "mae"}[kind_of_task]
        model_id = _node_id("model", taken)
        lines += ["", "  # the model: its parents are its input columns"
                      + (" in the artifact's order (read from --model)" if model is not None
                         else ", in the order the model reads them (check!)")]
        lines += [f"  {model_id}:", "    kind: model", "    parents:"]
        lines += [f"      - {ids[c]}" for c in model_inputs]
        lines += [f"    column: {_yaml_scalar(prediction)}"]
        if version:
            lines.append(f"    version_column: {_yaml_scalar(version)}")
        if model is not None:
            lines.append(f"    artifact: {_yaml_scalar(str(model))}   # relative to this file")
        lines += ["", "  # the label: its parents are what the true outcome depends on (trim the list)",
                  f"  {ids[label]}:", "    kind: label", "    parents:"]
        lines += [f"      - {ids[c]}" for c in inputs]
        lines.append(f"    column: {_yaml_scalar(label)}")
        metric_id = _node_id(metric, taken)
        lines += ["", "  # the metric `why` explains; add more metric nodes as you like",
                  f"  {metric_id}:", "    kind: metric", "    parents:", f"      - {model_id}", f"      - {ids[label]}",
                  f"    metric: {metric}"]
        if kind_of_task == "binary":
            positive = max(classes, key=lambda v: (str(v) in ("1", "True", "true", "yes"), str(v)))
            lines += ["    threshold: 0.5          # a score at or above it means the positive class",
                      f"    positive: {_yaml_scalar(positive)}"]
    else:
        lines += ["", "  # add the model, the label and a metric (or run init again with --label and --prediction):",
                  "  # my_model:", "  #   kind: model", "  #   parents:", "  #     - <input node>",
                  "  #   column: <score column>"]
    return "\n".join(lines) + "\n"


def _node_lines(node_id: str, kind: str, column: str, col: Column, parents: list[str],
                freshness: str | None) -> list[str]:
    lines = [f"  {node_id}:", f"    kind: {kind}               # or feature, with parents"]
    if col.not_numbers:
        lines.insert(1, f"    # {col.not_numbers} reference value(s) of this column are not numbers: read as numeric, "
                        f"they count as coercion")
    lines.append(f"    column: {_yaml_scalar(column)}")
    if freshness:
        lines.append(f"    freshness: {_yaml_scalar(freshness)}   # when the value was computed")
    contract: list[str] = []
    if col.dtype == "numeric":
        contract.append("dtype: numeric")
        if col.low is not None and col.high is not None:
            lower, upper = _bounds(col.low, col.high)
            contract += [f"min: {_yaml_scalar(lower)}", f"max: {_yaml_scalar(upper)}"
                         f"   # reference: {col.low:.4g} to {col.high:.4g}"]
    elif col.dtype == "categorical":
        contract.append("dtype: categorical")
    elif col.dtype == "boolean":
        contract.append("dtype: boolean")
    contract.append(f"max_null_rate: {_null_bound(col.null_rate)}   # reference: {col.null_rate:.1%}")
    if contract:
        lines.append("    contract:                  # seen in the reference part of the log")
        lines += [f"      {item}" for item in contract]
    return lines
