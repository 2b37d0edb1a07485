"""Imported lineage → version-1 graph nodes (one rule set for every importer).

- Column parents come from the tool when it has them (OpenLineage ``columnLineage``, or the
  SQL of a dbt model read by ``sql_lineage``). Otherwise (the fallback, said in ``x-lineage``)
  a column depends on the same-named column of an input dataset (a pass-through) or, failing
  that, on every column of the inputs, read from their pass-through copies in the same dataset.
- A column that shapes a dataset's rows (a join key, a filter: OpenLineage's
  ``columnLineage.dataset``, or a SQL ``JOIN … ON``) is a parent of the output columns whose
  values come from the same input: a left join's key on the orders side shapes the order
  totals, not the customer's name (making it a parent of everything would tie every joined
  input for every column).
- No dataset dependency is lost: an input dataset that feeds an output through no value edge
  (a filter or semi-join table, a join whose columns nobody documented) becomes a parent of
  every column of the output, through its shaping columns when known.
- A prediction log holds each column once, so a column name is *observed* (``column:``) at
  its most downstream dataset (longest path from the sources; ties by dataset key), and only
  when the log has it if ``observed`` (``--observed-from``) is given.
- What the log does not show cannot be told apart column by column, so all unobserved columns
  of a dataset collapse into one node for the dataset (``x-columns`` lists them): an upstream
  failure is then named once, as the dataset, rather than as a tie of copies.
- An unobserved column whose value passes unchanged into an observed column of a dataset (an
  identity edge: OpenLineage's IDENTITY transformation, a bare column in SQL) is read, by the
  other columns of that dataset, from that observed copy (the nearest, then by name) instead of
  from the unobserved column or its collapsed dataset: the log shows the value there, so a
  change is named at the copy (``x-read-through-copies`` records each substitution).
- Tests become contracts on observed columns; every test that cannot (unobserved column, a
  check the contract vocabulary lacks) is listed in ``x-skipped-tests`` with its reason.

Everything is sorted before it is used: the same input gives the same bytes under any
``PYTHONHASHSEED``.
"""

from __future__ import annotations

import re

import networkx as nx

from causal_rca.lineage.importers.columns import DATASET_COLUMN, Check, ColumnRef, ImportedLineage

FALLBACK = "fallback: same-named input column, else every input column (no column lineage)"


def safe_id(text: str) -> str:
    """A node id the graph format accepts: letters, digits, ``_ . -``."""
    s = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_.-")
    return s or "node"


def dataset_depth(lineage: ImportedLineage) -> dict[str, int]:
    """Longest path from a source to each dataset (cycles, from self-merging jobs, counted once)."""
    flow = nx.DiGraph()
    flow.add_nodes_from(sorted(lineage.datasets))
    flow.add_edges_from(sorted(lineage.job_edges))
    dag = nx.condensation(flow)
    level: dict[int, int] = {}
    for scc in nx.topological_sort(dag):  # any order is fine: the longest path does not depend on it
        level[scc] = max((level[p] + 1 for p in dag.predecessors(scc)), default=0)
    return {key: level[dag.graph["mapping"][key]] for key in lineage.datasets}


def column_parents(lineage: ImportedLineage) -> tuple[dict[ColumnRef, set[ColumnRef]], dict[ColumnRef, str]]:
    """Every column's parent columns, and for columns found by the fallback rule, that they were."""
    ds = lineage.datasets
    refs = sorted((k, c) for k, d in ds.items() for c in d.columns)
    parents: dict[ColumnRef, set[ColumnRef]] = {r: set() for r in refs}
    how: dict[ColumnRef, str] = {}
    for src, dst in sorted(lineage.column_edges):
        if src in parents and dst in parents and src != dst:
            parents[dst].add(src)
    explicit = {dst for _src, dst in lineage.column_edges}
    inputs = {out: sorted({i for i, o in lineage.job_edges if o == out and i != out}) for out in ds}
    for out in sorted(ds):
        if out in lineage.exact or not inputs[out]:
            continue
        for col in sorted(ds[out].columns):
            if (out, col) in explicit:
                continue
            same = {(i, col) for i in inputs[out] if col != DATASET_COLUMN and col in ds[i].columns}
            if same:
                parents[(out, col)] |= same
            else:  # read an input column from its pass-through copy in this dataset when there is one
                parents[(out, col)] |= {(out, c) if c in ds[out].columns and c != col else (i, c)
                                        for i in inputs[out] for c in ds[i].columns}
            how[(out, col)] = ds[out].lineage or FALLBACK
    shaping: dict[tuple[str, str], set[ColumnRef]] = {}  # (input dataset, output dataset) → shaping columns
    for src, out in sorted(lineage.indirect_edges):
        if src in parents and out in ds:
            shaping.setdefault((src[0], out), set()).add(src)
    for (inp, out), cols in sorted(shaping.items()):
        for col in sorted(ds[out].columns):  # a join key or filter of an input shapes the values read from it
            if any(p[0] == inp for p in _through_copies(parents, (out, col))):
                parents[(out, col)] |= cols - {(out, col)}
    for inp, out in sorted(lineage.job_edges):
        if inp == out:
            continue
        feeds = any(p[0] == inp for col in ds[out].columns for p in _through_copies(parents, (out, col)))
        if not feeds:  # the input only shapes the rows (a filter, a semi-join): it still is a parent of all
            cols = shaping.get((inp, out)) or {(inp, c) for c in ds[inp].columns}
            for col in ds[out].columns:
                parents[(out, col)] |= cols
    return parents, how


