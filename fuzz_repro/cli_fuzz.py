"""Black-box fuzz harness: builds inputs under fuzz_repro/, runs the CLI, records rc/traceback.

Run: python3 fuzz_repro/cli_fuzz.py [CASE ...]; a line starting with !! needs a look (FINDINGS.md).
"""
import subprocess, sys, os, time, json, shutil, pathlib
import numpy as np, pandas as pd
WT = "/work/wt-fuzz"; R = pathlib.Path(WT) / "fuzz_repro"; B = pathlib.Path("/tmp/fz/base")
R.mkdir(exist_ok=True)
if B.exists():  # the base case; already in fuzz_repro/ otherwise
    for f in ["graph.yaml", "ref.csv", "cur.csv"]:
        shutil.copy(B / f, R / f)
if not pathlib.Path("/tmp/fz/qs/manifest.json").exists():  # the import cases read the quickstart's lineage files
    subprocess.run([sys.executable, "-m", "causal_rca", "quickstart", "/tmp/fz/qs"], cwd=WT, capture_output=True,
                   env={**os.environ, "PYTHONPATH": WT})
G = (R / "graph.yaml").read_text()
ref = pd.read_csv(R / "ref.csv"); cur = pd.read_csv(R / "cur.csv")

def w(name, text): (R / name).write_text(text); return f"fuzz_repro/{name}"
def wb(name, data): (R / name).write_bytes(data); return f"fuzz_repro/{name}"
def wdf(name, df):
    p = R / name
    if name.endswith(".parquet"): df.to_parquet(p, index=False)
    else: df.to_csv(p, index=False)
    return f"fuzz_repro/{name}"
def why(graph="fuzz_repro/graph.yaml", r="fuzz_repro/ref.csv", c="fuzz_repro/cur.csv", metric="recall", extra=()):
    a = ["why", metric, "--graph", graph]
    if r: a += ["--reference", r]
    if c: a += ["--current", c]
    return a + ["--jobs", "1", "--quiet"] + list(extra)
def g(repl_from, repl_to, name):
    assert repl_from in G, repl_from
    return w(name, G.replace(repl_from, repl_to))

cases = []
def case(name, args, expect=2): cases.append((name, args, expect))

