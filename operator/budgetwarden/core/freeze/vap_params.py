"""The params ConfigMap of ValidatingAdmissionPolicy mode: a namespace's freeze state as strings.

runtime/vap_sync.py writes `params_config_map` into each namespace with ErrorBudgetPolicies, from
the `FreezeView` the webhook would use there, and writes it again at `next_refresh`, when an
exception in it expires. The CEL of core/freeze/vap_cel.py reads the keys `params_data` writes; the
policies that bind to these params are rendered by core/freeze/vap.py, which re-exports the names
callers use from here. cli/_cluster_view.py prints selectors with `selector_text`. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from budgetwarden.core.freeze import admission_message as text
from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import level_rank
from budgetwarden.core.kernel.wire import format_time, number_text, percent_text
from budgetwarden.core.policy.spec import LabelSelector
from budgetwarden.core.policy.status_model import HeldTarget

# The labels of everything budgetwarden renders for admission (core/freeze/vap.py uses them too).
MANAGED_LABELS = {c.LABEL_MANAGED_BY: c.MANAGED_BY_VALUE}


def selector_text(selector: LabelSelector) -> str:
    """`app=checkout,tier!=canary|beta,ready,!legacy`: a selector as one target line holds it."""
    parts = [f"{key}={value}" for key, value in sorted(selector.match_labels.items())]
    for requirement in selector.match_expressions:
        values = "|".join(requirement.values)
        parts.append(
            {
                "In": f"{requirement.key}={values}",
                "NotIn": f"{requirement.key}!={values}",
                "Exists": requirement.key,
                "DoesNotExist": f"!{requirement.key}",
            }[requirement.operator]
        )
    return ",".join(parts)


def target_line(kind: str, selector: LabelSelector | None = None, name: str | None = None) -> str:
    """`Rollout/checkout` for a name, `Rollout app=checkout` (or `Rollout`: all) for a selector."""
    if name is not None:
        return f"{kind}/{name}"
    selected = selector_text(selector or LabelSelector())
    return f"{kind} {selected}" if selected else kind


def _exception_targets(exception: FreezeException) -> str:
    """A line per name target, and per workload a selector target's recorded `covers` names:
    CEL, like the webhook, never matches an exception's selector against current labels."""
    lines: list[str] = []
    for target in exception.spec.targets:
        kind = target.kind.value
        if target.name is not None:
            lines.append(target_line(kind, name=target.name))
        else:
            lines += [target_line(kind, name=n) for k, n in sorted(exception.covers) if k == kind]
    return "\n".join(dict.fromkeys(lines))


def _held_lines(held: Sequence[HeldTarget]) -> list[str]:
    """`Kind/name` of each held workload, and `Deployment/name` of the Deployment a held
    Rollout's workloadRef names (admission judges its template as the Rollout's)."""
    lines = [f"{h.kind}/{h.name}" for h in held]
    lines += [f"Deployment/{h.template_from}" for h in held if h.template_from]
    return list(dict.fromkeys(lines))


def _policy_fields(policy: PolicyFreeze) -> dict[str, str]:
    remaining, threshold = policy.remaining_percent, policy.threshold_percent
    held = policy.held
    return {
        "name": policy.policy,
        "level": policy.level.value,
        "enforcement": policy.enforcement,
        "freezeId": policy.freeze_id,
        "since": format_time(policy.since) if policy.since is not None else "",
        "slo": policy.slo,
        "remainingPercent": "" if remaining is None else text.shown_number(remaining, percent_text),
        "thresholdPercent": "" if threshold is None else text.shown_number(threshold, number_text),
        "runbookURL": text.runbook_of(policy),
        "targets": "\n".join(target_line(t.kind.value, t.selector) for t in policy.targets),
        "held": "\n".join(_held_lines(held)),
        "pausedByUs": "\n".join(f"{h.kind}/{h.name}" for h in held if h.paused_by_us),
        # already shortened and printable: CEL appends it as it is
        "cause": text.cause_text(policy),
        # "true" when a resources-only change passes the policy at its level now
        "resourcesThrough": "true" if policy.lets_resources_through() else "",
    }


def _exception_fields(exception: FreezeException) -> dict[str, str]:
    spec = exception.spec
    return {
        "name": exception.metadata.name,
        "maxLevel": spec.max_level.value,
        "targets": _exception_targets(exception),
        "ticket": text.clip(spec.ticket, 40) if spec.ticket else "",
        "expiresAt": format_time(spec.expires_at),
    }


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def active_exceptions(view: FreezeView, namespace: str, now: datetime) -> list[FreezeException]:
    """The namespace's exceptions still in force at `now`, by name (the webhook's order)."""
    return sorted(
        (
            e
            for e in view.exceptions
            if e.metadata.namespace == namespace and _aware(e.spec.expires_at) > _aware(now)
        ),
        key=lambda e: e.metadata.name,
    )


def params_data(view: FreezeView, namespace: str, now: datetime) -> dict[str, str]:
    """The params ConfigMap's data: every policy in the webhook's order, active exceptions."""
    policies = sorted(view.policies, key=lambda p: (-level_rank(p.level), p.policy))
    exceptions = active_exceptions(view, namespace, now)
    data = {"policies": str(len(policies)), "exceptions": str(len(exceptions))}
    for i, policy in enumerate(policies):
        data.update({f"policy.{i}.{k}": v for k, v in _policy_fields(policy).items() if v})
    for i, exception in enumerate(exceptions):
        data.update({f"exception.{i}.{k}": v for k, v in _exception_fields(exception).items() if v})
    return data


def params_config_map(
    namespace: str,
    view: FreezeView,
    now: datetime,
    owners: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The namespace's params; `owners` are the (name, uid) of its ErrorBudgetPolicies, so the
    garbage collector removes the params with the last policy even while the operator is down."""
    metadata: dict[str, Any] = {
        "name": c.PARAMS_CONFIGMAP,
        "namespace": namespace,
        "labels": {c.LABEL_ADMISSION_PARAMS: "true", **MANAGED_LABELS},
    }
    if owners:
        metadata["ownerReferences"] = [
            {"apiVersion": c.API_VERSION, "kind": c.KIND_POLICY, "name": name, "uid": uid}
            for name, uid in sorted(owners)
        ]
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": params_data(view, namespace, now),
    }


def next_refresh(view: FreezeView, namespace: str, now: datetime) -> datetime | None:
    """When the params must be written again because an exception in them expires."""
    expiries = [_aware(e.spec.expires_at) for e in active_exceptions(view, namespace, now)]
    return min(expiries, default=None)
