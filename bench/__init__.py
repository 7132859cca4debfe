"""Benchmarks: `make bench` (python -m bench.run) writes docs/performance.md."""
