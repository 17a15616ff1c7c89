"""The enforcement planner: one row per rule, whole actions; plus held targets and parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden.adapters.workloads import merge_patch, workload_of
from budgetwarden.core.freeze.enforcement import MARKS, Stance, held_targets, plan, stance_of
from budgetwarden.core.freeze.exception_spec import FreezeException, parse_exception
from budgetwarden.core.freeze.workload import Action, Workload, template_drifted, version_of
from budgetwarden.core.freeze.workload_diff import template_digest
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.assess import Rule
from budgetwarden.core.policy.decide import Decision, PolicyState
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, TargetKind, parse_policy
from budgetwarden.core.policy.status import HeldTarget

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
FID, OLD_FID = "fz-7c2e", "fz-0a1b"
TOKEN = f"budgetwarden/payments/{FID}"
STABLE = "sha256:stable"
REASON = "SLO checkout-availability has 21.4% error budget left (partial freeze below 30%)"
LATER = "SLO checkout-availability has 18.0% error budget left (partial freeze below 30%)"
FULL = "SLO checkout-availability has 8.2% error budget left (full freeze below 10%)"
WARN = "SLO checkout-availability has 41.0% error budget left (warning below 50%)"
HOTFIX: dict[str, Any] = yaml.safe_load((EXAMPLES / "06-freeze-exception.yaml").read_text())


def policy(**spec: Any) -> ErrorBudgetPolicy:
    """examples/05-policy.yaml (policy "payments" in shop) with `spec` entries replaced."""
    resource = yaml.safe_load((EXAMPLES / "05-policy.yaml").read_text())
    resource["spec"].update(spec)
    return parse_policy(resource)


def state(level: Level, reason: str = REASON, fid: str | None = FID) -> PolicyState:
    return PolicyState(level, NOW - timedelta(hours=1), fid if fid else None, reason)


def rollout(
    annotations: dict[str, str] | None = None, app: str = "checkout", **fields: Any
) -> Workload:
    """Rollout shop/checkout, a target of the policy unless `app` says otherwise."""
    base = {"resource_version": "7", "stable_template": STABLE, "labels": {"app": app}}
    return Workload(
        TargetKind.ROLLOUT, "shop", "checkout", annotations=annotations or {}, **base | fields
    )


def deployment(annotations: dict[str, str] | None = None, **fields: Any) -> Workload:
    labels = {"app": "checkout-worker"}
    return Workload(
        TargetKind.DEPLOYMENT, "shop", "checkout-worker", "u2", "9", labels, annotations or {},
        stable_template=STABLE, **fields,
    )  # fmt: skip


def marks(level: str = "PartialFreeze", reason: str = REASON, fid: str = FID, **more: str) -> dict:
    return {
        c.ANNOTATION_POLICY: more.pop("owner", "payments"),
        c.ANNOTATION_FREEZE_LEVEL: level,
        c.ANNOTATION_FREEZE_REASON: reason,
        c.ANNOTATION_FREEZE_ID: fid,
        c.ANNOTATION_STABLE_TEMPLATE: STABLE,
        **more,
    }


MARKED = marks()
HELD = marks(**{c.ANNOTATION_PAUSED_BY: TOKEN})
UNMARKED = dict.fromkeys(MARKS)
RELEASED = {**UNMARKED, c.ANNOTATION_PAUSED_BY: None}
PARTIAL, FULL_FREEZE = Level.PARTIAL_FREEZE, Level.FULL_FREEZE


def exception(expires: str = "2026-12-01T18:00:00Z") -> FreezeException:
    return parse_exception({**HOTFIX, "spec": {**HOTFIX["spec"], "expiresAt": expires}})


def brief(actions: list[Action]) -> list[tuple[Any, ...]]:
    """Each action as (name, annotations, paused, abort, Event reasons, dry_run)."""
    return [
        (a.workload.name, dict(a.annotations), a.paused, a.abort,
         tuple(n.reason for n in a.notes), a.dry_run)
        for a in actions
    ]  # fmt: skip


PAUSE = {c.ANNOTATION_PAUSED_BY: TOKEN}
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
                 [("checkout", {**MARKED, **PAUSE}, True, True, ("Paused", "Aborted"), False)],
                 id="Abort pauses and aborts a rollout with an update in flight"),
    pytest.param({"inFlight": "Abort"}, state(PARTIAL), [rollout(HELD, paused=True,
                 in_flight=True)], {}, [("checkout", {}, None, True, ("Aborted",), False)],
                 id="Abort aborts again a rollout someone retried during the freeze"),
    pytest.param({"inFlight": "Abort"}, state(PARTIAL), [rollout(HELD, paused=True,
                 in_flight=True, aborted=True)], {}, [],
                 id="Abort leaves an aborted rollout alone"),
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
                 (HeldTarget("Deployment", "checkout-worker", False, STABLE),
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


def template(image: str, **annotations: str) -> dict[str, Any]:
    meta = {"labels": {"app": "checkout"}, "annotations": annotations}
    return {"metadata": meta, "spec": {"containers": [{"name": "app", "image": image}]}}


V1, V2 = template("shop/checkout:1"), template("shop/checkout:2")
DRIFT = [
    pytest.param(V1, V2, "", True, id="a new image is a new version"),
    pytest.param(V2, V1, template_digest(V1), False, id="a rollback to the stable one is not"),
    pytest.param(V1, template("shop/checkout:1", **{"kubectl.kubernetes.io/restartedAt": "now"}),
                 "", False, id="a restart is not"),
    pytest.param(V1, V1, "", False, id="an unchanged template is not"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "stable", "expected"), DRIFT)
def test_template_drifted(old: Any, new: Any, stable: str, expected: bool) -> None:
    before = version_of({"spec": {"template": old}})
    assert template_drifted(before, {"spec": {"template": new}}, stable) is expected


def test_a_new_workload_ref_is_a_new_version() -> None:
    old = {"spec": {"workloadRef": {"kind": "Deployment", "name": "checkout-v1"}}}
    new = {"spec": {"workloadRef": {"kind": "Deployment", "name": "checkout-v2"}}}
    assert template_drifted(version_of(old), new) is True


def api_object(status: dict[str, Any], annotations: dict[str, str] | None = None) -> dict:
    meta = {
        "name": "checkout",
        "namespace": "shop",
        "uid": "u1",
        "resourceVersion": "7",
        "generation": 2,
        "labels": {"app": "checkout"},
        "annotations": annotations or {},
    }
    return {"metadata": meta, "spec": {"replicas": 2, "paused": True, "template": V1},
            "status": status}  # fmt: skip


PARSED = Workload(
    TargetKind.ROLLOUT, "shop", "checkout", "u1", "7", {"app": "checkout"}, {}, paused=True,
    stable_template=template_digest(V1),
)  # fmt: skip
PARSING = [
    pytest.param(TargetKind.ROLLOUT, api_object({}), PARSED,
                 id="a Rollout no controller reported on is at its stable version"),
    pytest.param(TargetKind.ROLLOUT, api_object({"currentPodHash": "b", "stableRS": "a",
                 "abort": True}), Workload(**PARSED.__dict__ | {"in_flight": True,
                 "aborted": True, "stable_template": ""}),
                 id="a Rollout between two ReplicaSets is in flight, its stable one unknown"),
    pytest.param(TargetKind.ROLLOUT, api_object({"currentPodHash": "b", "stableRS": "a"},
                 {c.ANNOTATION_STABLE_TEMPLATE: STABLE}),
                 Workload(**PARSED.__dict__ | {"in_flight": True, "stable_template": STABLE,
                 "annotations": {c.ANNOTATION_STABLE_TEMPLATE: STABLE}}),
                 id="a recorded stable template wins"),
    pytest.param(TargetKind.DEPLOYMENT, api_object({"observedGeneration": 1}),
                 Workload(**PARSED.__dict__ | {"kind": TargetKind.DEPLOYMENT, "in_flight": True,
                 "stable_template": ""}),
                 id="a Deployment its controller has not caught up with is in flight"),
    pytest.param(TargetKind.DEPLOYMENT, api_object({"observedGeneration": 2,
                 "updatedReplicas": 2}), Workload(**PARSED.__dict__ | {"kind":
                 TargetKind.DEPLOYMENT}),
                 id="a Deployment with every replica updated is at its stable version"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "obj", "expected"), PARSING)
def test_workload_of(kind: TargetKind, obj: dict[str, Any], expected: Workload) -> None:
    assert workload_of(kind, obj) == expected


def test_the_merge_patch_is_conditional_on_the_resource_version_read() -> None:
    (action,) = plan(policy(), state(PARTIAL), [rollout()], now=NOW)
    assert merge_patch(action) == {
        "metadata": {"resourceVersion": "7", "annotations": {**MARKED, **PAUSE}},
        "spec": {"paused": True},
    }


def test_an_abort_alone_needs_no_merge_patch() -> None:
    workload = rollout(HELD, paused=True, in_flight=True)
    (action,) = plan(policy(inFlight="Abort"), state(PARTIAL), [workload], now=NOW)
    assert (merge_patch(action), action.abort) == (None, True)
