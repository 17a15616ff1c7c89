"""FreezeExceptions in ValidatingAdmissionPolicy mode, on a real API server: the same limits on
changing someone else's exception as the webhook sets, and no ServiceAccount approvers.

The FreezeException policies of core/freeze/vap_exceptions.py (with the MutatingAdmissionPolicy
that records approvers) are applied once for the module and removed afterwards. People are
played with kubectl impersonation in group system:masters, so RBAC lets everything through and
only the policies decide. CEL has no clock: where the webhook says an expired exception can no
longer change, the policies refuse what such a change could do, moving expiresAt later.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import vap_exception_support
from budgetwarden.core.freeze import vap_exceptions
from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import get

pytestmark = pytest.mark.cluster
DENIED = "denied request: "


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_user(user: str) -> tuple[str, ...]:
    return ("--as", user, "--as-group", "system:masters")


def body(namespace: str, name: str, expires: datetime, **spec: Any) -> str:
    fields = {"targets": [{"kind": "Rollout", "name": "checkout"}], "reason": "INC-4711 fix",
              "ticket": "INC-4711", "expiresAt": stamp(expires), **spec}  # fmt: skip
    metadata = {"name": name, "namespace": namespace}
    kind = {"apiVersion": "budgetwarden.io/v1alpha1", "kind": "FreezeException"}
    return json.dumps({**kind, "metadata": metadata, "spec": fields})


def create(cluster: Cluster, text: str, user: str, *flags: str) -> str:
    result = cluster.kubectl("create", "-f", "-", *as_user(user), *flags, input=text, check=False)
    return "created" if result.returncode == 0 else result.stderr.partition(DENIED)[2].strip()


def change(cluster: Cluster, namespace: str, name: str, spec: dict[str, Any], user: str) -> str:
    result = cluster.kubectl(
        "patch", "freezeexception", name, "-n", namespace, "--type=merge",
        "-p", json.dumps({"spec": spec}), *as_user(user), check=False,
    )  # fmt: skip
    return "changed" if result.returncode == 0 else result.stderr.partition(DENIED)[2].strip()


@pytest.fixture(scope="module")
def policies(cluster: Cluster) -> Iterator[None]:
    """The FreezeException policies in force (a forged approver is refused), removed after."""
    objects = vap_exceptions.approver_recorder()
    objects += vap_exceptions.exception_policies(timedelta(hours=24), recorded=True)
    vap_exception_support.install(cluster, objects)
    yield
    vap_exception_support.remove(cluster, objects)


def test_another_approver_can_only_end_an_exception_sooner_and_is_then_its_approver(
    cluster: Cluster, namespace: str, policies: None
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    for name, lasts in (("hotfix", timedelta(hours=2)), ("brief", timedelta(seconds=4))):
        assert create(cluster, body(namespace, name, now + lasts), "alice") == "created"
    later = stamp(now + timedelta(hours=3))
    everything = {"kind": "Rollout", "selector": {"matchLabels": {"app": "checkout"}}}
    attempts = [
        change(cluster, namespace, "hotfix", {"targets": [everything]}, "bob"),
        change(cluster, namespace, "hotfix", {"maxLevel": "FullFreeze"}, "bob"),
        change(cluster, namespace, "hotfix", {"reason": "something else"}, "bob"),
        change(cluster, namespace, "hotfix", {"expiresAt": later}, "bob"),
        change(cluster, namespace, "hotfix", {"expiresAt": stamp(now + timedelta(hours=1))}, "bob"),
    ]
    fixed = (
        "[budgetwarden] spec.{}: cannot change once the FreezeException exists; only"
        " spec.expiresAt may move earlier, to end it sooner. Create a new FreezeException for"
        " anything else."
    )
    extended = (
        "[budgetwarden] spec.expiresAt: may only move earlier on an existing FreezeException (it"
        " ends at {}); got {}. For more time, create a new FreezeException."
    )
    assert attempts == [
        fixed.format("targets"),
        fixed.format("maxLevel"),
        fixed.format("reason"),
        extended.format(stamp(now + timedelta(hours=2)), later),
        "changed",
    ]
    recorded = get(cluster, "freezeexception", "hotfix", namespace)
    assert recorded is not None and recorded["spec"]["approvedBy"] == "bob"
    time.sleep(max(0.0, (now + timedelta(seconds=5) - datetime.now(UTC)).total_seconds()))
    assert change(cluster, namespace, "brief", {"expiresAt": later}, "bob") == extended.format(
        stamp(now + timedelta(seconds=4)), later
    )


def test_a_service_account_approves_nothing_by_default(
    cluster: Cluster, namespace: str, policies: None
) -> None:
    account = f"system:serviceaccount:{namespace}:gitops"
    assert create(cluster, body(namespace, "from-git", datetime.now(UTC) + timedelta(hours=2)),
                  account) == (
        "[budgetwarden] spec.approvedBy: a ServiceAccount cannot approve or change a"
        f' FreezeException; got "{account}". Have a person with the approver role do it (or allow'
        " ServiceAccount approvers with the chart value admission.allowServiceAccountApprovers)."
    )  # fmt: skip
