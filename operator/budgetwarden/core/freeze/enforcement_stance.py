"""What a policy's level asks of its workloads, and which of them the policy holds.

core/freeze/enforcement.py plans with what is here: `stance_of` (rule 1 of its docstring), the
`PlanContext` every rule reads, built by `plan_context`, and `selects`. `held_targets` is
status.heldTargets, which runtime/enforcer.py reports after each plan. Callers import
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
from budgetwarden.core.policy.assess import Rule
from budgetwarden.core.policy.decide import Decision, PolicyState
from budgetwarden.core.policy.selectors import selector_matches
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, ErrorBudgetPolicySpec, PolicyTarget
from budgetwarden.core.policy.status_model import HeldTarget

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

    @property
    def token(self) -> str:
        return f"{c.PAUSED_BY_PREFIX}/{self.policy}/{self.freeze_id}"

    def selects(self, w: Workload) -> bool:
        return _selected(self.spec.targets, w)


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
) -> PlanContext:
    """The context for planning `policy` at `state`."""
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
    )


def held_targets(
    policy: ErrorBudgetPolicy, state: Decision | PolicyState, workloads: Iterable[Workload]
) -> tuple[HeldTarget, ...]:
    """status.heldTargets: at a freeze every target; while holding on Unknown what the policy
    marked or paused; else nothing. pausedByUs only under Enforce."""
    ctx = plan_context(policy, state, (), datetime.min, None)
    enforcing = ctx.enforcement == "Enforce"

    def ours(w: Workload) -> bool:
        return (w.pauser or ("", ""))[0] == ctx.policy

    if ctx.stance is Stance.FREEZE:
        chosen = [w for w in workloads if ctx.selects(w)]
    elif ctx.stance is Stance.HOLD:
        chosen = [
            w for w in workloads if ours(w) or w.annotations.get(c.ANNOTATION_POLICY) == ctx.policy
        ]
    else:
        return ()
    return tuple(
        HeldTarget(w.kind.value, w.name, enforcing and w.paused and ours(w), w.stable_template)
        for w in sorted(chosen, key=lambda w: (w.kind.value, w.name))
    )
