"""What the offline command tests (tests/unit/test_cli_*.py) share: where the examples, golden
files and import fixtures are, and `run`, the command line run in this process.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from budgetwarden.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden"
IMPORTS = ROOT / "tests" / "fixtures" / "import"
CONSOLE_SCRIPT = Path(sys.executable).parent / "budgetwarden"
SLO_EXAMPLES = ("01-availability-ratio", "02-latency", "03-availability-gauge", "04-window-28d")
OTHER_EXAMPLES = ("05-policy", "06-freeze-exception")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command line in this process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
