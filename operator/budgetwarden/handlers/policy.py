"""kopf handlers for ErrorBudgetPolicy: check the spec and say so in status, and keep the
budget-low alerts of its namespace's SLOs at the thresholds of the policies that select them.

Registered by `budgetwarden.handlers`. A policy is parsed and gets Valid and Ready conditions
(InvalidSpec naming the fields, plus one Warning Event, when it cannot be used); evaluating
budgets against it is the poller's job. An invalid policy is never retried: only a new spec can
fix it, and that arrives as an update.

A policy that is created, deleted, or changes its levels or sloSelector changes which thresholds
the SLOs of its namespace alert at, and which SLOs it selects: the SLO recipe runs again for
every SLO of the namespace (handlers/slo.py `sync_slo`), which applies only the rules that
changed and posts RulesUpdated on those SLOs.
"""

from __future__ import annotations

from typing import Any

import kopf

from budgetwarden.adapters.kube import KubeError
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.policy.spec import parse_policy
from budgetwarden.handlers.slo import policies_in, sync_slo
from budgetwarden.handlers.startup import controls, operator_of
from budgetwarden.handlers.validation import check_and_record
from budgetwarden.runtime.reporting import Logger, retry_delay

# The fields of a policy that its SLOs' rules depend on.
_ALERT_FIELDS = (("spec", "levels"), ("spec", "sloSelector"))


@kopf.on.resume(c.GROUP, c.VERSION, c.PLURAL_POLICY, when=controls)
@kopf.on.create(c.GROUP, c.VERSION, c.PLURAL_POLICY, when=controls)
@kopf.on.update(c.GROUP, c.VERSION, c.PLURAL_POLICY, when=controls)
def check_policy(body: kopf.Body, memo: kopf.Memo, retry: int, logger: Logger, **_: Any) -> None:
    """Parse the policy and record Valid/Ready; returns None so kopf writes nothing to status."""
    check_and_record(
        operator_of(memo).kube,
        dict(body),
        c.PLURAL_POLICY,
        c.KIND_POLICY,
        parse_policy,
        retry=retry,
        logger=logger,
    )


def _moves_alerts(diff: kopf.Diff, memo: Any, **_: Any) -> bool:
    """An update that changes the levels or the selector (or replaces the spec whole)."""
    changed = (tuple(item[1]) for item in diff)
    return controls(memo) and any(len(f) < 2 or f[:2] in _ALERT_FIELDS for f in changed)


def _deleted(type: str | None, memo: Any, **_: Any) -> bool:
    return type == "DELETED" and controls(memo)


@kopf.on.create(c.GROUP, c.VERSION, c.PLURAL_POLICY, when=controls)
@kopf.on.update(c.GROUP, c.VERSION, c.PLURAL_POLICY, when=_moves_alerts)
def regenerate_budget_alerts(
    body: kopf.Body, memo: kopf.Memo, retry: int, logger: Logger, **_: Any
) -> None:
    """Rebuild the rules of the namespace's SLOs with the policies as they are now."""
    resync_slos(body["metadata"]["namespace"], memo, retry=retry, logger=logger)


@kopf.on.event(c.GROUP, c.VERSION, c.PLURAL_POLICY, when=_deleted)
def regenerate_after_policy_deleted(
    body: kopf.Body, memo: kopf.Memo, logger: Logger, **_: Any
) -> None:
    """The deleted policy's SLOs fall back to another policy's levels or the operator's."""
    try:
        resync_slos(body["metadata"]["namespace"], memo, retry=0, logger=logger)
    except kopf.TemporaryError as error:  # event handlers are not retried; an SLO change is
        logger.warning("Could not regenerate the SLOs' rules: %s", error)


def resync_slos(namespace: str, memo: Any, *, retry: int, logger: Logger) -> None:
    """Run the SLO recipe for every SLO of `namespace` against its policies as listed now."""
    deps = operator_of(memo)
    try:
        slos, _ = deps.kube.list(c.GROUP, c.VERSION, c.PLURAL_SLO, namespace)
    except KubeError as error:
        raise kopf.TemporaryError(str(error), delay=retry_delay(retry)) from error
    policies = policies_in(deps.kube, namespace, retry=retry)
    for slo in slos:
        sync_slo(deps, slo, policies, retry=retry, logger=logger)
