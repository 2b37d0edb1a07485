"""Contract patches: the contract lines that would have caught a cause, verified on both windows.

For a node (or, for an unobserved service, each field it sends), candidate
contract keys are read off the reference window: ``dtype`` (every value reads
as a number), ``max_null_rate`` (the reference's rate with room for noise),
``min``/``max`` (the reference's range, widened by a tenth of it: a healthy
window's extremes fall a little beyond the reference's; a non-negative column
keeps 0 as its floor), ``allowed`` (its categories, when
few) and ``max_staleness`` (its largest lag, rounded up). Each candidate is
added to the node's contract and checked the way ``validate --data`` checks
it (``windows/validate.check_table``, on every row): a key is kept only when
the reference passes it and the current window breaks it (a range or category
key on at least 0.5% of the rows: a value or two past the reference's extremes
is a heavy tail, and a contract that fires on it would fire on healthy windows). So every patch
emitted is verified, and a cause no contract catches (values that stay within
what the reference allows) gets no patch, said as such. Candidates are read
off at most 200,000 reference rows (a seeded sample of a larger window); the
check that keeps them reads every row of both windows.

Where the graph came from dbt (``x-source: dbt``), the same checks are also
written as dbt tests (``not_null``, ``accepted_values``,
``dbt_utils.accepted_range``, a source freshness check).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import yaml

from causal_rca.lineage import LineageGraph
from causal_rca.lineage.graph import Contract
from causal_rca.windows.frames import resolve_dtypes
from causal_rca.windows.tables import TableLike, open_table
from causal_rca.windows.validate import check_table

CANDIDATE_ROWS = 200_000  # reference rows candidates are read off at most (a seeded sample of a larger window)
MAX_ALLOWED = 50  # categories listed in an ``allowed`` contract at most
RANGE_ROOM = 0.1  # min/max sit this share of the reference's range beyond its extremes (0 stays the floor)
NULL_ROOM = 0.01  # a max_null_rate bound sits this far (and 1.5×) above the reference's rate
BREAK_SHARE = 0.005  # a range or category key is kept only when the current window breaks it on this share of rows
BREAK_MIN_ROWS = 5
VALUE_CHECKS = ("min", "max", "allowed")
ORDER = ("dtype", "max_null_rate", "min", "max", "allowed", "max_staleness")


@dataclass(frozen=True)
class Patch:
    """Contract keys for one node that pass on the reference window and fail on the current one."""

    node: str
    column: str
    keys: dict[str, Any]  # contract key -> value, only verified ones
    reference_rows: int
    current_findings: dict[str, str]  # key -> what `validate --data` says on the current window
    lineage_yaml: str
    dbt_yaml: str | None = None
    existing: dict[str, Any] = field(default_factory=dict)  # the node's contract before the patch
    already_caught: dict[str, str] = field(default_factory=dict)  # existing key -> what it says on the current window

    @property
    def verified(self) -> bool:
        return bool(self.keys)

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "column": self.column, "contract": self.keys, "verified": self.verified,
                "reference": {"rows": self.reference_rows, "passes": True},
                "current": {"fails": self.verified, "findings": self.current_findings},
                "already_caught": self.already_caught, "lineage_yaml": self.lineage_yaml, "dbt_yaml": self.dbt_yaml}

    def summary(self) -> str:
        if not self.keys:
            said = "; ".join(self.already_caught.values())
            return f"{self.node}: the graph's contract already fails on the current window ({said}): nothing to add"
        keys = ", ".join(f"{k}: {_show(v)}" for k, v in self.keys.items())
        return (f"{self.node}: {keys} (verified with validate --data: passes on the reference window's "
                f"{self.reference_rows} rows, fails on the current window)")


def _show(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


def _nice_up(x: float) -> float:
    """``x`` rounded up to two significant figures (a bound people can read, never below ``x``)."""
    if x <= 0 or not math.isfinite(x):
        return x
    step = 10 ** (math.floor(math.log10(x)) - 1)
    k = math.ceil(x / step - 1e-9)
    return float(f"{k * step:.12g}") if float(f"{k * step:.12g}") >= x else float(f"{(k + 1) * step:.12g}")


def _nice_down(x: float) -> float:
    """``x`` rounded down to two significant figures (never above ``x``)."""
    if x < 0:
        return -_nice_up(-x)
    if x == 0 or not math.isfinite(x):
        return x
    step = 10 ** (math.floor(math.log10(x)) - 1)
    k = math.floor(x / step + 1e-9)
    return float(f"{k * step:.12g}") if float(f"{k * step:.12g}") <= x else float(f"{(k - 1) * step:.12g}")


def _duration(seconds: float) -> str:
    """A lag bound in the contract's short form, rounded up: 90s, 15m, 2h, 1d."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size:
            return f"{math.ceil(seconds / size)}{unit}"
    return f"{math.ceil(seconds)}s"


