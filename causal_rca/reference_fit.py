"""What a diagnosis learns from the reference window alone, learnt once (``CausalRCA.fit``).

The reference is read, its metric node resolved, the model artifact loaded,
and the reference's seeded sample and metric frame taken under the
reference's own column types. A diagnosis of a current window asks for the
sample and the frame under the types both windows agree on: when they are
the ones fitted (the usual case) it gets copies of the fitted ones, otherwise
they are read again from the reference window exactly as a one-call diagnosis
reads them. Either way the answer is the bytes a one-call diagnosis gives.

The mechanism tests' reference fits (surrogates, holdout predictions, the
missing-value models, the parents' support index: ``causal/mechanism_fits.py``)
are learnt here too, on the reference sample encoded as a diagnosis encodes
it, and kept under a key of everything they read; a diagnosis whose encoded
reference or seeds differ fits its own. So are the numeric signals' reference
side (``signals/baselines.py``: the sorted sample, its quantiles and range),
each under a digest of the column it was read from, and the reference window's value counts
(``windows/counts.py``: ``fit_counts``), each under the node, its column and type and the
texts it looks up, and how many of its text columns' values read as numbers (``windows/frames.py``:
``reference_parse_counts``). So are the attribution's mechanisms fitted on the reference
(``causal/attribution.py``: ``reference_mechanisms``, for every node that could be a player), and
with them DoWhy's import; a one-call diagnosis skips them (``attribution=False``): it needs one
or two of them and fits those itself, under the same key (docs/fitted.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from ibis.backends import BaseBackend

from causal_rca.causal.contributions import attributable
from causal_rca.causal.encoding import EncodedWindows, effective_parents, encode_windows, label_overrides
from causal_rca.causal.mechanism_fits import MechanismFits, fit_mechanisms
from causal_rca.causal.metric_graph import metric_causal_graph
from causal_rca.causal.workers import worker_count
from causal_rca.diagnosis.classes import class_node_dtypes
from causal_rca.lineage import LineageGraph
from causal_rca.metrics.frames import metric_frames
from causal_rca.metrics.target import MetricTarget, resolve_metric
from causal_rca.signals.baselines import Baselines, numeric_baselines
from causal_rca.windows.counts import FittedCounts, fit_counts
from causal_rca.windows.frames import ParseCounts, node_columns, node_samples, reference_parse_counts, resolve_dtypes
from causal_rca.windows.tables import TableLike, Window, open_window

FrameKey = tuple[tuple[str, ...], bool, str | None]


@dataclass(frozen=True)
class ReferenceFit:
    """The reference window and what was learnt from it; read-only once made (``fit_reference``)."""

    graph: LineageGraph
    target: MetricTarget
    artifact: Any  # the metric's model artifact (model/artifact.py), or None
    window: Window
    seed: int
    sample_rows: int
    dtypes: dict[str, str]  # the reference's own node types, as the sample below was read
    numbers_as_text: bool
    sample: pd.DataFrame = field(repr=False)
    texts: pd.DataFrame = field(repr=False)
    frame_key: FrameKey = ((), False, None)
    frame: pd.DataFrame = field(default=None, repr=False)
    mechanism_fits: MechanismFits = field(default_factory=dict, repr=False)  # see causal/mechanism_fits.py
    baselines: Baselines = field(default_factory=dict, repr=False)  # numeric signals' reference side (signals/baselines.py)
    counts: FittedCounts = field(default_factory=dict, repr=False)  # the reference's value counts (windows/counts.py)
    parsed: ParseCounts = field(default_factory=dict, repr=False)  # its text columns' values read as numbers (frames.py)
    attribution_fits: dict = field(default_factory=dict, repr=False)  # attribution.reference_mechanisms

    @property
    def backend(self) -> BaseBackend:
        """The engine the reference lives on: current windows are opened there too."""
        return self.window.backend


def reference_window(graph: LineageGraph, reference: TableLike | Window, backend: BaseBackend) -> Window:
    """The reference as a window on ``backend`` (a window already open is taken as it is)."""
    return reference if isinstance(reference, Window) else open_window(backend, graph, reference, "reference")


def fit_reference(graph: LineageGraph, metric: str, reference: Window, *, seed: int, sample_rows: int,
                  artifact: Any, review_segments: bool, jobs: int | None = None,
                  attribution: bool = True, mechanisms: bool = True) -> ReferenceFit:
    """Read the reference once: metric target, types, seeded sample and metric frame.

    ``review_segments``: the model review will run (an artifact or a training set), so the
    metric frame carries the graph's segment columns, as the one-call diagnosis reads it.
    ``jobs``: processes for the mechanism fits (``workers.worker_count``).
    ``attribution``: also fit the attribution's reference mechanisms (``attribution_fits``).
    ``mechanisms``: False when one diagnosis follows (a one-call ``diagnose``): its tests fit the
    same models one node at a time and drop them, where kept fits cost about 1 MB per node (holdout residuals, their
    sorted copies, the split): 1.4 GiB more at 2,000 nodes, for fits used once.
    """
    target = resolve_metric(graph, metric, reference)
    dtypes = class_node_dtypes(graph, metric, target.spec, resolve_dtypes(graph, reference))
    numbers_as_text = reference.rows <= sample_rows
    sample, texts = node_samples(reference, graph, dtypes, sample_rows, seed, numbers_as_text=numbers_as_text)
    key = _frame_key(graph, target, dtypes, graph.segments if review_segments else ())
    (frame,) = metric_frames(graph, metric, target.spec, dtypes, (reference,), extra=key[0], with_time=key[1])
    fits = mechanism_fits(graph, target, sample, dtypes, seed, jobs) if mechanisms else {}
    counts = fit_counts((reference, texts, sample), node_columns(graph, dtypes), repeated_only=not numbers_as_text)
    return ReferenceFit(graph, target, artifact, reference, seed, sample_rows, dtypes, numbers_as_text,
                        sample, texts, key, frame, fits, numeric_baselines(sample, dtypes), counts,
                        reference_parse_counts(graph, reference),
                        attribution_fits(graph, target, sample, dtypes, seed, jobs) if attribution else {})


def _encoded(graph: LineageGraph, target: MetricTarget, sample: pd.DataFrame, dtypes: dict[str, str]) -> EncodedWindows:
    """The reference sample encoded as a labelled diagnosis whose current window agrees on the types encodes it."""
    return encode_windows(sample, sample, dtypes, label_overrides(graph, target.node, target.spec, sample, sample))


def attribution_fits(graph: LineageGraph, target: MetricTarget, sample: pd.DataFrame, dtypes: dict[str, str],
                     seed: int, jobs: int | None) -> dict:
    """The attribution's reference mechanisms, for a metric a labelled diagnosis attributes (not a
    multi-class one: its model and metric nodes get mechanisms of their own, ``class_outputs.py``)."""
    mg = metric_causal_graph(graph, target.node, target.spec, dtypes, labelled=True)
    if target.spec.multiclass or not attributable(target.spec, dtypes, mg, labelled=True):
        return {}
    from causal_rca.causal.attribution import reference_mechanisms  # DoWhy: imported by the fit, not each diagnosis

    enc = _encoded(graph, target, sample, dtypes)
    return reference_mechanisms(mg.graph, enc.reference, enc.categorical, seed, jobs)


def mechanism_fits(graph: LineageGraph, target: MetricTarget, sample: pd.DataFrame, dtypes: dict[str, str],
                   seed: int, jobs: int | None) -> MechanismFits:
    """The mechanism tests' reference fits, for the nodes and seeds ``mechanism.assess_mechanisms`` gives them
    when the current window agrees on the types and is labelled (the usual diagnosis)."""
    enc = _encoded(graph, target, sample, dtypes)
    order = [n for n in graph.observed_nodes() if n in dtypes]
    tests = [(n, effective_parents(graph, n), seed + i) for i, n in enumerate(order)]
    tests = [t for t in tests if t[1]]
    return fit_mechanisms(enc.reference, enc.categorical, tests, worker_count(len(tests), jobs))


def _frame_key(graph: LineageGraph, target: MetricTarget, dtypes: dict[str, str],
               extra: tuple[str, ...]) -> FrameKey:
    """What a metric frame depends on besides the window: extra columns, time, the prediction's type."""
    return tuple(extra), bool(graph.time_column), dtypes.get(target.prediction) if target.prediction else None


def reference_sample(fit: ReferenceFit, dtypes: dict[str, str],
                     numbers_as_text: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reference's seeded sample under ``dtypes``: the fitted one when the types agree, else read again.

    Copies: the steps after it may add columns to their sample, and the fit serves many diagnoses.
    """
    if dtypes == fit.dtypes and list(dtypes) == list(fit.dtypes) and numbers_as_text == fit.numbers_as_text:
        return fit.sample.copy(), fit.texts.copy()
    return node_samples(fit.window, fit.graph, dtypes, fit.sample_rows, fit.seed, numbers_as_text=numbers_as_text)


def reference_frame(fit: ReferenceFit, dtypes: dict[str, str], extra: tuple[str, ...]) -> pd.DataFrame:
    """The reference's metric frame for ``dtypes`` and ``extra`` columns: the fitted one when they agree."""
    key = _frame_key(fit.graph, fit.target, dtypes, extra)
    if key == fit.frame_key:
        return fit.frame.copy()
    (frame,) = metric_frames(fit.graph, fit.target.node, fit.target.spec, dtypes, (fit.window,), extra=key[0],
                             with_time=key[1])
    return frame
