"""Decision drivers in a diagnosis: which models scored the windows, and what the comparison says about the causes.

Runs only when the model node names an artifact (``diagnose`` calls
``review_drivers`` once, after the model review). The artifact is the model
that served the current window. When it reproduces the logged outputs of both
windows, the same model scored both: the decision logic is unchanged by
construction and only the input effect is tested. When it does not (a new
version, a fine-tune, a wrong artifact), the model that scored the reference
window is not at hand: what it did is only known from its logged outputs on
the reference rows. So two surrogates (the same gradient-boosted trees, the
same seed) learn from the *same* reference rows, one the logged outputs and
one the artifact's outputs, and are compared. Same rows, same procedure:
one model behind both targets gives the same surrogate twice, so surrogate
error alone flags nothing (surrogates fitted on each window's own rows would
differ wherever the inputs moved).

The comparison is added as ``decision_drivers`` evidence on causes; it
changes no score and no ranking (docs/how-it-decides.md, "Decision drivers").
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

import numpy as np
import pandas as pd

from causal_rca.diagnosis.model import Cause, Evidence
from causal_rca.errors import first_line
from causal_rca.lineage import LineageGraph
from causal_rca.model.artifact import ModelArtifact
from causal_rca.model.drivers import INSTALL_NOTE, compare_drivers, load_shap, numeric_rows
from causal_rca.model.inputs import input_frame, model_inputs, model_node_of
from causal_rca.model.review import FIDELITY_TOLERANCE

REPRODUCED = 0.95  # share of a window's logged outputs the artifact must reproduce to have scored it
SURROGATE_ROWS = 5_000  # rows per window a surrogate of the logged outputs learns from
MODEL_MODES = ("model_change", "concept_drift")  # what drivers shifting on unchanged inputs supports
OUTCOME_MODES = ("concept_drift", "label_shift")  # the outcome moved, not the model or its inputs
SHOWN = 3  # inputs named in an evidence sentence


def _outputs(art: ModelArtifact, X: pd.DataFrame, logged: pd.Series) -> pd.Series:
    """The artifact's outputs on rows, in the logged column's kind: a score or value, or a class (as text)."""
    if pd.api.types.is_numeric_dtype(logged):
        return pd.Series(art.score(X), index=logged.index)
    return pd.Series(np.asarray(art.estimator.predict(X)).astype(str), index=logged.index)


def _reproduced(mine: pd.Series, logged: pd.Series) -> float:
    """Share of rows whose logged output (score, value or class) the artifact gives again."""
    ok = logged.notna().to_numpy()
    if pd.api.types.is_numeric_dtype(logged):
        return float(np.mean(np.isclose(mine.to_numpy(dtype=float)[ok], logged.to_numpy(dtype=float)[ok],
                                        atol=FIDELITY_TOLERANCE)))
    return float(np.mean(mine.to_numpy()[ok] == logged.astype(str).to_numpy()[ok]))


def _surrogate(X: np.ndarray, y: pd.Series, rows: np.ndarray, seed: int) -> Any:
    """Gradient-boosted trees that learn a model's outputs ``y`` from its inputs, on ``rows`` only."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    X, y = X[rows], y.iloc[rows]
    if pd.api.types.is_numeric_dtype(y):
        return HistGradientBoostingRegressor(random_state=seed).fit(X, y.to_numpy(dtype=float))
    return HistGradientBoostingClassifier(random_state=seed).fit(X, y.astype(str).to_numpy())


def _pair(i: dict[str, Any], key: str) -> tuple[float, float]:
    """The mean |contribution| a change compares: the two models on the reference rows (``logic_change``),
    or the current model on the reference and on the current rows (``input_effect``)."""
    if key == "logic_changed":
        return i["reference"]["mean_abs"], i["reference"]["mean_abs"] + i["logic_change"]["change"]
    return i["current"]["mean_abs"] - i["input_effect"]["change"], i["current"]["mean_abs"]


def _sentence(block: dict[str, Any], key: str) -> str:
    by_node = {i["node"]: i for i in block["inputs"]}
    parts = [f"{node} {_pair(by_node[node], key)[0]:.3g} → {_pair(by_node[node], key)[1]:.3g}"
             for node in block[key][:SHOWN]]
    more = len(block[key]) - SHOWN
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")


def _top(block: dict[str, Any], key: str) -> tuple[dict[str, Any] | None, tuple[float | None, float | None]]:
    """The input flagged first for ``key`` and its two means, or ``(None, (None, None))``."""
    node = block[key][0] if block[key] else None
    top = next((i for i in block["inputs"] if i["node"] == node), None)
    return top, (None, None) if top is None else _pair(top, key)


