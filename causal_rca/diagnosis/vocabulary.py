"""The fixed failure-mode vocabulary of spec/diagnosis.md, with mitigations.

The strings are part of the contract with users: change them only with the spec.
"""

from __future__ import annotations

MITIGATION = {
    "distribution_shift": "fine-tune or retrain with recent data; add the new population to the golden set",
    "scale_change": "retrain against the corrected feature version, or restore the old scaling",
    "missing_values": "fix the feature computation or the upstream outage; handle nulls explicitly",
    "schema_change": "enforce a data contract at the boundary; patch the parser; reprocess",
    "stale_values": "fix the ingestion delay or cache; recompute the windows; alert on staleness",
    "pipeline_skew": "share one preprocessing implementation between training and serving; patch serving",
    "concept_drift": "retrain on newly labelled data; revisit features and label definition",
    "label_shift": "re-label or re-align the label definition; recalibrate thresholds",
    "model_change": "roll back or retrain the model; add the failing cases to the evaluation suite",
    "out_of_distribution": "collect and label the new inputs; fine-tune or route them elsewhere",
    "infrastructure": "fix capacity or timeouts; add circuit breakers and load shedding",
}

FAILURE_MODES = tuple(MITIGATION)

# The last "why" of a chain: what happened at the root node, as a predicate ("because X …").
MEANING = {
    "distribution_shift": "moved with its population: the world changed, not the pipeline",
    "scale_change": "was rescaled (new units or normalisation) while its consumers expect the old scale",
    "missing_values": "became unavailable (nulls or fallback defaults where there were values)",
    "schema_change": "changed type or format upstream and was coerced",
    "stale_values": "holds old values or values computed over incomplete windows",
    "pipeline_skew": "is computed differently at serving than at training",
    "concept_drift": "changed its relation to the inputs (concept drift)",
    "label_shift": "changed its base rate or definition",
    "model_change": "behaves differently on the same inputs",
    "out_of_distribution": "took values outside what the model was trained on",
    "infrastructure": "degraded, and several of its outputs changed together",
}
