"""One-line meanings of the numbers a report shows beside each other (score, contribution, a slice's share)."""

from __future__ import annotations

SCORE = ("score (0 to 1): how sure the engine is that this node is the cause: 75% the share of the change "
         "it explains, 25% how clearly its own behaviour changed given its parents")
CONTRIBUTION = ("contribution: the part of the change, in the metric's units, this cause explains (Shapley "
                "attribution); the causes' contributions add up to the modelled change, close to the observed one")
SLICE = ("a slice's \"explains X% of the drop\": the part of the change its rows account for; above 100% or "
         "below 0% when the other rows moved the other way")
