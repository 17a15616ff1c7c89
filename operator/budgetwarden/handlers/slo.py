"""kopf handlers for SLOs: keep each SLO's PrometheusRule and status in step with its spec.

Registered by `budgetwarden.handlers`; the rule options and the API connection come from the
operator built at start-up (`operator_of`).

Create, update and resume (operator restart) run the same recipe: parse, build, apply, record.
An unchanged SLO causes no apply, no status write and no Event, so restarts are quiet. The
budget-low alerts take the thresholds of the ErrorBudgetPolicies that select the SLO
(core/policy/alert_levels.py); handlers/policy.py runs the recipe again for the SLOs of a
namespace whose policies changed.

No finalizer: deleting an SLO must never hang because the operator is down or uninstalled. The
owner reference lets Kubernetes' garbage collector remove the rule on real clusters; where it is
absent or slow, the rule is deleted when the SLO's DELETED event arrives, and rules whose SLO
vanished while the operator was down are swept when it starts (`sweep_orphaned_rule`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import kopf

from budgetwarden.adapters.kube import (
    PROMETHEUS_RULE_GROUP,
    PROMETHEUS_RULE_PLURAL,
    PROMETHEUS_RULE_VERSION,
    Invalid,
    Kube,
    KubeError,
    Ref,
    prometheus_rule_ref,
)
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel import status
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.policy.alert_levels import rule_options_for
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, parse_policy
from budgetwarden.core.slo import conditions as slo_conditions
from budgetwarden.core.slo.rulefiles import rule_up_to_date
from budgetwarden.core.slo.rules import build_prometheus_rule, rule_warnings
from budgetwarden.core.slo.spec import SLO, parse_slo
from budgetwarden.handlers.startup import controls, operator_of
from budgetwarden.runtime.operator import Operator
from budgetwarden.runtime.reporting import (
    RETRY_DELAYS,
    Logger,
    announce,
    record,
    retry_delay,
    utcnow,
)


@kopf.on.resume(c.GROUP, c.VERSION, c.PLURAL_SLO, when=controls)
@kopf.on.create(c.GROUP, c.VERSION, c.PLURAL_SLO, when=controls)
@kopf.on.update(c.GROUP, c.VERSION, c.PLURAL_SLO, when=controls)
def reconcile_slo(body: kopf.Body, memo: kopf.Memo, retry: int, logger: Logger, **_: Any) -> None:
    """Parse, build, apply and record one SLO; returns None so kopf writes nothing to status."""
    deps = operator_of(memo)
    resource = dict(body)
    policies = policies_in(deps.kube, resource["metadata"]["namespace"], retry=retry)
    sync_slo(deps, resource, policies, retry=retry, logger=logger)


def sync_slo(
    deps: Operator,
    resource: dict[str, Any],
    policies: list[ErrorBudgetPolicy],
    *,
    retry: int,
    logger: Logger,
) -> None:
    """The SLO recipe, with the budget-low thresholds of the `policies` that select the SLO;
    the policy handler runs it too, for the SLOs of a policy whose levels or selector changed."""
    now = utcnow()
    # 1. Parse, and build the desired PrometheusRule (pure; the builder checks the queries).
    #    A bad spec is reported once and not retried: only a new spec can fix it.
    try:
        slo = parse_slo(resource)
        desired = build_prometheus_rule(slo, rule_options_for(slo, policies, deps.rules))
    except SpecError as error:
        report_invalid(deps.kube, resource, error, now=now, logger=logger)
        return
    shown = f"{desired['metadata']['namespace']}/{desired['metadata']['name']}"
    # 2. Apply it unless the cluster already holds exactly that; announce a change.
    created = apply_rule(deps.kube, resource, desired, retry=retry, logger=logger)
    if created is not None:
        announce_rules(deps.kube, resource, slo, shown, created=created, logger=logger)
    # 3. Record status (written only when it changes).
    conditions = slo_conditions.slo_rules_applied(shown)
    try:
        record(
            deps.kube, resource, c.PLURAL_SLO, conditions, fields={"prometheusRule": shown}, now=now
        )
    except KubeError as error:
        raise kopf.TemporaryError(str(error), delay=retry_delay(retry)) from error


def policies_in(kube: Kube, namespace: str, *, retry: int) -> list[ErrorBudgetPolicy]:
    """The ErrorBudgetPolicies of a namespace that parse (an invalid one is its handler's to
    report), read from the API server: the registry may not have them yet at start-up."""
    try:
        items, _ = kube.list(c.GROUP, c.VERSION, c.PLURAL_POLICY, namespace)
    except KubeError as error:
        raise kopf.TemporaryError(str(error), delay=retry_delay(retry)) from error
    policies = []
    for item in items:
        try:
            policies.append(parse_policy(item))
        except SpecError:
            continue
    return policies


def _deleted(type: str | None, memo: Any, **_: Any) -> bool:
    return type == "DELETED" and controls(memo)


def _listed(type: str | None, memo: Any, **_: Any) -> bool:
    # kopf gives the objects of a (re)list the type None; live events have ADDED, MODIFIED...
    return type is None and controls(memo)


@kopf.on.event(c.GROUP, c.VERSION, c.PLURAL_SLO, when=_deleted)
def delete_rule_of_deleted_slo(body: kopf.Body, memo: kopf.Memo, logger: Logger, **_: Any) -> None:
    """Delete the SLO's PrometheusRule as soon as the SLO is gone."""
    deps = operator_of(memo)
    meta = body["metadata"]
    rule_ref = prometheus_rule_ref(meta["namespace"], c.prometheus_rule_name(meta["name"]))
    try:
        existing = deps.kube.get(rule_ref)
        # Only the rule this very SLO owns: a recreated SLO of the same name owns a new one.
        if existing is not None and owner_uid(existing) == meta.get("uid"):
            deps.kube.delete(rule_ref, resource_version=existing["metadata"]["resourceVersion"])
            message = f"Deleted PrometheusRule {rule_ref.namespace}/{rule_ref.name}."
            announce(
                deps.kube,
                dict(body),
                "Normal",
                c.EVENT_RULES_DELETED,
                message,
                now=utcnow(),
                logger=logger,
            )
    except KubeError as error:  # event handlers are not retried; the startup sweep catches up
        logger.warning("Could not delete PrometheusRule %s: %s", rule_ref.name, error)


