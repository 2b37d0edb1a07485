"""A saved diagnosis is the diagnosis: JSON → ``Diagnosis.from_json`` → the same reports, no rerun.

Also the typed result's conveniences: short reprs, the pandas tables, the
report files, and the model-aware findings as records.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest

from causal_rca import Diagnosis, InputError, ModelFindings, Replay
from causal_rca.render import render
from causal_rca.scenarios import get_scenario

# A fault, a fault found by its children (an unobserved service), a control.
SCENARIOS = ["schema_change_coerced_nulls", "eta_feature_store_timeouts", "no_fault_control"]
FORMATS = ("text", "markdown", "html", "json")


@pytest.mark.parametrize("name", SCENARIOS)
def test_reports_from_the_json_are_the_reports_of_the_diagnosis(name, scenario_diagnoses) -> None:
    d = scenario_diagnoses.scenario(get_scenario(name))
    again = Diagnosis.from_json(d.to_json(), graph=d.lineage)
    for fmt in FORMATS:
        assert render(again, fmt) == render(d, fmt), fmt
    # Without the graph: the same reports as the diagnosis without its graph (no diagrams, no description).
    bare = Diagnosis.from_json(d.to_json())
    assert bare.lineage is None
    for fmt in FORMATS:
        assert render(bare, fmt) == render(replace(d, lineage=None, description=None), fmt), fmt


def test_model_findings_survive_the_round_trip(model_diagnoses) -> None:
    case = model_diagnoses.case("card_wrong_model_artifact")
    d = model_diagnoses.diagnosis("card_wrong_model_artifact")
    assert isinstance(d.model_aware, ModelFindings) and d.model_aware.golden.dropped
    assert isinstance(d.causes[0].replay, Replay)
    again = Diagnosis.from_json(d.to_json(), graph=case.graph)
    assert again.model_aware.golden == Diagnosis.from_json(again.to_json()).model_aware.golden
    assert again.causes[0].replay.matches_reference == d.causes[0].replay.matches_reference
    for fmt in FORMATS:
        assert render(again, fmt) == render(d, fmt), fmt


def test_from_json_reads_a_file_and_names_it_in_errors(scenario_diagnoses, tmp_path) -> None:
    d = scenario_diagnoses.scenario(get_scenario("schema_change_coerced_nulls"))
    path = tmp_path / "d.json"
    path.write_text(d.to_json(), encoding="utf-8")
    assert Diagnosis.from_json(path).to_json() == d.to_json()
    assert Diagnosis.from_json(str(path)).to_json() == d.to_json()
    with pytest.raises(InputError, match="cannot read diagnosis"):
        Diagnosis.from_json(tmp_path / "missing.json")
    broken = json.loads(d.to_json())
    del broken["causes"]
    with pytest.raises(InputError, match="missing field 'causes'"):
        Diagnosis.from_json(json.dumps(broken))
    other = get_scenario("no_fault_control").graph_path
    if str(other) != str(get_scenario("schema_change_coerced_nulls").graph_path):
        with pytest.raises(InputError, match="diagnoses graph|names nodes"):
            Diagnosis.from_json(path, graph=get_scenario("eta_feature_store_timeouts").graph_path)


def test_repr_is_one_line_with_the_verdict(scenario_diagnoses) -> None:
    d = scenario_diagnoses.scenario(get_scenario("schema_change_coerced_nulls"))
    text = repr(d)
    assert "\n" not in text and len(text) < 200
    assert text.startswith(f"<Diagnosis {d.graph}/{d.target}:") and "merchant_category (schema_change)" in text
    control = scenario_diagnoses.scenario(get_scenario("no_fault_control"))
    assert "not significant" in repr(control) and "cause" not in repr(control)
    assert repr(d.causes[0]).startswith("Cause(rank=1, node='merchant_category'")


def test_tables(scenario_diagnoses) -> None:
    d = scenario_diagnoses.scenario(get_scenario("schema_change_coerced_nulls"))
    causes = d.causes_frame()
    assert list(causes.index) == [c.rank for c in d.causes]
    assert causes["node"].tolist() == [c.node for c in d.causes]
    assert causes["recovered_share"].isna().all()  # no model artifact in this scenario
    row = d.to_frame()
    assert len(row) == 1 and row.loc[0, "top_cause"] == "merchant_category" and row.loc[0, "change"] == d.change
    control = scenario_diagnoses.scenario(get_scenario("no_fault_control"))
    assert control.causes_frame().empty and list(control.causes_frame().columns) == list(causes.columns)
    both = pd.concat([d.to_frame(), control.to_frame()], ignore_index=True)
    assert both["significant"].tolist() == [True, False] and both["top_cause"].isna().tolist() == [False, True]


def test_report_files(scenario_diagnoses, tmp_path) -> None:
    d = scenario_diagnoses.scenario(get_scenario("schema_change_coerced_nulls"))
    d.save_markdown(tmp_path / "sub" / "r.md")
    d.save_html(tmp_path / "r.html")
    assert (tmp_path / "sub" / "r.md").read_text(encoding="utf-8") == render(d, "markdown")
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == render(d, "html")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="cannot write"):
        d.save_markdown(tmp_path / "file" / "r.md")
