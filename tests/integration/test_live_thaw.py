"""A freeze that outlasts a canary's timed pause step, thawed against the real Argo Rollouts
controller on the live cluster.

The canary stands at `pause: {duration: 15s}` (step 2/4) when the budget read from a real
Prometheus falls and the operator (in-process, polling every second) pauses it. The controller
keeps counting the step while spec.paused holds the Rollout, so by the thaw the step has run out.
Under `pauseStepAtThaw: Continue` the canary moves on within moments of the thaw (the behaviour
the option exists for); under `Restart` the operator begins the step's count again before it
unpauses, and the canary waits the whole step after the thaw; under `Hold` the Rollout stays
paused with an Event, free of budgetwarden, until a person unpauses it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from budget_support import RecordedSeries
from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from live_freeze_support import operator_settings
from live_support import (
    IMAGE,
    LiveCluster,
    create,
    rollout_at,
    status,
    workload,
)
from operator_support import events, example, get, running_operator, wait_for
from poller_support import (  # noqa: F401
    SLO_NAME,
    policy_where,
    prometheus_fixture,
    recorded_fixture,
    scraped,
)

pytestmark = [pytest.mark.live, pytest.mark.cluster, pytest.mark.promtool]
STEP_SECONDS = 15
STEPS = [{"setWeight": 20}, {"pause": {"duration": f"{STEP_SECONDS}s"}}, {"setWeight": 50},
         {"pause": {}}]  # fmt: skip
TIMED_STEP = 1  # the `pause: {duration: 15s}` step


def rollout(live: LiveCluster, namespace: str) -> dict[str, Any]:
    return get(live.cluster, "rollout", "web", namespace) or {}


def step_started(live: LiveCluster, namespace: str) -> datetime:
    """The startTime of the Rollout's CanaryPauseStep condition."""
    (found,) = status(live, "rollout", namespace)["pauseConditions"]
    assert found["reason"] == "CanaryPauseStep"
    return datetime.fromisoformat(found["startTime"])


def since(moment: datetime) -> float:
    return (datetime.now(UTC) - moment).total_seconds()


@dataclass
class Timeline:
    """When things happened, printed after the operator stops (it captures stdout while it runs)."""

    recovered: datetime  # the budget back above the thresholds
    frozen_after: float  # seconds into the step when the freeze's pause was seen
    figures: list[str] = field(default_factory=list)

    def report(self, line: str) -> None:
        self.figures.append(line)

    def __str__(self) -> str:
        return "\n".join([f"paused {self.frozen_after:.1f}s into the step", *self.figures])


@contextmanager
def thawed_after_the_step_ran_out(
    live: LiveCluster, namespace: str, setting: str, recorded: RecordedSeries,
    prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Timeline]:  # fmt: skip
    """The canary frozen at its timed pause step until the step ran out, then the budget
    recovers; yields the timeline so far, with the operator still running."""
    create(live, namespace, workload("Rollout", 5, strategy={"canary": {"steps": STEPS}}))
    wait_for("revision 1 Healthy", lambda: rollout_at(live, namespace, len(STEPS), "Healthy"))
    recorded.set(namespace, SLO_NAME, "0.9", w1h="0", w5m="0")
    scraped(prometheus, namespace, SLO_NAME)
    policy = example("05-policy.yaml", namespace)
    policy["spec"] |= {
        "targets": [{"kind": "Rollout", "selector": {"matchLabels": {"app": "web"}}}],
        "hysteresis": {"minimumHold": "1s", "exitMarginPercent": "0"},
        "pauseStepAtThaw": setting,
    }
    for resource in (example("01-availability-ratio.yaml", namespace), policy):
        live.cluster.kubectl("apply", "-f", "-", input=json.dumps(resource))
    operator_settings(live, namespace, prometheus, monkeypatch)
    with running_operator(namespace):
        policy_where(live.cluster, namespace, level="Normal")
        live.argo_rollouts("set", "image", "web", f"web={IMAGE}:2", "-n", namespace)
        wait_for("the timed pause step", lambda: rollout_at(live, namespace, TIMED_STEP, "Paused"))
        started = step_started(live, namespace)
        recorded.set(namespace, SLO_NAME, "0.214", w1h="1", w5m="1")  # the budget falls
        wait_for("the freeze's pause", lambda: rollout(live, namespace)["spec"].get("paused"))
        frozen_after = since(started)
        assert status(live, "rollout", namespace)["currentStepIndex"] == TIMED_STEP
        time.sleep(max(0.0, STEP_SECONDS + 3 - since(started)))  # the step runs out, frozen
        assert status(live, "rollout", namespace)["currentStepIndex"] == TIMED_STEP
        recorded.set(namespace, SLO_NAME, "0.9", w1h="0", w5m="0")  # the budget recovers
        timeline = Timeline(datetime.now(UTC), frozen_after)
        yield timeline
    print(f"\n{setting}, {STEP_SECONDS}s step: {timeline}")