@kopf.on.event(
    PROMETHEUS_RULE_GROUP,
    PROMETHEUS_RULE_VERSION,
    PROMETHEUS_RULE_PLURAL,
    labels={c.LABEL_MANAGED_BY: c.MANAGED_BY_VALUE},
    when=_listed,  # live deletions arrive as the SLO's DELETED event
)
def sweep_orphaned_rule(body: kopf.Body, memo: kopf.Memo, logger: Logger, **_: Any) -> None:
    """At startup (kopf lists every rule once), delete rules whose SLO no longer exists."""
    owner = controller_of(body)
    if owner is None or owner.get("kind") != c.KIND_SLO:
        return
    deps = operator_of(memo)
    meta = body["metadata"]
    slo_ref = Ref(c.GROUP, c.VERSION, c.PLURAL_SLO, meta["namespace"], owner["name"])
    rule_ref = prometheus_rule_ref(meta["namespace"], meta["name"])
    try:
        slo = deps.kube.get(slo_ref)
        if slo is not None and slo["metadata"].get("uid") == owner.get("uid"):
            return
        # The resourceVersion precondition spares a rule re-applied for a recreated SLO.
        if deps.kube.delete(rule_ref, resource_version=meta.get("resourceVersion")):
            logger.info("Deleted PrometheusRule %s: SLO %s is gone.", meta["name"], owner["name"])
    except KubeError as error:
        logger.warning("Could not sweep PrometheusRule %s: %s", meta["name"], error)


def apply_rule(
    kube: Kube, resource: dict[str, Any], desired: dict[str, Any], *, retry: int, logger: Logger
) -> bool | None:
    """Apply `desired` if it differs from the cluster: True created, False updated, None equal."""
    meta = desired["metadata"]
    rule_ref = prometheus_rule_ref(meta["namespace"], meta["name"])
    try:
        existing = kube.get(rule_ref)
        if rule_up_to_date(existing, desired):
            return None
        kube.apply(rule_ref, desired)
    except KubeError as error:
        report_apply_failed(
            kube, resource, f"{meta['namespace']}/{meta['name']}", error, retry=retry, logger=logger
        )
    return existing is None


def report_invalid(
    kube: Kube, resource: dict[str, Any], error: SpecError, *, now: datetime, logger: Logger
) -> None:
    """Ready=False InvalidSpec naming the fields, and one Warning Event per change."""
    conditions = slo_conditions.slo_invalid(error, resource.get("status"))
    try:
        patch = record(kube, resource, c.PLURAL_SLO, conditions, now=now)
    except KubeError as failure:
        raise kopf.TemporaryError(str(failure), delay=RETRY_DELAYS[0]) from failure
    if patch is not None:
        message = status.spec_message(error)
        announce(kube, resource, "Warning", c.REASON_INVALID_SPEC, message, now=now, logger=logger)


def report_apply_failed(
    kube: Kube,
    resource: dict[str, Any],
    shown: str,
    error: KubeError,
    *,
    retry: int,
    logger: Logger,
) -> None:
    """Ready=False ApplyFailed, a Warning Event when that is news, then retry with backoff."""
    now = utcnow()
    conditions = slo_conditions.slo_apply_failed(shown, str(error))
    try:
        patch = record(kube, resource, c.PLURAL_SLO, conditions, now=now)
    except KubeError as failure:
        logger.warning("Could not record the failure in status: %s", failure)
        patch = None
    if patch is not None:
        message = conditions[0].message
        announce(kube, resource, "Warning", c.REASON_APPLY_FAILED, message, now=now, logger=logger)
    # A rejected request (RBAC, schema) needs a human; retry slowly rather than hammer.
    delay = RETRY_DELAYS[-1] if isinstance(error, Invalid) else retry_delay(retry)
    raise kopf.TemporaryError(str(error), delay=delay) from error


def announce_rules(
    kube: Kube, resource: dict[str, Any], slo: SLO, shown: str, *, created: bool, logger: Logger
) -> None:
    """A Normal Event for the created or updated rule, plus one Warning per spec warning."""
    now = utcnow()
    reason = c.EVENT_RULES_CREATED if created else c.EVENT_RULES_UPDATED
    message = f"{'Created' if created else 'Updated'} PrometheusRule {shown}."
    announce(kube, resource, "Normal", reason, message, now=now, logger=logger)
    for warning in rule_warnings(slo):
        announce(
            kube, resource, "Warning", c.EVENT_SPEC_WARNING, str(warning), now=now, logger=logger
        )


def controller_of(body: Any) -> dict[str, Any] | None:
    """The owner reference marked as controller (or the only one), if any."""
    owners = body["metadata"].get("ownerReferences") or []
    return next((o for o in owners if o.get("controller")), owners[0] if owners else None)


def owner_uid(obj: Any) -> str | None:
    """The uid of the object's controlling owner, if it has one."""
    owner = controller_of(obj)
    return None if owner is None else owner.get("uid")
