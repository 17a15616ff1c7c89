"""Helpers for the promtool tests: the fixture SLOs and the type of the rule-test runner."""

from __future__ import annotations

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
