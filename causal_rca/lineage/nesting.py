"""How deep a lineage file may nest: one limit and one message for every file we read.

Python's parsers and writers recurse once or more per level of nesting (PyYAML's composer
and representer, ``json``'s decoder), so a file of 200000 ``[`` ends in a RecursionError
traceback, and a value just under the interpreter's limit can still break a later step
(writing the imported graph). So every reader refuses more than ``MAX_DEPTH`` levels up
front, with the same message: far above real files (the dbt manifests and OpenLineage
events in ``lineage-artifacts`` nest at most 11 levels) and far below the depth at which
those recursive steps fail (about 300 levels for the YAML writer).
"""

from __future__ import annotations

import json
import re
from typing import Any

from causal_rca.errors import InputError

MAX_DEPTH = 200

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def too_deep(path: str, language: str, what: str) -> InputError:
    """The one "nested too deeply" error, naming the file, its language and what it should have been."""
    return InputError(f"{path}: {language} nested too deeply to be {what} (more than {MAX_DEPTH} levels)")


def json_too_deep(text: str) -> bool:
    """Whether JSON text opens more than MAX_DEPTH arrays or objects at once, brackets in strings aside.

    A scan, not a parse: it stops at the first level too many and never recurses.
    """
    depth = 0
    for bracket in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


def load_json(text: str, path: str, what: str) -> Any:
    """``json.loads`` that refuses nesting deeper than MAX_DEPTH; ``JSONDecodeError`` is left to the caller."""
    if json_too_deep(text):
        raise too_deep(path, "JSON", what)
    try:
        return json.loads(text)
    except RecursionError:  # cannot happen below MAX_DEPTH; kept so no traceback can
        raise too_deep(path, "JSON", what) from None
