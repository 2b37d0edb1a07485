"""Typed, node-keyed frames the statistical layers work on.

Columns are named by node id (not data column) and typed by the node's
dtype, read the same way in both windows: a value that no longer parses as
the reference type shows up as missing here and as coercion in the profile.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.errors import InputError
from causal_rca.lineage.graph import LineageGraph
from causal_rca.windows.stats import (
    canonical_text, logical_dtype, sample_frame, spelled_as_stored, text_expression, typed_expression,
    varying_integers,
)
from causal_rca.windows.tables import Window

TIME = "__time"
SAMPLE_ROWS = 20_000  # rows sampled per window for the tests (counts use every row)
KEY = "__key"  # the graph's key_column: which entity a row belongs to (signals/clustering.py)
_TEXT = "__text__"


def freshness_key(node_id: str) -> str:
    return f"__fresh__{node_id}"


def staler_than_reference(reference: pd.DataFrame, frame: pd.DataFrame, node_id: str) -> np.ndarray:
    """Rows of ``frame`` whose ``node_id`` value was computed longer before the event than 99.5% of
    the reference rows' (``freshness``): not what the reference computation gives for that row, whatever
    the value looks like (a cached aggregate repeats a plausible old value). All False without times."""
    key = freshness_key(node_id)
    if key not in frame or TIME not in frame or key not in reference or TIME not in reference:
        return np.zeros(len(frame), dtype=bool)
    ref_age = (reference[TIME] - reference[key]).to_numpy(dtype=float)
    age = (frame[TIME] - frame[key]).to_numpy(dtype=float)
    ref_age = ref_age[np.isfinite(ref_age)]
    if len(ref_age) == 0:
        return np.zeros(len(frame), dtype=bool)
    with np.errstate(invalid="ignore"):
        return age > np.quantile(ref_age, 0.995)


def version_key(node_id: str) -> str:
    return f"__version__{node_id}"


def resolve_dtypes(graph: LineageGraph, reference: Window, current: Window | None = None,
                   reference_parsed: ParseCounts | None = None) -> dict[str, str]:
    """Declared dtype, else the contract's, else what the reference window holds.

    With ``current``: a text column whose reference values all read as numbers while some of the
    current window's do not is numeric. That is a log concatenated across an upstream type change
    (``5411`` before, ``MCC-5411`` after): the file stores the column as text only because of the
    current rows, and read as numbers those rows show the change as coercion (``schema_change``),
    as they do when the two windows are separate files. ``reference_parsed``: the reference's side
    of that check, counted once by ``CausalRCA.fit`` (``reference_parse_counts``).
    """
    out: dict[str, str] = {}
    for node_id in graph.observed_nodes():
        node = graph.nodes[node_id]
        declared = node.dtype or (node.contract.dtype if node.contract else None)
        if declared == "text":
            declared = "categorical"
        out[node_id] = declared or logical_dtype(reference.column_types[node.column])
    if current is not None:
        for node_id in numbers_stored_as_text(graph, reference, current, _undeclared(graph, out), reference_parsed):
            out[node_id] = "numeric"
    return out


ParseCounts = dict[str, tuple[int, int]]  # per column: (values, values that read as numbers)


def _undeclared(graph: LineageGraph, nodes) -> list[str]:
    return [n for n in nodes if not (graph.nodes[n].dtype or (graph.nodes[n].contract and
                                                           graph.nodes[n].contract.dtype))]


def _parse_counts(window: Window, columns: list[str]) -> ParseCounts:
    """Per column: (values, values that read as numbers)."""
    t = window.table
    aggs = {}
    for i, col in enumerate(columns):
        aggs[f"v{i}"] = t[col].count()
        aggs[f"n{i}"] = t[col].try_cast("float64").count()
    row = window.backend.execute(t.aggregate(**aggs)).iloc[0]
    return {col: (int(row[f"v{i}"]), int(row[f"n{i}"])) for i, col in enumerate(columns)}


def _text_nodes(graph: LineageGraph, reference: Window, nodes: list[str]) -> list[str]:
    """The nodes whose reference column is stored as text: those that may be numbers stored as text."""
    return [n for n in nodes if logical_dtype(reference.column_types[graph.nodes[n].column]) == "categorical"
            and reference.column_types[graph.nodes[n].column].upper().startswith(("VARCHAR", "STRING"))]


def reference_parse_counts(graph: LineageGraph, reference: Window) -> ParseCounts:
    """The reference's side of ``numbers_stored_as_text`` for every undeclared observed node (one query)."""
    text = _text_nodes(graph, reference, _undeclared(graph, graph.observed_nodes()))
    return _parse_counts(reference, sorted({graph.nodes[n].column for n in text})) if text else {}


def numbers_stored_as_text(graph: LineageGraph, reference: Window, current: Window, nodes: list[str],
                           reference_parsed: ParseCounts | None = None) -> list[str]:
    """The nodes whose text column holds only numbers in the reference and some non-numbers in the current."""
    text = _text_nodes(graph, reference, nodes)
    if not text:
        return []
    columns = sorted({graph.nodes[n].column for n in text})
    known = reference_parsed or {}
    ref = ({c: known[c] for c in columns} if all(c in known for c in columns)
           else _parse_counts(reference, columns))
    cur = _parse_counts(current, columns)
    return [n for n in text
            if ref[graph.nodes[n].column][0] > 0 and ref[graph.nodes[n].column][0] == ref[graph.nodes[n].column][1]
            and cur[graph.nodes[n].column][1] < cur[graph.nodes[n].column][0]]


