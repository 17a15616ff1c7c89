"""The operator in ValidatingAdmissionPolicy mode, end to end on a real API server.

The operator runs in-process (KopfRunner) with BUDGETWARDEN_ADMISSION_MODE=vap and no
Prometheus: the test writes the policy's status through the status subresource, as the poller
would, and the operator's params follow it. The operator's own user is the test's admin, so
people are played by kubectl impersonation (--as alice) to be judged at all.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kopf.testing import KopfRunner

from admission_cases import USER, parked_freeze_policies, workload
from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import example, get, wait_for

pytestmark = pytest.mark.cluster
SINCE = "2026-11-29T10:14:00Z"
# What the operator installs besides the freeze policies, which are parked instead of deleted.
INSTALLED = [
    (kind, name)
    for name in ("budgetwarden-admission-params", "budgetwarden-freezeexceptions",
                 "budgetwarden-policies-in-force")
    for kind in ("validatingadmissionpolicybinding", "validatingadmissionpolicy")
] + [(f"mutatingadmissionpolicy{part}", "budgetwarden-exception-approver")
     for part in ("binding", "")]  # fmt: skip
DEFAULT_RUNBOOK = "https://github.com/budgetwarden/budgetwarden/blob/main/runbooks/freeze.md"


@pytest.fixture
def operator(
    cluster: Cluster, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[KopfRunner]:
    """The operator in VAP mode for `namespace` (opted in); its cluster-wide policies parked or
    removed afterwards."""
    cluster.kubectl("label", "namespace", namespace, "budgetwarden.io/enforce=enabled")
    monkeypatch.setenv("BUDGETWARDEN_ADMISSION_MODE", "vap")
    monkeypatch.setenv("BUDGETWARDEN_METRICS_PORT", "off")
    monkeypatch.delenv("BUDGETWARDEN_PROMETHEUS_URL", raising=False)
    # budgetwarden.handlers alone: importing it registers every mode's start-up.
    args = ["run", "--standalone", "--namespace", namespace, "-m", "budgetwarden.handlers"]
    try:
        with KopfRunner(args, timeout=60) as runner:
            yield runner
        assert runner.exit_code == 0, runner.output
    finally:
        cluster.kubectl("apply", "-f", "-", input=json.dumps(parked_freeze_policies()))
        for kind, name in INSTALLED:
            cluster.kubectl("delete", kind, name, "--ignore-not-found")


def set_status(cluster: Cluster, namespace: str, level: str, remaining: str) -> None:
    """The payments policy's status as the poller would write it."""
    frozen = level in ("PartialFreeze", "FullFreeze")
    status = {
        "level": level,
        "since": SINCE,
        "reason": f"SLO checkout-availability has {remaining}% error budget left",
        "freezeId": "fz-7c2e" if frozen else "",
        "slos": [{"name": "checkout-availability", "remainingPercent": remaining, "level": level}],
        "heldTargets": [{"kind": "Rollout", "name": "checkout", "pausedByUs": False}],
    }
    cluster.kubectl(
        "patch", "errorbudgetpolicy", "payments", "-n", namespace, "--subresource=status",
        "--type=merge", "-p", json.dumps({"status": status}),
    )  # fmt: skip


def params_level(cluster: Cluster, namespace: str) -> str | None:
    """The level the namespace's params hold for its first policy."""
    params = get(cluster, "configmap", "budgetwarden-admission", namespace)
    return None if params is None else params["data"].get("policy.0.level")


def as_alice(
    cluster: Cluster, obj: dict[str, Any], *flags: str
) -> subprocess.CompletedProcess[str]:
    """kubectl replace of `obj` by alice, who may do anything RBAC allows."""
    return cluster.kubectl(
        "replace", "-f", "-", "--as", USER, "--as-group", "system:masters", *flags,
        input=json.dumps(obj), check=False,
    )  # fmt: skip


def answer(result: subprocess.CompletedProcess[str]) -> str:
    """ "allowed", or budgetwarden's denial without the API server's prefix."""
    return "allowed" if result.returncode == 0 else result.stderr.rpartition("request: ")[2].strip()


def settled(cluster: Cluster, obj: dict[str, Any], expected: str) -> None:
    """Dry-run the change until the API server gives `expected` (params arrive a moment late)."""
    answers = []

    def probe() -> bool:
        answers.append(answer(as_alice(cluster, obj, "--dry-run=server")))
        return answers[-1] == expected

    try:
        wait_for(f"the API server to answer {expected[:60]}", probe)
    except AssertionError as error:
        raise AssertionError(f"{error}; it last answered {answers[-1]}") from None


def test_params_follow_the_policy_status_and_exceptions_until_they_expire(
    cluster: Cluster, namespace: str, operator: KopfRunner
) -> None:
    cluster.kubectl("apply", "-f", "-", input=json.dumps(example("05-policy.yaml", namespace)))
    old, new = workload("shop/checkout:1.4.2", namespace=namespace), workload(namespace=namespace)
    cluster.kubectl("create", "-f", "-", input=json.dumps(old))
    set_status(cluster, namespace, "PartialFreeze", "21.4")
    wait_for("the params to hold the freeze",
             lambda: params_level(cluster, namespace) == "PartialFreeze")  # fmt: skip
    denial = (
        f"[budgetwarden] PartialFreeze on {namespace}/Rollout/checkout: SLO checkout-availability"
        " has 21.4% error budget left (below 30%) under policy payments since"
        f" {SINCE}. Blocked: pod template changes (new versions). Still allowed: rollbacks to the"
        " stable version, scaling, resources, pausing, restarts, metadata"
        " changes. To ship a critical fix,"
        " an approver creates a FreezeException (kubectl explain freezeexception; runbook:"
        f" {DEFAULT_RUNBOOK}). Freeze fz-7c2e."
    )
    settled(cluster, new, denial)
    assert answer(as_alice(cluster, new)) == denial

    expires = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)
    hotfix = example("06-freeze-exception.yaml", namespace)
    hotfix["spec"]["expiresAt"] = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    created = cluster.kubectl(
        "create", "-f", "-", "-o", "jsonpath={.spec.approvedBy}", "--as", USER,
        "--as-group", "system:masters", input=json.dumps(hotfix),
    )  # fmt: skip
    assert created.stdout == USER  # recorded by the MutatingAdmissionPolicy
    settled(cluster, new, "allowed")  # until it expires and the operator drops it
    settled(cluster, new, denial)

    set_status(cluster, namespace, "Normal", "63.2")
    settled(cluster, new, "allowed")
    assert answer(as_alice(cluster, new)) == "allowed"
    cluster.kubectl("delete", "errorbudgetpolicy", "payments", "-n", namespace)
    params = ("configmap", "budgetwarden-admission", namespace)
    wait_for("the params to go with the last policy", lambda: get(cluster, *params) is None)
