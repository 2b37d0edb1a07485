"""Load a model node's artifact and turn it into "scores for these rows".

Three kinds of artifact, because that is how scikit-learn models are shipped:

- ``.skops`` files (``skops.io``): loading builds objects from a declared list of
  types. Without ``--trust-model`` only named types load, and no loader that calls
  a function the file names (``model/skops_policy.py`` says exactly what); any
  other file needs ``--trust-model``.
- pickles (``.pkl``, ``.pickle``, ``.joblib``): unpickling runs whatever code the
  file names, so they load only with ``--trust-model``.
- MLflow models (``models:/…``, ``runs:/…``, any ``scheme://`` URI, or a folder
  with an ``MLmodel`` file), read with ``mlflow.pyfunc.load_model``. Their flavours
  unpickle too, so they need ``--trust-model`` as well; mlflow is an optional extra.

A relative path is read relative to the graph file, so a graph and its model
can be moved together.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from causal_rca.errors import InputError, ParameterError, first_line
from causal_rca.lineage import LineageGraph
from causal_rca.model import skops_policy

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
SKOPS_SUFFIXES = (".skops",)
MLFLOW_SCHEMES = ("models:/", "runs:/")
TRUST_HINT = "pass {trust_model=True} only if you trust where the file came from"  # a ParameterError template


@dataclass(frozen=True)
class ModelArtifact:
    """A loaded model and how to call it.

    ``score(frame)`` takes a frame with the model's input columns in the
    graph's order and returns one number per row: the probability of the
    metric's positive class for a classifier with ``predict_proba``, else
    what ``predict`` returns.
    """

    source: str
    kind: str  # "skops", "pickle" or "mlflow"
    estimator: Any
    score: Callable[[pd.DataFrame], np.ndarray]


def resolve_source(graph: LineageGraph, artifact: str) -> tuple[str, Path | None]:
    """(kind, local path) of an artifact string; the path is ``None`` for a remote MLflow URI."""
    if artifact.startswith(MLFLOW_SCHEMES) or "://" in artifact:
        return "mlflow", None
    path = Path(artifact).expanduser()
    if not path.is_absolute() and graph.path not in ("", "<memory>"):
        path = Path(graph.path).resolve().parent / path
    if path.is_dir():
        if (path / "MLmodel").is_file():
            return "mlflow", path
        raise InputError(f"model artifact '{artifact}' is a folder without an MLmodel file "
                         f"(expected a .skops file, a pickle, or an MLflow model folder)")
    if not path.exists():
        raise InputError(f"model artifact '{artifact}' does not exist (looked for {path})")
    suffix = path.suffix.lower()
    if suffix in SKOPS_SUFFIXES:
        return "skops", path
    if suffix in PICKLE_SUFFIXES:
        return "pickle", path
    raise ParameterError(f"model artifact '{artifact}': unsupported file type '{suffix}' "
                         f"(use .skops, .pkl/.pickle/.joblib with {{trust_model=True}}, or an MLflow model)")


def load_artifact(graph: LineageGraph, model_node: str, *, trust: bool = False) -> ModelArtifact:
    """The model node's artifact, loaded only as far as ``trust`` allows (see the module doc)."""
    node = graph.nodes[model_node]
    if not node.artifact:
        raise InputError(f"model node '{model_node}' declares no artifact")
    kind, path = resolve_source(graph, node.artifact)
    if kind == "skops":
        estimator = load_skops(path, node.artifact, trust)
    elif kind == "pickle":
        if not trust:
            raise ParameterError(f"model artifact '{node.artifact}' is a pickle: loading it runs code stored in the "
                             f"file; {TRUST_HINT}, or save the model with skops (loads safely)")
        estimator = load_pickle(path, node.artifact)
    else:
        if not trust:
            raise ParameterError(f"model artifact '{node.artifact}' is an MLflow model: its flavours unpickle code "
                             f"when loaded; {TRUST_HINT}")
        estimator = _load_mlflow(str(path) if path is not None else node.artifact)
    positive = _positive_of(graph, model_node)
    return ModelArtifact(node.artifact, kind, estimator, _scorer(estimator, positive, node.artifact))


