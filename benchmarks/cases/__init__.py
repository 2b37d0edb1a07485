"""Benchmark case families: random pipelines with known faults (not shipped in the package)."""
