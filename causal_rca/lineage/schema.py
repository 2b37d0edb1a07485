"""Pydantic models of the lineage YAML (format version 1).

These models check the *shape* of each value (types, enumerations, ranges of
single fields) so the loader can turn every problem into one readable line.
Rules that span several keys or nodes (parents exist, acyclicity, which keys
belong to which kind, shared columns, metric inputs) live in ``rules.py``,
because they need the whole graph.

Keys starting with ``x-`` are the user's own: they are moved into ``extras``
before validation so ``extra="forbid"`` can still catch typos.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from causal_rca.errors import InputError
from causal_rca.lineage.graph import CATEGORIES, DTYPES, KINDS, METRICS
from causal_rca.metrics.values import class_key
from causal_rca.metrics.spec import AVERAGES

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")
EXTRA_PREFIX = "x-"
# Internal alias of the ``extras`` field: a YAML author cannot fill it by
# writing ``extras:`` (that stays an unknown key); only the x- collector can.
_EXTRAS_ALIAS = "\x00extras"

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([smhd]?)\s*$", re.IGNORECASE)


def parse_duration(text: Any) -> float:
    """Seconds in ``90s``/``15m``/``2h``/``1d`` or a plain number of seconds.

    Contracts are written by hand, so the short human form is accepted; an
    unparseable or negative value raises ``InputError`` instead of guessing.
    """
    hint = "use a number of seconds or e.g. 90s, 15m, 2h, 1d"
    if isinstance(text, bool):
        raise InputError(f"{describe(text)} is not a duration ({hint})")
    if isinstance(text, (int, float)):
        value = float(text)
        if not math.isfinite(value) or value < 0:
            raise InputError(f"{text!r} is not a duration: it must be a finite number >= 0 ({hint})")
        return value
    if not isinstance(text, str):
        raise InputError(f"{describe(text)} is not a duration ({hint})")
    match = _DURATION.match(text)
    if not match:
        raise InputError(f"'{clip(text)}' is not a duration ({hint})")
    number, unit = match.groups()
    seconds = float(number) * _UNITS[(unit or "s").lower()]
    if not math.isfinite(seconds):
        raise InputError(f"'{clip(text)}' is too large a duration ({hint})")
    return seconds


def clip(text: str, limit: int = 40) -> str:
    """Keep messages one readable line even for pasted junk."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(value: Any) -> str:
    """YAML-flavoured description of a value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"string '{clip(value)}'"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"date {value.isoformat()}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {clip(repr(value))}"


def suggest(word: Any, options: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` for the closest option, or empty."""
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _choice(value: Any, options: tuple[str, ...], what: str) -> Any:
    if value is None or value in options:
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("choice", f"expected one of {', '.join(options)}, got {describe(value)}")
    raise PydanticCustomError(
        "choice", f"unknown {what} '{clip(value)}'{suggest(value, options)}; expected one of {', '.join(options)}"
    )


def _tuple_to_list(value: Any) -> Any:
    """Python callers may pass tuples; YAML sets (unordered) stay rejected."""
    return list(value) if isinstance(value, tuple) else value


def is_scalar(value: Any) -> bool:
    """A single YAML value (class labels, categories), not a container or null."""
    return not isinstance(value, (list, tuple, set, frozenset, dict)) and value is not None


Str = Annotated[str, Strict()]
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
StrList = Annotated[list[Str], Strict(), BeforeValidator(_tuple_to_list)]


