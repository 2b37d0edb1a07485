"""Lineage people already have, as a version-1 graph: OpenLineage run events and dbt manifests.

Both importers produce the same intermediate shape (``columns.ImportedLineage``: datasets,
their columns with types, column-level edges, contracts), which ``columns.to_graph`` turns
into graph nodes; ``attach.attach_model`` adds the model, label and metrics the lineage
tools do not know about.
"""
