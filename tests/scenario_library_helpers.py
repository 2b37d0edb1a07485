"""The scenario library as the tests see it: every scenario, its graph, and the metric measured directly with
scikit-learn on generated frames (independently of the engine), with the smallest move that counts as a fault.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    recall_score,
    roc_auc_score,
)

from causal_rca.scenarios import Scenario, list_scenarios, load_truth


THRESHOLD_METRICS = {
    "recall": recall_score,
    "precision": precision_score,
    "f1": f1_score,
    "accuracy": accuracy_score,
}
SUPPORTED_METRICS = set(THRESHOLD_METRICS) | {"roc_auc", "log_loss", "mae", "rmse", "mean"}
HIGHER_IS_BETTER = {"recall", "precision", "f1", "accuracy", "roc_auc"}
LOWER_IS_BETTER = {"log_loss", "mae", "rmse"}
REGRESSION = {"mae", "rmse", "mape", "r2"}
#: Smallest move that counts as a real fault: 0.03 on metrics in [0, 1] (and on a
#: mean of a 0/1 column), 3% of the reference value for losses and errors.
MIN_CHANGE = 0.03
MIN_RELATIVE_CHANGE = 0.03

SCENARIOS = list_scenarios()
NAMES = [s.name for s in SCENARIOS]
FAULTY = [s.name for s in SCENARIOS if load_truth(s).significant]
CONTROLS = [s.name for s in SCENARIOS if not load_truth(s).significant]


def _graph(scenario: Scenario) -> dict:
    return yaml.safe_load(scenario.graph_path.read_text())


def _metric_node(scenario: Scenario) -> dict:
    return _graph(scenario)["nodes"][scenario.metric]


def _metric_columns(scenario: Scenario) -> tuple[str | None, str | None]:
    """(prediction column, label column) of the scenario's metric, read from the graph."""
    nodes = _graph(scenario)["nodes"]
    metric = nodes[scenario.metric]
    model = metric.get("prediction") or next((p for p in metric["parents"] if nodes[p]["kind"] == "model"), None)
    label = metric.get("label") or next((p for p in metric["parents"] if nodes[p]["kind"] == "label"), None)
    return (nodes[model]["column"] if model else None), (nodes[label]["column"] if label else None)


def _multiclass(scenario: Scenario) -> bool:
    model, _label = _model_and_label(_graph(scenario))
    return "scores" in model


def _measure_multiclass(node: dict, y: pd.Series, pred: pd.Series) -> tuple[float, float]:
    """scikit-learn's value; the standard error from a seeded bootstrap of the rows."""
    name = node["metric"]
    if "class" in node:
        def value(t, p):
            return float(THRESHOLD_METRICS[name](t, p, labels=[node["class"]], average=None)[0])
    elif name == "accuracy":
        def value(t, p):
            return float(accuracy_score(t, p))
    else:
        def value(t, p):
            return float(THRESHOLD_METRICS[name](t, p, average=node.get("average", "macro")))
    t, p = y.to_numpy(), pred.to_numpy()
    rng = np.random.default_rng(0)
    boots = [value(t[i], p[i]) for i in (rng.integers(0, len(t), len(t)) for _ in range(100))]
    return value(t, p), float(np.std(boots))


def _model_and_label(graph: dict) -> tuple[dict, dict]:
    nodes = graph["nodes"]
    model = next(n for n in nodes.values() if n["kind"] == "model")
    label = next(n for n in nodes.values() if n["kind"] == "label")
    return model, label


def _auc_se(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley & McNeil (1982) standard error of a ROC AUC."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (n_pos * n_neg)
    return math.sqrt(max(var, 0.0))


def _f1_se(y: np.ndarray, pred: np.ndarray) -> float:
    """Seeded multinomial bootstrap over the confusion-matrix cells."""
    cells = np.array([np.sum((y == 1) & (pred == 1)), np.sum((y == 0) & (pred == 1)),
                      np.sum((y == 1) & (pred == 0)), np.sum((y == 0) & (pred == 0))], dtype=float)
    draws = np.random.default_rng(0).multinomial(int(cells.sum()), cells / cells.sum(), size=500)
    tp, fp, fn = draws[:, 0], draws[:, 1], draws[:, 2]
    return float(np.std(2 * tp / np.maximum(2 * tp + fp + fn, 1)))


def _measure(scenario: Scenario, frame: pd.DataFrame) -> tuple[float, float]:
    """(metric value, standard error) measured directly with sklearn / numpy, never with the engine."""
    node = _metric_node(scenario)
    name = node["metric"]
    if name == "mean":
        values = frame[node["column"]].astype(float).to_numpy()
        return float(values.mean()), float(values.std() / math.sqrt(len(values)))
    pred_col, label_col = _metric_columns(scenario)
    if _multiclass(scenario):
        return _measure_multiclass(node, frame[label_col], frame[pred_col])
    scores = frame[pred_col].astype(float).to_numpy()
    if name == "mae":
        errors = np.abs(frame[label_col].astype(float).to_numpy() - scores)
        return float(mean_absolute_error(frame[label_col], scores)), float(errors.std() / math.sqrt(len(errors)))
    if name == "rmse":
        squared = (frame[label_col].astype(float).to_numpy() - scores) ** 2
        rmse = float(np.sqrt(mean_squared_error(frame[label_col], scores)))
        return rmse, float(squared.std() / math.sqrt(len(squared)) / (2 * rmse))  # delta method
    y = (frame[label_col] == node.get("positive", 1)).astype(int).to_numpy()
    if name == "roc_auc":
        auc = float(roc_auc_score(y, scores))
        return auc, _auc_se(auc, int(y.sum()), int(len(y) - y.sum()))
    if name == "log_loss":
        p = np.clip(scores, 1e-15, 1 - 1e-15)
        rows = -(y * np.log(p) + (1 - y) * np.log(1 - p))
        return float(log_loss(y, p)), float(rows.std() / math.sqrt(len(rows)))
    pred = (scores >= node.get("threshold", 0.5)).astype(int)
    value = float(THRESHOLD_METRICS[name](y, pred))
    if name == "f1":
        return value, _f1_se(y, pred)
    denominator = {"recall": y.sum(), "precision": pred.sum()}.get(name, len(y))
    return value, math.sqrt(value * (1 - value) / max(int(denominator), 1))


def _worsening(scenario: Scenario, reference: float, current: float) -> float:
    """How much the metric got worse (positive = worse); a business mean counts in either direction."""
    name = _metric_node(scenario)["metric"]
    if name in HIGHER_IS_BETTER:
        return reference - current
    if name in LOWER_IS_BETTER:
        return current - reference
    return abs(current - reference)


def _min_change(scenario: Scenario, reference: float) -> float:
    name = _metric_node(scenario)["metric"]
    return MIN_RELATIVE_CHANGE * abs(reference) if name in LOWER_IS_BETTER else MIN_CHANGE
