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


@pytest.mark.parametrize("zone", [None, "UTC"])
def test_times_with_nanoseconds_are_read_not_refused(zone) -> None:
    """pandas keeps nanoseconds (a float of seconds turned into a time has them); the engine's unit is the
    microsecond and it refused the frame ("would lose data") instead of reading it."""
    cur = frame(100)
    cur["ts"] = cur["ts"] + pd.to_timedelta(np.linspace(0, 1, 100) * 1e-3 + 1.23456789e-7, unit="s")
    if zone:
        cur["ts"] = cur["ts"].dt.tz_localize(zone)
    _ref, cur_w = open_windows(GRAPH, frame(100), cur)
    assert cur_w.rows == 100
    sample = node_sample(cur_w, GRAPH, resolve_dtypes(GRAPH, cur_w), 100, 0)
    assert np.isfinite(sample["__time"].to_numpy(float)).all()  # the times are read, not lost


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


@pytest.mark.parametrize("rows, sample", [(800, 1000), (3000, 300)])
def test_the_fitted_reference_counts_are_the_counts_of_a_fresh_query(rows: int, sample: int) -> None:
    """``fit_counts`` learns the reference's counts once; a diagnosis takes the nodes it asks the same way
    from there and counts only the others (here ``a``, where the current sample adds its fallback value)."""
    from causal_rca.windows.counts import fit_counts, measure_counts
    from causal_rca.windows.frames import node_columns, node_samples

    cur = frame(rows)
    cur.loc[::4, "a"] = 0.0
    ref_w, cur_w = open_windows(GRAPH, frame(rows), cur)
    dtypes = resolve_dtypes(GRAPH, ref_w)
    columns, beyond = node_columns(GRAPH, dtypes), rows > sample
    (rs, rt) = node_samples(ref_w, GRAPH, dtypes, sample, 0, numbers_as_text=not beyond)
    (cs, ct) = node_samples(cur_w, GRAPH, dtypes, sample, 1, numbers_as_text=not beyond)
    fitted = fit_counts((ref_w, rt, rs), columns, repeated_only=beyond)
    fresh, _ = measure_counts(ref_w, cur_w, columns, rt, ct, rs, cs, repeated_only=beyond)
    kept, _ = measure_counts(ref_w, cur_w, columns, rt, ct, rs, cs, repeated_only=beyond, fitted=fitted)
    assert list(kept) == list(fresh) and kept == fresh
    reused = {node for node in kept if any(kept[node] is c for c in fitted.values())}
    assert reused == set(columns) - {"a"}


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


@pytest.mark.parametrize("zone", [None, "UTC"])
def test_a_split_with_an_offset_splits_at_the_same_instant_as_in_utc(tmp_path, zone) -> None:
    """``05:00+02:00`` is ``03:00Z``: same windows on a log with or without a zone; a log without one
    is assumed to be UTC, and the windows say so (the diagnosis repeats their warnings)."""
    log = frame(200)
    log["ts"] = log["ts"].dt.tz_localize(zone)
    log.to_parquet(tmp_path / "log.parquet")
    splits = [open_windows(GRAPH, data=tmp_path / "log.parquet", split=split)
              for split in ("2026-01-05T05:00+02:00", "2026-01-05T03:00Z")]
    assert {(ref.rows, cur.rows) for ref, cur in splits} == {(99, 101)}
    for ref, cur in splits:
        assert ref.warnings == cur.warnings and bool(ref.warnings) == (zone is None)
        assert all("assumed to be UTC" in w for w in ref.warnings)


def test_the_split_warning_reaches_the_diagnosis(tiny_files) -> None:
    from causal_rca.api import diagnose

    d = diagnose(tiny_files["graph"], data=tiny_files["reference"], split="2026-01-01T21:00+02:00",
                 metric="recall", sample_rows=500)
    assert d.reference.rows == 19 * 60 and any("assumed to be UTC" in w for w in d.warnings)


@pytest.mark.parametrize("values, kind", [((9223372036854775000, 9223372036854775001), "int64"),
                                          ((18446744073709551000, 18446744073709551001), "uint64")])
def test_integers_that_differ_beyond_float_precision_are_not_constant(tiny_files, values, kind) -> None:
    """Both values are one float64: read through floats, the node would be called constant."""
    from causal_rca.api import diagnose
    from tests.conftest import tiny_frame

    assert float(values[0]) == float(values[1])
    windows = []
    for seed in (1, 4):
        f = tiny_frame(600, seed)
        f["x"] = np.array(values, dtype=kind)[np.arange(600) % 2]
        windows.append(f)
    d = diagnose(tiny_files["graph"], *windows, "recall", sample_rows=500)
    assert not any("'x' is constant" in w for w in d.warnings), d.warnings
    for f in windows:
        f["x"] = np.array(values[:1] * 600, dtype=kind)
    d = diagnose(tiny_files["graph"], *windows, "recall", sample_rows=500)
    assert any("'x' is constant" in w for w in d.warnings), d.warnings