def _through_copies(parents: dict[ColumnRef, set[ColumnRef]], ref: ColumnRef) -> set[ColumnRef]:
    """A column's parents, looking through copies in its own dataset (one level: that is all the fallback makes)."""
    out: set[ColumnRef] = set()
    for p in parents[ref]:
        out |= parents[p] if p[0] == ref[0] else {p}
    return out


def observed_copies(lineage: ImportedLineage, parents: dict[ColumnRef, set[ColumnRef]],
                    is_observed: dict[ColumnRef, bool]) -> tuple[dict[tuple[ColumnRef, str], ColumnRef], set]:
    """(unobserved column, dataset) → the observed column of that dataset holding the column's value unchanged
    (through a chain of identity edges; the nearest, then the smallest name), and the identity edges used.
    An edge counts as identity only when the output has that one value parent (a copy, not a mix)."""
    values: dict[ColumnRef, set[ColumnRef]] = {}
    for src, dst in lineage.column_edges:
        values.setdefault(dst, set()).add(src)
    identity = {(s, d) for s, d in lineage.identity_edges
                if s in parents and d in parents and s != d and values.get(d) == {s}}
    onward: dict[ColumnRef, list[ColumnRef]] = {}
    for s, d in sorted(identity):
        onward.setdefault(s, []).append(d)
    copy: dict[tuple[ColumnRef, str], ColumnRef] = {}
    for ref in sorted(onward):
        if is_observed[ref] or ref[1] == DATASET_COLUMN:
            continue
        seen, frontier = {ref}, [ref]
        while frontier:  # breadth first: the nearest copy in each dataset is found first
            frontier = sorted({d for f in frontier for d in onward.get(f, []) if d not in seen})
            seen.update(frontier)
            for d in frontier:
                if is_observed[d]:
                    copy.setdefault((ref, d[0]), d)
    return copy, identity


def read_through_copies(lineage: ImportedLineage, parents: dict[ColumnRef, set[ColumnRef]],
                        is_observed: dict[ColumnRef, bool], rep) -> dict[ColumnRef, list[tuple[ColumnRef, ColumnRef]]]:
    """Give a column read from an unobserved column that has an observed copy beside it (in its own dataset)
    that copy as its parent instead (changes ``parents`` in place); return, per consumer, the (column, copy)
    pairs substituted.

    The log shows the unobserved column's values in the copy, so a change there is seen, and named, at the
    copy, and the consumer is explained by it rather than by the whole collapsed dataset of the column. Only
    a copy in the consumer's own dataset is used: one elsewhere would add a dataset dependency the pipeline
    does not have (and drop one it has). The copies themselves keep their parent, and a consumer whose node
    already feeds the copy (a column collapsed into the same dataset node) keeps its parent too: no circle.
    """
    copy, identity = observed_copies(lineage, parents, is_observed)
    if not copy:
        return {}
    flow = nx.DiGraph()
    flow.add_nodes_from(sorted({rep(r) for r in parents}))
    flow.add_edges_from(sorted({(rep(p), rep(c)) for c, ps in parents.items() for p in ps if rep(p) != rep(c)}))
    done: dict[ColumnRef, list[tuple[ColumnRef, ColumnRef]]] = {}
    for ref in sorted(parents):
        for p in sorted(parents[ref]):
            o = copy.get((p, ref[0]))
            if o is None or o == ref or (p, ref) in identity or nx.has_path(flow, rep(ref), o):
                continue
            parents[ref].discard(p)
            parents[ref].add(o)
            flow.add_edge(o, rep(ref))
            done.setdefault(ref, []).append((p, o))
    return done


