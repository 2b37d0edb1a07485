"""Text from the graph or the data made safe to put in DOT, shown as written.

Every string a diagram shows goes through here, because Graphviz reads more
than DOT quoting: a backslash starts an escape (``\\N`` is the node's name, a
final ``\\`` eats the closing quote), HTML-like labels are XML (``<``, ``&``,
control characters end the parse), and any string over 16,384 characters is
a syntax error. So text is clipped, stripped of what XML cannot hold, and its
backslashes doubled (Graphviz's escape for one backslash).
"""

from __future__ import annotations

import re
from html import escape

import graphviz

from causal_rca.render.findings import clip

NAME_LIMIT = 60  # characters of a graph name or node id in a drawing; text and JSON reports keep them whole

# What XML 1.0 cannot hold (the complement of its Char production): Graphviz's HTML parser and SVG both fail on it.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _plain(text: str, limit: int) -> str:
    return clip(_NOT_XML.sub("\ufffd", str(text)), limit).replace("\\", "\\\\")


def label_text(text: str, limit: int) -> str:
    """``text`` as content of an HTML-like label: at most ``limit`` characters, shown literally.

    Empty text becomes a space, and ``]`` a character reference: Graphviz refuses ``<b></b>`` and ``<b>]</b>``.
    """
    return escape(_plain(text, limit)).replace("]", "&#93;") or " "


def quoted_text(text: str, limit: int) -> str:
    """``text`` as a quoted DOT string (tooltips): at most ``limit`` characters, shown literally."""
    return graphviz.nohtml(_plain(text, limit))