def unpaused(live: LiveCluster, namespace: str) -> datetime:
    wait_for("the thaw's unpause", lambda: rollout(live, namespace)["spec"].get("paused") is False)
    return datetime.now(UTC)


def moved_on(live: LiveCluster, namespace: str, timeout: float) -> datetime:
    """The moment the controller takes the canary past the timed step."""
    wait_for("the canary past the timed step", lambda: status(live, "rollout", namespace).get(
        "currentStepIndex", 0) > TIMED_STEP, timeout)  # fmt: skip
    return datetime.now(UTC)


def reasons(live: LiveCluster, namespace: str) -> list[tuple[str, str]]:
    return [e for e in events(live.cluster, namespace, "web") if e[1] != "RolloutUpdated"]


def test_continue_lets_the_canary_past_the_step_at_once(
    live_cluster: LiveCluster, live_namespace: str, recorded: RecordedSeries,
    prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    namespace = live_namespace
    with thawed_after_the_step_ran_out(live_cluster, namespace, "Continue", recorded, prometheus,
                                       monkeypatch) as timeline:  # fmt: skip
        thawed = unpaused(live_cluster, namespace)
        moved = moved_on(live_cluster, namespace, timeout=10)
        timeline.report(f"past the step {(moved - thawed).total_seconds():.1f}s after the unpause")
        assert moved - thawed < timedelta(seconds=5)
        assert ("Normal", c.EVENT_PAUSE_STEP_ELAPSED) in reasons(live_cluster, namespace)


def test_restart_makes_the_canary_wait_the_whole_step_after_the_thaw(
    live_cluster: LiveCluster, live_namespace: str, recorded: RecordedSeries,
    prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    namespace = live_namespace
    with thawed_after_the_step_ran_out(live_cluster, namespace, "Restart", recorded, prometheus,
                                       monkeypatch) as timeline:  # fmt: skip
        thawed = unpaused(live_cluster, namespace)
        restarted = step_started(live_cluster, namespace)
        assert timeline.recovered - timedelta(seconds=1) <= restarted <= thawed
        moved = moved_on(live_cluster, namespace, timeout=STEP_SECONDS + 10)
        held = (moved - thawed).total_seconds()
        timeline.report(f"unpaused {(thawed - timeline.recovered).total_seconds():.1f}s after "
                        f"the budget recovered; startTime rewritten to {restarted:%H:%M:%S} "
                        f"(unpause seen at {thawed:%H:%M:%S.%f}); past the step {held:.1f}s "
                        "after the unpause")  # fmt: skip
        assert STEP_SECONDS - 3 <= held <= STEP_SECONDS + 5
        found = reasons(live_cluster, namespace)
        assert {("Normal", c.EVENT_PAUSE_STEP_RESTARTED), ("Normal", c.EVENT_RESUMED)} <= set(found)


def test_hold_leaves_the_canary_paused_for_a_person_to_move_on(
    live_cluster: LiveCluster, live_namespace: str, recorded: RecordedSeries,
    prometheus: PrometheusProcess, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    namespace = live_namespace
    with thawed_after_the_step_ran_out(live_cluster, namespace, "Hold", recorded, prometheus,
                                       monkeypatch) as timeline:  # fmt: skip
        wait_for("the HeldAtThaw Event", lambda: ("Normal", c.EVENT_HELD_AT_THAW) in reasons(
            live_cluster, namespace))  # fmt: skip
        policy_where(live_cluster.cluster, namespace, level="Normal")
        time.sleep(3)  # several polls and controller syncs: it stays where it is
        held = rollout(live_cluster, namespace)
        assert held["spec"]["paused"] is True
        assert c.ANNOTATION_PAUSED_BY not in held["metadata"].get("annotations", {})
        assert held["status"]["currentStepIndex"] == TIMED_STEP
        assert ("Normal", c.EVENT_RESUMED) not in reasons(live_cluster, namespace)
        timeline.report(f"still paused at the step {since(timeline.recovered):.1f}s after the "
                        "budget recovered")  # fmt: skip
        # a person moves it on as the Event says: the step ran out, so an unpause ends it
        live_cluster.cluster.kubectl("patch", "rollout", "web", "-n", namespace, "--type",
                                     "merge", "-p", '{"spec":{"paused":false}}')  # fmt: skip
        unpaused_by_hand = datetime.now(UTC)
        moved = moved_on(live_cluster, namespace, timeout=10)
        timeline.report(f"past the step {(moved - unpaused_by_hand).total_seconds():.1f}s after "
                        "a person unpaused it")  # fmt: skip
        assert moved - unpaused_by_hand < timedelta(seconds=5)
