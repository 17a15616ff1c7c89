"""FreezeExceptions cannot be turned against their approver, on a real API server, webhook mode.

Each attack is made with kubectl as the person who would make it (impersonation under real
RBAC): another approver widening, raising, extending or reviving someone else's exception; a
developer with the built-in edit rules labelling a workload into a selector exception and then
shipping a new version; a ServiceAccount bound to the approver role. The webhook and the operator
are set up as in test_admission_exceptions.py (tests/webhook_support.py).
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kopf.testing import KopfRunner

from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import wait_for
from webhook_support import (
    certs_fixture,  # noqa: F401
    denial,
    deployment,
    enforced_fixture,  # noqa: F401
    freeze,
    kubectl,
    operator_fixture,  # noqa: F401
    port_fixture,  # noqa: F401
    registered_fixture,  # noqa: F401
    stored,
    until_denied,
    write,
)

pytestmark = pytest.mark.cluster
VALIDATOR = 'admission webhook "freezeexceptions.budgetwarden.io" denied the request: '
ALICE, BOB = ("--as=alice", "--as-group=approvers"), ("--as=bob", "--as-group=approvers")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def fixed(field: str) -> str:
    return (
        f"[budgetwarden] spec.{field}: cannot change once the FreezeException exists; only"
        " spec.expiresAt may move earlier, to end it sooner. Create a new FreezeException for"
        " anything else."
    )


def roles(cluster: Cluster, namespace: str) -> None:
    """The approver role's verbs for group `approvers` and ServiceAccount gitops; the edit role's
    workload rules for the developer dev."""
    cluster.kubectl(
        "create", "role", "approver", "-n", namespace,
        "--verb=get,list,watch,create,update,patch,delete",
        "--resource=freezeexceptions.budgetwarden.io",
    )  # fmt: skip
    cluster.kubectl(
        "create", "rolebinding", "approvers", "-n", namespace, "--role=approver",
        "--group=approvers", f"--serviceaccount={namespace}:gitops",
    )  # fmt: skip
    for rules in ("view", "edit"):  # what `edit` aggregates (no controller fills it in here)
        cluster.kubectl(
            "create", "rolebinding", f"developers-{rules}", "-n", namespace,
            f"--clusterrole=system:aggregate-to-{rules}", "--user=dev",
        )  # fmt: skip


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def exception(namespace: str, name: str, expires: datetime, target: dict[str, Any]) -> str:
    """A FreezeException as JSON for kubectl's stdin."""
    spec = {"targets": [target], "reason": "Fix for the retry storm", "ticket": "INC-4711",
            "expiresAt": stamp(expires)}  # fmt: skip
    metadata = {"name": name, "namespace": namespace}
    kind = {"apiVersion": "budgetwarden.io/v1alpha1", "kind": "FreezeException"}
    return json.dumps({**kind, "metadata": metadata, "spec": spec})


def create(cluster: Cluster, body: str, *user: str) -> str:
    """ "created", or what refused it."""
    result = cluster.kubectl("create", "-f", "-", *user, input=body, check=False)
    return "created" if result.returncode == 0 else result.stderr.partition(VALIDATOR)[2].strip()


def change(cluster: Cluster, namespace: str, name: str, spec: dict[str, Any], *user: str) -> str:
    """A merge patch of the exception's spec: "changed", or the webhook's refusal."""
    result = kubectl(
        cluster, "patch", "freezeexception", name, "-n", namespace, "--type=merge",
        "-p", json.dumps({"spec": spec}), *user,
    )  # fmt: skip
    return "changed" if result.returncode == 0 else result.stderr.partition(VALIDATOR)[2].strip()


