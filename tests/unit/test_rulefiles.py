"""PrometheusRule objects become Prometheus rule files with names rules-sync can find again."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from budgetwarden.core.slo.rulefiles import (
    SyncPlan,
    desired_files,
    parse_rule_file_name,
    plan_sync,
    rule_file_content,
    rule_file_name,
    rule_up_to_date,
)

RULE: dict[str, Any] = {
    "apiVersion": "monitoring.coreos.com/v1",
    "kind": "PrometheusRule",
    "metadata": {
        "name": "checkout-availability-slo",
        "namespace": "shop",
        "labels": {"app.kubernetes.io/managed-by": "budgetwarden"},
        "ownerReferences": [
            {
                "apiVersion": "budgetwarden.io/v1alpha1",
                "kind": "SLO",
                "name": "checkout-availability",
                "uid": "u-1",
                "controller": True,
            }
        ],
    },
    "spec": {
        "groups": [
            {
                "name": "checkout-availability-sli",
                "interval": "30s",
                "partial_response_strategy": "warn",
                "rules": [
                    {
                        "record": "budgetwarden_slo:errors:rate5m",
                        "expr": "sum(rate(x[5m]))",
                        "labels": {"slo_name": "checkout-availability"},
                    },
                    {
                        "alert": "SLOErrorBudgetFastBurn",
                        "expr": 1,
                        "for": "2m",
                        "labels": {"severity": "P1"},
                        "annotations": {"summary": "Burning."},
                    },
                ],
            }
        ]
    },
}

RULE_FILE = """\
# Generated from PrometheusRule shop/checkout-availability-slo by budgetwarden rules-sync.
# Do not edit: the file is rewritten whenever the object changes.
groups:
- name: checkout-availability-sli
  interval: 30s
  rules:
  - record: budgetwarden_slo:errors:rate5m
    expr: sum(rate(x[5m]))
    labels:
      slo_name: checkout-availability
  - alert: SLOErrorBudgetFastBurn
    expr: '1'
    for: 2m
    labels:
      severity: P1
    annotations:
      summary: Burning.
"""


def test_a_rule_file_holds_the_groups_without_thanos_only_fields() -> None:
    assert rule_file_content(RULE) == RULE_FILE


@pytest.mark.parametrize(
    ("namespace", "name"),
    [
        pytest.param("shop", "checkout-availability-slo", id="a plain name round-trips"),
        pytest.param("team-a", "api.v2-slo", id="dots in object names round-trip"),
    ],
)
def test_file_names_round_trip(namespace: str, name: str) -> None:
    assert parse_rule_file_name(rule_file_name(namespace, name)) == (namespace, name)


@pytest.mark.parametrize(
    "file_name",
    [
        pytest.param("alerts.yaml", id="a hand-written file is not ours"),
        pytest.param("budgetwarden_shop.rules.yaml", id="a file without a name is not ours"),
        pytest.param("budgetwarden_shop_x.yaml", id="another suffix is not ours"),
        pytest.param(".budgetwarden_shop_x.rules.yaml.tmp", id="a temporary file is not ours"),
    ],
)
def test_files_we_did_not_name_are_not_ours(file_name: str) -> None:
    assert parse_rule_file_name(file_name) is None


def test_desired_files_name_each_object_by_namespace_and_name() -> None:
    assert desired_files([RULE]) == {
        "budgetwarden_shop_checkout-availability-slo.rules.yaml": RULE_FILE
    }


OURS = "budgetwarden_shop_a.rules.yaml"
GONE = "budgetwarden_shop_gone.rules.yaml"


@pytest.mark.parametrize(
    ("desired", "existing", "plan"),
    [
        pytest.param(
            {OURS: "a"}, {}, SyncPlan(write={OURS: "a"}, delete=()), id="a new object is written"
        ),
        pytest.param(
            {OURS: "a"},
            {OURS: "a"},
            SyncPlan(write={}, delete=()),
            id="an unchanged file is left alone",
        ),
        pytest.param(
            {OURS: "b"},
            {OURS: "a"},
            SyncPlan(write={OURS: "b"}, delete=()),
            id="a changed object is rewritten",
        ),
        pytest.param(
            {},
            {GONE: "a", "alerts.yaml": "x"},
            SyncPlan(write={}, delete=(GONE,)),
            id="a deleted object's file goes and hand-written files stay",
        ),
    ],
)
def test_plan_sync(desired: dict[str, str], existing: dict[str, str], plan: SyncPlan) -> None:
    assert plan_sync(desired, existing) == plan
    assert plan.empty == (not plan.write and not plan.delete)


def stored(rule: dict[str, Any]) -> dict[str, Any]:
    """What the API server gives back: our object plus server-set metadata."""
    obj = copy.deepcopy(rule)
    obj["metadata"].update(
        uid="r-1",
        resourceVersion="42",
        generation=1,
        creationTimestamp="2026-11-29T10:00:00Z",
        managedFields=[{"manager": "budgetwarden", "operation": "Apply"}],
        annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}"},
    )
    obj["metadata"]["labels"]["team"] = "payments"
    return obj


def applied(rule: dict[str, Any], **owned: list[str]) -> dict[str, Any]:
    """`stored(rule)` whose managedFields say budgetwarden applied these metadata keys."""
    obj = stored(rule)
    fields = {f"f:{key}": {f"f:{name}": {} for name in names} for key, names in owned.items()}
    obj["metadata"]["managedFields"] = [
        {"manager": "budgetwarden", "operation": "Apply", "fieldsV1": {"f:metadata": fields}},
        {"manager": "argocd", "operation": "Apply",
         "fieldsV1": {"f:metadata": {"f:labels": {"f:team": {}}}}},
    ]  # fmt: skip
    return obj


def changed(path: str, value: Any) -> dict[str, Any]:
    obj = stored(RULE)
    *parents, leaf = path.split(".")
    node = obj
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[leaf] = value
    return obj


@pytest.mark.parametrize(
    ("existing", "up_to_date"),
    [
        pytest.param(None, False, id="a missing rule is not up to date"),
        pytest.param(stored(RULE), True, id="server-set metadata and extra labels do not count"),
        pytest.param(changed("spec.groups", []), False, id="a different spec is not up to date"),
        pytest.param(changed("metadata.labels", {}), False, id="a lost label is not up to date"),
        pytest.param(
            changed("metadata.ownerReferences", []),
            False,
            id="a lost owner reference is not up to date",
        ),
        pytest.param(
            applied(RULE, labels=[*RULE["metadata"]["labels"], "release"]),
            False,
            id="a label budgetwarden applied and no longer wants is not up to date",
        ),
        pytest.param(
            applied(RULE, labels=list(RULE["metadata"]["labels"]), annotations=[]),
            True,
            id="labels others set are not ours to remove",
        ),
    ],
)
def test_rule_up_to_date(existing: dict[str, Any] | None, up_to_date: bool) -> None:
    assert rule_up_to_date(existing, RULE) is up_to_date
