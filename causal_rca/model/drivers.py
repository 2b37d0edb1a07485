"""Decision drivers: how much the model leans on each input, per window, and whether that changed.

SHAP contributions (``shap``, the optional extra ``causal-rca[explain]``):
``TreeExplainer`` for tree models (also inside a scikit-learn ``Pipeline``
whose earlier steps only impute or rescale column by column), a model-agnostic
``PermutationExplainer`` on a bounded, seeded sample otherwise. Three readings
come out, each per input with a bootstrap interval and a test at the sample
size (Holm-adjusted over the inputs), never a fixed gap:

- **per window**: the mean |contribution| of the model that scored the
  window, on that window's rows (what the reports show side by side);
- **decision logic**: both windows' models on the *same* rows (the reference
  window's, where both models are known: the reference model scored them),
  a paired test: a change here is the model's
  behaviour changing, not its inputs (a fine-tune, a retrain, a wrong
  artifact);
- **input effect**: the current model on both windows' rows, a two-sample
  test: a change here comes from the input values moving under an unchanged
  model (an input fault).

Multi-class models: a row's contribution of an input is its mean |contribution|
over the classes' probabilities (or margins), so the measure does not depend on
which class the model happens to predict, and two models that predict
different classes on a row stay comparable. Binary classifiers: the positive
class. Units are the explainer's: the raw margin (log-odds) for gradient-boosted
trees, probabilities or predicted values otherwise; both windows always use the
same explainer, so the comparison is in one unit.

Cost bound: at most ``TREE_ROWS`` rows per window with TreeExplainer,
``AGNOSTIC_ROWS`` per window with the permutation explainer (one antithetic
permutation per row, ``2 × inputs + 1`` model calls over ``BACKGROUND_ROWS``
background rows each), whatever the window size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

TREE_ROWS = 400
AGNOSTIC_ROWS = 150
BACKGROUND_ROWS = 100
BOOTSTRAP = 200
ALPHA = 0.05
ROUNDING = 1e-9  # differences this small (relative) are floating-point noise, not a change
INSTALL_NOTE = ("decision drivers (SHAP) skipped: the shap library is not installed; "
                "pip install 'causal-rca[explain]' to compare the model's drivers between the windows")
# Steps before a tree model that keep one output column per input column, in order:
# contributions on their output are contributions of the input columns.
COLUMNWISE_STEPS = ("SimpleImputer", "StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler")


def load_shap() -> Any | None:
    """The ``shap`` module, or ``None`` when it is not installed (or cannot be imported here)."""
    try:
        import shap
    except ImportError:
        return None
    return shap


def _tree_parts(model: Any, X: pd.DataFrame) -> tuple[Any, Any]:
    """(tree estimator, its input) when ``model`` is one, possibly behind column-wise steps; else (None, None)."""
    steps = getattr(model, "steps", None)
    if steps is None:
        return model, X
    prep = [s for _name, s in steps[:-1] if s not in (None, "passthrough")]
    if any(type(s).__name__ not in COLUMNWISE_STEPS or getattr(s, "add_indicator", False) for s in prep):
        return None, None
    Xt = X
    for step in prep:
        Xt = step.transform(Xt)
    if np.shape(Xt)[1] != X.shape[1]:  # an imputer dropped an all-missing column
        return None, None
    return steps[-1][1], np.asarray(Xt, dtype=float)


def tree_explainer(shap: Any, model: Any, X: pd.DataFrame) -> tuple[Any, Any] | None:
    """(TreeExplainer, the rows as it reads them) when shap can read ``model``'s trees, else ``None``."""
    estimator, Xt = _tree_parts(model, X)
    if estimator is None:
        return None
    try:
        return shap.TreeExplainer(estimator), Xt
    except Exception:  # noqa: BLE001 - shap raises a bare Exception for a model type it cannot parse
        return None


def _per_row(values: Any) -> np.ndarray:
    """|contribution| per (row, input): the positive class of a binary model, the mean over classes otherwise."""
    if isinstance(values, list):  # older shap: one array per class
        values = np.stack(values, axis=-1)
    values = np.abs(np.asarray(values, dtype=float))
    if values.ndim == 3:
        return values[:, :, 1] if values.shape[2] == 2 else values.mean(axis=2)
    return values


