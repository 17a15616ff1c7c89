"""The freeze policy as a pure, total function: snapshots and the last state in, a Decision out.

The poller calls `decide` once per ErrorBudgetPolicy per poll, with the snapshots of the SLOs
the policy selects and the `PolicyState` read back from the policy's status (so a restarted
operator carries on where it stopped). The status writer, notifier and enforcement act on the
`Decision`; nothing here reads the clock, random numbers, or anything outside its arguments.

The rules, in the order they apply:
1. Each SLO gets a level from its remaining budget (`level_of`), raised to a burn-rate trigger's
   level when both of that trigger's windows burn faster than its factor. An SLO with no budget
   series and no firing trigger is Unknown: never Normal, never exhausted.
2. When Prometheus did not answer, or every selected SLO is Unknown, `onMetricsUnavailable`
   decides: Hold keeps the previous level (Unknown when there is none), Thaw goes to Normal,
   Freeze to FullFreeze. Thaw and Freeze apply at once, without hysteresis: they are the
   policy's own answer to having no data, not a reading of the budget.
3. Otherwise the worst known SLO decides, and the decision names it. Escalation is immediate.
   Going down toward Normal needs, for every level left, remaining >= its threshold plus
   `exitMarginPercent`, and `minimumHold` since the current level started; a step down goes
   only as far as the margin allows (FullFreeze at 33% with 30/10 thresholds and a 5% margin
   steps to PartialFreeze, not to Warning).
4. While some selected SLOs are Unknown the level never goes down, whatever
   `onMetricsUnavailable` says: the Unknown SLO may be the one that set the level. That setting
   is about a policy with no evidence at all; one SLO whose series vanish (a new SLO, a renamed
   metric) should neither freeze a team under Freeze nor lose its veto on thawing under Thaw.
5. A policy that selects no SLOs is Unknown and holds nothing: that is a configuration the
   user chose, not missing data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from budgetwarden.core.budget.snapshot import BudgetSnapshot, SLORef
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.levels import Level, is_freeze, severity, threshold_of
from budgetwarden.core.kernel.wire import format_time, number_text, percent_text
from budgetwarden.core.policy.assess import Rule, SLOAssessment, assess, threshold_text
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, ErrorBudgetPolicySpec

Enforcement = Literal["Enforce", "Warn", "DryRun"]


def freeze_id(key: str, since: datetime) -> str:
    """A short id for the freeze that `key` (a policy) started at `since`; same inputs, same id."""
    digest = hashlib.sha256(f"{key}@{format_time(since)}".encode()).hexdigest()
    return f"fz-{digest[:6]}"


# --- Per policy ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyState:
    """What a policy's status remembers between polls and across restarts.

    `metrics_unavailable_since` is when the data the policy needs went missing (None while it
    is there); it keeps the "since" in the reason stable while an outage lasts.
    """

    level: Level
    since: datetime
    freeze_id: str | None = None
    reason: str = ""
    metrics_unavailable_since: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """A policy's level after one poll, with everything needed to report and enforce it.

    `changed` is True when the level differs from the previous one (or there was none);
    `deciding_slo` is the SLO whose numbers set or hold the level (None when no SLO did);
    `slos` has one assessment per selected SLO, ordered by namespace and name.
    """

    level: Level
    since: datetime
    freeze_id: str | None
    reason: str
    rule: Rule
    deciding_slo: SLORef | None
    slos: tuple[SLOAssessment, ...]
    changed: bool
    enforcement: Enforcement
    metrics_unavailable_since: datetime | None = None

    @property
    def state(self) -> PolicyState:
        """The part of the decision to store in status for the next poll."""
        return PolicyState(
            self.level, self.since, self.freeze_id, self.reason, self.metrics_unavailable_since
        )


@dataclass(frozen=True)
class _Verdict:
    level: Level
    rule: Rule
    reason: str
    deciding_slo: SLORef | None
    metrics_unavailable_since: datetime | None = None


def decide(
    policy: ErrorBudgetPolicy,
    snapshots: Sequence[BudgetSnapshot],
    previous: PolicyState | None,
    now: datetime,
    metrics_available: bool,
) -> Decision:
    """Decide a policy's level from its SLOs' snapshots and its previous state.

    `snapshots` are those of the SLOs the policy selects (any order); `metrics_available` is
    False when Prometheus did not answer. `now` must be timezone-aware (ValueError otherwise).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    spec = policy.spec
    ordered = sorted(snapshots, key=lambda s: s.slo)
    if metrics_available:
        slos = tuple(assess(s, spec) for s in ordered)
    else:
        slos = tuple(_unavailable(s.slo) for s in ordered)
    known = [a for a in slos if a.level is not Level.UNKNOWN]
    if not slos and metrics_available:
        verdict = _Verdict(
            Level.UNKNOWN, Rule.NO_SLOS, "No SLO matches spec.sloSelector; nothing to hold", None
        )
    elif not known:
        cause = "metrics unavailable" if not metrics_available else _no_series(slos)
        verdict = _on_unavailable(spec, previous, now, cause)
    else:
        verdict = _from_known(spec, slos, known, previous, now)
    return _finish(policy, slos, previous, now, verdict)


