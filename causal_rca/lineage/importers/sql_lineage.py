"""Column lineage of one SQL query, with sqlglot (choice measured in ``docs/decisions.md``).

A dbt model's compiled SQL says which input columns each output column is computed from (its
value lineage) and which input columns shape its rows (join keys, filters, group-bys: the
indirect lineage OpenLineage calls ``columnLineage.dataset``). ``select *`` is expanded from
the columns of the inputs we already know (catalog, documentation, their own SQL), so models
are read in dependency order. Anything sqlglot cannot follow raises ``SqlLineageError`` with
its reason, and the caller falls back to the name-based rule for that model or column.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import lineage as value_lineage
from sqlglot.lineage import to_node
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope, traverse_scope
from sqlglot.schema import MappingSchema

Table = tuple[str, str, str]  # (database, schema, name), lower case; "" where the SQL leaves it out

#: dbt adapter → sqlglot dialect (unknown adapters are read as generic SQL)
DIALECTS = {"postgres": "postgres", "redshift": "redshift", "snowflake": "snowflake", "bigquery": "bigquery",
            "duckdb": "duckdb", "databricks": "databricks", "spark": "spark", "trino": "trino", "athena": "athena",
            "clickhouse": "clickhouse", "sqlserver": "tsql", "fabric": "tsql", "synapse": "tsql", "oracle": "oracle",
            "mysql": "mysql", "materialize": "postgres", "teradata": "teradata", "hive": "hive", "presto": "presto",
            "doris": "doris", "starrocks": "starrocks", "sqlite": "sqlite", "dremio": "dremio"}


class SqlLineageError(Exception):
    """The SQL could not be followed to its input columns (the message says why)."""


@dataclass
class QueryLineage:
    columns: dict[str, set[tuple[Table, str]]] = field(default_factory=dict)  # output column → input columns
    unresolved: dict[str, str] = field(default_factory=dict)  # output column → why it could not be followed
    shaping: set[tuple[Table, str]] = field(default_factory=set)  # input columns in joins, filters, group-bys
    tables: set[Table] = field(default_factory=set)  # every input table the query reads
    identity: set[str] = field(default_factory=set)  # output columns that are an input column, unchanged


def _table(t: exp.Table) -> Table:
    return (t.catalog.lower(), t.db.lower(), t.name.lower())


def query_lineage(sql: str, dialect: str | None, schema: dict[Table, dict[str, str]]) -> QueryLineage:
    """The column lineage of a SELECT (or the SELECT inside a CREATE/INSERT), given the inputs' columns."""
    log = logging.getLogger("sqlglot")
    level = log.level
    log.setLevel(logging.CRITICAL)  # sqlglot logs what it cannot resolve; we report it once, as the fallback
    try:
        return _query_lineage(sql, dialect, schema)
    finally:
        log.setLevel(level)


