"""The package's shape: no module reaches into another's private names, and no import circles.

Both are read from the source (``ast``), so they hold for code paths no
other test runs. Each step of the flow is a public function of the module that
owns it (docs/decisions.md, "One code path: the fitted object").
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import causal_rca

ROOT = Path(causal_rca.__path__[0])

# Underscore names one module may import from another: none. A name another module needs
# gets a public spelling where it is defined.
ALLOWED: set[tuple[str, str, str]] = set()


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text(), str(p)) for p in sorted(ROOT.rglob("*.py"))}


def absolute(importer: str, node: ast.ImportFrom, is_package: bool) -> str:
    """The module an ``from … import`` names, relative imports resolved."""
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def private_imports(tree: ast.Module, importer: str, is_package: bool) -> list[tuple[str, str, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = absolute(importer, node, is_package)
            if source.startswith("causal_rca") and source != importer:
                found += [(importer, source, a.name) for a in node.names
                          if a.name.startswith("_") and not (a.name.startswith("__") and a.name.endswith("__"))]
    return found


def module_level_imports(tree: ast.Module, importer: str, is_package: bool, known: set[str]) -> set[str]:
    """Modules imported when ``importer`` is imported: top-level statements only (not function bodies,
    not ``if TYPE_CHECKING:``), each with the packages it implies."""
    out: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
            elif isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                source = absolute(importer, node, is_package)
                out.add(source)
                out.update(f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in known)

    visit(tree.body)
    # Importing a.b.c imports packages a and a.b first, unless they are the importer's own (already importing).
    own = {".".join(importer.split(".")[:i]) for i in range(1, importer.count(".") + 2)}
    implied = {".".join(m.split(".")[:i]) for m in out for i in range(1, m.count(".") + 1)} - own
    return {m for m in out | implied if m in known and m != importer}


def test_no_module_imports_another_modules_private_name() -> None:
    found = set()
    for name, tree in modules().items():
        found.update(private_imports(tree, name, (ROOT.parent / name.replace(".", "/") / "__init__.py").exists()))
    assert found - ALLOWED == set(), sorted(found - ALLOWED)
    assert ALLOWED - found == set(), f"cleared, take them out of ALLOWED: {sorted(ALLOWED - found)}"


def circles(trees: dict[str, ast.Module], packages: set[str]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop, when imported."""
    graph = nx.DiGraph()
    for name, tree in trees.items():
        graph.add_node(name)
        graph.add_edges_from((name, m) for m in module_level_imports(tree, name, name in packages, set(trees)))
    return [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]


def test_no_import_circles_at_module_level() -> None:
    trees = modules()
    packages = {n for n in trees if (ROOT.parent / n.replace(".", "/") / "__init__.py").exists()}
    assert circles(trees, packages) == []


def test_the_scan_sees_a_private_import_and_a_circle() -> None:
    """The two checks above can fail: they find what they look for in made-up modules."""
    tree = ast.parse("from causal_rca.windows.tables import _rows\nfrom . import _helper\n")
    assert private_imports(tree, "causal_rca.api", False) == [
        ("causal_rca.api", "causal_rca.windows.tables", "_rows"), ("causal_rca.api", "causal_rca", "_helper")]
    a = ast.parse("from causal_rca.b import f\n")
    b = ast.parse("import causal_rca.a\ndef g():\n    from causal_rca.c import h\n")
    known = {"causal_rca", "causal_rca.a", "causal_rca.b", "causal_rca.c"}
    assert module_level_imports(a, "causal_rca.a", False, known) == {"causal_rca.b"}
    assert module_level_imports(b, "causal_rca.b", False, known) == {"causal_rca.a"}  # not the function's
    c = ast.parse("from causal_rca.a import f\n")
    found = circles({"causal_rca.a": a, "causal_rca.b": b, "causal_rca.c": c}, set())
    assert found == [["causal_rca.a", "causal_rca.b"]]
