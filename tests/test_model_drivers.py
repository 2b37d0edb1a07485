"""Decision drivers (model/drivers.py): SHAP contributions compared between two windows' models.

A fine-tuned model shows a driver change on the same inputs; an unchanged model
on shifted inputs does not (only its input effect moves). Tree models go
through TreeExplainer, the rest through the permutation explainer on a bounded
sample. Needs the ``explain`` extra (``./setup.sh`` installs it).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.compose import ColumnTransformer

from causal_rca.model import drivers
from causal_rca.model.drivers import AGNOSTIC_ROWS, TREE_ROWS, compare_drivers

pytest.importorskip("shap", reason="the decision drivers need the explain extra: pip install 'causal-rca[explain]'")

N = 3000


@pytest.fixture(autouse=True)
def one_openmp_thread():
    """As ``diagnose`` does: many spin-waiting OpenMP threads on a shared machine slow boosting tenfold."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _inputs(seed: int, n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.normal(size=n)})


def _labels(X: pd.DataFrame, seed: int, weights=(1.5, 0.8, 0.0)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logit = weights[0] * X["a"] + weights[1] * X["b"] + weights[2] * X["c"]
    return (rng.random(len(X)) < 1 / (1 + np.exp(-logit))).astype(int)


def _tree(X, y, **kw) -> Pipeline:
    gbm = HistGradientBoostingClassifier(max_iter=60, random_state=0, **kw)
    return Pipeline([("impute", SimpleImputer(strategy="median")), ("gbm", gbm)]).fit(X, y)


def _linear(X, y) -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("logreg", LogisticRegression())]).fit(X, y)


@pytest.fixture(scope="module")
def windows():
    X = _inputs(0)
    return X, _inputs(1), _labels(X, 2)


def test_a_fine_tuned_tree_model_shows_a_driver_change(windows) -> None:
    X, X2, y = windows
    model = _tree(X, y)
    # the "fine-tune": more rounds at a high rate on a small sample whose outcome leans on c
    recent = _inputs(5, 600)
    tuned = copy.deepcopy(model)
    tuned.named_steps["gbm"].set_params(warm_start=True, max_iter=120, learning_rate=0.5)
    tuned.fit(recent, _labels(recent, 6, weights=(0.2, 0.8, 2.0)))
    out = compare_drivers(model, tuned, X, X2, seed=0)
    assert out["method"] == "TreeExplainer"
    assert "c" in out["logic_changed"]
    c = next(i for i in out["inputs"] if i["node"] == "c")
    assert c["logic_change"]["change"] > 0 and c["logic_change"]["ci"][0] > 0
    assert c["current"]["mean_abs"] > c["reference"]["mean_abs"]


def test_an_unchanged_tree_model_on_shifted_inputs_flags_no_driver_change(windows) -> None:
    X, _X2, y = windows
    model = _tree(X, y)
    shifted = _inputs(3).assign(a=lambda f: 2.5 * f["a"] + 1.0)  # an input fault: a rescaled
    out = compare_drivers(model, copy.deepcopy(model), X, shifted, seed=0)  # two objects, one model
    assert out["logic_changed"] == []
    assert all(i["logic_change"]["p_value"] == 1.0 for i in out["inputs"])
    assert "a" in out["input_effect_changed"]  # the same model leans on a differently: the inputs moved
    same = compare_drivers(model, model, X, shifted, seed=0, same_model=True)
    assert same["logic_changed"] == [] and all(i["logic_change"] is None for i in same["inputs"])
    assert same["input_effect_changed"] == out["input_effect_changed"]


def test_a_linear_model_goes_through_the_permutation_explainer(windows) -> None:
    X, X2, y = windows
    model = _linear(X, y)
    retrained = _linear(X, _labels(X, 7, weights=(0.3, 0.8, 1.5)))
    out = compare_drivers(model, retrained, X, X2, seed=0)
    assert out["method"] == "PermutationExplainer"
    assert out["rows"] == {"reference": AGNOSTIC_ROWS, "current": AGNOSTIC_ROWS}
    assert out["background_rows"] == drivers.BACKGROUND_ROWS
    assert set(out["logic_changed"][:2]) == {"a", "c"}  # a lost influence, c gained it
    by = {i["node"]: i for i in out["inputs"]}
    assert by["a"]["logic_change"]["change"] < 0 < by["c"]["logic_change"]["change"]
    unchanged = compare_drivers(model, copy.deepcopy(model), X, X2.assign(b=X2["b"] * 3), seed=0)
    assert unchanged["logic_changed"] == [] and "b" in unchanged["input_effect_changed"]


