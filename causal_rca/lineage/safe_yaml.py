"""YAML text to Python data, safely: the safe loader only, keys as text, no duplicate keys, bounded depth.

Every YAML failure becomes one ``InputError`` naming the file and the line,
never a yaml traceback. Reads lineage graphs and the other YAML files a user
gives (``--attach-model``).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from causal_rca.errors import InputError
from causal_rca.lineage.nesting import MAX_DEPTH, too_deep
from causal_rca.lineage.schema import clip

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
# What YAML 1.1 makes of a plain scalar that is not text: `1`, `true`, `on`, `~`, `2026-01-01`.
_IMPLICIT_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("bool", "int", "float", "null", "timestamp"))


class _DuplicateKey(Exception):
    """Raised from inside the constructor; turned into an InputError by the caller."""

    def __init__(self, key: Any, mark: Any, first: Any, is_node_id: bool) -> None:
        super().__init__(key)
        self.key, self.mark, self.first, self.is_node_id = key, mark, first, is_node_id


class _TooDeep(Exception):
    """Raised from inside the parser at MAX_DEPTH + 1 levels; turned into an InputError by the caller."""


class _UniqueKeySafeLoader(yaml.SafeLoader):
    """SafeLoader that reads keys as text, rejects duplicate keys and stops at MAX_DEPTH levels.

    Keys are ids and names, so a plain key is the text written: YAML 1.1 would
    read ``1``, ``true`` and ``on`` as 1, True and True, which are equal in
    Python, so two distinct ids would become one duplicate. Values keep their
    YAML types.

    PyYAML silently keeps the last of two equal keys, which would hide a
    copy-pasted node. Keys merged in with ``<<: *anchor`` may still be
    overridden, as YAML intends: only keys written in the mapping itself count,
    so those are snapshotted at compose time (before merges are flattened).

    The composer recurses once per level, so depth is counted on the parser's
    events (which come without recursion) and refused before the stack runs out.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._explicit_keys: dict[int, list[Any]] = {}
        self._node_ids_mapping: Any = None
        self._depth = 0

    def get_event(self) -> Any:
        event = super().get_event()
        if isinstance(event, yaml.CollectionStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _TooDeep
        elif isinstance(event, yaml.CollectionEndEvent):
            self._depth -= 1
        return event

    def compose_mapping_node(self, anchor: Any) -> Any:
        node = super().compose_mapping_node(anchor)
        node.value = [(_as_text(key), value) for key, value in node.value]
        self._explicit_keys[id(node)] = [key for key, _ in node.value]
        return node

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node in self._explicit_keys.get(id(node), ()):
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark
                    ) from None
                if key in seen:
                    raise _DuplicateKey(key, key_node.start_mark, seen[key], node is self._node_ids_mapping)
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)

    def load_document(self) -> Any:
        """Like ``get_single_data`` but remembers which mapping holds the node ids."""
        root = self.get_single_node()
        if root is None:
            return None
        if isinstance(root, yaml.MappingNode):
            for key_node, value_node in root.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == "nodes":
                    self._node_ids_mapping = value_node
        return self.construct_document(root)


def _as_text(key: Any) -> Any:
    """A key YAML 1.1 would read as a number, boolean, null or date, as the string written.

    A copy, not the node itself: an anchored scalar used as a key may also be a value elsewhere.
    """
    if isinstance(key, yaml.ScalarNode) and key.tag in _IMPLICIT_TAGS:
        return yaml.ScalarNode(_STR_TAG, key.value, key.start_mark, key.end_mark, key.style)
    return key


def _mark(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def parse_yaml(text: str | bytes, path: str, what: str = "a lineage graph") -> Any:
    """Parse with the safe loader only (keys as text, no duplicates, at most MAX_DEPTH levels).

    Every YAML failure becomes an InputError naming ``path``; ``what`` the file should be is
    named when it nests too deeply.
    """
    loader: _UniqueKeySafeLoader | None = None
    try:
        loader = _UniqueKeySafeLoader(text)
        return loader.load_document()
    except _DuplicateKey as dup:
        what = f"duplicate node id '{dup.key}'" if dup.is_node_id else f"duplicate key '{clip(str(dup.key))}'"
        raise InputError(f"{path}: {_mark(dup.mark)}: {what} (first defined at line {dup.first.line + 1})") from None
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "invalid YAML"
        where = f"{_mark(exc.problem_mark)}: " if exc.problem_mark is not None else ""
        tag = re.search(r"could not determine a constructor for the tag '([^']*)'", problem)
        if tag:
            name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            raise InputError(
                f"{path}: {where}custom YAML tag '{name}' is not allowed; "
                "only plain YAML is read (anchors and aliases are fine)"
            ) from None
        at = f" at {where}" if where else ": "
        raise InputError(f"{path}: YAML syntax error{at}{problem}") from None
    except yaml.reader.ReaderError as exc:
        if exc.encoding == "unicode" and isinstance(exc.character, int):
            problem = f"control character #x{exc.character:04x} is not allowed in YAML"
        else:
            problem = f"not valid {exc.encoding} text ({exc.reason})"
        raise InputError(f"{path}: cannot read YAML at position {exc.position}: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: cannot read YAML: {' '.join(str(exc).split())}") from None
    except (_TooDeep, RecursionError):
        raise too_deep(path, "YAML", what) from None
    except (ValueError, TypeError, OverflowError) as exc:
        # e.g. a timestamp-looking value with an impossible date
        raise InputError(f"{path}: cannot read YAML value: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