def observed_at(lineage: ImportedLineage, depth: dict[str, int], observed: set[str] | None) -> dict[str, str]:
    """Column name → the dataset where the log holds it (the most downstream one that has it)."""
    at: dict[str, str] = {}
    for key in sorted(lineage.datasets, key=lambda k: (depth[k], k)):
        for col in lineage.datasets[key].columns:
            if col != DATASET_COLUMN and (observed is None or col in observed):
                at[col] = key
    return at


def to_graph(lineage: ImportedLineage, name: str, observed: set[str] | None = None) -> dict:
    """The version-1 graph (as a dict) for the imported lineage.

    ``observed``: the columns of the prediction log (``--observed-from``); None observes every
    column name once, at its most downstream dataset.
    """
    ds = lineage.datasets
    for d in ds.values():
        if not d.columns:  # dataset-level lineage only: the dataset is one unobserved node
            d.column(DATASET_COLUMN)
    depth = dataset_depth(lineage)
    parents, how = column_parents(lineage)
    at = observed_at(lineage, depth, observed)
    is_observed = {r: r[1] != DATASET_COLUMN and at.get(r[1]) == r[0] for r in parents}

    def rep(ref: ColumnRef) -> ColumnRef:
        return ref if is_observed[ref] else (ref[0], DATASET_COLUMN)

    members: dict[ColumnRef, list[str]] = {}
    for ref in sorted(parents):
        if not is_observed[ref]:
            members.setdefault(rep(ref), [])
            if ref[1] != DATASET_COLUMN:
                members[rep(ref)].append(ref[1])
    for r in members:
        is_observed.setdefault(r, False)
    via_copy = read_through_copies(lineage, parents, is_observed, rep)
    edges: set[tuple[ColumnRef, ColumnRef]] = set()
    for ref, ps in parents.items():
        for p in ps:
            if rep(p) != rep(ref):
                edges.add((rep(p), rep(ref)))
    nodes_refs = sorted({r for r in parents if is_observed[r]} | set(members))
    dropped = _break_cycles(nodes_refs, edges)
    ids = _ids(lineage, nodes_refs, is_observed)
    produced = {o for i, o in lineage.job_edges if i != o}
    node_parents: dict[ColumnRef, set[str]] = {r: set() for r in nodes_refs}
    for p, c in edges:
        node_parents[c].add(ids[p])
    skipped = list(lineage.skipped)
    nodes: dict[str, dict] = {}
    for ref in sorted(nodes_refs, key=lambda r: ids[r]):
        key, col = ref
        d = ds[key]
        node: dict = {"kind": "feature" if key in produced else "source"}
        if node_parents[ref]:
            node["parents"] = sorted(node_parents[ref])
        if is_observed[ref]:
            c = d.columns[col]
            node["column"] = col
            if c.dtype:
                node["dtype"] = c.dtype
            if c.description:
                node["description"] = c.description
            if d.owner:
                node["owner"] = d.owner
            contract, tests = _contract(c.checks)
            if contract:
                node["contract"] = contract
            if tests:
                node["x-tests"] = tests
            node["x-qualified-name"] = f"{key}#{col}"
            if ref in how:
                node["x-lineage"] = how[ref]
        else:
            if d.description:
                node["description"] = d.description
            if d.owner:
                node["owner"] = d.owner
            node["x-qualified-name"] = key
            if members[ref]:
                node["x-columns"] = sorted(members[ref])
            if any((key, c) in how for c in members[ref]):
                node["x-lineage"] = d.lineage or FALLBACK
        copied = sorted({(f"{p[0]}#{p[1]}", ids[rep(o)]) for c, subs in via_copy.items() if rep(c) == ref
                         for p, o in subs})
        if copied:
            node["x-read-through-copies"] = [{"column": p, "copy": o} for p, o in copied]
        if d.aliases and not is_observed[ref]:
            node["x-aliases"] = sorted(set(d.aliases))
        node.update({k: d.extra[k] for k in sorted(d.extra)})
        nodes[ids[ref]] = node
    for model in sorted(lineage.models, key=lambda m: m["id"]):
        feeding = sorted(ids[r] for r in nodes_refs if r[0] in model["parents"])
        if not feeding or safe_id(model["id"]) in nodes:
            continue  # a model fed by nothing imported is only listed (x-exposures)
        nodes[safe_id(model["id"])] = {"kind": "model", "parents": feeding,
                                       **{k: model[k] for k in ("owner", "description") if model.get(k)},
                                       "x-qualified-name": model["key"]}
    for (key, col), c in sorted(((r, ds[r[0]].columns[r[1]]) for r in parents), key=lambda rc: rc[0]):
        for check in sorted(c.checks, key=lambda x: x.test):
            reason = check.skipped
            if reason is None and not is_observed[(key, col)]:
                reason = (f"column '{col}' of '{ds[key].label}' is not observed here (it is not in the log, or the "
                          f"log holds it from a more downstream dataset): contracts are checked on observed columns")
            if reason is not None:
                skipped.append({"test": check.test, "column": f"{key}#{col}", "reason": reason})
    graph: dict = {"version": 1, "name": safe_id(name), "x-source": lineage.source, "nodes": nodes}
    graph.update({k: lineage.extras[k] for k in sorted(lineage.extras)})
    if skipped:
        graph["x-skipped-tests"] = sorted(skipped, key=lambda s: (s["test"], s.get("column", "")))
    if dropped:
        graph["x-cycle-edges-dropped"] = [f"{ids[p]} -> {ids[c]}" for p, c in dropped]
    return graph


