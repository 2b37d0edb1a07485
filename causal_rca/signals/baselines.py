"""The reference side of a numeric node's signals, read once per fitted model.

``detect._numeric_signals`` compares a node's reference sample with its current one:
a KS test, the median, the quantile line, the support's range, the unit conversions'
KS tests on thinned samples. Everything it reads of the reference alone is here, so
``CausalRCA.fit`` computes it once and each diagnosis reads it instead of sorting
and partitioning the same 20,000 values again (the same numbers: order statistics
of a sample do not depend on the order it is read in).

A baseline carries a digest of the column it was read from; ``baseline_for`` hands
it out only for that very column, so a diagnosis whose reference sample differs
(other column types agreed with the current window) computes its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from causal_rca.signals.sorted_ks import SortedSample, sorted_sample
from causal_rca.signals.statistics import QUANTILES, support_bounds
from causal_rca.signals.units import thin_ordered


@dataclass(frozen=True)
class NumericBaseline:
    """What a numeric node's signals read of its reference sample (``numeric_baseline``)."""

    digest: str  # of the raw column it was read from
    sample: SortedSample  # the finite values, sorted
    median: np.floating
    quantiles: np.ndarray = field(repr=False)  # at QUANTILES
    bounds: tuple[float, float]  # the support with no margin (``statistics.support_bounds(…, margin=0)``)
    outside: int  # reference values outside ``bounds``
    thinned: SortedSample  # every k-th sorted value, at most about THINNED

    @property
    def nbytes(self) -> int:
        """Memory held (one baseline per numeric node of a fitted model)."""
        return self.sample.nbytes + self.thinned.nbytes + int(self.quantiles.nbytes)


def column_digest(values: np.ndarray) -> str:
    """A digest of a float column's bytes: which exact sample a baseline belongs to."""
    return hashlib.blake2b(np.ascontiguousarray(values, dtype=float).tobytes(), digest_size=16).hexdigest()


def numeric_baseline(raw: np.ndarray) -> NumericBaseline:
    """The baseline of a reference column (nulls and infinities are left out, as the signals leave them)."""
    ref = raw[np.isfinite(raw)]
    sample = sorted_sample(ref)
    lo, hi = support_bounds(ref, margin=0.0) if len(ref) else (-np.inf, np.inf)
    quantiles = np.quantile(ref, QUANTILES) if len(ref) else np.full(len(QUANTILES), np.nan)
    return NumericBaseline(column_digest(raw), sample, np.median(ref) if len(ref) else np.nan,
                           quantiles, (lo, hi), int(((ref < lo) | (ref > hi)).sum()),
                           sorted_sample(thin_ordered(sample.values, len(ref))))


Baselines = dict  # node -> NumericBaseline


def numeric_baselines(sample: pd.DataFrame, dtypes: dict[str, str]) -> Baselines:
    """Baselines of every numeric node of a reference sample (as ``detect.measure_signals`` reads its columns)."""
    return {n: numeric_baseline(sample[n].to_numpy(float)) for n, t in dtypes.items()
            if t in ("numeric", "boolean", "datetime") and n in sample}


def baseline_for(baselines: Baselines | None, node: str, raw: np.ndarray) -> NumericBaseline | None:
    """The node's baseline when it was read from exactly ``raw``, else None."""
    found = (baselines or {}).get(node)
    return found if found is not None and found.digest == column_digest(raw) else None