def _query_lineage(sql: str, dialect: str | None, schema: dict[Table, dict[str, str]]) -> QueryLineage:
    mapping: dict = {}
    for (db, sch, name), cols in schema.items():
        if cols:  # an input whose columns are unknown is left out: its columns are read from the SQL
            mapping.setdefault(db, {}).setdefault(sch, {})[name] = dict(cols)
    try:
        parsed = sqlglot.parse(sql, read=dialect)
    except (SqlglotError, RecursionError, ValueError) as exc:
        raise SqlLineageError(f"sqlglot cannot parse the SQL: {_first_line(exc)}") from None
    queries = [e for e in parsed if e is not None]
    if len(queries) != 1:
        raise SqlLineageError(f"expected one SQL statement, found {len(queries)}")
    query = queries[0]
    if not isinstance(query, exp.Query):
        query = query.expression if isinstance(query.expression, exp.Query) else query.find(exp.Query)
    if query is None:
        raise SqlLineageError("the SQL has no SELECT")
    sg_schema = MappingSchema(mapping, dialect=dialect, normalize=False)
    try:
        qualified = qualify(query, schema=sg_schema, dialect=dialect, validate_qualify_columns=False,
                            quote_identifiers=False, identify=False)
        root = build_scope(qualified)
    except (SqlglotError, RecursionError, ValueError, KeyError, AttributeError, TypeError) as exc:
        raise SqlLineageError(f"sqlglot cannot resolve the SQL's columns: {_first_line(exc)}") from None
    if root is None:
        raise SqlLineageError("the SQL has no SELECT")
    out = QueryLineage()
    for scope in traverse_scope(qualified):
        for source in scope.sources.values():
            if isinstance(source, exp.Table):
                out.tables.add(_table(source))
    grouped = _groups_rows(qualified)
    for name in qualified.named_selects:
        if name == "*":
            raise SqlLineageError("'select *' from an input whose columns are unknown (give --catalog)")
        try:
            node = value_lineage(name, qualified, schema=sg_schema, dialect=dialect, scope=root, copy=False)
        except (SqlglotError, RecursionError, ValueError, KeyError, AttributeError, TypeError) as exc:
            out.unresolved[name] = _first_line(exc)
            continue
        out.columns[name] = {(_table(n.source), _column(n.name)) for n in node.walk()
                             if not n.downstream and isinstance(n.source, exp.Table)}
        if len(out.columns[name]) == 1 and not grouped and _passes_unchanged(node):
            out.identity.add(name)
    out.shaping = _shaping(qualified, sg_schema, dialect)
    return out


def _groups_rows(query: exp.Expression) -> bool:
    """Some SELECT of the query aggregates or de-duplicates rows (GROUP BY, DISTINCT, an aggregate outside a
    window): its columns then hold one value per group, not the input's values row by row."""
    if any(s.args.get("group") or s.args.get("distinct") for s in query.find_all(exp.Select)):
        return True
    return any(a.find_ancestor(exp.Window) is None for a in query.find_all(exp.AggFunc))


def _passes_unchanged(node) -> bool:
    """The column is its one input column's value, unchanged: every step from the output down to the table
    is a bare column reference (renames through CTEs and subqueries allowed; a filter or a join keeps each
    value as it is)."""
    while node.downstream:
        expr = node.expression.this if isinstance(node.expression, exp.Alias) else node.expression
        if len(node.downstream) != 1 or not isinstance(expr, exp.Column):
            return False
        node = node.downstream[0]
    return isinstance(node.source, exp.Table)


def _column(name: str) -> str:
    return name.rsplit(".", 1)[-1].strip('"`[]').lower()


def _shaping(qualified: exp.Expression, schema: MappingSchema, dialect: str | None) -> set[tuple[Table, str]]:
    """Input columns used in JOIN … ON, WHERE, GROUP BY, HAVING, QUALIFY of any scope, traced to their tables."""
    found: set[tuple[Table, str]] = set()
    for scope in traverse_scope(qualified):
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        parts = [j.args.get("on") for j in select.args.get("joins") or []]
        parts += [select.args.get(k) for k in ("where", "group", "having", "qualify")]
        for part in parts:
            if part is None:
                continue
            for column in part.find_all(exp.Column):
                source = scope.sources.get(column.table)
                if isinstance(source, exp.Table):
                    found.add((_table(source), column.name.lower()))
                elif isinstance(source, Scope):
                    found |= _trace(column.name, source, schema, dialect)
    return found


def _trace(column: str, scope: Scope, schema: MappingSchema, dialect: str | None) -> set[tuple[Table, str]]:
    try:
        node = to_node(column, scope=scope, dialect=dialect, schema=schema)
    except (SqlglotError, RecursionError, ValueError, KeyError, AttributeError, TypeError):
        return set()
    return {(_table(n.source), _column(n.name)) for n in node.walk()
            if not n.downstream and isinstance(n.source, exp.Table)}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
