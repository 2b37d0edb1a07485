"""Causes for multi-class models: the label's class-level test (causal/class_outcome.py), its verdict
(diagnosis/class_verdict.py), and the donor-row mechanism of a class output (causal/class_outputs.py)."""

from __future__ import annotations

import numpy as np
import pytest

from causal_rca.causal.class_outcome import class_outcome_measures
from causal_rca.causal.class_outputs import DonorRows
from causal_rca.diagnosis.class_verdict import class_label_verdict

K = 4


def _world(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs, the reference mechanism's class probabilities and labels drawn from them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    logits = np.c_[2 * x[:, 0], -2 * x[:, 0], 2 * x[:, 1], -2 * x[:, 1]]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = (p.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1).astype(float)
    return x, p, y


def _measures(change=None, seed: int = 1) -> dict[str, float]:
    _x0, p_hold, y_hold = _world(3000, seed)
    x, p_cur, y_cur = _world(3000, seed + 1)
    if change is not None:
        y_cur = change(x, y_cur.copy(), np.random.default_rng(seed + 2))
    return class_outcome_measures(np.arange(K, dtype=float), p_hold, y_hold, p_cur, y_cur)


def test_unchanged_labels_show_no_class_level_change():
    m = _measures()
    assert m["new_class_share"] == 0 and m["new_class_p"] == 1.0
    assert m["class_prior_p"] > 0.01 and m["class_map_p"] > 0.01


def _new_class(x, y, rng):
    y[rng.random(len(y)) < 0.1] = 7.0  # a class the reference never had
    return y


def _merged(x, y, rng):
    y[y == 2] = 0.0  # class 2 folded into class 0, whatever the inputs
    return y


def _reweighted(x, y, rng):
    y[(y == 3) & (rng.random(len(y)) < 0.5)] = 1.0  # half of class 3 annotated as class 1, at random
    return y


def _relation(x, y, rng):
    y[(y == 0) & (x[:, 1] > 0)] = 1.0  # class 0 rows of one input region (x1 > 0) now belong to class 1
    return y


@pytest.mark.parametrize("change,decided_by", [(_new_class, "new_class"), (_merged, "class_map"),
                                               (_reweighted, "class_map")])
def test_labels_changed_by_class_are_label_shift(change, decided_by):
    mode, decided, _alternatives = class_label_verdict(_measures(change))
    assert mode == "label_shift" and decided_by in decided


def test_labels_changed_with_the_inputs_are_concept_drift():
    m = _measures(_relation)
    assert m["class_map_loss_current"] > 1.02 * m["class_map_loss_reference"] and m["class_map_p"] < 1e-6
    mode, _decided, _alternatives = class_label_verdict(m)
    assert mode == "concept_drift"


def test_donor_rows_draw_outputs_of_rows_with_the_nearest_inputs():
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=500), rng.integers(0, 3, 500)].astype(float)
    ids = np.arange(1000, 1500, dtype=float)
    mechanism = DonorRows(np.array([False, True]))
    mechanism.fit(X, ids)
    np.random.seed(0)
    drawn = mechanism.draw_samples(X[:50]).ravel().astype(int) - 1000
    assert drawn.shape == (50,)
    assert np.all(X[drawn, 1] == X[:50, 1])  # a category is matched exactly
    gap = np.abs(X[drawn, 0] - X[:50, 0])
    assert np.median(gap) < 0.05 and gap.max() < 0.5
    np.random.seed(0)
    again = mechanism.draw_samples(X[:50]).ravel().astype(int) - 1000
    assert np.array_equal(drawn, again)  # gcm's global generator, seeded: the same draw


def test_donor_rows_outside_a_windows_rows_come_from_both_windows():
    """A window that never saw an input says nothing of what its model outputs there: the donor is
    drawn from both windows' rows (a unit change must not be credited to an unchanged model)."""
    rng = np.random.default_rng(1)
    own = rng.uniform(0, 1, size=(400, 1))
    other = rng.uniform(5, 6, size=(400, 1))
    pooled = (np.r_[own, other], np.r_[np.arange(400.0), 1000 + np.arange(400.0)])
    mechanism = DonorRows(np.array([False]), pooled)
    mechanism.fit(own, np.arange(400.0))
    np.random.seed(0)
    inside = mechanism.draw_samples(np.full((20, 1), 0.5)).ravel()
    outside = mechanism.draw_samples(np.full((20, 1), 5.5)).ravel()
    assert np.all(inside < 400) and np.all(outside >= 1000)
    alone = DonorRows(np.array([False]))
    alone.fit(own, np.arange(400.0))
    assert np.all(alone.draw_samples(np.full((20, 1), 5.5)).ravel() < 400)  # no pool: the nearest own rows


@pytest.mark.parametrize("metric", [{"metric": "roc_auc", "class": "contract"}, {"metric": "top_k_accuracy", "k": 2}])
def test_metrics_that_read_probabilities_are_attributed(metric):
    """One class's roc_auc reads that class's probability column; top-k reads them all."""
    import yaml

    from causal_rca import diagnose
    from causal_rca.lineage import graph_from_yaml
    from tests.model_logs import document_log
    from tests.test_metrics_models import DOCS

    g = yaml.safe_load(DOCS.read_text())
    g["nodes"]["probe"] = {"kind": "metric", "parents": ["doc_model", "doc_type"], **metric}
    ref, cur = document_log(1500, 1), document_log(1500, 2, fault="svd_scale", start="2026-02-01")
    d = diagnose(graph_from_yaml(yaml.safe_dump(g)), ref, cur, "probe", seed=0)
    assert d.significant and d.causes and all(c.contribution is not None for c in d.causes)
    assert not any("without attribution" in w for w in d.warnings)