def load_skops(path: Path, name: str, trust: bool) -> Any:
    try:
        import skops.io as sio
    except ImportError:  # pragma: no cover - skops is a core dependency
        raise InputError("reading a .skops model needs skops: pip install skops") from None
    try:
        schema = skops_policy.read_schema(path)
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - a corrupt or foreign file is bad input
        raise InputError(f"model artifact '{name}' is not a readable skops file: {first_line(exc)}") from None
    refused = skops_policy.refused_types(schema, untrusted)
    if refused and not trust:
        listed = ", ".join(refused[:8]) + (f" and {len(refused) - 8} more" if len(refused) > 8 else "")
        raise ParameterError(f"model artifact '{name}' holds types that are not trusted without {{trust_model=True}} "
                         f"({listed}); {TRUST_HINT}")
    try:
        model = sio.load(path, trusted=list(untrusted))
        if not trust:
            skops_policy.check_tree_bounds(model)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"model artifact '{name}' could not be loaded by skops: {first_line(exc)}") from None
    return model


def load_pickle(path: Path, name: str) -> Any:
    import joblib

    try:
        return joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - whatever the pickle raises, the file is the problem
        raise InputError(f"model artifact '{name}' could not be unpickled: {type(exc).__name__}: {exc}") from None


def _load_mlflow(uri: str) -> Any:
    try:
        import mlflow.pyfunc
    except ImportError:
        raise InputError("reading an MLflow model needs mlflow: pip install 'causal-rca[mlflow]'") from None
    try:
        model = mlflow.pyfunc.load_model(uri)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"MLflow model '{uri}' could not be loaded: {first_line(exc)}") from None
    # pyfunc's predict() of a scikit-learn classifier returns class labels; the raw model
    # gives the probabilities the metrics and the replay need.
    raw = getattr(model, "get_raw_model", None)
    if raw is not None:
        try:
            inner = raw()
            if hasattr(inner, "predict_proba") or hasattr(inner, "predict"):
                return inner
        except Exception:  # noqa: BLE001 - flavours without a raw model fall back to pyfunc
            pass
    return model


def _positive_of(graph: LineageGraph, model_node: str) -> Any:
    """The positive class of the first classification metric fed by this model (default 1)."""
    for metric_id in graph.metric_nodes():
        prediction, _label = graph.metric_inputs(metric_id)
        if prediction == model_node:
            return graph.nodes[metric_id].positive
    return 1


def _positive_column(classes: Any, positive: Any) -> int:
    """Index of the positive class among ``classes_``, compared loosely (1 == 1.0 == "1" == True)."""
    values = list(classes)
    for i, c in enumerate(values):
        if c == positive or str(c) == str(positive):
            return i
        try:
            if float(c) == float(positive):
                return i
        except (TypeError, ValueError):
            continue
    return len(values) - 1


def _scorer(estimator: Any, positive: Any, name: str) -> Callable[[pd.DataFrame], np.ndarray]:
    proba = getattr(estimator, "predict_proba", None)
    column = _positive_column(getattr(estimator, "classes_", [0, 1]), positive) if proba is not None else 0

    def score(frame: pd.DataFrame) -> np.ndarray:
        try:
            if proba is not None:
                out = np.asarray(proba(frame))
                return out[:, column].astype(float) if out.ndim == 2 else out.astype(float)
            out = estimator.predict(frame)
            out = np.asarray(out.to_numpy() if hasattr(out, "to_numpy") else out)
            return (out[:, -1] if out.ndim == 2 else out).astype(float)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - the artifact does not fit the graph's inputs
            raise InputError(f"model artifact '{name}' could not score the model's inputs "
                             f"({', '.join(map(str, frame.columns))}): {first_line(exc)}") from None

    return score
