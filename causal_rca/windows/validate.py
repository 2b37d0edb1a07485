"""`validate --data`: does a table hold what the graph says, value by value?

Beyond the columns being there: each observed node's values are read as its declared dtype
(the node's ``dtype`` or its contract's) and the ones that do not parse are counted, a text
column that mostly holds numbers is flagged as mixed (an upstream type change), and every
contract (``min``, ``max``, ``max_null_rate``, ``allowed``, ``max_staleness``) is checked on
the whole table. One aggregate query per node, run where the data lives.

These are plain counts on one table, not tests between windows: ``why`` decides whether a
change is more than noise; ``validate`` says what is in the file.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis

from causal_rca.lineage.graph import LineageGraph
from causal_rca.windows.stats import logical_dtype, stored
from causal_rca.windows.tables import TableLike, Window, open_table

#: how many offending values a finding quotes
EXAMPLES = 3


@dataclass(frozen=True)
class Finding:
    """One thing in the table that breaks what the graph says about a node."""

    node: str
    column: str
    check: str       # dtype, mixed_types, min, max, max_null_rate, allowed, max_staleness, time_column
    detail: str
    rows: int        # rows concerned


def _pct(count: int, total: int) -> str:
    share = count / total if total else 0.0
    return f"{share:.0%}" if share >= 0.01 or share == 0 else f"{share:.2%}"


def _examples(window: Window, value: ibis.Value, where: ibis.Value) -> str:
    rows = window.backend.execute(window.table.filter(where).select(v=value.cast("string")).distinct().limit(EXAMPLES))
    values = [repr(v) for v in rows["v"].tolist()]
    return f" (e.g. {', '.join(values)})" if values else ""


_READ_AS = {"numeric": "float64", "boolean": "boolean", "datetime": "timestamp"}


def check_table(graph: LineageGraph, data: TableLike, label: str = "data") -> tuple[int, list[Finding]]:
    """(rows, findings) of ``data`` against the graph's dtypes and contracts."""
    window = open_table(graph, data, label)
    t, n = window.table, window.rows
    findings: list[Finding] = []
    if graph.time_column:
        c = t[graph.time_column]
        if not c.type().is_timestamp():
            bad = c.notnull() & c.try_cast("timestamp").isnull()
            count = int(window.backend.execute(bad.sum()) or 0)
            if count:
                findings.append(Finding("(graph)", graph.time_column, "time_column",
                                        f"{count} values ({_pct(count, n)}) of time_column do not read as a time"
                                        f"{_examples(window, c, bad)}", count))
    for node_id in graph.observed_nodes():
        node = graph.nodes[node_id]
        findings.extend(_check_node(window, graph, node_id))
    return n, findings


def _check_node(window: Window, graph: LineageGraph, node_id: str) -> list[Finding]:
    node = graph.nodes[node_id]
    t, n, col = window.table, window.rows, node.column
    contract = node.contract
    declared = node.dtype or (contract.dtype if contract else None)
    stored_type = window.column_types[col]
    c = stored(t, col)
    out: list[Finding] = []

    def add(check: str, count: int, detail: str) -> None:
        out.append(Finding(node_id, col, check, detail, count))

    def count(expr: ibis.Value) -> int:
        return int(window.backend.execute(expr.sum().fill_null(0)))

    as_number = c.try_cast("float64")
    if declared in _READ_AS:
        bad = c.notnull() & c.try_cast(_READ_AS[declared]).isnull()
        k = count(bad.cast("int64"))
        if k:
            add("dtype", k, f"{k} values ({_pct(k, n)}) are not {declared} (dtype {declared}, stored as "
                            f"{stored_type}){_examples(window, c, bad)}")
    elif declared is None and logical_dtype(stored_type) == "categorical":
        values = count(c.notnull().cast("int64"))
        numbers = count(as_number.notnull().cast("int64"))
        if values and values > numbers and numbers >= 0.5 * values:
            bad = c.notnull() & as_number.isnull()
            add("mixed_types", values - numbers,
                f"{values - numbers} values ({_pct(values - numbers, n)}) are text while the other "
                f"{_pct(numbers, values)} read as numbers: a type change upstream?{_examples(window, c, bad)}")
    if contract is None:
        return out
    numeric = as_number if declared in (None, "numeric") else None
    if contract.min is not None and numeric is not None:
        below = numeric < contract.min
        k = count(below.cast("int64"))
        if k:
            low = window.backend.execute(numeric.min())
            add("min", k, f"{k} values ({_pct(k, n)}) below the contract's min {contract.min:g} (lowest {low:g})")
    if contract.max is not None and numeric is not None:
        above = numeric > contract.max
        k = count(above.cast("int64"))
        if k:
            high = window.backend.execute(numeric.max())
            add("max", k, f"{k} values ({_pct(k, n)}) above the contract's max {contract.max:g} (highest {high:g})")
    if contract.max_null_rate is not None:
        k = count(c.isnull().cast("int64"))
        if k / n > contract.max_null_rate:
            add("max_null_rate", k, f"{_pct(k, n)} of rows null, above the contract's max_null_rate "
                                    f"{contract.max_null_rate:.0%}")
    if contract.allowed is not None:
        allowed = [str(v) for v in contract.allowed]
        if numeric is not None and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                       for v in contract.allowed):
            outside = c.notnull() & ~as_number.isin([float(v) for v in contract.allowed]).fill_null(False)
        else:
            outside = c.notnull() & ~c.cast("string").isin(allowed)
        k = count(outside.cast("int64"))
        if k:
            add("allowed", k, f"{k} values ({_pct(k, n)}) outside the contract's allowed list"
                              f"{_examples(window, c, outside)}")
    if contract.max_staleness_seconds is not None and node.freshness and graph.time_column:
        lag = (t[graph.time_column].try_cast("timestamp").epoch_seconds()
               - t[node.freshness].try_cast("timestamp").epoch_seconds())
        k = count((lag > contract.max_staleness_seconds).cast("int64"))
        if k:
            add("max_staleness", k, f"{k} values ({_pct(k, n)}) older than the contract's max_staleness "
                                    f"({contract.max_staleness_seconds:g} s)")
    return out
