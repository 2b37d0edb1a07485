"""Model-aware measurements on scenarios with their real model (docs/model-aware.md).

    python benchmarks/model_aware.py NAME[,NAME...] [NAME=HEALTHY_NODE,...]

For each scenario: the diagnosis with the model saved as skops and the golden
set, the top causes' replays, the golden check, artifact fidelity, segments,
the label-free estimate against the measured metric, and (with NAME=NODE) the
replay of a healthy node for comparison, asked the way the top cause was
(reweighted for a population change, rows put back otherwise).
"""
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.model_cases import ModelDiagnoses
from causal_rca.model.reweight import how_for
from causal_rca.api import what_if_fixed
names = sys.argv[1].split(",")
wrong = dict(a.split("=") for a in sys.argv[2].split(",")) if len(sys.argv) > 2 else {}
md = ModelDiagnoses(Path(tempfile.mkdtemp(prefix="model-aware-")))
for n in names:
    t = time.time()
    d = md.diagnosis(n); c = md.case(n)
    dt = time.time() - t
    top = d.causes[0] if d.causes else None
    print(f"== {n} ({dt:.1f}s) truth {c.truth_node}/{c.truth_mode} ref {d.reference.value:.4f} {tuple(round(x,4) for x in d.reference.ci)} cur {d.current.value:.4f}")
    for cc in d.causes[:4]:
        r = cc.replay.to_dict() if cc.replay else {}
        print(f"   {cc.rank} {cc.node}/{cc.failure_mode} score {cc.score} replay {r.get('value', float('nan')):.4f} ci {[round(x,4) for x in r.get('ci',[])]} base {r.get('baseline', float('nan')):.4f} share {r.get('recovered_share', float('nan')):.2f} matches {r.get('matches_reference')} | {r.get('how')}")
    m = d.model_aware.to_dict() if d.model_aware else {}
    g = m.get("golden"); print("   golden", g and {k: g[k] for k in ('value','reference','dropped','cleared')})
    print("   artifact", m.get("artifact"))
    seg = m.get("segments"); print("   seg", seg and [(s['segment'], s['value'], round(s['explained_share'],2)) for s in seg[:3]])
    e = m.get("estimate"); print("   estimate", e and round(e['value'],4), "actual", round(d.current.value,4))
    if n in wrong:
        t = time.time()
        how = how_for(top.failure_mode, (wrong[n],)) if top else "rows"
        w = what_if_fixed(c.graph, c.frames["reference"], c.frames["current"], c.metric, (wrong[n],), seed=c.seed,
                          how=how)
        print(f"   wrong {wrong[n]} ({how}): {w.value:.4f} {[round(x,4) for x in w.ci]} share {w.recovered_share:.2f} ({time.time()-t:.1f}s)")
    sys.stdout.flush()
