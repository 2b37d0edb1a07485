"""Contract patches: every patch emitted for a scenario passes on its reference window and fails on its current one.

The scenarios' truth names the node that broke (read here, by the test, never by the engine);
``patch_for`` is asked about that node, and each patch is applied to the scenario's graph file
and checked the way ``validate --data`` checks it. The control scenarios must get no patch at
any node: a contract that fires on a healthy window would be noise.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from causal_rca.lineage import load_graph
from causal_rca.prevention.contract_patch import _nice_down, _nice_up, dbt_lines, patch_for, patched_graph_text
from causal_rca.scenarios import library
from causal_rca.windows.validate import check_table

SCENARIOS = [s.name for s in library.list_scenarios()]
# Faults a per-column contract cannot state: a new population, a new concept or label, another model,
# defaults or values inside the reference's range (scenario name -> why). Checked, not skipped.
NO_PATCH = {
    "card_chargeback_policy_change", "card_distance_history_zero_fill", "card_feature_store_outage_defaults",
    "card_new_digital_goods_merchants", "card_wrong_model_artifact", "churn_competitor_switching_offer",
    "concept_drift_stable_inputs", "credit_bad_finetune", "credit_broker_partnership",
    "credit_debt_zero_fill_at_serving", "credit_default_definition_60dpd", "credit_salaried_defaults_up_rate_flat",
    "credit_thin_file_policy", "eta_feature_store_timeouts", "eta_routing_distance_in_miles",
    "usedcar_heavier_trade_ins",
    # Multi-class and regression scenarios: a class merged into one the reference already has (every
    # label value stays allowed), a service with no column, a fine-tune.
    "catalog_garden_folded_into_furniture", "clinic_lab_feed_outage", "digits_finetune_forgets_eights",
}


def _truth_node(name: str) -> str | None:
    truth = library.load_truth(name)
    return truth.node or (truth.data_quality[0] if truth.data_quality else None)


@pytest.fixture(scope="module")
def emitted() -> dict[str, list]:
    out = {}
    for name in SCENARIOS:
        node = _truth_node(name)
        if node is None:
            continue
        frames = library.generate(name)
        graph = load_graph(library.get_scenario(name).graph_path)
        out[name] = (graph, frames, patch_for(graph, node, frames["reference"], frames["current"]))
    return out


@pytest.mark.parametrize("name", [n for n in SCENARIOS if _truth_node(n) is not None])
def test_every_patch_passes_reference_and_fails_current(name: str, emitted, tmp_path) -> None:
    graph, frames, patches = emitted[name]
    assert bool(patches) == (name not in NO_PATCH), [p.summary() for p in patches]
    new = [p for p in patches if p.keys]
    if not new:
        assert all(p.already_caught for p in patches)
        return
    path = tmp_path / "graph.yaml"
    path.write_text(patched_graph_text(library.get_scenario(name).graph_path.read_text(encoding="utf-8"), new))
    patched = load_graph(path)
    for label in ("reference", "current"):
        frames[label].to_csv(tmp_path / f"{label}.csv", index=False)
    ref = {(f.node, f.check) for f in check_table(patched, tmp_path / "reference.csv", "reference")[1]}
    cur = {(f.node, f.check) for f in check_table(patched, tmp_path / "current.csv", "current")[1]}
    for p in new:
        for key in p.keys:
            assert (p.node, key) not in ref, (p.node, key, "fails on the reference")
            assert (p.node, key) in cur, (p.node, key, "passes on the current window")
        assert p.verified and "verified" in p.summary()
        assert p.lineage_yaml.startswith(f"  {p.node}:\n    contract:\n")


def test_patches_apply_to_every_fault_scenario_a_contract_can_state(emitted) -> None:
    with_patch = sorted(n for n, (_g, _f, ps) in emitted.items() if ps)
    assert len(with_patch) == len(emitted) - len(NO_PATCH) >= 16, with_patch


@pytest.mark.parametrize("name", [n for n in SCENARIOS if _truth_node(n) is None])
def test_no_patch_fires_on_a_control(name: str) -> None:
    frames = library.generate(name)
    graph = load_graph(library.get_scenario(name).graph_path)
    fired = [p.summary() for n in graph.observed_nodes() for p in patch_for(graph, n, frames["reference"],
                                                                           frames["current"])]
    assert fired == []


def test_a_dbt_graph_gets_dbt_tests() -> None:
    text = ("version: 1\nname: shop\nx-source: dbt\nnodes:\n  orders_amount:\n    kind: source\n    column: amount\n"
            "    x-qualified-name: source.shop.raw.orders#amount\n  stg_country:\n    kind: feature\n"
            "    parents: [orders_amount]\n    column: country\n    freshness: loaded_at\n"
            "    x-qualified-name: model.shop.stg_orders#country\n")
    import yaml

    from causal_rca.lineage.loader import graph_from_yaml as load_graph_text

    graph = load_graph_text(text)
    source = yaml.safe_load(dbt_lines(graph, "orders_amount", {"max_null_rate": 0.0, "min": 0.0, "max": 90.0}))
    assert source["sources"][0]["tables"][0]["name"] == "orders"
    tests = source["sources"][0]["tables"][0]["columns"][0]["tests"]
    assert tests == ["not_null", {"dbt_utils.accepted_range": {"min_value": 0.0, "max_value": 90.0}}]
    model = yaml.safe_load(dbt_lines(graph, "stg_country", {"allowed": ["DE", "FR"], "max_staleness": "2h"}))
    column = model["models"][0]["columns"][0]
    assert model["models"][0]["name"] == "stg_orders" and column["name"] == "country"
    assert {"accepted_values": {"values": ["DE", "FR"]}} in column["tests"]
    assert {"dbt_utils.recency": {"datepart": "second", "field": "loaded_at", "interval": 7200}} in column["tests"]
    assert dbt_lines(load_graph_text(text.replace("x-source: dbt\n", "")), "orders_amount", {"min": 0.0}) is None


@given(st.floats(1e-6, 1e9))
def test_rounded_bounds_never_cut_into_the_reference(x: float) -> None:
    assert _nice_up(x) >= x and _nice_down(x) <= x
    assert _nice_up(-x) >= -x and _nice_down(-x) <= -x


def test_patch_json_round_trips(emitted) -> None:
    _g, _f, patches = emitted["schema_change_coerced_nulls"]
    (p,) = patches
    assert p.keys == {"dtype": "numeric"}
    assert json.loads(json.dumps(p.to_dict()))["current"]["findings"]["dtype"].startswith("2600 values")
