"""The ``causal-rca`` command line (contract: spec/diagnosis.md).

Exit status: 0 when a diagnosis or check was made, 2 for bad input (one
line on standard error, no traceback), 1 only for a bug.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from causal_rca.cli.progress import progress_bar
from causal_rca.errors import InputError, ParameterError, ToolFailed

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Causal root-cause analysis for ML pipelines: why did the metric drop?")
scenarios_app = typer.Typer(no_args_is_help=True, help="Failure scenarios with known ground truth.")
app.add_typer(scenarios_app, name="scenarios")
import_app = typer.Typer(no_args_is_help=True, help="Lineage people already have: OpenLineage events, dbt manifests.")
app.add_typer(import_app, name="import")


def _version(value: bool) -> None:
    if value:
        from causal_rca import __version__

        print(f"causal-rca {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")) -> None:
    """Causal root-cause analysis for ML pipelines: why did the metric drop?"""


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"
    ticket = "ticket"  # one issue per top cause, Markdown (causal_rca/prevention/tickets.py)
    ticket_json = "ticket-json"  # the same as JSON a GitHub or Jira client can post


def write_stdout(text: str) -> None:
    """Write to standard output, or say clearly that it cannot be written (closed, or a broken pipe)."""
    if sys.stdout is None:  # the process was started with its standard output closed
        raise InputError("standard output is closed: write the result to a file with --out FILE")
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise  # the reader stopped reading (`| head`): main() ends with 141
    except OSError as exc:
        raise InputError(f"cannot write to standard output ({exc.strerror or exc}): "
                         f"write the result to a file with --out FILE") from None


def _stderr(quiet: bool) -> Console:
    return Console(stderr=True, quiet=quiet)


class EngineName(str, Enum):
    duckdb = "duckdb"
    spark = "spark"


def _register_timeline_commands() -> None:
    from causal_rca.cli.render_command import register as register_render
    from causal_rca.cli.timeline_commands import register

    register_render(app)
    register(app)


def _register_prevention_commands() -> None:
    from causal_rca.cli.prevention_commands import register

    register(app, emit)


def emit(text: str, out: Optional[Path]) -> None:
    """The result to standard output, or to ``out``."""
    if out is None:
        write_stdout(text if text.endswith("\n") else text + "\n")
        return
    from causal_rca.render.output import write_file

    write_file(out, text)


@app.command()
def validate(
    graph: Path = typer.Argument(..., help="Lineage graph YAML."),
    data: Optional[str] = typer.Option(None, "--data", help="A table to check against the graph: its columns, "
                                                            "each node's dtype and every contract."),
    strict: bool = typer.Option(False, "--strict", help="Exit with status 1 when --data breaks a dtype or contract "
                                                        "(default: warnings, status 0)."),
    check_graph: bool = typer.Option(False, "--check-graph", help="Also test, on a sample of --data, that each node "
                                                                   "depends on nothing upstream beyond its parents; "
                                                                   "suggest the parents the data says are missing."),
    seed: int = typer.Option(0, "--seed", help="Seed for --check-graph's sample."),
) -> None:
    """Check a lineage graph (and, with --data, that the table holds its columns, dtypes and contracts)."""
    from causal_rca.lineage import check_columns, load_graph

    if check_graph and data is None:
        raise InputError("--check-graph needs --data: the table to test the graph against")
    from causal_rca.arguments import check_seed

    check_seed(seed)
    g = load_graph(graph)
    if data is not None:
        from causal_rca.windows.tables import table_columns  # the query engine: only to read a table

        check_columns(g, table_columns(data), table=str(data))
    observed = sum(1 for n in g.nodes.values() if n.observed)
    print(f"OK: {graph}: graph '{g.name}', {len(g.nodes)} nodes ({observed} observed), "
          f"metrics: {', '.join(g.metric_nodes())}" + (f"; columns found in {data}" if data else ""))
    if data is None:
        return
    from causal_rca.windows.validate import check_table

    rows, findings = check_table(g, data)
    _report_findings(data, rows, findings)
    if check_graph:
        from causal_rca.cli.graph_checks import report_graph_check

        report_graph_check(g, data, seed)
    if findings and strict:
        raise typer.Exit(1)


def _report_findings(data: str, rows: int, findings) -> None:
    if not findings:
        print(f"OK: {data}: {rows} rows; every node's values read as its dtype and meet its contract")
        return
    nodes = list(dict.fromkeys(f.node for f in findings))
    print(f"warning: {data}: {rows} rows; {len(findings)} problem{'s' if len(findings) > 1 else ''} "
          f"at {len(nodes)} node{'s' if len(nodes) > 1 else ''}:")
    for node in nodes:
        for f in (f for f in findings if f.node == node):
            print(f"  {node} (column {f.column}) {f.check}: {f.detail}")


@app.command()
def why(
    metric: str = typer.Argument(..., help="Id of a metric node of the graph."),
    graph: Path = typer.Option(..., "--graph", help="Lineage graph YAML."),
    reference: Optional[str] = typer.Option(None, "--reference",
                                            help="Reference window: CSV or Parquet file, glob or URL."),
    current: Optional[str] = typer.Option(None, "--current", help="Current window: CSV or Parquet file, glob or URL."),
    data: Optional[str] = typer.Option(None, "--data", help="One table to split in time."),
    split: Optional[str] = typer.Option(None, "--split", help="Split timestamp for --data, or 'auto' (where the metric changed)."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="Output format."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead of standard output."),
    verbose: bool = typer.Option(False, "--verbose", help="Text: every node's signals and mechanism test in one table."),
    seed: int = typer.Option(0, "--seed", help="Seed for sampling and resampling."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress on standard error."),
    engine: EngineName = typer.Option(EngineName.duckdb, "--engine",
                                      help="Query engine: duckdb (embedded) or spark (needs causal-rca[spark])."),
    spark_master: Optional[str] = typer.Option(None, "--spark-master",
                                               help="Spark master URL for --engine spark (default local[*])."),
    record: Optional[Path] = typer.Option(None, "--record", help="Also record the diagnosis in this history file."),
    jobs: Optional[int] = typer.Option(None, "--jobs", min=1,
                                       help="Processes for the mechanism tests (default: all cores, at most 4, "
                                            "from 96 mechanism tests; the answer is the same)."),
    training: Optional[str] = typer.Option(None, "--training", help="Training snapshot: the model's support."),
    golden: Optional[str] = typer.Option(None, "--golden", help="Trusted labelled set to clear or blame the model."),
    trust_model: bool = typer.Option(False, "--trust-model",
                                     help="Allow loading a model artifact that can run code (pickle, MLflow)."),
    estimate: bool = typer.Option(False, "--estimate", help="Also give the label-free estimate of the current "
                                                            "metric when labels exist (given anyway without them)."),
) -> None:
    """Explain why METRIC changed between two windows."""
    from causal_rca.api import STEPS, diagnose
    from causal_rca.render import render

    if record is not None:
        from causal_rca.history.store import check_recordable

        check_recordable(record)
    with progress_bar(quiet, len(STEPS)) as say:
        d = diagnose(graph, reference, current, metric, data=data, split=split, seed=seed, progress=say,
                     engine=engine.value, spark_master=spark_master, jobs=jobs, trust_model=trust_model,
                     golden=golden, training=training, estimate=estimate)
    if fmt.value.startswith("ticket"):
        from causal_rca.cli.prevention_commands import ticket_text

        text = ticket_text(d, fmt.value, graph, reference, current, data=data, split=split, seed=seed)
    else:
        text = render(d, fmt.value, verbose=verbose)
    emit(text, out)
    if record is not None:
        from causal_rca.history.store import record as record_diagnosis

        record_diagnosis(record, d.to_dict(), "why")


@app.command()
def demo(
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="Output format."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Run a built-in failure scenario end to end and print the diagnosis."""
    from causal_rca.api import STEPS, diagnose
    from causal_rca.render import render
    from causal_rca.scenarios import generate, get_scenario

    scenario = get_scenario("schema_change_coerced_nulls")
    err = _stderr(False)
    err.print(f"[bold]demo[/bold]: {scenario.title}\n{scenario.description}\n", highlight=False)
    frames = generate(scenario)
    with progress_bar(False, len(STEPS)) as say:
        d = diagnose(scenario.graph_path, frames["reference"], frames["current"], scenario.metric, seed=seed,
                     progress=say)
    emit(render(d, fmt.value), None)