def _contract(checks: list[Check]) -> tuple[dict, list[dict]]:
    """The contract the checks give together, and the checks it came from (severity, ``where`` filter)."""
    contract: dict = {}
    tests: list[dict] = []
    for check in sorted(checks, key=lambda x: x.test):
        if check.skipped is not None or not check.contract:
            continue
        for k, v in check.contract.items():
            if k == "min" and "min" in contract:
                v = max(v, contract["min"])
            elif k == "max" and "max" in contract:
                v = min(v, contract["max"])
            elif k == "allowed" and "allowed" in contract:
                v = [x for x in contract["allowed"] if x in v]
            contract[k] = v
        entry = {"test": check.test, **({"severity": check.severity} if check.severity else {}),
                 **({"where": check.where} if check.where else {})}
        tests.append(entry)
    return contract, tests


def _break_cycles(refs: list[ColumnRef], edges: set[tuple[ColumnRef, ColumnRef]]) -> list[tuple[ColumnRef, ColumnRef]]:
    """Remove (and return) edges until the graph is acyclic: a job that rewrites its own input
    (MERGE, UPDATE) reports lineage in a circle, which a causal graph cannot hold."""
    g = nx.DiGraph()
    g.add_nodes_from(refs)
    g.add_edges_from(sorted(edges))
    dropped = []
    while True:
        try:
            cycle = nx.find_cycle(g)
        except nx.NetworkXNoCycle:
            return dropped
        edge = max((e[0], e[1]) for e in cycle)
        g.remove_edge(*edge)
        edges.discard(edge)
        dropped.append(edge)


def _ids(lineage: ImportedLineage, refs: list[ColumnRef], is_observed: dict[ColumnRef, bool]) -> dict[ColumnRef, str]:
    """Observed columns by their name where unique, else ``dataset.column``; datasets by their label."""
    ds = lineage.datasets
    label_count: dict[str, int] = {}
    for d in ds.values():
        label_count[d.label] = label_count.get(d.label, 0) + 1

    def label(key: str) -> str:
        d = ds[key]
        return d.long_label if label_count[d.label] > 1 and d.long_label else d.label

    name_count: dict[str, int] = {}
    for key, col in refs:
        if is_observed[(key, col)]:
            name_count[safe_id(col)] = name_count.get(safe_id(col), 0) + 1
    ids: dict[ColumnRef, str] = {}
    taken: set[str] = set()
    ordered = sorted(refs, key=lambda r: (not is_observed[r], r))
    for key, col in ordered:
        if is_observed[(key, col)]:
            first = safe_id(col) if name_count[safe_id(col)] == 1 else safe_id(f"{label(key)}.{col}")
        else:
            first = safe_id(label(key))
        candidate, k = first, 2
        while candidate in taken:
            candidate, k = f"{first}.{k}", k + 1
        ids[(key, col)] = candidate
        taken.add(candidate)
    return ids
