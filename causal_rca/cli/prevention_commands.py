"""`causal-rca risk` (FMEA from the lineage) and `causal-rca drill` (a faulty window to rehearse with)."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer


class RiskFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


def register(app: typer.Typer, emit) -> None:
    """Add the commands to the main app; ``emit(text, out)`` writes a report to --out or standard output."""

    @app.command("risk")
    def risk_cmd(
        graph: Path = typer.Argument(..., help="Lineage graph YAML."),
        reference: str = typer.Option(..., "--reference", help="A healthy window: CSV or Parquet file, glob or URL."),
        metric: Optional[str] = typer.Option(None, "--metric", help="Metric node (default: the graph's only one)."),
        history: Optional[Path] = typer.Option(None, "--history", help="History file (`why --record`): past "
                                                                       "incidents set the occurrence."),
        trust_model: bool = typer.Option(False, "--trust-model", help="Allow loading a model artifact that can "
                                                                      "run code (pickle, MLflow)."),
        strength: float = typer.Option(0.3, "--strength", help="Strength every fault is injected at, in (0, 1]."),
        rows: int = typer.Option(3000, "--rows", help="Reference rows (seeded sample) the faults are injected into."),
        self_tests: int = typer.Option(5, "--self-tests", min=0, help="Highest-ranked rows whose injected window "
                                                                      "is diagnosed (seconds each)."),
        fmt: RiskFormat = typer.Option(RiskFormat.text, "--format", help="Output format (html: a heat map)."),
        out: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead of standard output."),
        seed: int = typer.Option(0, "--seed"),
        quiet: bool = typer.Option(False, "--quiet", help="No progress on standard error."),
    ) -> None:
        """Failure Mode and Effects Analysis: every node × failure mode injected into the reference, ranked by RPN."""
        from causal_rca.cli.progress import progress_bar
        from causal_rca.arguments import check_seed
        from causal_rca.prevention.faults import check_strength
        from causal_rca.prevention.fmea import risk_table
        from causal_rca.prevention.fmea_render import render_risk
        from causal_rca.prevention.window import prepare

        check_strength(strength)
        check_seed(seed)
        records = None
        if history is not None:
            from causal_rca.history import store

            records = store.records(history)
        setup = prepare(graph, reference, metric, rows=rows, seed=seed, trust_model=trust_model)
        with progress_bar(quiet, 60) as say:
            table = risk_table(setup, history=records, history_label=str(history) if history else None,
                               strength=strength, self_tests=self_tests, seed=seed, trust_model=trust_model,
                               progress=say)
        emit(render_risk(table, fmt.value), out)

    @app.command("drill")
    def drill_cmd(
        graph: Path = typer.Argument(..., help="Lineage graph YAML."),
        reference: str = typer.Option(..., "--reference", help="A healthy window: CSV or Parquet file, glob or URL."),
        node: str = typer.Option(..., "--node", help="Node to break."),
        mode: str = typer.Option(..., "--mode", help="Failure mode to inject (see `risk` for those per kind)."),
        out: Path = typer.Option(..., "--out", help="Faulty window to write (.csv or .parquet)."),
        strength: float = typer.Option(0.3, "--strength", help="Share of rows hit, or size of the change, in (0, 1]."),
        metric: Optional[str] = typer.Option(None, "--metric", help="Metric node (default: the graph's only one)."),
        rows: int = typer.Option(20000, "--rows", help="Reference rows to copy (a seeded sample when more)."),
        trust_model: bool = typer.Option(False, "--trust-model", help="Allow loading a model artifact that can "
                                                                      "run code (pickle, MLflow)."),
        seed: int = typer.Option(0, "--seed"),
    ) -> None:
        """Write a faulty current window from real reference rows, to rehearse an incident and test monitors."""
        from causal_rca.prevention.drill import write_drill
        from causal_rca.arguments import check_seed
        from causal_rca.prevention.faults import check_strength
        from causal_rca.prevention.window import prepare

        check_strength(strength)
        check_seed(seed)
        setup = prepare(graph, reference, metric, rows=rows, seed=seed, trust_model=trust_model)
        result = write_drill(setup, node, mode, strength, out, seed)
        print(result.summary(setup.metric), file=sys.stderr)


def _quoted(value) -> str:
    import shlex

    return shlex.quote(str(value))


def ticket_text(d, fmt: str, graph: Path, reference: Optional[str], current: Optional[str], *,
                data: Optional[str], split: Optional[str], seed: int) -> str:
    """`why --format ticket[-json]`: the tickets, with the command that reproduces them and verified contract patches."""
    from causal_rca.lineage import load_graph
    from causal_rca.prevention.contract_patch import patch_for
    from causal_rca.prevention.tickets import TICKETS, render_tickets

    args = ["causal-rca", "why", d.target, "--graph", graph]
    if data is not None:
        args += ["--data", data] + (["--split", split] if split else [])
    else:
        args += ["--reference", reference, "--current", current]
    command = " ".join(_quoted(a) for a in [*args, "--seed", seed])
    patches = None  # a split log has no two tables to verify a patch on: the ticket then says nothing of one
    if reference is not None and current is not None:
        patches = {}
        g = load_graph(graph)
        for c in d.causes[:TICKETS]:
            found = [p.to_dict() for p in patch_for(g, c.node, reference, current)]
            if found:
                patches[c.node] = found
    return render_tickets(d, "json" if fmt == "ticket-json" else "markdown", command, patches)
