"""Bad input found by the black-box fuzz audit (FINDINGS.md): one message, exit status 2, no traceback.

Each case crashed (a traceback, exit 1) or ran away (``--jobs 100000`` started that many processes)
before its fix.
"""

from __future__ import annotations

import pandas as pd
import pytest

from causal_rca.causal.workers import worker_count
from causal_rca.errors import InputError, ParameterError
from tests.conftest import run_cli

SEEDS_OUT_OF_RANGE = ["2147483648", str(2**40), "-1"]


@pytest.mark.parametrize("seed", SEEDS_OUT_OF_RANGE)
@pytest.mark.parametrize("command", ["why", "validate", "risk", "drill", "watch"])
def test_every_seed_option_refuses_seeds_the_generators_cannot_take(command: str, seed: str, tiny_files: dict,
                                                                    capsys) -> None:
    g, ref, cur = tiny_files["graph"], tiny_files["reference"], tiny_files["current"]
    args = {
        "why": ["why", "recall", "--graph", g, "--reference", ref, "--current", cur, "--quiet"],
        "validate": ["validate", g, "--data", ref, "--check-graph"],
        "risk": ["risk", g, "--reference", ref, "--self-tests", "0", "--quiet"],
        "drill": ["drill", g, "--reference", ref, "--node", "x", "--mode", "missing_values",
                  "--out", tiny_files["dir"] / "o.csv"],
        "watch": ["watch", g, "--data", ref, "--metric", "recall", "--quiet"],
    }[command]
    code, _out, err = run_cli([*args, "--seed", seed], capsys)
    assert code == 2, err
    assert "Traceback" not in err
    assert err.startswith("error: --seed must be a non-negative integer of at most 2147483647"), err


def test_the_largest_seed_is_accepted(tiny_files: dict, capsys) -> None:
    code, out, err = run_cli(["why", "recall", "--graph", tiny_files["graph"], "--reference",
                              tiny_files["reference"], "--current", tiny_files["current"], "--quiet",
                              "--jobs", "1", "--seed", "2147483647"], capsys)
    assert code == 0, err
    assert "recall" in out


def test_a_huge_jobs_starts_no_more_processes_than_tasks_or_cores() -> None:
    assert worker_count(4, 100000) <= 4
    assert worker_count(1000, 100000) <= 1000
    assert worker_count(0, 3) == 1
    assert worker_count(10, 1) == 1


def test_python_seed_above_the_generators_range_is_a_parameter_error(tiny_files: dict) -> None:
    from causal_rca import diagnose

    with pytest.raises(ParameterError, match=r"seed= must be a non-negative integer of at most"):
        diagnose(tiny_files["graph"], tiny_files["reference"], tiny_files["current"], "recall", seed=2**40)


@pytest.mark.parametrize("convert", [lambda s: s + 1j, lambda s: pd.to_timedelta(s, unit="s")],
                         ids=["complex", "timedelta"])
def test_dataframe_columns_of_complex_or_duration_dtype_are_refused(convert, tiny_files: dict) -> None:
    from causal_rca import diagnose

    ref = pd.read_csv(tiny_files["reference"])
    cur = pd.read_csv(tiny_files["current"])
    with pytest.raises(InputError, match="column 'x' has dtype .* which causal-rca cannot compare"):
        diagnose(tiny_files["graph"], ref.assign(x=convert(ref["x"])), cur.assign(x=convert(cur["x"])), "recall",
                 jobs=1)


def test_fit_flags_split_p_value_and_folders_are_checked(tiny_files: dict) -> None:
    from causal_rca import CausalRCA

    with pytest.raises(ParameterError, match="attribution= must be True or False"):
        CausalRCA(tiny_files["graph"], "recall").fit(tiny_files["reference"], attribution="no")
    rca = CausalRCA(tiny_files["graph"], "recall", jobs=1).fit(tiny_files["reference"])
    for bad in (2.0, "a", float("nan"), True):
        with pytest.raises(ParameterError, match="split_p_value= must be a p-value from 0 to 1"):
            rca.diagnose(tiny_files["current"], split_p_value=bad)
    with pytest.raises(ParameterError, match="folder= must be the path of a folder"):
        rca.save(tiny_files["graph"])
    with pytest.raises(ParameterError, match="folder= must be the path of a folder"):
        CausalRCA.load(5)


