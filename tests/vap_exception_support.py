"""The FreezeException admission policies put in force on a real API server, and taken out again.

The API server reads policies through an informer, so a policy is in force a moment after it is
written and still in force a moment after it is deleted. Two modules install the same policies
one after the other: unless the first waits until its copies are out of force, the second's
"in force" probe can be answered by the copies about to go, and its first requests then meet
no policy at all.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import wait_for

KINDS = {kind: kind.lower() for kind in (
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
)}  # fmt: skip
_FORGED = "is recorded from the request"


def _probe(**spec: Any) -> str:
    fields = {"targets": [{"kind": "Rollout", "name": "probe"}], "reason": "probe",
              "expiresAt": (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              **spec}  # fmt: skip
    metadata = {"name": "probe", "namespace": "default"}
    kind = {"apiVersion": "budgetwarden.io/v1alpha1", "kind": "FreezeException"}
    return json.dumps({**kind, "metadata": metadata, "spec": fields})


def _dry_run(cluster: Cluster, text: str) -> tuple[bool, str]:
    """(admitted, what came back) for a server-side dry-run create by person "alice"."""
    result = cluster.kubectl(
        "create", "-f", "-", "--dry-run=server", "-o", "json",
        "--as", "alice", "--as-group", "system:masters", input=text, check=False,
    )  # fmt: skip
    return result.returncode == 0, result.stdout if result.returncode == 0 else result.stderr


def _forgery_refused(cluster: Cluster) -> bool:
    admitted, answer = _dry_run(cluster, _probe(approvedBy="carol"))
    return not admitted and _FORGED in answer


def _approver_recorded(cluster: Cluster) -> bool:
    admitted, answer = _dry_run(cluster, _probe())
    return admitted and json.loads(answer)["spec"].get("approvedBy") == "alice"


def install(cluster: Cluster, objects: list[dict[str, Any]]) -> None:
    """Apply the policies and wait until both the validating and the mutating one are in force."""
    items = {"apiVersion": "v1", "kind": "List", "items": objects}
    cluster.kubectl("apply", "-f", "-", input=json.dumps(items))
    wait_for("the FreezeException policies to be in force", lambda: _forgery_refused(cluster))
    # the MutatingAdmissionPolicy is synced on its own: wait until it records the approver too
    wait_for("the approver recorder to be in force", lambda: _approver_recorded(cluster))


def remove(cluster: Cluster, objects: list[dict[str, Any]]) -> None:
    """Delete the policies and wait until neither is in force any more."""
    for obj in objects:
        cluster.kubectl("delete", KINDS[obj["kind"]], obj["metadata"]["name"], "--ignore-not-found")
    wait_for(
        "the FreezeException policies to be out of force",
        lambda: not _forgery_refused(cluster) and not _approver_recorded(cluster),
    )
