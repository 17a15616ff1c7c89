"""What the offline command tests (tests/unit/test_cli_*.py) share: where the examples, golden
files and import fixtures are, and `run`, the command line run in this process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from budgetwarden.cli import main
from budgetwarden_dev.devenv.cluster import Cluster

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


def on_cluster(cluster: Cluster, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a subprocess, with the cluster's kubeconfig."""
    env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig)}
    return subprocess.run(
        [sys.executable, "-m", "budgetwarden", *args],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
