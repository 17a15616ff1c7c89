"""The webhook configurations: whole objects, the options that change them, and the CLI."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden.cli import main
from budgetwarden.core.freeze.webhook_config import (
    JUDGED_CHANGE,
    NEW_VERSION_OR_RESUME,
    ServiceRef,
    WebhookClient,
    WebhookOptions,
    configurations,
    mutating_configuration,
    validating_configuration,
    workload_match_conditions,
)
from policy_guard_support import POLICY_ENTRY, SPEC_CHANGE_OR_DELETE

CA = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
CA_B64 = base64.b64encode(CA).decode()
LOCAL = WebhookClient(ca_bundle=CA, url="https://127.0.0.1:9443")
IN_CLUSTER = WebhookClient(ca_bundle=CA, service=ServiceRef("budgetwarden", "budgetwarden-webhook"))
METADATA = {
    "name": "budgetwarden",
    "labels": {
        "app.kubernetes.io/name": "budgetwarden",
        "app.kubernetes.io/part-of": "budgetwarden",
    },
}
NEW_VERSION = (
    "request.operation == 'CREATE'"
    " || has(object.spec.template) != has(oldObject.spec.template)"
    " || (has(object.spec.template) && has(oldObject.spec.template)"
    " && object.spec.template != oldObject.spec.template)"
    " || has(object.spec.workloadRef) != has(oldObject.spec.workloadRef)"
    " || (has(object.spec.workloadRef) && has(oldObject.spec.workloadRef)"
    " && object.spec.workloadRef != oldObject.spec.workloadRef)"
    " || (has(oldObject.spec.paused) && oldObject.spec.paused == true"
    " && !(has(object.spec.paused) && object.spec.paused == true))"
)
ANNOTATIONS, OLD_ANNOTATIONS = "object.metadata.annotations", "oldObject.metadata.annotations"
FREEZE_METADATA = (
    "has(object.metadata.labels) != has(oldObject.metadata.labels)"
    " || (has(object.metadata.labels) && object.metadata.labels != oldObject.metadata.labels)"
    f" || (has({ANNOTATIONS}) && {ANNOTATIONS}.exists(k, k.startsWith('budgetwarden.io/')"
    f" && !(has({OLD_ANNOTATIONS}) && k in {OLD_ANNOTATIONS}"
    f" && {OLD_ANNOTATIONS}[k] == {ANNOTATIONS}[k])))"
    f" || (has({OLD_ANNOTATIONS}) && {OLD_ANNOTATIONS}.exists(k, k.startsWith('budgetwarden.io/')"
    f" && !(has({ANNOTATIONS}) && k in {ANNOTATIONS})))"
)
NEW, OLD = "object.status", "oldObject.status"
PROMOTION = (
    "request.subResource == 'status' && ("
    f"(((has(object.status) && has({NEW}.promoteFull)) && {NEW}.promoteFull == true)"
    f" && !((has(oldObject.status) && has({OLD}.promoteFull)) && {OLD}.promoteFull == true))"
    f" || ((has(oldObject.status) && has({OLD}.pauseConditions))"
    f" && size({OLD}.pauseConditions) > 0"
    f" && !((has(object.status) && has({NEW}.pauseConditions))"
    f" && {NEW}.pauseConditions == {OLD}.pauseConditions))"
    f" || (((has(oldObject.status) && has({OLD}.abort)) && {OLD}.abort == true)"
    f" && !((has(object.status) && has({NEW}.abort)) && {NEW}.abort == true))"
    f" || (has(object.status) && has({NEW}.currentStepIndex))"
    f" != (has(oldObject.status) && has({OLD}.currentStepIndex))"
    f" || ((has(object.status) && has({NEW}.currentStepIndex))"
    f" && (has(oldObject.status) && has({OLD}.currentStepIndex))"
    f" && {NEW}.currentStepIndex != {OLD}.currentStepIndex))"
)
CONDITIONS = [
    {
        "name": "has-spec",
        "expression": "has(object.spec) && (request.operation == 'CREATE' || has(oldObject.spec))",
    },
    {"name": "judged-change", "expression": f"{NEW_VERSION} || {FREEZE_METADATA} || {PROMOTION}"},
]
CONTROLLER = {
    "name": "not-rollouts-controller",
    "expression": "request.subResource != 'status' || !(request.userInfo.username in"
    " ['system:serviceaccount:argo-rollouts:argo-rollouts'])",
}
BREAKGLASS = {
    "name": "no-breakglass",
    "expression": "!authorizer.group('budgetwarden.io').resource('freezeexceptions')"
    ".namespace(request.namespace).check('breakglass').allowed()",
}


def rule(group: str, version: str, resources: list[str]) -> dict[str, Any]:
    """One rules entry for CREATE and UPDATE of namespaced objects."""
    return {
        "apiGroups": [group],
        "apiVersions": [version],
        "resources": resources,
        "operations": ["CREATE", "UPDATE"],
        "scope": "Namespaced",
    }


EXCEPTION_RULES = [rule("budgetwarden.io", "v1alpha1", ["freezeexceptions"])]
LOCAL_VALIDATING = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingWebhookConfiguration",
    "metadata": METADATA,
    "webhooks": [
        {
            "name": "workloads.budgetwarden.io",
            "admissionReviewVersions": ["v1"],
            "clientConfig": {
                "url": "https://127.0.0.1:9443/validate/workloads",
                "caBundle": CA_B64,
            },
            "matchPolicy": "Equivalent",
            "rules": [
                rule("argoproj.io", "v1alpha1", ["rollouts", "rollouts/status"]),
                rule("apps", "v1", ["deployments"]),
            ],
            "namespaceSelector": {"matchLabels": {"budgetwarden.io/enforce": "enabled"}},
            "matchConditions": [*CONDITIONS, CONTROLLER],
            "failurePolicy": "Ignore",
            "sideEffects": "NoneOnDryRun",
            "timeoutSeconds": 5,
        },
        {
            "name": "freezeexceptions.budgetwarden.io",
            "admissionReviewVersions": ["v1"],
            "clientConfig": {
                "url": "https://127.0.0.1:9443/validate/freezeexceptions",
                "caBundle": CA_B64,
            },
            "matchPolicy": "Equivalent",
            "rules": EXCEPTION_RULES,
            "failurePolicy": "Fail",
            "sideEffects": "None",
            "timeoutSeconds": 5,
        },
        {**POLICY_ENTRY, "clientConfig": {**POLICY_ENTRY["clientConfig"], "caBundle": CA_B64}},
    ],
}
LOCAL_MUTATING = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "MutatingWebhookConfiguration",
    "metadata": METADATA,
    "webhooks": [
        {
            "name": "approver.freezeexceptions.budgetwarden.io",
            "admissionReviewVersions": ["v1"],
            "clientConfig": {
                "url": "https://127.0.0.1:9443/mutate/freezeexceptions",
                "caBundle": CA_B64,
            },
            "matchPolicy": "Equivalent",
            "rules": EXCEPTION_RULES,
            "failurePolicy": "Fail",
            "sideEffects": "None",
            "timeoutSeconds": 5,
            "reinvocationPolicy": "Never",
        }
    ],
}


def test_the_local_validating_configuration_is_whole() -> None:
    assert validating_configuration(LOCAL, WebhookOptions()) == LOCAL_VALIDATING


def test_the_local_mutating_configuration_is_whole() -> None:
    assert mutating_configuration(LOCAL, WebhookOptions()) == LOCAL_MUTATING


def test_the_matched_expression_is_the_documented_one() -> None:
    assert NEW_VERSION_OR_RESUME == NEW_VERSION
    assert f"{NEW_VERSION} || {FREEZE_METADATA} || {PROMOTION}" == JUDGED_CHANGE


def test_in_cluster_every_entry_points_at_the_service_with_its_path() -> None:
    configs = configurations(IN_CLUSTER, WebhookOptions())
    client_configs = [hook["clientConfig"] for config in configs for hook in config["webhooks"]]
    service = {"namespace": "budgetwarden", "name": "budgetwarden-webhook", "port": 443}
    assert client_configs == [
        {"service": {**service, "path": "/mutate/freezeexceptions"}, "caBundle": CA_B64},
        {"service": {**service, "path": "/validate/workloads"}, "caBundle": CA_B64},
        {"service": {**service, "path": "/validate/freezeexceptions"}, "caBundle": CA_B64},
        {"service": {**service, "path": "/validate/errorbudgetpolicies"}, "caBundle": CA_B64},
    ]


def test_fail_and_a_timeout_change_the_workload_and_policy_webhooks_only() -> None:
    options = WebhookOptions(failure_policy="Fail", timeout_seconds=3)
    workloads, exceptions, policies = validating_configuration(LOCAL, options)["webhooks"]
    expected_workloads, expected_exceptions, expected_policies = LOCAL_VALIDATING["webhooks"]  # type: ignore[misc]
    assert workloads == {**expected_workloads, "failurePolicy": "Fail", "timeoutSeconds": 3}
    assert exceptions == expected_exceptions
    assert policies == {**expected_policies, "failurePolicy": "Fail", "timeoutSeconds": 3}


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        pytest.param(
            "system:serviceaccount:budgetwarden:budgetwarden",
            "request.userInfo.username != 'system:serviceaccount:budgetwarden:budgetwarden'",
            id="the operator's service account skips the webhook",
        ),
        pytest.param(
            "o'brien",
            "request.userInfo.username != 'o\\'brien'",
            id="a quote in the user name is escaped for CEL",
        ),
    ],
)
def test_the_operator_user_is_excluded_by_a_condition(username: str, expected: str) -> None:
    assert workload_match_conditions(username) == [
        *CONDITIONS,
        {"name": "not-budgetwarden", "expression": expected},
    ]


def test_break_glass_by_rbac_verb_is_a_condition_only_when_asked_for() -> None:
    options = WebhookOptions(breakglass=True, operator_username="system:sa")
    workloads, _, policies = validating_configuration(LOCAL, options)["webhooks"]
    operator = {
        "name": "not-budgetwarden",
        "expression": "request.userInfo.username != 'system:sa'",
    }
    assert workloads["matchConditions"] == [*CONDITIONS, CONTROLLER, BREAKGLASS, operator]
    assert policies["matchConditions"] == [SPEC_CHANGE_OR_DELETE, BREAKGLASS, operator]


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        pytest.param({}, "set exactly one of url or service", id="neither url nor service"),
        pytest.param(
            {"url": "https://a", "service": ServiceRef("a", "b")},
            "set exactly one of url or service",
            id="both url and service",
        ),
        pytest.param(
            {"url": "http://127.0.0.1:9443"},
            'url must start with https://; got "http://127.0.0.1:9443"',
            id="a plain-HTTP url, which the API server refuses",
        ),
    ],
)
def test_a_client_needs_one_https_target(arguments: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError) as error:
        WebhookClient(ca_bundle=CA, **arguments)
    assert str(error.value) == problem


def test_render_prints_both_configurations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ca.crt").write_bytes(CA)
    code = main(
        ["webhook", "render", "--url", "https://127.0.0.1:9443", "--ca", str(tmp_path / "ca.crt")]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert list(yaml.safe_load_all(out)) == [LOCAL_MUTATING, LOCAL_VALIDATING]


def test_render_for_a_service_with_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ca.crt").write_bytes(CA)
    argv = ["webhook", "render", "--service", "bw/webhook:8443", "--ca", str(tmp_path / "ca.crt")]
    flags = ["--failure-policy", "Fail", "--operator-username", "system:sa", "--breakglass"]
    code = main([*argv, *flags])
    documents = list(yaml.safe_load_all(capsys.readouterr().out))
    client = WebhookClient(ca_bundle=CA, service=ServiceRef("bw", "webhook", 8443))
    options = WebhookOptions(failure_policy="Fail", operator_username="system:sa", breakglass=True)
    assert code == 0
    assert documents == configurations(client, options)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["--url", "https://127.0.0.1:9443", "--ca", "missing.crt"],
            "budgetwarden webhook render: [Errno 2] No such file or directory: 'missing.crt'\n",
            id="a CA file that does not exist",
        ),
        pytest.param(
            ["--url", "https://127.0.0.1:9443", "--ca", "not-pem.crt"],
            "budgetwarden webhook render: not-pem.crt holds no PEM certificate\n",
            id="a CA file without a certificate",
        ),
        pytest.param(
            ["--url", "127.0.0.1:9443", "--ca", "ca.crt"],
            'budgetwarden webhook render: url must start with https://; got "127.0.0.1:9443"\n',
            id="a url without a scheme",
        ),
    ],
)
def test_render_refuses_unusable_input(
    argv: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ca.crt").write_bytes(CA)
    (tmp_path / "not-pem.crt").write_text("hello\n")
    assert main(["webhook", "render", *argv]) == 2
    assert capsys.readouterr().err == message


def test_render_refuses_a_malformed_service(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["webhook", "render", "--service", "webhook", "--ca", "ca.crt"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "budgetwarden webhook render: error: argument --service: "
        'must be NAMESPACE/NAME[:PORT]; got "webhook"'
    )
