"""ValidatingAdmissionPolicy mode: install the policies, keep every namespace's params current.

Active when `budgetwarden run --admission-mode vap` put `admission_mode` in the memo, or
BUDGETWARDEN_ADMISSION_MODE=vap (docs/admission-vap.md). At start-up the operator learns its own
user (BUDGETWARDEN_OPERATOR_USERNAME, else a SelfSubjectReview) and applies, with it, the freeze
policies of core/freeze/vap.py and the FreezeException policies of core/freeze/vap_exceptions.py
(BUDGETWARDEN_EXCEPTION_MAX_TTL caps lifetimes; BUDGETWARDEN_VAP_FAILURE_POLICY=Fail makes a CEL
error deny). Then `ParamsSync` runs on kopf's loop and turns the registry (the policies' statuses
the poller writes, the FreezeExceptions) into one params ConfigMap per namespace, through the same
`admission_view.freeze_view` the webhook reads:
- on every registry change, checked each `tick`;
- when an exception in the params expires (CEL has no clock: the params must drop it);
- every `resync`, to restore params an administrator edited past the guard.
A namespace whose last policy is gone loses its params; if that happens while the operator is
down, the garbage collector removes them through their ownerReferences.

The params outlive the operator on purpose: a stopped operator leaves the freeze in force.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import kopf

from budgetwarden.adapters.kube import KubeError, NotFound
from budgetwarden.adapters.kube_builtin import BuiltinObjects
from budgetwarden.core.freeze import vap, vap_exceptions
from budgetwarden.core.freeze.exception_admission import DEFAULT_MAX_TTL
from budgetwarden.core.freeze.view_from_status import freeze_view
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import parse_duration
from budgetwarden.handlers.registry import Registry
from budgetwarden.handlers.reporting import Logger, utcnow

log = logging.getLogger(__name__)
ENV_ADMISSION_MODE = "BUDGETWARDEN_ADMISSION_MODE"
ENV_OPERATOR_USERNAME = "BUDGETWARDEN_OPERATOR_USERNAME"  # as the webhook reads it
ENV_FAILURE_POLICY = "BUDGETWARDEN_VAP_FAILURE_POLICY"
ENV_MAX_TTL = "BUDGETWARDEN_EXCEPTION_MAX_TTL"  # as the webhook reads it
MODES = ("webhook", "vap")


def admission_mode(memo: Any) -> str:
    """webhook or vap: from `budgetwarden run`'s flag, else the environment; ValueError else."""
    mode = memo.get("admission_mode") or os.environ.get(ENV_ADMISSION_MODE) or "webhook"
    if mode not in MODES:
        raise ValueError(f'{ENV_ADMISSION_MODE} must be webhook or vap; got "{mode}"')
    return str(mode)


def desired_params(
    registry: Registry, now: datetime
) -> tuple[dict[str, dict[str, Any]], datetime | None]:
    """The params of every namespace with ErrorBudgetPolicies, and when one next goes stale."""
    wanted, expiries = {}, []
    for namespace in sorted({key.namespace for key in registry.policies}):
        entries = [e for k, e in registry.policies.items() if k.namespace == namespace]
        view = freeze_view(
            [(e.model, e.status) for e in entries if e.model is not None],
            registry.exceptions_in(namespace),
        )
        owners = [(e.key.name, e.uid) for e in entries if e.uid]
        wanted[namespace] = vap.params_config_map(namespace, view, now, owners)
        expiries.append(vap.next_refresh(view, namespace, now))
    return wanted, min((e for e in expiries if e is not None), default=None)