# ---- YAML / graph
case("yaml_broken", why(w("g_broken.yaml", G + "\n  bad: [unclosed\n")))
case("yaml_tabs", why(w("g_tabs.yaml", G.replace("    kind: source\n    column: x1", "\tkind: source\n\tcolumn: x1"))))
case("yaml_dupkey", why(g("    column: x1\n", "    column: x1\n    column: x1\n", "g_dupkey.yaml")))
case("yaml_dupnode", why(w("g_dupnode.yaml", G + "  x1:\n    kind: source\n    column: x1b\n")))
case("cycle", why(g("    parents: [x1]\n    column: x2", "    parents: [x1, model]\n    column: x2", "g_cycle.yaml")))
case("cycle_sources", why(w("g_cycle2.yaml", G.replace("  x1:\n    kind: source\n    column: x1", "  x1:\n    kind: feature\n    parents: [x2]\n    column: x1"))))
case("selfloop", why(g("    parents: [x1]\n    column: x2", "    parents: [x2]\n    column: x2", "g_self.yaml")))
case("unknown_kind", why(g("  cat:\n    kind: source", "  cat:\n    kind: sauce", "g_kind.yaml")))
case("missing_metric_node", why(metric="nosuch"))
case("metric_unnamed", why(g("    metric: recall\n", "", "g_nometric.yaml")))
case("metric_wrong_parents", why(g("    parents: [model, y]\n    metric", "    parents: [x1, x2]\n    metric", "g_mparents.yaml")))
case("metric_parent_only_model", why(g("    parents: [model, y]\n    metric", "    parents: [model]\n    metric", "g_mparents2.yaml")))
case("metric_two_models", why(w("g_2models.yaml", G.replace("    parents: [model, y]", "    parents: [model, model2, y]") + "  model2:\n    kind: model\n    parents: [x1]\n    column: x2\n")))
case("metric_is_node_of_wrong_kind", why(metric="x1"))
case("empty_graph", why(w("g_empty.yaml", "")))
case("graph_list", why(w("g_list.yaml", "- a\n- b\n")))
case("graph_nodes_empty", why(w("g_nodes_empty.yaml", "version: 1\nname: t\nnodes: {}\n")))
case("graph_version2", why(g("version: 1", "version: 2", "g_v2.yaml")))
case("graph_version_str", why(g("version: 1", "version: one", "g_vstr.yaml")))
case("graph_pytag", why(w("g_tag.yaml", G.replace("name: tiny", "name: !!python/object/apply:os.system ['echo pwned']"))))
case("graph_binary", why(wb("g_bin.yaml", os.urandom(2000))))
case("graph_huge_nesting", why(w("g_deep.yaml", G + "x-deep: " + "[" * 5000 + "]" * 5000 + "\n")))
case("graph_billion_laughs", why(w("g_laughs.yaml", G + "".join(f"x-l{i}: &l{i} [" + ",".join([f"*l{i-1}"] * 9 if i else ["lol"] * 9) + "]\n" for i in range(9)))))
case("graph_unicode_node_id", why(g("  cat:\n", "  càt:\n", "g_uni_id.yaml").replace("x", "x") ))
case("graph_threshold_str", why(g("threshold: 0.5", "threshold: high", "g_thr_str.yaml")))
case("graph_threshold_out", why(g("threshold: 0.5", "threshold: 7", "g_thr_out.yaml")))
case("graph_threshold_nan", why(g("threshold: 0.5", "threshold: .nan", "g_thr_nan.yaml")))
case("graph_parents_str", why(g("parents: [x1]\n", "parents: x1\n", "g_par_str.yaml")))
case("graph_parents_null", why(g("parents: [x1]\n", "parents:\n", "g_par_null.yaml")))
case("graph_column_int", why(g("column: x1\n", "column: 7\n", "g_col_int.yaml")))
case("graph_column_null", why(g("    column: cat\n", "    column:\n", "g_col_null.yaml")), expect=None)
case("graph_model_no_column", why(g("    column: score\n", "", "g_model_nocol.yaml")))
case("graph_label_no_column", why(g("    column: y\n", "", "g_label_nocol.yaml")))
case("graph_two_metrics_same_id_diff_case", why(w("g_case.yaml", G + "  Recall:\n    kind: metric\n    parents: [model, y]\n    metric: recall\n"), metric="Recall"), expect=None)
case("graph_scores_missing_cols", why(g("    column: score\n", "    column: score\n    scores: {a: p_a, b: p_b}\n", "g_scores.yaml")))
case("graph_contract_bad", why(g("    column: x1\n", "    column: x1\n    contract: {dtype: banana}\n", "g_contract.yaml")))
case("graph_contract_minmax", why(g("    column: x1\n", "    column: x1\n    contract: {min: 5, max: 1}\n", "g_contract2.yaml")))
case("graph_artifact_missing", why(g("    column: score\n", "    column: score\n    artifact: nosuch.skops\n", "g_art_missing.yaml")))
w("notmodel.skops", "hello, I am not a model\n")
case("graph_artifact_textfile", why(g("    column: score\n", "    column: score\n    artifact: notmodel.skops\n", "g_art_text.yaml")))
import pickle
class Evil:
    def __reduce__(self): return (os.system, ("touch /tmp/fz/PWNED",))
