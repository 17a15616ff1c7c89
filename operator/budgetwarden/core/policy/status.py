"""ErrorBudgetPolicy status from a Decision, and the PolicyState read back from status.

The poller calls `policy_state` to learn where a policy stood (so `policy.decide` carries on
across restarts), then `policy_status_patch` with the decision and the workloads enforcement
holds. Nothing in the body moves unless the decision does: `since` changes with the level,
`reason` and `slos` with the shown numbers (one decimal), so an unchanged policy gets no write.

`metrics_unavailable_since` has no field of its own: it is the `lastTransitionTime` of the
policy's MetricsAvailable=False condition, which flips at the same moment `decide` starts
counting the outage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.conditions import Condition, find_condition, set_conditions
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.kernel.wire import format_time, merge_diff, parse_time, percent_text
from budgetwarden.core.policy.assess import Rule
from budgetwarden.core.policy.decide import Decision, PolicyState
from budgetwarden.core.policy.spec import ErrorBudgetPolicy

MAX_REASON_LENGTH = 1024  # the CRD's limit on status.reason
_NAMES_SHOWN = 3


@dataclass(frozen=True)
class HeldTarget:
    """A workload a policy holds (its status.heldTargets), as the operator recorded it."""

    kind: str
    name: str
    paused_by_us: bool = False
    # workload_diff.template_digest of the stable version's pod template; "" when unknown.
    stable_template: str = ""


def policy_state(status: Mapping[str, Any] | None) -> PolicyState | None:
    """The state a policy's status records, or None when it has none (or none readable)."""
    status = status or {}
    try:
        level = Level(str(status.get("level")))
    except ValueError:
        return None
    since = parse_time(status.get("since"))
    if since is None:
        return None
    available = find_condition(status.get("conditions") or [], c.CONDITION_METRICS_AVAILABLE)
    unavailable_since = None
    if available is not None and available.get("status") == "False":
        unavailable_since = parse_time(available.get("lastTransitionTime")) or since
    return PolicyState(
        level=level,
        since=since,
        freeze_id=status.get("freezeId") or None,
        reason=str(status.get("reason") or ""),
        metrics_unavailable_since=unavailable_since,
    )


def held_targets(status: Mapping[str, Any] | None) -> tuple[HeldTarget, ...]:
    """status.heldTargets as the workloads enforcement last reported holding."""
    entries = (status or {}).get("heldTargets") or []
    return tuple(
        HeldTarget(
            kind=str(e["kind"]),
            name=str(e["name"]),
            paused_by_us=bool(e.get("pausedByUs")),
            stable_template=str(e.get("stableTemplate") or ""),
        )
        for e in entries
        if isinstance(e, Mapping) and e.get("kind") and e.get("name")
    )


def policy_fields(decision: Decision, held: Iterable[HeldTarget]) -> dict[str, Any]:
    """level, since, reason, freezeId, slos and heldTargets for a decision."""
    return {
        "level": decision.level.value,
        "since": format_time(decision.since),
        "reason": _clip(decision.reason),
        "freezeId": decision.freeze_id or "",
        "slos": [
            {"name": a.slo.name, "level": a.level.value}
            | (
                {}
                if a.remaining_percent is None
                else {"remainingPercent": percent_text(a.remaining_percent)}
            )
            for a in decision.slos
        ],
        # stableTemplate lets admission recognise a rollback to the version that was running.
        "heldTargets": [
            {"kind": h.kind, "name": h.name, "pausedByUs": h.paused_by_us}
            | ({"stableTemplate": h.stable_template} if h.stable_template else {})
            for h in sorted(held, key=lambda h: (h.kind, h.name))
        ],
    }


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
    current = current or {}
    conditions = set_conditions(
        current.get("conditions") or [],
        policy_conditions(policy, decision, metrics_available),
        generation=policy.metadata.generation,
        now=now,
    )
    desired = {**policy_fields(decision, held), "conditions": conditions}
    return merge_diff(current, desired) or None


def _clip(text: str) -> str:
    return text if len(text) <= MAX_REASON_LENGTH else text[: MAX_REASON_LENGTH - 1] + "…"