@app.command()
def quickstart(
    folder: Path = typer.Argument(Path("causal-rca-quickstart"), help="Folder to write the example into."),
    force: bool = typer.Option(False, "--force", help="Overwrite the example's files if the folder holds them."),
) -> None:
    """Write a small, complete example (graph, log, windows, model, lineage files) and the commands to try."""
    from causal_rca.quickstart import FILES, commands_text, write_quickstart

    err = _stderr(False)
    err.print(f"writing the example into {folder} …", highlight=False)
    write_quickstart(folder, force=force)
    width = max(len(name) for name in FILES)
    print(f"wrote {folder}/:")
    for name, what in FILES.items():
        print(f"  {name:<{width}}  {what}")
    print("\nThe incident: from 2024-03-04 one acquiring processor sends merchant codes as text, and fraud "
          "recall drops.\nTry, in order (each command works as written):\n")
    print(commands_text(str(folder)))
    print("Then on your own data: `causal-rca init --data YOUR_LOG --label LABEL --prediction SCORE --out graph.yaml`,\n"
          "correct the draft, `causal-rca validate graph.yaml --data YOUR_LOG`, then `why`. "
          "Reference: docs/lineage-format.md and docs/user-guide.md.")


@app.command()
def init(
    data: str = typer.Option(..., "--data", help="A prediction log (CSV or Parquet file, or a glob)."),
    label: Optional[str] = typer.Option(None, "--label", help="The column holding the true outcome."),
    prediction: Optional[str] = typer.Option(None, "--prediction", help="The column holding the model's output "
                                                                        "(score, predicted class or value)."),
    metric: Optional[str] = typer.Option(None, "--metric", help="The metric node to add (default: f1 for two "
                                                                "classes, accuracy for more, mae for numbers)."),
    model: Optional[Path] = typer.Option(None, "--model", help="The model artifact (.skops): its input order "
                                                               "becomes the model node's parents."),
    trust_model: bool = typer.Option(False, "--trust-model", help="Allow --model to be a pickle (loading runs code)."),
    time_column: Optional[str] = typer.Option(None, "--time-column", help="The row time column (default: found)."),
    name: Optional[str] = typer.Option(None, "--name", help="The graph's name (default: the log's file name)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the draft here instead of standard output."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
) -> None:
    """Draft a lineage graph from a log (columns, dtypes, model, label, metric, contracts), to correct by hand."""
    from causal_rca.lineage.draft import draft_graph
    from causal_rca.lineage.graph import METRICS

    if metric is not None and metric not in METRICS:
        from causal_rca.lineage.schema import suggest

        raise InputError(f"--metric '{metric}' is not a metric name{suggest(metric, METRICS)}; "
                         f"expected one of {', '.join(METRICS)}")
    if out is not None and out.exists() and not force:
        raise InputError(f"'{out}' already exists: give another --out, or --force to overwrite it")
    text = draft_graph(data, label=label, prediction=prediction, metric=metric, time_column=time_column,
                       name=name, model=model, trust_model=trust_model)
    if out is None:
        write_stdout(text)
        return
    emit(text, out)
    print(f"wrote {out}: a draft to correct (every column is a source until you say what computes it); "
          f"then: causal-rca validate {out} --data {data}")


@scenarios_app.command("list")
def scenarios_list() -> None:
    """List the scenarios with their metric and description."""
    from causal_rca.scenarios import list_scenarios

    for s in list_scenarios():
        print(f"{s.name:40s} {s.metric:10s} {s.title}")


@scenarios_app.command("run")
def scenarios_run(
    name: Optional[str] = typer.Argument(None, help="Scenario name."),
    all_: bool = typer.Option(False, "--all", help="Run every scenario."),
    fmt: str = typer.Option("text", "--format", help="text or json"),
) -> None:
    """Run scenarios through the engine and compare its answer with the truth."""
    import json

    from rich.table import Table

    from causal_rca.scenarios import get_scenario, list_scenarios, run_scenario, summarise

    if bool(name) == bool(all_):
        raise InputError("give a scenario NAME or --all")
    if fmt not in ("text", "json"):
        raise InputError(f"--format must be text or json, not '{fmt}'")
    chosen = list_scenarios() if all_ else [get_scenario(name)]
    results = []
    with progress_bar(False, len(chosen)) as say:
        for s in chosen:
            if say:
                say(f"scenario {s.name}")
            results.append(run_scenario(s))
    summary = summarise(results)
    if fmt == "json":
        print(json.dumps({"results": [_result_dict(r) for r in results], "summary": summary}, indent=2))
        return
    table = Table(title="Scenarios: truth vs answer")
    for col in ("", "scenario", "truth", "answer", "top-3", "seconds"):
        table.add_column(col)
    for r in results:
        truth = f"{r.truth.node} / {r.truth.failure_mode}" if r.truth.significant else "no fault"
        answer = (f"{r.answer_node} / {r.answer_mode}" if r.significant and r.answer_node
                  else "significant, no cause" if r.significant else "not significant")
        if r.error:
            answer = f"error: {r.error}"
        table.add_row("PASS" if r.passed else "FAIL", r.name, truth, answer, ", ".join(r.top3 or []),
                      f"{r.seconds:.1f}", style=None if r.passed else "red")
    console = Console(width=160)
    console.print(table)
    summ = Table(title="Summary")
    for key in summary:
        summ.add_column(key.replace("_", " "))
    summ.add_row(*[("-" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)) for v in summary.values()])
    console.print(summ)


