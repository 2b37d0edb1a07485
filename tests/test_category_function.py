"""Renamed categories at a computed node: the node's computation (pipeline_skew) or a mixed feed (schema_change)."""

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as hst

from causal_rca.causal.category_function import category_purity, with_category_purity
from causal_rca.causal.mechanism_result import MechanismResult
from causal_rca.diagnosis.classify import classify
from causal_rca.lineage import graph_from_dict
from causal_rca.signals.detect import Signal

LEVELS = ["strong_dem", "weak_dem", "indep", "weak_rep", "strong_rep"]

GRAPH = graph_from_dict({"version": 1, "name": "c", "nodes": {
    "party": {"kind": "source", "column": "party", "dtype": "categorical"},
    "party_code": {"kind": "feature", "parents": ["party"], "column": "party_code", "dtype": "categorical"},
    "m": {"kind": "model", "parents": ["party_code"], "column": "s"},
    "y": {"kind": "label", "parents": ["party"], "column": "y"},
    "r": {"kind": "metric", "parents": ["m", "y"], "metric": "recall"}}})


def windows(n: int, share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A passthrough feature; in the current window ``share`` of its rows written in upper case."""
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({"party": rng.choice(LEVELS, n)})
    ref["party_code"] = ref["party"]
    cur = pd.DataFrame({"party": rng.choice(LEVELS, n)})
    upper = rng.random(n) < share
    cur["party_code"] = np.where(upper, cur["party"].str.upper(), cur["party"])
    return ref, cur


def purity(ref: pd.DataFrame, cur: pd.DataFrame) -> dict[str, float]:
    return category_purity(ref["party_code"], ref[["party"]], cur["party_code"], cur[["party"]])


@settings(max_examples=30, deadline=None)
@given(hst.integers(200, 3000), hst.integers(0, 2**31))
def test_every_row_renamed_by_the_node_keeps_the_parents_purity(n, seed):
    m = purity(*windows(n, 1.0, seed))
    assert m["category_impurity_current"] == 0.0 and m["category_mixed_p"] >= 0.01


@settings(max_examples=30, deadline=None)
@given(hst.integers(500, 3000), hst.floats(0.2, 0.95), hst.integers(0, 2**31))
def test_a_share_of_rows_renamed_mixes_old_and_new_names_for_one_parent_value(n, share, seed):
    # the generator's schema_change renames 20-95% of the rows: the smaller side is >= 5% of them
    m = purity(*windows(n, share, seed))
    assert m["category_mixed_p"] < 0.01


def test_a_noisy_relation_renamed_on_every_row_is_as_impure_as_before():
    rng = np.random.default_rng(3)
    ref, cur = windows(4000, 1.0, 3)
    for frame in (ref, cur):  # 20% of rows take another level whatever the parent
        noise = rng.random(len(frame)) < 0.2
        frame.loc[noise, "party_code"] = rng.choice(LEVELS, int(noise.sum()))
    cur["party_code"] = cur["party_code"].str.upper()
    m = purity(ref, cur)
    assert m["category_impurity_reference"] > 0.1 and m["category_mixed_p"] >= 0.01


def test_a_continuous_parent_leaves_nothing_to_judge():
    rng = np.random.default_rng(0)
    x_ref, x_cur = rng.normal(size=1000), rng.normal(size=1000)
    band = lambda x: np.where(x > 0, "hi", "lo")  # noqa: E731
    assert category_purity(pd.Series(band(x_ref)), pd.DataFrame({"x": x_ref}),
                           pd.Series(np.char.upper(band(x_cur))), pd.DataFrame({"x": x_cur})) == {}


def signals(node: str) -> list[Signal]:
    return [Signal(node, name, 0.0, 1.0, 1e-12, 1.0, "", p_adjusted=1e-12)
            for name in ("new_categories", "renamed_categories", "vanished_categories")]


def changed(node: str, parents: tuple[str, ...]) -> MechanismResult:
    return MechanismResult(node, parents, "classification", 0.0, 1.0, "", p_adjusted=0.0)


def verdict(node: str, share: float) -> tuple:
    ref, cur = windows(3000, share, 11)
    mechanisms = {"party_code": changed("party_code", ("party",)),
                  "party": MechanismResult("party", (), "marginal", 0.0, 1.0, "", p_adjusted=0.0)}
    dtypes = {"party": "categorical", "party_code": "categorical"}
    if node == "party":  # the source itself renamed
        ref, cur = ref.assign(party=ref["party_code"]), cur.assign(party=cur["party_code"])
    measured = with_category_purity(GRAPH, mechanisms, signals(node), ref, cur, dtypes)
    return classify(GRAPH, node, signals(node), measured[node])


def test_a_feature_renamed_on_every_row_by_its_computation_is_pipeline_skew():
    """Development seeds 1004403, 1004719: serving upper-cases a passthrough, its parent unchanged."""
    mode, decided_by, alternatives = verdict("party_code", 1.0)
    assert mode == "pipeline_skew" and "category_purity" in decided_by
    assert [a for a, _ in alternatives] == ["schema_change"]


def test_a_feature_renamed_on_a_share_of_rows_stays_schema_change():
    mode, _, alternatives = verdict("party_code", 0.6)
    assert mode == "schema_change" and alternatives == []


def test_a_renamed_source_stays_schema_change():
    assert verdict("party", 1.0)[0] == "schema_change"


def test_without_the_purity_measure_a_renaming_stays_schema_change():
    assert classify(GRAPH, "party_code", signals("party_code"), changed("party_code", ("party",)))[0] == "schema_change"
