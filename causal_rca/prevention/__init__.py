"""From post-mortem to prevention: what a diagnosis changes, and the failures to expect before they happen.

- ``tickets``: one engineering issue per top cause (Markdown, and JSON for GitHub and Jira);
- ``contract_patch``: the contract lines that would have caught a cause, verified on both windows;
- ``faults`` and ``window``: a failure mode injected into real reference rows and carried down to the model;
- ``fmea`` and ``fmea_render``: every node × failure mode scored (severity, occurrence, detection);
- ``drill``: a faulty window written to rehearse an incident.

docs/prevention.md describes the outputs and the scales.
"""
