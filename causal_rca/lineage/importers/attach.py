"""``--attach-model``: the model, label and metrics that lineage tools do not know about.

    name: card-fraud                 # optional: the graph's name
    time_column: event_time          # optional top-level keys, copied as they are
    model:
      id: fraud_model
      column: score
      inputs: [amount_z, merchant_risk]      # imported node ids, log column names or x-qualified-names
      version_column: model_version          # any other model-node key is copied
    label:
      id: is_fraud
      column: is_fraud
      parents: [amount, merchant_category]   # what the true outcome depends on
    metrics:
      recall: {metric: recall, threshold: 0.5}
    freshness: {amount_7d_avg: amount_7d_avg_at}   # node → column holding when it was computed
    observed_from: predictions.parquet  # optional: the prediction log (as --observed-from; relative to this file)

The time, key and freshness columns are row bookkeeping, not pipeline values: imported nodes
holding them are dropped (and removed from their children's parents).

Read with the graph loader's YAML parser (safe loader, keys as the text written, no duplicate
keys, bounded nesting), so ids such as ``on`` or ``1`` mean the same here as in a graph file;
every reference is resolved against the imported nodes (by id, then by column) and an
unknown one is an error naming it.
"""

from __future__ import annotations

from pathlib import Path

from causal_rca.errors import InputError
from causal_rca.lineage.safe_yaml import parse_yaml

TOP_LEVEL = ("name", "description", "time_column", "key_column", "segments")
#: keys read by the importer itself, not copied into the graph
IMPORT_KEYS = ("observed_from",)


def read_attachment(path: Path) -> dict:
    """The ``--attach-model`` file as a mapping with a ``model`` entry (references not yet resolved)."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read '{path}': {exc.strerror}") from None
    data = parse_yaml(text, str(path), "an --attach-model file")
    if not isinstance(data, dict) or not isinstance(data.get("model"), dict):
        raise InputError(f"'{path}': expected a mapping with a 'model' entry (id, column, inputs)")
    return data


def observed_from(attachment: dict, path: Path) -> str | None:
    """The prediction log the attachment names (``observed_from``), relative to the attachment's folder."""
    value = attachment.get("observed_from")
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InputError(f"'{path}': 'observed_from' must be a file name or glob (text)")
    if "://" in value or Path(value).is_absolute():
        return value
    return str(path.parent / value)


def attach_model(graph: dict, attachment: dict, where: str = "--attach-model") -> dict:
    """The graph with the attachment's model, label and metrics; references resolved by id, column, or
    ``x-qualified-name`` (the name the tool itself uses, e.g. ``model.shop.customers#customer_id``)."""
    nodes = dict(graph["nodes"])
    by_column = {n.get("column"): k for k, n in sorted(nodes.items()) if n.get("column")}
    by_qualified = {n["x-qualified-name"]: k for k, n in sorted(nodes.items()) if isinstance(n.get("x-qualified-name"), str)}

    def resolve(ref: str, role: str) -> str:
        if not isinstance(ref, str):
            raise InputError(f"{where}: {role} {ref!r} must be a node id or column name (text)")
        for table in (nodes, by_column, by_qualified):
            if ref in table:
                return ref if table is nodes else table[ref]
        raise InputError(f"{where}: {role} '{ref}' is neither an imported node nor a column of one")

    model = dict(attachment["model"])
    model_id = model.pop("id", None)
    inputs = model.pop("inputs", None)
    if not model_id or not isinstance(inputs, list) or not inputs:
        raise InputError(f"{where}: 'model' needs an 'id' and a non-empty 'inputs' list")
    if model_id in nodes and nodes[model_id].get("kind") != "model":
        raise InputError(f"{where}: model id '{model_id}' is already an imported node")
    imported = {k: v for k, v in nodes.get(model_id, {}).items() if k.startswith("x-") or k in ("owner", "description")}
    nodes[model_id] = {**imported, "kind": "model", "parents": [resolve(i, "model input") for i in inputs], **model}
    label_id = None
    if attachment.get("label") is not None:
        label = dict(attachment["label"])
        label_id = label.pop("id", None)
        if not label_id:
            raise InputError(f"{where}: 'label' needs an 'id'")
        nodes[label_id] = {"kind": "label", **label,
                           "parents": [resolve(p, "label parent") for p in label.get("parents", [])]}
    for metric_id, spec in (attachment.get("metrics") or {}).items():
        spec = dict(spec or {})
        parents = spec.pop("parents", None) or [model_id, *([label_id] if label_id else [])]
        nodes[metric_id] = {"kind": "metric", "parents": parents, **spec}
    freshness = attachment.get("freshness") or {}
    if not isinstance(freshness, dict):
        raise InputError(f"{where}: 'freshness' must map node ids to timestamp columns")
    for node_ref, column in freshness.items():
        nodes[resolve(node_ref, "freshness node")] = {**nodes[resolve(node_ref, "freshness node")], "freshness": column}
    bookkeeping = {attachment.get("time_column"), attachment.get("key_column"), *freshness.values()} - {None}
    dropped = {k for k, n in nodes.items() if n.get("column") in bookkeeping and n.get("kind") in ("source", "feature")}
    nodes = {k: ({**n, "parents": [p for p in n["parents"] if p not in dropped]} if "parents" in n else n)
             for k, n in nodes.items() if k not in dropped}
    for k, n in sorted(nodes.items()):  # a copy that was bookkeeping is no parent any more: nor its record
        if "x-read-through-copies" in n:
            kept = [e for e in n["x-read-through-copies"] if e.get("copy") not in dropped]
            nodes[k] = {key: v for key, v in n.items() if key != "x-read-through-copies" or kept}
            if kept:
                nodes[k]["x-read-through-copies"] = kept
    while True:  # imported lineage that no longer feeds anything observed is clutter
        used = {p for n in nodes.values() for p in n.get("parents", [])}
        dangling = {k for k, n in nodes.items() if "column" not in n and k not in used
                    and n.get("kind") in ("source", "feature")}
        if not dangling:
            break
        nodes = {k: n for k, n in nodes.items() if k not in dangling}
    out = {**graph, "nodes": nodes}
    for key in TOP_LEVEL:
        if key in attachment:
            out[key] = attachment[key]
    return out