def driver_evidence(block: dict[str, Any], cause: Cause, model_node: str) -> Evidence:
    """What the drivers comparison says about one cause (evidence only: its score is left alone)."""
    model_cause = cause.node == model_node or cause.failure_mode in MODEL_MODES
    if block["logic_changed"]:
        top, (ref, cur) = _top(block, "logic_changed")
        what = (f"the model's decision drivers shifted on the same inputs ({_sentence(block, 'logic_changed')}: "
                f"mean |contribution| of the reference → current model on the reference rows)")
        verdict = ("supports a change of the model or of what it learned, not of its inputs" if model_cause else
                   "the model itself also behaves differently: this weighs against this cause alone")
        return Evidence("decision_drivers", ref, cur, top["logic_change"]["p_value"], f"{what}: {verdict}")
    same = ("the same model scored both windows" if block["same_model"]
            else "the surrogates of both windows' outputs agree on the same inputs")
    moved = (f"; the contributions moved with the input values ({_sentence(block, 'input_effect_changed')}: "
             f"the current model on the reference → current rows)"
             if block["input_effect_changed"] else "")
    if cause.failure_mode in OUTCOME_MODES:
        verdict = "the model is unchanged: what moved is the outcome, not the model"
    elif model_cause:
        verdict = "this weighs against a change of the model"
    else:
        verdict = "supports an input fault under an unchanged model"
    top, (ref, cur) = _top(block, "input_effect_changed")
    return Evidence("decision_drivers", ref, cur, None if top is None else top["input_effect"]["p_value"],
                    f"the model's decision drivers are unchanged on the same inputs ({same}){moved}: {verdict}")


def _models(art: ModelArtifact, graph: LineageGraph, inputs: tuple[str, ...], model_node: str,
            reference: pd.DataFrame, current: pd.DataFrame, seed: int):
    """(reference model, current model, reference rows, current rows, same model?, how the models were chosen)."""
    Xr, Xc = input_frame(graph, inputs, reference), input_frame(graph, inputs, current)
    logged_r, logged_c = reference[model_node], current[model_node]
    mine_r = _outputs(art, Xr, logged_r)
    shares = (_reproduced(mine_r, logged_r), _reproduced(_outputs(art, Xc, logged_c), logged_c))
    if min(shares) >= REPRODUCED:
        return art.estimator, art.estimator, Xr, Xc, True, "the artifact, which reproduces both windows' outputs"
    codebook = {c: pd.Index(pd.unique(pd.concat([Xr[c], Xc[c]]).dropna())) for c in Xr.columns
                if not pd.api.types.is_numeric_dtype(Xr[c])}
    Nr, Nc = numeric_rows(Xr, codebook), numeric_rows(Xc, codebook)
    rows = np.flatnonzero(logged_r.notna().to_numpy())[:SURROGATE_ROWS]
    if pd.api.types.is_numeric_dtype(logged_r):  # where the artifact reproduces a row, both targets are the log's
        same = np.isclose(mine_r.to_numpy(dtype=float), logged_r.to_numpy(dtype=float), atol=FIDELITY_TOLERANCE)
        mine_r = mine_r.where(~same, logged_r)
    how = (f"surrogates learned on the same reference rows from the reference window's logged outputs and from "
           f"the artifact's (it reproduces {shares[0]:.0%} of the reference window's outputs and {shares[1]:.0%} "
           f"of the current window's: another model scored {'the reference window' if shares[1] >= REPRODUCED else 'at least one window'})")
    return (_surrogate(Nr, logged_r, rows, seed), _surrogate(Nr, mine_r, rows, seed),
            pd.DataFrame(Nr, columns=Xr.columns), pd.DataFrame(Nc, columns=Xc.columns), False, how)


def review_drivers(graph: LineageGraph, metric: str, artifact: ModelArtifact | None, reference: pd.DataFrame,
                   current: pd.DataFrame, causes: list[Cause], seed: int,
                   progress: Callable[[str], None] | None = None,
                   ) -> tuple[dict[str, Any] | None, list[Cause], list[str]]:
    """(the ``decision_drivers`` block, the causes with its evidence, warnings); ``None`` without an artifact.

    ``reference`` and ``current`` are the node-keyed samples. Without ``shap``
    the diagnosis goes on and a warning says how to install it.
    """
    model_node = model_node_of(graph, metric)
    if artifact is None or model_node is None:
        return None, causes, []
    shap = load_shap()
    if shap is None:
        return None, causes, [INSTALL_NOTE]
    if progress:
        progress("explaining the model's drivers")
    inputs = model_inputs(graph, model_node)
    try:
        ref_model, cur_model, Xr, Xc, same, how = _models(artifact, graph, inputs, model_node, reference, current,
                                                          seed)
        block = compare_drivers(ref_model, cur_model, Xr, Xc, seed=seed, names=list(inputs), same_model=same,
                                shap=shap)
    except ValueError as exc:  # e.g. a window whose logged class never varies: nothing for a surrogate to learn
        return None, causes, [f"decision drivers (SHAP) skipped: {first_line(exc)}"]
    block = {"models": how, **block}
    causes = [replace(c, evidence=[*c.evidence, driver_evidence(block, c, model_node)]) for c in causes]
    return block, causes, []
