"""Benchmarking support: synthetic but realistic raw corpora for timing the pipeline at scale.

Kept import-free so `python -m benchmarks.corpus` runs without the package having
imported the module first (runpy warns otherwise).
"""
