"""Tickets: one self-contained engineering issue per top cause, in Markdown and as postable JSON.

Each ticket carries what a team needs to act without opening the report: the
impact with its interval, the node and its owning team, the evidence, the
5-whys, the mitigation as a checklist, a verified contract patch when one
would have caught the fault (``contract_patch.py``), and the commands that
reproduce the diagnosis. Wording is blameless: it names systems and steps of
the pipeline, never people. The JSON form holds, per ticket, a ``github``
object to POST to ``/repos/{owner}/{repo}/issues`` and a ``jira`` object for
``/rest/api/2/issue`` (the client adds ``fields.project``); fields are
documented in docs/prevention.md and docs/ticket.schema.json.
"""

from __future__ import annotations

import json
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import escape

from causal_rca.diagnosis.model import Cause, Diagnosis
from causal_rca.explain.whys import why_steps
from causal_rca.render.findings import cite, p_text
from causal_rca.render.markdown import md_escape

TICKETS = 3  # top causes that get a ticket
FORMAT = "causal-rca-tickets/1"


def default_command(d: Diagnosis) -> str:
    """The `why` command line of a diagnosis (no --format), with placeholders for the files it does not know."""
    return f"causal-rca why {d.target} --graph GRAPH.yaml --reference REFERENCE.csv --current CURRENT.csv --seed {d.seed}"


def _verb(d: Diagnosis) -> str:
    return "fell" if d.change < 0 else "rose"


def title(d: Diagnosis, c: Cause) -> str:
    return (f"{d.target} {_verb(d)} {d.reference.value:.3g} → {d.current.value:.3g}: {c.failure_mode} at "
            f"{c.node} ({d.graph})")


def impact(d: Diagnosis, c: Cause) -> dict[str, Any]:
    out: dict[str, Any] = {
        "metric": d.target, "reference": d.reference.value, "reference_ci": list(d.reference.ci),
        "current": d.current.value, "current_ci": list(d.current.ci), "change": d.change,
        "change_ci": list(d.change_ci), "significant": d.significant, "contribution": c.contribution}
    if c.replay:
        out["if_fixed"] = {"value": c.replay.get("value"), "ci": c.replay.get("ci")}
    return out


def _impact_lines(d: Diagnosis, c: Cause) -> list[str]:
    lines = [f"- {md_escape(d.target)} {_verb(d)} from **{d.reference.value:.4g}** (95% CI {d.reference.ci[0]:.4g} – "
             f"{d.reference.ci[1]:.4g}, {d.reference.rows} rows) to **{d.current.value:.4g}** (95% CI "
             f"{d.current.ci[0]:.4g} – {d.current.ci[1]:.4g}, {d.current.rows} rows).",
             f"- Change {d.change:+.4g} (95% CI {d.change_ci[0]:+.4g} to {d.change_ci[1]:+.4g}), "
             f"{'significant' if d.significant else 'not significant'}."]
    if c.contribution is not None:
        lines.append(f"- This cause explains {c.contribution:+.3g} of the change (cause score {c.score:.2f}, rank "
                     f"{c.rank}).")
    else:
        lines.append(f"- Cause score {c.score:.2f}, rank {c.rank}.")
    if c.replay:
        ci = c.replay.get("ci") or [float("nan")] * 2
        lines.append(f"- Replaying the model with this node restored gives {c.replay.get('value'):.4g} "
                     f"(95% CI {ci[0]:.4g} – {ci[1]:.4g}).")
    return lines


def _checklist(c: Cause, patches: list[dict[str, Any]]) -> list[str]:
    items = [f"- [ ] {md_escape(step.strip())}" for step in c.mitigation.split(";") if step.strip()]
    for p in patches:
        items.append(f"- [ ] add the contract below to `{md_escape(p['node'])}` in the lineage graph (verified: it "
                     f"passes on the reference window and fails on the current one)")
    for a in c.alternatives:
        items.append(f"- [ ] rule out {md_escape(str(a.get('failure_mode')))} first: "
                     f"{md_escape(str(a.get('evidence', '')))}")
    items.append("- [ ] re-run the command below on a fresh window and check the cause is gone")
    return items


