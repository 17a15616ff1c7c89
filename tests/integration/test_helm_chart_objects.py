"""What the Helm chart renders for each value set, compared whole.

The objects each value set renders, the webhook configurations against the operator's own
rendering, the NetworkPolicy in front of the webhook, the cert-manager wiring, the operator's
alerts and the chart-made certificate.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path

import promql_parser
import pytest

from budgetwarden.core.freeze.webhook_config import ServiceRef, WebhookClient, WebhookOptions
from budgetwarden.core.freeze.webhook_config import configurations as rendered_by_the_operator
from helm_support import FULLNAME, Render, build_helm, find, kinds, renderer, values_for

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="session")
def helm() -> Path:
    """The helm binary (built on first use)."""
    return build_helm()


@pytest.fixture(scope="session")
def render(helm: Path) -> Render:
    """render(namespace, values, *extra) -> the rendered documents."""
    return renderer(helm)


COMMON = [
    f"ClusterRole {FULLNAME}",
    f"ClusterRole {FULLNAME}-cluster",
    f"ClusterRole {FULLNAME}-policy-editor",
    f"ClusterRole {FULLNAME}-slo-editor",
    f"ClusterRole {FULLNAME}-view",
    f"ClusterRoleBinding {FULLNAME}-cluster",
    "ClusterRole budgetwarden-freeze-approver",
    f"Deployment {FULLNAME}",
    f"Role {FULLNAME}-leader-election",
    f"RoleBinding {FULLNAME}-leader-election",
    f"ServiceAccount {FULLNAME}",
]

WEBHOOK = [
    f"MutatingWebhookConfiguration {FULLNAME}",
    f"NetworkPolicy {FULLNAME}",
    f"Service {FULLNAME}",
    f"ValidatingWebhookConfiguration {FULLNAME}",
]

OBJECTS_BY_VALUE_SET = [
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
]  # fmt: skip


@pytest.mark.parametrize(("name", "expected"), OBJECTS_BY_VALUE_SET)
def test_objects_rendered(render: Render, name: str, expected: list[str]) -> None:
    assert kinds(render("shop", values_for(name, "shop"))) == sorted(expected)


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
    assert [hook["name"] for hook in chart["ValidatingWebhookConfiguration"]] == [
        "workloads.budgetwarden.io",
        "freezeexceptions.budgetwarden.io",
        "errorbudgetpolicies.budgetwarden.io",
    ]


ANYWHERE: list[dict[str, object]] = []
API_SERVERS = [{"ipBlock": {"cidr": "10.0.0.0/24"}}]
PROMETHEUS = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]


def ingress(port: int, sources: list[dict[str, object]]) -> dict[str, object]:
    """One ingress rule of the NetworkPolicy: TCP to `port` from `sources` (none: anywhere)."""
    rule: dict[str, object] = {"ports": [{"port": port, "protocol": "TCP"}]}
    return rule | ({"from": sources} if sources else {})


NETWORK_POLICIES = [
    pytest.param(
        {},
        [ingress(9443, ANYWHERE), ingress(8080, ANYWHERE)],
        id="by default the webhook and metrics ports are open to anyone, and no other port",
    ),
    pytest.param(
        {"networkPolicy.webhookFrom": json.dumps(API_SERVERS),
         "networkPolicy.metricsFrom": json.dumps(PROMETHEUS)},
        [ingress(9443, API_SERVERS), ingress(8080, PROMETHEUS)],
        id="the sources of each port are the chart's values",
    ),
    pytest.param(
        {"webhook.port": "8443", "metrics.enabled": "false"},
        [ingress(8443, ANYWHERE)],
        id="without metrics only the webhook port, whichever it is, is open",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("values", "rules"), NETWORK_POLICIES)
def test_the_network_policy_admits_the_webhook_and_metrics_ports_only(
    render: Render, values: dict[str, str], rules: list[dict[str, object]]
) -> None:
    docs = render("shop", values)
    assert find(docs, "NetworkPolicy")["spec"] == {
        "podSelector": find(docs, "Deployment")["spec"]["selector"],
        "policyTypes": ["Ingress"],
        "ingress": rules,
    }


def test_the_network_policy_can_be_turned_off(render: Render) -> None:
    docs = render("shop", {"networkPolicy.enabled": "false"})
    assert [d for d in docs if d["kind"] == "NetworkPolicy"] == []


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


ARGO_API = ("--api-versions", "argoproj.io/v1alpha1/ClusterAnalysisTemplate")
GATE_URL = (
    f"http://{FULLNAME}.shop.svc:8080/gate?namespace={{{{args.namespace}}}}&kind=Rollout"
    "&name={{args.rollout}}"
)


def test_the_freeze_gate_analysis_template_comes_where_argo_rollouts_is_served(
    render: Render,
) -> None:
    served = render("shop", {}, *ARGO_API)
    template = find(served, "ClusterAnalysisTemplate", f"{FULLNAME}-freeze-gate")["spec"]
    (metric,) = template["metrics"]
    assert (metric["provider"]["web"]["url"], metric["provider"]["web"]["jsonPath"]) == (
        GATE_URL,
        "{$.allowed}",
    )
    assert (metric["successCondition"], metric["failureCondition"]) == ("result == true", "false")
    failing = render("shop", {"gates.whenFrozen": '"Failed"'}, *ARGO_API)
    (failed,) = find(failing, "ClusterAnalysisTemplate", f"{FULLNAME}-freeze-gate")["spec"][
        "metrics"
    ]
    assert failed["failureCondition"] == "result == false"
    absent = [render("shop", {}), render("shop", {"gates.analysisTemplate": "false"}, *ARGO_API)]
    assert [[d for d in docs if d["kind"] == "ClusterAnalysisTemplate"] for docs in absent] == [
        [],
        [],
    ]
