"""Model-aware diagnosis: the real model, when the user provides it, and what the logs show when not.

``artifact`` loads the model (skops safely; pickles and MLflow only when trusted),
``replay`` asks "what would the metric be had this node stayed as it was?"
(``reweight`` answers it for a new population, by reweighting the current rows),
``golden`` evaluates the model on a trusted labelled set, ``confidence`` and
``segments`` drill into scores, classes and slices, ``support`` measures inputs
outside what the model was trained on, ``estimate`` estimates the metric without
labels, and ``review`` runs them after the engine has ranked its causes.
"""
