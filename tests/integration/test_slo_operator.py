"""The operator on a real API server: SLO in, PrometheusRule and status out.

Each test runs the operator (kopf's KopfRunner, in-process) scoped to a fresh namespace of the
session `cluster` and talks to the cluster only through kubectl, as a user would.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from budgetwarden.core.slo.rules import RuleOptions, build_prometheus_rule
from budgetwarden.core.slo.spec import parse_slo
from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import (
    apply,
    as_applied,
    condition,
    events,
    example,
    get,
    observed,
    running_operator,
    wait_for,
)

pytestmark = pytest.mark.cluster

SLO_EXAMPLES = [
    pytest.param("01-availability-ratio.yaml", id="a ratio SLO gets its rule"),
    pytest.param("02-latency.yaml", id="a latency SLO gets its rule"),
    pytest.param("03-availability-gauge.yaml", id="an up-gauge SLO gets its rule"),
    pytest.param("04-window-28d.yaml", id="a 28-day SLO gets its rule"),
]
# Parses and passes the CRD schema, but the errors query misses a closing parenthesis.
BROKEN_QUERY = 'sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}])'


@pytest.fixture(autouse=True)
def default_rule_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator builds rules with the defaults, as RuleOptions() does here."""
    for name in ("SCRAPE_INTERVAL", "EVALUATION_INTERVAL", "BUDGET_LEVELS"):
        monkeypatch.delenv(f"BUDGETWARDEN_{name}", raising=False)


def expected_rule(slo: dict[str, Any]) -> dict[str, Any]:
    """What build_prometheus_rule makes of the SLO as the cluster holds it (with its uid)."""
    return build_prometheus_rule(parse_slo(slo), RuleOptions())


def rule_of(cluster: Cluster, slo: dict[str, Any]) -> dict[str, Any] | None:
    meta = slo["metadata"]
    return get(cluster, "prometheusrules", f"{meta['name']}-slo", meta["namespace"])


def conditions_without_times(obj: dict[str, Any]) -> list[dict[str, Any]]:
    found = obj["status"]["conditions"]
    return [{k: v for k, v in c.items() if k != "lastTransitionTime"} for c in found]


def applied_conditions(rule: str, generation: int) -> list[dict[str, Any]]:
    message = f"Rules are applied as PrometheusRule {rule}."
    return [
        {
            "type": t,
            "status": "True",
            "reason": "RulesApplied",
            "message": message,
            "observedGeneration": generation,
        }
        for t in ("RulesApplied", "Ready")
    ]


@pytest.mark.parametrize("file_name", SLO_EXAMPLES)
def test_an_example_slo_gets_its_prometheus_rule_and_status(
    cluster: Cluster, namespace: str, file_name: str
) -> None:
    resource = example(file_name, namespace)
    name = resource["metadata"]["name"]
    with running_operator(namespace):
        apply(cluster, resource)
        slo = observed(cluster, "slo", name, namespace)
        rule = wait_for("the PrometheusRule", lambda: rule_of(cluster, slo))
    assert as_applied(rule) == expected_rule(slo)
    assert slo["status"]["prometheusRule"] == f"{namespace}/{name}-slo"
    assert slo["status"]["observedGeneration"] == 1
    assert conditions_without_times(slo) == applied_conditions(f"{namespace}/{name}-slo", 1)
    assert events(cluster, namespace, name) == [("Normal", "RulesCreated")]


