"""FreezeExceptions on a real API server: an approver's exception lets a new version through a
freeze until it expires; a forged approver, a long life and a user without RBAC are refused.

The webhook configurations come from `budgetwarden webhook render` and are applied once per
module; each test runs the operator (KopfRunner, in-process) with its webhook server, scoped to a
fresh namespace labelled for enforcement, and writes the freeze into the policy's status as the
poller would. People are played with kubectl impersonation (--as, --as-group) under real RBAC.
The fixtures and helpers are in tests/webhook_support.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kopf.testing import KopfRunner

from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import events, get, wait_for
from webhook_support import (
    DENIED,
    certs_fixture,  # noqa: F401
    denial,
    deployment,
    enforced_fixture,  # noqa: F401
    freeze,
    image_of,
    kubectl,
    operator_fixture,  # noqa: F401
    port_fixture,  # noqa: F401
    registered_fixture,  # noqa: F401
    stored,
    until_denied,
    write,
)


def approvers(cluster: Cluster, namespace: str) -> None:
    """RBAC: only the group `approvers` may create FreezeExceptions in the namespace."""
    cluster.kubectl(
        "create", "role", "freezeexception-approver", "-n", namespace,
        "--verb=create,get,list,watch", "--resource=freezeexceptions.budgetwarden.io",
    )  # fmt: skip
    cluster.kubectl(
        "create", "rolebinding", "freezeexception-approvers", "-n", namespace,
        "--role=freezeexception-approver", "--group=approvers",
    )  # fmt: skip


def hotfix(namespace: str, expires: datetime, **spec: Any) -> dict[str, Any]:
    """A FreezeException for the checkout-worker Deployment."""
    return {
        "apiVersion": "budgetwarden.io/v1alpha1",
        "kind": "FreezeException",
        "metadata": {"name": "worker-hotfix", "namespace": namespace},
        "spec": {
            "targets": [{"kind": "Deployment", "name": "checkout-worker"}],
            "reason": "Fix for the retry storm",
            "ticket": "INC-4711",
            "expiresAt": stamp(expires),
            **spec,
        },
    }


def stamp(moment: datetime) -> str:
    """RFC 3339 to the second, as the API and the messages print times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_user(user: str, group: str) -> tuple[str, ...]:
    """kubectl flags to act as `user` in `group` (impersonation by the admin)."""
    return (f"--as={user}", f"--as-group={group}")


def until_allowed(cluster: Cluster, path: Path, allowed: str) -> None:
    """Server-side dry-run applies of `path` until the webhook allows it with `allowed` on
    stderr (the operator has seen the exception)."""

    def passes() -> bool:
        return kubectl(cluster, "apply", "--dry-run=server", "-f", str(path)).stderr == allowed

    wait_for("the exception to be known", passes)


def until_used(cluster: Cluster, namespace: str, *names: str) -> None:
    """Wait for a FreezeExceptionUsed Event on each of the objects `names`."""
    used = ("Normal", "FreezeExceptionUsed")
    for name in names:
        wait_for(f"the Event on {name}", lambda name=name: used in events(cluster, namespace, name))


@pytest.mark.cluster
def test_an_approvers_exception_lets_the_change_through_until_it_expires(
    cluster: Cluster, enforced: str, operator: KopfRunner, tmp_path: Path
) -> None:
    approvers(cluster, enforced)
    cluster.kubectl("apply", "-f", str(write(tmp_path, "v1", deployment(enforced, "worker:1.0"))))
    freeze(cluster, enforced, "PartialFreeze", "21.4")
    v2 = write(tmp_path, "v2", deployment(enforced, "worker:2.0"))
    until_denied(cluster, v2)

    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=25)
    fx = write(tmp_path, "fx", hotfix(enforced, expires))
    created = kubectl(cluster, "create", "-f", str(fx), *as_user("alice", "approvers"))
    assert (created.returncode, created.stdout, created.stderr) == (
        0,
        "freezeexception.budgetwarden.io/worker-hotfix created\n",
        "Warning: [budgetwarden] FreezeException worker-hotfix approved by alice:"
        f" Deployment/checkout-worker may ship through PartialFreeze until {stamp(expires)}.\n",
    )
    recorded = stored(cluster, "freezeexception", "worker-hotfix", enforced)
    assert recorded["spec"]["approvedBy"] == "alice"

    allowed = (
        f"Warning: [budgetwarden] PartialFreeze on {enforced}/Deployment/checkout-worker: allowed"
        f" by FreezeException worker-hotfix (ticket INC-4711, expires {stamp(expires)}) under"
        " policy payments. Freeze fz-7c2e.\n"
    )
    until_allowed(cluster, v2, allowed)
    shipped = kubectl(cluster, "apply", "-f", str(v2))
    assert (shipped.returncode, shipped.stderr) == (0, allowed)
    assert image_of(cluster, "deployment", "checkout-worker", enforced) == "worker:2.0"
    until_used(cluster, enforced, "checkout-worker", "worker-hotfix")  # workload and exception

    v3 = write(tmp_path, "v3", deployment(enforced, "worker:3.0"))
    denied = until_denied(cluster, v3)  # once expiresAt has passed
    assert datetime.now(UTC) >= expires
    message = denial(enforced, "Deployment", "checkout-worker")
    assert denied.splitlines()[-1] == f'for: "{v3}": error when patching "{v3}": {DENIED}{message}'


@pytest.mark.cluster
def test_a_forged_approver_a_long_life_and_a_user_without_rbac_are_refused(
    cluster: Cluster, enforced: str, operator: KopfRunner, tmp_path: Path
) -> None:
    approvers(cluster, enforced)
    now = datetime.now(UTC).replace(microsecond=0)
    forged = write(
        tmp_path, "forged", hotfix(enforced, now + timedelta(hours=2), approvedBy="carol")
    )
    too_long = write(tmp_path, "long", hotfix(enforced, now + timedelta(days=3)))
    honest = write(tmp_path, "honest", hotfix(enforced, now + timedelta(hours=2)))

    by_alice = kubectl(cluster, "create", "-f", str(forged), *as_user("alice", "approvers"))
    long_life = kubectl(cluster, "create", "-f", str(too_long), *as_user("alice", "approvers"))
    by_bob = kubectl(cluster, "create", "-f", str(honest), *as_user("bob", "developers"))

    approver = 'admission webhook "approver.freezeexceptions.budgetwarden.io" denied the request'
    assert (by_alice.returncode, by_alice.stderr) == (
        1,
        f'Error from server (Forbidden): error when creating "{forged}": {approver}:'
        ' [budgetwarden] spec.approvedBy: is recorded from the request and must be "alice" (who'
        ' is creating this FreezeException); got "carol". Remove the field, or have that person'
        " create the exception.\n",
    )
    validator = 'admission webhook "freezeexceptions.budgetwarden.io" denied the request'
    assert long_life.returncode == 1
    assert long_life.stderr.startswith(
        f'Error from server (Forbidden): error when creating "{too_long}": {validator}:'
        " [budgetwarden] spec.expiresAt: must be at most 1d from now, at the latest "
    )
    assert long_life.stderr.endswith(
        f"; got {stamp(now + timedelta(days=3))}. Ask again for more time before it ends.\n"
    )
    assert (by_bob.returncode, by_bob.stderr) == (
        1,
        f'Error from server (Forbidden): error when creating "{honest}": freezeexceptions'
        f'.budgetwarden.io is forbidden: User "bob" cannot create resource "freezeexceptions" in'
        f' API group "budgetwarden.io" in the namespace "{enforced}"\n',
    )
    assert get(cluster, "freezeexception", "worker-hotfix", enforced) is None
