"""A freeze's holds are sticky: what the policy's status records it holds stays held, with the
recorded stable template and pause, whatever the workload's editors do to labels or annotations.

Each case is a way the frozen team, with `edit` in its namespace, could try to lift a freeze with
one metadata change (never judged by admission) and a poll: relabelling the workload out of the
policy's selector, writing the digest of a new version into the stable-template annotation, or
stripping paused-by to make the pause look like a person's.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from budgetwarden.core.freeze.enforcement import held_targets, plan
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.status_model import HeldTarget
from enforcement_support import (
    HELD,
    NOW,
    PARTIAL,
    STABLE,
    TOKEN,
    brief,
    deployment,
    policy,
    state,
)

RECORD = HeldTarget("Deployment", "checkout-worker", True, STABLE, "u2")
ELSEWHERE = {"app": "elsewhere"}


def test_a_held_workload_relabelled_out_of_the_selector_stays_held_and_paused() -> None:
    relabelled = replace(deployment(HELD, paused=True), labels=ELSEWHERE)
    actions = plan(policy(), state(PARTIAL), [relabelled], now=NOW, held=(RECORD,))
    assert brief(actions) == []  # before: resumed, "no target selects it any more"
    assert held_targets(policy(), state(PARTIAL), [relabelled], (RECORD,)) == (RECORD,)


def test_a_relabelled_workload_is_let_go_when_the_freeze_ends() -> None:
    relabelled = replace(deployment(HELD, paused=True), labels=ELSEWHERE)
    actions = plan(policy(), state(Level.NORMAL, "", None), [relabelled], now=NOW, held=(RECORD,))
    assert [(a.paused, tuple(n.reason for n in a.notes)) for a in actions] == [
        (False, (c.EVENT_RESUMED,))
    ]


def test_a_spoofed_stable_template_annotation_is_written_back_and_never_recorded() -> None:
    spoofed = deployment({**HELD, c.ANNOTATION_STABLE_TEMPLATE: "sha256:v2"}, paused=True)
    actions = plan(policy(), state(PARTIAL), [spoofed], now=NOW, held=(RECORD,))
    assert brief(actions) == [
        ("checkout-worker", {c.ANNOTATION_STABLE_TEMPLATE: STABLE}, None, False, (), False)
    ]
    (held,) = held_targets(policy(), state(PARTIAL), [spoofed], (RECORD,))
    assert held.stable_template == STABLE


def test_a_stripped_paused_by_is_written_back_and_the_pause_stays_ours() -> None:
    stripped = {k: v for k, v in HELD.items() if k != c.ANNOTATION_PAUSED_BY}
    still_paused = deployment(stripped, paused=True)
    actions = plan(policy(), state(PARTIAL), [still_paused], now=NOW, held=(RECORD,))
    assert brief(actions) == [
        ("checkout-worker", {c.ANNOTATION_PAUSED_BY: TOKEN}, None, False, (), False)
    ]
    (held,) = held_targets(policy(), state(PARTIAL), [still_paused], (RECORD,))
    assert held.paused_by_us is True  # so admission keeps refusing `rollout resume`


def test_stripped_and_resumed_is_paused_again_with_a_warning() -> None:
    stripped = {k: v for k, v in HELD.items() if k != c.ANNOTATION_PAUSED_BY}
    resumed = deployment(stripped, paused=False)
    actions = plan(policy(), state(PARTIAL), [resumed], now=NOW, held=(RECORD,))
    assert [(a.paused, tuple(n.reason for n in a.notes)) for a in actions] == [
        (True, (c.EVENT_PAUSE_REASSERTED,))
    ]


def test_a_workload_created_again_under_the_name_is_not_the_one_held() -> None:
    recreated = replace(deployment(), uid="u3", labels=ELSEWHERE)
    later = state(PARTIAL)
    assert held_targets(policy(), later, [recreated], (RECORD,)) == ()
    assert plan(policy(), later, [recreated], now=NOW + timedelta(minutes=1), held=(RECORD,)) == []
