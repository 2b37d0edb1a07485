"""Python API fuzz: every wrong argument must raise causal_rca.InputError naming the parameter."""
import sys, traceback, pathlib, numpy as np, pandas as pd
import causal_rca
from causal_rca import diagnose, CausalRCA, InputError
R = pathlib.Path(__file__).parent
G = str(R / "graph.yaml"); ref = pd.read_csv(R / "ref.csv"); cur = pd.read_csv(R / "cur.csv")
cases = {
  "graph=int": lambda: diagnose(42, ref, cur, "recall"),
  "graph=None": lambda: diagnose(None, ref, cur, "recall"),
  "graph=dict": lambda: diagnose({"version": 1}, ref, cur, "recall"),
  "graph=yaml text": lambda: diagnose(open(G).read(), ref, cur, "recall"),
  "reference=list": lambda: diagnose(G, [1, 2, 3], cur, "recall"),
  "reference=ndarray": lambda: diagnose(G, ref.values, cur, "recall"),
  "reference=dict": lambda: diagnose(G, ref.to_dict("list"), cur, "recall"),
  "reference=int": lambda: diagnose(G, 5, cur, "recall"),
  "reference=Series": lambda: diagnose(G, ref["x1"], cur, "recall"),
  "current=None": lambda: diagnose(G, ref, None, "recall"),
  "metric=int": lambda: diagnose(G, ref, cur, 3),
  "metric=list": lambda: diagnose(G, ref, cur, ["recall"]),
  "metric missing": lambda: diagnose(G, ref, cur, "nosuch"),
  "seed=str": lambda: diagnose(G, ref, cur, "recall", seed="0"),
  "seed=float": lambda: diagnose(G, ref, cur, "recall", seed=0.5),
  "seed=-1": lambda: diagnose(G, ref, cur, "recall", seed=-1),
  "seed=2**40": lambda: diagnose(G, ref, cur, "recall", seed=2**40),
  "seed=True": lambda: diagnose(G, ref, cur, "recall", seed=True),
  "sample_rows=0": lambda: diagnose(G, ref, cur, "recall", sample_rows=0),
  "sample_rows=-5": lambda: diagnose(G, ref, cur, "recall", sample_rows=-5),
  "sample_rows=str": lambda: diagnose(G, ref, cur, "recall", sample_rows="many"),
  "sample_rows=10": lambda: diagnose(G, ref, cur, "recall", sample_rows=10),
  "jobs=0": lambda: diagnose(G, ref, cur, "recall", jobs=0),
  "jobs=-1": lambda: diagnose(G, ref, cur, "recall", jobs=-1),
  "jobs=str": lambda: diagnose(G, ref, cur, "recall", jobs="2"),
  "jobs=1.5": lambda: diagnose(G, ref, cur, "recall", jobs=1.5),
  "engine=bad": lambda: diagnose(G, ref, cur, "recall", engine="pandas"),
  "split no data": lambda: diagnose(G, ref, cur, "recall", split="2024-01-01"),
  "data and ref": lambda: diagnose(G, ref, cur, "recall", data=ref, split="2024-01-01"),
  "data no split": lambda: diagnose(G, metric="recall", data=ref),
  "split=int": lambda: diagnose(G, metric="recall", data=ref, split=5),
  "trust_model=str": lambda: diagnose(G, ref, cur, "recall", trust_model="yes"),
  "golden=int": lambda: diagnose(G, ref, cur, "recall", golden=5),
  "training=str missing": lambda: diagnose(G, ref, cur, "recall", training="nope.csv"),
  "estimate=str": lambda: diagnose(G, ref, cur, "recall", estimate="no"),
  "progress=int": lambda: diagnose(G, ref, cur, "recall", progress=3),
  "ref empty df": lambda: diagnose(G, pd.DataFrame(), cur, "recall"),
  "ref no columns rows": lambda: diagnose(G, ref.iloc[:0], cur, "recall"),
  "ref dup columns": lambda: diagnose(G, pd.concat([ref, ref[["x1"]]], axis=1), cur, "recall"),
  "ref int column names": lambda: diagnose(G, ref.set_axis(range(ref.shape[1]), axis=1), cur, "recall"),
  "ref multiindex cols": lambda: diagnose(G, pd.concat({"a": ref}, axis=1), cur, "recall"),
  "ref object col of dicts": lambda: diagnose(G, ref.assign(x1=[{"a": 1}] * len(ref)), cur, "recall"),
  "ref categorical dtype": lambda: diagnose(G, ref.astype({"cat": "category"}), cur, "recall"),
  "ref nullable Int64": lambda: diagnose(G, ref.astype({"y": "Int64"}), cur, "recall"),
  "ref datetime tz col": lambda: diagnose(G, ref.assign(x1=pd.Timestamp("2024-01-01", tz="UTC")), cur, "recall"),
  "ref complex": lambda: diagnose(G, ref.assign(x1=ref.x1 + 1j), cur, "recall"),
  "ref timedelta": lambda: diagnose(G, ref.assign(x1=pd.to_timedelta(ref.x1, unit="s")), cur, "recall"),
  "ref bytes": lambda: diagnose(G, ref.assign(cat=ref.cat.str.encode("utf8")), cur, "recall"),
  "ref non-str index": lambda: diagnose(G, ref.set_index("cat", drop=False), cur, "recall"),
  "CausalRCA graph=int": lambda: CausalRCA(42, metric="recall"),
  "CausalRCA metric=int": lambda: CausalRCA(G, metric=3),
  "CausalRCA seed=str": lambda: CausalRCA(G, metric="recall", seed="x"),
  "CausalRCA jobs=0": lambda: CausalRCA(G, metric="recall", jobs=0),
  "CausalRCA sample_rows=-1": lambda: CausalRCA(G, metric="recall", sample_rows=-1),
  "fit(list)": lambda: CausalRCA(G, metric="recall").fit([1, 2]),
  "fit(None)": lambda: CausalRCA(G, metric="recall").fit(None),
  "fit(str missing)": lambda: CausalRCA(G, metric="recall").fit("nope.csv"),
  "fit(ndarray)": lambda: CausalRCA(G, metric="recall").fit(ref.values),
  "fit attribution=str": lambda: CausalRCA(G, metric="recall").fit(ref, attribution="no"),
  "diagnose before fit": lambda: CausalRCA(G, metric="recall").diagnose(cur),
  "diagnose(int) after fit": lambda: CausalRCA(G, metric="recall").fit(ref).diagnose(7),
  "diagnose split_p_value=2": lambda: CausalRCA(G, metric="recall").fit(ref).diagnose(cur, split_p_value=2.0),
  "diagnose split_p_value=str": lambda: CausalRCA(G, metric="recall").fit(ref).diagnose(cur, split_p_value="a"),
  "load(missing)": lambda: CausalRCA.load("nope_dir"),
  "load(file)": lambda: CausalRCA.load(G),
  "load(int)": lambda: CausalRCA.load(5),
  "save(file path)": lambda: CausalRCA(G, metric="recall").fit(ref).save(G + ".notdir/../graph.yaml"),
  "save before fit": lambda: CausalRCA(G, metric="recall").save(str(R / "sv_unfit")),
}
only = sys.argv[1:]
for name, f in cases.items():
    if only and name not in only: continue
    try:
        f(); print(f"OK-NO-ERROR  {name}")
    except InputError as e:
        print(f"InputError   {name}: {type(e).__name__}: {str(e).splitlines()[0][:170]}")
    except Exception as e:
        tb = traceback.extract_tb(e.__traceback__)[-1]
        print(f"!! {type(e).__name__:12} {name}: {str(e)[:150]!r} at {pathlib.Path(tb.filename).name}:{tb.lineno}")