wb("evil.pkl", pickle.dumps(Evil()))
case("graph_artifact_pickle_untrusted", why(g("    column: score\n", "    column: score\n    artifact: evil.pkl\n", "g_art_pkl.yaml")))
case("graph_artifact_dir", why(g("    column: score\n", "    column: score\n    artifact: .\n", "g_art_dir.yaml")))
case("graph_artifact_yaml", why(g("    column: score\n", "    column: score\n    artifact: graph.yaml\n", "g_art_yaml.yaml")))
wb("garbage.skops", os.urandom(4000))
case("graph_artifact_garbage_skops", why(g("    column: score\n", "    column: score\n    artifact: garbage.skops\n", "g_art_garb.yaml")))
import zipfile
with zipfile.ZipFile(R / "zip.skops", "w") as z: z.writestr("schema.json", "{not json")
case("graph_artifact_badzip_skops", why(g("    column: score\n", "    column: score\n    artifact: zip.skops\n", "g_art_zip.yaml")))

# ---- windows
case("ref_missing_col", why(r=wdf("ref_nocol.csv", ref.drop(columns=["x2"]))))
case("cur_missing_label", why(c=wdf("cur_nolabel.csv", cur.drop(columns=["y"]))), expect=0)
case("cur_missing_score", why(c=wdf("cur_noscore.csv", cur.drop(columns=["score"]))))
case("extra_cols", why(c=wdf("cur_extra.csv", cur.assign(zzz=1, www="q"))), expect=0)
case("empty_file", why(c=w("empty.csv", "")))
case("header_only", why(c=w("header.csv", ",".join(cur.columns) + "\n")))
case("allnull_col", why(c=wdf("cur_allnull.csv", cur.assign(x2=np.nan))), expect=0)
case("allnull_score", why(c=wdf("cur_allnull_score.csv", cur.assign(score=np.nan))), expect=None)
case("allnull_label", why(c=wdf("cur_allnull_label.csv", cur.assign(y=np.nan))), expect=None)
case("strings_numeric", why(c=wdf("cur_strings.csv", cur.assign(x1="abc"))), expect=None)
case("strings_score", why(c=wdf("cur_strings_score.csv", cur.assign(score="high"))))
m = cur.copy().astype({"x1": object}); m.loc[::3, "x1"] = "oops"
case("mixed_types", why(c=wdf("cur_mixed.csv", m)), expect=None)
m = cur.copy(); m.loc[::5, "x1"] = np.inf; m.loc[1::5, "x2"] = -np.inf; m.loc[2::7, "score"] = np.nan
case("inf_nan", why(c=wdf("cur_inf.csv", m)), expect=None)
m = cur.copy(); m.loc[::5, "score"] = np.inf
case("inf_score", why(c=wdf("cur_inf_score.csv", m)), expect=None)
m = cur.copy(); m["x1"] = m["x1"] * 1e308
case("huge_1e308", why(c=wdf("cur_huge.csv", m)), expect=None)
m = ref.copy(); m["x1"] = m["x1"] * 1e308
case("huge_1e308_both", why(r=wdf("ref_huge.csv", m), c=wdf("cur_huge2.csv", (lambda d: d.assign(x1=d.x1 * 1e308))(cur.copy()))), expect=None)
# unicode / spaces / dots column names
for nm, col in [("unicode", "x₁é"), ("space", "x 1"), ("dot", "x.1"), ("quote", 'x"1'), ("comma", "x,1")]:
    gg = G.replace("    column: x1\n", f"    column: '{col}'\n") if "'" not in col else G
    if nm == "quote": gg = G.replace("    column: x1\n", "    column: 'x\"1'\n")
    case(f"colname_{nm}", why(w(f"g_col_{nm}.yaml", gg), r=wdf(f"ref_col_{nm}.csv", ref.rename(columns={"x1": col})), c=wdf(f"cur_col_{nm}.csv", cur.rename(columns={"x1": col}))), expect=0)
for n in [1, 2, 5]:
    case(f"tiny_{n}_rows_cur", why(c=wdf(f"cur_{n}.csv", cur.head(n))), expect=None)
    case(f"tiny_{n}_rows_both", why(r=wdf(f"ref_{n}.csv", ref.head(n)), c=wdf(f"cur_{n}b.csv", cur.head(n))), expect=None)
