"""`causal-rca watch` and `causal-rca history`: the metric over time, and past diagnoses."""

from __future__ import annotations

import json
import sys
import warnings
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table


class WatchFormat(str, Enum):
    text = "text"
    jsonl = "jsonl"


def register(app: typer.Typer) -> None:
    """Add the commands to the main app."""

    @app.command("watch")
    def watch_cmd(
        graph: Path = typer.Argument(..., help="Lineage graph YAML (needs time_column)."),
        data: Path = typer.Option(..., "--data", help="One time-stamped log (CSV or Parquet)."),
        metric: str = typer.Option(..., "--metric", help="Id of a metric node of the graph."),
        every: str = typer.Option("1d", "--every", help="Bucket length: 1d, 6h, 7d, 30min, …"),
        baseline: Optional[int] = typer.Option(None, "--baseline", help="Buckets that set the control limits "
                                               "(default: the first third, 7 to 28)."),
        fmt: WatchFormat = typer.Option(WatchFormat.text, "--format", help="text (a table) or jsonl."),
        chart: Optional[Path] = typer.Option(None, "--chart", help="Write the chart to this .png or .svg file."),
        record: Optional[Path] = typer.Option(None, "--record", help="Record each alert's diagnosis in this history file."),
        seed: int = typer.Option(0, "--seed"),
        quiet: bool = typer.Option(False, "--quiet", help="No progress on standard error."),
    ) -> None:
        """Follow METRIC per bucket with control limits; alert (and diagnose) when it really changes."""
        from causal_rca.cli.progress import progress_bar
        from causal_rca.lineage import load_graph
        from causal_rca.timeline.watch import WATCH_STEPS, watch

        g = load_graph(graph)
        with progress_bar(quiet, WATCH_STEPS) as say:
            report = watch(g, data, metric, every, baseline=baseline, seed=seed, progress=say)
        if chart is not None:
            from causal_rca.render.timeline_chart import write_watch_chart

            write_watch_chart(report, chart)
        if fmt is WatchFormat.jsonl:
            sys.stdout.write(report.to_jsonl())
        else:
            _print_watch(report)
        if record is not None:  # after the report: a locked history file must not hide it
            from causal_rca.history.store import record as record_diagnosis

            for alert in report.alerts:
                if alert.diagnosis is not None:
                    record_diagnosis(record, alert.diagnosis.to_dict(), "watch",
                                     note=f"alert from {alert.start.isoformat()}")

    @app.command("history")
    def history_cmd(
        db: Path = typer.Argument(..., help="A history file written with --record."),
        show: Optional[int] = typer.Option(None, "--show", help="Print this diagnosis as JSON."),
        similar: Optional[int] = typer.Option(None, "--similar", help="Incidents most like this one."),
    ) -> None:
        """List recorded diagnoses, show one, or find the past incidents most like one."""
        from causal_rca.history import store

        if show is not None:
            print(json.dumps(store.get(db, show).diagnosis, indent=2, ensure_ascii=False))
            return
        with warnings.catch_warnings(record=True) as damaged:  # the good rows are listed, each bad one named
            warnings.simplefilter("always", store.DamagedRecordWarning)
            rows = store.similar(db, similar) if similar is not None else [(r, None) for r in store.records(db)]
        for w in damaged:
            print(f"warning: {w.message}", file=sys.stderr)
        table = Table(title=f"similar to {similar}" if similar is not None else f"history: {db}")
        for col in ("id", "recorded", "command", "graph", "metric", "change", "top cause", "mode",
                    *(["similarity"] if similar is not None else []), "note"):
            table.add_column(col)
        for r, score in rows:
            change = "-" if r.change is None else f"{r.change:+.3g}" + ("" if r.significant else " (n.s.)")
            table.add_row(str(r.id), r.recorded_at, r.command, r.graph, r.target, change, r.top_node or "-",
                          r.top_mode or "-", *([f"{score:.2f}"] if score is not None else []), r.note or "")
        Console(width=160).print(table)


def _print_watch(report) -> None:
    console = Console(width=140)
    lim = report.limits
    console.print(f"[bold]{report.metric}[/bold] per {report.every} on {report.graph}: control limits "
                  f"{lim.lower:.3g} … {lim.upper:.3g} (centre {lim.centre:.3g}, {report.baseline_buckets} baseline buckets)",
                  highlight=False)
    cp = report.change_point
    if cp is not None:
        console.print(f"change point: {cp.time.isoformat()} ({cp.kind}), {report.metric} {cp.before:.3g} → "
                      f"{cp.after:.3g}, confidence {cp.confidence:.3f}" + ("" if cp.significant else " — not significant"),
                      highlight=False)
    table = Table()
    for col in ("bucket", "start", "rows", report.metric, "95% CI", "limits", "second signals", "alert"):
        table.add_column(col)
    for b in report.buckets:
        where = "baseline" if b.baseline else {-1: "below", 1: "above", 0: ""}[b.outside]
        table.add_row(str(b.index), b.start.isoformat(), str(b.rows), f"{b.value:.3f}", f"{b.ci[0]:.3f}–{b.ci[1]:.3f}",
                      where, "; ".join(b.signals)[:60], "ALERT" if b.alert else "", style="red" if b.alert else None)
    console.print(table)
    for a in report.alerts:
        top = a.diagnosis.causes[0] if a.diagnosis is not None and a.diagnosis.causes else None
        console.print(f"[red]alert[/red] from {a.start.isoformat()} (buckets {a.first}–{a.last}): "
                      + (f"most likely cause {top.failure_mode} at {top.node}" if top else "not diagnosed"), highlight=False)
