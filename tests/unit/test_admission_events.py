"""FreezeExceptionUsed Events from the admission reviewers, bounded whatever reaches the webhook.

The reviewers of runtime/admission.py (`Admission`) answer from a registry holding examples/05's
policy in a PartialFreeze and examples/06's approved exception for Rollout checkout; their
`event_poster` posts to a fake cluster that records each Event. The reviewers are called from a
worker thread, as the webhook server calls them; the clock is the test's.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from budgetwarden.runtime.admission import Admission, event_poster
from budgetwarden.runtime.registry import Registry
from operator_support import EXAMPLES

LOG = logging.getLogger("test_admission_events")
USED = "FreezeExceptionUsed"
EXCEPTION = "checkout-hotfix-4711"


class Recorded:
    """The Events posted: (involved object's name, type, reason)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def post_event(self, involved: Any, type_: str, reason: str, _: str, __: datetime) -> None:
        self.events.append((involved["metadata"]["name"], type_, reason))


class Clock:
    """Seconds, set by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def frozen_registry() -> Registry:
    """examples/05 in a PartialFreeze holding Rollout checkout; examples/06, approved."""
    registry = Registry()
    policy = yaml.safe_load((EXAMPLES / "05-policy.yaml").read_text())
    policy["metadata"] |= {"uid": "u-policy", "resourceVersion": "3"}
    policy["status"] = {"level": "PartialFreeze", "since": "2026-11-29T10:14:00Z",
                        "freezeId": "fz-7c2e",
                        "heldTargets": [{"kind": "Rollout", "name": "checkout"}]}  # fmt: skip
    exception = yaml.safe_load((EXAMPLES / "06-freeze-exception.yaml").read_text())
    exception["metadata"] |= {"uid": "u-exception", "resourceVersion": "4"}
    expires = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    exception["spec"] |= {"approvedBy": "alice", "expiresAt": expires}
    registry.observe("errorbudgetpolicies", None, policy)
    registry.observe("freezeexceptions", None, exception)
    return registry


def review(name: str = "checkout", **request: Any) -> dict[str, Any]:
    """A new image for Rollout `name` in shop, as kube-apiserver sends it; `request` overrides
    fields (None removes one)."""
    labels = {"app": "checkout"}
    containers = [{"name": "checkout", "image": "checkout:1"}]
    template = {"metadata": {"labels": labels}, "spec": {"containers": containers}}
    old = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
           "metadata": {"name": name, "namespace": "shop", "uid": f"u-{name}", "labels": labels},
           "spec": {"template": template}}  # fmt: skip
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "checkout:2"
    fields = {
        "uid": f"uid-{name}", "kind": {"group": "argoproj.io", "version": "v1alpha1",
        "kind": "Rollout"}, "name": name, "namespace": "shop", "operation": "UPDATE",
        "userInfo": {"username": "bob"}, "object": new, "oldObject": old, "dryRun": False,
    } | request  # fmt: skip
    kept = {key: value for key, value in fields.items() if value is not None}
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": kept}


def allowed_by_exception(answer: Any) -> bool:
    response = answer["response"]
    return response["allowed"] is True and response["auditAnnotations"]["exception"] == EXCEPTION


def test_each_exception_and_workload_gets_one_event_pair_a_minute() -> None:
    async def scenario() -> tuple[list[int], list[tuple[str, str, str]]]:
        kube, clock, registry = Recorded(), Clock(), frozen_registry()
        poster = event_poster(kube, registry, LOG, clock=clock)  # type: ignore[arg-type]
        admission = Admission(registry, on_exception_used=poster)
        counts = []
        for second in (0, 10, 59, 60, 61, 119, 120, 121):  # since the first use
            clock.now = 1000.0 + second
            answer = await asyncio.to_thread(admission.workloads, review())
            assert allowed_by_exception(answer)
            await poster.flush()
            counts.append(len(kube.events))
        answer = await asyncio.to_thread(admission.workloads, review("other"))
        await poster.flush()
        return counts, kube.events

    counts, events = asyncio.run(scenario())
    assert counts == [2, 2, 2, 4, 4, 4, 6, 6]
    assert events[:2] == [("checkout", "Normal", USED), (EXCEPTION, "Normal", USED)]
    assert len(events) == 6  # Rollout other: not covered by the exception, nothing used


@pytest.mark.parametrize(
    "missing",
    [
        pytest.param({"uid": None}, id="without a uid"),
        pytest.param({"userInfo": None}, id="without userInfo"),
        pytest.param({"userInfo": {"username": ""}}, id="with an empty username"),
        pytest.param({"userInfo": {"username": 7}}, id="with a username that is not a string"),
        pytest.param({"kind": None}, id="without a kind"),
        pytest.param({"namespace": None}, id="without a namespace"),
        pytest.param({"object": None}, id="without an object"),
        pytest.param({"dryRun": True}, id="for a dry run"),
    ],
)
def test_reviews_a_real_api_server_would_not_send_post_nothing(missing: dict[str, Any]) -> None:
    async def scenario() -> list[tuple[str, str, str]]:
        kube, registry = Recorded(), frozen_registry()
        poster = event_poster(kube, registry, LOG)  # type: ignore[arg-type]
        admission = Admission(registry, on_exception_used=poster)
        await asyncio.to_thread(admission.workloads, review(**missing))
        await poster.flush()
        return kube.events

    assert asyncio.run(scenario()) == []


def test_a_flood_is_dropped_and_counted_instead_of_queued(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> list[tuple[str, str, str]]:
        kube, clock = Recorded(), Clock()
        poster = event_poster(kube, frozen_registry(), LOG, clock=clock, capacity=2)  # type: ignore[arg-type]
        message = "allowed by FreezeException"
        for i in range(5):  # nothing is posted until this coroutine waits: the queue fills
            poster(review(f"w{i}"), EXCEPTION, message)
        clock.now += 60
        for i in range(5, 8):
            poster(review(f"w{i}"), EXCEPTION, message)
        await poster.flush()
        return kube.events

    with caplog.at_level(logging.WARNING, logger=LOG.name):
        events = asyncio.run(scenario())
    assert [name for name, _, _ in events] == ["w0", EXCEPTION, "w1", EXCEPTION]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "FreezeExceptionUsed Events dropped: 1 so far, the queue of 2 is full",
        "FreezeExceptionUsed Events dropped: 4 so far, the queue of 2 is full",
    ]
