"""The operator's own user on the demo's control plane: a ServiceAccount and a token for it.

demo/stack.py runs the operator with `operator_kubeconfig`'s file, tells it its user
(BUDGETWARDEN_OPERATOR_USERNAME) and renders the webhook with `--operator-username`, as the Helm
chart does. The drill's kubectl runs as the admin; were the operator the admin too, admission
could not tell its writes from a person's: during a freeze it refused the operator's own
budgetwarden.io marks as an edit of the freeze's record, and the held Rollout kept saying
PartialFreeze at FullFreeze.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from budgetwarden_dev.devenv.kubeconfig import RunsKubectl

NAMESPACE = "budgetwarden"
SERVICE_ACCOUNT = "budgetwarden"
USERNAME = f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}"
# longer than anyone keeps a demo stack; the API server shortens it if its flags say so
TOKEN_DURATION = "24h"


@dataclass(frozen=True)
class Identity:
    """A kubeconfig that authenticates as the operator's ServiceAccount, and its user name."""

    kubeconfig: Path
    username: str


def operator_kubeconfig(kubectl: RunsKubectl, admin: Path, path: Path) -> Identity:
    """Create the ServiceAccount (cluster-admin, as the demo's operator watches everything it
    may hold) and write `path`: the admin kubeconfig with a token of it in place of the
    client certificate."""
    kubectl("create", "namespace", NAMESPACE)
    kubectl("create", "serviceaccount", SERVICE_ACCOUNT, f"--namespace={NAMESPACE}")
    kubectl("create", "clusterrolebinding", "budgetwarden-operator", "--clusterrole=cluster-admin",
            f"--serviceaccount={NAMESPACE}:{SERVICE_ACCOUNT}")  # fmt: skip
    token = kubectl("create", "token", SERVICE_ACCOUNT, f"--namespace={NAMESPACE}",
                    f"--duration={TOKEN_DURATION}").stdout.strip()  # fmt: skip
    config = yaml.safe_load(admin.read_text())
    for user in config["users"]:
        user["user"] = {"token": token}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return Identity(path, USERNAME)