@dataclass
class ParamsSync:
    """Writes what `desired_params` says, only where it differs from what it last wrote."""

    objects: BuiltinObjects
    registry: Callable[[], Registry | None]
    tick: float = 1.0
    resync: timedelta = timedelta(minutes=5)
    retry: timedelta = timedelta(seconds=5)
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def sync(self, now: datetime, *, force: bool = False) -> datetime | None:
        """One pass; returns when the next one is due regardless of changes (None: never)."""
        registry = self.registry()
        if registry is None:
            return None
        wanted, expiry = desired_params(registry, now)
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
        """Sync on every registry change, when params go stale, and every `resync` in full."""
        seen, due, forced = -1, None, utcnow()
        while True:
            now, registry = utcnow(), self.registry()
            changes = registry.changes if registry is not None else -1
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


@dataclass(frozen=True)
class VapSettings:
    """How VAP mode installs its policies; from BUDGETWARDEN_* variables."""

    failure_policy: vap.FailurePolicy = "Ignore"
    max_ttl: timedelta = DEFAULT_MAX_TTL
    operator_username: str = ""

    @classmethod
    def parse(cls, env: Mapping[str, str] | None = None) -> VapSettings:
        """The settings; ValueError names a bad variable."""
        env = os.environ if env is None else env
        failure = env.get(ENV_FAILURE_POLICY) or "Ignore"
        if failure not in ("Ignore", "Fail"):
            raise ValueError(f'{ENV_FAILURE_POLICY} must be Ignore or Fail; got "{failure}"')
        try:
            ttl = parse_duration(env[ENV_MAX_TTL]) if env.get(ENV_MAX_TTL) else DEFAULT_MAX_TTL
        except ValueError as error:
            raise ValueError(f"{ENV_MAX_TTL} {error}") from error
        policy: vap.FailurePolicy = "Fail" if failure == "Fail" else "Ignore"
        return cls(policy, ttl, env.get(ENV_OPERATOR_USERNAME, ""))


async def install(objects: BuiltinObjects, settings: VapSettings, logger: Logger) -> str:
    """Apply every policy and binding of VAP mode; returns the operator's user name."""
    user = settings.operator_username or await asyncio.to_thread(objects.whoami)
    for obj in vap.admission_policies(user, settings.failure_policy):
        await asyncio.to_thread(objects.apply, obj)
    try:
        for obj in vap_exceptions.approver_recorder():
            await asyncio.to_thread(objects.apply, obj)
        recorded = True
    except NotFound:  # MutatingAdmissionPolicy is served from Kubernetes 1.36 on
        logger.warning("no MutatingAdmissionPolicy: approvers must set spec.approvedBy themselves")
        recorded = False
    for obj in vap_exceptions.exception_policies(settings.max_ttl, recorded=recorded):
        await asyncio.to_thread(objects.apply, obj)
    return user


@kopf.on.startup()
async def start_vap_mode(memo: kopf.Memo, logger: Logger, **_: Any) -> None:
    """In VAP mode: apply the policies and bindings, start keeping params current."""
    try:
        mode, settings = admission_mode(memo), VapSettings.parse()
    except ValueError as error:
        raise kopf.PermanentError(str(error)) from error
    if mode != "vap":
        return
    collaborators = memo.get("collaborators")
    if collaborators is None:  # handlers/startup.py builds the client; it has not run yet
        raise kopf.TemporaryError("waiting for the Kubernetes client", delay=1)
    objects = BuiltinObjects(collaborators.kube.api_client)
    try:
        user = await install(objects, settings, logger)
    except KubeError as error:
        message = f"cannot install the admission policies: {error}"
        raise kopf.TemporaryError(message, delay=10) from error
    if memo.get("registry") is None:  # handlers/poller_startup.py may replace it; read lazily
        memo.registry = Registry()
    sync = ParamsSync(objects, lambda: memo.get("registry"))
    memo.vap_sync_task = asyncio.get_running_loop().create_task(sync.run(), name="vap-params")
    logger.info("admission by ValidatingAdmissionPolicy; the operator is %s", user or "unknown")


@kopf.on.cleanup()
async def stop_vap_mode(memo: kopf.Memo, **_: Any) -> None:
    """Stop writing params; the policies and params stay, and so does any freeze."""
    task: asyncio.Task[None] | None = memo.get("vap_sync_task")
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
