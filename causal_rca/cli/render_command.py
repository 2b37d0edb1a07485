"""`causal-rca render`: draw a lineage graph, or turn a saved diagnosis JSON into its report again."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from causal_rca.cli.app import OutputFormat, emit  # registered at the end of app.py, once both exist
from causal_rca.errors import InputError


class View(str, Enum):
    lineage = "lineage"
    fishbone = "fishbone"


def register(app: typer.Typer) -> None:
    """Add the command to the main app."""

    @app.command("render")
    def render_cmd(
        source: Path = typer.Argument(..., help="A lineage graph YAML (draws its diagram), or a `why --format json` "
                                                "file (writes its report again, without rerunning the diagnosis)."),
        out: Optional[Path] = typer.Option(None, "--out", help="Diagram: .svg, .png (need Graphviz) or .dot. "
                                                               "Report: any file (default: standard output)."),
        diagnosis: Optional[Path] = typer.Option(None, "--diagnosis", help="A `why --format json` file to colour the "
                                                                           "diagram by."),
        view: Optional[View] = typer.Option(None, "--view", help="lineage (causal diagram, the default) or fishbone."),
        fmt: Optional[OutputFormat] = typer.Option(None, "--format", help="Report format of a diagnosis JSON (default: "
                                                                          "from --out's extension, else text)."),
        graph: Optional[Path] = typer.Option(None, "--graph", help="With a diagnosis JSON: the graph it was made on, "
                                                                   "so the report draws its diagrams."),
    ) -> None:
        """Draw a lineage graph (or a fishbone), or turn a saved diagnosis JSON into a report.

        `render GRAPH --out lineage.svg [--diagnosis D.json]` draws a diagram;
        `render D.json --format html [--graph GRAPH] --out report.html` writes the report again.
        """
        if fmt is not None or source.suffix.lower() == ".json":
            _render_report(source, out, fmt, graph, diagnosis, view)
            return
        from causal_rca.diagnosis.reading import read_diagnosis
        from causal_rca.lineage import load_graph
        from causal_rca.render.diagram import lineage_dot
        from causal_rca.render.fishbone import fishbone_dot
        from causal_rca.render.output import write_diagram

        if graph is not None:
            raise InputError("--graph goes with a diagnosis JSON (render D.json --graph GRAPH); "
                             "to draw a graph, give it as the argument")
        if out is None:
            raise InputError("drawing a graph needs --out FILE (.svg, .png or .dot)")
        g = load_graph(source)
        d = read_diagnosis(diagnosis, g) if diagnosis is not None else None
        write_diagram(lineage_dot(g, d) if view in (None, View.lineage) else fishbone_dot(g, d), out)
        print(f"wrote {out}")


REPORT_SUFFIXES = {".html": "html", ".htm": "html", ".md": "markdown", ".json": "json"}


def _render_report(source: Path, out: Optional[Path], fmt: Optional[OutputFormat], graph: Optional[Path],
                   diagnosis: Optional[Path], view: Optional[View]) -> None:
    """A saved diagnosis as a report: the bytes `why --format FMT` wrote for it."""
    from causal_rca.diagnosis.reading import read_diagnosis
    from causal_rca.render import render

    if diagnosis is not None or view is not None:
        raise InputError("--diagnosis and --view draw a graph's diagram: give the graph YAML as the argument, "
                         "not a diagnosis")
    chosen = fmt.value if fmt is not None else REPORT_SUFFIXES.get(out.suffix.lower(), "text") if out else "text"
    emit(render(read_diagnosis(source, graph), chosen), out)
