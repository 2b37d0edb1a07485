"""A diagnosis as Markdown, pasteable into an incident ticket."""

from __future__ import annotations

from causal_rca.diagnosis.model import Diagnosis


def _esc(text: object) -> str:
    """Escape what Markdown or HTML would interpret in user-supplied strings."""
    s = str(text)
    for ch in ("\\", "`", "*", "_", "[", "]", "|", "<", ">", "#"):
        s = s.replace(ch, "\\" + ch)
    return s


def render_markdown(d: Diagnosis) -> str:
    lines = [f"# Why did {_esc(d.target)} change? ({_esc(d.graph)})", ""]
    if d.description:
        lines += [_esc(d.description), ""]
    lines += [f"**{_esc(d.summary)}**", "",
              "| window | value | 95% CI | rows |", "|---|---|---|---|",
              f"| reference | {d.reference.value:.4g} | {d.reference.ci[0]:.4g} – {d.reference.ci[1]:.4g} | {d.reference.rows} |",
              f"| current | {d.current.value:.4g} | {d.current.ci[0]:.4g} – {d.current.ci[1]:.4g} | {d.current.rows} |",
              "", f"Change: {d.change:+.4g} (95% CI {d.change_ci[0]:+.4g} to {d.change_ci[1]:+.4g}); "
              f"{'significant' if d.significant else 'not significant'}.", ""]
    if d.causes:
        lines += ["## Ranked causes", "", "| # | node | failure mode | score | contribution |", "|---|---|---|---|---|"]
        for c in d.causes:
            contrib = "" if c.contribution is None else f"{c.contribution:+.3g}"
            lines.append(f"| {c.rank} | {_esc(c.node)} | {c.failure_mode} | {c.score:.2f} | {contrib} |")
        lines.append("")
        for c in d.causes[:3]:
            lines += [f"### {c.rank}. {_esc(c.node)}: {c.failure_mode}", ""]
            lines += [f"{i}. {_esc(w)}" for i, w in enumerate(c.why, 1)]
            lines += ["", "Evidence:", ""]
            lines += [f"- `{e.test}`: {_esc(e.detail)}" + (f" (p={e.p_value:.2g})" if e.p_value is not None else "")
                      for e in c.evidence]
            lines += ["", f"Mitigation: {c.mitigation}", ""]
    if d.anomalies:
        lines += ["## Anomalous signals", "", "| node | signal | detail | p |", "|---|---|---|---|"]
        lines += [f"| {_esc(a.node)} | {a.signal} | {_esc(a.detail)} | {a.p_value:.2g} |" for a in d.anomalies[:30]]
        lines.append("")
    lines += ["## Checked and clear", "", ", ".join(_esc(n) for n in d.checked_clear) or "none", ""]
    if d.warnings:
        lines += ["## Warnings", ""] + [f"- {_esc(w)}" for w in d.warnings] + [""]
    return "\n".join(lines)
