"""The freeze state the admission webhook keeps in memory, one `FreezeView` per namespace.

The webhook's cache fills these from ErrorBudgetPolicy statuses and FreezeException objects it
watches; `core.freeze.admission.decide` reads them on the hot path, so a decision never waits for
Prometheus or the API server. Plain frozen dataclasses: built once per status change, read often.
The matching lives here too: which policies select a workload, which FreezeException covers it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from budgetwarden.core.freeze.exception_spec import ExceptionTarget, FreezeException
from budgetwarden.core.kernel.levels import Level, level_rank
from budgetwarden.core.policy.decide import Enforcement
from budgetwarden.core.policy.selectors import selector_matches
from budgetwarden.core.policy.spec import PolicyTarget
from budgetwarden.core.policy.status_model import HeldTarget


@dataclass(frozen=True)
class WorkloadRef:
    """The workload an admission request is about."""

    namespace: str
    kind: str
    name: str


@dataclass(frozen=True)
class PolicyFreeze:
    """One ErrorBudgetPolicy's spec.targets and enforcement with its current status."""

    policy: str
    level: Level
    targets: tuple[PolicyTarget, ...] = ()
    enforcement: Enforcement = "Enforce"
    freeze_id: str = ""
    since: datetime | None = None
    slo: str = ""  # the SLO that decided the level
    remaining_percent: Decimal | None = None  # None: no reading (metrics unavailable)
    threshold_percent: Decimal | None = None  # the level's "below" threshold
    runbook_url: str = ""
    held: tuple[HeldTarget, ...] = ()
    # why a freeze holds with the budget above its threshold (a burn-rate trigger, the minimum
    # hold): status.reason; "" when the budget itself is below the threshold
    cause: str = ""
    earliest_thaw: datetime | None = None  # since + minimum hold, when `cause` is set
    # spec.resourceChanges is AllowedAtPartialFreeze: a resources-only change passes a PartialFreeze
    resources_at_partial: bool = True

    def lets_resources_through(self) -> bool:
        """True when a change of only container resources passes this policy's level."""
        return self.level == Level.PARTIAL_FREEZE and self.resources_at_partial

    def holds(self, ref: WorkloadRef) -> HeldTarget | None:
        """This policy's record of the workload, if it holds it; a Deployment that holds the
        template of a held Rollout (its spec.workloadRef) is held as that Rollout."""
        return next((h for h in self.held if _names(h, ref)), None)

    def selects(self, ref: WorkloadRef, label_sets: Iterable[Mapping[str, str]]) -> bool:
        """True when the policy holds the workload or a target selects any of its label sets."""
        if self.holds(ref) is not None:
            return True  # held by name: relabelling a held workload does not free it
        return any(self.targets_select(ref, labels) for labels in label_sets)

    def targets_select(self, ref: WorkloadRef, labels: Mapping[str, str]) -> bool:
        """True when a target of the workload's kind selects these labels."""
        return any(
            target.kind.value == ref.kind and selector_matches(target.selector, labels)
            for target in self.targets
        )


def _names(held: HeldTarget, ref: WorkloadRef) -> bool:
    if (held.kind, held.name) == (ref.kind, ref.name):
        return True
    return ref.kind == "Deployment" and held.kind == "Rollout" and held.template_from == ref.name


# A target's selector as an index key: (kind, label, value), one pair of its matchLabels.
_TargetPair = tuple[str, str, str]


