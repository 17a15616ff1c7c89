"""The freeze gate on a real API server: `budgetwarden check` for CI, /gate for delivery tools.

The payments policy is at PartialFreeze (status written through the status subresource, as the
poller writes it), holding Rollout checkout and Deployment checkout-worker; a FreezeException
covers the Rollout. `budgetwarden check` runs as a subprocess with the cluster's kubeconfig, as a
pipeline runs it; /gate and /gate/flagger are asked over HTTP of the operator running for the
namespace, as Argo Rollouts' web provider and Flagger ask.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from budgetwarden.runtime import config
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.processes import free_port
from operator_support import example, running_operator, wait_for
from webhook_support import deployment

pytestmark = pytest.mark.cluster
DENIED = "PartialFreeze on {ns}/Deployment/{name}: SLO checkout-availability has 21.4% error"


def budgetwarden(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    return subprocess.run([sys.executable, "-m", "budgetwarden", *args], capture_output=True,
                          text=True, env=env, check=False, timeout=60)  # fmt: skip


@pytest.fixture
def frozen(cluster: Cluster, namespace: str) -> str:
    """payments at PartialFreeze; FreezeException checkout-hotfix covers Rollout checkout."""
    cluster.kubectl("create", "-f", "-", input=json.dumps(example("05-policy.yaml", namespace)))
    cluster.kubectl("create", "-f", "-", input=json.dumps(deployment(namespace, "worker:1.0")))
    status = {
        "level": "PartialFreeze", "since": "2026-11-29T10:14:00Z", "freezeId": "fz-7c2e",
        "reason": "SLO checkout-availability has 21.4% error budget left",
        "slos": [{"name": "checkout-availability", "remainingPercent": "21.4",
                  "level": "PartialFreeze"}],
        "heldTargets": [{"kind": "Rollout", "name": "checkout", "pausedByUs": True},
                        {"kind": "Deployment", "name": "checkout-worker", "pausedByUs": True}],
    }  # fmt: skip
    cluster.kubectl("patch", "errorbudgetpolicy", "payments", "-n", namespace,
                    "--subresource=status", "--type=merge",
                    "-p", json.dumps({"status": status}))  # fmt: skip
    hotfix = {
        "apiVersion": "budgetwarden.io/v1alpha1", "kind": "FreezeException",
        "metadata": {"name": "checkout-hotfix", "namespace": namespace},
        "spec": {"targets": [{"kind": "Rollout", "name": "checkout"}],
                 "maxLevel": "PartialFreeze", "reason": "hotfix", "ticket": "INC-4711",
                 "expiresAt": "2099-01-01T00:00:00Z", "approvedBy": "bob@example.com"},
    }  # fmt: skip
    cluster.kubectl("create", "-f", "-", input=json.dumps(hotfix))
    return namespace


CHECKS = [
    pytest.param(("deployment/checkout-worker",), 3,
                 DENIED.format(ns="{ns}", name="checkout-worker"),
                 id="a held Deployment is frozen: exit 3 and the denial"),
    pytest.param(("rollout/checkout",), 0, "allowed by FreezeException checkout-hotfix",
                 id="an exception lets the Rollout through: exit 0 and its warning"),
    pytest.param(("deployment/search",), 0, "Not frozen: a new version of {ns}/Deployment/search",
                 id="a workload nothing selects: exit 0"),
    pytest.param(("deployment/new-worker", "--label", "app=checkout-worker"), 3,
                 DENIED.format(ns="{ns}", name="new-worker"),
                 id="a workload not yet created is judged by the labels it will have"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "code", "says"), CHECKS)
def test_check_exits_by_the_freeze_with_the_admission_line(
    cluster: Cluster, frozen: str, args: tuple[str, ...], code: int, says: str
) -> None:
    result = budgetwarden(cluster.kubeconfig, "check", "-n", frozen, *args)
    assert (result.returncode, result.stderr) == (code, ""), result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith("[budgetwarden] ") and says.format(ns=frozen) in line, line


def test_check_says_what_is_wrong_in_one_line(cluster: Cluster, tmp_path: Path) -> None:
    usage = budgetwarden(cluster.kubeconfig, "check", "statefulset/db")
    unreachable = tmp_path / "kubeconfig"
    text = cluster.kubeconfig.read_text()
    unreachable.write_text(text.replace("https://127.0.0.1:", "https://127.0.0.1:1"))
    cannot = budgetwarden(unreachable, "check", "-n", "shop", "rollout/checkout")
    assert (usage.returncode, cannot.returncode) == (2, 1)
    assert "must be KIND/NAME" in usage.stderr
    assert cannot.stderr.startswith("budgetwarden check: ") and len(cannot.stderr.splitlines()) == 1


def test_the_gate_endpoints_answer_from_the_operators_state(
    frozen: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv(config.ENV_METRICS_PORT, str(port))
    base = f"http://127.0.0.1:{port}"
    with running_operator(frozen):
        query = {"namespace": frozen, "kind": "Deployment", "name": "checkout-worker"}

        def asked() -> httpx.Response | None:
            try:
                answer = httpx.get(f"{base}/gate", params=query, timeout=5)
            except httpx.HTTPError:
                return None
            return answer if answer.json().get("freezeId") else None  # the policy is watched

        gate = wait_for("the gate to answer from the freeze", asked)
        flagger = httpx.post(f"{base}/gate/flagger", timeout=5,
                             json={"name": "checkout-worker", "namespace": frozen,
                                   "phase": "Progressing"})  # fmt: skip
        open_one = httpx.post(f"{base}/gate/flagger", timeout=5,
                              json={"name": "search", "namespace": frozen})  # fmt: skip
        bad = httpx.get(f"{base}/gate", params={"namespace": frozen, "kind": "Job"}, timeout=5)
    assert (gate.status_code, gate.json()["allowed"], gate.json()["reason"]) == (
        200,
        False,
        "Frozen",
    )
    assert DENIED.format(ns=frozen, name="checkout-worker") in gate.json()["message"]
    assert (flagger.status_code, flagger.json()["freezeId"]) == (403, "fz-7c2e")
    assert (open_one.status_code, open_one.json()["allowed"]) == (200, True)
    assert (bad.status_code, bad.json()) == (400, {"error": "name is required"})
