"""The decision drivers of a diagnosis (``decision_drivers``), laid out once for every report format.

``driver_table`` gives the rows (one per input, the strongest first) as plain
strings and ``driver_sentences`` what the comparison says; the text, Markdown
and HTML renderers only escape and place them.
"""

from __future__ import annotations

from typing import Any

from causal_rca.diagnosis.model import Diagnosis

COLUMNS = ("input", "reference mean |contribution|", "current mean |contribution|",
           "change on the same inputs", "change from the inputs")
MAX_ROWS = 12


def _mean(w: dict[str, Any]) -> str:
    return f"{w['mean_abs']:.3g} [{w['ci'][0]:.3g}, {w['ci'][1]:.3g}]"


def _change(c: dict[str, Any] | None) -> str:
    if c is None:
        return "same model"
    return f"{c['change']:+.3g} (p = {c['p_value']:.2g}){' *' if c['significant'] else ''}"


def driver_table(d: Diagnosis) -> list[tuple[str, ...]]:
    """One row per input (at most ``MAX_ROWS``, the strongest first): both windows with 95% CIs, both changes."""
    b = d.decision_drivers or {}
    return [(i["node"], _mean(i["reference"]), _mean(i["current"]), _change(i["logic_change"]),
             _change(i["input_effect"])) for i in b.get("inputs", [])[:MAX_ROWS]]


def driver_sentences(d: Diagnosis) -> list[str]:
    """How the drivers were measured and what changed."""
    b = d.decision_drivers
    if not b:
        return []
    rows = b["rows"]
    out = [f"SHAP {b['method']} on {rows['reference']} reference and {rows['current']} current rows; models: "
           f"{b['models']}; * marks a change significant after Holm's adjustment over the inputs"]
    if b["logic_changed"]:
        out.append("the model's decision drivers changed on the same inputs: " + ", ".join(b["logic_changed"]))
    elif b["same_model"]:
        out.append("one model scored both windows: its decision drivers are unchanged by construction")
    else:
        out.append("the model's decision drivers are unchanged on the same inputs")
    if b["input_effect_changed"]:
        out.append("contributions that moved with the input values: " + ", ".join(b["input_effect_changed"]))
    if len(b.get("inputs", [])) > MAX_ROWS:
        out.append(f"{len(b['inputs']) - MAX_ROWS} weaker inputs are left out of the table")
    return out
