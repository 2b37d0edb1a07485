"""Reading windows through DuckDB: column selection, splits, profiles, seeded samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from causal_rca.errors import InputError
from causal_rca.lineage import graph_from_dict
from causal_rca.windows.frames import node_sample, resolve_dtypes
from causal_rca.windows.counts import window_counts
from causal_rca.windows.stats import logical_dtype, sample_frame, typed_expression
from causal_rca.windows.tables import open_windows

GRAPH = graph_from_dict({
    "version": 1, "name": "w", "time_column": "ts",
    "nodes": {
        "a": {"kind": "source", "column": "a"},
        "c": {"kind": "source", "column": "c"},
        "m": {"kind": "model", "parents": ["a", "c"], "column": "s"},
        "y": {"kind": "label", "parents": ["a"], "column": "y"},
        "r": {"kind": "metric", "parents": ["m", "y"], "metric": "recall"},
    },
})


def frame(n: int, start: str = "2026-01-01") -> pd.DataFrame:
    rng = np.random.default_rng(n)
    return pd.DataFrame({"ts": pd.date_range(start, periods=n, freq="h"), "a": rng.normal(size=n),
                         "c": rng.choice(["x", "y"], n), "s": rng.random(n), "y": rng.integers(0, 2, n),
                         "unused": "ignored"})


def test_only_named_columns_are_exposed() -> None:
    ref, _ = open_windows(GRAPH, frame(100), frame(100))
    assert set(ref.column_types) == {"ts", "a", "c", "s", "y"}


def test_split_on_time_column(tmp_path) -> None:
    path = tmp_path / "all.parquet"
    frame(200).to_parquet(path)
    ref, cur = open_windows(GRAPH, data=path, split="2026-01-05")
    assert ref.rows == 96 and cur.rows == 104


def test_mixed_object_column_loads_as_text_and_counts_coercion() -> None:
    cur = frame(100)
    cur["a"] = cur["a"].astype(object)
    cur.loc[:29, "a"] = "oops"
    ref, cur_w = open_windows(GRAPH, frame(100), cur)
    assert logical_dtype(cur_w.column_types["a"]) == "categorical"
    prof = window_counts(cur_w, {"a": ("a", "numeric")}, {"a": ["oops"]})["a"].profile
    assert prof.uncastable == 30 and prof.null_rate == pytest.approx(0.3)


def test_sample_is_seeded_and_bounded() -> None:
    ref, _ = open_windows(GRAPH, frame(1000), frame(100))
    a = {"a": typed_expression("a", None)}
    s1 = sample_frame(ref, a, 100, seed=3)
    s2 = sample_frame(ref, a, 100, seed=3)
    s3 = sample_frame(ref, a, 100, seed=4)
    assert len(s1) == 100 and s1.equals(s2) and not s1.equals(s3)


def test_node_sample_is_keyed_by_node_and_typed() -> None:
    ref, _ = open_windows(GRAPH, frame(100), frame(100))
    dtypes = resolve_dtypes(GRAPH, ref)
    assert dtypes == {"a": "numeric", "c": "categorical", "m": "numeric", "y": "numeric"}
    s = node_sample(ref, GRAPH, dtypes, 50, 0)
    assert {"a", "c", "m", "y"} <= set(s.columns)
    assert s["a"].dtype == float


@settings(max_examples=40, deadline=None)
@given(hs.integers(0, 29))
def test_fewer_than_30_rows_is_refused(n) -> None:
    with pytest.raises(InputError):
        open_windows(GRAPH, frame(100), frame(100).iloc[:n])


def test_missing_column_is_refused_with_closest_name() -> None:
    bad = frame(100).rename(columns={"a": "aa"})
    with pytest.raises(InputError, match="node 'a'.*'aa'"):
        open_windows(GRAPH, frame(100), bad)


def test_counts_of_a_whole_window_equal_a_full_group_by() -> None:
    """A window that fits in its sample: every count the signals read is a full group-by's."""
    from causal_rca.windows.counts import measure_counts
    from causal_rca.windows.frames import node_columns, node_samples

    cur = frame(800)
    cur.loc[::4, "a"] = 0.0  # a fallback default holding a quarter of the rows
    cur["s"] = (cur["s"] * 20).round() / 20  # a score of 21 levels: grouped fully
    ref_w, cur_w = open_windows(GRAPH, frame(800), cur)
    dtypes = resolve_dtypes(GRAPH, ref_w)
    (rs, rt), (cs, ct) = node_samples(ref_w, GRAPH, dtypes, 1000, 0), node_samples(cur_w, GRAPH, dtypes, 1000, 1)
    rc, cc = measure_counts(ref_w, cur_w, node_columns(GRAPH, dtypes), rt, ct)
    for node, column in (("a", "a"), ("m", "s"), ("c", "c")):
        full = cur[column].dropna().map(repr if cur[column].dtype == float else str).value_counts()
        expected = sorted(full.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        assert list(cc[node].top(3).items()) == expected
    assert cc["a"].profile.mode == "0.0" and cc["a"].profile.mode_count == 200
    assert rc["a"].share("0.0") == 0.0  # looked up in the reference too: absent there


def test_a_fallback_default_is_counted_exactly_beyond_the_sample() -> None:
    """A window larger than its sample: the repeated value's count is exact, not scaled from the sample."""
    from causal_rca.windows.counts import measure_counts
    from causal_rca.windows.frames import node_columns, node_samples

    cur = frame(5000)
    cur.loc[cur.index % 10 == 3, "a"] = -1.0
    ref_w, cur_w = open_windows(GRAPH, frame(5000), cur)
    dtypes = resolve_dtypes(GRAPH, ref_w)
    (rs, rt), (cs, ct) = node_samples(ref_w, GRAPH, dtypes, 300, 0), node_samples(cur_w, GRAPH, dtypes, 300, 1)
    _rc, cc = measure_counts(ref_w, cur_w, node_columns(GRAPH, dtypes), rt, ct)
    assert cc["a"].profile.mode == "-1.0" and cc["a"].profile.mode_count == 500


def test_other_engines_numbers_are_respelled_as_duckdb_writes_them() -> None:
    from causal_rca.windows.stats import _respell

    assert _respell("1.6655806477733606E-4", "f") == "0.00016655806477733606"
    assert _respell("1.0E20", "f") == "1e+20" and _respell("TRUE", "b") == "true" and _respell("007", "i") == "7"


def test_globs_are_read_and_a_glob_matching_nothing_is_refused(tmp_path) -> None:
    for i in range(2):
        frame(100, start=f"2026-0{i + 1}-01").to_parquet(tmp_path / f"part{i}.parquet")
    ref, _ = open_windows(GRAPH, str(tmp_path / "part*.parquet"), frame(100))
    assert ref.rows == 200
    with pytest.raises(InputError, match="no file matches"):
        open_windows(GRAPH, str(tmp_path / "nothing*.parquet"), frame(100))
    with pytest.raises(InputError, match="is a directory"):
        open_windows(GRAPH, tmp_path, frame(100))


def test_duckdb_draws_no_progress_bar_on_standard_output() -> None:
    """Standard output holds the diagnosis; DuckDB's own bar for long queries would corrupt the JSON."""
    from causal_rca.windows.engines import connect

    assert connect("duckdb").raw_sql("SELECT current_setting('enable_progress_bar')").fetchone()[0] is False


def test_nan_in_a_parquet_float_column_is_a_null(tmp_path) -> None:
    """NumPy writes a lost float as NaN, which the engine counts as a value: read as a null everywhere,
    so counts, samples and the null-rate signal agree on what is missing."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from causal_rca.windows.counts import measure_counts
    from causal_rca.windows.frames import node_columns, node_samples

    cur = frame(600)
    lost = np.r_[[True, False, False] * 200]
    paths = []
    for name, f in (("ref", frame(600)), ("cur", cur)):
        table = pa.Table.from_pandas(f.drop(columns="unused"), preserve_index=False)
        if name == "cur":  # NaN written as a float value, not as a Parquet null
            a = np.where(lost, np.nan, f["a"].to_numpy())
            table = table.set_column(table.schema.get_field_index("a"), "a", pa.array(a, from_pandas=False))
        pq.write_table(table, tmp_path / f"{name}.parquet")
        paths.append(tmp_path / f"{name}.parquet")
    ref_w, cur_w = open_windows(GRAPH, *paths)
    dtypes = resolve_dtypes(GRAPH, ref_w)
    (rs, rt), (cs, ct) = node_samples(ref_w, GRAPH, dtypes, 1000, 0), node_samples(cur_w, GRAPH, dtypes, 1000, 1)
    _rc, cc = measure_counts(ref_w, cur_w, node_columns(GRAPH, dtypes), rt, ct)
    assert cc["a"].profile.nulls == 200 and cc["a"].profile.uncastable == 0
    assert "nan" not in cc["a"].values and cs["a"].isna().sum() == 200


def test_beyond_its_sample_a_window_counts_repeated_numbers_from_their_typed_sample() -> None:
    """A window larger than its sample: numbers are not read as text; a fallback default the sample
    repeats is counted exactly, and a continuous column (every sampled value once) is not looked up."""
    from causal_rca.windows.counts import measure_counts
    from causal_rca.windows.frames import node_columns, node_samples

    cur = frame(5000)
    cur.loc[cur.index % 10 == 3, "a"] = -1.0
    cur["y"] = cur["y"].astype(int)
    ref_w, cur_w = open_windows(GRAPH, frame(5000), cur)
    dtypes = resolve_dtypes(GRAPH, ref_w)
    (rs, rt) = node_samples(ref_w, GRAPH, dtypes, 300, 0, numbers_as_text=False)
    (cs, ct) = node_samples(cur_w, GRAPH, dtypes, 300, 1, numbers_as_text=False)
    assert "a" not in ct.columns and "a" in cs.columns
    rc, cc = measure_counts(ref_w, cur_w, node_columns(GRAPH, dtypes), rt, ct, rs, cs, repeated_only=True)
    assert cc["a"].profile.mode == "-1.0" and cc["a"].profile.mode_count == 500
    assert rc["a"].profile.mode is None and rc["a"].values == {}  # continuous: nothing repeated, nothing looked up
    assert cc["y"].complete and set(cc["y"].values) == {"0", "1"}  # integers spelled as the engine writes them
