"""What a policy's level does to its Rollouts and Deployments: a pure planner.

runtime/enforcer.py calls `plan` on every poll with the policy, its decision and every
Rollout and Deployment of the policy's namespace (adapters/kube/workloads.py reads them),
applies the `Action`s, and reports `held_targets` as status.heldTargets. handlers/drift.py plans
for one workload whose pod template changed during a freeze (see core/freeze/workload.py). Plans
are computed from the workloads as the API shows them, never from memory: a restarted operator
carries on where it stopped, and workloads already as planned get no action at all. The stance
a level takes, the context a plan reads and `held_targets` are in
core/freeze/enforcement_stance.py; the names callers use from it are re-exported here.

Rules (runbooks/freeze.md tells users the same):
1. PartialFreeze and FullFreeze freeze; Warning warns; Normal thaws. Unknown thaws when the
   policy thaws on missing data (onMetricsUnavailable: Thaw) or selects no SLO; otherwise it
   holds: nothing is touched.
2. Warning and above mark each target with the policy, the level and the reason the level
   began (kept while the level lasts, so the annotation does not churn with the budget); a
   freeze adds its id and the digest of the stable pod template. Marks of another policy at a
   level at least as severe stay; marks of a deleted policy are taken over.
3. A freeze under enforcement Enforce with inFlight Pause or Abort pauses each target that is
   not paused and records paused-by "budgetwarden/<policy>/<freezeId>". A workload someone else
   paused is left alone and never gets paused-by. One resumed during the freeze that paused it
   is paused again with a Warning Event. Under Abort a Rollout with an update in flight is
   aborted instead, and left unpaused (a pause of ours is lifted): the Argo Rollouts controller
   leaves a paused canary running, and scales it away only once the Rollout is unpaused. It is
   aborted again if someone retries it during the freeze; one someone else paused is left alone.
4. Otherwise the policy lets go of what it paused, and only that: at Warning and Normal, under
   Warn or DryRun, with inFlight Ignore, while an unexpired FreezeException covers the workload,
   at a PartialFreeze that lets resource changes through (spec.resourceChanges) while the
   workload differs from its recorded stable version only in containers' resources (so a raised
   limit rolls out: it ships no new code), or when no target selects it any more. Marks go at
   Normal, from unselected workloads and under DryRun. Aborts are not undone: `kubectl argo
   rollouts retry` rolls forward again.
   Marks and pauses of a deleted policy count as the policy's own. A canary at a timed pause
   step is let go as spec.pauseStepAtThaw says (core/freeze/thaw.py): its count begun again,
   left paused for a person, or unpaused as it is.
5. Under DryRun the actions Enforce would take come back too, with dry_run=True, for the log.
6. A freeze's holds are sticky: what the policy's status records it holds (`held`) stays held
   until the freeze ends, whatever its labels become; its recorded stable template and pause
   are carried forward, so relabelling, rewriting budgetwarden.io annotations or stripping
   paused-by lifts nothing (a stripped paused-by is written back).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import NamedTuple

from budgetwarden.core.freeze.enforcement_stance import (
    REASON_LIMIT,
    PlanContext,
    Stance,
    held_targets,
    plan_context,
    selects,
    stance_of,
)
from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.core.freeze.thaw import lift
from budgetwarden.core.freeze.view import covering_exception
from budgetwarden.core.freeze.workload import Action, Note, Workload
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level, severity
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks
from budgetwarden.core.policy.decide import Decision, PolicyState
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, TargetKind
from budgetwarden.core.policy.status_model import HeldTarget

__all__ = [
    "MARKS",
    "REASON_LIMIT",
    "Stance",
    "held_targets",
    "plan",
    "selects",
    "stance_of",
]

RESOURCES_ONLY = "only its containers' resources changed, which the PartialFreeze lets through"
MARKS = (
    c.ANNOTATION_POLICY,
    c.ANNOTATION_FREEZE_LEVEL,
    c.ANNOTATION_FREEZE_REASON,
    c.ANNOTATION_FREEZE_ID,
    c.ANNOTATION_STABLE_TEMPLATE,
)


def plan(
    policy: ErrorBudgetPolicy,
    state: Decision | PolicyState,
    workloads: Iterable[Workload],
    *,
    now: datetime,
    exceptions: Iterable[FreezeException] = (),
    policies: Collection[str] | None = None,
    held: Iterable[HeldTarget] = (),
    runbooks: RunbookLinks = SHIPPED_RUNBOOKS,
) -> list[Action]:
    """The actions that bring `workloads` (every Rollout and Deployment of the policy's
    namespace) in line with the rules; `policies` names the namespace's existing policies,
    when known, so that what a deleted policy left behind is taken over; `held` is what the
    policy's status records it holds (rule 6); Events link the pages of `runbooks`."""
    ctx = plan_context(policy, state, exceptions, now, policies, held, runbooks)
    if ctx.stance is Stance.HOLD:
        return []
    ordered = sorted(workloads, key=lambda w: (w.kind.value, w.name))
    return [action for w in ordered for action in _plan_one(ctx, w)]