def test_contributions_match_a_linear_model_s_coefficients(windows) -> None:
    """For a linear model in its own units, mean |SHAP| of an input is |coef| × mean |x - mean x|."""
    from sklearn.linear_model import LinearRegression

    X, _X2, _y = windows
    model = LinearRegression().fit(X, 3 * X["a"] - 1 * X["b"])
    out = compare_drivers(model, model, X, X, seed=0, same_model=True)
    by = {i["node"]: i["reference"]["mean_abs"] for i in out["inputs"]}
    assert [i["node"] for i in out["inputs"]][:2] == ["a", "b"]
    assert by["a"] / by["b"] == pytest.approx(3, rel=0.25)
    assert by["c"] == pytest.approx(0, abs=1e-9)


def test_rows_are_bounded_and_intervals_hold_the_mean(windows) -> None:
    X, X2, y = windows
    model = _tree(X, y)
    out = compare_drivers(model, model, X, X2, seed=1, same_model=True)
    assert out["rows"] == {"reference": TREE_ROWS, "current": TREE_ROWS} and len(X) > TREE_ROWS
    for i in out["inputs"]:
        for w in ("reference", "current"):
            low, high = i[w]["ci"]
            assert low <= i[w]["mean_abs"] <= high
    means = [max(i["reference"]["mean_abs"], i["current"]["mean_abs"]) for i in out["inputs"]]
    assert means == sorted(means, reverse=True)
    assert compare_drivers(model, model, X, X2, seed=1, same_model=True) == out  # seeded


def test_multi_class_contributions_are_the_mean_over_classes() -> None:
    X = _inputs(0, 2000)
    cls = np.digitize(X["a"] + 0.3 * X["b"], [-0.5, 0.5])
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, cls)
    shap = drivers.load_shap()
    raw = shap.TreeExplainer(model).shap_values(X.to_numpy()[:50])
    mine = drivers.abs_contributions(shap, model, X.head(50), X.head(10), seed=0)
    assert np.allclose(mine, np.abs(raw).mean(axis=2))
    relabelled = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(
        X, np.digitize(X["c"], [-0.5, 0.5]))
    out = compare_drivers(model, relabelled, X, X, seed=0)
    assert out["logic_changed"][:1] in (["a"], ["c"]) and {"a", "c"} <= set(out["logic_changed"])


def test_category_inputs_go_through_the_permutation_explainer() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=1000), "kind": rng.choice(["p", "q", "r"], 1000).astype(object)})
    y = ((X["x"] + (X["kind"] == "r") * 1.5 + rng.normal(size=1000)) > 0.5).astype(int)
    prep = ColumnTransformer([("num", "passthrough", ["x"]), ("cat", OneHotEncoder(), ["kind"])])
    model = Pipeline([("prep", prep), ("logreg", LogisticRegression())]).fit(X, y)
    out = compare_drivers(model, model, X, X, seed=0, same_model=True)
    assert out["method"] == "PermutationExplainer"
    kind = next(i for i in out["inputs"] if i["node"] == "kind")
    assert kind["reference"]["mean_abs"] > 0.01


@settings(max_examples=10, deadline=None)
@given(scale=st.floats(0.2, 5.0), shift=st.floats(-2.0, 2.0), seed=st.integers(0, 1000))
def test_one_model_never_changes_its_logic_whatever_the_inputs_do(windows, scale, shift, seed) -> None:
    X, _X2, y = windows
    model = _tree_model(X, y)
    moved = _inputs(seed, 500).assign(b=lambda f: scale * f["b"] + shift)
    assert compare_drivers(model, copy.deepcopy(model), X, moved, seed=seed)["logic_changed"] == []


_TREES: dict[int, Pipeline] = {}


def _tree_model(X, y) -> Pipeline:
    """One fitted tree model per test session (hypothesis calls the test many times)."""
    if id(X) not in _TREES:
        _TREES[id(X)] = _tree(X, y)
    return _TREES[id(X)]


def test_without_shap_compare_drivers_says_how_to_install_it(monkeypatch, windows) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "shap", None)  # ``import shap`` raises ImportError
    assert drivers.load_shap() is None
    X, X2, y = windows
    with pytest.raises(ImportError, match=r"causal-rca\[explain\]"):
        compare_drivers(None, None, X, X2, seed=0)
