"""What a policy's level makes of its targets: the stance taken, and the targets it holds."""

from __future__ import annotations

from typing import Any

import pytest

from budgetwarden.core.freeze.enforcement import Stance, held_targets, stance_of
from budgetwarden.core.freeze.workload import Workload
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.decide import PolicyState
from budgetwarden.core.policy.status_model import HeldTarget
from enforcement_support import HELD, PARTIAL, STABLE, WARN, deployment, policy, rollout, state

STANCES = [
    pytest.param({}, Level.FULL_FREEZE, Stance.FREEZE, id="a full freeze freezes"),
    pytest.param({}, Level.WARNING, Stance.WARN, id="Warning warns"),
    pytest.param({}, Level.NORMAL, Stance.THAW, id="Normal thaws"),
    pytest.param({}, Level.UNKNOWN, Stance.HOLD, id="Unknown holds under Hold"),
    pytest.param({"onMetricsUnavailable": "Freeze"}, Level.UNKNOWN, Stance.HOLD,
                 id="Unknown holds under Freeze"),
    pytest.param({"onMetricsUnavailable": "Thaw"}, Level.UNKNOWN, Stance.THAW,
                 id="Unknown thaws under Thaw"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "level", "expected"), STANCES)
def test_stance(spec: dict[str, Any], level: Level, expected: Stance) -> None:
    assert stance_of(policy(**spec), state(level)) is expected


HELD_CASES = [
    pytest.param({}, state(PARTIAL), [rollout(HELD, paused=True), rollout(paused=True, app="x"),
                 deployment(paused=True)],
                 (HeldTarget("Deployment", "checkout-worker", False, STABLE, "u2"),
                  HeldTarget("Rollout", "checkout", True, STABLE)),
                 id="a freeze holds every target; pausedByUs only where paused-by is ours"),
    pytest.param({"enforcement": "Warn"}, state(PARTIAL), [rollout(HELD, paused=True)],
                 (HeldTarget("Rollout", "checkout", False, STABLE),),
                 id="under Warn nothing is paused by us"),
    pytest.param({}, state(Level.UNKNOWN, "", None), [rollout(HELD, paused=True), deployment()],
                 (HeldTarget("Rollout", "checkout", True, STABLE),),
                 id="Unknown keeps holding what the policy marked"),
    pytest.param({}, state(Level.WARNING, WARN, None), [rollout(HELD, paused=True)], (),
                 id="Warning holds nothing"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "given", "workloads", "expected"), HELD_CASES)
def test_held_targets(
    spec: dict[str, Any],
    given: PolicyState,
    workloads: list[Workload],
    expected: tuple[HeldTarget, ...],
) -> None:
    assert held_targets(policy(**spec), given, workloads) == expected
