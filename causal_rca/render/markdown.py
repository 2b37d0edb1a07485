"""A diagnosis as Markdown, pasteable into an incident ticket.

Every user-supplied string (node ids, descriptions, owners, evidence that
quotes data values) goes through ``md_escape``: Markdown and HTML
punctuation is backslash-escaped and line breaks folded, so a value shows
as text and cannot open a tag, a link or a table cell.
"""

from __future__ import annotations

import re

from causal_rca.diagnosis.data_quality import DATA_QUALITY_NOTE
from causal_rca.diagnosis.model import Cause, Diagnosis
from causal_rca.explain.whys import why_steps
from causal_rca.render import legend
from causal_rca.render.class_findings import COLUMNS as CLASS_COLUMNS
from causal_rca.render.class_findings import class_metric_name, class_sentences, class_table
from causal_rca.render.drivers import COLUMNS as DRIVER_COLUMNS
from causal_rca.render.drivers import driver_sentences, driver_table
from causal_rca.render.findings import cite, graph_warning_lines, p_text
from causal_rca.render.model_findings import model_sentences

_SPECIAL = re.compile(r"[\\`*\[\]|<>#&!~]")
# An underscore inside a word (merchant_category) cannot start emphasis in CommonMark: left as is, readable raw.
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def md_escape(text: object) -> str:
    """Escape what Markdown or HTML would interpret in user-supplied strings (CommonMark backslash escapes)."""
    s = _SPECIAL.sub(lambda m: "\\" + m.group(0), " ".join(str(text).split()))
    return _EDGE_UNDERSCORE.sub(r"\\_", s)


def _ci(ci: tuple[float, float]) -> str:
    return f"{ci[0]:.4g} – {ci[1]:.4g}"


def _cause_section(d: Diagnosis, c: Cause) -> list[str]:
    lines = [f"### {c.rank}. {md_escape(c.node)}: {md_escape(c.mode_label)}", ""]
    facts = [f"score {c.score:.2f}"]
    if c.contribution is not None:
        facts.append(f"explains {c.contribution:+.3g} of the {d.change:+.3g} change")
    if c.category:
        facts.append(f"category {md_escape(c.category)}")
    if c.owner:
        facts.append(f"owner {md_escape(c.owner)}")
    lines += ["; ".join(facts) + ".", ""]
    if c.path:
        lines += ["Path: " + " → ".join(md_escape(n) for n in c.path), ""]
    lines += ["Why (each step one node of the path, metric first):", ""]
    for i, step in enumerate(why_steps(d, c), 1):
        cited = cite(step, md_escape)
        lines.append(f"{i}. {md_escape(step.text)}" + (f" — {cited}" if cited else ""))
    lines += ["", "Evidence:", ""]
    lines += [f"- {md_escape(e.test)}: {md_escape(e.detail)}" + (f" ({p_text(e.p_value)})" if p_text(e.p_value) else "")
              for e in c.evidence]
    lines += ["", f"Mitigation: {md_escape(c.mitigation)}", ""]
    for a in c.alternatives:
        lines += [f"Or {md_escape(str(a.get('failure_mode')))}: {md_escape(str(a.get('evidence', '')))}. "
                  f"Mitigation then: {md_escape(str(a.get('mitigation', '')))}", ""]
    return lines


def _classes(d: Diagnosis) -> list[str]:
    """The per-class table and where the errors moved (multi-class metrics only)."""
    if not d.class_findings.get("classes"):
        return []
    lines = ["## Classes", "", f"_Per class: {md_escape(class_metric_name(d))}, with its 95% CI._", "",
             "| " + " | ".join(CLASS_COLUMNS) + " |", "|" + "---|" * len(CLASS_COLUMNS)]
    lines += ["| " + " | ".join(md_escape(cell) for cell in row) + " |" for row in class_table(d)]
    lines.append("")
    sentences = class_sentences(d)
    return lines + [f"- {md_escape(s)}" for s in sentences] + ([""] if sentences else [])


