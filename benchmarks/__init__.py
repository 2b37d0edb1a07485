"""Benchmarks of causal-rca (scripts and held-out case families)."""
