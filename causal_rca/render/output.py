"""Turning diagrams into files: DOT source as is, SVG and PNG through Graphviz's programs.

DOT needs nothing installed; SVG and PNG need the layout program (``dot``,
or ``neato`` for the fishbone). When it is missing the user is told how to
install it, as bad input (exit 2): the rest of causal-rca works without it.
When the program fails on the DOT we wrote, that is our bug: ``ToolFailed``
carries Graphviz's own words instead of a traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import graphviz

from causal_rca.errors import InputError, ParameterError, ToolFailed
from causal_rca.render.svg import prefix_ids, strip_prolog

INSTALL_HINT = "install Graphviz: apt-get install graphviz (Debian/Ubuntu) or brew install graphviz (macOS)"
DIAGRAM_SUFFIXES = (".svg", ".png", ".dot")


class GraphvizMissing(InputError):
    """Graphviz's layout program is not on PATH."""


def graphviz_available(engine: str = "dot") -> bool:
    return shutil.which(engine) is not None


def _require(engine: str) -> None:
    if not graphviz_available(engine):
        raise GraphvizMissing(f"Graphviz's '{engine}' program was not found on PATH; {INSTALL_HINT}")


def diagram_bytes(g: graphviz.Graph | graphviz.Digraph, fmt: str) -> bytes:
    """``dot`` (the source), ``svg`` or ``png`` bytes of a diagram."""
    if fmt == "dot":
        return g.source.encode("utf-8")
    _require(g.engine)
    try:
        return g.pipe(format=fmt, quiet=True)  # Graphviz's complaints reach the user once, in ToolFailed
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing(f"Graphviz's '{g.engine}' program could not be run; {INSTALL_HINT}") from None
    except graphviz.CalledProcessError as exc:
        said = (exc.stderr or b"").decode("utf-8", "replace").strip().partition("\n")[0] or f"exit status {exc.returncode}"
        raise ToolFailed(f"Graphviz's '{g.engine}' could not draw the diagram ({said}); "
                         "this is a bug in causal-rca, please report it with the graph file") from None


def write_diagram(g: graphviz.Graph | graphviz.Digraph, out: Path) -> None:
    """Write by extension: ``.dot`` source, ``.svg`` or ``.png`` image."""
    suffix = out.suffix.lower()
    if suffix not in DIAGRAM_SUFFIXES:
        raise ParameterError(f"{{out}} must end in {', '.join(DIAGRAM_SUFFIXES)}, not '{out.name}'")
    write_file(out, diagram_bytes(g, suffix[1:]))


def write_file(out: str | Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``out``, making missing folders; one clear error when it cannot."""
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            out.write_text(data, encoding="utf-8")
        else:
            out.write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write '{out}': {exc.strerror}") from None


def inline_svg(g: graphviz.Graph | graphviz.Digraph, prefix: str) -> str:
    """The diagram as an ``<svg>`` element for an HTML page, its ids prefixed with ``prefix``."""
    return prefix_ids(strip_prolog(diagram_bytes(g, "svg").decode("utf-8")), prefix)
