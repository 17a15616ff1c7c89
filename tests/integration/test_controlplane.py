"""The local control plane behaves like a real cluster where the operator depends on it.

Runs against the session `cluster` (the local etcd + kube-apiserver, or $KUBECONFIG's cluster);
the last tests start control planes of their own to check that stopping leaves nothing behind.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from budgetwarden_dev.devenv.binaries import repo_root
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.controlplane import ControlPlane
from budgetwarden_dev.devenv.crds import crd_names, own_crd_files, stand_in_crd_files
from budgetwarden_dev.devenv.kubeconfig import Kubectl

pytestmark = pytest.mark.cluster

ROLLOUT = """
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: checkout}
spec:
  replicas: 2
  paused: false
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec: {containers: [{name: app, image: checkout:1.0}]}
  strategy: {canary: {steps: [{setWeight: 20}, {pause: {}}]}}
status: {phase: Degraded}
"""


def get_json(cluster: Cluster, *args: str) -> Any:
    """`kubectl get ... -o json`, parsed."""
    return json.loads(cluster.kubectl("get", *args, "--output=json").stdout)


def test_the_apiserver_answers_kubectl_and_the_python_client(cluster: Cluster) -> None:
    assert cluster.kubectl("get", "--raw", "/readyz").stdout == "ok"
    with cluster.api_client() as api:
        items = client.CoreV1Api(api).list_namespace().items
    names = {ns.metadata.name for ns in items if ns.metadata is not None}
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names


@pytest.mark.parametrize(
    "crd",
    [
        pytest.param(name, id=f"{name} is established")
        for name in crd_names([*own_crd_files(repo_root()), *stand_in_crd_files(repo_root())])
    ],
)
def test_every_crd_is_established(cluster: Cluster, crd: str) -> None:
    conditions = get_json(cluster, "customresourcedefinition", crd)["status"]["conditions"]
    assert {c["type"]: c["status"] for c in conditions}["Established"] == "True"


def patch_rollout(cluster: Cluster, namespace: str, body: object, *extra: str) -> None:
    """Merge-patch the `checkout` Rollout."""
    patch = f"--patch={json.dumps(body)}"
    cluster.kubectl("patch", "rollout/checkout", "-n", namespace, "--type=merge", patch, *extra)


def test_a_rollout_status_round_trips_through_the_status_subresource(
    cluster: Cluster, namespace: str
) -> None:
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=ROLLOUT)
    created = get_json(cluster, "rollout", "checkout", "-n", namespace)
    assert "status" not in created  # the main endpoint ignores status
    status = {
        "phase": "Paused",
        "HPAReplicas": 2,
        "selector": "app=checkout",
        "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-01-02T03:04:05Z"}],
    }
    patch_rollout(cluster, namespace, {"status": status}, "--subresource=status")
    patch_rollout(cluster, namespace, {"spec": {"paused": True}})
    updated = get_json(cluster, "rollout", "checkout", "-n", namespace)
    assert (updated["status"], updated["spec"]["paused"], updated["metadata"]["generation"]) == (
        status,
        True,
        2,  # the spec patch counts, the status patch does not
    )


def test_the_rollout_scale_subresource_reads_and_writes_replicas(
    cluster: Cluster, namespace: str
) -> None:
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=ROLLOUT)
    status = {"HPAReplicas": 2, "selector": "app=x"}
    patch_rollout(cluster, namespace, {"status": status}, "--subresource=status")
    cluster.kubectl("scale", "rollout/checkout", "-n", namespace, "--replicas=5")
    path = f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/rollouts/checkout/scale"
    scale = json.loads(cluster.kubectl("get", "--raw", path).stdout)
    assert (scale["spec"], scale["status"]) == (
        {"replicas": 5},
        {"replicas": 2, "selector": "app=x"},
    )


def prometheus_rule(duration: str) -> str:
    """A PrometheusRule whose one alert waits `duration`."""
    return f"""
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {{name: checkout-slo}}
spec:
  groups:
  - name: checkout
    rules:
    - {{alert: CheckoutBudgetBurn, expr: vector(1), for: "{duration}"}}
