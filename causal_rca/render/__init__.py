"""Renderers: one function per output format, each a pure function of a Diagnosis.

Text, JSON, Markdown and HTML reports (``render``); diagrams as Graphviz
DOT (``diagram.lineage_dot``, ``fishbone.fishbone_dot``) written by
``output.write_diagram``; distribution plots (``plots``) for the HTML page.
"""

from causal_rca.diagnosis.model import Diagnosis
from causal_rca.render.html import render_html
from causal_rca.render.markdown import render_markdown
from causal_rca.render.text import render_text

FORMATS = ("text", "json", "markdown", "html")


def render(diagnosis: Diagnosis, fmt: str, verbose: bool = False) -> str:
    """The diagnosis in one of ``FORMATS``; ``verbose``: the text lists every node's signals in one table."""
    if fmt == "json":
        return diagnosis.to_json() + "\n"
    if fmt == "markdown":
        return render_markdown(diagnosis)
    if fmt == "html":
        return render_html(diagnosis)
    return render_text(diagnosis, verbose=verbose)


__all__ = ["FORMATS", "render", "render_html", "render_markdown", "render_text"]