def test_an_update_rewrites_the_rule_and_moves_transition_times_only_on_flips(
    cluster: Cluster, namespace: str
) -> None:
    resource = example("01-availability-ratio.yaml", namespace)
    name = resource["metadata"]["name"]
    with running_operator(namespace):
        apply(cluster, resource)
        created = observed(cluster, "slo", name, namespace)
        resource["spec"]["objective"] = "99.9"
        apply(cluster, resource)
        updated = observed(cluster, "slo", name, namespace, generation=2)
        rule = wait_for("the updated rule", lambda: rule_of(cluster, updated))
        time.sleep(1.1)  # transition times have whole seconds: make a flip's time distinct
        flipped_at = datetime.now(UTC).replace(microsecond=0)
        resource["spec"]["indicator"]["ratio"]["errors"] = BROKEN_QUERY
        apply(cluster, resource)
        broken = observed(cluster, "slo", name, namespace, generation=3)

    assert as_applied(rule) == expected_rule(updated)
    assert conditions_without_times(updated) == applied_conditions(f"{namespace}/{name}-slo", 2)
    assert (
        condition(updated, "Ready")["lastTransitionTime"]
        == (condition(created, "Ready")["lastTransitionTime"])
    )
    ready = condition(broken, "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "InvalidSpec")
    assert _time(ready["lastTransitionTime"]) >= flipped_at
    # RulesApplied still describes the generation-2 rules, which stay in place.
    assert condition(broken, "RulesApplied") == condition(updated, "RulesApplied")
    assert as_applied(rule_of(cluster, broken) or {}) == as_applied(rule)
    assert events(cluster, namespace, name) == [
        ("Normal", "RulesCreated"),
        ("Normal", "RulesUpdated"),
        ("Warning", "InvalidSpec"),
    ]


def test_deleting_an_slo_deletes_its_rule(cluster: Cluster, namespace: str) -> None:
    resource = example("03-availability-gauge.yaml", namespace)
    name = resource["metadata"]["name"]
    with running_operator(namespace):
        apply(cluster, resource)
        slo = observed(cluster, "slo", name, namespace)
        wait_for("the PrometheusRule", lambda: rule_of(cluster, slo))
        cluster.kubectl("delete", "slo", name, "-n", namespace)
        wait_for("the rule to go", lambda: rule_of(cluster, slo) is None)
        deleted = [("Normal", "RulesCreated"), ("Normal", "RulesDeleted")]
        wait_for("the Event", lambda: events(cluster, namespace, name) == deleted)
    assert get(cluster, "slo", name, namespace) is None


def test_an_unparsable_query_is_reported_once_and_not_retried(
    cluster: Cluster, namespace: str
) -> None:
    resource = example("01-availability-ratio.yaml", namespace)
    name = resource["metadata"]["name"]
    resource["spec"]["indicator"]["ratio"]["errors"] = BROKEN_QUERY
    with running_operator(namespace) as runner:
        apply(cluster, resource)
        slo = observed(cluster, "slo", name, namespace)
        settled = wait_for("kopf to finish", lambda: _handled(cluster, name, namespace))
        time.sleep(5)  # a retry loop would show as new writes and Events in this time
        later = get(cluster, "slo", name, namespace) or {}
    ready = condition(slo, "Ready") or {}
    assert (ready["status"], ready["reason"]) == ("False", "InvalidSpec")
    assert ready["message"].startswith("Invalid spec: spec.indicator.ratio.errors: ")
    assert condition(slo, "RulesApplied") == {
        "type": "RulesApplied",
        "status": "False",
        "reason": "InvalidSpec",
        "message": "No rules were generated because the spec is invalid.",
        "lastTransitionTime": ready["lastTransitionTime"],
        "observedGeneration": 1,
    }
    assert "prometheusRule" not in slo["status"]
    assert rule_of(cluster, slo) is None
    assert later["metadata"]["resourceVersion"] == settled["metadata"]["resourceVersion"]
    assert events(cluster, namespace, name) == [("Warning", "InvalidSpec")]
    assert runner.output.count(f"[{namespace}/{name}] Handler 'reconcile_slo' succeeded") == 1


def test_policies_and_exceptions_get_valid_and_ready_conditions(
    cluster: Cluster, namespace: str
) -> None:
    # The CRD schemas reject every invalid policy and exception we know of at apply time, so
    # only the valid path can be driven through a real API server.
    resources = [
        example("05-policy.yaml", namespace),
        example("06-freeze-exception.yaml", namespace),
    ]
    with running_operator(namespace):
        for resource in resources:
            apply(cluster, resource)
        seen = [observed(cluster, r["kind"], r["metadata"]["name"], namespace) for r in resources]
    for obj in seen:
        assert conditions_without_times(obj) == [
            {
                "type": t,
                "status": "True",
                "reason": "SpecValid",
                "message": f"The {obj['kind']} spec is valid.",
                "observedGeneration": 1,
            }
            for t in ("Valid", "Ready")
        ]
        assert events(cluster, namespace, obj["metadata"]["name"]) == []


def _handled(cluster: Cluster, name: str, namespace: str) -> dict[str, Any] | None:
    """The SLO once kopf has recorded it as handled (its last-handled configuration)."""
    obj = get(cluster, "slo", name, namespace) or {}
    annotations = obj.get("metadata", {}).get("annotations") or {}
    return obj if "budgetwarden.io/last-handled-configuration" in annotations else None


def _time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