class _Model(BaseModel):
    """Shared config: unknown keys are errors, x- keys are kept aside."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _collect_extras(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        extras = {k: v for k, v in data.items() if isinstance(k, str) and k.startswith(EXTRA_PREFIX)}
        rest = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith(EXTRA_PREFIX))}
        rest[_EXTRAS_ALIAS] = extras
        return rest

    @classmethod
    def valid_keys(cls) -> list[str]:
        """Keys a user may write (for 'did you mean' suggestions): ``class`` is the field ``target_class``."""
        return [field.alias or name for name, field in cls.model_fields.items() if name != "extras"]


class ContractModel(_Model):
    """``contract:`` block: expectations checked on every window."""

    dtype: Str | None = None
    min: Number | None = None
    max: Number | None = None
    max_null_rate: Number | None = None
    allowed: Annotated[list[Any], Strict(), BeforeValidator(_tuple_to_list)] | None = None
    max_staleness: Any = None
    # x- keys are tolerated in contracts but not kept: Contract has no extras.
    extras: dict[str, Any] = Field(default_factory=dict, alias=_EXTRAS_ALIAS)

    @field_validator("dtype")
    @classmethod
    def _dtype(cls, v: Any) -> Any:
        return _choice(v, DTYPES, "dtype")

    @field_validator("max_null_rate")
    @classmethod
    def _rate(cls, v: float | None) -> float | None:
        if v is not None and not 0.0 <= v <= 1.0:
            raise PydanticCustomError("range", f"must be between 0 and 1, got {v!r}")
        return v

    @field_validator("allowed")
    @classmethod
    def _allowed(cls, v: list[Any] | None) -> list[Any] | None:
        for item in v or ():
            if not is_scalar(item):
                raise PydanticCustomError("scalar", f"expected a list of category values, found {describe(item)}")
        return v

    @field_validator("max_staleness")
    @classmethod
    def _staleness(cls, v: Any) -> Any:
        if v is None:
            return None
        try:
            parse_duration(v)
        except InputError as exc:
            raise PydanticCustomError("duration", str(exc)) from None
        return v

    @model_validator(mode="after")
    def _min_max(self) -> "ContractModel":
        if self.min is not None and self.max is not None and self.min > self.max:
            raise PydanticCustomError("min_max", f"min ({self.min:g}) is greater than max ({self.max:g})")
        return self

    @property
    def max_staleness_seconds(self) -> float | None:
        return None if self.max_staleness is None else parse_duration(self.max_staleness)


class NodeModel(_Model):
    """One entry of ``nodes:``; kind-specific key rules are in the loader."""

    kind: Any
    parents: StrList | None = None
    column: Str | None = None
    dtype: Str | None = None
    category: Str | None = None
    owner: Str | None = None
    description: Str | None = None
    contract: ContractModel | None = None
    freshness: Str | None = None
    version_column: Str | None = None
    artifact: Str | None = None
    metric: Str | None = None
    prediction: Str | None = None
    label: Str | None = None
    threshold: Number = 0.5
    positive: Any = 1
    classes: Annotated[list[Any], Strict(), BeforeValidator(_tuple_to_list)] | None = None
    scores: dict[Any, Str] | None = None
    target_class: Any = Field(default=None, alias="class")
    average: Any = None
    k: Annotated[int, Strict()] | None = None
    extras: dict[str, Any] = Field(default_factory=dict, alias=_EXTRAS_ALIAS)

    @field_validator("column", "freshness", "version_column", mode="before")
    @classmethod
    def _column_named(cls, v: Any, info: ValidationInfo) -> Any:
        """A column key written with no value is a half-finished edit; only an absent key means "none"."""
        if v is None:
            hint = " (no column means an unobserved node)" if info.field_name == "column" else ""
            raise PydanticCustomError("column", f"has no value: name the data column, or leave the key out{hint}")
        return v

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: Any) -> Any:
        if v is None:
            raise PydanticCustomError("choice", f"a kind is required; expected one of {', '.join(KINDS)}")
        return _choice(v, KINDS, "kind")

    @field_validator("dtype")
    @classmethod
    def _dtype(cls, v: Any) -> Any:
        return _choice(v, DTYPES, "dtype")

    @field_validator("category")
    @classmethod
    def _category(cls, v: Any) -> Any:
        return _choice(v, CATEGORIES, "category")

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: Any) -> Any:
        return _choice(v, METRICS, "metric")

    @field_validator("positive", "target_class")
    @classmethod
    def _positive(cls, v: Any) -> Any:
        if not is_scalar(v) and v is not None:
            raise PydanticCustomError("scalar",
                                      f"expected a single class value such as 1 or 'fraud', got {describe(v)}")
        return v

    @field_validator("average")
    @classmethod
    def _average(cls, v: Any) -> Any:
        return _choice(v, AVERAGES, "average")

    @field_validator("classes")
    @classmethod
    def _classes(cls, v: list[Any] | None) -> list[Any] | None:
        """Classes are compared loosely (1, 1.0 and "1" are one class), so a list naming one twice is a typo."""
        if v is None:
            return v
        seen: dict[Any, Any] = {}
        for item in v:
            if not is_scalar(item):
                raise PydanticCustomError("classes", f"classes must list class values, found {describe(item)}")
            key = class_key(item)
            if key is None:
                raise PydanticCustomError("classes", f"classes must list class values, found {describe(item)}")
            if key in seen:
                raise PydanticCustomError("classes", f"classes must list each class once: {describe(item)} "
                                                     f"is the same class as {describe(seen[key])}")
            seen[key] = item
        if len(seen) < 2:
            raise PydanticCustomError("classes", f"classes must list at least two classes, got {len(seen)}")
        return v

    @field_validator("scores")
    @classmethod
    def _scores(cls, v: dict[Any, str] | None) -> dict[Any, str] | None:
        """One probability column per class: at least two, each column once."""
        if v is None:
            return v
        if len(v) < 2:
            raise PydanticCustomError("scores", f"scores must map at least two classes to their probability "
                                                f"columns, got {len(v)}")
        owner: dict[str, Any] = {}
        seen: dict[Any, Any] = {}
        for cls_value, column in v.items():
            key = class_key(cls_value)
            if key is None:
                raise PydanticCustomError("scores", f"scores must map class values to columns, found "
                                                    f"{describe(cls_value)} as a class")
            if key in seen:
                raise PydanticCustomError("scores", f"scores must map each class once: {describe(cls_value)} "
                                                    f"is the same class as {describe(seen[key])}")
            seen[key] = cls_value
            if column in owner:
                raise PydanticCustomError("scores", f"scores must map each class to its own column: column "
                                                    f"'{clip(column)}' is given for {describe(owner[column])} "
                                                    f"and {describe(cls_value)}")
            owner[column] = cls_value
        return v


class GraphModel(_Model):
    """The whole file; node ids are checked by the loader for richer messages."""

    version: Annotated[int, Strict()]
    name: Str
    description: Str | None = None
    time_column: Str | None = None
    key_column: Str | None = None
    segments: StrList | None = None
    nodes: dict[Str, NodeModel]
    extras: dict[str, Any] = Field(default_factory=dict, alias=_EXTRAS_ALIAS)

    @field_validator("version")
    @classmethod
    def _version(cls, v: int) -> int:
        if v != 1:
            raise PydanticCustomError("version", f"unsupported format version {v}; this engine reads version 1")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not ID_PATTERN.match(v):
            raise PydanticCustomError(
                "pattern", f"'{clip(v)}' is not a valid name: use only letters, digits, '_', '.' and '-'"
            )
        return v

    @field_validator("nodes", mode="before")
    @classmethod
    def _nodes(cls, v: Any) -> Any:
        if isinstance(v, dict) and not v:
            raise PydanticCustomError("empty", "must declare at least one node")
        return v