def node_columns(graph: LineageGraph, dtypes: dict[str, str]) -> dict[str, tuple[str, str]]:
    """``{node: (column, dtype)}``: what the engine counts per observed node."""
    return {node_id: (graph.nodes[node_id].column, dtype) for node_id, dtype in dtypes.items()}


def node_expressions(graph: LineageGraph, dtypes: dict[str, str]) -> dict:
    exprs = {node_id: typed_expression(graph.nodes[node_id].column, dtypes[node_id]) for node_id in dtypes}
    if graph.time_column:
        exprs[TIME] = typed_expression(graph.time_column, "datetime")
    if graph.key_column:
        exprs[KEY] = typed_expression(graph.key_column, "categorical")
    for node_id in dtypes:
        node = graph.nodes[node_id]
        if node.freshness:
            exprs[freshness_key(node_id)] = typed_expression(node.freshness, "datetime")
        if node.version_column:
            exprs[version_key(node_id)] = typed_expression(node.version_column, "categorical")
    return exprs


def node_sample(window: Window, graph: LineageGraph, dtypes: dict[str, str], n: int, seed: int) -> pd.DataFrame:
    """At most ``n`` seeded rows, one typed column per observed node."""
    return node_samples(window, graph, dtypes, n, seed)[0]


def node_samples(window: Window, graph: LineageGraph, dtypes: dict[str, str], n: int,
                 seed: int, numbers_as_text: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The seeded sample twice over, from one query: typed per node, and as text
    (the numeric, boolean and time nodes only).

    The texts name the values whose frequencies the engine then counts
    exactly (``counts.py``); reading them with the sample costs no second pass.
    Without ``numbers_as_text``, columns stored as numbers or booleans get no
    text (their typed values spell them, see ``counts.py``): casting every
    sampled number to text costs more than the sample on wide graphs.
    """
    exprs = node_expressions(graph, dtypes)
    counted = [node_id for node_id, dtype in dtypes.items() if dtype != "categorical"
               and (numbers_as_text or not spelled_as_stored(window, graph.nodes[node_id].column))]
    exprs.update({_TEXT + node_id: text_expression(graph.nodes[node_id].column) for node_id in counted})
    both = sample_frame(window, exprs, n, seed)
    texts = pd.DataFrame({node_id: canonical_text(window, graph.nodes[node_id].column, both[_TEXT + node_id])
                          for node_id in counted}, index=both.index)
    return as_node_types(both.drop(columns=[_TEXT + node_id for node_id in counted]), dtypes), texts


def as_node_types(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    """The node columns of a sample as the statistics read them: floats, or objects with ``None`` for missing."""
    for node_id, dtype in dtypes.items():
        if dtype in ("numeric", "boolean", "datetime"):
            frame[node_id] = pd.to_numeric(frame[node_id], errors="coerce").astype(float)
        else:
            frame[node_id] = frame[node_id].astype(object).where(frame[node_id].notna(), None)
    return frame


def constant_nodes(windows: tuple[Window, Window], graph: LineageGraph, dtypes: dict[str, str],
                   samples: tuple[pd.DataFrame, pd.DataFrame]) -> list[str]:
    """Nodes with one value and the same missing share in both windows' samples: they cannot explain a change.

    The samples hold numbers as floats; a node they find constant whose column is stored as
    integers is asked of the engine, so integers differing beyond float precision are not called constant.
    """
    ref_s, cur_s = samples
    flat = [n for n in dtypes if ref_s[n].nunique(dropna=True) <= 1 and cur_s[n].nunique(dropna=True) <= 1
            and ref_s[n].isna().mean() == cur_s[n].isna().mean()]
    columns = {n: graph.nodes[n].column for n in flat}
    varying = set().union(*(varying_integers(w, columns) for w in windows)) if columns else set()
    return [n for n in flat if n not in varying]


def check_usable(graph: LineageGraph, dtypes: dict[str, str], ref: pd.DataFrame, cur: pd.DataFrame) -> None:
    """Refuse windows that cannot be compared, rather than answer from nothing.

    A feature that is all null in the *current* window is a finding (an
    outage), but with no reference values there is no baseline, and with
    no model output or labels there is no metric.
    """
    for name, frame in (("reference", ref), ("current", cur)):
        if all(frame[n].isna().all() for n in dtypes):
            raise InputError(f"every column the graph names is null in the {name} window")
    for node_id in dtypes:
        node = graph.nodes[node_id]
        where = [name for name, frame in (("reference", ref), ("current", cur)) if frame[node_id].isna().all()]
        if "reference" in where or (where and node.kind in ("model", "label", "metric")):
            raise InputError(f"node '{node_id}' (column '{node.column}') is entirely null in the "
                             f"{' and '.join(where)} window: there is nothing to compare")
