"""Arguments are checked at the top of the public call and named in the caller's language."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from causal_rca.arguments import check_diagnose_arguments, check_windows, split_time
from causal_rca.errors import InputError, ParameterError
from tests.conftest import run_cli

NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
WORDS = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12).filter(lambda w: w != "True")  # True: a bare flag


@given(NAMES, NAMES, WORDS)
def test_a_parameter_reads_as_python_or_as_a_flag(first: str, second: str, word: str) -> None:
    exc = ParameterError(f"{{{first}}} needs {{{second}={word}}} here")
    assert str(exc) == f"{first}= needs {second}={word} here"
    assert exc.as_flags() == f"--{first.replace('_', '-')} needs --{second.replace('_', '-')} {word} here"
    assert exc.as_flags({first: "FIRST"}).startswith("FIRST needs")
    assert exc.parameters == tuple(dict.fromkeys((first, second)))
    assert isinstance(exc, ValueError)


def test_flags_read_like_a_shell() -> None:
    assert ParameterError("{trust_model=True} allows it").as_flags() == "--trust-model allows it"
    assert ParameterError("{split='auto'}").as_flags() == "--split auto"
    assert ParameterError("{split='2026-01-01 12:00'} x").as_flags() == "--split '2026-01-01 12:00' x"
    assert str(ParameterError("no {braces here")) == "no {braces here"


BASE = dict(graph="g.yaml", reference="r.csv", current="c.csv", metric="recall", data=None, split=None, seed=0,
            sample_rows=20_000, progress=None, engine="duckdb", spark_master=None, jobs=None, trust_model=False,
            golden=None, training=None, estimate=False)


@pytest.mark.parametrize("change,message", [
    (dict(jobs=0), "jobs= must be a positive number of processes"),
    (dict(jobs=-2), "jobs= must be a positive number"),
    (dict(jobs=1.5), "jobs= must be a positive number"),
    (dict(seed=True), "seed= must be a non-negative integer"),
    (dict(sample_rows=99), "sample_rows= must be an integer of at least 100"),
    (dict(reference=None), "give both reference= and current= tables"),
    (dict(data="log.csv"), "give either data= with split=, or reference= and current=, not both"),
    (dict(reference=None, current=None, data="log.csv"), "data= needs split=TIMESTAMP"),
    (dict(reference=None, current=None, data="log.csv", split="soon"), "split='soon' is not a timestamp"),
    (dict(split="2026-01-01"), "split= splits one table in time"),
    (dict(training=3), "training= must be a CSV or Parquet path or a pandas DataFrame, not int"),
    (dict(spark_master="local[2]"), "spark_master= needs engine='spark'"),
    (dict(trust_model="no"), "trust_model= must be True or False"),
])
def test_each_argument_is_checked_before_any_work(change, message) -> None:
    # The files do not exist: a check that read them would fail with another message.
    with pytest.raises(ParameterError) as raised:
        check_diagnose_arguments(**{**BASE, **change})
    assert message in str(raised.value)


def test_good_arguments_pass() -> None:
    check_diagnose_arguments(**BASE)
    check_diagnose_arguments(**{**BASE, "reference": None, "current": None, "data": pd.DataFrame({"a": [1]}),
                                "split": datetime(2026, 1, 1), "jobs": 2, "progress": print})
    check_windows(None, None, "log.csv", "auto")
    assert split_time("2026-01-01T12:00") == pd.Timestamp("2026-01-01 12:00")


def test_diagnose_refuses_jobs_zero_before_reading(tmp_path) -> None:
    from causal_rca.api import diagnose

    with pytest.raises(InputError, match="jobs= must be a positive number"):
        diagnose(tmp_path / "missing.yaml", tmp_path / "r.csv", tmp_path / "c.csv", "recall", jobs=0)


def test_the_command_line_names_its_flags(tiny_files, capsys) -> None:
    code, _, err = run_cli(["why", "recall", "--graph", tiny_files["graph"], "--data", tiny_files["reference"]],
                           capsys)
    assert code == 2 and err.startswith("error: --data needs --split TIMESTAMP (or --split auto)")
