"""Benchmarks for budgetwarden's measured targets, run by `make bench` as `python -m bench`.

Each module listed in `bench.__main__.MODULES` has a `main() -> int` that prints its own table.
Timing claims live here, never in pass/fail tests.
"""