def _result_dict(r) -> dict:
    return {"name": r.name, "truth_node": r.truth.node, "truth_mode": r.truth.failure_mode,
            "truth_significant": r.truth.significant, "answer_node": r.answer_node, "answer_mode": r.answer_mode,
            "top3": list(r.top3 or []), "significant": r.significant, "passed": r.passed,
            "seconds": round(r.seconds, 3), "error": r.error}


@scenarios_app.command("export")
def scenarios_export(
    name: str = typer.Argument(..., help="Scenario name."),
    out: Path = typer.Option(..., "--out", help="Folder to write graph.yaml, reference.csv, current.csv."),
    with_model: bool = typer.Option(False, "--with-model",
                                    help="Also write model.skops (named in graph.yaml) and golden.csv."),
) -> None:
    """Write a scenario's graph and windows to files, to try `why` on them."""
    from causal_rca.scenarios import export_scenario, get_scenario

    paths = export_scenario(get_scenario(name), out, with_model=with_model)
    for kind, path in paths.items():
        print(f"{kind}: {path}")


def _import(kind: str, path: Path, out: Path, check_graph: bool = False, **options) -> None:
    from causal_rca.lineage.importers.write import imported_graph, write_graph

    graph = imported_graph(kind, path, **options)
    if check_graph and not graph.get("x-observed-from"):
        raise InputError("--check-graph needs --observed-from LOG (or observed_from: in the --attach-model file): "
                         "the prediction log to test the imported graph against")
    write_graph(graph, out)
    nodes = graph["nodes"].values()
    observed = sum(1 for n in nodes if n.get("column"))
    skipped = len(graph.get("x-skipped-tests", []))
    print(f"wrote {out}: graph '{graph['name']}', {len(graph['nodes'])} nodes ({observed} observed)"
          + (f", {skipped} tests not contracts (x-skipped-tests)" if skipped else "")
          + ("" if options.get("attach") else "; add the model, label and metric with --attach-model"))
    if check_graph:
        from causal_rca.cli.graph_checks import check_imported

        check_imported(graph, str(graph["x-observed-from"]))


