"""ErrorBudgetPolicy status from a Decision: the poller's part of the policy's status.

The poller reads where a policy stood with `PolicyStatus.read(...).state` (so `policy.decide`
carries on across restarts), then asks `policy_status_patch` for the write that records the
decision and the workloads enforcement holds. Nothing in the body moves unless the decision
does: `since` changes with the level, `reason` and `slos` with the shown numbers (one decimal),
so an unchanged policy gets no write. The poller owns level, since, reason, freezeId, slos,
heldTargets and the MetricsAvailable condition; the policy handler owns observedGeneration and
the Valid and Ready conditions (docs/architecture.md, "Who writes status").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.conditions import Condition
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.kernel.status import status_patch
from budgetwarden.core.kernel.wire import format_time, percent_text
from budgetwarden.core.policy.assess import Rule
from budgetwarden.core.policy.decide import Decision, PolicyState
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden.core.policy.status_model import HeldTarget, PolicyStatus, SLOLevel

_NAMES_SHOWN = 3


def policy_state(status: object) -> PolicyState | None:
    """The state a policy's status records, or None when it has none (or none readable)."""
    return PolicyStatus.read(status).state


def held_targets(status: object) -> tuple[HeldTarget, ...]:
    """status.heldTargets as the workloads enforcement last reported holding."""
    return PolicyStatus.read(status).held_targets


def decided_status(decision: Decision, held: Iterable[HeldTarget]) -> PolicyStatus:
    """The decision fields a decision calls for (conditions are set by `policy_status_patch`)."""
    return PolicyStatus(
        level=decision.level,
        since=decision.since,
        reason=decision.reason,
        freeze_id=decision.freeze_id or "",
        slos=tuple(
            SLOLevel(a.slo.name, a.level, _shown(a.remaining_percent)) for a in decision.slos
        ),
        # stableTemplate lets admission recognise a rollback to the version that was running.
        held_targets=tuple(sorted(held, key=lambda h: (h.kind, h.name))),
    )


def _shown(remaining: Decimal | None) -> Decimal | None:
    """A remaining percent at the precision status shows it (one decimal, rounded down)."""
    return None if remaining is None else Decimal(percent_text(remaining))


def policy_conditions(
    policy: ErrorBudgetPolicy, decision: Decision, metrics_available: bool
) -> list[Condition]:
    """MetricsAvailable for the policy: False exactly while `decide` counts an outage."""
    kind = c.CONDITION_METRICS_AVAILABLE
    if decision.rule is Rule.NO_SLOS:
        return [Condition(kind, "Unknown", c.REASON_NO_SLOS_SELECTED, f"{decision.reason}.")]
    mode = policy.spec.on_metrics_unavailable
    if decision.metrics_unavailable_since is not None:
        began = format_time(decision.metrics_unavailable_since)
        if not metrics_available:
            text = f"Prometheus could not be read since {began}"
            reason = c.REASON_PROMETHEUS_UNAVAILABLE
        else:
            text = f"No selected SLO has error budget series since {began}"
            reason = c.REASON_NO_SERIES
        return [
            Condition(kind, "False", reason, f"{text}; spec.onMetricsUnavailable ({mode}) decides.")
        ]
    missing = [a.slo.name for a in decision.slos if a.level is Level.UNKNOWN]
    if not missing:
        return [Condition(kind, "True", c.REASON_SERIES_FOUND, "Every selected SLO has series.")]
    shown = ", ".join(missing[:_NAMES_SHOWN]) + (
        f" and {len(missing) - _NAMES_SHOWN} more" if len(missing) > _NAMES_SHOWN else ""
    )
    message = (
        f"{len(missing)} of {len(decision.slos)} selected SLOs have no series ({shown}); "
        "the level does not go down until they do."
    )
    return [Condition(kind, "True", c.REASON_SERIES_FOUND, message)]


def policy_status_patch(
    current: Mapping[str, Any] | None,
    policy: ErrorBudgetPolicy,
    decision: Decision,
    held: Iterable[HeldTarget],
    *,
    metrics_available: bool,
    now: datetime,
) -> dict[str, Any] | None:
    """The merge patch that records the decision and held workloads; None when unchanged."""
    return status_patch(
        current,
        generation=policy.metadata.generation,
        conditions=policy_conditions(policy, decision, metrics_available),
        fields=decided_status(decision, held).decision_fields(),
        now=now,
        observe_generation=False,  # the policy handler's field
    )