def candidates(graph: LineageGraph, node_id: str, reference: pd.DataFrame, dtype: str) -> dict[str, Any]:
    """Contract keys the reference rows satisfy, read off them (before any check on the current window)."""
    node = graph.nodes[node_id]
    col = reference[node.column]
    out: dict[str, Any] = {}
    values = col.dropna()
    numbers = pd.to_numeric(values, errors="coerce")
    if dtype == "numeric" and len(values) and numbers.notna().all():
        out["dtype"] = "numeric"
    rate = float(col.isna().mean())
    out["max_null_rate"] = 0.0 if rate == 0 else min(1.0, _nice_up(max(1.5 * rate, rate + NULL_ROOM)))
    if dtype == "numeric" and numbers.notna().any():
        lo, hi = float(numbers.min()), float(numbers.max())
        room = RANGE_ROOM * (hi - lo)  # a healthy window's extremes land a little beyond the reference's
        out["min"] = _nice_down(lo - room) if lo < 0 or lo - room >= 0 else 0.0
        out["max"] = _nice_up(hi + room)
    elif dtype == "categorical" and 0 < values.nunique() <= MAX_ALLOWED:
        uniq = values.unique().tolist()
        out["allowed"] = sorted((v.item() if isinstance(v, np.generic) else v for v in uniq), key=str)
    if node.freshness and graph.time_column and node.freshness in reference:
        lag = (pd.to_datetime(reference[graph.time_column], errors="coerce")
               - pd.to_datetime(reference[node.freshness], errors="coerce")).dt.total_seconds()
        if lag.notna().any():
            out["max_staleness"] = _duration(float(lag.max()))
    return out


def _contract_dict(contract: Contract | None) -> dict[str, Any]:
    if contract is None:
        return {}
    out = {"dtype": contract.dtype, "min": contract.min, "max": contract.max,
           "max_null_rate": contract.max_null_rate,
           "allowed": list(contract.allowed) if contract.allowed is not None else None,
           "max_staleness": contract.max_staleness_seconds}
    return {k: v for k, v in out.items() if v is not None}


def _with_contract(graph: LineageGraph, node_id: str, keys: dict[str, Any]) -> LineageGraph:
    """A one-node graph holding ``node_id`` with ``keys`` as its contract: what the check reads."""
    from causal_rca.lineage.schema import parse_duration

    contract = Contract(dtype=keys.get("dtype"), min=keys.get("min"), max=keys.get("max"),
                        max_null_rate=keys.get("max_null_rate"),
                        allowed=tuple(keys["allowed"]) if "allowed" in keys else None,
                        max_staleness_seconds=parse_duration(keys["max_staleness"]) if "max_staleness" in keys
                        else None)
    node = replace(graph.nodes[node_id], parents=(), contract=contract, dtype=None)
    return replace(graph, nodes={node_id: node}, segments=(), key_column=None)