def _plan_one(ctx: PlanContext, w: Workload) -> list[Action]:
    selected = ctx.selects(w)
    if ctx.enforcement == "DryRun":
        real = _action(w, _unmark(ctx, w), *_let_go(ctx, w, "its enforcement is DryRun"))
        would = None
        if selected and ctx.stance is not Stance.THAW:
            would = _hold(replace(ctx, enforcement="Enforce"), w)
        return [a for a in (real, would and replace(would, dry_run=True)) if a is not None]
    if ctx.stance is Stance.THAW or not selected:
        why = _over(ctx) if ctx.stance is Stance.THAW else "no target selects it any more"
        released = _action(w, _unmark(ctx, w), *_let_go(ctx, w, why))
        return [released] if released is not None else []
    held = _hold(ctx, w)
    return [held] if held is not None else []


def _hold(ctx: PlanContext, w: Workload) -> Action | None:
    return _action(w, _marks(ctx, w), *_progress(ctx, w))


class _Move(NamedTuple):
    """What rules 3 and 4 do beside the marks."""

    changes: dict[str, str | None]
    paused: bool | None = None
    abort: bool = False
    notes: tuple[Note, ...] = ()
    restart_pause_step: datetime | None = None  # core/freeze/thaw.py


def _action(
    w: Workload,
    marks: Mapping[str, str | None],
    changes: Mapping[str, str | None],
    paused: bool | None,
    abort: bool,
    notes: tuple[Note, ...],
    restart_pause_step: datetime | None,
) -> Action | None:
    wanted = {**marks, **changes}
    diff = {k: v for k, v in wanted.items() if w.annotations.get(k) != v}
    if not diff and paused is None and not abort and restart_pause_step is None:
        return None
    return Action(w, diff, paused, abort, notes, restart_pause_step=restart_pause_step)


def _marks(ctx: PlanContext, w: Workload) -> dict[str, str | None]:
    """Rule 2: the annotations a target carries at Warning and above."""
    owner = w.annotations.get(c.ANNOTATION_POLICY)
    if owner and owner != ctx.policy and not _may_take(ctx, w, owner):
        return {}
    freeze = ctx.stance is Stance.FREEZE
    fid = ctx.freeze_id if freeze else ""
    same = (
        owner == ctx.policy
        and w.annotations.get(c.ANNOTATION_FREEZE_LEVEL) == ctx.level.value
        and w.annotations.get(c.ANNOTATION_FREEZE_ID, "") == fid
    )
    kept = w.annotations.get(c.ANNOTATION_FREEZE_REASON) if same else None
    return {
        c.ANNOTATION_POLICY: ctx.policy,
        c.ANNOTATION_FREEZE_LEVEL: ctx.level.value,
        c.ANNOTATION_FREEZE_REASON: kept or ctx.reason,
        c.ANNOTATION_FREEZE_ID: fid or None,
        c.ANNOTATION_STABLE_TEMPLATE: (ctx.stable_template(w) or None) if freeze else None,
    }


def _orphaned(ctx: PlanContext, owner: str) -> bool:
    """True when `owner`, another policy, is known to be deleted: its leftovers are ours."""
    return (
        bool(owner)
        and owner != ctx.policy
        and ctx.policies is not None
        and (owner not in ctx.policies)
    )


def _may_take(ctx: PlanContext, w: Workload, owner: str) -> bool:
    if _orphaned(ctx, owner):
        return True
    try:
        theirs = Level(w.annotations.get(c.ANNOTATION_FREEZE_LEVEL, ""))
    except ValueError:
        return True
    return theirs is Level.UNKNOWN or severity(ctx.level) > severity(theirs)


def _unmark(ctx: PlanContext, w: Workload) -> dict[str, str | None]:
    owner = w.annotations.get(c.ANNOTATION_POLICY, "")
    return dict.fromkeys(MARKS) if owner == ctx.policy or _orphaned(ctx, owner) else {}


