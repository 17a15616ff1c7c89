"""The operator's container as the Helm chart renders it.

Its command line and environment for each value set, checked against the operator's real
argument parser and the variables it reads; its security context and probes.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from budgetwarden.cli import run as run_command
from budgetwarden.runtime import config as operator_config
from helm_support import FULLNAME, Render, build_helm, find, renderer, values_for

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="session")
def helm() -> Path:
    """The helm binary (built on first use)."""
    return build_helm()


@pytest.fixture(scope="session")
def render(helm: Path) -> Render:
    """render(namespace, values, *extra) -> the rendered documents."""
    return renderer(helm)


def containers(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The rendered Deployment's containers by name."""
    found = find(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    return {container["name"]: container for container in found}


def operator_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The operator container of the rendered Deployment."""
    return containers(docs)["operator"]


BASE_ARGS = [
    "--liveness=http://0.0.0.0:8081/healthz",
    "--scrape-interval=30s",
    "--evaluation-interval=30s",
    "--budget-levels=50,30,10",
    "--poll-interval=30s",
]

LEASE = {"BUDGETWARDEN_LEASE_NAME": FULLNAME}  # one Lease per release
ADMISSION_ENV = {
    "BUDGETWARDEN_OPERATOR_USERNAME": f"system:serviceaccount:shop:{FULLNAME}",
    "BUDGETWARDEN_EXCEPTION_MAX_TTL": "24h",
    "BUDGETWARDEN_ALLOW_SERVICE_ACCOUNT_APPROVERS": "false",
    "BUDGETWARDEN_ROLLOUTS_CONTROLLER_USERS": "system:serviceaccount:argo-rollouts:argo-rollouts",
}
WEBHOOK_ENV = ADMISSION_ENV | LEASE  # the controller: the webhook server is the other container
SERVING_ENV = ADMISSION_ENV | {
    "BUDGETWARDEN_WEBHOOK_ADDRESS": "0.0.0.0:9443",
    "BUDGETWARDEN_WEBHOOK_CERT": "/etc/budgetwarden/webhook/tls.crt",
    "BUDGETWARDEN_WEBHOOK_KEY": "/etc/budgetwarden/webhook/tls.key",
}

COMMAND_LINES = [
    pytest.param(
        "defaults",
        ["run", "--all-namespaces", *BASE_ARGS, "--metrics-port=8080",
         "--admission-mode=webhook", "--role=controller"],
        WEBHOOK_ENV,
        id="defaults: every namespace, liveness on 8081, metrics on 8080, webhook on 9443",
    ),
    pytest.param(
        "everything on",
        ["run", "--all-namespaces", *BASE_ARGS[:4],
         "--runbook-base-url=https://wiki.example.com/sre/{page}",
         "--prometheus-url=http://prometheus-operated.monitoring.svc:9090",
         "--prometheus-token-secret=shop/prometheus-token/token",
         "--prometheus-ca=/etc/budgetwarden/prometheus-ca/ca.crt",
         "--poll-interval=30s", "--metrics-port=8080", "--admission-mode=webhook",
         "--role=controller", "--peering=budgetwarden"],
        WEBHOOK_ENV | {"BUDGETWARDEN_RULE_LABELS": "release=kube-prometheus-stack",
                       "BUDGETWARDEN_RULE_ANNOTATIONS": "example.com/owner=sre"},
        id="Prometheus, its token and CA, the runbook base and peering reach the operator as flags",
    ),
    pytest.param(
        "admission by policies",
        ["run", "--all-namespaces", *BASE_ARGS, "--metrics-port=8080",
         "--admission-mode=vap"],
        {"BUDGETWARDEN_OPERATOR_USERNAME": f"system:serviceaccount:shop:{FULLNAME}",
         "BUDGETWARDEN_EXCEPTION_MAX_TTL": "24h",
         "BUDGETWARDEN_ALLOW_SERVICE_ACCOUNT_APPROVERS": "false",
         "BUDGETWARDEN_ROLLOUTS_CONTROLLER_USERS":
             "system:serviceaccount:argo-rollouts:argo-rollouts",
         "BUDGETWARDEN_LEASE_NAME": FULLNAME, "BUDGETWARDEN_VAP_FAILURE_POLICY": "Ignore"},
        id="VAP mode: no webhook server, the policies' settings instead",
    ),
    pytest.param(
        "no admission, no metrics",
        ["run", "--all-namespaces", *BASE_ARGS, "--metrics-port=off"],
        LEASE,
        id="without admission and metrics the operator is told to serve neither",
    ),
    pytest.param(
        "named namespaces",
        ["run", "--namespace=shop", *BASE_ARGS, "--metrics-port=8080",
         "--admission-mode=webhook", "--role=controller"],
        WEBHOOK_ENV,
        id="named namespaces become --namespace flags",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "args", "env"), COMMAND_LINES)
def test_operator_command_line(
    render: Render, name: str, args: list[str], env: dict[str, str]
) -> None:
    container = operator_container(render("shop", values_for(name, "shop")))
    rendered_env = {item["name"]: item["value"] for item in container.get("env", [])}
    assert (container["args"], rendered_env) == (args, env)


def test_the_webhook_container_serves_admission_only_from_its_own_watches(
    render: Render,
) -> None:
    webhook = containers(render("shop", {"watch.namespaces": '["shop"]'}))["webhook"]
    env = {item["name"]: item["value"] for item in webhook["env"]}
    mounts = {mount["name"]: mount["mountPath"] for mount in webhook["volumeMounts"]}
    assert (webhook["args"], env, mounts) == (
        ["run", "--namespace=shop", "--liveness=http://0.0.0.0:8082/healthz",
         "--metrics-port=8083", "--admission-mode=webhook", "--role=admission"],
        SERVING_ENV,
        {"tmp": "/tmp", "webhook-tls": "/etc/budgetwarden/webhook"},
    )  # fmt: skip
    assert webhook["resources"]["limits"] == {"memory": "384Mi"}
    strict = containers(render("shop", {"webhook.clientCA.configMap": '"apiserver-ca"'}))
    strict_env = {item["name"]: item["value"] for item in strict["webhook"]["env"]}
    strict_mounts = {m["name"]: m["mountPath"] for m in strict["webhook"]["volumeMounts"]}
    assert (strict_env["BUDGETWARDEN_WEBHOOK_CLIENT_CA"], strict_mounts["webhook-client-ca"]) == (
        "/etc/budgetwarden/client-ca/ca.crt",
        "/etc/budgetwarden/client-ca",
    )
    assert "webhook" not in containers(render("shop", {"admission.mode": '"vap"'}))


@pytest.mark.parametrize("name", ["operator", "webhook"])
def test_the_operator_accepts_every_flag_and_variable_the_chart_sets(
    render: Render, name: str
) -> None:
    values = {**values_for("everything on", "shop"), "watch.namespaces": '["a", "b"]'}
    container = containers(render("shop", values))[name]
    parser = argparse.ArgumentParser()
    run_command.register(parser)
    parsed = parser.parse_args(container["args"][1:])  # an unknown flag exits here
    assert parsed.runbook_base_url == "https://wiki.example.com/sre/{page}"  # both containers link
    read = {
        value for module in (operator_config,)
        for key, value in vars(module).items() if key.startswith("ENV_")
    }  # fmt: skip
    env = {item["name"]: item["value"] for item in container["env"]}
    assert (parsed.namespaces, set(env) - read) == (["a", "b"], set())
    loaded = operator_config.OperatorConfig.load(env, role=parsed.role)  # loads, or raises
    assert loaded.serves_webhook is (name == "webhook")


def test_the_pod_runs_unprivileged_with_a_read_only_root(render: Render) -> None:
    docs = render("shop", {})
    pod = find(docs, "Deployment")["spec"]["template"]["spec"]
    container = operator_container(docs)
    assert containers(docs)["webhook"]["securityContext"] == container["securityContext"]
    assert (pod["securityContext"], container["securityContext"]) == (
        {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532, "fsGroup": 65532,
         "seccompProfile": {"type": "RuntimeDefault"}},
        {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
         "capabilities": {"drop": ["ALL"]}},
    )  # fmt: skip


def test_probes_call_kopf_liveness_and_the_operator_readiness(render: Render) -> None:
    both = containers(render("shop", {}))

    def probes(container: dict[str, Any]) -> tuple[dict[str, Any], ...]:
        return (container["livenessProbe"]["httpGet"], container["readinessProbe"]["httpGet"])

    def ports(container: dict[str, Any]) -> dict[str, int]:
        return {port["name"]: port["containerPort"] for port in container["ports"]}

    without_metrics = operator_container(render("shop", {"metrics.enabled": "false"}))
    assert (probes(both["operator"]), ports(both["operator"])) == (
        ({"path": "/healthz", "port": "health"}, {"path": "/readyz", "port": "metrics"}),
        {"health": 8081, "metrics": 8080},
    )
    assert (probes(both["webhook"]), ports(both["webhook"])) == (
        ({"path": "/healthz", "port": "webhook-health"},
         {"path": "/readyz", "port": "webhook-ready"}),
        {"webhook": 9443, "webhook-health": 8082, "webhook-ready": 8083},
    )  # fmt: skip
    assert "readinessProbe" not in without_metrics


def test_replicas_roll_one_at_a_time_and_keep_one_pod_through_disruptions(
    render: Render,
) -> None:
    one, three = render("shop", {}), render("shop", {"replicaCount": "3"})
    deployment = find(three, "Deployment")["spec"]
    budget = find(three, "PodDisruptionBudget")["spec"]
    assert (deployment["replicas"], deployment["strategy"], budget["minAvailable"]) == (
        3, {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}, 1,
    )  # fmt: skip
    assert budget["selector"] == deployment["selector"]
    assert [d for d in one if d["kind"] == "PodDisruptionBudget"] == []