case("identical_windows", why(c="fuzz_repro/ref.csv"), expect=0)
case("single_class_cur", why(c=wdf("cur_1class.csv", cur.assign(y=0))), expect=None)
case("single_class_both", why(r=wdf("ref_1class.csv", ref.assign(y=1)), c=wdf("cur_1classb.csv", cur.assign(y=1))), expect=None)
case("label_new_class", why(c=wdf("cur_newclass.csv", cur.assign(y=np.where(np.arange(len(cur)) % 4 == 0, 2, cur.y)))), expect=None)
case("label_string_classes", why(c=wdf("cur_labelstr.csv", cur.assign(y=np.where(cur.y == 1, "yes", "no")))), expect=None)
case("score_outside_01", why(c=wdf("cur_score_big.csv", cur.assign(score=cur.score * 100))), expect=None)
nested = cur.copy(); nested["x1"] = [{"a": float(v), "b": [1, 2]} for v in cur.x1]
case("parquet_nested", why(c=wdf("cur_nested.parquet", nested)))
nested2 = cur.copy(); nested2["cat"] = [[v, v] for v in cur.cat]
case("parquet_list_cat", why(c=wdf("cur_listcat.parquet", nested2)))
case("csv_binary_garbage", why(c=wb("garbage.csv", os.urandom(5000))))
case("parquet_garbage", why(c=wb("garbage.parquet", os.urandom(5000))))
case("csv_is_parquet", why(c=wb("pq_as.csv", (R / "cur_nested.parquet").read_bytes())), expect=None)
case("nonexistent_ref", why(r="fuzz_repro/nope.csv"))
case("nonexistent_graph", why(graph="fuzz_repro/nope.yaml"))
case("dir_as_current", why(c="fuzz_repro"))
case("glob_no_match", why(c="fuzz_repro/nomatch_*.csv"))
case("url_unreachable", why(c="http://127.0.0.1:9/x.csv"))
case("wrong_extension", why(c=w("cur.txt", (R / "cur.csv").read_text())), expect=None)
case("csv_semicolon", why(c=wdf("cur_semi.csv", cur) and w("cur_semi.csv", cur.to_csv(index=False, sep=";"))))
case("csv_bom", why(c=wb("cur_bom.csv", b"\xef\xbb\xbf" + (R / "cur.csv").read_bytes())), expect=0)
case("csv_latin1", why(c=wb("cur_latin1.csv", (R / "cur.csv").read_text().replace("a", "\xe9").encode("latin-1"))), expect=None)
case("csv_duplicate_header", why(c=w("cur_duphdr.csv", (R / "cur.csv").read_text().replace("x2,", "x1,", 1))))
case("csv_ragged", why(c=w("cur_ragged.csv", (R / "cur.csv").read_text() + "1,2,3,4,5,6,7,8\n")), expect=None)
# ---- flags
case("no_windows", why(r=None, c=None))
case("only_reference", why(c=None))
case("data_and_ref", why(extra=["--data", "fuzz_repro/ref.csv", "--split", "2024-01-01"]))
case("data_no_split", why(r=None, c=None, extra=["--data", "fuzz_repro/ref.csv"]))
tl = pd.concat([ref.assign(t=pd.date_range("2024-01-01", periods=600, freq="h")), cur.assign(t=pd.date_range("2024-02-01", periods=600, freq="h"))])
case("split_no_time_column", why(r=None, c=None, extra=["--data", wdf("log.csv", tl), "--split", "2024-01-20"]))
GT = G.replace("name: tiny\n", "name: tiny\ntime_column: t\n"); w("g_time.yaml", GT)
case("split_ok", why(graph="fuzz_repro/g_time.yaml", r=None, c=None, extra=["--data", "fuzz_repro/log.csv", "--split", "2024-01-20"]), expect=0)
case("split_bad_ts", why(graph="fuzz_repro/g_time.yaml", r=None, c=None, extra=["--data", "fuzz_repro/log.csv", "--split", "notatime"]))
case("split_before_all", why(graph="fuzz_repro/g_time.yaml", r=None, c=None, extra=["--data", "fuzz_repro/log.csv", "--split", "1999-01-01"]))
case("split_after_all", why(graph="fuzz_repro/g_time.yaml", r=None, c=None, extra=["--data", "fuzz_repro/log.csv", "--split", "2099-01-01"]))
case("split_month13", why(graph="fuzz_repro/g_time.yaml", r=None, c=None, extra=["--data", "fuzz_repro/log.csv", "--split", "2024-13-45"]))
case("split_auto", why(graph="fuzz_repro/g_time.yaml", r=None, c=None, extra=["--data", "fuzz_repro/log.csv", "--split", "auto"]), expect=None)
case("split_tz", why(graph="fuzz_repro/g_time.yaml", r=None, c=None, extra=["--data", "fuzz_repro/log.csv", "--split", "2024-01-20T00:00:00+05:00"]), expect=None)
tlb = tl.astype({"t": str}); tlb.iloc[::10, -1] = "garbage"
case("split_time_col_garbage", why(graph="fuzz_repro/g_time.yaml", r=None, c=None, extra=["--data", wdf("log_badt.csv", tlb), "--split", "2024-01-20"]), expect=None)
case("split_with_ref", why(graph="fuzz_repro/g_time.yaml", extra=["--split", "2024-01-20"]))
case("jobs_0", why(extra=["--jobs", "0"]))
case("jobs_neg", why(extra=["--jobs", "-1"]))
case("jobs_huge", why(extra=["--jobs", "100000"]), expect=None)
case("seed_neg", why(extra=["--seed", "-5"]), expect=None)
case("seed_huge", why(extra=["--seed", str(2**70)]), expect=None)
case("format_bad", why(extra=["--format", "pdf"]))
case("out_dir", why(extra=["--out", "fuzz_repro"]))
case("out_nonexistent_dir", why(extra=["--out", "/nonexistent/dir/x.txt"]))
case("engine_spark", why(extra=["--engine", "spark"]), expect=None)
case("training_missing", why(extra=["--training", "fuzz_repro/nope.csv"]))
case("golden_missing", why(extra=["--golden", "fuzz_repro/nope.csv"]))
case("golden_no_label", why(extra=["--golden", wdf("golden_nolabel.csv", ref.drop(columns=["y"]))]))
case("golden_no_artifact", why(extra=["--golden", "fuzz_repro/ref.csv"]), expect=None)
case("record_dir", why(extra=["--record", "fuzz_repro"]))
case("record_garbage", why(extra=["--record", "fuzz_repro/garbage.csv"]))
case("trust_model_pickle", why(g("    column: score\n", "    column: score\n    artifact: evil.pkl\n", "g_art_pkl2.yaml"), extra=["--trust-model"]), expect=None)
# ---- other subcommands
case("validate_ok", ["validate", "fuzz_repro/graph.yaml", "--data", "fuzz_repro/cur.csv"], expect=0)
case("validate_dir", ["validate", "fuzz_repro"])
case("validate_missing", ["validate", "fuzz_repro/nope.yaml"])
case("validate_data_garbage", ["validate", "fuzz_repro/graph.yaml", "--data", "fuzz_repro/garbage.csv"])
case("validate_data_header", ["validate", "fuzz_repro/graph.yaml", "--data", "fuzz_repro/header.csv"], expect=None)
case("validate_check_graph_tiny", ["validate", "fuzz_repro/graph.yaml", "--data", "fuzz_repro/cur_5.csv", "--check-graph"], expect=None)
case("validate_check_graph_header", ["validate", "fuzz_repro/graph.yaml", "--data", "fuzz_repro/header.csv", "--check-graph"], expect=None)
case("validate_check_graph_inf", ["validate", "fuzz_repro/graph.yaml", "--data", "fuzz_repro/cur_inf.csv", "--check-graph"], expect=None)
case("validate_cycle", ["validate", "fuzz_repro/g_cycle.yaml"])
case("render_garbage_json", ["render", wb("d_garbage.json", b"{not json")])
case("render_wrong_json", ["render", w("d_wrong.json", '{"a": 1}')])
case("render_list_json", ["render", w("d_list.json", '[1,2]')])
case("render_bad_ext", ["render", "fuzz_repro/graph.yaml", "--out", "fuzz_repro/x.pdf"])
case("render_diag_missing", ["render", "fuzz_repro/graph.yaml", "--diagnosis", "fuzz_repro/nope.json", "--out", "fuzz_repro/x.dot"])
case("render_diag_garbage", ["render", "fuzz_repro/graph.yaml", "--diagnosis", "fuzz_repro/d_wrong.json", "--out", "fuzz_repro/x.dot"])
case("watch_no_time", ["watch", "fuzz_repro/graph.yaml", "--data", "fuzz_repro/log.csv", "--metric", "recall", "--quiet"])
case("watch_every_bad", ["watch", "fuzz_repro/g_time.yaml", "--data", "fuzz_repro/log.csv", "--metric", "recall", "--every", "banana", "--quiet"])
case("watch_every_zero", ["watch", "fuzz_repro/g_time.yaml", "--data", "fuzz_repro/log.csv", "--metric", "recall", "--every", "0d", "--quiet"])
case("watch_every_neg", ["watch", "fuzz_repro/g_time.yaml", "--data", "fuzz_repro/log.csv", "--metric", "recall", "--every", "-1d", "--quiet"])
case("watch_every_tiny", ["watch", "fuzz_repro/g_time.yaml", "--data", "fuzz_repro/log.csv", "--metric", "recall", "--every", "1s", "--quiet"], expect=None)
case("watch_baseline_0", ["watch", "fuzz_repro/g_time.yaml", "--data", "fuzz_repro/log.csv", "--metric", "recall", "--baseline", "0", "--quiet"])
case("watch_baseline_neg", ["watch", "fuzz_repro/g_time.yaml", "--data", "fuzz_repro/log.csv", "--metric", "recall", "--baseline", "-3", "--quiet"])
case("watch_baseline_huge", ["watch", "fuzz_repro/g_time.yaml", "--data", "fuzz_repro/log.csv", "--metric", "recall", "--baseline", "100000", "--quiet"])
case("watch_chart_bad_ext", ["watch", "fuzz_repro/g_time.yaml", "--data", "fuzz_repro/log.csv", "--metric", "recall", "--chart", "fuzz_repro/c.pdf", "--quiet"])
case("history_missing", ["history", "fuzz_repro/nope.sqlite"])
case("history_garbage", ["history", "fuzz_repro/garbage.csv"])
case("history_text", ["history", "fuzz_repro/graph.yaml"])
case("history_dir", ["history", "fuzz_repro"])
case("risk_strength_0", ["risk", "fuzz_repro/graph.yaml", "--reference", "fuzz_repro/ref.csv", "--strength", "0", "--quiet"])
case("risk_strength_2", ["risk", "fuzz_repro/graph.yaml", "--reference", "fuzz_repro/ref.csv", "--strength", "2", "--quiet"])
case("risk_strength_nan", ["risk", "fuzz_repro/graph.yaml", "--reference", "fuzz_repro/ref.csv", "--strength", "nan", "--quiet"])
case("risk_rows_0", ["risk", "fuzz_repro/graph.yaml", "--reference", "fuzz_repro/ref.csv", "--rows", "0", "--quiet"])
case("risk_rows_neg", ["risk", "fuzz_repro/graph.yaml", "--reference", "fuzz_repro/ref.csv", "--rows", "-5", "--quiet"])
case("risk_tiny_ref", ["risk", "fuzz_repro/graph.yaml", "--reference", "fuzz_repro/ref_5.csv", "--self-tests", "0", "--quiet"], expect=None)
case("risk_metric_bad", ["risk", "fuzz_repro/graph.yaml", "--reference", "fuzz_repro/ref.csv", "--metric", "x1", "--quiet"])
case("drill_mode_bad", ["drill", "fuzz_repro/graph.yaml", "--reference", "fuzz_repro/ref.csv", "--node", "x1", "--mode", "banana", "--out", "fuzz_repro/o.csv"])
case("drill_node_bad", ["drill", "fuzz_repro/graph.yaml", "--reference", "fuzz_repro/ref.csv", "--node", "nope", "--mode", "nulls", "--out", "fuzz_repro/o.csv"])
case("drill_strength_0", ["drill", "fuzz_repro/graph.yaml", "--reference", "fuzz_repro/ref.csv", "--node", "x1", "--mode", "null_burst", "--strength", "0", "--out", "fuzz_repro/o.csv"])
case("drill_out_ext", ["drill", "fuzz_repro/graph.yaml", "--reference", "fuzz_repro/ref.csv", "--node", "x1", "--mode", "null_burst", "--out", "fuzz_repro/o.xlsx"])
case("drill_rows_0", ["drill", "fuzz_repro/graph.yaml", "--reference", "fuzz_repro/ref.csv", "--node", "x1", "--mode", "null_burst", "--rows", "0", "--out", "fuzz_repro/o.csv"])
case("drill_header_only", ["drill", "fuzz_repro/graph.yaml", "--reference", "fuzz_repro/header.csv", "--node", "x1", "--mode", "null_burst", "--out", "fuzz_repro/o.csv"])
case("init_missing_label", ["init", "--data", "fuzz_repro/ref.csv", "--label", "nope"])
case("init_pred_eq_label", ["init", "--data", "fuzz_repro/ref.csv", "--label", "y", "--prediction", "y"])
case("init_bad_metric", ["init", "--data", "fuzz_repro/ref.csv", "--label", "y", "--prediction", "score", "--metric", "banana"])
case("init_garbage", ["init", "--data", "fuzz_repro/garbage.csv"])
case("init_header_only", ["init", "--data", "fuzz_repro/header.csv", "--label", "y"], expect=None)
case("init_empty", ["init", "--data", "fuzz_repro/empty.csv"])
case("init_model_text", ["init", "--data", "fuzz_repro/ref.csv", "--label", "y", "--prediction", "score", "--model", "fuzz_repro/notmodel.skops"])
case("init_model_pickle", ["init", "--data", "fuzz_repro/ref.csv", "--label", "y", "--prediction", "score", "--model", "fuzz_repro/evil.pkl"])
case("init_time_bad", ["init", "--data", "fuzz_repro/ref.csv", "--time-column", "nope"])
case("init_out_exists", ["init", "--data", "fuzz_repro/ref.csv", "--out", "fuzz_repro/graph.yaml"])
case("init_unicode_cols", ["init", "--data", "fuzz_repro/ref_col_unicode.csv", "--label", "y", "--prediction", "score"], expect=0)
case("init_space_cols", ["init", "--data", "fuzz_repro/ref_col_space.csv", "--label", "y", "--prediction", "score"], expect=0)
case("scenarios_run_bad", ["scenarios", "run", "nosuch"])
case("scenarios_export_bad", ["scenarios", "export", "nosuch"])
case("quickstart_file_target", ["quickstart", "fuzz_repro/graph.yaml"])
case("import_ol_missing", ["import", "openlineage", "fuzz_repro/nope.json", "--out", "fuzz_repro/o.yaml"])
case("import_ol_garbage", ["import", "openlineage", "fuzz_repro/garbage.csv", "--out", "fuzz_repro/o.yaml"])
case("import_ol_empty", ["import", "openlineage", "fuzz_repro/empty.csv", "--out", "fuzz_repro/o.yaml"])
case("import_ol_wrongjson", ["import", "openlineage", "fuzz_repro/d_wrong.json", "--out", "fuzz_repro/o.yaml"])
case("import_ol_listjson", ["import", "openlineage", "fuzz_repro/d_list.json", "--out", "fuzz_repro/o.yaml"])
case("import_dbt_garbage", ["import", "dbt", "fuzz_repro/garbage.csv", "--out", "fuzz_repro/o.yaml"])
case("import_dbt_wrongjson", ["import", "dbt", "fuzz_repro/d_wrong.json", "--out", "fuzz_repro/o.yaml"])
case("import_dbt_ol_events", ["import", "dbt", "/tmp/fz/qs/events.jsonl", "--out", "fuzz_repro/o.yaml"])
case("import_ol_dbt_manifest", ["import", "openlineage", "/tmp/fz/qs/manifest.json", "--out", "fuzz_repro/o.yaml"])
case("import_dbt_select_none", ["import", "dbt", "/tmp/fz/qs/manifest.json", "--select", "nosuchmodel", "--out", "fuzz_repro/o.yaml"])
case("import_dbt_select_syntax", ["import", "dbt", "/tmp/fz/qs/manifest.json", "--select", "+++::@@", "--out", "fuzz_repro/o.yaml"])
case("import_dbt_catalog_garbage", ["import", "dbt", "/tmp/fz/qs/manifest.json", "--catalog", "fuzz_repro/garbage.csv", "--out", "fuzz_repro/o.yaml"])
case("import_dbt_catalog_is_manifest", ["import", "dbt", "/tmp/fz/qs/manifest.json", "--catalog", "/tmp/fz/qs/manifest.json", "--out", "fuzz_repro/o.yaml"])
case("import_dbt_attach_garbage", ["import", "dbt", "/tmp/fz/qs/manifest.json", "--attach-model", "fuzz_repro/g_broken.yaml", "--out", "fuzz_repro/o.yaml"])
case("import_dbt_attach_graph", ["import", "dbt", "/tmp/fz/qs/manifest.json", "--attach-model", "fuzz_repro/graph.yaml", "--out", "fuzz_repro/o.yaml"])
case("import_dbt_observed_garbage", ["import", "dbt", "/tmp/fz/qs/manifest.json", "--observed-from", "fuzz_repro/garbage.csv", "--out", "fuzz_repro/o.yaml"])
case("import_dbt_check_nolog", ["import", "dbt", "/tmp/fz/qs/manifest.json", "--check-graph", "--out", "fuzz_repro/o.yaml"])
case("import_dbt_out_dir", ["import", "dbt", "/tmp/fz/qs/manifest.json", "--out", "fuzz_repro"])

