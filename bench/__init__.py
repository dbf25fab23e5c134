"""Benchmarks and evaluations, run from the repository root (`python -m bench.NAME`)."""
