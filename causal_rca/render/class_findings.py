"""The class-level findings of a multi-class diagnosis, laid out once for every report format.

``class_table`` gives the rows of the per-class table as plain strings and
``class_sentences`` the lines on where the errors moved and which classes are
new (the HTML page adds ``plots.confusion_change_svg``, a heat map). The text, Markdown and HTML renderers only escape and place them.
"""

from __future__ import annotations

from typing import Any

from causal_rca.diagnosis.model import Diagnosis

COLUMNS = ("class", "share of labels", "reference", "current", "change", "")
MAX_SENTENCES = 5


def _num(x: Any) -> str:
    return "n/a" if x is None else f"{float(x):.3g}"


def _pct(x: Any) -> str:
    return "n/a" if x is None else f"{100 * float(x):.0f}%"


def _value(w: dict[str, Any]) -> str:
    m = w.get("metric")
    return "n/a" if not m else f"{_num(m['value'])} [{_num(m['ci'][0])}, {_num(m['ci'][1])}]"


def class_metric_name(d: Diagnosis) -> str:
    """What the per-class columns hold: 'f1 of the class', 'recall of the class (share classified correctly)'."""
    name = d.class_findings.get("class_metric", d.metric)
    if d.metric in ("accuracy", "balanced_accuracy"):
        return "recall of the class (share of its rows classified correctly)"
    if name in ("log_loss", "top_k_accuracy"):
        return f"{name} over the class's rows"
    return f"{name} of the class against the rest"


def class_table(d: Diagnosis) -> list[tuple[str, ...]]:
    """One row per class: name, share of labels (reference → current), the per-class metric in both
    windows with its interval, the change, and flags (new, significant)."""
    rows = []
    for c in d.class_findings.get("classes", []):
        ref, cur = c["reference"], c["current"]
        change = "" if c["change"] is None else f"{c['change']:+.3g}"
        flags = ", ".join(f for f, on in (("new", c.get("new")), ("significant", c.get("significant"))) if on)
        rows.append((str(c["class"]), f"{_pct(ref['share'])} → {_pct(cur['share'])}", _value(ref), _value(cur),
                     change, flags))
    return rows


def class_sentences(d: Diagnosis) -> list[str]:
    """New classes, where the errors moved (confusion cells), and which classes hold the errors."""
    f = d.class_findings
    out = []
    new = [c["class"] for c in f.get("classes", []) if c.get("new")]
    if new:
        out.append(f"new in the current window (never in the reference): {', '.join(new)}")
    for m in f.get("confusion_change", {}).get("moves", [])[:MAX_SENTENCES]:
        verb = "now go to" if m["change"] > 0 else "go less often to"
        out.append(f"rows of class {m['true']} {verb} {m['predicted']}: {_pct(m['reference'])} → "
                   f"{_pct(m['current'])} of them ({m['change'] * 100:+.0f} points, {m['current_rows']} rows)")
    errors = sorted((c for c in f.get("classes", []) if c["current"].get("error_share") is not None),
                    key=lambda c: -(c["current"]["error_share"] or 0))
    if errors and errors[0]["current"]["error_share"]:
        top = errors[:3]
        out.append("errors of the current window by true class: " + ", ".join(
            f"{c['class']} {_pct(c['current']['error_share'])} (was {_pct(c['reference']['error_share'])})"
            for c in top))
    if f.get("classes_left_out"):
        out.append(f"{f['classes_left_out']} smaller classes are left out of the table")
    return out
