"""dbt tests → column checks: a contract where the graph's contract vocabulary says the same thing,
otherwise a skipped check with the reason, so that no test disappears without a word.

Contract keys (``spec/lineage.md``): ``dtype``, ``min``, ``max``, ``max_null_rate``, ``allowed``.
``unique`` and ``relationships`` compare rows with each other or with another table, which a
per-column contract cannot express; they are listed in ``x-skipped-tests`` with that reason.
A test's ``severity`` and ``where`` filter are kept beside the contract (``x-tests``).
"""

from __future__ import annotations

import re
from typing import Any

from causal_rca.lineage.importers.columns import Check, ImportedLineage, dtype_of

NOT_NULL = ("not_null", "expect_column_values_to_not_be_null")
RANGE = ("accepted_range", "expect_column_values_to_be_between", "expect_column_min_to_be_between",
         "expect_column_max_to_be_between")
IN_SET = ("accepted_values", "expect_column_values_to_be_in_set")
OF_TYPE = ("expect_column_values_to_be_of_type", "expect_column_values_to_be_in_type_list")
NO_CONTRACT = {
    "unique": "uniqueness compares rows with each other: no per-column contract key",
    "relationships": "referential integrity compares with another table: no per-column contract key",
    "expect_column_values_to_be_unique": "uniqueness compares rows with each other: no per-column contract key",
    "unique_combination_of_columns": "uniqueness across columns: no per-column contract key",
    "expression_is_true": "an SQL expression over several columns: no contract key",
}
REF = re.compile(r"""ref\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?\)""")
SOURCE = re.compile(r"""source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)""")


def _target(test: dict, data: dict) -> str | None:
    """The data node a test is on: ``attached_node`` (dbt ≥ 1.5), else the ``model`` argument's ref/source."""
    attached = test.get("attached_node")
    if isinstance(attached, str):
        return attached
    kwargs = (test.get("test_metadata") or {}).get("kwargs") or {}
    model = kwargs.get("model") if isinstance(kwargs, dict) else None
    if isinstance(model, str):
        if m := SOURCE.search(model):
            found = [k for k, v in data.items() if v.get("resource_type") == "source"
                     and v.get("source_name") == m.group(1) and v.get("name") == m.group(2)]
            if len(found) == 1:
                return found[0]
        if m := REF.search(model):
            name = m.group(2) or m.group(1)
            found = sorted(k for k, v in data.items() if v.get("resource_type") != "source" and v.get("name") == name)
            if len(found) == 1:
                return found[0]
    depends = (test.get("depends_on") or {}).get("nodes") or []
    depends = [d for d in depends if isinstance(d, str) and d in data]
    return depends[0] if len(depends) == 1 else None


def check_of(test: dict) -> Check:
    """The check one dbt test gives (its contract, or the reason it has none)."""
    meta = test.get("test_metadata") if isinstance(test.get("test_metadata"), dict) else {}
    name = str(meta.get("name") or "")
    namespace = meta.get("namespace")
    kwargs = meta.get("kwargs") if isinstance(meta.get("kwargs"), dict) else {}
    config = test.get("config") if isinstance(test.get("config"), dict) else {}
    severity = str(config["severity"]).lower() if isinstance(config.get("severity"), str) else None
    where = config.get("where") if isinstance(config.get("where"), str) else None
    uid = str(test.get("unique_id") or test.get("name"))
    check = Check(uid, severity=severity, where=where)
    if not name:
        check.skipped = "a singular (SQL) test: no contract key"
    elif name in NOT_NULL:
        check.contract = {"max_null_rate": 0.0}
    elif name in IN_SET:
        values = kwargs.get("values", kwargs.get("value_set"))
        if isinstance(values, list) and all(isinstance(v, (str, int, float, bool)) for v in values):
            check.contract = {"allowed": list(values)}
        else:
            check.skipped = f"{name}: its values are not a plain list (a Jinja expression?)"
    elif name in RANGE:
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        contract = {k: v for k, v in (("min", low), ("max", high))
                    if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if name != "accepted_range" and name != "expect_column_values_to_be_between":
            check.skipped = f"{name}: bounds a column statistic, not each value: no contract key"
        elif contract:
            check.contract = contract
            if kwargs.get("inclusive") is False or kwargs.get("strictly") is True:
                check.skipped = None
                check.where = (where + "; " if where else "") + "bounds are exclusive in dbt, inclusive here"
        else:
            check.skipped = f"{name}: its bounds are not numbers"
    elif name in OF_TYPE:
        wanted = kwargs.get("column_type") or (kwargs.get("column_type_list") or [None])[0]
        dtype = dtype_of(wanted)
        if dtype:
            check.contract = {"dtype": dtype}
        else:
            check.skipped = f"{name}: type {wanted!r} has no graph dtype"
    elif name in NO_CONTRACT:
        check.skipped = NO_CONTRACT[name]
    else:
        label = f"{namespace}.{name}" if namespace else name
        check.skipped = f"{label}: no contract key says what this test checks"
    return check


def attach_tests(out: ImportedLineage, nodes: dict, data: dict, keep: set[str]) -> None:
    """Every test of the manifest onto its column (or into ``skipped`` with the reason)."""
    for key in sorted(nodes):
        test = nodes[key]
        if test.get("resource_type") != "test":
            continue
        check = check_of(test)
        target = _target(test, data)
        meta = test.get("test_metadata") if isinstance(test.get("test_metadata"), dict) else {}
        kwargs: Any = meta.get("kwargs") if isinstance(meta.get("kwargs"), dict) else {}
        column = kwargs.get("column_name") or test.get("column_name")
        if target is None:
            out.skipped.append({"test": check.test, "reason": "the node it tests could not be found in the manifest"})
        elif target not in keep:
            out.skipped.append({"test": check.test, "reason": f"'{target}' is not selected"})
        elif not isinstance(column, str) or not column:
            out.skipped.append({"test": check.test, "column": target,
                                "reason": check.skipped or "a model-level test: contracts are per column"})
        else:
            ds = out.datasets[target]
            found = next((c for n, c in sorted(ds.columns.items()) if n.lower() == column.lower()), None)
            (found or ds.column(column)).checks.append(check)
