"""A node's mechanism verdict and the levels it is judged at (``mechanism.assess_mechanisms`` makes them)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SIGNIFICANCE = 0.01
# When the metric moved significantly and no node passes the test above, each node is judged
# alone at this level: the metric's move is itself evidence that something changed.
LENIENT_SIGNIFICANCE = 0.05
MIN_EFFECT = 0.1
# Categorical outcomes are also tested within strata of the reference mechanism's prediction,
# which is calibrated whatever the fit's quality, so a smaller effect can be trusted.
MIN_EFFECT_OUTCOME = 0.06
# p-values among a result's measures that rows of one entity make look stronger than they are.
CLUSTERED_MEASURES = frozenset({"p_follows_input", "base_rate_p", "p_within_strata", "redefinition_p",
                                "p_follows_redefinition", "p_slope_follows_redefinition", "redefinition_order_p",
                                "p_map_follows_input"})


@dataclass(frozen=True)
class MechanismResult:
    node: str
    parents: tuple[str, ...]
    method: str  # "marginal", "regression", "classification", "skipped"
    p_value: float
    effect: float
    detail: str
    measures: dict[str, float] = field(default_factory=dict)
    p_adjusted: float = 1.0
    # Current-sample rows where the node behaves as its reference mechanism says (None: all).
    consistent: np.ndarray | None = field(default=None, compare=False, repr=False)
    # Judged by the lenient test (see ``lenient_mechanisms``).
    lenient: bool = False
    # Sources that moved with this one and are unchanged given it (``sources.sources_given_each_other``).
    moved_with: tuple[str, ...] = ()

    @property
    def effect_floor(self) -> float:
        """The smallest effect that counts as a change for this result's test."""
        return MIN_EFFECT_OUTCOME if self.method == "classification" else MIN_EFFECT

    @property
    def changed(self) -> bool:
        if self.lenient:
            return self.p_value < LENIENT_SIGNIFICANCE and self.effect >= self.effect_floor
        return self.p_adjusted < SIGNIFICANCE and self.effect >= self.effect_floor
