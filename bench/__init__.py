"""Authorizer benchmarks: `python -m bench` (ratios against stated budgets, never absolute timings)."""
