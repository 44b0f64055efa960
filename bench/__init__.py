"""Benchmarks: how the cost of `pulumi up` grows with topology and hosts (BENCHMARKS.md)."""
