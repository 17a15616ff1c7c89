"""The enforcement planner: one row per rule, whole actions, and the Events it records."""

from __future__ import annotations

from typing import Any

import pytest

from budgetwarden.core.freeze.enforcement import plan
from budgetwarden.core.freeze.workload import Workload
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.assess import Rule
from budgetwarden.core.policy.decide import Decision, PolicyState
from enforcement_support import (
    FID,
    FULL,
    FULL_FREEZE,
    HELD,
    LATER,
    MARKED,
    NOW,
    OLD_FID,
    PARTIAL,
    PAUSE,
    REASON,
    RELEASED,
    UNMARKED,
    WARN,
    brief,
    deployment,
    exception,
    marks,
    policy,
    rollout,
    state,
)

CASES = [
    pytest.param({}, state(PARTIAL), [rollout()], {},
                 [("checkout", {**MARKED, **PAUSE}, True, False, ("Paused",), False)],
                 id="a freeze marks a running target, pauses it and records paused-by"),
    pytest.param({}, state(PARTIAL), [rollout(paused=True)], {},
                 [("checkout", MARKED, None, False, (), False)],
                 id="a target a person paused is marked but never gets paused-by"),
    pytest.param({}, state(PARTIAL), [rollout(HELD, paused=True)], {}, [],
                 id="a target already held by this freeze gets nothing"),
    pytest.param({}, state(PARTIAL, LATER), [rollout(HELD, paused=True)], {}, [],
                 id="the reason stays the one the level began with while the budget moves"),
    pytest.param({}, state(PARTIAL), [rollout(HELD)], {},
                 [("checkout", {}, True, False, ("PauseReasserted",), False)],
                 id="a target resumed during the same freeze is paused again with a warning"),
    pytest.param({}, state(FULL_FREEZE, FULL), [rollout(HELD, paused=True)], {},
                 [("checkout", {c.ANNOTATION_FREEZE_LEVEL: "FullFreeze",
                                c.ANNOTATION_FREEZE_REASON: FULL}, None, False, (), False)],
                 id="partial to full freeze rewrites only the level and its reason"),
    pytest.param({}, state(PARTIAL), [rollout(marks(fid=OLD_FID), paused=True)], {},
                 [("checkout", {c.ANNOTATION_FREEZE_ID: FID}, None, False, (), False)],
                 id="a new freeze over a person's pause renews the marks only"),
    pytest.param({}, state(PARTIAL), [rollout(marks(**{c.ANNOTATION_PAUSED_BY:
                 f"budgetwarden/payments/{OLD_FID}"}, fid=OLD_FID), paused=True)], {},
                 [("checkout", {c.ANNOTATION_FREEZE_ID: FID, **PAUSE}, None, False, (), False)],
                 id="a pause of an earlier freeze of this policy is carried over without an event"),
    pytest.param({}, state(PARTIAL), [rollout(marks(**{c.ANNOTATION_PAUSED_BY:
                 f"budgetwarden/payments/{OLD_FID}"}, fid=OLD_FID))], {},
                 [("checkout", {c.ANNOTATION_FREEZE_ID: FID, **PAUSE}, True, False, ("Paused",),
                   False)],
                 id="resumed during an earlier freeze, a target is paused as new, not again"),
    pytest.param({}, state(Level.NORMAL, "", None), [rollout(HELD, paused=True)], {},
                 [("checkout", RELEASED, False, False, ("Resumed",), False)],
                 id="at Normal what this policy paused is resumed and unmarked"),
    pytest.param({}, state(Level.NORMAL, "", None), [rollout(MARKED, paused=True)], {},
                 [("checkout", UNMARKED, None, False, (), False)],
                 id="at Normal a person's pause stays and only the marks go"),
    pytest.param({}, state(Level.NORMAL, "", None), [rollout(HELD)], {},
                 [("checkout", RELEASED, None, False, (), False)],
                 id="at Normal a target a person resumed loses paused-by and marks"),
    pytest.param({}, state(Level.NORMAL, "", None), [rollout()], {}, [],
                 id="at Normal an untouched target gets nothing"),
    pytest.param({}, state(Level.WARNING, WARN, None), [rollout()], {},
                 [("checkout", {c.ANNOTATION_POLICY: "payments", c.ANNOTATION_FREEZE_LEVEL:
                                "Warning", c.ANNOTATION_FREEZE_REASON: WARN}, None, False, (),
                   False)],
                 id="Warning marks the level and reason without a freeze id"),
    pytest.param({}, state(Level.WARNING, WARN, None), [rollout(HELD, paused=True)], {},
                 [("checkout", {c.ANNOTATION_FREEZE_LEVEL: "Warning", c.ANNOTATION_FREEZE_REASON:
                                WARN, c.ANNOTATION_FREEZE_ID: None, c.ANNOTATION_STABLE_TEMPLATE:
                                None, c.ANNOTATION_PAUSED_BY: None}, False, False, ("Resumed",),
                   False)],
                 id="back at Warning what this policy paused is resumed and the warning stays"),
    pytest.param({"inFlight": "Abort"}, state(PARTIAL), [rollout(in_flight=True)], {},
                 [("checkout", MARKED, None, True, ("Aborted",), False)],
                 id="Abort aborts a rollout with an update in flight and leaves it unpaused"),
    pytest.param({"inFlight": "Abort"}, state(PARTIAL), [rollout(MARKED, in_flight=True)], {},
                 [("checkout", {}, None, True, ("Aborted",), False)],
                 id="Abort aborts again a rollout someone retried during the freeze"),
    pytest.param({"inFlight": "Abort"}, state(PARTIAL), [rollout(HELD, paused=True,
                 in_flight=True)], {},
                 [("checkout", {c.ANNOTATION_PAUSED_BY: None}, False, True, ("Aborted",), False)],
                 id="Abort lifts a pause of ours with the abort, so the canary is scaled away"),
    pytest.param({"inFlight": "Abort"}, state(PARTIAL), [rollout(MARKED, in_flight=True,
                 aborted=True)], {}, [],
                 id="Abort leaves an aborted, unpaused rollout alone"),
    pytest.param({"inFlight": "Abort"}, state(PARTIAL), [rollout(paused=True, in_flight=True)],
                 {}, [("checkout", MARKED, None, False, (), False)],
                 id="Abort leaves a rollout a person paused alone"),
    pytest.param({"inFlight": "Abort"}, state(PARTIAL), [deployment()], {},
                 [("checkout-worker", {**MARKED, **PAUSE}, True, False, ("Paused",), False)],
                 id="Abort pauses a Deployment"),
    pytest.param({"inFlight": "Ignore"}, state(PARTIAL), [rollout()], {},
                 [("checkout", MARKED, None, False, (), False)],
                 id="inFlight Ignore only marks"),
    pytest.param({"inFlight": "Ignore"}, state(PARTIAL), [rollout(HELD, paused=True)], {},
                 [("checkout", {c.ANNOTATION_PAUSED_BY: None}, False, False, ("Resumed",),
                   False)],
                 id="inFlight Ignore resumes what this policy paused before"),
    pytest.param({"enforcement": "Warn"}, state(PARTIAL), [rollout(), deployment()], {},
                 [("checkout-worker", MARKED, None, False, (), False),
                  ("checkout", MARKED, None, False, (), False)],
                 id="enforcement Warn marks every target and pauses none"),
    pytest.param({"enforcement": "DryRun"}, state(PARTIAL), [rollout()], {},
                 [("checkout", {**MARKED, **PAUSE}, True, False, ("Paused",), True)],
                 id="DryRun changes nothing and reports what Enforce would do"),
    pytest.param({"enforcement": "DryRun"}, state(PARTIAL), [rollout(HELD, paused=True)], {},
                 [("checkout", RELEASED, False, False, ("Resumed",), False)],
                 id="DryRun lets go of what an earlier Enforce held"),
    pytest.param({}, state(Level.UNKNOWN, "metrics unavailable", None),
                 [rollout(HELD, paused=True)], {}, [],
                 id="Unknown under onMetricsUnavailable Hold touches nothing"),
    pytest.param({"onMetricsUnavailable": "Thaw"}, state(Level.UNKNOWN, "no data", None),
                 [rollout(HELD, paused=True)], {},
                 [("checkout", RELEASED, False, False, ("Resumed",), False)],
                 id="Unknown under onMetricsUnavailable Thaw thaws"),
    pytest.param({}, state(PARTIAL), [rollout(HELD, paused=True, app="other")], {},
                 [("checkout", RELEASED, False, False, ("Resumed",), False)],
                 id="a workload no target selects any more is resumed and unmarked"),
    pytest.param({}, state(PARTIAL), [rollout(app="other")], {}, [],
                 id="a workload no target selects gets nothing"),
    pytest.param({}, state(PARTIAL), [rollout(HELD, paused=True)], {"exceptions": [exception()]},
                 [("checkout", {c.ANNOTATION_PAUSED_BY: None}, False, False, ("Resumed",),
                   False)],
                 id="a FreezeException covering the target resumes it and keeps the marks"),
    pytest.param({}, state(PARTIAL), [rollout()],
                 {"exceptions": [exception("2026-11-29T11:00:00Z")]},
                 [("checkout", {**MARKED, **PAUSE}, True, False, ("Paused",), False)],
                 id="an expired FreezeException covers nothing"),
    pytest.param({}, state(FULL_FREEZE, FULL), [rollout()], {"exceptions": [exception()]},
                 [("checkout", {**marks("FullFreeze", FULL), **PAUSE}, True, False, ("Paused",),
                   False)],
                 id="a FreezeException up to PartialFreeze does not cover a full freeze"),
    pytest.param({}, state(PARTIAL), [rollout(marks("FullFreeze", FULL, "fz-9999", owner="other",
                 **{c.ANNOTATION_PAUSED_BY: "budgetwarden/other/fz-9999"}), paused=True)], {}, [],
                 id="what a policy at a more severe level marked and paused stays its own"),
    pytest.param({}, state(PARTIAL), [rollout({c.ANNOTATION_POLICY: "other",
                 c.ANNOTATION_FREEZE_LEVEL: "Warning", c.ANNOTATION_FREEZE_REASON: WARN})], {},
                 [("checkout", {**MARKED, **PAUSE}, True, False, ("Paused",), False)],
                 id="marks of a policy at a milder level are taken over"),
    pytest.param({}, state(PARTIAL), [rollout(marks("FullFreeze", FULL, "fz-9999", owner="other",
                 **{c.ANNOTATION_PAUSED_BY: "budgetwarden/other/fz-9999"}), paused=True)],
                 {"policies": {"payments"}},
                 [("checkout", {k: v for k, v in HELD.items() if k != c.ANNOTATION_STABLE_TEMPLATE},
                   None, False, (), False)],
                 id="marks and pause of a deleted policy are taken over without an event"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "given", "workloads", "extra", "expected"), CASES)
