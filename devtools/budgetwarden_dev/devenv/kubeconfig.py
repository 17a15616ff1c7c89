"""Kubeconfig files and a kubectl runner bound to one of them.

Used by the control-plane launcher (writes the admin kubeconfig), by `budgetwarden dev` and by
the test fixtures (`Kubectl` runs the venv's kubectl against a given kubeconfig).
"""

from __future__ import annotations

import base64
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import yaml

from budgetwarden_dev.devenv.binaries import find_binary
from budgetwarden_dev.devenv.errors import DevEnvError

CONTEXT = "budgetwarden-dev"


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def write_kubeconfig(
    path: Path, server: str, ca: Path, client_cert: Path, client_key: Path
) -> Path:
    """Write a one-context kubeconfig with the credentials embedded; returns `path`."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": CONTEXT, "cluster": {"server": server, "certificate-authority-data": _b64(ca)}}
        ],
        "users": [
            {
                "name": "admin",
                "user": {
                    "client-certificate-data": _b64(client_cert),
                    "client-key-data": _b64(client_key),
                },
            }
        ],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": "admin"}}],
        "current-context": CONTEXT,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return path


class RunsKubectl(Protocol):
    """Anything that runs kubectl against one cluster: `Kubectl`, `ControlPlane.kubectl`, ..."""

    def __call__(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]: ...


class KubectlError(DevEnvError):
    """kubectl exited non-zero; the message carries the command and its stderr."""

    def __init__(self, args: list[str], result: subprocess.CompletedProcess[str]) -> None:
        super().__init__(
            f"kubectl {' '.join(args)} exited {result.returncode}:\n{result.stderr.strip()}"
        )
        self.result = result


@dataclass(frozen=True)
class Kubectl:
    """kubectl bound to one kubeconfig."""

    kubeconfig: Path
    binary: Path = field(default_factory=lambda: find_binary("kubectl"))

    def __call__(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl; output captured as text; KubectlError on failure when `check`."""
        argv = [str(self.binary), f"--kubeconfig={self.kubeconfig}", *args]
        result = subprocess.run(
            argv, input=input, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise KubectlError(list(args), result)
        return result
