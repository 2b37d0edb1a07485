"""SVG text made fit to sit inline in an HTML page.

A standalone SVG file starts with an XML prolog and a DOCTYPE, which do
not belong inside HTML; and two inline drawings must not share element ids
(Graphviz numbers its nodes ``node1, node2, …`` in every drawing).
"""

from __future__ import annotations

import re

_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^)"]+)')


def strip_prolog(svg: str) -> str:
    """Everything from the ``<svg`` element on."""
    return _PROLOG.sub("", svg, count=1)


def prefix_ids(svg: str, prefix: str) -> str:
    """Prefix every element id and every reference to one, so drawings on one page stay distinct.

    >>> prefix_ids('<g id="a"><use href="#a"/><path clip-path="url(#a)"/></g>', "x-")
    '<g id="x-a"><use href="#x-a"/><path clip-path="url(#x-a)"/></g>'
    """
    svg = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
    return _REF.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", svg)