@pytest.mark.parametrize("baseline", ["0", "-3"])
def test_watch_names_a_wrong_baseline_rather_than_blaming_the_log(baseline: str, tiny_files: dict, capsys) -> None:
    code, _out, err = run_cli(["watch", tiny_files["graph"], "--data", tiny_files["reference"], "--metric", "recall",
                               "--baseline", baseline, "--quiet"], capsys)
    assert code == 2, err
    assert err.startswith(f"error: --baseline {baseline}: watching needs at least 5 baseline buckets"), err


def test_mape_refuses_a_label_of_zero_instead_of_a_huge_number(tiny_files: dict, capsys) -> None:
    graph = tiny_files["dir"] / "mape.yaml"
    graph.write_text(tiny_files["graph"].read_text().replace("metric: recall", "metric: mape"))
    cur = tiny_files["dir"] / "zero.csv"
    pd.read_csv(tiny_files["current"]).assign(y=0).to_csv(cur, index=False)
    code, _out, err = run_cli(["why", "recall", "--graph", graph, "--reference", tiny_files["reference"],
                               "--current", cur, "--quiet", "--jobs", "1"], capsys)
    assert code == 2, err
    assert "have the label 0: mape divides by the label, so mape is undefined" in err


def test_a_threshold_no_reference_score_reaches_is_reported(tiny_files: dict, capsys) -> None:
    """Fuzz audit row 14: ``threshold: 7`` over probabilities gave recall 0 → 0, "no significant change",
    with no word that the model flags nothing. The answer stands (a logit's threshold may be 7), with
    a warning that names the threshold and the scores' range."""
    graph = tiny_files["dir"] / "threshold.yaml"
    graph.write_text(tiny_files["graph"].read_text().replace("metric: recall", "metric: recall\n    threshold: 7"))
    code, out, err = run_cli(["why", "recall", "--graph", graph, "--reference", tiny_files["reference"],
                              "--current", tiny_files["current"], "--jobs", "1", "--format", "json"], capsys)
    assert code == 0, err
    assert "no labelled row of the reference window reaches the threshold (score >= 7" in out
    code, out, _err = run_cli(["why", "recall", "--graph", tiny_files["graph"], "--reference",
                               tiny_files["reference"], "--current", tiny_files["current"], "--jobs", "1",
                               "--format", "json"], capsys)
    assert code == 0 and "reaches the threshold" not in out



@pytest.mark.parametrize(("key", "where"), [("column", "    column: x\n"), ("freshness", "    column: fx\n"),
                                            ("version_column", "    column: score\n")])
def test_a_column_key_left_empty_is_refused_not_read_as_unobserved(key: str, where: str, tiny_files: dict,
                                                                   capsys) -> None:
    """Fuzz audit row 15: ``column:`` with no value silently made an observed source unobserved."""
    text = tiny_files["graph"].read_text()
    edited = text.replace(where, "    column:\n" if key == "column" else where + f"    {key}:\n")
    assert edited != text
    graph = tiny_files["dir"] / f"empty_{key}.yaml"
    graph.write_text(edited)
    code, _out, err = run_cli(["validate", graph], capsys)
    assert code == 2, err
    assert f"key '{key}': has no value: name the data column, or leave the key out" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["watch", "why"])
def test_a_record_file_that_is_not_a_history_is_refused_before_any_work(command: str, tiny_files: dict,
                                                                        capsys) -> None:
    """Fuzz audit row 17: ``watch --record garbage.csv`` with no alert exited 0 without looking at the file,
    and ``why`` found out only after the whole diagnosis (its report printed, then the error)."""
    garbage = tiny_files["dir"] / "garbage.csv"
    garbage.write_text("a,b\n1,2\n" * 200)
    args = (["watch", tiny_files["graph"], "--data", tiny_files["reference"], "--metric", "recall", "--every", "2h"]
            if command == "watch" else ["why", "recall", "--graph", tiny_files["graph"], "--reference",
                                        tiny_files["reference"], "--current", tiny_files["current"], "--jobs", "1"])
    code, out, err = run_cli([*args, "--quiet", "--record", garbage], capsys)
    assert code == 2, err
    assert err.startswith(f"error: history '{garbage}' cannot be used: file is not a database"), err
    assert out == ""
    code, out, err = run_cli([*args, "--quiet", "--record", tiny_files["dir"] / "new.sqlite"], capsys)
    assert code == 0, err