def _progress(ctx: PlanContext, w: Workload) -> _Move:
    """Rules 3 and 4: pause (and abort) or let go."""
    if ctx.stance is not Stance.FREEZE:
        return _let_go(ctx, w, _over(ctx))
    if ctx.enforcement != "Enforce" or ctx.spec.in_flight == "Ignore":
        setting = "inFlight is Ignore" if ctx.enforcement == "Enforce" else "enforcement is Warn"
        return _let_go(ctx, w, f"its {setting}")
    exception = covering_exception(ctx.exceptions, ctx.level, w.ref, ctx.now)
    if exception is not None:
        why = f"FreezeException {exception.metadata.name} lets it through the {ctx.level}"
        return _let_go(ctx, w, why)
    if ctx.resources_only(w):
        return _let_go(ctx, w, RESOURCES_ONLY)
    owner, fid = w.pauser or ("", "")
    ours = ctx.paused_by_us(w)
    if w.paused and not (ours or _orphaned(ctx, owner)):
        return _Move({})  # someone else's pause: theirs to lift
    if ctx.spec.in_flight == "Abort" and w.kind is TargetKind.ROLLOUT and w.in_flight:
        return _abort(ctx, w)
    notes: list[Note] = []
    if not w.paused:
        recorded = ctx.record(w)
        again = (owner == ctx.policy and fid == ctx.freeze_id) or bool(
            recorded and recorded.paused_by_us
        )
        reason = c.EVENT_PAUSE_REASSERTED if again else c.EVENT_PAUSED
        notes.append(_note("Warning" if again else "Normal", reason, ctx, w))
    paused = None if w.paused else True
    return _Move({c.ANNOTATION_PAUSED_BY: ctx.token}, paused, False, tuple(notes))


def _abort(ctx: PlanContext, w: Workload) -> _Move:
    """Rule 3 under inFlight Abort: a Rollout with an update in flight is aborted and left
    unpaused (a pause of ours is lifted with the abort). Argo Rollouts scales the canary of a
    paused Rollout away only once it is unpaused; aborted, it serves the stable version and
    moves no further until someone retries it."""
    notes = () if w.aborted else (_note("Warning", c.EVENT_ABORTED, ctx, w),)
    return _Move({c.ANNOTATION_PAUSED_BY: None}, False if w.paused else None, not w.aborted, notes)


def _let_go(ctx: PlanContext, w: Workload, why: str) -> _Move:
    owner, fid = w.pauser or ("", "")
    if not ctx.paused_by_us(w) and not _orphaned(ctx, owner):
        return _Move({})
    owner = owner or ctx.policy  # a recorded pause whose annotation an editor stripped
    if owner != ctx.policy:
        why = f"ErrorBudgetPolicy {owner}, which paused it, no longer exists"
    if not w.paused:
        return _Move({c.ANNOTATION_PAUSED_BY: None})
    resumed = _note("Normal", c.EVENT_RESUMED, ctx, w, fid=fid, why=why)
    how = lift(
        ctx.spec.pause_step_at_thaw, w, ctx.now, resumed,
        policy=ctx.policy, fid=fid, runbooks=ctx.runbooks,
    )  # fmt: skip
    return _Move(
        {c.ANNOTATION_PAUSED_BY: None}, how.paused, False, how.notes, how.restart_pause_step
    )


def _over(ctx: PlanContext) -> str:
    return f"the freeze is over at level {ctx.level}"


# Event messages; {runbook} is runbooks/freeze.md.
_MESSAGES = {
    c.EVENT_PAUSED: "Paused by ErrorBudgetPolicy {policy} for freeze {fid} ({level}): {reason}. "
    "It is resumed when the freeze ends; see {runbook}",
    c.EVENT_PAUSE_REASSERTED: "Paused again by ErrorBudgetPolicy {policy}: it was resumed during "
    "freeze {fid} ({level}), which still holds it. To ship during a freeze an approver creates "
    "a FreezeException; see {runbook}",
    c.EVENT_ABORTED: "Aborted the update in flight for ErrorBudgetPolicy {policy} (inFlight: "
    "Abort, freeze {fid}, {level}); the stable version takes the traffic again and the canary is "
    "scaled away. After the freeze `kubectl argo rollouts retry rollout {name}` rolls forward.",
    c.EVENT_RESUMED: "Resumed by ErrorBudgetPolicy {policy}: {why} (paused in freeze {fid}).",
}


def _note(type_: str, reason: str, ctx: PlanContext, w: Workload, **facts: str) -> Note:
    message = _MESSAGES[reason].format(
        **{"policy": ctx.policy, "fid": ctx.freeze_id, "level": ctx.level, "reason": ctx.reason}
        | {"name": w.name, "runbook": ctx.runbooks.freeze}
        | facts
    )
    return Note(type_, reason, message)