CHECK_IMPORTED_HELP = ("Then test the written graph on the --observed-from log: missing parents, and the guessed "
                       "'every input column' edges the data does not support (suggested, never applied).")
OBSERVED_FROM_HELP = ("The prediction log (CSV/Parquet file or glob): only its columns are observed; the rest "
                      "stay unobserved lineage, one node per dataset.")


@import_app.command("openlineage")
def import_openlineage(
    events: Path = typer.Argument(..., help="OpenLineage events: a JSON array, JSON lines or pretty-printed objects; "
                                            ".gz too."),
    out: Path = typer.Option(..., "--out", help="Graph YAML to write."),
    attach_model: Optional[Path] = typer.Option(None, "--attach-model", help="YAML naming the model, label, metrics."),
    observed_from: Optional[str] = typer.Option(None, "--observed-from", help=OBSERVED_FROM_HELP),
    name: Optional[str] = typer.Option(None, "--name", help="Graph name (default: the file's name)."),
    check_graph: bool = typer.Option(False, "--check-graph", help=CHECK_IMPORTED_HELP),
) -> None:
    """Build a lineage graph from OpenLineage events (column lineage when present)."""
    _import("openlineage", events, out, check_graph=check_graph, attach=attach_model, observed_from=observed_from,
            name=name)


