"""Fault drills: a faulty "current" window written from real reference rows, to rehearse an incident.

The window is what ``risk`` injects (``window.faulty_window``), moved in time
to start just after the reference ends (its time and freshness columns shift
by the reference's span), so a monitor or ``causal-rca why`` reads it as the
next window. What was injected is printed, never written into the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from causal_rca.errors import InputError
from causal_rca.prevention.window import Setup, faulty_window, metric_change

SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class DrillResult:
    path: Path
    rows: int
    node: str
    mode: str
    strength: float
    injected: str
    reference: float
    faulty: float
    scored_by: str

    def summary(self, metric: str) -> str:
        return (f"wrote {self.rows} rows to {self.path}: {self.mode} at {self.node} (strength {self.strength:g}; "
                f"{self.injected}); {metric} on these rows {self.reference:.4g} → {self.faulty:.4g} "
                f"(downstream recomputed, scored by {self.scored_by})")


def shifted(setup: Setup, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` moved in time to begin one second after the reference rows end."""
    time = setup.graph.time_column
    if not time or time not in frame:
        return frame
    ref = pd.to_datetime(setup.rows[time], errors="coerce")
    if ref.isna().all():
        return frame
    step = ref.max() - ref.min() + pd.Timedelta(seconds=1)
    out = frame.copy()
    columns = [time] + [n.freshness for n in setup.graph.nodes.values() if n.freshness and n.freshness in frame]
    for col in columns:
        values = pd.to_datetime(out[col], errors="coerce")
        out[col] = (values + step).astype(values.dtype)
    return out


def write_drill(setup: Setup, node: str, mode: str, strength: float, out: Path, seed: int) -> DrillResult:
    """Inject, carry down, shift in time and write the window (CSV or Parquet, by ``out``'s suffix)."""
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"--out must end in {' or '.join(SUFFIXES)}, not '{out.name}'")
    faulty, injected = faulty_window(setup, node, mode, strength, seed)
    cmp = metric_change(setup, faulty, seed)
    window = shifted(setup, faulty)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            window.to_csv(out, index=False)
        else:
            text = {c: window[c].astype(str).where(window[c].notna(), None) for c in window.columns
                    if window[c].dtype == object}  # a number spelled as text makes the column text
            window.assign(**text).to_parquet(out, index=False)
    except OSError as exc:
        raise InputError(f"cannot write '{out}': {exc.strerror}") from None
    return DrillResult(out, len(window), node, mode, strength, injected.note, cmp.reference.value,
                       cmp.current.value, setup.scored_by)
