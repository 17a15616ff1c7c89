"""ValidatingAdmissionPolicy mode: install the policies, keep every namespace's params current.

When the admission mode is `vap` (docs/admission-vap.md), the operator (runtime/operator.py)
learns its own user (BUDGETWARDEN_OPERATOR_USERNAME, else a SelfSubjectReview) and `install`s,
with it, the freeze policies of core/freeze/vap.py, the guard of policies in force of
core/freeze/vap_policy_guard.py and the FreezeException policies of
core/freeze/vap_exceptions.py (the exception lifetime cap, whether ServiceAccounts may approve
exceptions, and the failure policy come from the admission config). Then `ParamsSync` runs on
kopf's loop and turns the registry (the policies' statuses the poller writes, the
FreezeExceptions) into one params ConfigMap per namespace,
through the same `freeze_view` the webhook reads:
- on every change of a policy or exception in the registry, checked each `tick`;
- when an exception in the params expires (CEL has no clock: the params must drop it);
- every `resync`, to restore params an administrator edited past the guard;
and only while this replica leads (runtime/leader.py).
A namespace whose last policy is gone loses its params; if that happens while the operator is
down, the garbage collector removes them through their ownerReferences.

The params outlive the operator on purpose: a stopped operator leaves the freeze in force.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from budgetwarden.adapters.kube import BuiltinObjects, KubeError, NotFound
from budgetwarden.core.freeze import vap, vap_exceptions, vap_policy_guard
from budgetwarden.core.freeze.view_from_status import freeze_view
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks
from budgetwarden.runtime.registry import Registry
from budgetwarden.runtime.reporting import Logger, utcnow
from budgetwarden.runtime.settings import AdmissionConfig

log = logging.getLogger(__name__)


def desired_params(
    registry: Registry, now: datetime, runbooks: RunbookLinks = SHIPPED_RUNBOOKS
) -> tuple[dict[str, dict[str, Any]], datetime | None]:
    """The params of every namespace with ErrorBudgetPolicies, and when one next goes stale;
    denials link the freeze page of `runbooks`."""
    wanted, expiries = {}, []
    for namespace in sorted({key.namespace for key in registry.policies}):
        entries = [e for k, e in registry.policies.items() if k.namespace == namespace]
        view = freeze_view(
            registry.policies_in(namespace), registry.exceptions_in(namespace), runbooks
        )
        owners = [(e.key.name, e.uid) for e in entries if e.uid]
        wanted[namespace] = vap.params_config_map(namespace, view, now, owners)
        expiries.append(vap.next_refresh(view, namespace, now))
    return wanted, min((e for e in expiries if e is not None), default=None)


@dataclass
class ParamsSync:
    """Writes what `desired_params` says, only where it differs from what it last wrote."""

    objects: BuiltinObjects
    registry: Registry
    tick: float = 1.0
    resync: timedelta = timedelta(minutes=5)
    retry: timedelta = timedelta(seconds=5)
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)
    leading: Callable[[], bool] = lambda: True  # runtime/leader.py: only the leader writes
    runbooks: RunbookLinks = SHIPPED_RUNBOOKS

    async def sync(self, now: datetime, *, force: bool = False) -> datetime | None:
        """One pass; returns when the next one is due regardless of changes (None: never)."""
        wanted, expiry = desired_params(self.registry, now, self.runbooks)
        written = [
            await self._write(namespace, params)
            for namespace, params in wanted.items()
            if force or self.applied.get(namespace) != params
        ]
        removed = [await self._remove(ns) for ns in sorted(set(self.applied) - set(wanted))]
        if not all(written + removed):
            return now + self.retry
        return expiry

    async def run(self) -> None:
        """Sync on every policy or exception change, when params go stale, and every `resync`."""
        seen, due, forced = -1, None, utcnow()
        while True:
            # policies and exceptions only: the params read nothing else, and with thousands of
            # SLOs their status updates would rebuild every namespace's params each tick
            now, changes = utcnow(), self.registry.freeze_changes
            if not self.leading():  # the leader writes; it rewrites everything on taking over
                seen, self.applied = -1, {}
                await asyncio.sleep(self.tick)
                continue
            force = now >= forced + self.resync
            if changes != seen or force or (due is not None and now >= due):
                due, seen = await self.sync(now, force=force), changes
                forced = now if force else forced
            await asyncio.sleep(self.tick)

    async def _write(self, namespace: str, params: dict[str, Any]) -> bool:
        try:
            await asyncio.to_thread(self.objects.apply, params)
        except KubeError as error:
            log.error("cannot write the admission params of %s: %s", namespace, error)
            self.applied.pop(namespace, None)
            return False
        self.applied[namespace] = params
        return True

    async def _remove(self, namespace: str) -> bool:
        try:
            await asyncio.to_thread(self.objects.delete_config_map, namespace, c.PARAMS_CONFIGMAP)
        except KubeError as error:
            log.error("cannot delete the admission params of %s: %s", namespace, error)
            return False
        del self.applied[namespace]
        return True


async def install(
    objects: BuiltinObjects,
    settings: AdmissionConfig,
    logger: Logger,
    runbooks: RunbookLinks = SHIPPED_RUNBOOKS,
) -> str:
    """Apply every policy and binding of VAP mode; returns the operator's user name."""
    user = settings.operator_username or await asyncio.to_thread(objects.whoami)
    writers = settings.status_writers
    for obj in vap.admission_policies(user, settings.vap_failure_policy, status_writers=writers):
        await asyncio.to_thread(objects.apply, obj)
    guard = vap_policy_guard.policy_guard(
        user, settings.vap_failure_policy, runbook=runbooks.freeze
    )
    for obj in guard:
        await asyncio.to_thread(objects.apply, obj)
    try:
        for obj in vap_exceptions.approver_recorder():
            await asyncio.to_thread(objects.apply, obj)
        recorded = True
    except NotFound:  # MutatingAdmissionPolicy is served from Kubernetes 1.36 on
        logger.warning("no MutatingAdmissionPolicy: approvers must set spec.approvedBy themselves")
        recorded = False
    allow = settings.allow_service_account_approvers
    for obj in vap_exceptions.exception_policies(
        settings.max_ttl, recorded=recorded, allow_service_accounts=allow
    ):
        await asyncio.to_thread(objects.apply, obj)
    return user
