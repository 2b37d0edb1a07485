"""Attribution mechanisms: memoised predictions change nothing; the swapped node gets the change."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from causal_rca.causal import attribution as attr
from causal_rca.metrics import MetricSpec


def _draw(mech, parents: np.ndarray, seed: int) -> np.ndarray:
    np.random.seed(seed)
    return mech.draw_samples(parents).ravel()


def test_memoised_predictions_give_the_samples_of_a_fresh_fit() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2))
    y = X[:, 0] * 2 + np.sin(X[:, 1]) + rng.normal(scale=0.1, size=600)
    y[rng.random(600) < 0.1] = np.nan
    parents = rng.normal(size=(300, 2))
    for make in (attr.NullableRegressor, attr.CategorySampler):
        target = y if make is attr.NullableRegressor else np.where(np.isnan(y), np.nan, np.round(y).clip(-2, 2))
        memoised, fresh = make(3), make(3)
        memoised.fit(X, target)
        first = _draw(memoised, parents, 7)
        again = _draw(memoised, parents, 7)  # served from the memo
        fresh.fit(X, target)
        np.testing.assert_array_equal(first, again)
        np.testing.assert_array_equal(first, _draw(fresh, parents, 7))
        # other parent samples are predicted, not served from the memo
        assert not np.array_equal(_draw(memoised, parents + 5.0, 7), first)


def test_refit_forgets_memoised_predictions() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 1))
    mech = attr.NullableRegressor(0)
    mech.fit(X, X[:, 0] + rng.normal(scale=0.1, size=400))
    before = _draw(mech, X[:100], 2)
    mech.fit(X, 10 * X[:, 0] + rng.normal(scale=0.1, size=400))
    assert np.abs(_draw(mech, X[:100], 2)).mean() > 5 * np.abs(before).mean()


def test_the_swapped_mechanism_explains_the_change_of_a_mean() -> None:
    rng = np.random.default_rng(2)
    n = 3 * attr.FIT_ROWS  # beyond the fit cap: mechanisms learn from a sample
    a_ref, a_cur = rng.normal(size=n), rng.normal(size=n)
    b_ref = pd.Series(rng.normal(size=n))
    ref = pd.DataFrame({"a": a_ref, "b": b_ref, "y": a_ref + b_ref + rng.normal(scale=0.1, size=n)})
    cur = pd.DataFrame({"a": a_cur, "b": rng.normal(size=n), "y": a_cur + 3.0 + rng.normal(scale=0.1, size=n)})
    cur["y"] += cur["b"]
    graph = nx.DiGraph([("a", "y"), ("b", "y")])
    spec = MetricSpec(name="mean")
    result = attr.attribute_change(graph, "y", spec, ref, cur, {"y": ["y"], "a": ["a"]}, frozenset(), seed=0,
                                   rows_target=False)
    assert abs(result.modelled_change - 3.0) < 0.3
    assert abs(result.contributions["y"] - 3.0) < 0.3
    assert abs(result.contributions["a"]) < 0.2


def test_nodes_no_player_feeds_are_drawn_as_whole_pooled_rows() -> None:
    """Upstream of the change nothing is fitted: a and b come from the same pooled rows, so their
    correlation survives. y = a·b then y = 2·a·b: the change of the mean is E[a·b] = Var(u) ≈ 1,
    and it would be 0 if a and b were drawn apart."""
    rng = np.random.default_rng(3)
    n = 4000

    def window(factor: float) -> pd.DataFrame:
        u = rng.normal(size=n)
        a, b = u + rng.normal(scale=0.1, size=n), u + rng.normal(scale=0.1, size=n)
        return pd.DataFrame({"u": u, "a": a, "b": b, "y": factor * a * b + rng.normal(scale=0.05, size=n)})

    graph = nx.DiGraph([("u", "a"), ("u", "b"), ("a", "y"), ("b", "y")])
    swap, row_drawn = attr._swap_graph(graph, {"y"})
    assert row_drawn == ["a", "b"] and "u" not in swap
    assert set(swap.predecessors("y")) == {"a", "b"} and set(swap.predecessors("a")) == {attr.POOLED_ROW}
    result = attr.attribute_change(graph, "y", MetricSpec(name="mean"), window(1.0), window(2.0), {"y": ["y"]},
                                   frozenset(), seed=0, rows_target=False)
    assert abs(result.modelled_change - 1.0) < 0.25, result


def test_causal_models_are_built_as_dowhys_constructor_builds_them() -> None:
    """``attr.causal_model`` skips the constructor's import of dowhy.causal_model: same object state."""
    from dowhy.gcm import ProbabilisticCausalModel

    g = nx.DiGraph([("a", "b"), ("b", "c")])
    ours, theirs = attr.causal_model(g), ProbabilisticCausalModel(g)
    assert type(ours) is type(theirs) and vars(ours) == vars(theirs)


def test_dowhys_package_init_runs_only_when_its_own_names_are_asked_for() -> None:
    """The attribution imports dowhy.gcm without sympy; ``dowhy.CausalModel`` still works, in a fresh process."""
    import subprocess
    import sys

    code = ("import sys\nimport causal_rca.causal.attribution\nassert 'sympy' not in sys.modules, 'sympy'\n"
            "import dowhy\nfrom dowhy import CausalModel\nprint(dowhy.__version__, CausalModel.__name__)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split()[1] == "CausalModel"