def _finish(
    policy: ErrorBudgetPolicy,
    slos: tuple[SLOAssessment, ...],
    previous: PolicyState | None,
    now: datetime,
    verdict: _Verdict,
) -> Decision:
    changed = previous is None or previous.level is not verdict.level
    since = now if previous is None or changed else previous.since
    fid = None
    if is_freeze(verdict.level):
        if previous is not None and is_freeze(previous.level) and previous.freeze_id:
            fid = previous.freeze_id
        else:
            meta = policy.metadata
            fid = freeze_id(f"{meta.namespace}/{meta.name}/{meta.uid}", since)
    return Decision(
        level=verdict.level,
        since=since,
        freeze_id=fid,
        reason=verdict.reason,
        rule=verdict.rule,
        deciding_slo=verdict.deciding_slo,
        slos=slos,
        changed=changed,
        enforcement=policy.spec.enforcement,
        metrics_unavailable_since=verdict.metrics_unavailable_since,
    )


def _on_unavailable(
    spec: ErrorBudgetPolicySpec,
    previous: PolicyState | None,
    now: datetime,
    cause: str,
) -> _Verdict:
    """Rule 2: no data at all, so the policy's onMetricsUnavailable setting decides."""
    began = (previous.metrics_unavailable_since if previous else None) or now
    fact = f"{cause} since {format_time(began)}"
    mode = spec.on_metrics_unavailable
    if mode == "Thaw":
        level, reason = Level.NORMAL, f"Normal (onMetricsUnavailable: Thaw): {fact}"
    elif mode == "Freeze":
        level, reason = Level.FULL_FREEZE, f"FullFreeze (onMetricsUnavailable: Freeze): {fact}"
    elif previous is None or previous.level is Level.UNKNOWN:
        level, reason = Level.UNKNOWN, f"Unknown: {fact}; no earlier level to hold"
    else:
        level, reason = previous.level, f"Holding {previous.level}: {fact}"
    return _Verdict(level, Rule.METRICS_UNAVAILABLE, reason, None, began)


def _unavailable(slo: SLORef) -> SLOAssessment:
    reason = f"SLO {slo.name}: metrics unavailable"
    return SLOAssessment(slo, Level.UNKNOWN, None, Rule.METRICS_UNAVAILABLE, reason, Level.UNKNOWN)


def _from_known(
    spec: ErrorBudgetPolicySpec,
    slos: Sequence[SLOAssessment],
    known: Sequence[SLOAssessment],
    previous: PolicyState | None,
    now: datetime,
) -> _Verdict:
    """Rules 3 and 4: the worst known SLO decides; going down waits for margin, hold and data."""
    worst = _worst(known, lambda a: a.level)
    if (
        previous is None
        or previous.level is Level.UNKNOWN
        or severity(worst.level) >= severity(previous.level)
    ):
        return _Verdict(worst.level, worst.rule, worst.reason, worst.slo)
    current = previous.level
    unknown = [a for a in slos if a.level is Level.UNKNOWN]
    if unknown:
        reason = f"Holding {current}: {_no_series(unknown)}"
        return _Verdict(current, Rule.PARTIAL_DATA, reason, unknown[0].slo)
    blocking = _worst(known, lambda a: a.exit_floor)
    if severity(blocking.exit_floor) >= severity(current):
        return _Verdict(
            current, Rule.HYSTERESIS, _margin_reason(spec, blocking, current), blocking.slo
        )
    hold = spec.hysteresis.minimum_hold
    if now - previous.since < hold:
        until = format_time(previous.since + hold)
        fact = _fact(blocking)
        reason = f"Holding {current} until {until} (minimum hold {format_duration(hold)}): {fact}"
        return _Verdict(current, Rule.HYSTERESIS, reason, blocking.slo)
    if severity(blocking.exit_floor) <= severity(worst.level):
        return _Verdict(worst.level, worst.rule, worst.reason, worst.slo)
    floor = blocking.exit_floor
    return _Verdict(floor, Rule.HYSTERESIS, _margin_reason(spec, blocking, floor), blocking.slo)


def _worst(
    assessments: Sequence[SLOAssessment], level: Callable[[SLOAssessment], Level]
) -> SLOAssessment:
    """The most severe by `level`; on ties the least remaining budget, then by namespace/name."""
    return min(
        assessments,
        key=lambda a: (
            -severity(level(a)),
            a.remaining_percent is None,
            a.remaining_percent or Decimal(0),
            a.slo,
        ),
    )


def _margin_reason(spec: ErrorBudgetPolicySpec, blocking: SLOAssessment, held: Level) -> str:
    threshold = threshold_of(held, spec.levels) or Decimal(0)
    margin = spec.hysteresis.exit_margin_percent
    needed = number_text(threshold + margin)
    return (
        f"Holding {held}: {_fact(blocking)}; leaving {held} needs {needed}% "
        f"({threshold_text(held, spec.levels)} plus {number_text(margin)}% margin)"
    )


def _fact(assessment: SLOAssessment) -> str:
    if assessment.remaining_percent is None:
        return assessment.reason
    left = percent_text(assessment.remaining_percent)
    return f"SLO {assessment.slo.name} has {left}% error budget left"


def _no_series(slos: Sequence[SLOAssessment]) -> str:
    names = [a.slo.name for a in slos]
    if len(names) == 1:
        return f"no error budget series for SLO {names[0]}"
    if len(names) <= 3:
        return f"no error budget series for SLOs {', '.join(names)}"
    return f"no error budget series for SLOs {', '.join(names[:3])} and {len(names) - 3} more"
