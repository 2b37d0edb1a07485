"""``CausalRCA``: fit on a reference window once, then diagnose many current windows against it.

As in dowhy.gcm and scikit-learn, what depends on the reference alone is
learnt by ``fit`` (``reference_fit.py``); ``diagnose`` and ``what_if`` are
queries over it. ``causal_rca.diagnose`` is this object fitted and asked
once, so both give the same bytes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from threadpoolctl import threadpool_limits

from causal_rca.arguments import check_flag, check_folder, check_graph_and_metric, check_options, check_p_value, check_table
from causal_rca.errors import ParameterError
from causal_rca.library_warnings import Record, captured_warnings, diagnosis_messages
from causal_rca.lineage import LineageGraph
from causal_rca.metrics.target import metric_to_explain, resolve_metric
from causal_rca.model.review import load_model
from causal_rca.pipeline import Progress, Queries, diagnose_window
from causal_rca.reference_fit import ReferenceFit, fit_reference, reference_window
from causal_rca.windows.engines import Engine, connect
from causal_rca.windows.frames import SAMPLE_ROWS
from causal_rca.windows.scope import released
from causal_rca.windows.tables import TableLike, Window, open_window

if TYPE_CHECKING:
    from causal_rca.diagnosis.model import Diagnosis
    from causal_rca.model.replay import ReplayResult


class CausalRCA:
    """A root-cause model of one metric of a pipeline, fitted on a reference window.

    ``fit`` reads the reference once (its metric, column types, seeded sample
    and metric frame, the model artifact); ``diagnose`` then explains each
    current window against it and ``what_if`` replays fixes, without reading
    the reference again. ``save`` writes the fitted model to a folder of
    Parquet and JSON that ``load`` reads back in another process.

    Parameters
    ----------
    graph : LineageGraph, str or Path
        The lineage graph, or its YAML file.
    metric : str, optional
        The metric node to explain; the graph's only one when not given.
    seed : int, default 0
        Seeds sampling and resampling: the same inputs and seed give the same bytes.
    sample_rows : int, default 20000
        Rows sampled per window for the tests (counts use every row).
    engine : {"duckdb", "spark"} or ibis backend, default "duckdb"
        Where the tables are read and counted.
    spark_master : str, optional
        The Spark master URL for ``engine="spark"``.
    jobs : int, optional
        Processes for the mechanism tests (the answer is the same).
    trust_model : bool, default False
        Allow model artifacts whose loading runs code (pickles, MLflow).
    golden : str, Path or pandas.DataFrame, optional
        A trusted labelled set to clear or blame the model on.
    training : str, Path or pandas.DataFrame, optional
        The training snapshot that defines the model's support.
    estimate : bool, default False
        Also give the label-free estimate of the current metric when it has labels.
    progress : callable, optional
        Called with the name of each step as it starts.

    Attributes
    ----------
    fitted_ : ReferenceFit
        What ``fit`` learnt (set by ``fit``).

    Examples
    --------
    >>> from causal_rca.scenarios import generate, get_scenario
    >>> s = get_scenario("schema_change_coerced_nulls")
    >>> windows = generate(s)
    >>> rca = CausalRCA(s.graph_path, metric="recall").fit(windows["reference"])
    >>> d = rca.diagnose(windows["current"])
    >>> d.causes[0].node, d.causes[0].failure_mode
    ('merchant_category', 'schema_change')
    >>> rca.diagnose(windows["current"]).to_json() == d.to_json()  # a query: the fit is not changed
    True
    """

    def __init__(self, graph: LineageGraph | str | Path, metric: str | None = None, *, seed: int = 0,
                 sample_rows: int = SAMPLE_ROWS, engine: Engine = "duckdb", spark_master: str | None = None,
                 jobs: int | None = None, trust_model: bool = False, golden: TableLike | None = None,
                 training: TableLike | None = None, estimate: bool = False, progress: Progress | None = None):
        check_graph_and_metric(graph, metric)
        check_options(seed=seed, sample_rows=sample_rows, progress=progress, engine=engine, spark_master=spark_master,
                      jobs=jobs, trust_model=trust_model, golden=golden, training=training, estimate=estimate)
        self.graph, self.metric = graph, metric
        self.seed, self.sample_rows, self.engine, self.spark_master = seed, sample_rows, engine, spark_master
        self.queries = Queries(jobs=jobs, golden=golden, training=training, trust_model=trust_model,
                               estimate=estimate, progress=progress)
        self.fitted_: ReferenceFit | None = None
        self._fit_warnings: tuple[Record, ...] = ()

    def __repr__(self) -> str:
        state = f"fitted on {self.fitted_.window.rows} reference rows" if self.fitted_ else "not fitted"
        return f"<CausalRCA {self.metric or '(the only metric)'}: {state}>"

    def fit(self, reference: TableLike | Window, *, attribution: bool = True,
            mechanism_fits: bool = True) -> CausalRCA:
        """Learn what depends on the reference window alone.

        Parameters
        ----------
        reference : str, Path, pandas.DataFrame or Window
            The reference window: a CSV or Parquet file (a glob or URL too) or a DataFrame.
        attribution : bool, default True
            Also fit the attribution's mechanisms of the reference, for every node that could be a
            cause (and import DoWhy), so that no diagnosis fits them. False leaves each diagnosis to
            fit the one or two it needs: what a model asked once should do (``causal_rca.diagnose``).
            The answers are the same bytes either way.
        mechanism_fits : bool, default True
            False: leave the mechanism tests' reference fits to the one diagnosis that follows
            (the one-call ``diagnose``), where each test fits its own and drops it, so that a wide
            graph does not hold every node's fits at once. Same answer either way.

        Returns
        -------
        CausalRCA
            This object, fitted.

        Examples
        --------
        >>> rca.fitted_.window.rows
        8000
        """
        check_flag("attribution", attribution)
        check_flag("mechanism_fits", mechanism_fits)
        if not isinstance(reference, Window):
            check_table("reference", reference)
        with threadpool_limits(limits=1, user_api="openmp"), captured_warnings() as raised:
            graph, metric = metric_to_explain(self.graph, self.metric)
            resolve_metric(graph, metric)  # a wrong metric name fails before any table is read
            q = self.queries
            artifact = load_model(graph, metric, trust=q.trust_model, golden=q.golden)  # bad input fails first
            if q.progress and not isinstance(reference, Window):  # a window given open was announced by its reader
                q.progress("reading windows")
            backend = reference.backend if isinstance(reference, Window) else connect(self.engine, self.spark_master)
            window = reference_window(graph, reference, backend)
            with released(backend):  # what the fit's queries sent; the reference's own table stays
                self.fitted_ = fit_reference(graph, metric, window, seed=self.seed, sample_rows=self.sample_rows,
                                             artifact=artifact, review_segments=artifact is not None
                                             or q.training is not None, jobs=q.jobs, attribution=attribution,
                                             mechanisms=mechanism_fits)
        self._fit_warnings = tuple(raised)
        return self

    def diagnose(self, current: TableLike | Window, *, split_p_value: float | None = None) -> Diagnosis:
        """Why did the metric change between the fitted reference and ``current``?

        Parameters
        ----------
        current : str, Path, pandas.DataFrame or Window
            The current window.
        split_p_value : float, optional
            For windows split where ``split='auto'`` placed the change: the change-point test's
            p-value when it does not support a change there (no change is then significant).

        Returns
        -------
        Diagnosis
            The verdict, the ranked causes with their evidence and the chain of whys.

        Examples
        --------
        >>> rca.diagnose(windows["current"]).significant
        True
        """
        fit = self._fitted()
        if split_p_value is not None:
            check_p_value("split_p_value", split_p_value)
        if not isinstance(current, Window):
            check_table("current", current)
        with threadpool_limits(limits=1, user_api="openmp"), captured_warnings() as raised, released(fit.backend):
            cur_w = current if isinstance(current, Window) else open_window(fit.backend, fit.graph, current, "current")
            d = diagnose_window(fit, cur_w, self.queries, split_p_value)
        extra = [m for m in diagnosis_messages([*self._fit_warnings, *raised]) if m not in d.warnings]
        return replace(d, warnings=[*d.warnings, *extra]) if extra else d

    def what_if(self, current: TableLike | Window, nodes: Iterable[str], how: str = "rows") -> ReplayResult:
        """The current window's metric had ``nodes`` kept their reference behaviour (replayed with the model).

        Parameters
        ----------
        current : str, Path, pandas.DataFrame or Window
            The current window.
        nodes : iterable of str
            The nodes to put back (an unobserved service stands for all the fields it feeds).
        how : {"rows", "population"}, default "rows"
            Put each row back as it was, or reweight the rows to the nodes' reference distribution.

        Returns
        -------
        ReplayResult
            The metric before and after the fix, with its interval.

        Examples
        --------
        >>> rca.what_if(windows["current"], ["merchant_category"])  # this graph names no model artifact
        Traceback (most recent call last):
        ...
        causal_rca.errors.InputError: model node 'fraud_model' declares no artifact: there is no model to replay
        """
        from causal_rca.model.reweight import check_how
        from causal_rca.model.whatif import what_if_windows

        check_how(how)
        fit = self._fitted()
        if not isinstance(current, Window):
            check_table("current", current)
        with threadpool_limits(limits=1, user_api="openmp"), released(fit.backend):
            return what_if_windows(fit, tuple(nodes), current, how=how)

    def save(self, folder: str | Path) -> Path:
        """Write the fitted model to ``folder``: the reference as Parquet, the rest as JSON (never pickle).

        Parameters
        ----------
        folder : str or Path
            Where to write it (created if missing).

        Returns
        -------
        Path
            The folder.

        Examples
        --------
        >>> sorted(p.name for p in folder.iterdir())
        ['fitted.json', 'graph.yaml', 'reference.parquet']
        """
        from causal_rca.fit_store import save_fit

        check_folder("folder", folder, writing=True)
        return save_fit(self._fitted(), Path(folder), self.options(), self._fit_warnings)

    @classmethod
    def load(cls, folder: str | Path, progress: Progress | None = None) -> CausalRCA:
        """Read back a model written by ``save``: it diagnoses as the one saved did, byte for byte.

        Parameters
        ----------
        folder : str or Path
            A folder written by ``CausalRCA.save``.
        progress : callable, optional
            Called with the name of each step as it starts.

        Returns
        -------
        CausalRCA
            The model, fitted again on the saved reference (deterministically: the same seed, the same rows).

        Examples
        --------
        >>> import tempfile
        >>> folder = rca.save(tempfile.mkdtemp())
        >>> CausalRCA.load(folder).diagnose(windows["current"]).to_json() == d.to_json()
        True
        """
        from causal_rca.fit_store import load_fit

        check_folder("folder", folder)
        graph, options, reference, reading_warnings, warnings = load_fit(Path(folder))
        rca = cls(graph, progress=progress, **options)
        window = open_window(connect(rca.engine, rca.spark_master), graph, reference, "reference")
        rca.fit(replace(window, warnings=reading_warnings))
        rca._fit_warnings = (*warnings, *rca._fit_warnings)
        return rca

    def options(self) -> dict:
        """The constructor's keywords as given (``save`` writes the plain ones)."""
        q = self.queries
        return {"metric": self.metric, "seed": self.seed, "sample_rows": self.sample_rows, "engine": self.engine,
                "spark_master": self.spark_master, "jobs": q.jobs, "trust_model": q.trust_model,
                "golden": q.golden, "training": q.training, "estimate": q.estimate}

    def _fitted(self) -> ReferenceFit:
        if self.fitted_ is None:
            raise ParameterError("this CausalRCA is not fitted yet: call fit(reference) first")
        return self.fitted_
