"""Small reference-vs-current distribution plots, as inline SVG for the HTML report.

Drawn with matplotlib's object API (no pyplot, no global backend state)
from the summaries the diagnosis carries (``Diagnosis.distributions``), so
a report can be rebuilt from a JSON file. Text stays text in the SVG
(``svg.fonttype: none``) and ids are salted deterministically, so the same
diagnosis gives the same bytes.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from causal_rca.render.findings import pct
from causal_rca.render.svg import prefix_ids, strip_prolog

REFERENCE_COLOR = "#607d8b"
CURRENT_COLOR = "#e65100"
_RC = {"svg.fonttype": "none", "svg.hashsalt": "causal-rca", "font.size": 8, "font.family": "sans-serif",
       "axes.spines.top": False, "axes.spines.right": False}


def _literal(text: str) -> str:
    """User text shown as is: matplotlib would read ``$…$`` as mathtext."""
    return str(text).replace("$", r"\$")


def _numeric(ax: Any, summary: dict[str, Any]) -> None:
    edges = summary["edges"]
    for key, color, label in (("reference", REFERENCE_COLOR, "reference"), ("current", CURRENT_COLOR, "current")):
        shares = summary[key]["shares"]
        ax.stairs(shares, edges, color=color, linewidth=1.6, label=f"{label} (null {pct(summary[key]['null'])})",
                  fill=key == "reference", alpha=0.35 if key == "reference" else 1.0)
    ax.set_ylabel("share of rows")


def _categorical(ax: Any, summary: dict[str, Any]) -> None:
    labels = [_literal(c) for c in summary["categories"]]
    ref, cur = list(summary["reference"]["shares"]), list(summary["current"]["shares"])
    if summary["reference"]["null"] or summary["current"]["null"]:
        labels.append("(null)")
        ref.append(summary["reference"]["null"])
        cur.append(summary["current"]["null"])
    positions = list(range(len(labels)))
    ax.barh([p - 0.2 for p in positions], ref, height=0.4, color=REFERENCE_COLOR, alpha=0.6, label="reference")
    ax.barh([p + 0.2 for p in positions], cur, height=0.4, color=CURRENT_COLOR, label="current")
    ax.set_yticks(positions, labels=[label[:24] for label in labels])
    ax.invert_yaxis()
    ax.set_xlabel("share of rows")


def _svg(fig: Figure, prefix: str) -> str:
    """The figure as an inline ``<svg>`` element, ids prefixed with ``prefix``."""
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return prefix_ids(strip_prolog(buf.getvalue()), prefix)


def distribution_svg(node: str, summary: dict[str, Any], title: str | None = None, prefix: str = "plot-") -> str:
    """One node's reference and current distributions as an ``<svg>`` element (ids prefixed with ``prefix``)."""
    rows = len(summary.get("categories", [])) + 1 if summary["kind"] == "categorical" else 6
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(4.6, min(1.2 + 0.22 * rows, 3.6)), dpi=96)
        ax = fig.add_subplot()
        (_numeric if summary["kind"] == "numeric" else _categorical)(ax, summary)
        ax.set_title(_literal(title or node), loc="left", fontsize=9)
        ax.legend(frameon=False, fontsize=7)
        return _svg(fig, prefix)


def metric_over_time_svg(metric: str, points: list[dict[str, Any]], prefix: str = "time-") -> str:
    """The metric per time bucket, reference and current windows in their colours."""
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7.2, 2.6), dpi=96)
        ax = fig.add_subplot()
        for window, color in (("reference", REFERENCE_COLOR), ("current", CURRENT_COLOR)):
            mine = [p for p in points if p["window"] == window]
            if not mine:
                continue
            times = [pd.Timestamp(p["start"]) + (pd.Timestamp(p["end"]) - pd.Timestamp(p["start"])) / 2 for p in mine]
            values = [np.nan if p["value"] is None else p["value"] for p in mine]
            ax.plot(times, values, marker="o", markersize=3, linewidth=1.2, color=color, label=window)
        ax.set_title(_literal(f"{metric} over time"), loc="left", fontsize=9)
        ax.set_ylabel(_literal(metric), fontsize=8)
        ax.legend(frameon=False, fontsize=7)
        fig.autofmt_xdate()
        return _svg(fig, prefix)


def confusion_change_svg(cc: dict[str, Any], prefix: str = "confusion-") -> str | None:
    """Heat map of the change, per true class (row), in the share of its rows predicted as each class
    (column): red where more rows go now, blue where fewer. ``cc``: a diagnosis's ``confusion_change``;
    None when it has no matrices (too many classes)."""
    if "change" not in cc or not cc["change"]:
        return None
    change = np.array([[np.nan if v is None else v for v in row] for row in cc["change"]], dtype=float)
    true, predicted = cc["true"], cc["predicted"]
    limit = max(0.05, float(np.nanmax(np.abs(change))) if np.isfinite(change).any() else 0.05)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(min(2.2 + 0.55 * len(predicted), 9.0), min(1.6 + 0.45 * len(true), 8.0)), dpi=96)
        ax = fig.add_subplot()
        image = ax.imshow(change, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
        ax.set_xticks(range(len(predicted)), labels=[_literal(p)[:18] for p in predicted], rotation=30, ha="right")
        ax.set_yticks(range(len(true)), labels=[_literal(t)[:18] for t in true])
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        if len(true) * len(predicted) <= 144:
            for (i, j), v in np.ndenumerate(change):
                if np.isfinite(v) and abs(v) >= 0.005:
                    ax.text(j, i, f"{v * 100:+.0f}", ha="center", va="center", fontsize=7,
                            color="white" if abs(v) > 0.6 * limit else "black")
        ax.set_title("change in the share of each true class's rows, in points", loc="left", fontsize=9)
        fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
        return _svg(fig, prefix)
