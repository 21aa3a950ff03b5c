"""Benchmarks: `make bench` (all) or `make bench NAME=<name>`; see bench/README.md."""
