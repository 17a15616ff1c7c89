"""A frozen team cannot lift its own freeze with the rights it has, on a real API server.

The whole loop runs: a real Prometheus scrapes the budget (tests/budget_support.py), the operator
(in-process, polling every second) freezes the payments policy, pauses the Deployment it targets
and serves the admission webhook. Then `dev`, who holds the built-in edit rules in the namespace
(impersonated under real RBAC), tries each metadata change that could lift the freeze: relabelling
the Deployment out of the policy's selector, writing the digest of the new version into the
stable-template annotation, stripping paused-by. Admission refuses each with the freeze's
message (other labels and annotations still go through); after a few polls the freeze holds the
same object, paused, and a new version or a resume is still refused.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from budget_support import RecordedSeries
from budgetwarden.core.freeze.admission_message import BLOCKED_MARKS as MARKS
from budgetwarden.core.freeze.admission_message import BLOCKED_RELABEL as RELABEL
from budgetwarden.core.freeze.workload_diff import template_digest
from budgetwarden.core.kernel import conventions as c
from budgetwarden.runtime import config
from budgetwarden_dev.devenv.certs import ServingCert
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from operator_support import apply, example, get, running_operator, wait_for
from poller_support import SLO_NAME, prometheus_fixture, recorded_fixture, scraped  # noqa: F401
from webhook_support import (
    certs_fixture,  # noqa: F401
    deployment,
    enforced_fixture,  # noqa: F401
    healthy,
    kubectl,
    port_fixture,  # noqa: F401
    registered_fixture,  # noqa: F401
    rollout,
    write,
)

pytestmark = [pytest.mark.cluster, pytest.mark.promtool]
DEV = ("--as=dev",)
POLLS = 4  # seconds: a few polls at one a second, for a poll to undo what the attack did


@contextmanager
def operator(namespace: str, port: int, certs: ServingCert, prometheus: PrometheusProcess,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:  # fmt: skip
    """The operator polling Prometheus every second and serving the webhook on `port`."""
    monkeypatch.setenv(config.ENV_WEBHOOK_ADDRESS, f"127.0.0.1:{port}")
    monkeypatch.setenv(config.ENV_WEBHOOK_CERT, str(certs.cert))
    monkeypatch.setenv(config.ENV_WEBHOOK_KEY, str(certs.key))
    monkeypatch.setenv(config.ENV_PROMETHEUS_URL, prometheus.url)
    monkeypatch.setenv(config.ENV_POLL_INTERVAL, "1s")
    monkeypatch.setenv(config.ENV_METRICS_PORT, "off")
    with running_operator(namespace):
        wait_for("the webhook server", lambda: healthy(port, certs))
        yield


def developer(cluster: Cluster, namespace: str) -> None:
    """`dev` gets what the built-in edit and view roles give in the namespace."""
    for rules in ("view", "edit"):  # what `edit` aggregates (no controller fills it in here)
        cluster.kubectl(
            "create", "rolebinding", f"dev-{rules}", "-n", namespace,
            f"--clusterrole=system:aggregate-to-{rules}", "--user=dev",
        )  # fmt: skip


def held(cluster: Cluster, namespace: str, name: str = "checkout-worker") -> dict[str, Any]:
    """The policy's status.heldTargets entry of workload `name` (empty when not held)."""
    status = (get(cluster, "errorbudgetpolicies", "payments", namespace) or {}).get("status")
    entries = (status or {}).get("heldTargets") or []
    return next((e for e in entries if e["name"] == name), {})


def worker(cluster: Cluster, namespace: str) -> dict[str, Any]:
    found = get(cluster, "deployment", "checkout-worker", namespace)
    assert found is not None
    return found