def test_a_repeated_integer_beyond_the_sample_is_spelled_as_an_integer() -> None:
    """Integers counted from their typed (float) sample are spelled ``7``, as the engine writes them."""
    from causal_rca.windows.counts import measure_counts
    from causal_rca.windows.frames import node_columns, node_samples

    ref, cur = frame(5000), frame(5000)
    for f in (ref, cur):
        f["a"] = np.arange(5000, dtype="int64") * 1000
        f.loc[f.index % 10 == 3, "a"] = 7
    ref_w, cur_w = open_windows(GRAPH, ref, cur)
    dtypes = resolve_dtypes(GRAPH, ref_w)
    rs, rt = node_samples(ref_w, GRAPH, dtypes, 300, 0, numbers_as_text=False)
    cs, ct = node_samples(cur_w, GRAPH, dtypes, 300, 1, numbers_as_text=False)
    _rc, cc = measure_counts(ref_w, cur_w, node_columns(GRAPH, dtypes), rt, ct, rs, cs, repeated_only=True)
    assert cc["a"].profile.mode == "7" and cc["a"].profile.mode_count == 500


def test_csv_files_of_a_glob_are_aligned_by_column_name(tmp_path) -> None:
    """A second file with its columns in another order: read by name, every column keeps its type."""
    log = frame(200).drop(columns="unused")
    log.iloc[:100].to_csv(tmp_path / "part0.csv", index=False)
    log.iloc[100:][list(reversed(log.columns))].to_csv(tmp_path / "part1.csv", index=False)
    log.to_csv(tmp_path / "whole.csv", index=False)
    ref, whole = open_windows(GRAPH, str(tmp_path / "part*.csv"), tmp_path / "whole.csv")
    assert ref.rows == 200 and ref.column_types == whole.column_types
    sample = sample_frame(ref, {"s": typed_expression("s", None)}, 1000, 0)
    assert np.allclose(sample["s"].to_numpy(dtype=float), log["s"].to_numpy())


def test_a_glob_whose_files_lack_a_needed_column_is_refused(tmp_path) -> None:
    log = frame(200)
    log.iloc[:100].to_csv(tmp_path / "part0.csv", index=False)
    log.iloc[100:].drop(columns="s").to_csv(tmp_path / "part1.csv", index=False)
    with pytest.raises(InputError, match=r"column 's' is missing from \S*part1\.csv \(the other files"):
        open_windows(GRAPH, str(tmp_path / "part*.csv"), frame(100))
    log.iloc[100:].drop(columns="unused").to_csv(tmp_path / "part1.csv", index=False)  # not needed: read
    assert open_windows(GRAPH, str(tmp_path / "part*.csv"), frame(100))[0].rows == 200


