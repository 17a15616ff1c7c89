"""`budgetwarden status` and `budgetwarden explain` against a real API server, as subprocesses.

Policies get their status through the status subresource, as the poller writes it; workloads
and FreezeExceptions are created with kubectl. The commands run with KUBECONFIG pointing at the
cluster, exactly as a person runs them, and their whole output is compared.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from admission_cases import workload
from budgetwarden_dev.devenv.cluster import Cluster
from cli_support import on_cluster as budgetwarden
from operator_support import example

pytestmark = pytest.mark.cluster
REASON = "SLO checkout-availability has 21.4% error budget left (partial freeze below 30%)"
RUNBOOK = "https://github.com/budgetwarden/budgetwarden/blob/main/runbooks/freeze.md"


def create(cluster: Cluster, resource: dict[str, Any]) -> None:
    cluster.kubectl("create", "-f", "-", input=json.dumps(resource))


def exception(
    cluster: Cluster, namespace: str, name: str, expires: str, targets: list[dict[str, Any]]
) -> None:
    """A FreezeException an approver (bob) created."""
    create(cluster, {
        "apiVersion": "budgetwarden.io/v1alpha1", "kind": "FreezeException",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"targets": targets, "maxLevel": "PartialFreeze", "reason": "hotfix",
                 "ticket": "INC-4711", "expiresAt": expires, "approvedBy": "bob@example.com"},
    })  # fmt: skip


@pytest.fixture
def frozen(cluster: Cluster, namespace: str) -> str:
    """payments at PartialFreeze holding two workloads, search without status, two exceptions."""
    create(cluster, example("05-policy.yaml", namespace))
    create(cluster, {**example("05-policy.yaml", namespace),
                     "metadata": {"name": "search", "namespace": namespace}})  # fmt: skip
    status = {
        "level": "PartialFreeze",
        "since": "2026-11-29T10:14:00Z",
        "reason": REASON,
        "freezeId": "fz-7c2e",
        "slos": [
            {"name": "checkout-availability", "remainingPercent": "21.4", "level": "PartialFreeze"},
            {"name": "checkout-latency", "remainingPercent": "64.0", "level": "Normal"},
        ],
        "heldTargets": [
            {"kind": "Rollout", "name": "checkout", "pausedByUs": True},
            {"kind": "Deployment", "name": "checkout-worker", "pausedByUs": False},
        ],
    }
    cluster.kubectl(
        "patch", "errorbudgetpolicy", "payments", "-n", namespace, "--subresource=status",
        "--type=merge", "-p", json.dumps({"status": status}),
    )  # fmt: skip
    worker_selector = {
        "kind": "Deployment",
        "selector": {"matchLabels": {"app": "checkout-worker"}},
    }
    exception(cluster, namespace, "checkout-hotfix-4711", "2099-01-01T00:00:00Z",
              [{"kind": "Rollout", "name": "checkout"}, worker_selector])  # fmt: skip
    exception(
        cluster, namespace, "last-year", "2020-01-01T00:00:00Z", [{"kind": "Rollout", "name": "x"}]
    )
    return namespace


def test_status_prints_policies_held_workloads_and_exceptions_in_force(
    cluster: Cluster, frozen: str
) -> None:
    result = budgetwarden(cluster, "status", "-n", frozen)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "POLICIES",
        "NAME      LEVEL          SINCE                 SLO                    BUDGET LEFT  REASON",
        "payments  PartialFreeze  2026-11-29T10:14:00Z  checkout-availability  21.4%        "
        + REASON,
        "search    Unknown        -                     -                      -            -",
        "",
        "HELD WORKLOADS",
        "POLICY    KIND        NAME             PAUSED BY BUDGETWARDEN",
        "payments  Deployment  checkout-worker  no",
        "payments  Rollout     checkout         yes",
        "",
        "ACTIVE EXCEPTIONS",
        "NAME                  TARGETS                                            MAX LEVEL      "
        "EXPIRES               APPROVED BY",
        "checkout-hotfix-4711  Rollout/checkout, Deployment[app=checkout-worker]  PartialFreeze  "
        "2099-01-01T00:00:00Z  bob@example.com",
    ]  # fmt: skip


def test_status_of_all_namespaces_starts_each_row_with_its_namespace(
    cluster: Cluster, frozen: str
) -> None:
    result = budgetwarden(cluster, "status", "-A")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # Other tests' namespaces share the cluster: keep the titles, headers and this namespace.
    shown = [" ".join(line.split()) for line in lines
             if line.startswith((frozen, "NAMESPACE")) or line.isupper()]  # fmt: skip
    assert shown == [
        "POLICIES",
        "NAMESPACE NAME LEVEL SINCE SLO BUDGET LEFT REASON",
        f"{frozen} payments PartialFreeze 2026-11-29T10:14:00Z checkout-availability 21.4%"
        f" {REASON}",
        f"{frozen} search Unknown - - - -",
        "HELD WORKLOADS",
        "NAMESPACE POLICY KIND NAME PAUSED BY BUDGETWARDEN",
        f"{frozen} payments Deployment checkout-worker no",
        f"{frozen} payments Rollout checkout yes",
        "ACTIVE EXCEPTIONS",
        "NAMESPACE NAME TARGETS MAX LEVEL EXPIRES APPROVED BY",
        f"{frozen} checkout-hotfix-4711 Rollout/checkout, Deployment[app=checkout-worker]"
        " PartialFreeze 2099-01-01T00:00:00Z bob@example.com",
    ]


def test_status_of_an_empty_namespace_says_so(cluster: Cluster, namespace: str) -> None:
    result = budgetwarden(cluster, "status", "--namespace", namespace)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "POLICIES",
        f"No ErrorBudgetPolicies in namespace {namespace}.",
        "",
        "HELD WORKLOADS",
        f"No workloads held in namespace {namespace}.",
        "",
        "ACTIVE EXCEPTIONS",
        f"No FreezeExceptions in force in namespace {namespace}.",
    ]


def test_explain_says_why_a_rollout_is_frozen_and_what_a_new_version_gets(
    cluster: Cluster, frozen: str
) -> None:
    paused = {"budgetwarden.io/paused-by": "budgetwarden/payments/fz-7c2e"}
    create(cluster, workload("shop/checkout:1.4.2", namespace=frozen, paused=True,
                             annotations=paused))  # fmt: skip
    result = budgetwarden(cluster, "explain", "rollout/checkout", "-n", frozen)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"Rollout {frozen}/checkout",
        "  labels: app=checkout",
        "  paused: yes, by budgetwarden (budgetwarden.io/paused-by: budgetwarden/payments/fz-7c2e)",
        "",
        "Policies selecting it:",
        "  payments: PartialFreeze since 2026-11-29T10:14:00Z, freeze fz-7c2e, enforcement Enforce",
        "    selects it by: Rollout[app=checkout], held by name in status.heldTargets",
        "    budget: SLO checkout-availability has 21.4% error budget left (below 30%)",
        "  search: Unknown, enforcement Enforce",
        "    selects it by: Rollout[app=checkout]",
        "    budget: no SLO reading in status",
        "",
        "FreezeExceptions naming it:",
        "  checkout-hotfix-4711: in force until 2099-01-01T00:00:00Z, up to PartialFreeze,"
        " ticket INC-4711, approved by bob@example.com",
        "",
        "A new version (a pod template change) now: ALLOWED (AllowedByException)",
        f"  warning: [budgetwarden] PartialFreeze on {frozen}/Rollout/checkout: allowed by"
        " FreezeException checkout-hotfix-4711 (ticket INC-4711, expires 2099-01-01T00:00:00Z)"
        " under policy payments. Freeze fz-7c2e.",
        f"  warning: [budgetwarden] Unknown on {frozen}/Rollout/checkout: policy search has no"
        " error budget level yet; this change was not checked.",
    ]


def test_explain_a_deployment_no_exception_covers(cluster: Cluster, frozen: str) -> None:
    create(cluster, workload("w:1", kind="Deployment", name="checkout-api", namespace=frozen))
    result = budgetwarden(cluster, "explain", "deploy/checkout-api", "-n", frozen)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"Deployment {frozen}/checkout-api",
        "  labels: app=checkout-api",
        "  paused: no",
        "",
        "Policies selecting it:",
        "  none",
        "",
        "FreezeExceptions naming it:",
        "  none",
        "",
        "A new version (a pod template change) now: ALLOWED (NotFrozen)",
    ]


def test_explain_a_workload_that_does_not_exist(cluster: Cluster, namespace: str) -> None:
    result = budgetwarden(cluster, "explain", "rollout/nothing", "-n", namespace)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"budgetwarden explain: Rollout {namespace}/nothing not found\n"
