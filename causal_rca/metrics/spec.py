"""What a metric node asks for: the metric's name, threshold and positive class.

Kept apart from the arithmetic so the lineage loader, the engine and the
explanations can all read one small, validated, hashable description.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from causal_rca.errors import InputError

CLASSIFICATION = frozenset({"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"})
THRESHOLD_METRICS = frozenset({"accuracy", "precision", "recall", "f1"})
SCORE_METRICS = frozenset({"roc_auc", "log_loss"})  # need numeric scores, not class labels
REGRESSION = frozenset({"mae", "rmse"})
METRIC_NAMES: tuple[str, ...] = (
    "accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "mae", "rmse", "mean",
)
LOWER_IS_BETTER = frozenset({"log_loss", "mae", "rmse"})
PROPORTION_METRICS = frozenset({"accuracy", "precision", "recall"})  # Wilson intervals
MEAN_METRICS = frozenset({"log_loss", "mae", "mean"})  # normal intervals on a row mean
BOOTSTRAP_METRICS = frozenset({"f1", "roc_auc", "rmse"})  # not a plain mean over rows


def format_value(value: Any) -> str:
    """The positive class as a user wrote it: quoted strings, plain numbers."""
    if isinstance(value, str):
        return repr(value)
    if hasattr(value, "item"):  # numpy scalars print as np.int64(1) otherwise
        value = value.item()
    return str(value)


@dataclass(frozen=True)
class MetricSpec:
    """One metric node: which metric, and how a score becomes a positive prediction.

    ``threshold`` and ``positive`` only matter for classification metrics;
    a score at or above ``threshold`` is a positive prediction.
    """

    name: str
    threshold: float = 0.5
    positive: Any = 1

    def __post_init__(self) -> None:
        if self.name not in METRIC_NAMES:
            raise InputError(f"unknown metric '{self.name}': use one of {', '.join(METRIC_NAMES)}")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float)):
            raise InputError(f"metric threshold must be a number, got {self.threshold!r}")
        threshold = float(self.threshold)
        if not math.isfinite(threshold):
            raise InputError(f"metric threshold must be a finite number, got {self.threshold!r}")
        object.__setattr__(self, "threshold", threshold)
        positive = self.positive
        if positive is None or (isinstance(positive, float) and math.isnan(positive)) or (
                isinstance(positive, str) and not positive.strip()):
            raise InputError(f"metric positive class must be a value such as 1 or 'fraud', got {positive!r}")

    @property
    def higher_is_better(self) -> bool:
        """Losses and errors improve downwards; everything else (and a business mean) upwards."""
        return self.name not in LOWER_IS_BETTER

    @property
    def is_classification(self) -> bool:
        return self.name in CLASSIFICATION


def row_outcome_description(spec: MetricSpec, *, worse: bool = True) -> str:
    """A short phrase for "because <model> …": what the model did per row to move the metric.

    ``worse`` says whether the metric moved in its bad direction (the usual
    question); pass ``False`` to explain an improvement.
    """
    t = f"{spec.threshold:g}"
    fewer, more = ("fewer", "more") if worse else ("more", "fewer")
    lower, higher = ("lower", "higher") if worse else ("higher", "lower")
    larger = "larger" if worse else "smaller"
    phrases = {
        "accuracy": f"classified {fewer} rows correctly at threshold {t}",
        "precision": f"had {more} false alarms among rows scored at or above {t}",
        "recall": f"scored {fewer} positive cases at or above {t}",
        "f1": f"caught {fewer} positive cases at threshold {t} relative to misses and false alarms",
        "roc_auc": f"ranked {fewer} positive cases above negative ones",
        "log_loss": f"gave {lower} probability to the true outcome",
        "mae": f"made {larger} absolute errors",
        "rmse": f"made {larger} squared errors",
        "mean": f"had {lower} values",
    }
    return phrases[spec.name]
