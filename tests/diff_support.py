"""What the `budgetwarden diff` tests (tests/unit/test_diff_*.py, tests/integration/
test_diff_cli.py) share: an SLO example as a file, a change of its objective, and the diff's
changed lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cli_support import EXAMPLES

# The example SLO 01 has objective 99.5 (budget 0.5 %); the change makes it 99.9 (budget 0.1 %).
OLD_OBJECTIVE, NEW_OBJECTIVE = "99.5", "99.9"
# What the change does to each rule it touches: the objective, the budget, and their ratios.
REPLACED = (("0.995", "0.999"), ("0.005", "0.001"), ("99.5%", "99.9%"), ("0.5%", "0.1%"))
# 10 recording rules (the burn rate of each of 7 windows and the budget left, which divide by
# the budget; the objective and the budget) and the descriptions of 6 alerts (fast and slow
# burn, budget low, absent data, service down, error rate).
CHANGED_RULES = 16


def slo_example(namespace: str | None = None) -> dict[str, Any]:
    """Example 01 (checkout-availability), in `namespace` when given."""
    slo: dict[str, Any] = yaml.safe_load((EXAMPLES / "01-availability-ratio.yaml").read_text())
    if namespace is not None:
        slo["metadata"]["namespace"] = namespace
    return slo


def write(path: Path, resource: dict[str, Any]) -> Path:
    """`resource` as a YAML file at `path`."""
    path.write_text(yaml.safe_dump(resource, sort_keys=False))
    return path


def with_objective(resource: dict[str, Any], objective: str) -> dict[str, Any]:
    """A copy of the SLO with another objective."""
    return {**resource, "spec": {**resource["spec"], "objective": objective}}


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    """The removed and the added lines of a unified diff, without their `-`/`+`."""
    lines = diff.splitlines()
    removed = [line[1:] for line in lines if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in lines if line.startswith("+") and not line.startswith("+++")]
    return removed, added


def as_changed(line: str) -> str:
    """A rule line of the old objective as the new objective writes it."""
    for old, new in REPLACED:
        line = line.replace(old, new)
    return line