def ticket_markdown(d: Diagnosis, c: Cause, command: str, patches: list[dict[str, Any]] | None = None) -> str:
    """One cause as a self-contained issue body (Markdown; user strings escaped).

    ``patches``: the cause's verified contract patches; ``[]`` when none was found, ``None`` when not looked for.
    """
    checked = patches is not None
    patches = patches or []
    owner = md_escape(c.owner) if c.owner else "no owner declared in the lineage graph"
    lines = [f"## {md_escape(title(d, c))}", "",
             f"_Filed from a causal-rca diagnosis of `{md_escape(d.graph)}`. It describes what the pipeline did, "
             f"not who did it._", "", "### Impact", "", *_impact_lines(d, c), "",
             "### Where", "", f"- Node: `{md_escape(c.node)}`" + (f" ({md_escape(c.category)})" if c.category else ""),
             f"- Owning team or system: {owner}", f"- Failure mode: {md_escape(c.mode_label)}"]
    if c.path:
        lines.append("- Path to the metric: " + " → ".join(f"`{md_escape(n)}`" for n in c.path))
    if c.children:
        lines.append("- Fields that changed with it: " + ", ".join(f"`{md_escape(n)}`" for n in c.children))
    lines += ["", "### Evidence", ""]
    lines += [f"- {md_escape(e.test)}: {md_escape(e.detail)}" + (f" ({p_text(e.p_value)})" if p_text(e.p_value) else "")
              for e in c.evidence]
    lines += ["", "### 5 whys", ""]
    for i, step in enumerate(why_steps(d, c), 1):
        cited = cite(step, md_escape)
        lines.append(f"{i}. {md_escape(step.text)}" + (f" — {cited}" if cited else ""))
    lines += ["", "### Mitigation", "", *_checklist(c, patches), ""]
    for p in patches:
        lines += [f"### Contract patch for `{md_escape(p['node'])}`", "",
                  f"Verified with `validate --data`: passes on the reference window ({p['reference']['rows']} "
                  f"rows), fails on the current one ("
                  + "; ".join(md_escape(v) for v in p["current"]["findings"].values()) + ").", "",
                  "```yaml", p["lineage_yaml"].rstrip(), "```", ""]
        if p.get("dbt_yaml"):
            lines += ["As a dbt test:", "", "```yaml", p["dbt_yaml"].rstrip(), "```", ""]
    if checked and not patches:
        lines += ["### Contract", "", "No contract key read off the reference window (dtype, null rate, range, "
                  "categories, staleness) fails on the current one: a contract would not have caught this.", ""]
    lines += ["### Reproduce", "", "```sh", *reproduce(command), "```", ""]
    return "\n".join(lines)


def reproduce(command: str) -> list[str]:
    """The `why` command (without --format) as the ticket and as the JSON diagnosis the report tools read."""
    return [f"{command} --format ticket", f"{command} --format json --out diagnosis.json"]


def labels(c: Cause) -> list[str]:
    """Labels without spaces (Jira refuses them)."""
    return ["causal-rca", c.failure_mode] + (["-".join(c.category.lower().split())] if c.category else [])


def tickets(d: Diagnosis, command: str | None = None, patches: dict[str, list[dict[str, Any]]] | None = None,
            top: int = TICKETS) -> list[dict[str, Any]]:
    """One ticket per top cause: its fields, its Markdown body, and the GitHub and Jira payloads."""
    command = command or default_command(d)
    out = []
    for c in d.causes[:top]:
        mine = None if patches is None else patches.get(c.node, [])
        body = ticket_markdown(d, c, command, mine)
        out.append({
            "title": title(d, c), "body": body, "labels": labels(c), "node": c.node, "failure_mode": c.failure_mode,
            "owner": c.owner, "rank": c.rank, "score": c.score, "impact": impact(d, c),
            "evidence": [e.to_dict() for e in c.evidence], "whys": [s.text for s in why_steps(d, c)],
            "mitigation": [s.strip() for s in c.mitigation.split(";") if s.strip()],
            "contract_patches": mine or [], "reproduce": reproduce(command),
            "github": {"title": title(d, c), "body": body, "labels": labels(c)},
            "jira": {"fields": {"summary": title(d, c), "description": body, "labels": labels(c),
                                "issuetype": {"name": "Bug"}}},
        })
    return out


def render_tickets(d: Diagnosis, fmt: str = "markdown", command: str | None = None,
                   patches: dict[str, list[dict[str, Any]]] | None = None) -> str:
    """All tickets: Markdown (separated by rules) or JSON (``{"format", "graph", "target", "tickets"}``)."""
    items = tickets(d, command, patches)
    if fmt == "json":
        return json.dumps({"format": FORMAT, "graph": d.graph, "target": d.target, "significant": d.significant,
                           "tickets": items}, indent=2, allow_nan=False, default=str) + "\n"
    if not items:
        why = "the change is not significant" if not d.significant else "no node of the graph changed its behaviour"
        return f"No ticket: {why} ({md_escape(d.summary)}).\n"
    return "\n---\n\n".join(t["body"] for t in items)


def preview_html(markdown_text: str, heading: str = "causal-rca tickets") -> str:
    """A Markdown ticket as a standalone HTML page (CommonMark, raw HTML in the text left as text)."""
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown_text)
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(heading)}</title>'
            f"<style>body{{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}}"
            f"pre{{background:#f4f4f4;padding:.8em;overflow:auto}}code{{font-size:90%}}</style></head>"
            f"<body>\n{body}</body></html>\n")
