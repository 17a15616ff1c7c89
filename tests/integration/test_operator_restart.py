"""Stopping and starting the operator repeats nothing and loses nothing.

The first run applies three SLOs. While the operator is down one SLO changes, one is deleted and
a new one appears. The second run must pick up exactly those three changes, and leave the
unchanged SLO alone: no apply, no status write, no annotation, no Event.
"""

from __future__ import annotations

from typing import Any

import pytest

from budgetwarden.core.slo.rules import RuleOptions, build_prometheus_rule
from budgetwarden.core.slo.spec import parse_slo
from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import (
    RESUMED,
    apply,
    as_applied,
    events,
    example,
    get,
    observed,
    running_operator,
    wait_for,
)

pytestmark = pytest.mark.cluster

UNCHANGED, CHANGED, DELETED, NEW = (
    "04-window-28d.yaml",
    "01-availability-ratio.yaml",
    "02-latency.yaml",
    "03-availability-gauge.yaml",
)


@pytest.fixture(autouse=True)
def default_rule_options(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SCRAPE_INTERVAL", "EVALUATION_INTERVAL", "BUDGET_LEVELS"):
        monkeypatch.delenv(f"BUDGETWARDEN_{name}", raising=False)


def rule_of(cluster: Cluster, slo: dict[str, Any]) -> dict[str, Any] | None:
    meta = slo["metadata"]
    return get(cluster, "prometheusrules", f"{meta['name']}-slo", meta["namespace"])


def snapshot(cluster: Cluster, slo: dict[str, Any]) -> tuple[str, str, list[tuple[str, str]]]:
    """resourceVersions of the SLO and its rule, and the SLO's Events."""
    meta = slo["metadata"]
    current = get(cluster, "slo", meta["name"], meta["namespace"]) or {}
    rule = rule_of(cluster, slo) or {}
    return (
        current["metadata"]["resourceVersion"],
        rule["metadata"]["resourceVersion"],
        events(cluster, meta["namespace"], meta["name"]),
    )


def run_first(
    cluster: Cluster, namespace: str, resources: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The first run: apply UNCHANGED, CHANGED and DELETED and wait for each one's rule.

    Returns each SLO as the operator observed it, by file name.
    """
    names = {file: r["metadata"]["name"] for file, r in resources.items()}
    with running_operator(namespace):
        first = {}
        for file in (UNCHANGED, CHANGED, DELETED):
            apply(cluster, resources[file])
        for file in (UNCHANGED, CHANGED, DELETED):
            first[file] = observed(cluster, "slo", names[file], namespace)
            wait_for("its rule", lambda f=file: rule_of(cluster, first[f]))
    return first


def test_a_restart_reconciles_only_what_changed_while_the_operator_was_down(
    cluster: Cluster, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    resources = {name: example(name, namespace) for name in (UNCHANGED, CHANGED, DELETED, NEW)}
    names = {file: r["metadata"]["name"] for file, r in resources.items()}
    first = run_first(cluster, namespace, resources)
    before = snapshot(cluster, first[UNCHANGED])

    # While the operator is down: change one SLO, delete one, add one.
    resources[CHANGED]["spec"]["objective"] = "99.9"
    apply(cluster, resources[CHANGED])
    cluster.kubectl("delete", "slo", names[DELETED], "-n", namespace)
    apply(cluster, resources[NEW])

    caplog.clear()
    with running_operator(namespace):
        changed = observed(cluster, "slo", names[CHANGED], namespace, generation=2)
        new = observed(cluster, "slo", names[NEW], namespace)
        wait_for("the deleted SLO's rule to go", lambda: rule_of(cluster, first[DELETED]) is None)
        wait_for(
            "the unchanged SLO to be resumed",
            lambda: _resumed(caplog, names[UNCHANGED]),
        )
        changed_rule = wait_for("the changed rule", lambda: _rule_at(cluster, changed))
        new_rule = wait_for("the new rule", lambda: rule_of(cluster, new))

    assert snapshot(cluster, first[UNCHANGED]) == before
    assert before[2] == [("Normal", "RulesCreated")]
    assert as_applied(changed_rule) == build_prometheus_rule(parse_slo(changed), RuleOptions())
    assert as_applied(new_rule) == build_prometheus_rule(parse_slo(new), RuleOptions())
    assert events(cluster, namespace, names[CHANGED]) == [
        ("Normal", "RulesCreated"),
        ("Normal", "RulesUpdated"),
    ]
    assert events(cluster, namespace, names[NEW]) == [("Normal", "RulesCreated")]


def _rule_at(cluster: Cluster, slo: dict[str, Any]) -> dict[str, Any] | None:
    """The SLO's rule once it matches the SLO's current spec."""
    rule = rule_of(cluster, slo)
    expected = build_prometheus_rule(parse_slo(slo), RuleOptions())
    return rule if rule is not None and as_applied(rule) == expected else None


def _resumed(caplog: pytest.LogCaptureFixture, name: str) -> bool:
    """kopf logged that every handler has run for the resumed object `name`."""
    return any(
        record.getMessage().startswith(RESUMED)
        and getattr(record, "k8s_ref", {}).get("name") == name
        for record in caplog.records
    )