@pytest.fixture
def frozen(
    cluster: Cluster, enforced: str, port: int, certs: ServingCert, recorded: RecordedSeries,
    prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:  # fmt: skip
    """The payments policy in PartialFreeze, holding Deployment checkout-worker paused."""
    developer(cluster, enforced)
    recorded.set(enforced, SLO_NAME, "0.214", w1h="1", w5m="1")
    scraped(prometheus, enforced, SLO_NAME)
    apply(cluster, deployment(enforced, "worker:1.0"))
    apply(cluster, example("01-availability-ratio.yaml", enforced))
    apply(cluster, example("05-policy.yaml", enforced))
    with operator(enforced, port, certs, prometheus, monkeypatch):
        wait_for("the Deployment paused by the freeze", lambda: held(cluster, enforced).get(
            "pausedByUs") is True and worker(cluster, enforced)["spec"].get("paused"))  # fmt: skip
        yield enforced


def ships(cluster: Cluster, namespace: str) -> Any:
    """`dev` tries a new image: kubectl's result."""
    return kubectl(cluster, "set", "image", "deployment/checkout-worker", "worker=worker:2.0",
                   "-n", namespace, *DEV)  # fmt: skip


def refused(result: Any, namespace: str) -> bool:
    """Refused by the freeze on checkout-worker; a long namespace may be shortened to fit the
    denial in 600 characters (`ns[:k]...`)."""
    prefix = f"[budgetwarden] PartialFreeze on {namespace[:20]}"
    where = "/Deployment/checkout-worker: "
    return result.returncode == 1 and prefix in result.stderr and where in result.stderr


def refused_for(result: Any, namespace: str, blocked: str) -> bool:
    """Refused by the freeze, for `blocked`."""
    return refused(result, namespace) and f"Blocked: {blocked}." in result.stderr


def test_relabelling_a_held_deployment_out_of_the_selector_is_refused_and_releases_nothing(
    cluster: Cluster, frozen: str
) -> None:
    relabel = ("label", "deployment", "checkout-worker", "app=elsewhere", "--overwrite")
    assert refused_for(kubectl(cluster, *relabel, "-n", frozen, *DEV), frozen, RELABEL)
    keeps = ("label", "deployment", "checkout-worker", "team=payments")  # still selected
    assert kubectl(cluster, *keeps, "-n", frozen, *DEV).returncode == 0
    time.sleep(POLLS)
    assert worker(cluster, frozen)["metadata"]["labels"]["app"] == "checkout-worker"
    assert worker(cluster, frozen)["spec"]["paused"] is True
    record = held(cluster, frozen)  # the same object, held by uid
    assert (record["pausedByUs"], record["uid"]) == (
        True,
        worker(cluster, frozen)["metadata"]["uid"],
    )
    assert refused(ships(cluster, frozen), frozen)


def test_a_forged_stable_template_is_refused_and_a_new_version_stays_one(
    cluster: Cluster, frozen: str, tmp_path: Path
) -> None:
    elsewhere = cluster.create_namespace("scratch")  # where v2's defaulted template is seen
    cluster.kubectl("apply", "-f", str(write(tmp_path, "v2", deployment(elsewhere, "worker:2.0"))))
    v2 = template_digest((get(cluster, "deployment", "checkout-worker", elsewhere) or {})["spec"][
        "template"])  # fmt: skip
    recorded = held(cluster, frozen)["stableTemplate"]
    forge = f"{c.ANNOTATION_STABLE_TEMPLATE}={v2}"
    annotate = ("annotate", "deployment", "checkout-worker", forge, "--overwrite")
    assert refused_for(kubectl(cluster, *annotate, "-n", frozen, *DEV), frozen, MARKS)
    other = ("annotate", "deployment", "checkout-worker", "team.example/owner=payments")
    assert kubectl(cluster, *other, "-n", frozen, *DEV).returncode == 0
    time.sleep(POLLS)
    assert held(cluster, frozen)["stableTemplate"] == recorded != v2
    annotations = worker(cluster, frozen)["metadata"]["annotations"]
    assert annotations[c.ANNOTATION_STABLE_TEMPLATE] == recorded
    assert refused(ships(cluster, frozen), frozen)
    cluster.kubectl("delete", "namespace", elsewhere, "--wait=false")


def test_stripping_paused_by_is_refused_and_the_pause_stays_budgetwardens(
    cluster: Cluster, frozen: str
) -> None:
    strip = ("annotate", "deployment", "checkout-worker", f"{c.ANNOTATION_PAUSED_BY}-")
    assert refused_for(kubectl(cluster, *strip, "-n", frozen, *DEV), frozen, MARKS)
    time.sleep(POLLS)
    assert held(cluster, frozen)["pausedByUs"] is True
    annotations = worker(cluster, frozen)["metadata"]["annotations"]
    assert annotations[c.ANNOTATION_PAUSED_BY].startswith("budgetwarden/payments/fz-")
    resume = kubectl(cluster, "rollout", "resume", "deployment/checkout-worker", "-n", frozen, *DEV)
    assert resume.returncode == 1
    assert "resuming a workload budgetwarden paused" in resume.stderr
    assert worker(cluster, frozen)["spec"]["paused"] is True


def history(cluster: Cluster, namespace: str) -> None:
    """Deployment checkout-worker at revision 2 (worker:2.0-bad, fully rolled out before the
    freeze) with the ReplicaSets a Deployment controller keeps: revision 1 ran worker:1.0."""
    bad = deployment(namespace, "worker:2.0-bad")
    bad["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "2"}
    apply(cluster, bad)
    uid = worker(cluster, namespace)["metadata"]["uid"]
    for revision, image in (("1", "worker:1.0"), ("2", "worker:2.0-bad")):
        rs = deployment(namespace, image)
        rs["kind"], rs["metadata"]["name"] = "ReplicaSet", f"checkout-worker-r{revision}"
        rs["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": revision}
        rs["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "Deployment",
            "name": "checkout-worker", "uid": uid, "controller": True}]  # fmt: skip
        rs["spec"]["replicas"] = 0
        apply(cluster, rs)


@pytest.fixture
def frozen_after_a_bad_release(
    cluster: Cluster, enforced: str, port: int, certs: ServingCert, recorded: RecordedSeries,
    prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:  # fmt: skip
    """PartialFreeze over a Deployment whose bad version finished rolling out before it;
    `inFlight: Ignore`, so nothing is paused (kubectl refuses to undo a paused Deployment)."""
    developer(cluster, enforced)
    recorded.set(enforced, SLO_NAME, "0.214", w1h="1", w5m="1")
    scraped(prometheus, enforced, SLO_NAME)
    history(cluster, enforced)
    policy = example("05-policy.yaml", enforced)
    policy["spec"]["inFlight"] = "Ignore"
    apply(cluster, example("01-availability-ratio.yaml", enforced))
    apply(cluster, policy)
    with operator(enforced, port, certs, prometheus, monkeypatch):
        wait_for("the freeze to record the revision before the stable one",
                 lambda: held(cluster, enforced).get("previousTemplate"))  # fmt: skip
        yield enforced


def test_rollout_undo_to_the_last_good_revision_is_allowed_during_a_freeze(
    cluster: Cluster, frozen_after_a_bad_release: str
) -> None:
    namespace = frozen_after_a_bad_release
    undo = kubectl(cluster, "rollout", "undo", "deployment/checkout-worker", "-n", namespace, *DEV)
    assert (undo.returncode, "denied" in undo.stderr) == (0, False), undo.stderr
    image = worker(cluster, namespace)["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "worker:1.0"
    again = kubectl(cluster, "set", "image", "deployment/checkout-worker", "worker=worker:3.0",
                    "-n", namespace, *DEV)  # fmt: skip
    assert refused(again, namespace)


@pytest.fixture
def frozen_with_workload_ref(
    cluster: Cluster, enforced: str, port: int, certs: ServingCert, recorded: RecordedSeries,
    prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:  # fmt: skip
    """PartialFreeze holding Rollout checkout, whose pod template is Deployment
    checkout-template's (spec.workloadRef); no target selects that Deployment."""
    developer(cluster, enforced)
    recorded.set(enforced, SLO_NAME, "0.214", w1h="1", w5m="1")
    scraped(prometheus, enforced, SLO_NAME)
    apply(cluster, deployment(enforced, "checkout:1.0", name="checkout-template"))
    by_ref = rollout(enforced, "unused")
    del by_ref["spec"]["template"]
    by_ref["spec"]["workloadRef"] = {"apiVersion": "apps/v1", "kind": "Deployment",
                                     "name": "checkout-template"}  # fmt: skip
    apply(cluster, by_ref)
    apply(cluster, example("01-availability-ratio.yaml", enforced))
    apply(cluster, example("05-policy.yaml", enforced))
    with operator(enforced, port, certs, prometheus, monkeypatch):
        wait_for("the Rollout held with the Deployment that holds its template",
                 lambda: held(cluster, enforced, "checkout").get("templateFrom"))  # fmt: skip
        yield enforced


def test_the_deployment_a_held_rollouts_workload_ref_names_is_judged_as_the_rollout(
    cluster: Cluster, frozen_with_workload_ref: str
) -> None:
    namespace = frozen_with_workload_ref
    assert held(cluster, namespace, "checkout")["templateFrom"] == "checkout-template"
    assert held(cluster, namespace, "checkout-template") == {}  # not a target of its own
    ship = kubectl(cluster, "set", "image", "deployment/checkout-template", "worker=checkout:2.0",
                   "-n", namespace, *DEV)  # fmt: skip
    prefix = f"[budgetwarden] PartialFreeze on {namespace}/Deployment/checkout-template:"
    assert (ship.returncode, prefix in ship.stderr) == (1, True), ship.stderr
    scale = kubectl(cluster, "scale", "deployment/checkout-template", "--replicas=0",
                    "-n", namespace, *DEV)  # fmt: skip
    assert scale.returncode == 0, scale.stderr
