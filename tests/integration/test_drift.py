"""The detection fallback on a real API server: new versions that land during a freeze.

The operator runs in-process (kopf's KopfRunner) scoped to a fresh namespace, without a
webhook, as if the webhook were unreachable under failurePolicy Ignore. The policy's freeze is
written into its status by the test (no Prometheus, so no poller); the test then changes pod
templates with kubectl, as a person or a GitOps tool would.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from kopf.testing import KopfRunner

from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import apply, events, get, wait_for

pytestmark = pytest.mark.cluster

FID = "fz-7c2e"
DRIFT = ("Warning", "TemplateChangedDuringFreeze")


class Records(logging.Handler):
    """kopf's per-object log records, as (object name, message)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        ref = getattr(record, "k8s_ref", None) or {}
        self.seen.append((str(ref.get("name")), record.getMessage()))

    def has(self, name: str, text: str) -> bool:
        return any(n == name and text in m for n, m in self.seen)


@pytest.fixture
def records() -> Iterator[Records]:
    handler, logger = Records(), logging.getLogger("kopf.objects")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


@contextmanager
def operator(namespace: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("BUDGETWARDEN_PROMETHEUS_URL", raising=False)
    monkeypatch.setenv("BUDGETWARDEN_METRICS_PORT", "off")
    args = [
        "run",
        "--standalone",
        "--verbose",
        "--namespace",
        namespace,
        "-m",
        "budgetwarden.handlers",
    ]
    root, level = logging.getLogger(), logging.getLogger().level
    try:
        with KopfRunner(args, timeout=60) as runner:
            yield
    finally:
        root.setLevel(level)  # --verbose turns the whole process to DEBUG; later tests read logs
    assert runner.exit_code == 0, runner.output


def workload(kind: str, name: str, namespace: str, image: str, paused: bool = False) -> dict:
    api_version = "argoproj.io/v1alpha1" if kind == "Rollout" else "apps/v1"
    labels = {"app": "checkout"}
    template = {"metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": image}]}}  # fmt: skip
    spec = {"replicas": 2, "selector": {"matchLabels": labels}, "template": template,
            "paused": paused}  # fmt: skip
    meta = {"name": name, "namespace": namespace, "labels": labels}
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": spec}


def freeze(cluster: Cluster, namespace: str, level: str = "FullFreeze") -> None:
    """A policy selecting app=checkout, at `level` as the poller would have recorded."""
    targets = [{"kind": kind, "selector": {"matchLabels": {"app": "checkout"}}}
               for kind in ("Rollout", "Deployment")]  # fmt: skip
    apply(cluster, {
        "apiVersion": c.API_VERSION, "kind": c.KIND_POLICY,
        "metadata": {"name": "payments", "namespace": namespace},
        "spec": {"targets": targets},
    })  # fmt: skip
    status = {"level": level, "since": "2026-11-29T10:14:00Z", "freezeId": FID,
              "reason": "SLO checkout-availability has 8.2% error budget left"}  # fmt: skip
    cluster.kubectl(
        "patch", c.PLURAL_POLICY, "payments", "-n", namespace, "--subresource=status",
        "--type=merge", "-p", json.dumps({"status": status}),
    )  # fmt: skip


def set_image(cluster: Cluster, kind: str, name: str, namespace: str, image: str) -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}}
    cluster.kubectl("patch", kind, name, "-n", namespace, "--type=merge", "-p", json.dumps(patch))


def drift_message(cluster: Cluster, namespace: str, name: str) -> list[str]:
    result = cluster.kubectl(
        "get", "events", "-n", namespace, "-o", "json",
        f"--field-selector=involvedObject.name={name},reason={DRIFT[1]}",
    )  # fmt: skip
    return [e["message"] for e in json.loads(result.stdout)["items"]]


def hotfix_exception(namespace: str) -> dict:
    """A FreezeException for the hotfix Rollout through a FullFreeze, for two more hours."""
    expires = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": c.API_VERSION, "kind": c.KIND_EXCEPTION,
        "metadata": {"name": "hotfix-4711", "namespace": namespace},
        "spec": {"targets": [{"kind": "Rollout", "name": "hotfix"}], "maxLevel": "FullFreeze",
                 "reason": "Fix for the retry storm.", "expiresAt": expires},
    }  # fmt: skip


