"""Fixtures for the promtool tests: the real promtool binary and a runner for rule unit tests."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden_dev.devenv.binaries import find_binary
from budgetwarden_dev.devenv.errors import MissingBinaryError
from promtool_support import RuleTest


@pytest.fixture(scope="session")
def promtool() -> Path:
    """The promtool binary (Debian's prometheus package; `make tools` installs it)."""
    try:
        return find_binary("promtool")
    except MissingBinaryError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def rule_test(promtool: Path, tmp_path: Path) -> RuleTest:
    """Run `promtool test rules` on generated groups and the given test cases; fail on any miss.

    Series are one sample a minute and rules are evaluated every minute, so times in the tests
    are whole minutes after the first sample. Groups are evaluated in the order generated (sli,
    budget, alerts): promtool otherwise picks an order at random, and an alert evaluated before
    the recording rules it reads would see the previous minute. (A real Prometheus runs the
    groups independently, so there an alert may lag its burn rate by one evaluation interval.)
    """

    def run(groups: list[dict[str, Any]], tests: list[dict[str, Any]]) -> None:
        (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
        suite = {
            "rule_files": ["rules.yaml"],
            "evaluation_interval": "1m",
            "group_eval_order": [group["name"] for group in groups],
            "tests": tests,
        }
        (tmp_path / "test.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
        result = subprocess.run(
            [str(promtool), "test", "rules", "test.yaml"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    return run
