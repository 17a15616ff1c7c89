"""What a policy's level asks of its workloads, and which of them the policy holds.

core/freeze/enforcement.py plans with what is here: `stance_of` (rule 1 of its docstring), the
`PlanContext` every rule reads, built by `plan_context`, and `selects`. `held_targets` is
status.heldTargets, which runtime/enforcer.py reports after each plan.

A freeze belongs to the operator: what it holds is sticky for the life of the freeze. A workload
the policy's status records as held stays held while the freeze lasts, whatever its labels
become; its stable template and whether budgetwarden paused it are carried forward from that
record, never read back from annotations a workload's editors can write. Callers import
`Stance`, `stance_of`, `selects` and `held_targets` from core/freeze/enforcement.py, which
re-exports them. Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.core.freeze.workload import Workload
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level, is_freeze
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks
from budgetwarden.core.policy.assess import Rule
from budgetwarden.core.policy.decide import Decision, PolicyState
from budgetwarden.core.policy.selectors import selector_matches
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, ErrorBudgetPolicySpec, PolicyTarget
from budgetwarden.core.policy.status_model import HeldTarget, record_of

REASON_LIMIT = 512  # characters of the reason kept in the freeze-reason annotation


class Stance(StrEnum):
    """What a level asks of the workloads (rule 1)."""

    FREEZE = "Freeze"
    WARN = "Warn"
    THAW = "Thaw"
    HOLD = "Hold"


def stance_of(policy: ErrorBudgetPolicy, state: Decision | PolicyState) -> Stance:
    """The stance for a decision, or for the state a policy's status records."""
    if is_freeze(state.level):
        return Stance.FREEZE
    if state.level is Level.WARNING:
        return Stance.WARN
    if state.level is Level.NORMAL:
        return Stance.THAW
    no_slos = isinstance(state, Decision) and state.rule is Rule.NO_SLOS
    return Stance.THAW if no_slos or policy.spec.on_metrics_unavailable == "Thaw" else Stance.HOLD


@dataclass(frozen=True)
class PlanContext:
    """What a plan knows of the policy, its level and the moment, for every workload alike."""

    policy: str
    level: Level
    freeze_id: str
    reason: str
    stance: Stance
    spec: ErrorBudgetPolicySpec
    enforcement: str  # the spec's, except in DryRun's would-plan
    exceptions: tuple[FreezeException, ...]
    now: datetime
    policies: frozenset[str] | None
    held: tuple[HeldTarget, ...] = ()  # what the policy's status records it holds
    runbooks: RunbookLinks = SHIPPED_RUNBOOKS  # the pages the Events link

    @property
    def token(self) -> str:
        return f"{c.PAUSED_BY_PREFIX}/{self.policy}/{self.freeze_id}"

    def record(self, w: Workload) -> HeldTarget | None:
        """The status record of holding `w`, if there is one."""
        return record_of(self.held, w.kind.value, w.name, w.uid)

    def selects(self, w: Workload) -> bool:
        """A target selects it, or, during a freeze, the freeze already holds it."""
        held = self.stance is Stance.FREEZE and self.record(w) is not None
        return held or _selected(self.spec.targets, w)

    def paused_by_us(self, w: Workload) -> bool:
        """Paused by this policy: its paused-by annotation, or the status record of a paused
        workload (an editor who strips the annotation does not make the pause theirs)."""
        if (w.pauser or ("", ""))[0] == self.policy:
            return True
        record = self.record(w)
        return w.paused and record is not None and record.paused_by_us

    def stable_template(self, w: Workload) -> str:
        """The recorded stable template; only without a record the one read from the API."""
        record = self.record(w)
        return (record.stable_template if record else "") or w.stable_template

    def stable_substance(self, w: Workload) -> str:
        """The recorded stable template's substance (without resources); without a record the
        one read from the API."""
        record = self.record(w)
        return (record.stable_substance if record else "") or w.stable_substance

    def resources_only(self, w: Workload) -> bool:
        """The workload differs from its stable version only in containers' resources, and this
        policy lets such a change through at its level (spec.resourceChanges)."""
        stable, substance = self.stable_template(w), self.stable_substance(w)
        known = "" not in (w.template, w.substance, stable, substance)
        changed_only_there = w.template != stable and w.substance == substance
        return self.spec.lets_resources_through(self.level) and known and changed_only_there

    def previous_template(self, w: Workload) -> str:
        """The recorded previous revision's template; without a record the one read."""
        record = self.record(w)
        return (record.previous_template if record else "") or w.previous_template


def selects(policy: ErrorBudgetPolicy, w: Workload) -> bool:
    """True when one of the policy's targets selects the workload."""
    return _selected(policy.spec.targets, w)


def _selected(targets: Iterable[PolicyTarget], w: Workload) -> bool:
    return any(t.kind is w.kind and selector_matches(t.selector, w.labels) for t in targets)


def plan_context(
    policy: ErrorBudgetPolicy,
    state: Decision | PolicyState,
    exceptions: Iterable[FreezeException],
    now: datetime,
    policies: Collection[str] | None,
    held: Iterable[HeldTarget] = (),
    runbooks: RunbookLinks = SHIPPED_RUNBOOKS,
) -> PlanContext:
    """The context for planning `policy` at `state`, given the holds its status records."""
    return PlanContext(
        policy=policy.metadata.name,
        level=state.level,
        freeze_id=state.freeze_id or "",
        reason=" ".join(state.reason.split())[:REASON_LIMIT],
        stance=stance_of(policy, state),
        spec=policy.spec,
        enforcement=policy.spec.enforcement,
        exceptions=tuple(exceptions),
        now=now,
        policies=None if policies is None else frozenset(policies),
        held=tuple(held),
        runbooks=runbooks,
    )


def held_targets(
    policy: ErrorBudgetPolicy,
    state: Decision | PolicyState,
    workloads: Iterable[Workload],
    held: Iterable[HeldTarget] = (),
) -> tuple[HeldTarget, ...]:
    """status.heldTargets: at a freeze every target and everything the freeze already held;
    while holding on Unknown what the policy marked, paused or held; else nothing. pausedByUs
    only under Enforce."""
    ctx = plan_context(policy, state, (), datetime.min, None, held)
    if ctx.stance is Stance.FREEZE:
        chosen = [w for w in workloads if ctx.selects(w)]
    elif ctx.stance is Stance.HOLD:
        chosen = [w for w in workloads if _kept_on_hold(ctx, w)]
    else:
        return ()
    enforcing = ctx.enforcement == "Enforce"
    return tuple(
        HeldTarget(
            w.kind.value,
            w.name,
            enforcing and w.paused and ctx.paused_by_us(w),
            ctx.stable_template(w),
            w.uid,
            ctx.previous_template(w),
            w.template_from,
            ctx.stable_substance(w),
        )
        for w in sorted(chosen, key=lambda w: (w.kind.value, w.name))
    )


def _kept_on_hold(ctx: PlanContext, w: Workload) -> bool:
    marked = w.annotations.get(c.ANNOTATION_POLICY) == ctx.policy
    return marked or ctx.paused_by_us(w) or ctx.record(w) is not None