def test_another_approver_can_only_end_an_exception_sooner_and_is_then_its_approver(
    cluster: Cluster, enforced: str, operator: KopfRunner
) -> None:
    roles(cluster, enforced)
    now = datetime.now(UTC).replace(microsecond=0)
    worker = {"kind": "Deployment", "name": "checkout-worker"}
    for name, lasts in (("hotfix", timedelta(hours=2)), ("brief", timedelta(seconds=4))):
        assert create(cluster, exception(enforced, name, now + lasts, worker), *ALICE) == "created"
    everything = {"kind": "Deployment", "selector": {"matchLabels": {"app": "checkout-worker"}}}
    later = stamp(now + timedelta(hours=3))
    attempts = [
        change(cluster, enforced, "hotfix", {"targets": [everything]}, *BOB),
        change(cluster, enforced, "hotfix", {"maxLevel": "FullFreeze"}, *BOB),
        change(cluster, enforced, "hotfix", {"expiresAt": later}, *BOB),
        change(cluster, enforced, "hotfix", {"expiresAt": stamp(now + timedelta(hours=1))}, *BOB),
    ]
    assert attempts == [
        fixed("targets"),
        fixed("maxLevel"),
        "[budgetwarden] spec.expiresAt: may only move earlier on an existing FreezeException (it"
        f" ends at {stamp(now + timedelta(hours=2))}); got {later}. For more time, create a new"
        " FreezeException.",
        "changed",
    ]
    assert stored(cluster, "freezeexception", "hotfix", enforced)["spec"]["approvedBy"] == "bob"
    time.sleep(max(0.0, (now + timedelta(seconds=5) - datetime.now(UTC)).total_seconds()))
    revived = change(cluster, enforced, "brief", {"expiresAt": later}, *BOB)
    assert TIME.sub("T", revived) == (
        "[budgetwarden] spec.expiresAt: this FreezeException expired at T (now is T) and can no"
        " longer change, only be deleted. Create a new FreezeException if it is still needed."
    )


def test_labelling_a_workload_into_a_selector_exception_does_not_let_it_ship(
    cluster: Cluster, enforced: str, operator: KopfRunner, tmp_path: Path
) -> None:
    roles(cluster, enforced)
    approved, other = (json.loads(json.dumps(deployment(enforced, "worker:1.0"))) for _ in "ab")
    approved["metadata"]["labels"]["hotfix"] = "inc-4711"  # the one the approver means
    other["metadata"] |= {"name": "checkout-worker-eu"}  # frozen by the same policy
    other["spec"]["selector"]["matchLabels"]["site"] = "eu"
    other["spec"]["template"]["metadata"]["labels"]["site"] = "eu"
    for workload in (approved, other):
        cluster.kubectl("create", "-f", "-", input=json.dumps(workload))
    freeze(cluster, enforced, "PartialFreeze", "21.4")
    approved["spec"]["template"]["spec"]["containers"][0]["image"] = "worker:2.0"
    v2 = write(tmp_path, "v2", approved)
    until_denied(cluster, v2)
    selected = {"kind": "Deployment", "selector": {"matchLabels": {"hotfix": "inc-4711"}}}
    expires = datetime.now(UTC) + timedelta(hours=2)
    assert create(cluster, exception(enforced, "by-label", expires, selected), *ALICE) == "created"
    wait_for(
        "the exception to let the labelled worker through",
        lambda: kubectl(cluster, "apply", "--dry-run=server", "-f", str(v2)).returncode == 0,
    )

    as_dev = ("-n", enforced, "--as=dev")
    labelled = kubectl(cluster, "label", "deployment", "checkout-worker-eu", "hotfix=inc-4711",
                       *as_dev)  # fmt: skip
    shipped = kubectl(cluster, "set", "image", "deployment/checkout-worker-eu", "worker=worker:2.0",
                      *as_dev)  # fmt: skip
    assert (labelled.returncode, shipped.returncode) == (0, 1)
    assert denial(enforced, "Deployment", "checkout-worker-eu") in shipped.stderr
    recorded = stored(cluster, "freezeexception", "by-label", enforced)["status"]["covers"]
    assert recorded == [{"kind": "Deployment", "name": "checkout-worker"}]


def test_a_service_account_bound_to_the_approver_role_approves_nothing_by_default(
    cluster: Cluster, enforced: str, operator: KopfRunner
) -> None:
    roles(cluster, enforced)
    account = f"system:serviceaccount:{enforced}:gitops"
    body = exception(enforced, "from-git", datetime.now(UTC) + timedelta(hours=2),
                     {"kind": "Deployment", "name": "checkout-worker"})  # fmt: skip
    assert create(cluster, body, f"--as={account}") == (
        "[budgetwarden] spec.approvedBy: a ServiceAccount cannot approve or change a"
        f' FreezeException; got "{account}". Have a person with the approver role do it (or allow'
        " ServiceAccount approvers with the chart value admission.allowServiceAccountApprovers)."
    )
