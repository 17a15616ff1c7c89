"""`python -m bench [NAME...]`: run the benchmark modules (all, or those named) and print tables."""

from __future__ import annotations

import importlib
import sys

# Every benchmark module, in the order they run. Each has `main() -> int`.
MODULES = [
    "bench.generation",
    "bench.operator_scale",
    "bench.operator_memory",
    "bench.relist_memory",
    "bench.poll_cycle",
    "bench.poll_query",
    "bench.poll_apart",
    "bench.reaction",
    "bench.admission_latency",
    "bench.admission_profile",
    "bench.rule_cost",
    "bench.rule_memory",
]


def main(argv: list[str]) -> int:
    """Run each selected module; the exit code is non-zero if any failed."""
    selected = [m for m in MODULES if not argv or m.rsplit(".", 1)[-1] in argv]
    failures = 0
    for name in selected:
        print(f"== {name}", flush=True)
        failures += int(importlib.import_module(name).main() != 0)
    return 1 if failures else 0


sys.exit(main(sys.argv[1:]))
