"""The Kubernetes adapter against a real API server: what each call does and how it fails."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from budgetwarden.adapters.kube import (
    PROMETHEUS_RULE_GROUP,
    PROMETHEUS_RULE_PLURAL,
    PROMETHEUS_RULE_VERSION,
    Conflict,
    Expired,
    Invalid,
    Kube,
    NotFound,
    Ref,
    prometheus_rule_ref,
)
from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import events

pytestmark = pytest.mark.cluster
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
RULES = (PROMETHEUS_RULE_GROUP, PROMETHEUS_RULE_VERSION, PROMETHEUS_RULE_PLURAL)


@pytest.fixture
def kube(cluster: Cluster) -> Any:
    client = Kube.from_environment(str(cluster.kubeconfig))
    yield client
    client.close()


def rule(namespace: str, name: str, interval: str = "30s") -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name, "namespace": namespace, "labels": {"team": "a"}},
        "spec": {"groups": [{"name": "g", "interval": interval, "rules": []}]},
    }


def test_apply_creates_then_updates_and_takes_over_other_managers_fields(
    kube: Kube, cluster: Cluster, namespace: str
) -> None:
    ref = prometheus_rule_ref(namespace, "r")
    assert kube.get(ref) is None
    kube.apply(ref, rule(namespace, "r"))
    cluster.kubectl("label", "prometheusrule", "r", "-n", namespace, "team=b", "--overwrite")
    kube.apply(ref, rule(namespace, "r", interval="1m"))
    stored = kube.get(ref) or {}
    assert stored["metadata"]["labels"] == {"team": "a"}
    assert stored["spec"] == {"groups": [{"name": "g", "interval": "1m", "rules": []}]}
    managers = {f["manager"] for f in stored["metadata"]["managedFields"]}
    assert "budgetwarden" in managers


def test_delete_honours_the_resource_version_precondition(kube: Kube, namespace: str) -> None:
    ref = prometheus_rule_ref(namespace, "r")
    kube.apply(ref, rule(namespace, "r"))
    current = (kube.get(ref) or {})["metadata"]["resourceVersion"]
    with pytest.raises(Conflict, match="precondition"):
        kube.delete(ref, resource_version="1")
    assert kube.delete(ref, resource_version=current) is True
    assert kube.delete(ref) is False


@pytest.mark.parametrize(
    ("ref", "body", "error"),
    [
        pytest.param(
            Ref("example.com", "v1", "nothings", "default", "x"),
            {"apiVersion": "example.com/v1", "kind": "Nothing", "metadata": {"name": "x"}},
            NotFound,
            id="an unknown resource type is NotFound",
        ),
        pytest.param(
            prometheus_rule_ref("default", "no-spec"),
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "PrometheusRule",
                "metadata": {"name": "no-spec", "namespace": "default"},
            },
            Invalid,
            id="an object the schema rejects is Invalid",
        ),
    ],
)
def test_failures_are_classified(kube: Kube, ref: Ref, body: dict[str, Any], error: type) -> None:
    with pytest.raises(error) as raised:
        kube.apply(ref, body)
    assert raised.value.__cause__ is not None


def test_a_watch_from_an_expired_version_says_so(kube: Kube, namespace: str) -> None:
    with pytest.raises(Expired):
        list(kube.watch(*RULES, namespace, resource_version="1", timeout_seconds=5))


def test_list_then_watch_sees_every_change(kube: Kube, namespace: str) -> None:
    kube.apply(prometheus_rule_ref(namespace, "before"), rule(namespace, "before"))
    items, version = kube.list(*RULES, namespace)
    seen: list[tuple[str, str]] = []

    def follow() -> None:
        for type_, obj in kube.watch(
            *RULES, namespace, resource_version=version, timeout_seconds=5
        ):
            seen.append((type_, obj["metadata"]["name"]))

    watcher = threading.Thread(target=follow)
    watcher.start()
    ref = prometheus_rule_ref(namespace, "after")
    kube.apply(ref, rule(namespace, "after"))
    kube.apply(ref, rule(namespace, "after", interval="1m"))
    kube.delete(ref)
    watcher.join()
    assert [obj["metadata"]["name"] for obj in items] == ["before"]
    assert seen == [("ADDED", "after"), ("MODIFIED", "after"), ("DELETED", "after")]


def test_a_listing_in_pages_gets_every_object_once(
    kube: Kube, cluster: Cluster, namespace: str
) -> None:
    names = sorted(f"r-{i:02d}" for i in range(12))
    objects = {"apiVersion": "v1", "kind": "List", "items": [rule(namespace, n) for n in names]}
    cluster.kubectl("apply", "-f", "-", input=json.dumps(objects))
    pages = [[obj["metadata"]["name"] for obj in page]
             for page in kube.list_pages(*RULES, namespace, limit=5)]  # fmt: skip
    whole, _ = kube.list(*RULES, namespace)
    assert [len(page) for page in pages] == [5, 5, 2]
    assert [name for page in pages for name in page] == names
    assert [obj["metadata"]["name"] for obj in whole] == names


def test_status_is_merge_patched_and_events_are_posted(
    kube: Kube, cluster: Cluster, namespace: str
) -> None:
    slo = {
        "apiVersion": "budgetwarden.io/v1alpha1",
        "kind": "SLO",
        "metadata": {"name": "s", "namespace": namespace},
        "spec": {
            "service": "s",
            "objective": "99",
            "window": "30d",
            "indicator": {"availability": {"up": "up"}},
        },
    }
    cluster.kubectl("apply", "-f", "-", input=json.dumps(slo))
    ref = Ref("budgetwarden.io", "v1alpha1", "slos", namespace, "s")
    first = (kube.get(ref) or {})["metadata"]["resourceVersion"]
    kube.patch_status(ref, {"observedGeneration": 1, "prometheusRule": f"{namespace}/s-slo"}, first)
    second = (kube.get(ref) or {})["metadata"]["resourceVersion"]
    kube.patch_status(ref, {"observedGeneration": 2}, second)
    with pytest.raises(Conflict):  # a write computed from an older read is refused
        kube.patch_status(ref, {"observedGeneration": 3}, first)
    stored = kube.get(ref) or {}
    assert stored["status"] == {"observedGeneration": 2, "prometheusRule": f"{namespace}/s-slo"}
    kube.post_event(stored, "Warning", "InvalidSpec", "Invalid spec: spec.window: too short.", NOW)
    assert events(cluster, namespace, "s") == [("Warning", "InvalidSpec")]
