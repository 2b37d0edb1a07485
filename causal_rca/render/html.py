"""A diagnosis as one self-contained HTML page: diagrams and plots inline as SVG, no scripts, no fetches.

The page works offline and can be attached to a ticket as one file. The
template autoescapes every value; only the SVG drawings made by Graphviz and
matplotlib (from escaped labels) are inserted as markup. Without Graphviz the
page still renders, with a note where the diagrams would be.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from causal_rca.diagnosis.data_quality import DATA_QUALITY_NOTE
from causal_rca.diagnosis.model import Cause, Diagnosis
from causal_rca.errors import ToolFailed
from causal_rca.explain.whys import why_steps
from causal_rca.render.findings import cite, graph_warning_lines, p_text
from causal_rca.render.model_findings import model_sentences
from causal_rca.render.output import INSTALL_HINT, GraphvizMissing, graphviz_available, inline_svg
from causal_rca.render.class_findings import COLUMNS as CLASS_COLUMNS
from causal_rca.render.class_findings import class_metric_name, class_sentences, class_table
from causal_rca.render.drivers import COLUMNS as DRIVER_COLUMNS
from causal_rca.render.drivers import driver_sentences, driver_table
from causal_rca.render.plots import confusion_change_svg, distribution_svg, metric_over_time_svg

TOP_SECTIONS = 3


def _value(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def _diagrams(d: Diagnosis) -> dict[str, Any]:
    if d.lineage is None:
        return {"note": "Diagrams need the lineage graph: causal-rca render GRAPH --diagnosis DIAGNOSIS.json "
                        "--out lineage.svg"}
    from causal_rca.render.diagram import lineage_dot
    from causal_rca.render.fishbone import fishbone_dot

    if not (graphviz_available("dot") and graphviz_available("neato")):
        return {"note": f"Diagrams need Graphviz, which is not installed here; {INSTALL_HINT}."}
    try:
        return {"lineage": Markup(inline_svg(lineage_dot(d.lineage, d), "lineage-")),
                "fishbone": Markup(inline_svg(fishbone_dot(d.lineage, d), "fishbone-"))}
    except (GraphvizMissing, ToolFailed) as exc:  # the report is worth having without its pictures
        return {"note": f"Diagrams could not be drawn: {exc}"}


def _plots(d: Diagnosis, c: Cause) -> list[dict[str, Any]]:
    nodes = c.children[:3] if c.children else [c.node]
    plots = []
    for node in nodes:
        summary = d.distributions.get(node)
        if summary is None:
            continue
        prefix = f"plot{c.rank}-{len(plots)}-"
        caption = (f"{node}: reference vs current" if node == c.node
                   else f"{node} (child of {c.node}): reference vs current")
        plots.append({"svg": Markup(distribution_svg(node, summary, title=caption, prefix=prefix)), "caption": caption})
    return plots


def _sections(d: Diagnosis) -> list[dict[str, Any]]:
    return [{"cause": c, "steps": [(s, cite(s)) for s in why_steps(d, c)], "plots": _plots(d, c),
             "value": _value, "p": p_text} for c in d.causes[:TOP_SECTIONS]]


def render_html(d: Diagnosis, standalone: bool = True) -> str:
    """The report page; ``standalone=False`` gives the fragment Jupyter shows (``Diagnosis._repr_html_``)."""
    from causal_rca.render import legend
    from causal_rca.render.fishbone import bones

    env = Environment(loader=PackageLoader("causal_rca.render", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2").render(
        d=d, standalone=standalone, diagrams=_diagrams(d), sections=_sections(d), p_text=p_text,
        over_time=Markup(metric_over_time_svg(d.metric, d.metric_over_time)) if d.metric_over_time else None,
        bones=bones(d.lineage, d) if d.lineage is not None else [], model_lines=model_sentences(d),
        data_quality_note=DATA_QUALITY_NOTE, legend=legend,
        slice_note=any("of the drop" in line for line in model_sentences(d)),
        classes=_classes(d),
        drivers={"columns": DRIVER_COLUMNS, "rows": driver_table(d), "sentences": driver_sentences(d)}
        if d.decision_drivers else None,
        warning_lines=graph_warning_lines(d) + list(d.warnings),
    )


def _classes(d: Diagnosis) -> dict[str, Any] | None:
    """The per-class table, where the errors moved, and the confusion-change heat map (multi-class only)."""
    if not d.class_findings.get("classes"):
        return None
    heat = confusion_change_svg(d.class_findings.get("confusion_change") or {})
    return {"columns": CLASS_COLUMNS, "rows": class_table(d), "sentences": class_sentences(d),
            "metric": class_metric_name(d), "heatmap": Markup(heat) if heat else None}
