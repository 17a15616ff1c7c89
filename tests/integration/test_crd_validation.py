"""The real API server refuses malformed resources at `kubectl apply`, with our messages.

The CRDs' OpenAPI patterns and CEL rules are the first line of the bad-input promise: a mistake is
refused before the operator sees it, with the field path and a sentence saying what is allowed.
Installing the CRDs (the `cluster` fixture does) compiles every CEL rule and checks its cost;
these tests then run each rule against real requests with `--dry-run=server`.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from budgetwarden_dev.devenv.cluster import Cluster
from crd_validation_support import (
    DROP,
    EMAIL,
    EXAMPLES,
    EXCEPTION,
    PAGERDUTY,
    POLICY,
    SLO,
    SMTP_LOGIN,
    WEBHOOK,
    apply,
    changed,
)

pytestmark = pytest.mark.cluster


def pair(long: str, short: str, factor: str = "14.4") -> list[dict[str, str]]:
    return [{"tier": "page", "longWindow": long, "shortWindow": short, "factor": factor}]


ORDER = "thresholds must be ordered: 100 >= warningBelow > partialFreezeBelow > fullFreezeBelow"
WINDOWS = "shortWindow must be shorter than longWindow"

# fmt: off
CASES = [
    pytest.param(changed(SLO, "spec.objective", "100"),
                 'spec.objective: Invalid value: "100": '
                 "must be below 100 (a 100% objective leaves no error budget)",
                 id="a 100% objective"),
    pytest.param(changed(SLO, "spec.objective", "0.999"),
                 'spec.objective: Invalid value: "0.999": '
                 'is a percent, not a fraction; got "0.999", did you mean "99.9"?',
                 id="a fraction where a percent was meant suggests the percent"),
    pytest.param(changed(SLO, "spec.objective", "0.0095"),
                 'spec.objective: Invalid value: "0.0095": '
                 'is a percent, not a fraction; got "0.0095", did you mean "0.95"?',
                 id="the suggested percent drops the leading zero"),
    pytest.param(changed(SLO, "spec.objective", "99.9%"),
                 'spec.objective: Invalid value: "99.9%": '
                 "spec.objective in body should match '^[0-9]{1,3}(\\.[0-9]{1,6})?$'",
                 id="a percent sign in the objective"),
    pytest.param(changed(SLO, "spec.objective", 99.9),
                 'spec.objective: Invalid value: "number": '
                 'spec.objective in body must be of type string: "number"',
                 id="an unquoted YAML float objective"),
    pytest.param(changed(SLO, "spec.owner", "payments"), 'unknown field "spec.owner"',
                 id="an unknown field"),
    pytest.param(changed(SLO, "spec.window", "5x"),
                 'spec.window: Invalid value: "5x": '
                 "spec.window in body should match '^([0-9]+(ms|s|m|h|d|w))+$'",
                 id="a window in an unknown unit"),
    pytest.param(changed(SLO, "spec.window", "0d"),
                 'spec.window: Invalid value: "0d": must be between 1h and 90d',
                 id="a zero window"),
    pytest.param(changed(SLO, "spec.window", "2160h1s"),
                 'spec.window: Invalid value: "2160h1s": must be between 1h and 90d',
                 id="a window a second longer than 90 days"),
    pytest.param(changed(SLO, "spec.indicator.availability", {"up": "up"}),
                 "spec.indicator: Invalid value: set exactly one of ratio, latency or availability",
                 id="two indicator kinds"),
    pytest.param(changed(SLO, "spec.indicator.ratio.good", "sum(rate(ok[{{.window}}]))"),
                 "spec.indicator.ratio: Invalid value: set exactly one of errors or good",
                 id="both errors and good"),
    pytest.param(changed(SLO, "spec.indicator", {"latency": {"histogram": "h_bucket"}}),
                 "spec.indicator.latency.threshold: Required value",
                 id="a latency indicator without a threshold"),
    pytest.param(changed(SLO, "spec.alerting", {"burnRateWindows": pair("1h", "60m")}),
                 f"spec.alerting.burnRateWindows[0].shortWindow: Invalid value: {WINDOWS}",
                 id="60m is not shorter than 1h"),
    pytest.param(changed(SLO, "spec.alerting", {"burnRateWindows": pair("1d", "1w")}),
                 f"spec.alerting.burnRateWindows[0].shortWindow: Invalid value: {WINDOWS}",
                 id="a week is not shorter than a day"),
    pytest.param(changed(SLO, "spec.alerting", {"burnRateWindows": pair("6h", "30m", "0")}),
                 'spec.alerting.burnRateWindows[0].factor: Invalid value: "0": '
                 "must be greater than 0",
                 id="a burn factor of zero"),
    pytest.param(changed(SLO, "spec.alerting", {"labels": {"team-name": "payments"}}),
                 "spec.alerting.labels: Invalid value: keys must be Prometheus label names",
                 id="an alert label that is not a Prometheus label name"),
    pytest.param(changed(SLO, "spec.alerting", {"page": {"labels": {"priority": "urgent"}}}),
                 "spec.alerting.page.labels: Invalid value: priority must be one of P0, P1, P2, "
                 "P3 (Alertmanager routes on it)",
                 id="a priority Alertmanager has no route for"),
    pytest.param(changed(SLO, "spec.alerting", {"errorRate": {"threshold": "100"}}),
                 'spec.alerting.errorRate.threshold: Invalid value: "100": '
                 "must be above 0 and below 100 (a percent of events)",
                 id="an error-rate threshold of 100% can never fire"),
    pytest.param(changed(SLO, "spec.alerting", {"errorRate": {"for": "2m"}}),
                 "spec.alerting.errorRate.threshold: Required value",
                 id="an error-rate page without a threshold"),
    pytest.param(changed(SLO, "spec.alerting", {"serviceDown": {"for": "1h1m"}}),
                 'spec.alerting.serviceDown.for: Invalid value: "1h1m": must be at most 1h',
                 id="a service-down page that waits longer than an hour"),
    pytest.param(changed(SLO, "spec.prometheusRule",
                         {"labels": {"app.kubernetes.io/managed-by": "helm"}}),
                 'spec.prometheusRule.labels: Invalid value: key '
                 '"app.kubernetes.io/managed-by" is set by budgetwarden and cannot be replaced',
                 id="a rule label budgetwarden manages"),
    pytest.param(changed(SLO, "spec.prometheusRule",
                         {"annotations": {"budgetwarden.io/generated-from": "me"}}),
                 'spec.prometheusRule.annotations: Invalid value: key '
                 '"budgetwarden.io/generated-from" is set by budgetwarden and cannot be replaced',
                 id="a rule annotation under budgetwarden.io/"),
    pytest.param(changed(SLO, "spec.prometheusRule", {"labels": {"-release": "kps"}}),
                 "spec.prometheusRule.labels: Invalid value: keys must be label keys "
                 "such as release or example.com/tier",
                 id="a rule label key that is no label key"),
    pytest.param(changed(SLO, "spec.prometheusRule", {"labels": {"release": "kube prometheus"}}),
                 'spec.prometheusRule.labels.release: Invalid value: "kube prometheus": '
                 "spec.prometheusRule.labels.release in body should match",
                 id="a rule label value with a space"),
    pytest.param(changed(SLO, "spec.alerting", {"copyLabels": ["team!"]}),
                 'spec.alerting.copyLabels[0]: Invalid value: "team!": '
                 "spec.alerting.copyLabels[0] in body should match",
                 id="a copied label key no label can have"),
    pytest.param(changed(SLO, "spec.alerting", {"copyLabels": ["team", "team"]}),
                 'spec.alerting.copyLabels[1]: Duplicate value: "team"',
                 id="a label copied twice"),
    pytest.param(changed(SLO, "spec.alerting", {"budgetLow": {"disabled": "yes"}}),
                 'spec.alerting.budgetLow.disabled: Invalid value: "string": '
                 'spec.alerting.budgetLow.disabled in body must be of type boolean: "string"',
                 id="a budget-low switch that is no boolean"),
    pytest.param(changed(SLO, "spec.alerting", {"metricsAbsent": {"off": True}}),
                 'unknown field "spec.alerting.metricsAbsent.off"',
                 id="an unknown field of the absent-data switch"),
    pytest.param(changed(SLO, "metadata.name", "checkout.availability"),
                 'metadata.name: Invalid value: "checkout.availability": '
                 "metadata.name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'",
                 id="an SLO name with a dot"),
    pytest.param(changed(POLICY, "spec.levels", {"warningBelow": "30"}),
                 f"spec.levels: Invalid value: {ORDER}; got 30 > 30 > 10",
                 id="a warning threshold equal to the partial-freeze default"),
    pytest.param(changed(POLICY, "spec.enforcement", "Block"),
                 'spec.enforcement: Unsupported value: "Block": '
                 'supported values: "Enforce", "Warn", "DryRun"',
                 id="an unknown enforcement"),
    pytest.param(changed(POLICY, "spec.targets.0.kind", "Pod"),
                 'spec.targets[0].kind: Unsupported value: "Pod": '
                 'supported values: "Rollout", "Deployment"',
                 id="a target kind a freeze cannot hold"),
    pytest.param(changed(POLICY, "spec.burnRateTriggers", [{"longWindow": "5m",
                 "shortWindow": "1h", "factor": "14.4", "level": "FullFreeze"}]),
                 f"spec.burnRateTriggers[0].shortWindow: Invalid value: {WINDOWS}",
                 id="a burn-rate trigger with its windows swapped"),
    pytest.param(changed(POLICY, "spec.sloSelector",
                         {"matchExpressions": [{"key": "team", "operator": "Exists",
                                                "values": ["payments"]}]}),
                 "spec.sloSelector.matchExpressions[0]: Invalid value: "
                 "values must be set for In and NotIn, and empty otherwise",
                 id="an Exists selector with values"),
    pytest.param(changed(POLICY, "spec.hysteresis", {"minimumHold": "0m"}),
                 'spec.hysteresis.minimumHold: Invalid value: "0m": must be longer than zero',
                 id="a zero minimum hold"),
    pytest.param(changed(POLICY, "spec.notify", [{"webhook": WEBHOOK, "pagerDuty": PAGERDUTY}]),
                 "spec.notify[0]: Invalid value: set exactly one of webhook, pagerDuty or email",
                 id="a notify entry with two channels"),
    pytest.param(changed(POLICY, "spec.notify", [{"webhook": WEBHOOK, "reminderEvery": "59s"}]),
                 'spec.notify[0].reminderEvery: Invalid value: "59s": '
                 "must be at least 1m (a reminder storm is a page storm)",
                 id="reminders more often than every minute"),
    pytest.param(changed(POLICY, "spec.notify",
                         [{"email": EMAIL | {"tls": "Disabled", "auth": SMTP_LOGIN}}]),
                 "spec.notify[0].email.auth: Invalid value: auth needs tls StartTLS or Implicit: "
                 "a password is never sent in the clear",
                 id="an SMTP login without TLS"),
    pytest.param(changed(EXCEPTION, "spec.expiresAt", DROP), "spec.expiresAt: Required value",
                 id="an exception without an expiry"),
    pytest.param(changed(EXCEPTION, "spec.expiresAt", "2026-12-01T18:00:00"),
                 'spec.expiresAt: Invalid value: "2026-12-01T18:00:00": '
                 'spec.expiresAt in body must be of type date-time: "2026-12-01T18:00:00"',
                 id="an expiry without a time zone"),
    pytest.param(changed(EXCEPTION, "spec.targets.0.selector", {}),
                 "spec.targets[0]: Invalid value: set exactly one of name or selector",
                 id="an exception target with both a name and a selector"),
    pytest.param(changed(EXCEPTION, "spec.targets.0", {"kind": "Rollout", "selector": {}}),
                 "spec.targets[0].selector: Invalid value: must not be empty, which would cover"
                 " every workload of the kind; set matchLabels or matchExpressions, or name the"
                 " workload",
                 id="an exception selector that would cover every workload of the kind"),
]
# fmt: on


@pytest.mark.parametrize(("resource", "cause"), CASES)
def test_the_apiserver_refuses_a_malformed_resource_naming_the_field(
    cluster: Cluster, namespace: str, resource: dict[str, Any], cause: str
) -> None:
    code, stderr = apply(cluster, namespace, resource, "--dry-run=server")
    assert code != 0
    assert cause in stderr


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param(doc, id=f"{path.name} is accepted")
        for path in sorted(EXAMPLES.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ],
)
def test_every_example_is_accepted(cluster: Cluster, namespace: str, resource: Any) -> None:
    resource = changed(resource, "metadata.namespace", DROP)
    assert apply(cluster, namespace, resource, "--dry-run=server") == (0, "")


@pytest.mark.parametrize(
    "window", ["1h", "1h30m", "6h", "7d", "4w", "90d", "2160h"], ids=lambda w: f"window {w}"
)
def test_windows_from_one_hour_to_ninety_days_are_accepted(
    cluster: Cluster, namespace: str, window: str
) -> None:
    assert apply(cluster, namespace, changed(SLO, "spec.window", window), "--dry-run=server") == (
        0,
        "",
    )
