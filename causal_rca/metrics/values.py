"""Label and prediction values read loosely, and the class they belong to.

Logs write one class as 1, 1.0, "1" or True depending on the writer; every
metric reads them as one value (``LooseColumn``), so the metrics, the graph
loader and the causal models of the label agree on what a class is.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from causal_rca.errors import InputError

MAX_CLASSES = 10_000  # beyond this a "class" label is a number or an id, not classes


@dataclass(frozen=True)
class LooseColumn:
    """A column read loosely, so that 1, 1.0, "1" and True are one value.

    Numeric-like values become floats in ``num``; other values become
    stripped text in ``text`` (``None`` when every present value is numeric).
    """

    num: np.ndarray
    text: np.ndarray | None
    missing: np.ndarray

    @property
    def numeric(self) -> bool:
        """Every present value reads as a number."""
        return self.text is None

    def example_text(self) -> str:
        """One non-numeric value, to show in a message."""
        assert self.text is not None
        return next(t for t in self.text if t is not None)


def _scalar(value: Any) -> tuple[float, str | None, bool]:
    """(number, text, missing) for one value; exactly one of number/text is set unless missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return math.nan, None, True
    if isinstance(value, (bool, np.bool_)):
        return float(value), None, False
    if isinstance(value, (numbers.Real, np.integer, np.floating)):
        f = float(value)
        return (math.nan, None, True) if math.isnan(f) else (f, None, False)
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    s = str(value).strip()
    if not s:
        return math.nan, None, True
    low = s.lower()
    if low in ("true", "false"):
        return float(low == "true"), None, False
    try:
        f = float(s)
    except ValueError:
        return math.nan, s, False
    return (math.nan, None, True) if math.isnan(f) else (f, None, False)


def as_series(values: Any) -> pd.Series:
    """``values`` as a pandas Series (kept as is when it is one, so its index survives)."""
    return values if isinstance(values, pd.Series) else pd.Series(values)


def loose(values: Any) -> LooseColumn:
    """``values`` read loosely: numbers as floats, other text stripped, missing marked."""
    s = as_series(values)
    if is_bool_dtype(s.dtype) or is_numeric_dtype(s.dtype):
        try:
            num = s.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            pass
        else:
            return LooseColumn(num, None, np.isnan(num))
    # Read each distinct value once: object columns repeat few values.
    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    k = len(uniques)
    unum = np.full(k + 1, np.nan)
    utext = np.full(k + 1, None, dtype=object)
    umissing = np.ones(k + 1, dtype=bool)
    for i, u in enumerate(uniques):
        unum[i], utext[i], umissing[i] = _scalar(u)
    idx = np.where(codes < 0, k, codes)
    has_text = any(t is not None for t in utext)
    return LooseColumn(unum[idx], utext[idx] if has_text else None, umissing[idx])


def equals_value(col: LooseColumn, value: Any) -> np.ndarray:
    """Rows of ``col`` that are ``value``, compared loosely (a missing value never matches)."""
    num, text, _ = _scalar(value)
    out = col.num == num  # NaN never matches
    if text is not None and col.text is not None:
        out |= np.asarray(col.text == text, dtype=bool)
    return out


def equals_column(a: LooseColumn, b: LooseColumn) -> np.ndarray:
    """Rows where ``a`` and ``b`` hold the same value, compared loosely (accuracy of class labels)."""
    out = a.num == b.num
    if a.text is not None and b.text is not None:
        both_text = np.isnan(a.num) & np.isnan(b.num) & ~a.missing & ~b.missing
        out |= both_text & np.asarray(a.text == b.text, dtype=bool)
    return out


def is_positive(labels: Any, positive: Any) -> np.ndarray:
    """Labels read as "is the positive class": 1.0 / 0.0, NaN where the label is missing.

    This is what every classification metric reads, so the causal models of
    the label should read the same thing.
    """
    col = loose(labels)
    out = equals_value(col, positive).astype(float)
    out[col.missing] = np.nan
    return out


def class_key(value: Any) -> Any:
    """The key two class values share when the metrics count them as one class (None: missing).

    1, 1.0, "1" and True are one class, as everywhere in the metrics; text is
    stripped. What the graph loader uses to check declared classes.
    """
    num, text, missing = _scalar(value)
    return None if missing else (num if text is None else text)


def _keys(col: LooseColumn) -> np.ndarray:
    """One hashable key per value for class matching: the number when it reads as one, else the text."""
    if col.text is None:
        return col.num
    keys = col.text.copy()
    numbers = ~np.isnan(col.num)
    keys[numbers] = col.num[numbers]
    return keys


def class_codes(cols: Sequence[LooseColumn], classes: tuple[Any, ...] | None) -> list[np.ndarray]:
    """Class index of every value of ``cols`` (one vocabulary for all of them), NaN where missing.

    The declared ``classes`` come first, in their order, so index i is the
    model's i-th probability column; a value outside them (a class new in
    this window) gets the next free index in order of appearance. Values
    compare loosely, as everywhere: 1, 1.0, "1" and True are one class.
    """
    vocab: dict[Any, int] = {}
    for c in classes or ():
        vocab.setdefault(class_key(c), len(vocab))
    keys = [_keys(col) for col in cols]
    present = [k[~col.missing] for k, col in zip(keys, cols)]
    codes, uniques = pd.factorize(np.concatenate(present) if present else np.array([]))
    index = np.array([vocab.setdefault(u, len(vocab)) for u in uniques], dtype=float)
    if len(vocab) > MAX_CLASSES:
        raise InputError(f"{len(vocab)} distinct classes in the labels and predictions (more than {MAX_CLASSES}): "
                         f"a classification metric needs class labels; for a number to predict use mae, rmse, "
                         f"mape or r2")
    out, start = [], 0
    for part, col in zip(present, cols):
        codes_of = np.full(len(col.missing), np.nan)
        codes_of[~col.missing] = index[codes[start:start + len(part)]]
        start += len(part)
        out.append(codes_of)
    return out