def _drivers(d: Diagnosis) -> list[str]:
    """The decision drivers (SHAP, with a model artifact only)."""
    if not d.decision_drivers:
        return []
    lines = ["## Decision drivers", "", "_Mean |SHAP contribution| per input, with its 95% CI._", "",
             "| " + " | ".join(md_escape(c) for c in DRIVER_COLUMNS) + " |", "|" + "---|" * len(DRIVER_COLUMNS)]
    lines += ["| " + " | ".join(md_escape(cell) for cell in row) + " |" for row in driver_table(d)]
    return lines + [""] + [f"- {md_escape(s)}" for s in driver_sentences(d)] + [""]


def render_markdown(d: Diagnosis) -> str:
    """Summary, metric with CI, ranked causes, why-chains with evidence, mitigation, what was found clear."""
    from causal_rca.render.fishbone import bones

    lines = [f"# Why did {md_escape(d.target)} change? ({md_escape(d.graph)})", ""]
    if d.description:
        lines += [md_escape(d.description), ""]
    lines += [f"**{md_escape(d.summary)}**", "",
              "| window | value | 95% CI | rows |", "|---|---|---|---|",
              f"| reference | {d.reference.value:.4g} | {_ci(d.reference.ci)} | {d.reference.rows} |",
              f"| current | {d.current.value:.4g} | {_ci(d.current.ci)} | {d.current.rows} |",
              "", f"Change: {d.change:+.4g} (95% CI {d.change_ci[0]:+.4g} to {d.change_ci[1]:+.4g}); "
              f"{'significant' if d.significant else 'not significant'}.", ""]
    if d.causes:
        lines += ["## Ranked causes", "",
                  "| # | node | category | failure mode | score | contribution | owner |",
                  "|---|---|---|---|---|---|---|"]
        for c in d.causes:
            contrib = "" if c.contribution is None else f"{c.contribution:+.3g}"
            lines.append(f"| {c.rank} | {md_escape(c.node)} | {md_escape(c.category or '')} | "
                         f"{md_escape(c.mode_label)} | {c.score:.2f} | {contrib} | {md_escape(c.owner or '')} |")
        lines += ["", f"_{md_escape(legend.SCORE)}. {md_escape(legend.CONTRIBUTION)}._", ""]
        for c in d.causes[:3]:
            lines += _cause_section(d, c)
    lines += _classes(d)
    lines += _drivers(d)
    model = model_sentences(d)
    if model:
        lines += ["## The model", ""] + [f"- {md_escape(line)}" for line in model] + [""]
        if any("of the drop" in line for line in model):
            lines += [f"_{md_escape(legend.SLICE)}._", ""]
    if d.lineage is not None:
        lines += ["## By category (fishbone)", "", "| category | finding |", "|---|---|"]
        lines += [f"| {md_escape(b.category)} | {'; '.join(md_escape(i.text) for i in b.items)} |"
                  for b in bones(d.lineage, d)]
        lines.append("")
    if d.data_quality:
        lines += ["## Data quality", "", f"_Contract violations and integrity faults, {DATA_QUALITY_NOTE}._", "",
                  "| node | check | detail | p |", "|---|---|---|---|"]
        lines += [f"| {md_escape(a.node)} | {md_escape(a.signal)} | {md_escape(a.detail)} | {p_text(a.p_value)} |"
                  for a in d.data_quality]
        lines.append("")
    if d.anomalies:
        lines += ["## Anomalous signals", "", "| node | signal | detail | p |", "|---|---|---|---|"]
        lines += [f"| {md_escape(a.node)} | {md_escape(a.signal)} | {md_escape(a.detail)} | {p_text(a.p_value)} |"
                  for a in d.anomalies[:30]]
        if len(d.anomalies) > 30:
            lines.append(f"| … | {len(d.anomalies) - 30} more | | |")
        lines.append("")
    lines += ["## Checked and clear", "", ", ".join(md_escape(n) for n in d.checked_clear) or "none", ""]
    if d.warnings or d.graph_warnings:
        lines += ["## Warnings", ""] + [f"- {md_escape(w)}" for w in graph_warning_lines(d) + d.warnings] + [""]
    lines += [f"_causal-rca, seed {d.seed}, at most {d.sample_rows} sampled rows per window. Diagrams: "
              f"`causal-rca render GRAPH --diagnosis DIAGNOSIS.json --out lineage.svg`._", ""]
    return "\n".join(lines)
