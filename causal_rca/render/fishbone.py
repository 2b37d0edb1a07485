"""The fishbone (Ishikawa) diagram: the metric's move as the head, one bone per category.

Post-mortems sort causes by category (Data, Features, Model, Labels,
Pipeline, Infrastructure); the fishbone shows at a glance which bones hold
causes (with rank and score) and which were checked and found clear.
Positions are computed here and pinned (Graphviz ``neato``): a fishbone is
a fixed drawing, not a graph to lay out.
"""

from __future__ import annotations

from dataclasses import dataclass
import graphviz

from causal_rca.diagnosis.model import Diagnosis
from causal_rca.lineage.graph import CATEGORIES, LineageGraph
from causal_rca.render.dot_text import NAME_LIMIT, label_text
from causal_rca.render.findings import CAUSE_COLOR, CLEAR_COLOR, MUTED_COLOR, clip, node_views

FONT = "Helvetica"
MOVED_COLOR = "#e65100"
CHAR_WIDTH = 0.075  # inches per character at 10pt, to space the bones
ITEM_GAP = 0.36
ITEM_LIMIT = 60  # characters of a bone item
TOP, BOTTOM = CATEGORIES[:3], CATEGORIES[3:]


@dataclass(frozen=True)
class BoneItem:
    text: str
    color: str
    bold: bool = False


@dataclass(frozen=True)
class Bone:
    category: str
    items: list[BoneItem]
    color: str


def _node_list(nodes: list[str], limit: int = 4) -> str:
    shown = ", ".join(nodes[:limit])
    return shown + (f" +{len(nodes) - limit} more" if len(nodes) > limit else "")


def bones(graph: LineageGraph, d: Diagnosis | None = None) -> list[Bone]:
    """What each category's bone says, in ``CATEGORIES`` order."""
    views = node_views(graph, d)
    out: list[Bone] = []
    for category in CATEGORIES:
        members = [v for v in views.values() if v.category == category and v.kind != "metric"]
        if not members:
            out.append(Bone(category, [BoneItem("no nodes in the graph", MUTED_COLOR)], MUTED_COLOR))
            continue
        if d is None:
            out.append(Bone(category, [BoneItem(_node_list([v.node for v in members]), "#333333")], "#555555"))
            continue
        causes = sorted((v for v in members if v.status == "cause"), key=lambda v: v.rank or 0)
        moved = [v.node for v in members if v.status == "moved"]
        items = [BoneItem(f"#{v.rank} {v.node}: {v.failure_mode}, score {v.score:.2f}", CAUSE_COLOR, bold=v.rank == 1)
                 for v in causes]
        if moved:
            items.append(BoneItem(f"moved, not a root cause: {_node_list(moved, 3)}", MOVED_COLOR))
        if causes:
            out.append(Bone(category, items, CAUSE_COLOR))
        elif moved:
            out.append(Bone(category, items, MOVED_COLOR))
        else:
            observed = sum(1 for v in members if v.status == "clear")
            unobserved = sum(1 for v in members if v.status == "unobserved")
            if observed:
                text = f"✓ checked and clear ({observed} node{'s' if observed != 1 else ''}"
                text += f", {unobserved} unobserved)" if unobserved else ")"
            else:
                text = f"✓ no evidence ({unobserved} unobserved node{'s' if unobserved != 1 else ''})"
            out.append(Bone(category, [BoneItem(text, CLEAR_COLOR)], CLEAR_COLOR))
    return out


def _head_label(graph: LineageGraph, d: Diagnosis | None) -> str:
    if d is None:
        metrics = graph.metric_nodes()
        return f"<<b>{label_text(graph.name, NAME_LIMIT)}</b><br/>{label_text(_node_list(metrics, 3), 200)}>"
    if not d.significant:
        verdict = "no significant change"
    else:
        verdict = "fell" if d.change < 0 else "rose"
    return (f"<<b>{label_text(d.target, NAME_LIMIT)} {verdict}</b><br/>"
            f"{d.reference.value:.3g} → {d.current.value:.3g}<br/>"
            f'<font point-size="9">change {d.change:+.3g} (95% CI {d.change_ci[0]:+.3g} to {d.change_ci[1]:+.3g})'
            f"</font>>")


