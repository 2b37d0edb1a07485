"""FMEA (`causal-rca risk`): scales, ranking, detection claims backed by real diagnoses, and its outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from causal_rca.history import store
from causal_rca.prevention.fmea import DETECTION, PRIOR, occurrence, risk_table, severity
from causal_rca.prevention.fmea_render import render_risk
from causal_rca.prevention.window import prepare
from tests.conftest import TINY_GRAPH, run_cli, tiny_frame

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "schemas" / "risk.schema.json"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("fmea")
    (base / "tiny.yaml").write_text(TINY_GRAPH.replace("    column: fx\n", "    column: fx\n    contract:\n"
                                                       "      max_null_rate: 0.05\n"))
    tiny_frame(3000, 1).to_csv(base / "ref.csv", index=False)
    return {"graph": base / "tiny.yaml", "reference": base / "ref.csv", "base": base}


@pytest.fixture(scope="module")
def table(files):
    setup = prepare(files["graph"], files["reference"], rows=1500, seed=0)
    return risk_table(setup, self_tests=2, seed=0)


def test_severity_scale() -> None:
    assert severity(True, 0.8, -0.2, True) == 6  # 25% lost: 1 + 5 steps of 5%
    assert severity(True, 0.8, -0.2, False) == 1  # within the noise
    assert severity(True, 0.8, +0.1, True) == 1  # better is no harm
    assert severity(False, 4.0, +4.0, True) == 10  # an error doubled
    assert severity(False, 4.0, +0.3, True) == 2


def test_occurrence_from_history(files, tmp_path) -> None:
    setup = prepare(files["graph"], files["reference"], rows=300)
    db = tmp_path / "h.sqlite"
    for node in ("fx", "fx", "x"):
        store.record(db, {"graph": "tiny", "target": "recall", "change": -0.1, "significant": True,
                          "causes": [{"node": node, "failure_mode": "scale_change"}]}, "why")
    history = store.records(db)
    prior = PRIOR[("feature", "scale_change")]
    assert occurrence(setup.graph, "fx", "scale_change", history) == (min(10, prior + 6),
                                                                      "2 of 3 recorded incidents of this graph")
    assert occurrence(setup.graph, "fx", "missing_values", history)[0] == PRIOR[("feature", "missing_values")] - 2
    assert occurrence(setup.graph, "fx", "scale_change", None) == (prior, "prior for a feature node (scale_change)")


def test_rows_are_ranked_by_rpn_and_validate(table) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    payload = json.loads(render_risk(table, "json"))
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(payload)
    rpns = [r.rpn for r in table.rows]
    assert rpns == sorted(rpns, reverse=True)
    assert all(r.rpn == r.severity * r.occurrence * r.detection for r in table.rows)
    assert {(r.node, r.mode) for r in table.rows} >= {("x", "missing_values"), ("fx", "pipeline_skew"),
                                                       ("model", "model_change"), ("y", "label_shift")}


def test_every_detection_claim_is_backed(table) -> None:
    tested = [r for r in table.rows if r.self_test is not None]
    assert 1 <= len(tested) <= 2
    for r in table.rows:
        assert r.detection == DETECTION[r.detected_by]
        if r.detected_by == "causal-rca":  # only a real diagnosis of the injected window can say so
            assert r.self_test["diagnosed"] and r.self_test["named_at_rank"] == 1
        if r.detected_by == "contract":
            assert r.contract_findings
        if r.detected_by == "watch":
            assert r.significant
    nulls = next(r for r in table.rows if (r.node, r.mode) == ("fx", "missing_values"))
    assert nulls.detected_by == "contract" and "max_null_rate" in nulls.contract_findings[0]


def test_the_top_row_says_what_to_add(table) -> None:
    top = table.rows[0]
    assert top.severity > 1 and top.cheapest_detection
    with_patch = [r for r in table.rows if r.patch]
    assert with_patch and all(r.cheapest_detection.startswith(f"add to {r.patch['node']}'s contract")
                              for r in with_patch)


def test_outputs(table) -> None:
    html = render_risk(table, "html")
    assert '<table class="heat">' in html and "<th>x</th>" in html and "rgb(255," in html
    md = render_risk(table, "markdown")
    assert "| RPN | S | O | D | node |" in md
    text = render_risk(table, "text")
    assert text.splitlines()[2].split()[:4] == ["RPN", "S", "O", "D"]


def test_risk_cli(files, capsys) -> None:
    code, out, err = run_cli(["risk", files["graph"], "--reference", files["reference"], "--rows", "800",
                              "--self-tests", "0", "--format", "markdown", "--quiet"], capsys)
    assert code == 0, err
    assert out.startswith("# FMEA: tiny, recall") and "not self-tested" in out
    assert "| causal-rca |" not in out  # no diagnosis run, so no claim that causal-rca names a fault