def numeric_rows(X: pd.DataFrame, codebook: dict[str, pd.Index]) -> np.ndarray:
    """The rows as floats: a category column as its code in ``codebook`` (the permutation explainer's masker
    compares values as numbers), a missing value as NaN."""
    cols = [pd.Series(X[c]).map(lambda v, book=codebook[c]: book.get_loc(v) if v in book else np.nan)
            if c in codebook else X[c] for c in X.columns]
    return np.column_stack([np.asarray(c, dtype=float) for c in cols])


def _model_function(model: Any, columns: list[str], codebook: dict[str, pd.Index]):
    """The model's output on rows given as floats, category codes turned back into their values."""
    output = getattr(model, "predict_proba", None) or model.predict

    def f(Z: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame(np.asarray(Z, dtype=float), columns=columns)
        for c, book in codebook.items():
            codes = frame[c].to_numpy()
            values = np.full(len(codes), None, dtype=object)
            ok = np.isfinite(codes)
            values[ok] = book.to_numpy(dtype=object)[codes[ok].astype(int)]
            frame[c] = values
        return np.asarray(output(frame), dtype=float)

    return f


def abs_contributions(shap: Any, model: Any, X: pd.DataFrame, background: pd.DataFrame, seed: int) -> np.ndarray:
    """|SHAP contribution| of each input on each row of ``X`` (rows × inputs)."""
    tree = tree_explainer(shap, model, X)
    if tree is not None:
        explainer, Xt = tree
        return _per_row(explainer.shap_values(Xt, check_additivity=False))
    both = pd.concat([background, X])
    codebook = {c: pd.Index(pd.unique(both[c].dropna())) for c in X.columns
                if not pd.api.types.is_numeric_dtype(X[c])}
    masker = shap.maskers.Independent(numeric_rows(background, codebook), max_samples=BACKGROUND_ROWS)
    explainer = shap.explainers.Permutation(_model_function(model, list(X.columns), codebook), masker, seed=seed)
    out = explainer(numeric_rows(X, codebook), max_evals=2 * X.shape[1] + 1, silent=True)
    return _per_row(out.values)


def _sample(X: pd.DataFrame, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(X) <= rows:
        return X.reset_index(drop=True)
    return X.iloc[np.sort(rng.choice(len(X), rows, replace=False))].reset_index(drop=True)


def _boot_means(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap means of each column of ``a`` (BOOTSTRAP × columns)."""
    idx = rng.integers(0, len(a), size=(BOOTSTRAP, len(a)))
    return a[idx].mean(axis=1)


def _interval(boot: np.ndarray) -> np.ndarray:
    return np.percentile(boot, [2.5, 97.5], axis=0).T


def _holm(p: np.ndarray) -> np.ndarray:
    p = np.where(np.isfinite(p), p, 1.0)
    return multipletests(p, method="holm")[1] if len(p) else p


def _paired_p(d: np.ndarray) -> np.ndarray:
    """Per column, the paired t-test's p-value that the mean of ``d`` is 0 (1 where ``d`` is all zero)."""
    d = np.where(np.abs(d) <= ROUNDING * max(1.0, float(np.abs(d).max(initial=0.0))), 0.0, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = stats.ttest_1samp(d, 0.0, axis=0).pvalue
    return np.where(np.all(d == 0, axis=0), 1.0, p)


def _welch_p(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        p = stats.ttest_ind(a, b, axis=0, equal_var=False).pvalue
    same = (a.std(axis=0) == 0) & (b.std(axis=0) == 0) & (a.mean(axis=0) == b.mean(axis=0))
    return np.where(same, 1.0, p)


def _change(value: np.ndarray, ci: np.ndarray, p: np.ndarray, j: int) -> dict[str, Any]:
    return {"change": float(value[j]), "ci": [float(ci[j, 0]), float(ci[j, 1])], "p_value": float(p[j]),
            "significant": bool(p[j] < ALPHA)}


def compare_drivers(reference_model: Any, current_model: Any, reference: pd.DataFrame, current: pd.DataFrame, *,
                    seed: int, names: list[str] | None = None, same_model: bool = False,
                    shap: Any = None) -> dict[str, Any]:
    """Compare the decision drivers of the models that scored two windows (see the module doc).

    Parameters
    ----------
    reference_model, current_model : estimator
        Fitted models with ``predict_proba`` or ``predict``, taking the windows' columns.
    reference, current : pandas.DataFrame
        The model's input columns, one row per scored row of each window.
    seed : int
        Seeds the row samples, the permutation explainer and the bootstrap.
    names : list of str, optional
        What to call the inputs in the result (default: the columns).
    same_model : bool, default False
        Both windows were scored by the same model: the decision logic is unchanged
        by construction and is not tested.
    shap : module, optional
        The ``shap`` module (default: imported here).

    Returns
    -------
    dict
        ``method``, ``rows``, ``inputs`` (per input: ``reference`` and ``current`` mean
        |contribution| with ``ci``, ``logic_change`` and ``input_effect``, each with
        ``change``, ``ci``, ``p_value``, ``significant``), ``logic_changed`` and
        ``input_effect_changed`` (the inputs flagged, largest change first).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    >>> old = LinearRegression().fit(X, 2 * X["a"] + 0.1 * X["b"])
    >>> new = LinearRegression().fit(X, 0.1 * X["a"] + 2 * X["b"])
    >>> compare_drivers(old, new, X, X, seed=0)["logic_changed"]
    ['a', 'b']
    """
    shap = shap or load_shap()
    if shap is None:
        raise ImportError(INSTALL_NOTE)
    rng = np.random.default_rng(seed)
    names = list(names or reference.columns)
    tree = tree_explainer(shap, current_model, current.head(2)) is not None and (
        same_model or tree_explainer(shap, reference_model, reference.head(2)) is not None)
    rows = TREE_ROWS if tree else AGNOSTIC_ROWS
    Xr, Xc = _sample(reference, rows, rng), _sample(current, rows, rng)
    background = _sample(reference, BACKGROUND_ROWS, rng)

    def contrib(model: Any, X: pd.DataFrame) -> np.ndarray:
        return abs_contributions(shap, model, X, background, seed)

    a_cc, a_cr = contrib(current_model, Xc), contrib(current_model, Xr)
    a_rr = a_cr if same_model else contrib(reference_model, Xr)
    boot_r, boot_c = _boot_means(a_rr, rng), _boot_means(a_cc, rng)
    ci_r, ci_c = _interval(boot_r), _interval(boot_c)
    # input effect: the current model on both windows' rows
    effect = a_cc.mean(axis=0) - a_cr.mean(axis=0)
    effect_ci = _interval(_boot_means(a_cc, rng) - _boot_means(a_cr, rng))
    effect_p = _holm(_welch_p(a_cc, a_cr))
    logic = None
    if not same_model:  # both models on the same (reference) rows, paired
        d = a_cr - a_rr
        logic = (d.mean(axis=0), _interval(_boot_means(d, rng)), _holm(_paired_p(d)))
    inputs = []
    for j, name in enumerate(names):
        inputs.append({
            "node": name,
            "reference": {"mean_abs": float(a_rr[:, j].mean()), "ci": [float(ci_r[j, 0]), float(ci_r[j, 1])]},
            "current": {"mean_abs": float(a_cc[:, j].mean()), "ci": [float(ci_c[j, 0]), float(ci_c[j, 1])]},
            "logic_change": None if logic is None else _change(*logic, j),
            "input_effect": _change(effect, effect_ci, effect_p, j),
        })
    inputs.sort(key=lambda i: (-max(i["reference"]["mean_abs"], i["current"]["mean_abs"]), i["node"]))

    def flagged(key: str) -> list[str]:
        hits = [i for i in inputs if i[key] is not None and i[key]["significant"]]
        return [i["node"] for i in sorted(hits, key=lambda i: (-abs(i[key]["change"]), i["node"]))]

    return {
        "method": "TreeExplainer" if tree else "PermutationExplainer",
        "rows": {"reference": len(Xr), "current": len(Xc)},
        "background_rows": None if tree else len(background),
        "same_model": same_model,
        "inputs": inputs,
        "logic_changed": flagged("logic_change"),
        "input_effect_changed": flagged("input_effect"),
    }