def _item_label(item: BoneItem) -> str:
    text = label_text(item.text, ITEM_LIMIT)
    if item.bold:
        text = f"<b>{text}</b>"
    return f'<<font color="{item.color}">{text}</font>>'


def fishbone_dot(graph: LineageGraph, diagnosis: Diagnosis | None = None) -> graphviz.Graph:
    """The fishbone as DOT with pinned positions (render with ``neato``; the source says so)."""
    all_bones = bones(graph, diagnosis)
    most = max(len(b.items) for b in all_bones)
    height = 0.55 + ITEM_GAP * (most + 1)
    slant = 0.55 * height
    widest = max(len(clip(i.text, ITEM_LIMIT)) * (1.12 if i.bold else 1.0) for b in all_bones for i in b.items)
    spacing = max(2.4, widest * CHAR_WIDTH + slant * 0.5 + 0.6)
    g = graphviz.Graph("fishbone", engine="neato")
    g.attr(layout="neato", splines="line", outputorder="edgesfirst", bgcolor="white", pad="0.3",
           fontname=FONT, fontsize="10", fontcolor=MUTED_COLOR, labelloc="b",
           label=f"<{label_text(graph.name, NAME_LIMIT)}: causes by category (fishbone)>")
    g.attr("node", fontname=FONT, fontsize="10", shape="plaintext", margin="0.02", height="0.2", width="0.2")
    g.attr("edge", color="#616161", penwidth="1.2")
    x0 = widest * CHAR_WIDTH + slant + 0.4
    spine = [f"s{k}" for k in range(3)]
    for k in range(3):
        g.node(spine[k], shape="point", width="0.04", label="", pos=f"{x0 + k * spacing:.3f},0!")
    tail_x = x0 - slant - 0.4
    g.node("tail", shape="point", width="0.01", label="", pos=f"{tail_x:.3f},0!")
    head_x = x0 + 2 * spacing + 1.6
    g.node("head", label=_head_label(graph, diagnosis), shape="box", style="filled,rounded",
           fillcolor="#ffebee" if diagnosis is not None and diagnosis.significant else "#f5f5f5",
           color=CAUSE_COLOR if diagnosis is not None and diagnosis.significant else "#555555",
           penwidth="2", margin="0.15,0.08", pos=f"{head_x:.3f},0!")
    g.edge("tail", spine[0], penwidth="3")
    g.edge(spine[0], spine[1], penwidth="3")
    g.edge(spine[1], spine[2], penwidth="3")
    g.edge(spine[2], "head", penwidth="3")
    for index, bone in enumerate(all_bones):
        k, sign = (TOP.index(bone.category), 1) if bone.category in TOP else (BOTTOM.index(bone.category), -1)
        bx = x0 + k * spacing
        ex, ey = bx - slant, sign * height
        cat_id = f"c{index}"
        g.node(cat_id, label=f"<<b>{label_text(bone.category, 40)}</b>>", shape="box", style="filled,rounded",
               fillcolor="white", color=bone.color, fontcolor=bone.color, penwidth="1.5",
               pos=f"{ex:.3f},{ey + sign * 0.28:.3f}!")
        g.edge(cat_id, spine[k], color=bone.color, penwidth="2")
        n = len(bone.items)
        for i, item in enumerate(bone.items):
            t = (n - i) / (n + 1)  # first item nearest the category label
            px, py = bx - slant * t, sign * height * t
            width = len(clip(item.text, ITEM_LIMIT)) * CHAR_WIDTH * (1.12 if item.bold else 1.0)
            point, label = f"p{index}_{i}", f"i{index}_{i}"
            g.node(point, shape="point", width="0.03", color=bone.color, label="", pos=f"{px:.3f},{py:.3f}!")
            g.node(label, label=_item_label(item), pos=f"{px - 0.25 - width / 2:.3f},{py:.3f}!")
            g.edge(label, point, color=bone.color, penwidth="1")
    return g
