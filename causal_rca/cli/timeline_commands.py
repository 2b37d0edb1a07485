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
        from causal_rca.arguments import check_seed
        from causal_rca.cli.progress import progress_bar
        from causal_rca.lineage import load_graph
        from causal_rca.timeline.watch import WATCH_STEPS, watch

        check_seed(seed)
        g = load_graph(graph)
        if record is not None:
            from causal_rca.history.store import check_recordable

            check_recordable(record)
        with progress_bar(quiet, WATCH_STEPS) as say:
            report = watch(g, data, metric, every, baseline=baseline, seed=seed, progress=say)
        if chart is not None:
            from causal_rca.render.timeline_chart import write_watch_chart

            write_watch_chart(report, chart)
        if fmt is WatchFormat.jsonl:
            sys.stdout.write(report.to_jsonl())
        else:
            _print_watch(report)
        hint = bucket_hint(report)
        if hint:
            print(hint, file=sys.stderr if fmt is WatchFormat.jsonl else sys.stdout)
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
        if not rows:
            if similar is not None:
                total = len(store.records(db))
                print(f"no recorded incident is like #{similar}: none of the other {total - 1} shares its graph and "
                      f"metric together with its top cause, failure mode or an anomalous signal")
            else:
                print(f"{db}: no diagnosis recorded yet (record one with `why … --record {db}` or "
                      f"`watch … --record {db}`)")
            return
        table = Table(title=f"similar to {similar}" if similar is not None else f"history: {db}")
        for col in ("id", "recorded", "command", "graph", "metric", "change", "top cause", "mode",
                    *(["similarity"] if similar is not None else []), "note"):
            table.add_column(col)
        for r, score in rows:
            change = "-" if r.change is None else f"{r.change:+.3g}" + ("" if r.significant else " (n.s.)")
            table.add_row(str(r.id), r.recorded_at, r.command, r.graph, r.target, change, r.top_node or "-",
                          r.top_mode or "-", *([f"{score:.2f}"] if score is not None else []), r.note or "")
        Console(width=160).print(table)


#: rows per bucket below which a bucket's interval is usually too wide for a real change to alert
ROWS_TO_ALERT = 1000


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def bucket_hint(report) -> str | None:
    """When nothing alerted on small buckets: how wide the limits are and a bucket length that holds enough rows."""
    if report.alerts or len(report.buckets) < 2:
        return None
    rows = sorted(b.rows for b in report.buckets)
    median = rows[len(rows) // 2]
    if median >= ROWS_TO_ALERT:
        return None
    width = (report.buckets[1].start - report.buckets[0].start).total_seconds()
    factor = -(-ROWS_TO_ALERT // max(median, 1))
    if len(report.buckets) // factor < 10:  # watch needs at least 7 baseline buckets and some to watch
        suggestion = (f"buckets of {_duration(width * factor)} would hold about {median * factor} rows, but the log "
                      f"is too short for enough of them: give a longer log, or compare two windows with `why`")
    else:
        suggestion = f"try --every {_duration(width * factor)} (about {median * factor} rows per bucket)"
    lim = report.limits
    return (f"note: no alert; buckets hold a median of {median} rows, so the control limits are "
            f"{lim.lower:.3g} … {lim.upper:.3g}: a smaller change cannot alert. {suggestion}")


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