def test_plan(
    spec: dict[str, Any],
    given: PolicyState,
    workloads: list[Workload],
    extra: dict[str, Any],
    expected: list[tuple[Any, ...]],
) -> None:
    assert brief(plan(policy(**spec), given, workloads, now=NOW, **extra)) == expected


def test_unknown_because_no_slo_is_selected_thaws() -> None:
    decision = Decision(
        Level.UNKNOWN, NOW, None, "No SLO matches spec.sloSelector; nothing to hold",
        Rule.NO_SLOS, None, (), True, "Enforce",
    )  # fmt: skip
    actions = plan(policy(), decision, [rollout(HELD, paused=True)], now=NOW)
    assert brief(actions) == [("checkout", RELEASED, False, False, ("Resumed",), False)]


def test_the_pause_event_names_policy_freeze_level_and_reason() -> None:
    (action,) = plan(policy(), state(PARTIAL), [rollout()], now=NOW)
    assert [(n.type, n.message) for n in action.notes] == [
        (
            "Normal",
            f"Paused by ErrorBudgetPolicy payments for freeze {FID} (PartialFreeze): {REASON}. "
            "It is resumed when the freeze ends; see "
            "https://github.com/budgetwarden/budgetwarden/blob/main/runbooks/freeze.md",
        )
    ]


ORPHAN = marks("FullFreeze", FULL, "fz-9999", owner="gone",
               **{c.ANNOTATION_PAUSED_BY: "budgetwarden/gone/fz-9999"})  # fmt: skip

RESUMES = [
    pytest.param(HELD, {}, "the freeze is over at level Normal (paused in freeze fz-7c2e)",
                 id="a thaw says the freeze is over"),
    pytest.param(ORPHAN, {"policies": {"payments"}},
                 "ErrorBudgetPolicy gone, which paused it, no longer exists (paused in freeze "
                 "fz-9999)", id="what a deleted policy paused is resumed, saying so"),
]  # fmt: skip


@pytest.mark.parametrize(("annotations", "extra", "why"), RESUMES)
def test_the_resume_event_says_why(annotations: dict, extra: dict[str, Any], why: str) -> None:
    workloads = [rollout(annotations, paused=True)]
    (action,) = plan(policy(), state(Level.NORMAL, "", None), workloads, now=NOW, **extra)
    assert (dict(action.annotations), action.paused) == (RELEASED, False)
    assert [n.message for n in action.notes] == [f"Resumed by ErrorBudgetPolicy payments: {why}."]