def _failures(graph: LineageGraph, table: TableLike, label: str, value_floor: bool = False) -> tuple[int, dict[str, str]]:
    """(rows, check -> what validate says); with ``value_floor``, a value check counts only when it hits at
    least ``BREAK_SHARE`` of the rows: one or two values past a bound are a heavy tail, not a broken feed."""
    rows, findings = check_table(graph, table, label)
    floor = max(BREAK_MIN_ROWS, BREAK_SHARE * rows) if value_floor else 0
    return rows, {f.check: f.detail for f in findings if f.check in ORDER
                  and (f.check not in VALUE_CHECKS or f.rows >= floor)}


def lineage_lines(node_id: str, contract: dict[str, Any]) -> str:
    """The node's ``contract`` block as lineage YAML, indented as under ``nodes:``."""
    body = yaml.safe_dump({node_id: {"contract": contract}}, sort_keys=False, default_flow_style=False, width=100)
    return "".join("  " + line + "\n" for line in body.splitlines())


def dbt_lines(graph: LineageGraph, node_id: str, keys: dict[str, Any]) -> str | None:
    """The same checks as dbt tests, for a graph imported from a dbt manifest (``x-source: dbt``)."""
    if graph.extras.get("x-source") != "dbt":
        return None
    node = graph.nodes[node_id]
    qualified = str(node.extras.get("x-qualified-name") or node_id)
    resource = qualified.split("#")[0]
    name = resource.split(".")[-1]
    tests: list[Any] = []
    if keys.get("max_null_rate") == 0:
        tests.append("not_null")
    elif "max_null_rate" in keys:
        tests.append({"dbt_utils.not_null_proportion": {"at_least": round(1 - keys["max_null_rate"], 6)}})
    if "allowed" in keys:
        tests.append({"accepted_values": {"values": keys["allowed"]}})
    if "min" in keys or "max" in keys:
        bounds = {k2: keys[k] for k, k2 in (("min", "min_value"), ("max", "max_value")) if k in keys}
        tests.append({"dbt_utils.accepted_range": bounds})
    if "dtype" in keys:
        tests.append({"dbt_expectations.expect_column_values_to_be_of_type": {"column_type": "numeric"}})
    column = {"name": node.column, "tests": tests}
    if resource.startswith("source."):
        parts = resource.split(".")
        table: dict[str, Any] = {"name": name, "columns": [column]}
        if "max_staleness" in keys and node.freshness:
            table["loaded_at_field"] = node.freshness
            table["freshness"] = {"error_after": _dbt_period(keys["max_staleness"])}
        doc = {"version": 2, "sources": [{"name": parts[2] if len(parts) > 3 else parts[-2], "tables": [table]}]}
    else:
        doc = {"version": 2, "models": [{"name": name, "columns": [column]}]}
        if "max_staleness" in keys and node.freshness:
            column["tests"].append({"dbt_utils.recency": {"datepart": "second", "field": node.freshness,
                                                          "interval": int(_seconds(keys["max_staleness"]))}})
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=100)


def _seconds(text: str) -> float:
    from causal_rca.lineage.schema import parse_duration

    return parse_duration(text)


def _dbt_period(text: str) -> dict[str, Any]:
    unit = {"d": "day", "h": "hour", "m": "minute", "s": "minute"}[text[-1]]
    count = int(text[:-1]) if text[-1] != "s" else math.ceil(int(text[:-1]) / 60)
    return {"count": count, "period": unit}


def _stricter(key: str, proposed: Any, existing: Any) -> bool:
    """Whether a proposed bound says more than the graph's own (a tighter range, rate, lag or category list)."""
    if key == "max_staleness":
        return _seconds(proposed) < float(existing)
    if key in ("max", "max_null_rate"):
        return proposed < existing
    if key == "min":
        return proposed > existing
    if key == "allowed":
        return set(map(str, proposed)) < set(map(str, existing))
    return False


def _contract_keys(node_contract: dict[str, Any], proposed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in proposed.items() if k not in node_contract or _stricter(k, v, node_contract[k])}