def test_a_new_version_landing_during_a_freeze_is_paused_and_reported(
    cluster: Cluster, namespace: str, monkeypatch: pytest.MonkeyPatch, records: Records
) -> None:
    freeze(cluster, namespace)
    apply(cluster, workload("Rollout", "checkout", namespace, "shop/checkout:1"))
    apply(cluster, workload("Deployment", "worker", namespace, "shop/worker:1", paused=True))
    apply(cluster, workload("Rollout", "hotfix", namespace, "shop/checkout:1"))
    apply(cluster, hotfix_exception(namespace))
    # the operator's runbook base reaches the Event it posts
    monkeypatch.setenv("BUDGETWARDEN_RUNBOOK_BASE_URL", "https://wiki.example.com/sre/{page}")

    with operator(namespace, monkeypatch):
        for name in ("checkout", "worker", "hotfix"):
            wait_for(f"{name} to be watched", lambda n=name: records.has(n, "remembering"))
        set_image(cluster, "rollout", "hotfix", namespace, "shop/checkout:2")
        set_image(cluster, "rollout", "checkout", namespace, "shop/checkout:2")
        set_image(cluster, "deployment", "worker", namespace, "shop/worker:2")
        wait_for("the drift on checkout", lambda: DRIFT in events(cluster, namespace, "checkout"))
        wait_for("the drift on worker", lambda: DRIFT in events(cluster, namespace, "worker"))
        wait_for("hotfix to be let through", lambda: records.has("hotfix", "hotfix-4711 covers"))

    checkout = get(cluster, "rollout", "checkout", namespace) or {}
    paused_by = checkout["metadata"]["annotations"][c.ANNOTATION_PAUSED_BY]
    assert (checkout["spec"]["paused"], paused_by) == (True, f"budgetwarden/payments/{FID}")
    assert events(cluster, namespace, "checkout") == [("Normal", "Paused"), DRIFT]
    assert drift_message(cluster, namespace, "checkout") == [
        f"The pod template changed during freeze {FID} (FullFreeze) of ErrorBudgetPolicy "
        "payments, and no FreezeException covers it: admission was bypassed or unreachable. "
        "The workload is paused, so the new version does not roll out. See "
        "https://wiki.example.com/sre/freeze"
    ]
    worker = get(cluster, "deployment", "worker", namespace) or {}
    assert worker["spec"]["paused"] is True  # a person's pause, left as it was
    assert c.ANNOTATION_PAUSED_BY not in worker["metadata"]["annotations"]
    assert events(cluster, namespace, "worker") == [DRIFT]
    hotfix = get(cluster, "rollout", "hotfix", namespace) or {}
    assert (hotfix["spec"]["paused"], events(cluster, namespace, "hotfix")) == (False, [])
    # event handlers store nothing on the workloads they watch
    assert not [k for k in hotfix["metadata"].get("annotations") or {} if k.startswith(c.GROUP)]


@pytest.mark.parametrize(("level", "reported"), [
    pytest.param("PartialFreeze", False, id="a partial freeze lets a resources-only change be"),
    pytest.param("FullFreeze", True, id="a full freeze reports a resources-only change too"),
])  # fmt: skip
def test_a_change_of_only_resources_is_a_new_version_only_where_admission_refuses_it(
    cluster: Cluster, namespace: str, monkeypatch: pytest.MonkeyPatch, records: Records,
    level: str, reported: bool,
) -> None:  # fmt: skip
    freeze(cluster, namespace, level)
    for name in ("sized", "imaged"):
        apply(cluster, workload("Deployment", name, namespace, "shop/worker:1", paused=True))
    with operator(namespace, monkeypatch):
        for name in ("sized", "imaged"):
            wait_for(f"{name} to be watched", lambda n=name: records.has(n, "remembering"))
        for name in ("sized", "imaged"):
            cluster.kubectl("set", "resources", f"deployment/{name}", "-n", namespace,
                            "--limits=memory=1Gi", "--requests=cpu=500m")  # fmt: skip
        set_image(cluster, "deployment", "imaged", namespace, "shop/worker:2")
        wait_for("the drift on imaged", lambda: DRIFT in events(cluster, namespace, "imaged"))
        if reported:
            wait_for("the drift on sized", lambda: DRIFT in events(cluster, namespace, "sized"))
    assert (DRIFT in events(cluster, namespace, "sized")) is reported
