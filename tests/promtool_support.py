"""Helpers for the promtool tests: the fixture SLOs, the type of the rule-test runner, and
`promtool check rules` with every lint fatal."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from budgetwarden.core.slo.spec import SLO, parse_slo

FIXTURES = Path(__file__).resolve().parent / "promtool" / "fixtures"

# groups, test cases -> None; fails the test with promtool's output when a case fails
RuleTest = Callable[[list[dict[str, Any]], list[dict[str, Any]]], None]


def fixture_slo(name: str) -> SLO:
    """An SLO from tests/promtool/fixtures/<name>.yaml."""
    return parse_slo(yaml.safe_load((FIXTURES / f"{name}.yaml").read_text()))


def check_rules(promtool: Path, rule_file: Path) -> subprocess.CompletedProcess[str]:
    """`promtool check rules --lint=all --lint-fatal` on one file; its result, whatever it is."""
    return subprocess.run(
        [str(promtool), "check", "rules", "--lint=all", "--lint-fatal", str(rule_file)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
