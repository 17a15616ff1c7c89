"""Lifting a freeze's pause from a canary at a timed pause step (spec.pauseStepAtThaw): the step
as read from a Rollout, and the whole actions the planner takes for each setting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from budgetwarden.adapters.kube.workloads import workload_of
from budgetwarden.core.freeze.enforcement import plan
from budgetwarden.core.freeze.pause_step import (
    PauseCondition,
    PauseStep,
    duration_seconds,
    pause_step_of,
)
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.kernel.wire import format_time
from budgetwarden.core.policy.spec import TargetKind, parse_policy
from budgetwarden.core.policy.status_model import HeldTarget
from enforcement_support import (
    FID,
    HELD,
    MARKED,
    NOW,
    PARTIAL,
    RELEASED,
    UNMARKED,
    exception,
    policy,
    rollout,
    state,
)

STEPS = [{"setWeight": 20}, {"pause": {"duration": "20s"}}, {"setWeight": 50}, {"pause": {}}]


def canary(index: int | None, *conditions: dict[str, str], steps: Any = STEPS) -> dict:
    """A Rollout object at step `index` with these pause conditions."""
    status: dict[str, Any] = {"pauseConditions": list(conditions)}
    if index is not None:
        status["currentStepIndex"] = index
    return {"spec": {"strategy": {"canary": {"steps": steps}}}, "status": status}


def begun(seconds_ago: int) -> dict[str, str]:
    return {
        "reason": "CanaryPauseStep",
        "startTime": format_time(NOW - timedelta(seconds=seconds_ago)),
    }


def step(seconds: int | None, seconds_ago: int = 30) -> PauseStep:
    """Step 2/4, a pause of `seconds`, begun `seconds_ago` before NOW."""
    started = NOW - timedelta(seconds=seconds_ago)
    return PauseStep(1, 4, seconds, (PauseCondition("CanaryPauseStep", format_time(started)),))


READING = [
    pytest.param(canary(1, begun(30)), step(20),
                 id="a canary at a timed pause step, with the controller's count"),
    pytest.param(canary(1), PauseStep(1, 4, 20),
                 id="a timed pause step the controller has not begun counting"),
    pytest.param(canary(3, begun(30)), PauseStep(3, 4, None, step(20).conditions),
                 id="an indefinite pause step has no duration"),
    pytest.param(canary(0), None, id="a setWeight step is no pause step"),
    pytest.param(canary(4), None, id="a canary past its last step stands at none"),
    pytest.param(canary(None), None, id="a Rollout no controller reported on stands at none"),
    pytest.param({"spec": {"strategy": {"blueGreen": {}}}, "status": {"currentStepIndex": 0}},
                 None, id="a blue-green Rollout has no steps"),
]  # fmt: skip


@pytest.mark.parametrize(("obj", "expected"), READING)
def test_pause_step_of(obj: dict, expected: PauseStep | None) -> None:
    assert pause_step_of(obj) == expected


DURATIONS = [
    pytest.param(None, None, id="no duration waits for a promote"),
    pytest.param(30, 30, id="an integer is seconds"),
    pytest.param("45", 45, id="a string of digits is seconds"),
    pytest.param("1m30s", 90, id="a Go duration"),
    pytest.param("1.5h", 5400, id="a Go duration with a fraction"),
    pytest.param("2500ms", 2, id="cut to whole seconds, as the controller does"),
    pytest.param("soon", -1, id="what the controller cannot read either"),
]  # fmt: skip


@pytest.mark.parametrize(("duration", "seconds"), DURATIONS)
def test_duration_seconds(duration: Any, seconds: int | None) -> None:
    assert duration_seconds(duration) == seconds


def test_a_step_runs_out_once_its_duration_has_passed_since_the_count_began() -> None:
    assert [step(20, ago).ran_out(NOW) for ago in (19, 20, 21)] == [False, True, True]
    assert [step(None).ran_out(NOW), PauseStep(1, 4, 20).ran_out(NOW)] == [False, False]


def test_a_restart_rewrites_only_the_pause_steps_start() -> None:
    other = {"reason": "BlueGreenPause", "startTime": "2026-11-29T11:00:00Z"}
    read = pause_step_of(canary(1, other, begun(30)))
    assert read is not None and read.restarted(NOW) == [
        other, {"reason": "CanaryPauseStep", "startTime": "2026-11-29T12:00:00Z"}]  # fmt: skip


def test_a_rollout_is_read_with_its_pause_step_and_a_deployment_without() -> None:
    obj = {"metadata": {"name": "checkout"}, **canary(1, begun(30))}
    assert workload_of(TargetKind.ROLLOUT, obj).pause_step == step(20)
    assert workload_of(TargetKind.DEPLOYMENT, obj).pause_step is None


NORMAL = state(Level.NORMAL, "", None)
RESUMED, RESTARTED = c.EVENT_RESUMED, c.EVENT_PAUSE_STEP_RESTARTED
HELD_AT_THAW, ELAPSED = c.EVENT_HELD_AT_THAW, c.EVENT_PAUSE_STEP_ELAPSED

LIFTS = [
    pytest.param("Restart", step(20), (False, NOW, (RESUMED, RESTARTED)),
                 id="Restart begins the step's count again and resumes"),
    pytest.param("Restart", step(20, 5), (False, NOW, (RESUMED, RESTARTED)),
                 id="Restart begins the count again even with time left: frozen time counts not"),
    pytest.param("Hold", step(20), (None, None, (HELD_AT_THAW,)),
                 id="Hold leaves a canary whose step ran out paused, and lets go of it"),
    pytest.param("Hold", step(20, 5), (False, None, (RESUMED,)),
                 id="Hold resumes a canary whose step has time left"),
    pytest.param("Continue", step(20), (False, None, (RESUMED, ELAPSED)),
                 id="Continue resumes, saying the step ran out during the freeze"),
    pytest.param("Continue", step(20, 5), (False, None, (RESUMED,)),
                 id="Continue resumes a canary whose step has time left as before"),
    pytest.param("Hold", step(None), (False, None, (RESUMED,)),
                 id="an indefinite pause step is resumed as before"),
    pytest.param("Restart", PauseStep(1, 4, 20), (False, None, (RESUMED,)),
                 id="a step the controller has not begun counting is resumed as before"),
    pytest.param("Hold", None, (False, None, (RESUMED,)),
                 id="a Rollout at no pause step is resumed as before"),
]  # fmt: skip


@pytest.mark.parametrize(("setting", "at", "expected"), LIFTS)
def test_lifting_the_pause_at_the_thaw(
    setting: str, at: PauseStep | None, expected: tuple[Any, ...]
) -> None:
    workload = rollout(HELD, paused=True, pause_step=at)
    (action,) = plan(policy(pauseStepAtThaw=setting), NORMAL, [workload], now=NOW)
    assert dict(action.annotations) == RELEASED
    reasons = tuple(n.reason for n in action.notes)
    assert (action.paused, action.restart_pause_step, reasons) == expected


def test_a_persons_pause_at_a_timed_step_is_left_to_them() -> None:
    workload = rollout(MARKED, paused=True, pause_step=step(20))
    (action,) = plan(policy(pauseStepAtThaw="Restart"), NORMAL, [workload], now=NOW)
    assert (dict(action.annotations), action.paused, action.restart_pause_step) == (
        UNMARKED, None, None)  # fmt: skip


def test_a_held_canary_is_not_announced_again_while_the_status_still_records_the_pause() -> None:
    workload = rollout(paused=True, pause_step=step(20))
    record = HeldTarget("Rollout", "checkout", True, "", "")
    assert plan(policy(pauseStepAtThaw="Hold"), NORMAL, [workload], now=NOW, held=[record]) == []


def test_a_freeze_exception_lifts_the_pause_as_the_thaw_does() -> None:
    workload = rollout(HELD, paused=True, pause_step=step(20))
    (action,) = plan(policy(), state(PARTIAL), [workload], now=NOW, exceptions=[exception()])
    assert (action.paused, action.restart_pause_step) == (False, NOW)


def test_the_held_event_says_why_and_how_to_move_on() -> None:
    workload = rollout(HELD, paused=True, pause_step=step(20))
    (action,) = plan(policy(pauseStepAtThaw="Hold"), NORMAL, [workload], now=NOW)
    assert [(n.type, n.message) for n in action.notes] == [(
        "Normal",
        f"Left paused at step 2/4 (pause: 20s): the step ran out during freeze {FID} of "
        "ErrorBudgetPolicy payments (pauseStepAtThaw: Hold), so resuming would move the canary "
        "on at once. budgetwarden no longer holds it. To move on, unpause it: `kubectl patch "
        "rollout checkout -n shop --type merge -p '{\"spec\":{\"paused\":false}}'`; to go back "
        "to the stable version, `kubectl argo rollouts abort checkout -n shop`, then unpause it. "
        "See https://github.com/budgetwarden/budgetwarden/blob/main/runbooks/reasons/HeldAtThaw.md",
    )]  # fmt: skip


def test_the_default_is_restart() -> None:
    resource = {"metadata": {"name": "payments", "namespace": "shop"}, "spec": {}}
    assert parse_policy(resource).spec.pause_step_at_thaw == "Restart"
