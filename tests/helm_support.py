"""What the Helm chart tests share: building helm, rendering the chart, the value sets.

helm is built from the Go module proxy by hack/helm/build.sh (cached after the first build).
tests/integration/test_helm_chart.py renders and dry-run applies the chart;
tests/integration/test_helm_rbac.py applies its RBAC and asks the authorizer; `chart_identity`
applies it and hands out a kubeconfig with only the chart's ServiceAccount token.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden_dev.devenv.cluster import Cluster

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "helm" / "budgetwarden"
RELEASE = "bw"
FULLNAME = f"{RELEASE}-budgetwarden"
Render = Callable[..., list[dict[str, Any]]]


def build_helm() -> Path:
    """The helm binary, built once into the cache (a cold build takes a few minutes)."""
    build = subprocess.run(
        ["bash", str(ROOT / "hack" / "helm" / "build.sh")], capture_output=True, text=True
    )
    if build.returncode != 0:
        pytest.fail(f"hack/helm/build.sh failed:\n{build.stderr}", pytrace=False)
    return Path(build.stdout.strip())


def helm_run(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run helm; captured text output."""
    return subprocess.run([str(helm), *args], capture_output=True, text=True, check=False)


def set_args(values: dict[str, str]) -> list[str]:
    """--set-json arguments: each value is JSON, so lists and booleans keep their types."""
    return [arg for key, value in values.items() for arg in ("--set-json", f"{key}={value}")]


def renderer(helm: Path) -> Render:
    """render(namespace, values, *extra) -> the rendered documents; fails with helm's stderr."""

    def rendered(namespace: str, values: dict[str, str], *extra: str) -> list[dict[str, Any]]:
        result = helm_run(
            helm, "template", RELEASE, str(CHART), "--namespace", namespace,
            *set_args(values), *extra,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    return rendered


def kinds(docs: list[dict[str, Any]]) -> list[str]:
    """ "Kind name" of every document, sorted."""
    return sorted(f"{d['kind']} {d['metadata']['name']}" for d in docs)


def find(docs: list[dict[str, Any]], kind: str, name: str = FULLNAME) -> dict[str, Any]:
    """The one document of this kind and name."""
    (doc,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


# value sets the chart supports; each is linted, rendered and dry-run applied
VALUE_SETS = {
    "defaults": {},
    "named namespaces": {"watch.namespaces": '["NS"]'},
    "no admission, no metrics": {"admission.mode": '"none"', "metrics.enabled": "false"},
    "admission by policies": {"admission.mode": '"vap"'},
    "cert-manager": {
        "webhook.certificate.mode": '"certManager"',
        "webhook.certificate.certManager.issuerRef.name": '"selfsigned"',
    },
    "own certificate Secret": {
        "webhook.certificate.mode": '"secret"',
        "webhook.certificate.secret.name": '"my-tls"',
        "webhook.certificate.secret.caBundle": '"Y2E="',
    },
    "alert packs": {
        "alertPacks.resources.enabled": "true",
        "alertPacks.modelQuality.enabled": "true",
        "alertPacks.namespaceSelector": '"namespace!~\\"kube-.*\\""',
    },
    "everything on": {
        "operator.prometheusURL": '"http://prometheus-operated.monitoring.svc:9090"',
        "operator.prometheusTokenSecret.name": '"prometheus-token"',
        "operator.prometheusCA.configMap": '"prometheus-ca"',
        "operator.peering": '"budgetwarden"',
        "operator.runbookBaseURL": '"https://wiki.example.com/sre/{page}"',
        "webhook.failurePolicy": '"Fail"',
        "webhook.breakGlass": "true",
        "metrics.serviceMonitor.enabled": "true",
        "metrics.prometheusRule.enabled": "true",
        "dashboards.enabled": "true",
        "rbac.approver.aggregateToAdmin": "true",
        "rules.labels": '{"release": "kube-prometheus-stack"}',
        "rules.annotations": '{"example.com/owner": "sre"}',
    },
}


def values_for(name: str, namespace: str) -> dict[str, str]:
    """A value set with NS standing for the test's namespace."""
    return {key: value.replace("NS", namespace) for key, value in VALUE_SETS[name].items()}


RBAC_KINDS = ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
Installed = tuple[list[dict[str, Any]], Path]


@pytest.fixture(name="chart_identity")
def chart_identity_fixture(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> Iterator[Callable[[dict[str, str]], Installed]]:
    """install(values) -> (the rendered chart, a kubeconfig with only its ServiceAccount's
    token): the chart's RBAC, watching `namespace`, is applied, and removed at the end."""
    applied: list[str] = []

    def install(values: dict[str, str]) -> Installed:
        values = {
            "watch.namespaces": f'["{namespace}"]',
            "rbac.approver.name": f'"freeze-approver-{namespace[-6:]}"',
        } | values
        docs = renderer(build_helm())(namespace, values)
        text = yaml.safe_dump_all([d for d in docs if d["kind"] in RBAC_KINDS])
        cluster.kubectl("apply", "--server-side", "-f", "-", input=text)
        applied.append(text)
        token = cluster.kubectl("create", "token", FULLNAME, "-n", namespace).stdout.strip()
        admin = yaml.safe_load(cluster.kubeconfig.read_text())
        context = {"cluster": admin["clusters"][0]["name"], "user": "operator"}
        own = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": admin["clusters"][:1],
            "users": [{"name": "operator", "user": {"token": token}}],
            "contexts": [{"name": "operator", "context": context}],
            "current-context": "operator",
        }
        path = tmp_path / "operator.kubeconfig"
        path.write_text(yaml.safe_dump(own))
        return docs, path

    yield install
    for text in applied:
        cluster.kubectl("delete", "--ignore-not-found", "--wait=false", "-f", "-", input=text)
