"""Data-quality warnings: each thin-data condition warns and lowers confidence; healthy windows do neither."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_rca.diagnosis.quality import FLOOR, LOW_ROWS, MIN_POSITIVES, PENALTY, assess_quality
from causal_rca.metrics import MetricSpec, metric_frame

RECALL = MetricSpec(name="recall", threshold=0.5, positive=1)


def frame(n: int, spec: MetricSpec = RECALL, positive_share: float = 0.3, label_missing: float = 0.0,
          seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < positive_share).astype(float)
    y[rng.random(n) < label_missing] = np.nan
    score = np.clip(y * 0.6 + rng.random(n) * 0.5, 0, 1)
    if spec.name == "mean":
        return metric_frame(spec, None, None, value=pd.Series(score))
    return metric_frame(spec, pd.Series(score), pd.Series(y))


def test_healthy_windows_have_no_warning() -> None:
    q = assess_quality(RECALL, frame(5000), frame(4000, seed=1))
    assert q.warnings == [] and q.confidence == 1.0


def test_low_sample_size_warns_per_window() -> None:
    q = assess_quality(RECALL, frame(LOW_ROWS - 1), frame(LOW_ROWS, seed=1))
    assert len(q.warnings) == 1 and "reference window has only 199 rows" in q.warnings[0]
    assert q.confidence == pytest.approx(PENALTY)


def test_windows_of_very_different_size_warn() -> None:
    q = assess_quality(RECALL, frame(11_000), frame(1000, seed=1))
    assert [w for w in q.warnings if "differ in size" in w]
    assert not assess_quality(RECALL, frame(9000), frame(1000, seed=1)).warnings


def test_most_labels_missing_warns() -> None:
    q = assess_quality(RECALL, frame(3000), frame(3000, label_missing=0.8, seed=1))
    assert any("have no label" in w and "current" in w for w in q.warnings)
    assert not assess_quality(RECALL, frame(3000), frame(3000, label_missing=0.3, seed=1)).warnings


@pytest.mark.parametrize("name", ["recall", "f1", "roc_auc"])
def test_too_few_positives_warns(name: str) -> None:
    spec = MetricSpec(name=name, threshold=0.5, positive=1)
    rare = frame(3000, spec, positive_share=2 / 3000, seed=4)
    q = assess_quality(spec, frame(3000, spec), rare)
    assert any("positive labels in the current window" in w for w in q.warnings), q.warnings


def test_precision_counts_predicted_positives() -> None:
    spec = MetricSpec(name="precision", threshold=0.5, positive=1)
    q = assess_quality(spec, frame(3000, spec), frame(3000, spec, positive_share=0.002, seed=1))
    assert any("predicted positives in the current window" in w for w in q.warnings), q.warnings
    assert not assess_quality(spec, frame(3000, spec), frame(3000, spec, seed=1)).warnings


def test_accuracy_and_mean_do_not_count_positives() -> None:
    for name in ("accuracy", "mean"):
        spec = MetricSpec(name=name, threshold=0.5, positive=1)
        assert not assess_quality(spec, frame(3000, spec, positive_share=0.0), frame(3000, spec, seed=1)).warnings


def test_confidence_never_below_the_floor() -> None:
    q = assess_quality(RECALL, frame(40, positive_share=0.05, label_missing=0.7),
                       frame(2000, positive_share=0.001, label_missing=0.9, seed=1))
    assert len(q.warnings) >= 4
    assert q.confidence == FLOOR
    assert MIN_POSITIVES > 0


def test_diagnosis_carries_the_warnings_and_scales_scores(monkeypatch) -> None:
    """End to end: the warning reaches the diagnosis and every score is multiplied by the factor."""
    import causal_rca.pipeline as api  # the module that runs the steps
    from causal_rca.api import diagnose
    from causal_rca.diagnosis.quality import Quality
    from causal_rca.lineage import graph_from_yaml
    from tests.conftest import TINY_GRAPH, tiny_frame

    graph = graph_from_yaml(TINY_GRAPH, "tiny.yaml")
    ref, cur = tiny_frame(3000, 1), tiny_frame(280, 2, fault="fx_scale")  # > 10x apart in size
    warned = diagnose(graph, ref, cur, "recall", seed=0)
    monkeypatch.setattr(api, "assess_quality", lambda *args, **kwargs: Quality())
    plain = diagnose(graph, ref, cur, "recall", seed=0)
    assert [w for w in warned.warnings if "differ in size" in w]
    assert not [w for w in plain.warnings if "differ in size" in w]
    assert plain.causes, plain.summary
    assert [c.node for c in warned.causes] == [c.node for c in plain.causes]
    for w, p in zip(warned.causes, plain.causes):
        assert w.score == pytest.approx(p.score * PENALTY, abs=2e-4)


def test_a_multiclass_average_has_no_positive_class_to_count() -> None:
    """Macro recall over three classes: no "only 0 positive labels" warning, missing labels counted as missing."""
    spec = MetricSpec(name="recall", multiclass=True, average="macro")
    rng = np.random.default_rng(4)

    def classes(n: int, missing: float = 0.0) -> pd.DataFrame:
        y = pd.Series(rng.choice(["a", "b", "c"], n)).astype(object)
        y[rng.random(n) < missing] = None
        return metric_frame(spec, pd.Series(rng.choice(["a", "b", "c"], n)), y)
    assert assess_quality(spec, classes(3000), classes(3000)).warnings == []
    q = assess_quality(spec, classes(3000), classes(3000, missing=0.8))
    assert any("have no label" in w and "current" in w for w in q.warnings)
