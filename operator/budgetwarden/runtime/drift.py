"""Detection fallback: a new version that reached a workload during a freeze past admission.

With failurePolicy Ignore an unreachable webhook lets pod-template changes through. kopf's
Rollout and Deployment watch (handlers/drift.py) hands every event to `DriftWatch.observe`;
when a workload's pod template changes while a policy that selects it is frozen, and the change
is neither covered by a FreezeException, nor a rollback to the recorded stable template, nor a
restart, it applies that policy's plan to the workload (it is paused by the same rules the
poller follows) and posts a Warning Event, TemplateChangedDuringFreeze, saying what was done.
Under DryRun it only logs.

Why event handlers and not kopf's update handlers: update handlers keep the last-handled
configuration in an annotation on the object, so the operator would write to every workload it
watches. Event handlers store nothing; instead two digests of each workload's version
(`version_of` with and without the containers' resources, about two hundred bytes) are kept in
memory per uid, for every workload watched: kopf lists workloads and policies in no fixed order
at start-up, and a workload remembered only once its
policy is known would miss its first change. After a restart the first event of each workload
only records its version: a change that landed while the operator was down gets no Event, but
the poller still pauses every target of a freeze.

The cheap filter: most events are status updates, which end after one digest. Only a changed
version looks further, at policies, their statuses and FreezeExceptions in the in-memory
registry (runtime/registry.py): no API read unless there is something to pause and report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from budgetwarden.adapters.kube import Kube
from budgetwarden.adapters.kube.workloads import involved, workload_of
from budgetwarden.core.freeze.enforcement import plan, selects
from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.core.freeze.view import covering_exception
from budgetwarden.core.freeze.workload import Workload, template_drifted, version_of
from budgetwarden.core.freeze.workload_diff import as_mapping
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import is_freeze, severity
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks
from budgetwarden.core.policy.decide import PolicyState
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, TargetKind
from budgetwarden.core.policy.status_model import HeldTarget, PolicyStatus, record_of
from budgetwarden.runtime.enforcer import act
from budgetwarden.runtime.registry import Registry, plain
from budgetwarden.runtime.reporting import Logger, announce, utcnow

Frozen = tuple[ErrorBudgetPolicy, PolicyState, HeldTarget | None]  # with its record of the workload


@dataclass
class DriftWatch:
    """Remembers every watched workload's version; acts when a new one lands during a freeze."""

    registry: Registry
    kube: Kube
    # uid -> version_of the last seen, with and without the containers' resources
    versions: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Whether this replica acts (it leads, runtime/leader.py); every replica remembers versions,
    # so one that takes over knows what changed from its first event on.
    leading: Callable[[], bool] = lambda: True
    runbooks: RunbookLinks = SHIPPED_RUNBOOKS  # the pages its Events link

    async def observe(
        self, kind: TargetKind, event_type: str | None, body: Mapping[str, Any], logger: Logger
    ) -> None:
        """Remember the workload's version; on a new version during a freeze, act and report."""
        meta = as_mapping(body.get("metadata"))
        namespace, uid = str(meta.get("namespace") or ""), str(meta.get("uid") or "")
        if event_type == "DELETED":
            self.versions.pop(uid, None)
            return
        old, version = self.versions.get(uid), version_of(body)
        if old is not None and old[0] == version:
            return  # most events are status updates: one digest, nothing more
        new = self.versions[uid] = (version, version_of(body, resources=False))
        if old is None:
            logger.debug("remembering the version to notice new ones during a freeze")
            return
        policies = self.registry.policies_in(namespace)
        workload = workload_of(kind, plain(body))
        frozen = _frozen(policies, workload, resources_only=old[1] == new[1])
        # only the stable template the freeze recorded counts: the current one is the one
        # that changed, and annotations are any editor's to write
        stable = next((h.stable_template for _, _, h in frozen if h and h.stable_template), "")
        before = next((h.previous_template for _, _, h in frozen if h and h.previous_template), "")
        if not frozen or not template_drifted(old[0], body, stable, before):
            return
        if not self.leading():
            return
        exceptions = self.registry.exceptions_in(namespace)
        names = {model.metadata.name for model, _ in policies}
        args = (self.kube, frozen, workload, exceptions, names, utcnow(), logger, self.runbooks)
        await asyncio.to_thread(respond, *args)


def _frozen(
    policies: Sequence[tuple[ErrorBudgetPolicy, PolicyStatus]], w: Workload, resources_only: bool
) -> list[Frozen]:
    """The frozen policies that select or already hold the workload, with their record of it;
    most severe first, then by name. With `resources_only` (the change touched only containers'
    resources) those that let such a change through at their level are left out."""
    found = []
    for model, status in policies:
        state = status.state
        if state is None or not is_freeze(state.level):
            continue
        if resources_only and model.spec.lets_resources_through(state.level):
            continue
        record = record_of(status.held_targets, w.kind.value, w.name, w.uid)
        if record is not None or selects(model, w):
            found.append((model, state, record))
    return sorted(found, key=lambda f: (-severity(f[1].level), f[0].metadata.name))


def respond(
    kube: Kube,
    frozen: Sequence[Frozen],
    w: Workload,
    exceptions: Sequence[FreezeException],
    names: set[str],
    now: datetime,
    logger: Logger,
    runbooks: RunbookLinks = SHIPPED_RUNBOOKS,
) -> None:
    """Hold the workload as each frozen policy's plan says; report on the first policy."""
    policy, state, _ = frozen[0]
    fid = state.freeze_id or ""
    exception = covering_exception(exceptions, state.level, w.ref, now)
    if exception is not None:
        logger.info(
            "pod template changed during freeze %s; FreezeException %s covers it",
            fid, exception.metadata.name,
        )  # fmt: skip
        return
    current = w
    for model, model_state, record in frozen:
        held = (record,) if record is not None else ()
        actions = plan(
            model, model_state, [current], now=now, exceptions=exceptions, policies=names,
            held=held, runbooks=runbooks,
        )  # fmt: skip
        current = act(kube, actions, [current], now=now, logger=logger)[0]
    mode = policy.spec.enforcement
    message = (
        f"The pod template changed during freeze {fid} ({state.level}) of ErrorBudgetPolicy "
        f"{policy.metadata.name}, and no FreezeException covers it: admission was bypassed "
        f"or unreachable. {_outcome(policy, current)} See {runbooks.freeze}"
    )
    if mode == "DryRun":
        logger.warning("DryRun: would report %s", message)
        return
    reason = c.EVENT_TEMPLATE_CHANGED_DURING_FREEZE
    announce(kube, involved(w), "Warning", reason, message, now=now, logger=logger)


def _outcome(policy: ErrorBudgetPolicy, w: Workload) -> str:
    if w.paused:
        return "The workload is paused, so the new version does not roll out."
    if policy.spec.enforcement == "Warn":
        return "Nothing was paused: the policy's enforcement is Warn."
    if policy.spec.in_flight == "Ignore":
        return "Nothing was paused: the policy's inFlight is Ignore."
    return "Pausing it failed; the next poll tries again."
