"""Where does the drop concentrate among the graph's declared ``segments``?

For each slice (one value of one segment column) the question is "how much
of the drop is left once this slice is set aside?": the metric's change
measured on every other row. A fault that hits one slice leaves almost no
drop elsewhere, so that slice explains nearly all of it; a slice untouched by
the fault explains nothing (or less than nothing, as its healthy rows diluted
the drop). This works for every metric, not only means of a row outcome.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.metrics import MetricSpec, compute_metric
from causal_rca.errors import InputError

MAX_LEVELS = 20  # the most frequent levels of a segment; the rest are "(other)"
MIN_ROWS = 30
OTHER = "(other)"


def _metric_or_nan(spec: MetricSpec, frame: pd.DataFrame) -> float:
    try:
        return compute_metric(spec, frame)
    except InputError:
        return float("nan")  # e.g. no positive in the slice: recall undefined there


def _levels(ref: pd.Series, cur: pd.Series) -> tuple[pd.Series, pd.Series]:
    both = pd.concat([ref, cur]).astype(str).where(pd.concat([ref, cur]).notna(), "(null)")
    top = set(both.value_counts().index[:MAX_LEVELS])
    norm = lambda s: s.astype(str).where(s.notna(), "(null)").where(lambda v: v.isin(top), OTHER)  # noqa: E731
    return norm(ref), norm(cur)


def drill_down(spec: MetricSpec, reference: pd.DataFrame, current: pd.DataFrame, segments: tuple[str, ...],
               change: float) -> list[dict]:
    """Slices ranked by the share of the drop they explain (best first).

    ``reference``/``current`` are metric frames with one extra column per segment.
    """
    slices = []
    for segment in segments:
        ref_level, cur_level = _levels(reference[segment], current[segment])
        for level in sorted(set(ref_level) | set(cur_level)):
            r_in, c_in = (ref_level == level).to_numpy(), (cur_level == level).to_numpy()
            if r_in.sum() < MIN_ROWS or c_in.sum() < MIN_ROWS:
                continue
            rest = _metric_or_nan(spec, current[~c_in]) - _metric_or_nan(spec, reference[~r_in])
            inside = _metric_or_nan(spec, current[c_in]) - _metric_or_nan(spec, reference[r_in])
            explained = 1.0 - rest / change if change else 0.0
            slices.append({
                "segment": segment, "value": level,
                "reference": _metric_or_nan(spec, reference[r_in]), "current": _metric_or_nan(spec, current[c_in]),
                "change": inside, "change_elsewhere": rest, "explained_share": float(explained),
                "reference_rows": int(r_in.sum()), "current_rows": int(c_in.sum()),
            })
    slices = [s for s in slices if np.isfinite(s["explained_share"])]
    slices.sort(key=lambda s: (-s["explained_share"], s["segment"], s["value"]))
    for rank, s in enumerate(slices, 1):
        s["rank"] = rank
    return slices
