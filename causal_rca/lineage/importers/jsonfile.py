"""Reading the JSON files lineage tools write, as they really are.

Real files are a JSON array, JSON lines, one pretty-printed object, or several pretty-printed
objects one after another (what many producers append to a file), sometimes gzip-compressed.
``json.JSONDecoder.raw_decode`` reads one value at a time from any of these, so no shape has
to be guessed from the first character. Nesting is bounded before parsing (``nesting``).
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from pathlib import Path
from typing import Any

from causal_rca.errors import InputError
from causal_rca.lineage.nesting import json_too_deep, too_deep

GZIP_MAGIC = b"\x1f\x8b"
MAX_BYTES = 2 * 1024**3  # decompressed: far above real manifests (tens of MB), far below a gzip bomb's reach


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages about a wrongly typed field."""
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def read_text(path: Path, what: str) -> str:
    """The file's text, gunzipped when it is gzip (by its bytes, whatever its name)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what} '{path}': {exc.strerror or exc}") from None
    if raw[:2] == GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
                raw = f.read(MAX_BYTES + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"'{path}' is not a usable gzip file ({exc}): compress the {what} again") from None
        if len(raw) > MAX_BYTES:
            raise InputError(f"'{path}' is not a usable gzip file: it unpacks to more than "
                             f"{MAX_BYTES // 1024**3} GiB, far more than {what}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"'{path}' is not UTF-8 text ({exc.reason} at byte {exc.start}): not {what}") from None


def json_values(text: str, path: Path, what: str) -> list[Any]:
    """Every top-level JSON value in the text, in order (an array counts as one value).

    Raises ``json.JSONDecodeError`` for text that is not a sequence of JSON values.
    """
    if json_too_deep(text):
        raise too_deep(str(path), "JSON", what)
    decoder = json.JSONDecoder()
    values, i, n = [], 0, len(text)
    try:
        while True:
            while i < n and text[i] in " \t\r\n,":
                i += 1
            if i >= n:
                return values
            value, i = decoder.raw_decode(text, i)
            values.append(value)
    except RecursionError:  # cannot happen below MAX_DEPTH; kept so no traceback can
        raise too_deep(str(path), "JSON", what) from None


def not_json(path: Path, exc: json.JSONDecodeError, what: str) -> InputError:
    """The one "not JSON" message, with where the parser stopped."""
    return InputError(f"'{path}' is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno}): "
                      f"expected {what}")


def looks_like_manifest(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("metadata"), dict) and "/manifest/" in str(
        value["metadata"].get("dbt_schema_version", "")) or (isinstance(value, dict) and "parent_map" in value)


def looks_like_catalog(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("metadata"), dict) and "/catalog/" in str(
        value["metadata"].get("dbt_schema_version", ""))


def looks_like_events(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and isinstance(items[0], dict) and any(
        k in items[0] for k in ("eventType", "job", "run", "producer", "inputs", "outputs"))
