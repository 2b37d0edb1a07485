"""The one-call entry points: ``diagnose`` and ``what_if_fixed``, each a ``CausalRCA`` fitted and asked once.

A single code path: the fitted object (``fitted.py``) runs the steps of the
diagnosis (``pipeline.py``), so a one-call diagnosis and a fitted model asked
the same question give the same bytes. A model asked once is fitted without
the attribution's reference mechanisms (``fit(..., attribution=False)``): the
diagnosis fits the one or two its causes need, where ``fit`` would fit every
node's; ``diagnose`` also keeps no mechanism-test fits (``mechanism_fits=False``):
each test fits its own and drops it, so a wide graph never holds them all. ``split='auto'`` first finds where the
metric changed (``timeline/changepoint.py``), then diagnoses the two sides.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from threadpoolctl import threadpool_limits

from causal_rca.arguments import check_diagnose_arguments
from causal_rca.diagnosis.model import Diagnosis
from causal_rca.errors import ParameterError
from causal_rca.fitted import CausalRCA
from causal_rca.lineage import LineageGraph
from causal_rca.library_warnings import captured_warnings, diagnosis_messages
from causal_rca.metrics.target import metric_to_explain, resolve_metric
from causal_rca.pipeline import STEPS, Progress
from causal_rca.windows.engines import Engine
from causal_rca.windows.frames import SAMPLE_ROWS
from causal_rca.windows.tables import TableLike, Window, open_windows

if TYPE_CHECKING:  # the replay and the timeline are imported by the calls that use them
    from causal_rca.model.replay import ReplayResult
    from causal_rca.model.reweight import How

__all__ = ["SAMPLE_ROWS", "STEPS", "CausalRCA", "diagnose", "what_if_fixed"]


def diagnose(
    graph: LineageGraph | str | Path,
    reference: TableLike | None = None,
    current: TableLike | None = None,
    metric: str | None = None,
    *,
    data: TableLike | None = None,
    split: str | None = None,
    seed: int = 0,
    sample_rows: int = SAMPLE_ROWS,
    progress: Progress | None = None,
    engine: Engine = "duckdb",
    spark_master: str | None = None,
    jobs: int | None = None,
    trust_model: bool = False,
    golden: TableLike | None = None,
    training: TableLike | None = None,
    estimate: bool = False,
) -> Diagnosis:
    """Why did ``metric`` change between the reference and the current window?

    Every argument is checked first (``ParameterError`` names the wrong one),
    then the windows are read, the metric compared, every node's signals and
    mechanism tested, the change attributed and the causes ranked.

    Parameters
    ----------
    graph : LineageGraph, str or Path
        The lineage graph, or its YAML file.
    reference, current : str, Path or pandas.DataFrame, optional
        The two windows: CSV or Parquet files (a glob or URL too) or DataFrames.
    metric : str, optional
        The metric node to explain; the graph's only one when not given.
    data : str, Path or pandas.DataFrame, optional
        One table to split in time instead of two windows (needs ``split``).
    split : str or datetime, optional
        Where ``data`` splits into reference and current, or ``"auto"``: where the metric changed.
    seed : int, default 0
        Seeds sampling and resampling: the same inputs and seed give the same bytes.
    sample_rows : int, default 20000
        Rows sampled per window for the tests (counts use every row).
    progress : callable, optional
        Called with the name of each step as it starts (``STEPS``).
    engine : {"duckdb", "spark"} or ibis backend, default "duckdb"
        Where the tables are read and counted; only the samples come back to Python.
    spark_master : str, optional
        The Spark master URL for ``engine="spark"`` (default ``local[*]``).
    jobs : int, optional
        Processes for the mechanism tests (default: all cores, at most four, on
        graphs with many of them; the answer is the same).
    trust_model : bool, default False
        Allow model artifacts whose loading runs code (pickles, MLflow).
    golden : str, Path or pandas.DataFrame, optional
        A trusted labelled set to clear or blame the model on (needs the model node's ``artifact``).
    training : str, Path or pandas.DataFrame, optional
        The training snapshot that defines the model's support (default: the reference).
    estimate : bool, default False
        Also give the label-free estimate of the current metric when it has labels
        (a current window without labels always gets one).

    Returns
    -------
    Diagnosis
        The verdict, the ranked causes with their evidence and the chain of whys.

    Raises
    ------
    InputError
        A graph, table or argument the engine cannot use (``ParameterError`` for an argument).

    Examples
    --------
    >>> from causal_rca.scenarios import generate, get_scenario
    >>> s = get_scenario("schema_change_coerced_nulls")  # the demo: merchant codes arrive as text
    >>> windows = generate(s)
    >>> d = diagnose(s.graph_path, windows["reference"], windows["current"], "recall", seed=0)
    >>> d.significant, d.causes[0].node, d.causes[0].failure_mode
    (True, 'merchant_category', 'schema_change')
    """
    check_diagnose_arguments(graph=graph, reference=reference, current=current, metric=metric, data=data, split=split,
                             seed=seed, sample_rows=sample_rows, progress=progress, engine=engine,
                             spark_master=spark_master, jobs=jobs, trust_model=trust_model, golden=golden,
                             training=training, estimate=estimate)
    if data is not None:  # the graph is read once, here: fit and the timeline take it as read
        graph, metric = metric_to_explain(graph, metric)
    rca = CausalRCA(graph, metric, seed=seed, sample_rows=sample_rows, engine=engine, spark_master=spark_master,
                    jobs=jobs, trust_model=trust_model, golden=golden, training=training, estimate=estimate,
                    progress=progress)
    if data is None:
        return rca.fit(reference, attribution=False, mechanism_fits=False).diagnose(current)
    # The models are small: one OpenMP thread is as fast, and many spin-waiting threads on a
    # shared machine make gradient boosting tens of times slower.
    with threadpool_limits(limits=1, user_api="openmp"), captured_warnings() as raised:
        if split == "auto":
            d = diagnose_auto_split(rca, data)
        else:
            ref_w, cur_w = split_windows(rca, data, split)
            d = rca.fit(ref_w, attribution=False, mechanism_fits=False).diagnose(cur_w)
    extra = [m for m in diagnosis_messages(raised) if m not in d.warnings]
    return replace(d, warnings=[*d.warnings, *extra]) if extra else d


def split_windows(rca: CausalRCA, data: TableLike, split: str) -> tuple[Window, Window]:
    """The two sides of ``data`` at ``split`` (a wrong metric name fails before the table is read)."""
    resolve_metric(rca.graph, rca.metric)
    if rca.queries.progress:
        rca.queries.progress("reading windows")
    return open_windows(rca.graph, data=data, split=split, engine=rca.engine, spark_master=rca.spark_master)


def diagnose_auto_split(rca: CausalRCA, data: TableLike) -> Diagnosis:
    """``split='auto'``: split where the metric changed (timeline/changepoint.py), then diagnose."""
    from causal_rca.timeline.changepoint import find_change_point
    from causal_rca.timeline.nodes import node_change_points
    from causal_rca.timeline.series import load_timeline

    graph, metric = rca.graph, rca.metric
    say = rca.queries.progress
    if say:
        say("finding when the metric changed")
    timeline = load_timeline(graph, data, metric)
    try:
        point = find_change_point(timeline, rca.seed)
    except ValueError:
        raise ParameterError("{split='auto'}: the log is too short to place a change point; give {split=TIMESTAMP}") from None
    # The split is the best of many candidate times, so the windows' own interval is too optimistic:
    # a change the change-point test does not support is not a significant change.
    ref_w, cur_w = split_windows(rca, data, point.time.isoformat())
    d = rca.fit(ref_w, attribution=False, mechanism_fits=False).diagnose(cur_w, split_p_value=None if point.significant else point.p_value)
    split = {**point.to_dict(), "nodes": [c.to_dict() for c in node_change_points(timeline)]}
    warnings = list(d.warnings)
    if not point.significant:
        warnings.append(f"--split auto: no clear change point (p = {point.p_value:.2g}); the windows are split at "
                        f"the most likely time, {point.time.isoformat()}")
    return replace(d, split=split, warnings=warnings)


def what_if_fixed(graph: LineageGraph | str | Path, reference: TableLike, current: TableLike, metric: str,
                  nodes: tuple[str, ...], *, seed: int = 0, trust_model: bool = False,
                  sample_rows: int = SAMPLE_ROWS, engine: Engine = "duckdb", how: How = "rows") -> ReplayResult:
    """The metric of the current window had ``nodes`` kept their reference behaviour (``CausalRCA.what_if``).

    ``how``: ``"rows"`` puts each row back as it was, ``"population"`` reweights the rows to the
    nodes' reference distribution (model/whatif.py)."""
    from causal_rca.model.reweight import check_how

    check_how(how)  # before any table is read
    rca = CausalRCA(graph, metric, seed=seed, trust_model=trust_model, sample_rows=sample_rows, engine=engine)
    return rca.fit(reference, attribution=False).what_if(current, nodes, how=how)
