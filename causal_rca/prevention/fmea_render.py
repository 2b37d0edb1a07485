"""The FMEA table as text, Markdown, JSON and an HTML heat map (nodes × failure modes, coloured by RPN)."""

from __future__ import annotations

import json

from markupsafe import escape

from causal_rca.prevention.fmea import RiskRow, RiskTable
from causal_rca.render.markdown import md_escape

RISK_FORMATS = ("text", "json", "markdown", "html")


def _metric(r: RiskRow) -> str:
    return f"{r.reference:.4g} → {r.faulty:.4g}" + ("" if r.significant else " (n.s.)")


def _tested(r: RiskRow) -> str:
    t = r.self_test
    if t is None:
        return "not self-tested"
    if t["named_at_rank"] == 1:
        return "named at rank 1"
    if t["named_at_rank"]:
        return f"named at rank {t['named_at_rank']} (rank 1: {t['rank1_node']})"
    return f"not named (rank 1: {t['rank1_node'] or 'none'})"


def render_text(t: RiskTable, top: int | None = None) -> str:
    rows = t.rows if top is None else t.rows[:top]
    head = (f"FMEA of {t.graph} for {t.metric}: {len(t.rows)} node × failure-mode rows, faults injected into "
            f"{t.rows_used} reference rows, scored by {t.scored_by}")
    lines = [head, "", f"{'RPN':>4}  {'S':>2} {'O':>2} {'D':>2}  {'node':<24} {'failure mode':<20} "
                       f"{'metric':<22} {'detected by':<11} self-test"]
    for r in rows:
        lines.append(f"{r.rpn:>4}  {r.severity:>2} {r.occurrence:>2} {r.detection:>2}  {r.node:<24} {r.mode:<20} "
                     f"{_metric(r):<22} {r.detected_by:<11} {_tested(r)}")
    lines += ["", "Cheapest detection to add, top rows first:"]
    lines += [f"  {r.node} / {r.mode}: {r.cheapest_detection}" for r in rows[:10]]
    lines += ["", "Scales: S = 1 + one point per 5% of the metric lost; O = history or a prior by kind; "
                  "D = 2 contract, 3 causal-rca at rank 1 (self-test), 6 watch only, 9 nothing. "
                  "See docs/prevention.md."]
    lines += [f"warning: {w}" for w in t.warnings]
    return "\n".join(lines) + "\n"


def render_markdown(t: RiskTable, top: int | None = None) -> str:
    rows = t.rows if top is None else t.rows[:top]
    lines = [f"# FMEA: {md_escape(t.graph)}, {md_escape(t.metric)}", "",
             f"Faults injected into {t.rows_used} reference rows at the standard strength, scored by "
             f"{md_escape(t.scored_by)}.", "",
             "| RPN | S | O | D | node | failure mode | metric | detected by | self-test | cheapest detection to add |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.rpn} | {r.severity} | {r.occurrence} | {r.detection} | {md_escape(r.node)} | "
                     f"{md_escape(r.mode)} | {md_escape(_metric(r))} | {md_escape(r.detected_by)} | "
                     f"{md_escape(_tested(r))} | {md_escape(r.cheapest_detection)} |")
    lines += ["", "_S: 1 + one point per 5% of the metric lost. O: past incidents (history) or a prior by kind. "
                  "D: 2 contract, 3 causal-rca names it at rank 1, 6 a watch only, 9 nothing. RPN = S × O × D._", ""]
    lines += [f"- warning: {md_escape(w)}" for w in t.warnings]
    return "\n".join(lines) + "\n"


def render_json(t: RiskTable) -> str:
    return json.dumps(t.to_dict(), indent=2, allow_nan=False) + "\n"


def _colour(rpn: int) -> str:
    """White (RPN 1) to deep red (RPN 400 or more), on a square-root scale."""
    share = min(1.0, (max(rpn, 1) / 400) ** 0.5)
    g = int(255 - 190 * share)
    return f"rgb(255,{g},{g})"


def render_html(t: RiskTable) -> str:
    """A self-contained page: the heat map (nodes × modes), then the ranked table."""
    modes = list(dict.fromkeys(r.mode for r in sorted(t.rows, key=lambda r: r.mode)))
    nodes = list(dict.fromkeys(r.node for r in t.rows))
    cell = {(r.node, r.mode): r for r in t.rows}
    head = "".join(f"<th>{escape(m)}</th>" for m in modes)
    body = []
    for n in nodes:
        tds = []
        for m in modes:
            r = cell.get((n, m))
            if r is None:
                tds.append('<td class="na"></td>')
                continue
            title = f"S {r.severity} × O {r.occurrence} × D {r.detection}; {r.injected}; {r.cheapest_detection}"
            tds.append(f'<td style="background:{_colour(r.rpn)}" title="{escape(title)}">{r.rpn}</td>')
        body.append(f"<tr><th>{escape(n)}</th>{''.join(tds)}</tr>")
    ranked = "".join(
        f"<tr><td>{r.rpn}</td><td>{r.severity}</td><td>{r.occurrence}</td><td>{r.detection}</td>"
        f"<td>{escape(r.node)}</td><td>{escape(r.mode)}</td><td>{escape(_metric(r))}</td>"
        f"<td>{escape(r.detected_by)}</td><td>{escape(_tested(r))}</td><td>{escape(r.cheapest_detection)}</td></tr>"
        for r in t.rows)
    warnings = "".join(f"<li>{escape(w)}</li>" for w in t.warnings)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>FMEA: {escape(t.graph)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; font-size: 13px; text-align: left; }}
td.na {{ background: #f4f4f4; }}
.heat td {{ text-align: center; min-width: 5em; }}
</style></head><body>
<h1>FMEA: {escape(t.graph)}, {escape(t.metric)}</h1>
<p>Risk priority number (RPN = severity × occurrence × detection, 1 to 1000) per node and failure mode; faults
injected into {t.rows_used} reference rows, scored by {escape(t.scored_by)}. Grey: no injector for that mode at
that node's kind.</p>
<table class="heat"><tr><th>node</th>{head}</tr>{''.join(body)}</table>
<h2>Ranked</h2>
<table><tr><th>RPN</th><th>S</th><th>O</th><th>D</th><th>node</th><th>failure mode</th><th>metric</th>
<th>detected by</th><th>self-test</th><th>cheapest detection to add</th></tr>{ranked}</table>
<ul>{warnings}</ul>
<p>S: 1 + one point per 5% of the metric lost. O: past incidents (history) or a prior by kind. D: 2 contract,
3 causal-rca names it at rank 1, 6 a watch only, 9 nothing.</p>
</body></html>
"""


def render_risk(t: RiskTable, fmt: str) -> str:
    if fmt == "json":
        return render_json(t)
    if fmt == "markdown":
        return render_markdown(t)
    if fmt == "html":
        return render_html(t)
    return render_text(t)