only = set(sys.argv[1:])
results = []
for name, args, expect in cases:
    if only and name not in only: continue
    t = time.time()
    try:
        p = subprocess.run([sys.executable, "-m", "causal_rca", *args], cwd=WT, capture_output=True, text=True, timeout=90,
                           env={**os.environ, "PYTHONPATH": WT})
        rc, err, out = p.returncode, p.stderr, p.stdout
    except subprocess.TimeoutExpired:
        rc, err, out = "TIMEOUT", "", ""
    dt = time.time() - t
    os.makedirs("/tmp/fz/out", exist_ok=True); open(f"/tmp/fz/out/{name}.txt","w").write(f"ARGS: {args}\nRC: {rc}\n--- stdout\n{out}\n--- stderr\n{err}")
    tb = "Traceback" in err or "Traceback" in out
    nerr = sum(1 for l in err.splitlines() if l.startswith("error:"))
    flag = ""
    if tb or rc == "TIMEOUT" or rc == 1 or (expect is not None and rc != expect): flag = "!!"
    r = dict(name=name, rc=rc, tb=tb, t=round(dt, 1), expect=expect, flag=flag, args=args,
             err=err.strip().splitlines()[-3:] if err.strip() else [], out=out.strip().splitlines()[:4])
    results.append(r)
    print(f"{flag:2} {name:35} rc={rc} tb={tb} t={dt:.1f} | {' / '.join(r['err'])[:300]}", flush=True)
json.dump(results, open("/tmp/fz/results.json" if not only else "/tmp/fz/results_only.json", "w"), indent=1)
