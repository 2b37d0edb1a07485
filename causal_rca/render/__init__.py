"""Renderers: one function per output format, each a pure function of a Diagnosis.

Text, JSON, Markdown and HTML reports (``render``); diagrams as Graphviz
DOT (``diagram.lineage_dot``, ``fishbone.fishbone_dot``) written by
``output.write_diagram``; distribution plots (``plots``) for the HTML page.

The report renderers are imported when first used: ``causal-rca render`` draws
a diagram and must not pay for the HTML page's plotting (matplotlib) or the
explanations it quotes (which reach the statistics and scikit-learn).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from causal_rca.diagnosis.model import Diagnosis

FORMATS = ("text", "json", "markdown", "html", "ticket", "ticket-json")
_RENDERERS = {"render_html": "html", "render_markdown": "markdown", "render_text": "text"}


def __getattr__(name: str) -> Any:
    if name in _RENDERERS:
        return getattr(import_module(f"causal_rca.render.{_RENDERERS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def render(diagnosis: Diagnosis, fmt: str, verbose: bool = False) -> str:
    """The diagnosis in one of ``FORMATS``; ``verbose``: the text lists every node's signals in one table."""
    if fmt == "json":
        return diagnosis.to_json() + "\n"
    if fmt == "markdown":
        return __getattr__("render_markdown")(diagnosis)
    if fmt == "html":
        return __getattr__("render_html")(diagnosis)
    if fmt in ("ticket", "ticket-json"):
        return diagnosis.to_ticket("json" if fmt == "ticket-json" else "markdown")
    return __getattr__("render_text")(diagnosis, verbose=verbose)


__all__ = ["FORMATS", "render", "render_html", "render_markdown", "render_text"]
