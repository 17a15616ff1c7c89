"""`kubectl budgetwarden`: the `kubectl-budgetwarden` console script, found and run by the real
kubectl's plugin mechanism with this environment's bin folder on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from budgetwarden import __version__

BIN = Path(sys.executable).parent
PLUGIN = BIN / "kubectl-budgetwarden"


def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
    """The venv's kubectl, with only the venv's bin folder and the system's on PATH."""
    env = {**os.environ, "PATH": os.pathsep.join((str(BIN), "/usr/bin", "/bin"))}
    return subprocess.run([str(BIN / "kubectl"), *args], capture_output=True, text=True,
                          env=env, check=False, timeout=60)  # fmt: skip


def test_kubectl_lists_the_plugin() -> None:
    listed = kubectl("plugin", "list", "--name-only")
    assert listed.returncode == 0, listed.stderr
    assert "kubectl-budgetwarden" in listed.stdout.splitlines()


def test_kubectl_runs_the_plugin_under_its_own_name() -> None:
    version = kubectl("budgetwarden", "--version")
    assert (version.returncode, version.stdout, version.stderr) == (
        0,
        f"kubectl budgetwarden {__version__}\n",
        "",
    )
    usage = kubectl("budgetwarden", "diff", "--help")
    assert usage.returncode == 0
    assert usage.stdout.startswith("usage: kubectl budgetwarden diff ")


def test_the_plain_command_keeps_its_name() -> None:
    done = subprocess.run([str(BIN / "budgetwarden"), "--version"], capture_output=True,
                          text=True, check=False, timeout=60)  # fmt: skip
    assert (done.returncode, done.stdout) == (0, f"budgetwarden {__version__}\n")
