"""Benchmarks that run spinoff, its peers and raw limits on identical workloads.

Run the whole suite with ``python -m bench`` from the repository root, and see
``docs/benchmarks.md`` for the workloads, the method and the latest results.
"""
