"""The Helm chart: lint, render with several value sets, apply the result to a real API server.

The rendered manifests are applied with `--dry-run=server`, so the API server validates every
object against its real schema (our CRDs come from the `cluster` fixture; ServiceMonitor and
cert-manager's Certificate from stand-ins in hack/helm/crds/). What each value set renders is
compared whole, the webhook configurations against the operator's own rendering, and the
command line against the operator's real argument parser. RBAC: test_helm_rbac.py.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from budgetwarden.cli import run as run_command
from budgetwarden.core.freeze.webhook_config import ServiceRef, WebhookClient, WebhookOptions
from budgetwarden.core.freeze.webhook_config import configurations as rendered_by_the_operator
from budgetwarden.devenv.cluster import Cluster
from budgetwarden.devenv.crds import crd_names
from budgetwarden.handlers import poller_startup, webhook
from helm_support import (
    CHART,
    FULLNAME,
    RELEASE,
    ROOT,
    VALUE_SETS,
    Render,
    build_helm,
    find,
    helm_run,
    kinds,
    renderer,
    set_args,
    values_for,
)

pytestmark = pytest.mark.cluster

STAND_INS = sorted((ROOT / "hack" / "helm" / "crds").glob("*.yaml"))


@pytest.fixture(scope="session")
def helm() -> Path:
    """The helm binary (built on first use)."""
    return build_helm()


@pytest.fixture(scope="session")
def render(helm: Path) -> Render:
    """render(namespace, values, *extra) -> the rendered documents."""
    return renderer(helm)


@pytest.fixture(scope="session")
def stand_in_crds(cluster: Cluster) -> None:
    """ServiceMonitor and Certificate CRDs, created only where the real ones are absent."""
    for name, path in zip(crd_names(STAND_INS), STAND_INS, strict=True):
        found = cluster.kubectl("get", "crd", name, "--ignore-not-found", "-o", "name").stdout
        if not found.strip():
            cluster.kubectl("create", "-f", str(path))
        cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", f"crd/{name}")


# --- lint and values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", [pytest.param(name, id=f"helm lint --strict passes with {name}") for name in VALUE_SETS]
)
def test_lint(helm: Path, name: str) -> None:
    result = helm_run(helm, "lint", "--strict", str(CHART), *set_args(values_for(name, "shop")))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param(
            {"webhook.failurePolicy": '"Sometimes"'},
            "at '/webhook/failurePolicy': value must be one of 'Ignore', 'Fail'",
            id="a failure policy other than Ignore or Fail is refused",
        ),
        pytest.param(
            {"webhook.timeoutSeconds": "60"},
            "at '/webhook/timeoutSeconds': maximum: got 60, want 30",
            id="a webhook timeout above the API server's 30 seconds is refused",
        ),
        pytest.param(
            {"watch.namespaces": '["team-*"]'},
            "at '/watch/namespaces/0': 'team-*' does not match pattern",
            id="a namespace glob is refused because RBAC cannot grant by pattern",
        ),
        pytest.param(
            {"operator.pollInterval": '"30"'},
            "at '/operator/pollInterval': '30' does not match pattern",
            id="a poll interval without a unit is refused",
        ),
        pytest.param(
            {"webhok": "{}"},
            "additional properties 'webhok' not allowed",
            id="a misspelt top-level key is refused",
        ),
        pytest.param(
            {"webhook.certificate.mode": '"secret"', "webhook.certificate.secret.name": '"tls"'},
            "webhook.certificate.secret.caBundle (base64 PEM of the CA) is required",
            id="secret mode without the CA bundle says which value is missing",
        ),
        pytest.param(
            {"webhook.certificate.mode": '"certManager"'},
            "webhook.certificate.certManager.issuerRef.name is required",
            id="cert-manager mode without an issuer says which value is missing",
        ),
    ],
)
def test_bad_values_are_refused(helm: Path, values: dict[str, str], message: str) -> None:
    result = helm_run(helm, "template", RELEASE, str(CHART), *set_args(values))
    assert (result.returncode, message in result.stderr) == (1, True), result.stderr


# --- what is rendered --------------------------------------------------------------------------

COMMON = [
    f"ClusterRole {FULLNAME}",
    f"ClusterRole {FULLNAME}-cluster",
    f"ClusterRole {FULLNAME}-policy-editor",
    f"ClusterRole {FULLNAME}-slo-editor",
    f"ClusterRole {FULLNAME}-view",
    f"ClusterRoleBinding {FULLNAME}-cluster",
    "ClusterRole budgetwarden-freeze-approver",
    f"Deployment {FULLNAME}",
    f"ServiceAccount {FULLNAME}",
]
WEBHOOK = [
    f"MutatingWebhookConfiguration {FULLNAME}",
    f"Service {FULLNAME}",
    f"ValidatingWebhookConfiguration {FULLNAME}",
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "defaults",
            [*COMMON, *WEBHOOK, f"ClusterRoleBinding {FULLNAME}", f"Secret {FULLNAME}-webhook-tls"],
            id="defaults: cluster-wide operator, webhook with a chart-made certificate",
        ),
        pytest.param(
            "named namespaces",
            [*COMMON, *WEBHOOK, f"RoleBinding {FULLNAME}", f"Secret {FULLNAME}-webhook-tls"],
            id="named namespaces: a RoleBinding per namespace instead of a ClusterRoleBinding",
        ),
        pytest.param(
            "no admission, no metrics",
            [*COMMON, f"ClusterRoleBinding {FULLNAME}"],
            id="without admission and metrics there is no Service and no webhook configuration",
        ),
        pytest.param(
            "admission by policies",
            [*COMMON, f"ClusterRoleBinding {FULLNAME}", f"Service {FULLNAME}"],
            id="VAP mode has no webhook configuration, certificate or webhook port",
        ),
        pytest.param(
            "cert-manager",
            [*COMMON, *WEBHOOK, f"Certificate {FULLNAME}-webhook",
             f"ClusterRoleBinding {FULLNAME}"],
            id="cert-manager mode asks cert-manager for the certificate instead of a Secret",
        ),
        pytest.param(
            "own certificate Secret",
            [*COMMON, *WEBHOOK, f"ClusterRoleBinding {FULLNAME}"],
            id="with an own Secret the chart renders no certificate at all",
        ),
        pytest.param(
            "everything on",
            [
                *COMMON, *WEBHOOK,
                "ClusterRole budgetwarden-break-glass",
                f"ClusterRoleBinding {FULLNAME}",
                f"ConfigMap {FULLNAME}-dashboards",
                f"PrometheusRule {FULLNAME}",
                f"Role {FULLNAME}-prometheus-token",
                f"RoleBinding {FULLNAME}-prometheus-token",
                f"Secret {FULLNAME}-webhook-tls",
                f"ServiceMonitor {FULLNAME}",
            ],
            id="everything on: monitoring objects and the token Role join in",
        ),
    ],
)  # fmt: skip
def test_objects_rendered(render: Render, name: str, expected: list[str]) -> None:
    assert kinds(render("shop", values_for(name, "shop"))) == sorted(expected)


def operator_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The operator container of the rendered Deployment."""
    (container,) = find(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    return container


BASE_ARGS = [
    "--liveness=http://0.0.0.0:8081/healthz",
    "--scrape-interval=30s",
    "--evaluation-interval=30s",
    "--budget-levels=50,30,10",
    "--poll-interval=30s",
]
WEBHOOK_ENV = {
    "BUDGETWARDEN_OPERATOR_USERNAME": f"system:serviceaccount:shop:{FULLNAME}",
    "BUDGETWARDEN_EXCEPTION_MAX_TTL": "24h",
    "BUDGETWARDEN_WEBHOOK_ADDRESS": "0.0.0.0:9443",
    "BUDGETWARDEN_WEBHOOK_CERT": "/etc/budgetwarden/webhook/tls.crt",
    "BUDGETWARDEN_WEBHOOK_KEY": "/etc/budgetwarden/webhook/tls.key",
}


@pytest.mark.parametrize(
    ("name", "args", "env"),
    [
        pytest.param(
            "defaults",
            ["run", "--all-namespaces", *BASE_ARGS, "--metrics-port=8080",
             "--admission-mode=webhook"],
            WEBHOOK_ENV,
            id="defaults: every namespace, liveness on 8081, metrics on 8080, webhook on 9443",
        ),
        pytest.param(
            "everything on",
            ["run", "--all-namespaces", *BASE_ARGS[:4],
             "--prometheus-url=http://prometheus-operated.monitoring.svc:9090",
             "--prometheus-token-secret=shop/prometheus-token/token",
             "--prometheus-ca=/etc/budgetwarden/prometheus-ca/ca.crt",
             "--poll-interval=30s", "--metrics-port=8080", "--admission-mode=webhook",
             "--peering=budgetwarden"],
            WEBHOOK_ENV,
            id="Prometheus, its token and CA, and peering reach the operator as flags",
        ),
        pytest.param(
            "admission by policies",
            ["run", "--all-namespaces", *BASE_ARGS, "--metrics-port=8080",
             "--admission-mode=vap"],
            {"BUDGETWARDEN_OPERATOR_USERNAME": f"system:serviceaccount:shop:{FULLNAME}",
             "BUDGETWARDEN_EXCEPTION_MAX_TTL": "24h",
             "BUDGETWARDEN_VAP_FAILURE_POLICY": "Ignore"},
            id="VAP mode: no webhook server, the policies' settings instead",
        ),
        pytest.param(
            "no admission, no metrics",
            ["run", "--all-namespaces", *BASE_ARGS, "--metrics-port=off"],
            {},
            id="without admission and metrics the operator is told to serve neither",
        ),
        pytest.param(
            "named namespaces",
            ["run", "--namespace=shop", *BASE_ARGS, "--metrics-port=8080",
             "--admission-mode=webhook"],
            WEBHOOK_ENV,
            id="named namespaces become --namespace flags",
        ),
    ],
)  # fmt: skip
def test_operator_command_line(
    render: Render, name: str, args: list[str], env: dict[str, str]
) -> None:
    container = operator_container(render("shop", values_for(name, "shop")))
    rendered_env = {item["name"]: item["value"] for item in container.get("env", [])}
    assert (container["args"], rendered_env) == (args, env)


def test_the_operator_accepts_every_flag_and_variable_the_chart_sets(render: Render) -> None:
    values = {**values_for("everything on", "shop"), "watch.namespaces": '["a", "b"]'}
    docs = render("shop", values)
    container = operator_container(docs)
    parser = argparse.ArgumentParser()
    run_command.register(parser)
    parsed = parser.parse_args(container["args"][1:])  # an unknown flag exits here
    read = {
        value for module in (poller_startup, webhook)
        for key, value in vars(module).items() if key.startswith("ENV_")
    }  # fmt: skip
    assert (parsed.namespaces, {item["name"] for item in container["env"]} - read) == (
        ["a", "b"],
        set(),
    )


def test_the_pod_runs_unprivileged_with_a_read_only_root(render: Render) -> None:
    docs = render("shop", {})
    pod = find(docs, "Deployment")["spec"]["template"]["spec"]
    container = operator_container(docs)
    assert (pod["securityContext"], container["securityContext"]) == (
        {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532, "fsGroup": 65532,
         "seccompProfile": {"type": "RuntimeDefault"}},
        {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
         "capabilities": {"drop": ["ALL"]}},
    )  # fmt: skip


def test_probes_call_kopf_liveness_and_the_webhook_server(render: Render) -> None:
    container = operator_container(render("shop", {}))
    probes = (container["livenessProbe"]["httpGet"], container["readinessProbe"]["httpGet"])
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert (probes, ports) == (
        ({"path": "/healthz", "port": "health"},
         {"path": "/healthz", "port": "webhook", "scheme": "HTTPS"}),
        {"health": 8081, "metrics": 8080, "webhook": 9443},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("values", "options"),
    [
        pytest.param({}, WebhookOptions(), id="defaults match `budgetwarden webhook render`"),
        pytest.param(
            {"webhook.failurePolicy": '"Fail"', "webhook.timeoutSeconds": "10"},
            WebhookOptions(failure_policy="Fail", timeout_seconds=10),
            id="Fail and a longer timeout match the operator's rendering with the same options",
        ),
        pytest.param(
            {"webhook.breakGlass": "true"},
            WebhookOptions(breakglass=True),
            id="break glass adds the same authorizer condition the operator renders",
        ),
    ],
)
def test_webhooks_are_the_ones_the_operator_renders(
    render: Render, values: dict[str, str], options: WebhookOptions
) -> None:
    docs = render("shop", values)
    ca = base64.b64decode(find(docs, "Secret", f"{FULLNAME}-webhook-tls")["data"]["ca.crt"])
    client = WebhookClient(ca_bundle=ca, service=ServiceRef("shop", FULLNAME))
    username = f"system:serviceaccount:shop:{FULLNAME}"
    options = dataclasses.replace(options, operator_username=username)
    ours = {doc["kind"]: doc["webhooks"] for doc in rendered_by_the_operator(client, options)}
    chart = {kind: find(docs, kind)["webhooks"] for kind in ours}
    assert chart == ours


def test_cert_manager_injects_the_ca_of_the_certificate_it_issues(render: Render) -> None:
    docs = render("shop", values_for("cert-manager", "shop"))
    certificate = find(docs, "Certificate", f"{FULLNAME}-webhook")
    annotations = [
        find(docs, kind)["metadata"]["annotations"]
        for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
    ]
    assert (certificate["spec"]["dnsNames"], annotations) == (
        [f"{FULLNAME}.shop.svc", f"{FULLNAME}.shop.svc.cluster.local"],
        [{"cert-manager.io/inject-ca-from": f"shop/{FULLNAME}-webhook"}] * 2,
    )


def test_operator_alerts_parse_and_carry_runbooks(render: Render) -> None:
    values = values_for("everything on", "shop")
    (group,) = find(render("shop", values), "PrometheusRule")["spec"]["groups"]
    for rule in group["rules"]:
        promql_parser.parse(rule["expr"])  # raises on a syntax error
    described = {
        rule["alert"]: (rule["labels"]["severity"], "runbook_url" in rule["annotations"])
        for rule in group["rules"]
    }
    assert described == {
        "BudgetwardenOperatorDown": ("critical", True),
        "BudgetwardenPollsStopped": ("critical", True),
        "BudgetwardenPollsFailing": ("warning", True),
        "BudgetwardenPollsSlow": ("warning", True),
        "BudgetwardenNotificationsFailing": ("warning", True),
    }


def test_the_chart_certificate_names_the_service(render: Render) -> None:
    from cryptography import x509

    secret = find(render("shop", {}), "Secret", f"{FULLNAME}-webhook-tls")
    cert = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"]))
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == [
        FULLNAME, f"{FULLNAME}.shop", f"{FULLNAME}.shop.svc", f"{FULLNAME}.shop.svc.cluster.local"
    ]  # fmt: skip


# --- on the real API server --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [pytest.param(name, id=f"the API server accepts everything rendered with {name}")
     for name in VALUE_SETS],
)  # fmt: skip
def test_server_side_dry_run(
    cluster: Cluster, stand_in_crds: None, render: Render, namespace: str, name: str
) -> None:
    docs = render(namespace, values_for(name, namespace), "--include-crds")
    result = cluster.kubectl(
        "apply", "--server-side", "--force-conflicts", "--dry-run=server",
        "-f", "-", input=yaml.safe_dump_all(docs),
    )  # fmt: skip
    applied = sorted(line.split(" serverside-applied")[0] for line in result.stdout.splitlines())
    assert len(applied) == len(docs), result.stdout


def test_helm_crds_are_the_repository_crds() -> None:
    ours = {p.name: p.read_text() for p in sorted((ROOT / "crds").glob("*.yaml"))}
    chart = {p.name: p.read_text() for p in sorted((CHART / "crds").glob("*.yaml"))}
    assert chart == ours