"""


@pytest.mark.parametrize(
    ("duration", "accepted"),
    [
        pytest.param("5m", True, id="a 5m alert duration is accepted"),
        pytest.param("1h30m", True, id="a compound duration is accepted"),
        pytest.param("5 minutes", False, id="a duration in words is rejected by the schema"),
    ],
)
def test_the_prometheusrule_schema_validates_durations(
    cluster: Cluster, namespace: str, duration: str, accepted: bool
) -> None:
    result = cluster.kubectl(
        "apply", "-n", namespace, "-f", "-", input=prometheus_rule(duration), check=False
    )
    assert (result.returncode == 0, "spec.groups[0].rules[0].for" in result.stderr) == (
        accepted,
        not accepted,
    )


def test_server_side_apply_tracks_field_owners_and_reports_conflicts(
    cluster: Cluster, namespace: str
) -> None:
    def apply(manager: str, value: str, *force: str) -> subprocess.CompletedProcess[str]:
        manifest = json.dumps(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "owned"},
                "data": {"level": value},
            }
        )
        return cluster.kubectl(
            "apply",
            "-n",
            namespace,
            "--server-side",
            f"--field-manager={manager}",
            *force,
            "-f",
            "-",
            input=manifest,
            check=False,
        )

    assert apply("budgetwarden", "ok").returncode == 0
    conflict = apply("someone-else", "frozen")
    assert (conflict.returncode, "conflict" in conflict.stderr.lower()) == (1, True)
    assert apply("someone-else", "frozen", "--force-conflicts").returncode == 0
    got = get_json(cluster, "configmap", "owned", "-n", namespace, "--show-managed-fields")
    owners = [entry["manager"] for entry in got["metadata"]["managedFields"]]
    assert (got["data"], owners) == ({"level": "frozen"}, ["someone-else"])


RO = "rollouts.argoproj.io"
ROLE = """
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: rollout-reader}
rules: [{apiGroups: [argoproj.io], resources: [rollouts], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rollout-reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: rollout-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: reader}]
"""


RBAC_ANSWERS = [
    pytest.param([], "patch", RO, "", "yes", id="the admin may do anything"),
    pytest.param(["--as=someone"], "get", "pods", "", "no", id="a user without rights is denied"),
    pytest.param(
        ["--as=reader"],
        "list",
        RO,
        "ns",
        "yes",
        id="a role binding grants its namespace",
    ),
    pytest.param(
        ["--as=reader"],
        "patch",
        RO,
        "ns",
        "no",
        id="a role binding grants only its verbs",
    ),
    pytest.param(
        ["--as=reader"],
        "list",
        RO,
        "default",
        "no",
        id="a role binding grants nothing elsewhere",
    ),
]


@pytest.mark.parametrize(("who", "verb", "resource", "where", "answer"), RBAC_ANSWERS)
def test_rbac_is_enforced(
    cluster: Cluster,
    namespace: str,
    who: list[str],
    verb: str,
    resource: str,
    where: str,
    answer: str,
) -> None:
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=ROLE)
    scope = {"": ["--all-namespaces"], "ns": ["-n", namespace], "default": ["-n", "default"]}[where]
    result = cluster.kubectl("auth", "can-i", *who, verb, resource, *scope, check=False)
    assert (result.stdout.strip(), result.returncode) == (answer, 0 if answer == "yes" else 1)


def gone(pid: int) -> bool:
    """No process with this pid, or only its zombie left for init to reap."""
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_stopping_a_control_plane_leaves_no_process_and_no_folder(tmp_path: Path) -> None:
    plane = ControlPlane(tmp_path / "plane").start()
    pids = {proc.name: proc.pid for proc in plane.processes}
    assert Kubectl(plane.kubeconfig)("get", "--raw", "/readyz").stdout == "ok"
    plane.stop()
    assert ({name: gone(pid) for name, pid in pids.items()}, (tmp_path / "plane").exists()) == (
        {"etcd": True, "kube-apiserver": True},
        False,
    )


def test_dev_up_runs_detached_and_dev_down_leaves_nothing_behind(tmp_path: Path) -> None:
    state_dir = tmp_path / "dev"
    command = [sys.executable, "-m", "budgetwarden", "dev"]
    up = subprocess.run(
        [*command, "up", "--dir", str(state_dir), "--with-prometheus"],
        capture_output=True,
        text=True,
        check=True,
    )
    exports = dict(line.removeprefix("export ").split("=", 1) for line in up.stdout.splitlines())
    state = json.loads((state_dir / "state.json").read_text())
    pids = {proc["name"]: proc["pid"] for proc in state["processes"]}
    kubectl = Kubectl(Path(exports["KUBECONFIG"]))
    assert kubectl("get", "customresourcedefinition", RO, "-o=name").stdout == (
        "customresourcedefinition.apiextensions.k8s.io/rollouts.argoproj.io\n"
    )
    env = subprocess.run(
        [*command, "env", "--dir", str(state_dir)], capture_output=True, text=True, check=True
    )
    subprocess.run([*command, "down", "--dir", str(state_dir)], check=True)
    assert (sorted(exports), env.stdout, {name: gone(pid) for name, pid in pids.items()}) == (
        ["BUDGETWARDEN_PROMETHEUS_URL", "BUDGETWARDEN_RULES_DIR", "KUBECONFIG"],
        up.stdout,
        {"etcd": True, "kube-apiserver": True, "prometheus": True},
    )
    assert not state_dir.exists()