@import_app.command("dbt")
def import_dbt(
    manifest: Path = typer.Argument(..., help="dbt target/manifest.json (.gz too)."),
    out: Path = typer.Option(..., "--out", help="Graph YAML to write."),
    select: Optional[list[str]] = typer.Option(None, "--select",
                                               help="dbt selectors (name, +name, name+, tag:, package:, source:, "
                                                    "path:); ancestors are always kept."),
    exclude: Optional[list[str]] = typer.Option(None, "--exclude", help="dbt selectors to leave out."),
    catalog: Optional[Path] = typer.Option(None, "--catalog", help="dbt target/catalog.json: real column types."),
    attach_model: Optional[Path] = typer.Option(None, "--attach-model", help="YAML naming the model, label, metrics."),
    observed_from: Optional[str] = typer.Option(None, "--observed-from", help=OBSERVED_FROM_HELP),
    name: Optional[str] = typer.Option(None, "--name", help="Graph name (default: the dbt project)."),
    check_graph: bool = typer.Option(False, "--check-graph", help=CHECK_IMPORTED_HELP),
) -> None:
    """Build a lineage graph from a dbt manifest (column lineage from compiled SQL; tests become contracts)."""
    _import("dbt", manifest, out, check_graph=check_graph, attach=attach_model, select=select, exclude=exclude,
            catalog=catalog, observed_from=observed_from, name=name)


_register_timeline_commands()
_register_prevention_commands()


def _stdout_gone() -> None:
    """The reader of standard output went away (``| head``): stop as a shell pipeline expects, 128 + SIGPIPE,
    without Python's "Exception ignored" note when it flushes stdout at exit."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno())
    sys.exit(141)


def _collect_once_at_exit() -> None:
    """Collect the garbage once, then freeze what is left, so that the interpreter's shutdown does
    not walk every object again.

    A diagnosis imports pandas, scikit-learn, SciPy, ibis and DoWhy: hundreds of thousands of objects
    that live until exit, where Python's shutdown runs its full collection more than once over all of
    them, about 0.3 s of CPU after a ``why`` (docs/scale.md, "Imports"). The one collection here
    still finalizes every object that is garbage at exit (engine connections, files); what is frozen
    is what the modules hold, freed as their modules are torn down.
    """
    gc.collect()
    gc.freeze()


def main(argv: list[str] | None = None) -> None:
    """Entry point: turn bad input into exit status 2 with one line, never a traceback."""
    atexit.unregister(_collect_once_at_exit)  # once per process, however often main runs in it (the tests)
    atexit.register(_collect_once_at_exit)
    try:
        rv = app(args=argv, standalone_mode=False)
        if sys.stdout is not None:
            sys.stdout.flush()  # a closed pipe shows here, inside the handlers below, not at interpreter exit
    except ParameterError as exc:  # the library names its parameters; here they are the command's flags
        print(f"error: {exc.as_flags()}", file=sys.stderr)
        sys.exit(2)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except ToolFailed as exc:  # a bug, but the helper program's message says more than a traceback
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        _stdout_gone()
    except SystemExit as exc:
        # click ends a command whose output pipe closed with status 1, which here means a bug
        if exc.code == 1 and type(sys.stdout).__name__ == "PacifyFlushWrapper":
            _stdout_gone()
        raise
    except typer.TyperException as exc:  # usage errors: bad or missing arguments
        show = getattr(exc, "show", None)
        if show is not None:
            show(file=sys.stderr)
        else:
            print(f"error: {exc}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 2) or 2)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