class ReferenceContracts:
    """What the reference window says about each node's contract, read once and kept.

    Per node: the graph's own contract, which of its keys the reference already breaks, and the
    candidate keys the reference passes. ``risk`` checks many faulty windows against one reference.
    """

    def __init__(self, graph: LineageGraph, reference: TableLike, rows: pd.DataFrame | None = None,
                 dtypes: dict[str, str] | None = None) -> None:
        total = None if rows is None else len(rows)
        if rows is None or dtypes is None:
            window = open_table(graph, reference, "reference")
            dtypes = resolve_dtypes(graph, window)
            table = window.table
            if window.rows > CANDIDATE_ROWS:  # candidates from a seeded sample; the check still reads every row
                table = table.sample(CANDIDATE_ROWS / window.rows, seed=0)
            rows, total = window.backend.execute(table), window.rows
        self.graph, self.reference, self.rows, self.dtypes = graph, reference, rows, dtypes
        self.total_rows = total
        self._nodes: dict[str, tuple[dict[str, Any], dict[str, str], dict[str, Any]]] = {}

    def node(self, target: str) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
        """(the graph's contract, what it says on the reference, the candidate keys the reference passes)."""
        if target not in self._nodes:
            existing = _contract_dict(self.graph.nodes[target].contract)
            own = _failures(_with_contract(self.graph, target, existing), self.reference, "reference")[1] \
                if existing else {}
            proposed = _contract_keys(existing, candidates(self.graph, target, self.rows, self.dtypes[target]))
            if proposed:
                broken = _failures(_with_contract(self.graph, target, proposed), self.reference, "reference")[1]
                proposed = {k: v for k, v in proposed.items() if k not in broken}
            self._nodes[target] = (existing, own, proposed)
        return self._nodes[target]


def patch_for(graph: LineageGraph, node_id: str, reference: TableLike, current: TableLike,
              contracts: ReferenceContracts | None = None) -> list[Patch]:
    """Contract patches that catch what happened at ``node_id`` (its fields, for a service), each verified.

    A field the graph's own contract already catches gets a patch with no keys and ``already_caught``
    saying what fails (nothing to add); a field nothing catches gets no patch.
    """
    targets = [node_id] if graph.nodes[node_id].observed else \
        [c for c in graph.children(node_id) if graph.nodes[c].observed]
    if not targets:
        return []
    contracts = contracts or ReferenceContracts(graph, reference)
    patches = []
    for target in targets:
        existing, own_on_reference, proposed = contracts.node(target)
        already: dict[str, str] = {}
        if existing:
            caught = _failures(_with_contract(graph, target, existing), current, "current", value_floor=True)[1]
            already = {k: v for k, v in caught.items() if k not in own_on_reference}
        proposed = {k: v for k, v in proposed.items() if k not in already}
        kept: dict[str, Any] = {}
        on_current: dict[str, str] = {}
        if proposed:
            on_current = _failures(_with_contract(graph, target, proposed), current, "current", value_floor=True)[1]
            kept = {k: proposed[k] for k in ORDER if k in proposed and k in on_current}
        if not kept and not already:
            continue
        merged = {**existing, **kept}
        merged = {k: merged[k] for k in ORDER if k in merged}
        if isinstance(merged.get("max_staleness"), float):
            merged["max_staleness"] = _duration(merged["max_staleness"])
        patches.append(Patch(target, graph.nodes[target].column, kept, contracts.total_rows,
                             {k: on_current[k] for k in kept}, lineage_lines(target, merged) if kept else "",
                             dbt_lines(graph, target, kept) if kept else None, existing, already))
    return patches


def patched_graph_text(graph_text: str, patches: list[Patch]) -> str:
    """The graph's YAML with each patch's keys added to its node's contract (comments are not kept)."""
    data = yaml.safe_load(graph_text)
    for p in patches:
        node = data["nodes"][p.node]
        contract = dict(node.get("contract") or {})
        contract.update(p.keys)
        node["contract"] = contract
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100)
