"""Data-quality warnings: when the windows are too thin for the diagnosis to be trusted fully.

A diagnosis on 40 rows, on a current window a hundredth of the reference, on
windows where most labels have not arrived, or on a recall computed from six
positive rows is still an answer, but the reader must know how thin it is.
Each problem adds one warning and multiplies the causes' scores by
``PENALTY``; the ranking is unchanged (every cause gets the same factor), only
the confidence the scores express. The thresholds are choices (documented in
docs/decisions.md), not fitted values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from causal_rca.metrics import MetricSpec, encode_rows, is_positive

LOW_ROWS = 200  # below this per window, two-sample tests see only large changes
SIZE_RATIO = 10.0  # windows more than 10x apart in size
MOST_LABELS_MISSING = 0.5  # share of rows without a label
MIN_POSITIVES = 10  # rows the classification metric is a proportion of
PENALTY = 0.8  # score factor per problem
FLOOR = 0.5  # the factor never goes lower: warnings inform, they do not erase the answer
POSITIVE_BASED = frozenset({"recall", "f1", "roc_auc"})


@dataclass(frozen=True)
class Quality:
    """What is thin about the windows, and how much to trust the scores for it."""

    warnings: list[str] = field(default_factory=list)
    confidence: float = 1.0


def assess_quality(spec: MetricSpec, reference: pd.DataFrame, current: pd.DataFrame, *,
                   current_labelled: bool = True) -> Quality:
    """Warnings and a confidence factor from the two metric frames (``metric_frame``, one row per window row).

    ``current_labelled=False``: the current window has no labels yet and its metric is
    estimated (``model/unlabelled.py``, which says so); its labels are not judged here.
    """
    windows = {"reference": reference, "current": current}
    labelled = windows if current_labelled else {"reference": reference}
    found: list[str] = []
    for name, frame in windows.items():
        if len(frame) < LOW_ROWS:
            found.append(f"the {name} window has only {len(frame)} rows (under {LOW_ROWS}): only large changes "
                         f"can be detected and the intervals are wide")
    big, small = max(len(reference), len(current)), min(len(reference), len(current))
    if small > 0 and big / small > SIZE_RATIO:
        found.append(f"the windows differ in size more than {SIZE_RATIO:g}x ({len(reference)} reference vs "
                     f"{len(current)} current rows): the smaller one decides how much can be seen")
    if spec.name != "mean":
        for name, frame in labelled.items():
            missing = _missing_label_share(spec, frame)
            if missing > MOST_LABELS_MISSING:
                found.append(f"{missing:.0%} of the {name} window's rows have no label (not arrived yet?): "
                             f"{spec.name} is measured on the rest only")
    for name, frame in labelled.items():
        count = _positives(spec, frame)
        if count == 0 and spec.name == "precision":
            continue  # nothing flagged: precision is 0 by convention, which the metric's own warning says
        if count is not None and count < MIN_POSITIVES:
            what = "predicted positives" if spec.name == "precision" else "positive labels"
            found.append(f"only {count} {what} in the {name} window (under {MIN_POSITIVES}): "
                         f"{spec.name}'s interval there is too wide to mean much")
    return Quality(found, max(FLOOR, PENALTY ** len(found)))


def _missing_label_share(spec: MetricSpec, frame: pd.DataFrame) -> float:
    if len(frame) == 0 or "label" not in frame:
        return 0.0
    if spec.is_regression:
        return float(pd.to_numeric(frame["label"], errors="coerce").isna().mean())
    if not spec.one_class:  # every class is a label: missing means no value at all
        return float(frame["label"].isna().mean())
    return float(np.isnan(is_positive(frame["label"], spec.positive)).mean())


def _positives(spec: MetricSpec, frame: pd.DataFrame) -> int | None:
    """Rows the proportion is taken over, for metrics whose interval hinges on a rare class; else None."""
    if not spec.one_class:  # a multi-class average has no one rare class to count
        return None
    if spec.name in POSITIVE_BASED:
        return int(np.nansum(is_positive(frame["label"], spec.positive)))
    if spec.name == "precision":  # encoded on predicted positives with a label, NaN elsewhere
        return int(np.isfinite(encode_rows(spec, frame)).sum())
    return None


def infinite_values(windows: dict[str, pd.DataFrame], columns: dict[str, str], unit: str = "rows") -> list[str]:
    """One warning per column holding +-inf in either window.

    An infinite score, feature or label is never a measurement: the causal
    models read it as missing and a thresholded metric counts it as above any
    threshold, so the reader must know it is there. ``windows``: window name ->
    frame; ``columns``: frame column -> what to call it in the message; ``unit``: what
    the frames' rows are ("rows" of a whole window, or "sampled rows").
    """
    found = []
    for column, name in columns.items():
        counts = {window: (_infinite_count(frame[column]), len(frame)) for window, frame in windows.items()
                  if column in frame}
        if any(n for n, _rows in counts.values()):
            seen = ", ".join(f"{n} of {rows} {window} {unit}" for window, (n, rows) in counts.items())
            found.append(f"{name} holds infinite values ({seen}): not a valid measurement; the causal models "
                         f"read them as missing")
    return found


def _infinite_count(values: pd.Series) -> int:
    numbers = pd.to_numeric(values, errors="coerce")
    return int(np.isinf(numbers.to_numpy(dtype=float, na_value=np.nan)).sum())