@dataclass(frozen=True)
class _TargetIndex:
    """Which engaged policies a workload's labels can select, found without walking them all.

    A target whose selector has matchLabels selects only labels holding every pair of them, so it
    is filed under one pair; a workload whose labels lack that pair cannot match it. Targets
    without matchLabels (expressions only, or empty) are kept per kind and always checked.
    """

    by_label: Mapping[_TargetPair, frozenset[int]]
    by_kind: Mapping[str, frozenset[int]]
    holders: tuple[int, ...]  # policies holding a workload: they select it by name

    @staticmethod
    def of(policies: tuple[PolicyFreeze, ...]) -> _TargetIndex:
        """The index of `policies`, by their positions in it."""
        by_label: dict[_TargetPair, set[int]] = {}
        by_kind: dict[str, set[int]] = {}
        for position, policy in enumerate(policies):
            for target in policy.targets:
                kind, pairs = target.kind.value, target.selector.match_labels
                if pairs:
                    label = min(pairs)
                    by_label.setdefault((kind, label, pairs[label]), set()).add(position)
                else:
                    by_kind.setdefault(kind, set()).add(position)
        return _TargetIndex(
            {key: frozenset(found) for key, found in by_label.items()},
            {kind: frozenset(found) for kind, found in by_kind.items()},
            tuple(position for position, policy in enumerate(policies) if policy.held),
        )

    def positions(self, kind: str, label_sets: Iterable[Mapping[str, str]]) -> set[int]:
        """The positions of every policy with a target that may select one of the label sets."""
        found = set(self.by_kind.get(kind, ()))
        for labels in label_sets:
            for label, value in labels.items():
                found |= self.by_label.get((kind, label, value), frozenset())
        return found


@dataclass(frozen=True)
class FreezeView:
    """Everything admission needs for one namespace: its policies and active FreezeExceptions."""

    policies: tuple[PolicyFreeze, ...] = ()
    exceptions: tuple[FreezeException, ...] = ()
    # The policies a decision can depend on: not Normal, or still holding a workload. Most of a
    # large namespace's policies are Normal, and a review must not walk all of them (1,001
    # policies cost a review milliseconds); computed once per view, which is built per change.
    engaged: tuple[PolicyFreeze, ...] = field(init=False, repr=False, compare=False)
    # The engaged policies that hold a workload: all that tell a change apart (stable template,
    # who paused it) or can be released by a relabel.
    holding: tuple[PolicyFreeze, ...] = field(init=False, repr=False, compare=False)
    # Policies not yet polled are Unknown, so engaged, and can be most of a namespace: a review
    # looks up the few whose targets can select its workload instead of matching every selector.
    _targets: _TargetIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        engaged = tuple(p for p in self.policies if p.level != Level.NORMAL or p.held)
        object.__setattr__(self, "engaged", engaged)
        targets = _TargetIndex.of(engaged)
        object.__setattr__(self, "holding", tuple(engaged[i] for i in targets.holders))
        object.__setattr__(self, "_targets", targets)

    def may_select(
        self, ref: WorkloadRef, label_sets: Iterable[Mapping[str, str]]
    ) -> tuple[PolicyFreeze, ...]:
        """The engaged policies, in order, that hold the workload or have a target that may
        select one of its label sets: every one `PolicyFreeze.selects` is true of, and few more."""
        found = self._targets.positions(ref.kind, label_sets)
        found.update(i for i in self._targets.holders if self.engaged[i].holds(ref) is not None)
        return tuple(self.engaged[i] for i in sorted(found))


# --- FreezeExceptions ------------------------------------------------------------------------
def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _target_covers(exception: FreezeException, target: ExceptionTarget, ref: WorkloadRef) -> bool:
    """A name target covers its workload; a selector target those recorded in status.covers
    (core/freeze/exception_covers.py), whatever labels the workload carries now."""
    if target.kind.value != ref.kind:
        return False
    if target.name is not None:
        return target.name == ref.name
    return (ref.kind, ref.name) in exception.covers


def exception_covers(
    exception: FreezeException, level: Level, ref: WorkloadRef, now: datetime
) -> bool:
    """True when the exception lets this workload through `level` at `now` (expiry exclusive)."""
    spec = exception.spec
    if exception.metadata.namespace != ref.namespace:
        return False
    if level_rank(spec.max_level) < level_rank(level) or _aware(spec.expires_at) <= _aware(now):
        return False
    return any(_target_covers(exception, target, ref) for target in spec.targets)


def covering_exception(
    exceptions: Iterable[FreezeException], level: Level, ref: WorkloadRef, now: datetime
) -> FreezeException | None:
    """The first (by name) exception covering the workload, so retries name the same one."""
    covering = [e for e in exceptions if exception_covers(e, level, ref, now)]
    return min(covering, key=lambda e: e.metadata.name, default=None)
