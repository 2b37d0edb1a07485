"""What a ``.skops`` file may build without ``--trust-model``, decided before skops builds anything.

A skops file is a zip whose ``schema.json`` names, for every object, a *loader*
and a type (``module.name``). Several loaders call what the file names:
``ConstructorFromReduceNode`` calls ``module.name(*args)``, ``ReduceNode`` calls a
constructor, ``ListNode``/``NdArrayNode`` call their type on the content,
``OperatorFuncNode`` builds ``operator.methodcaller``, ``PartialNode`` wraps any
callable. A trust rule by module prefix ("anything under ``numpy.``") therefore
lets ``numpy.testing._private.utils.runstring`` (which calls ``exec``) through.

So trust is decided by exact name, per loader:

- each loader may build only the types skops itself trusts for that loader by
  default (its containers, NumPy arrays and dtypes, NumPy/SciPy ufuncs as
  values, scikit-learn's estimators and internals), plus :data:`PROJECT_TRUSTED`,
  the named scikit-learn internals that real fitted models hold and skops
  leaves out (trees, histogram-boosting predictors, dtypes, sparse matrices);
- loaders that call or wrap an arbitrary callable (``ConstructorFromReduceNode``,
  ``ReduceNode``, ``MethodNode``, ``PartialNode``, ``OperatorFuncNode``) and any
  loader this module does not know are refused whatever they name;
- whatever skops' own audit still reports must be in :data:`PROJECT_TRUSTED`.

skops leaves trees out on purpose: their node arrays hold child and feature
indices that scikit-learn follows without bounds checks, so a crafted tree can
read outside its arrays when it predicts. :func:`check_tree_bounds` checks every
index of every loaded tree before the model scores anything.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np

#: scikit-learn internals that fitted models hold and skops does not trust by
#: default; each is a plain data holder once its indices are checked.
PROJECT_TRUSTED = frozenset({
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "numpy.dtype",
    *(f"scipy.sparse._{fmt}.{fmt}_{kind}" for fmt in ("csr", "csc", "coo", "bsr", "dia", "lil", "dok")
      for kind in ("matrix", "array")),
})

#: Loaders that build an object by calling or wrapping a callable the file names.
CALLING_LOADERS = frozenset({"ConstructorFromReduceNode", "ReduceNode", "MethodNode", "PartialNode",
                             "OperatorFuncNode"})


def _loader_types() -> dict[str, frozenset[str]]:
    """Loader name → the exact types it may build (skops' per-loader defaults, named)."""
    from skops.io import _trusted_types as tt
    from skops.io._sklearn import ALLOWED_LOSSES
    from skops.io._utils import get_type_paths

    def names(*groups: Any) -> frozenset[str]:
        return frozenset(name for group in groups for name in get_type_paths(group))

    primitives = names(tt.PRIMITIVE_TYPE_NAMES)
    numpy_scalars = names(tt.NUMPY_DTYPE_TYPE_NAMES)
    # builtins.map is in skops' container list, but a map object calls a function when iterated.
    containers = names(tt.CONTAINER_TYPE_NAMES) - {"builtins.map"}
    return {
        "DictNode": frozenset({"builtins.dict", "collections.OrderedDict"}),
        "DefaultDictNode": frozenset({"collections.defaultdict"}),
        "ListNode": frozenset({"builtins.list"}),
        "SetNode": frozenset({"builtins.set"}),
        "TupleNode": frozenset({"builtins.tuple"}),
        "BytesNode": frozenset({"builtins.bytes"}),
        "BytearrayNode": frozenset({"builtins.bytearray"}),
        "SliceNode": frozenset({"builtins.slice"}),
        "JsonNode": primitives,
        "TypeNode": primitives | containers | numpy_scalars,
        "FunctionNode": names(tt.NUMPY_UFUNC_TYPE_NAMES, tt.SCIPY_UFUNC_TYPE_NAMES),
        "ObjectNode": names(tt.SKLEARN_ESTIMATOR_TYPE_NAMES, tt.SKLEARN_INTERNAL_TYPE_NAMES)
        | {"sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"},
        "NdArrayNode": numpy_scalars | {"numpy.ndarray"},
        "MaskedArrayNode": frozenset({"numpy.ma.MaskedArray", "numpy.ma.core.MaskedArray"}),
        "DTypeNode": frozenset({"numpy.dtype"}),
        "RandomStateNode": frozenset({"numpy.random.mtrand.RandomState"}),
        "RandomGeneratorNode": frozenset({"numpy.random._generator.Generator"}),
        "SparseMatrixNode": frozenset(t for t in PROJECT_TRUSTED if t.startswith("scipy.sparse.")),
        "TreeNode": frozenset({"sklearn.tree._tree.Tree"}),
        "LossNode": names(list(ALLOWED_LOSSES)),
        "_DictWithDeprecatedKeysNode": frozenset({"sklearn.covariance._graph_lasso._DictWithDeprecatedKeys"}),
    }


def read_schema(path: Path) -> Any:
    """The file's ``schema.json``, parsed; ``ValueError`` for a file that is not a skops zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            text = archive.read("schema.json")
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ValueError(f"not a skops zip with a schema.json ({exc})") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("schema.json is nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"schema.json is not JSON ({exc})") from None


def _declared_nodes(schema: Any) -> Iterator[tuple[str, str]]:
    """(loader, type path) of every node in the schema, walked without recursion."""
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__loader__" in item:
                yield (str(item.get("__loader__")),
                       f"{item.get('__module__')}.{item.get('__class__')}")
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def refused_types(schema: Any, untrusted: list[str]) -> list[str]:
    """What the file would build that the rules above do not allow, for the error message.

    ``untrusted`` is skops' own audit of the file (``get_untrusted_types``); its
    names must all be in :data:`PROJECT_TRUSTED`, whatever the loader check said.
    """
    allowed = _loader_types()
    refused = set()
    for loader, type_path in _declared_nodes(schema):
        if loader in CALLING_LOADERS or type_path not in allowed.get(loader, ()):
            refused.add(f"{type_path} ({loader})")
    refused.update(name for name in untrusted if name not in PROJECT_TRUSTED)
    return sorted(refused)


def check_tree_bounds(model: Any) -> None:
    """Raise ``ValueError`` if any tree in ``model`` points outside its own arrays.

    scikit-learn follows a tree's child, feature and bitset indices without
    bounds checks, so this runs on a loaded model before it predicts anything.
    """
    for tree, n_features in _trees(model):
        if type(tree).__name__ == "Tree":
            _check_sklearn_tree(tree, n_features)
        else:
            _check_predictor(tree, n_features)


def _trees(model: Any) -> Iterator[tuple[Any, int | None]]:
    """Every tree reachable from ``model``, with the feature count of the estimator that holds it."""
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.tree._tree import Tree

    seen: set[int] = set()
    stack: list[tuple[Any, int | None]] = [(model, None)]
    while stack:
        obj, n_features = stack.pop()
        if isinstance(obj, np.ndarray) and obj.dtype == object:
            obj = list(obj.ravel())  # e.g. gradient boosting's array of fitted trees
        if id(obj) in seen or isinstance(obj, (str, bytes, int, float, np.ndarray, np.generic)):
            continue
        seen.add(id(obj))
        if isinstance(obj, (Tree, TreePredictor)):
            yield obj, n_features
            continue
        if isinstance(obj, dict):
            stack.extend((v, n_features) for v in obj.values())
        elif isinstance(obj, (list, tuple, set)):
            stack.extend((v, n_features) for v in obj)
        elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("sklearn."):
            own = getattr(obj, "n_features_in_", None)
            inner = int(own) if isinstance(own, (int, np.integer)) else n_features
            stack.extend((v, inner) for v in vars(obj).values())


def _check_sklearn_tree(tree: Any, n_features: int | None) -> None:
    count = int(tree.node_count)
    left, right, feature = tree.children_left, tree.children_right, tree.feature
    if not (len(left) == len(right) == len(feature) == count == tree.value.shape[0]):
        raise ValueError("a decision tree's arrays disagree on its node count")
    inner = left != -1
    limit = int(tree.n_features) if n_features is None else min(int(tree.n_features), n_features)
    if (np.any((left < -1) | (left >= count) | (right < -1) | (right >= count))
            or np.any(inner != (right != -1))
            or np.any(inner & ((feature < 0) | (feature >= limit)))):
        raise ValueError("a decision tree points outside its own nodes or features")


def _check_predictor(predictor: Any, n_features: int | None) -> None:
    nodes = predictor.nodes
    count = len(nodes)
    inner = ~nodes["is_leaf"].astype(bool)
    children_ok = (nodes["left"] < count) & (nodes["right"] < count)
    feature_ok = True if n_features is None else nodes["feature_idx"] < n_features
    bitsets = len(getattr(predictor, "raw_left_cat_bitsets", ()))
    categorical = inner & nodes["is_categorical"].astype(bool)
    bitset_ok = nodes["bitset_idx"] < bitsets
    if np.any(inner & ~(children_ok & feature_ok)) or np.any(categorical & ~bitset_ok):
        raise ValueError("a boosted tree points outside its own nodes, features or category sets")
