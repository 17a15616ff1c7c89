"""A handle on a cluster the tests talk to: the harness's control plane or a KUBECONFIG's.

Used by the `cluster` pytest fixture (tests/conftest.py), so tests do not care whether the API
server is the local envtest-style one or a real cluster such as kind.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from budgetwarden_dev.devenv.controlplane import ControlPlane
from budgetwarden_dev.devenv.kubeconfig import Kubectl

if TYPE_CHECKING:
    from kubernetes.client import ApiClient


@dataclass
class Cluster:
    """A kubeconfig plus the two ways tests reach the cluster: kubectl and the Python client."""

    kubeconfig: Path
    control_plane: ControlPlane | None = None  # None when the cluster came from $KUBECONFIG
    _kubectl: Kubectl = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._kubectl = Kubectl(self.kubeconfig)

    @classmethod
    def from_environment(cls) -> Cluster | None:
        """The cluster $KUBECONFIG names (its first file), or None when the variable is unset."""
        value = os.environ.get("KUBECONFIG", "")
        first = next((part for part in value.split(os.pathsep) if part), None)
        return None if first is None else cls(Path(first))

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl; text output captured; KubectlError (with stderr) on failure when `check`."""
        return self._kubectl(*args, input=input, check=check)

    def api_client(self) -> ApiClient:
        """A new kubernetes.client.ApiClient for this cluster (close it when done)."""
        from kubernetes import config  # the client library is slow to import; only tests need it

        client = config.new_client_from_config(config_file=str(self.kubeconfig))  # type: ignore[no-untyped-call]
        return cast("ApiClient", client)

    def create_namespace(self, hint: str) -> str:
        """Create a namespace with a unique name derived from `hint`; returns the name."""
        slug = re.sub(r"[^a-z0-9-]+", "-", hint.lower()).strip("-")[:40].strip("-") or "test"
        name = f"{slug}-{secrets.token_hex(3)}"
        self.kubectl("create", "namespace", name)
        return name
