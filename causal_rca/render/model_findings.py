"""The model-aware findings as plain sentences, shared by the text, Markdown and HTML reports.

One place turns ``Diagnosis.model_aware`` (and each cause's ``replay``) into
words, so the three formats say the same thing; each renderer only escapes
and lays them out.
"""

from __future__ import annotations

from typing import Any

from causal_rca.diagnosis.findings import ArtifactCheck, GoldenCheck, ModelFindings, Replay
from causal_rca.diagnosis.model import Diagnosis

TOP_SLICES = 3


def _pct(x: Any) -> str:
    return "n/a" if x is None else f"{100 * float(x):.0f}%"


def _num(x: Any) -> str:
    return "n/a" if x is None else f"{float(x):.3g}"


def _artifact(a: ArtifactCheck) -> str:
    return (f"model artifact {a.source} ({a.kind}) reproduces {_pct(a.reproduces_reference_scores)} of "
            f"the reference window's logged scores and {_pct(a.reproduces_current_scores)} of the current "
            f"window's")


def _golden(d: Diagnosis, g: GoldenCheck) -> str:
    verdict = ("worse there: the model itself changed" if g.dropped
               else "it holds there: the model is cleared" if g.cleared else "too few rows to decide")
    return (f"golden set ({g.rows} rows): {d.target} {_num(g.value)} [{_num(g.ci[0])}, {_num(g.ci[1])}] "
            f"against {_num(g.reference)} in the reference window; {verdict}")


def _confidence(c: dict) -> list[str]:
    ref, cur = c.get("reference", {}), c.get("current", {})
    rs, cs = ref.get("scores", {}), cur.get("scores", {})
    out = []
    if rs.get("rows") and cs.get("rows"):
        out.append(f"scores: share near the threshold {_pct(rs['share_near_threshold'])} → "
                   f"{_pct(cs['share_near_threshold'])}, above it {_pct(rs['share_above_threshold'])} → "
                   f"{_pct(cs['share_above_threshold'])}, mean confidence {_num(rs['mean_confidence'])} → "
                   f"{_num(cs['mean_confidence'])}")
    for name, w in (("reference", ref), ("current", cur)):
        m = w.get("confusion")
        if m:
            pos = w["classes"]["positive"]
            out.append(f"{name}: confusion tp {m['tp']}, fn {m['fn']}, fp {m['fp']}, tn {m['tn']}; positive class "
                       f"precision {_num(pos['precision'])}, recall {_num(pos['recall'])}")
    return out


def _segments(d: Diagnosis, slices: list[dict]) -> list[str]:
    return [f"slice {s['segment']} = {s['value']}: {d.target} {_num(s['reference'])} → {_num(s['current'])} "
            f"({s['current_rows']} rows); explains {_pct(s['explained_share'])} of the drop "
            f"(elsewhere the change is {s['change_elsewhere']:+.3g})" for s in slices[:TOP_SLICES]]


def _support(s: dict) -> list[str]:
    out = [f"rows outside the model's support ({s['support']}): {_pct(s['reference_share'])} of reference rows, "
           f"{_pct(s['current_share'])} of current rows"]
    moved = [i for i in s["inputs"] if i["current_share"] - i["reference_share"] >= 0.01]
    if moved:
        out.append("inputs outside their training range: " + ", ".join(
            f"{i['node']} {_pct(i['reference_share'])} → {_pct(i['current_share'])}" for i in moved[:3]))
    if s.get("segments"):
        top = s["segments"][0]
        out.append(f"most outside: {top['segment']} = {top['value']} ({_pct(top['current_share'])} of its rows)")
    return out


def _estimate(d: Diagnosis, e: dict) -> str:
    head = "estimated" if e.get("estimated") else "label-free estimate (check against the measured value)"
    return (f"{head} {d.target} of the current window: {_num(e['value'])} [{_num(e['ci'][0])}, {_num(e['ci'][1])}] "
            f"by {e['method']}")


def model_sentences(d: Diagnosis) -> list[str]:
    """Every model-aware finding of ``d`` as one sentence, most decisive first."""
    m = d.model_aware or ModelFindings()
    out: list[str] = []
    if m.artifact is not None:
        out.append(_artifact(m.artifact))
    if m.golden is not None:
        out.append(_golden(d, m.golden))
    out += [_replay(d, c.replay) for c in d.causes if c.replay is not None]
    if m.estimate is not None:
        out.append(_estimate(d, m.estimate))
    if m.segments is not None:
        out += _segments(d, m.segments)
    if m.confidence is not None:
        out += _confidence(m.confidence)
    if m.support is not None:
        out += _support(m.support)
    return out


def _replay(d: Diagnosis, r: Replay) -> str:
    half = (r.ci[1] - r.ci[0]) / 2
    return (f"replay: fixing {' and '.join(r.nodes)} would bring {d.target} to {_num(r.value)} ± "
            f"{half:.2g} (now {_num(r.baseline)}, reference {_num(r.reference)}): "
            f"recovers {_pct(r.recovered_share)} of the drop"
            + ("; indistinguishable from the reference" if r.matches_reference else ""))
