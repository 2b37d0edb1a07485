"""What a metric node asks for: the metric, and how a model's output is read for it.

Kept apart from the arithmetic so the lineage loader, the engine and the
explanations can all read one small, validated, hashable description. The
rules on which keys go with which metric (``metric_key_problems``) live here
too, so the graph loader and the Python API reject the same combinations
with the same words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from causal_rca.errors import InputError

CLASSIFICATION = frozenset({"accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "log_loss",
                            "top_k_accuracy"})
THRESHOLD_METRICS = frozenset({"accuracy", "balanced_accuracy", "precision", "recall", "f1"})
SCORE_METRICS = frozenset({"roc_auc", "log_loss", "top_k_accuracy"})  # need numeric scores, not class labels
REGRESSION = frozenset({"mae", "rmse", "mape", "r2"})
METRIC_NAMES: tuple[str, ...] = (
    "accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "top_k_accuracy",
    "mae", "rmse", "mape", "r2", "mean",
)
LOWER_IS_BETTER = frozenset({"log_loss", "mae", "rmse", "mape"})
AVERAGED = ("precision", "recall", "f1", "roc_auc")  # take `average`, or `class` for one class against the rest
AVERAGES = ("macro", "weighted", "micro")
MULTICLASS_ONLY = frozenset({"top_k_accuracy"})
DEFAULT_K = 3

# How the per-row encoding becomes the metric (encoding.py dispatches on it):
#   proportion  0/1 per row, the metric is their mean (Wilson interval)
#   mean        a loss or error per row, the metric is their mean (normal interval)
#   rmse        squared error per row, the metric is the root of their mean
#   f1          binary f1: 1 for a true positive, 0 for a miss or false alarm (Jaccard index)
#   auc         binary roc_auc: 2·is_positive + score
#   confusion   a cell of the confusion matrix per row (true class, predicted class)
#   ovr_auc     one-vs-rest roc_auc: (true class, one score per class) per row
#   r2          (label, prediction) per row
FORMS = ("proportion", "mean", "rmse", "f1", "auc", "confusion", "ovr_auc", "r2")
JOINT_FORMS = frozenset({"ovr_auc", "r2"})  # more than one number per row: encoded as a 2-D array


def format_value(value: Any) -> str:
    """The positive class as a user wrote it: quoted strings, plain numbers."""
    if isinstance(value, str):
        return repr(value)
    if hasattr(value, "item"):  # numpy scalars print as np.int64(1) otherwise
        value = value.item()
    return str(value)


def metric_key_problems(name: str, *, average: Any = None, target_class: Any = None, k: Any = None,
                        multiclass: bool | None = None) -> list[tuple[str, str]]:
    """(key, message) for each multi-class key that does not fit the metric.

    ``multiclass`` is False when the graph says the model is binary (its
    label declares two classes) or the metric is a regression, None when
    undecided. One list of rules for the graph loader (which names the file
    and node) and for ``MetricSpec`` (which raises the first).
    """
    out: list[tuple[str, str]] = []
    regression = name in REGRESSION or name == "mean"
    if average is not None:
        if not isinstance(average, str) or average not in AVERAGES:
            out.append(("average", f"unknown average {format_value(average)}; expected one of {', '.join(AVERAGES)}"))
        elif name not in AVERAGED:
            out.append(("average", f"does not apply to metric '{name}': 'average' is for multi-class "
                                   f"{', '.join(AVERAGED[:-1])} and {AVERAGED[-1]}"))
    if target_class is not None and name not in AVERAGED:
        out.append(("class", f"does not apply to metric '{name}': 'class' is for {', '.join(AVERAGED[:-1])} and "
                             f"{AVERAGED[-1]} (the recall of class c is the share of c's rows classified as c)"))
    if k is not None:
        if name != "top_k_accuracy":
            out.append(("k", f"does not apply to metric '{name}': 'k' is for top_k_accuracy"))
        elif isinstance(k, bool) or not isinstance(k, int) or k < 1:
            out.append(("k", f"must be a whole number of at least 1, got {format_value(k)}"))
    if average is not None and target_class is not None and name in AVERAGED:
        out.append(("class", "give either 'class' (one class against the rest) or 'average' (over all classes), "
                             "not both"))
    if multiclass is False and not regression:
        given = [key for key, value in (("class", target_class), ("average", average), ("k", k)) if value is not None]
        if name in MULTICLASS_ONLY:
            given.insert(0, "metric")
        for key in given:
            what = f"metric '{name}'" if key == "metric" else f"'{key}'"
            out.append((key, f"{what} applies to multi-class models only, and this model is binary "
                             f"(use 'positive' for the class of interest)"))
    return out


@dataclass(frozen=True)
class MetricSpec:
    """One metric node: which metric, and how the model's output is read for it.

    Binary models: a score at or above ``threshold`` is a ``positive``
    prediction. Multi-class models (``multiclass``): the prediction is a
    class, ``classes`` orders the probability columns when the model gives
    them, ``average`` says how per-class values combine (macro, the default,
    weighted or micro), ``target_class`` asks for one class against the rest
    (read as a binary metric whose positive class is that class), and ``k`` is
    top_k_accuracy's number of guesses. ``average``, ``target_class``, ``k``
    or top_k_accuracy imply ``multiclass``.
    """

    name: str
    threshold: float = 0.5
    positive: Any = 1
    multiclass: bool = False
    average: str | None = None
    target_class: Any = None
    k: int | None = None
    classes: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        if self.name not in METRIC_NAMES:
            raise InputError(f"unknown metric '{self.name}': use one of {', '.join(METRIC_NAMES)}")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float)):
            raise InputError(f"metric threshold must be a number, got {self.threshold!r}")
        threshold = float(self.threshold)
        if not math.isfinite(threshold):
            raise InputError(f"metric threshold must be a finite number, got {self.threshold!r}")
        object.__setattr__(self, "threshold", threshold)
        implied = (self.average is not None or self.target_class is not None or self.k is not None
                   or self.name in MULTICLASS_ONLY)
        multiclass = bool(self.multiclass or implied)
        regression = self.name in REGRESSION or self.name == "mean"
        problems = metric_key_problems(self.name, average=self.average, target_class=self.target_class, k=self.k)
        if multiclass and regression:
            problems.append(("metric", f"'{self.name}' is not a classification metric: it has no classes"))
        if problems:
            key, message = problems[0]
            raise InputError(f"metric {key}: {message}")
        object.__setattr__(self, "multiclass", multiclass)
        if self.classes is not None:
            classes = tuple(self.classes)
            if len(classes) < 2:
                raise InputError(f"a multi-class metric needs at least two classes, got {len(classes)}")
            object.__setattr__(self, "classes", classes)
        if multiclass and self.target_class is not None:
            object.__setattr__(self, "positive", self.target_class)  # one class against the rest
        elif multiclass and self.name in AVERAGED and self.average is None:
            object.__setattr__(self, "average", "macro")
        if self.name == "top_k_accuracy" and self.k is None:
            object.__setattr__(self, "k", DEFAULT_K)
        if self.k is not None and self.classes is not None and self.k > len(self.classes):
            raise InputError(f"metric k: k ({self.k}) is larger than the number of classes ({len(self.classes)})")
        positive = self.positive
        if positive is None or (isinstance(positive, float) and math.isnan(positive)) or (
                isinstance(positive, str) and not positive.strip()):
            what = "class" if self.target_class is not None else "positive class"
            raise InputError(f"metric {what} must be a value such as 1 or 'fraud', got {positive!r}")

    @property
    def higher_is_better(self) -> bool:
        """Losses and errors improve downwards; everything else (r2, a business mean) upwards."""
        return self.name not in LOWER_IS_BETTER

    @property
    def is_classification(self) -> bool:
        return self.name in CLASSIFICATION

    @property
    def is_regression(self) -> bool:
        return self.name in REGRESSION

    @property
    def one_class(self) -> bool:
        """Read as a binary metric: a binary model, or one class of a multi-class model against the rest."""
        return not self.multiclass or self.target_class is not None

    @property
    def needs_class_scores(self) -> bool:
        """Reads one probability column per class (the model's ``scores``), not the predicted class."""
        return self.multiclass and self.target_class is None and self.name in SCORE_METRICS

    @property
    def form(self) -> str:
        """How the per-row encoding becomes the metric (one of ``FORMS``)."""
        name = self.name
        if name in ("mean", "mae", "mape", "log_loss"):
            return "mean"
        if name in ("rmse", "r2"):
            return name
        if not self.one_class:
            if name == "roc_auc":
                return "ovr_auc"
            if name in ("accuracy", "top_k_accuracy") or self.average == "micro":
                return "proportion"  # micro precision = recall = f1 = accuracy when each row has one class
            return "confusion"
        if name == "balanced_accuracy":
            return "confusion"
        if name in ("f1", "roc_auc"):
            return {"f1": "f1", "roc_auc": "auc"}[name]
        return "proportion"

    @property
    def subject(self) -> str:
        """The metric as a reader names it: 'recall', 'macro f1', 'recall of class 'contract''."""
        if self.target_class is not None:
            return f"{self.name} of class {format_value(self.target_class)}"
        if self.multiclass and self.average is not None:
            return f"{self.average} {self.name}"
        return self.name


def row_outcome_description(spec: MetricSpec, *, worse: bool = True) -> str:
    """A short phrase for "because <model> …": what the model did per row to move the metric.

    ``worse`` says whether the metric moved in its bad direction (the usual
    question); pass ``False`` to explain an improvement.
    """
    t = f"{spec.threshold:g}"
    fewer, more = ("fewer", "more") if worse else ("more", "fewer")
    lower, higher = ("lower", "higher") if worse else ("higher", "lower")
    larger = "larger" if worse else "smaller"
    if spec.multiclass:
        c = format_value(spec.target_class) if spec.target_class is not None else None
        phrases = {
            "accuracy": f"classified {fewer} rows correctly",
            "balanced_accuracy": f"classified {fewer} rows of some classes correctly",
            "precision": f"had {more} false alarms for class {c}" if c else f"had {more} false alarms in some classes",
            "recall": f"recognised {fewer} rows of class {c}" if c else f"recognised {fewer} rows of some classes",
            "f1": f"classified {fewer} rows of class {c} correctly" if c
                  else f"classified {fewer} rows of some classes correctly",
            "roc_auc": f"ranked {fewer} rows of class {c} above other rows" if c
                       else f"ranked {fewer} rows of their own class above other rows",
            "log_loss": f"gave {lower} probability to the true class",
            "top_k_accuracy": f"had the true class among its {spec.k} most likely classes {fewer} times",
        }
        return phrases[spec.name]
    phrases = {
        "accuracy": f"classified {fewer} rows correctly at threshold {t}",
        "balanced_accuracy": f"classified {fewer} rows of one of the two classes correctly at threshold {t}",
        "precision": f"had {more} false alarms among rows scored at or above {t}",
        "recall": f"scored {fewer} positive cases at or above {t}",
        "f1": f"caught {fewer} positive cases at threshold {t} relative to misses and false alarms",
        "roc_auc": f"ranked {fewer} positive cases above negative ones",
        "log_loss": f"gave {lower} probability to the true outcome",
        "mae": f"made {larger} absolute errors",
        "rmse": f"made {larger} squared errors",
        "mape": f"made {larger} errors relative to the true value",
        "r2": f"explained {fewer} of the label's variance",
        "mean": f"had {lower} values",
    }
    return phrases[spec.name]