def test_pipes_and_devices_are_refused_before_being_opened(tmp_path, tiny_files) -> None:
    """Reading a named pipe waits for a writer forever: a regression must fail here, not hang."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    os.mkfifo(tmp_path / "pipe.csv")
    args = [sys.executable, "-m", "causal_rca", "why", "recall", "--graph", str(tiny_files["graph"]),
            "--reference", str(tiny_files["reference"]), "--current"]
    root = Path(__file__).resolve().parents[1]
    for current in (tmp_path / "pipe.csv", tmp_path / "pi*.csv"):
        proc = subprocess.run([*args, str(current)], capture_output=True, text=True, timeout=60, cwd=root)
        assert proc.returncode == 2 and "is not a regular file" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
    with pytest.raises(InputError, match="is not a regular file"):
        open_windows(GRAPH, "/dev/zero", frame(100))


def test_names_holding_glob_characters_are_read_as_files_first(tmp_path) -> None:
    """``ref[1].csv`` and ``what?.csv`` are file names when such files exist (and only those files are
    read, not ``ref1.csv`` or ``whatX.csv``); otherwise they are patterns, which must match something."""
    frame(100).to_csv(tmp_path / "ref[1].csv", index=False)
    frame(40).to_csv(tmp_path / "ref1.csv", index=False)
    frame(60).to_csv(tmp_path / "what?.csv", index=False)
    frame(40).to_csv(tmp_path / "whatX.csv", index=False)
    ref, cur = open_windows(GRAPH, str(tmp_path / "ref[1].csv"), str(tmp_path / "what?.csv"))
    assert (ref.rows, cur.rows) == (100, 60)
    ref, cur = open_windows(GRAPH, str(tmp_path / "ref?1?.csv"), str(tmp_path / "wh?t[X].csv"))
    assert (ref.rows, cur.rows) == (100, 40)
    with pytest.raises(InputError, match="no file matches this pattern"):
        open_windows(GRAPH, str(tmp_path / "who?.csv"), frame(100))


def test_a_csv_window_is_read_once_when_opened(tmp_path) -> None:
    """Every statistic is asked of the table loaded on open: the file is not read again."""
    from causal_rca.windows.stats import value_counts

    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    frame(100).to_csv(ref, index=False)
    frame(120).to_csv(cur, index=False)
    ref_w, cur_w = open_windows(GRAPH, ref, cur)
    ref.unlink()
    cur.unlink()
    assert (ref_w.rows, cur_w.rows) == (100, 120)
    assert value_counts(cur_w, {"c": "c"}, {})["c"] == frame(120)["c"].value_counts().to_dict()
    assert len(node_sample(ref_w, GRAPH, resolve_dtypes(GRAPH, ref_w), 50, 0)) == 50


def test_a_csv_window_loaded_in_one_statement_is_the_table_the_general_path_loads(tmp_path) -> None:
    """``tables._load_csv`` (one sniff of the file) and the general path (``read_table`` then
    ``_load_once``) give the same columns, types and rows in the same order, a late type change included."""
    from causal_rca.windows import tables
    from causal_rca.windows.engines import connect

    data = frame(300)
    data["a"] = data["a"].astype(object)
    data.loc[290, "a"] = "late text"  # seen as text only when every row is sniffed
    path = tmp_path / "ref[1].csv"
    data.to_csv(path, index=False)
    backend = connect()
    fast = tables._load_csv(backend, path, GRAPH.columns())
    general = tables._load_once(backend, tables.read_table(backend, path, "reference", keep=GRAPH.columns()),
                                path, "reference", GRAPH.columns())
    assert fast is not None and fast.schema() == general.schema() and fast.schema()["a"].is_string()
    assert fast.to_pandas().equals(general.to_pandas())


def test_a_csv_column_named_in_another_case_is_refused_as_before(tmp_path) -> None:
    """DuckDB matches column names regardless of case, the graph's check does not: the one-statement
    load gives way to the general path, which names the column."""
    path = tmp_path / "ref.csv"
    frame(100).rename(columns={"s": "S"}).to_csv(path, index=False)
    with pytest.raises(InputError, match="column 's' not found in reference"):
        open_windows(GRAPH, path, frame(100))


def test_value_counts_of_many_columns_of_mixed_types_equal_per_column_group_bys() -> None:
    """Columns are counted together, unpivoted by stored type: each gets exactly its own group-by."""
    from causal_rca.windows.stats import value_counts

    rng = np.random.default_rng(3)
    n = 400
    data = {f"f{i}": rng.integers(0, 4 + i, n) * 0.5 for i in range(6)}
    data |= {f"i{i}": rng.integers(0, 3 + i, n) for i in range(4)}
    data |= {f"t{i}": rng.choice(["u", "v", "w", f"z{i}"], n) for i in range(3)}
    data |= {"b0": rng.random(n) < 0.3, "f0": np.where(rng.random(n) < 0.2, np.nan, data["f0"])}
    wide = pd.DataFrame(data)
    nodes = {c: {"kind": "source", "column": c} for c in wide.columns}
    wide["score"], wide["label"] = rng.random(n), rng.integers(0, 2, n)
    nodes |= {"m": {"kind": "model", "parents": ["f1"], "column": "score"},
              "y": {"kind": "label", "parents": ["f1"], "column": "label"},
              "r": {"kind": "metric", "parents": ["m", "y"], "metric": "recall"}}
    g = graph_from_dict({"version": 1, "name": "wide", "nodes": nodes})
    w, _ = open_windows(g, wide, wide)

    def spelled(v) -> str:
        return ("true" if v else "false") if isinstance(v, (bool, np.bool_)) else (
            repr(float(v)) if isinstance(v, float) else str(v))

    tables = {c: c for c in data if c != "f5"}
    asked = ["1.0", "2.5", "7", "nope"]
    counted = value_counts(w, tables, {"lookup": ("f5", asked), "bools": ("b0", ["True", "x"])}, limit=3)
    for column in tables:
        full = wide[column].dropna().map(spelled).value_counts()
        assert list(counted[column].items()) == sorted(full.items(), key=lambda kv: (-kv[1], kv[0]))[:3], column
    f5 = wide["f5"].map(spelled).value_counts()
    assert counted["lookup"] == {t: int(f5[t]) for t in sorted(f5.index) if t in ("1.0", "2.5", "7.0")}
    assert counted["bools"] == {"true": int(wide["b0"].sum())}
