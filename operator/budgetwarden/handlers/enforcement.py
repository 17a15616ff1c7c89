"""Holding a policy's workloads: the seam the poller calls after every decision.

handlers/poller.py calls the enforcer installed here (`memo.enforcer`, see `install`) for every
ErrorBudgetPolicy on every poll; `enforce` is the same thing for callers holding an ApiClient.
One call is a recipe:
1. read every Rollout and Deployment of the policy's namespace (two list calls), and during a
   freeze its FreezeExceptions (one more);
2. plan with core.freeze.enforcement (pure: the rules are there);
3. apply each action (conditional merge patches) and post its Events;
4. report status.heldTargets.
With nothing to change nothing is written, so calling it every poll is cheap and idempotent.
The whole namespace is read, not only what the selectors match, because a workload relabelled
out of a policy's targets (or a target removed from the spec) during a freeze must still be
resumed. A failed write is logged and skipped: the next poll plans again from a fresh read.
handlers/drift.py reuses `act` for one workload.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import kopf
from kubernetes import client

from budgetwarden.adapters.kube import Kube
from budgetwarden.adapters.workloads import (
    WorkloadError,
    abort_rollout,
    involved,
    list_workloads,
    merge_patch,
    patch_workload,
)
from budgetwarden.core.freeze.enforcement import Stance, held_targets, plan, stance_of
from budgetwarden.core.freeze.exception_spec import FreezeException, parse_exception
from budgetwarden.core.freeze.workload import Action, Note, Workload
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.policy.decide import Decision, PolicyState
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, TargetKind
from budgetwarden.core.policy.status import HeldTarget
from budgetwarden.handlers.reporting import Logger, announce, utcnow

module_logger = logging.getLogger(__name__)


async def enforce(
    policy: ErrorBudgetPolicy,
    decision: Decision,
    *,
    api: client.ApiClient,
    logger: logging.Logger,
) -> list[dict[str, Any]]:
    """Bring the policy's workloads in line with the decision; status.heldTargets entries."""
    held = await asyncio.to_thread(enforce_now, policy, decision, api, logger, utcnow())
    return [held_entry(h) for h in held]


def held_entry(held: HeldTarget) -> dict[str, Any]:
    """One status.heldTargets entry: kind, name, pausedByUs and, when known, stableTemplate."""
    entry: dict[str, Any] = {"kind": held.kind, "name": held.name, "pausedByUs": held.paused_by_us}
    if held.stable_template:
        entry["stableTemplate"] = held.stable_template
    return entry


def enforce_now(
    policy: ErrorBudgetPolicy,
    state: Decision | PolicyState,
    api: client.ApiClient,
    logger: Logger,
    now: datetime,
) -> tuple[HeldTarget, ...]:
    """The blocking body of `enforce`: read, plan, apply; the workloads the policy holds."""
    namespace = policy.metadata.namespace
    freeze = stance_of(policy, state) is Stance.FREEZE
    # read: stable templates are looked up only when a freeze records them
    workloads = [
        w for kind in TargetKind for w in list_workloads(api, namespace, kind, find_stable=freeze)
    ]
    exceptions = exceptions_in(api, namespace) if freeze else []
    policies = _policy_names(api, policy, workloads)
    # plan (pure), then apply
    actions = plan(policy, state, workloads, now=now, exceptions=exceptions, policies=policies)
    loud = not isinstance(state, Decision) or state.changed
    current = act(api, actions, workloads, now=now, logger=logger, loud=loud)
    return held_targets(policy, state, current)


def act(
    api: client.ApiClient,
    actions: Sequence[Action],
    workloads: Iterable[Workload],
    *,
    now: datetime,
    logger: Logger,
    loud: bool = True,
) -> list[Workload]:
    """Apply each action and post its Events; the workloads as they are afterwards.

    DryRun actions are only logged (at info when `loud`, else debug, so an unchanged DryRun
    policy does not repeat itself every poll).
    """
    current = {(w.kind, w.name): w for w in workloads}
    kube = Kube(api)
    for action in actions:
        w = action.workload
        where = f"{w.kind.value} {w.namespace}/{w.name}"
        if action.dry_run:
            (logger.info if loud else logger.debug)("DryRun: would %s %s", action.summary(), where)
            continue
        try:
            current[(w.kind, w.name)] = _apply(api, kube, action, now, logger)
        except WorkloadError as error:
            # a conflict or a deleted workload is normal churn; the next poll reads it again
            log = logger.info if error.conflict or error.gone else logger.warning
            log("%s not changed (%s) this time: %s", where, action.summary(), error)
    return list(current.values())


def _apply(
    api: client.ApiClient, kube: Kube, action: Action, now: datetime, logger: Logger
) -> Workload:
    """Patch, then abort; each step's Events once that step is done."""
    w = action.workload
    patch = merge_patch(action)
    if patch is not None:
        w = patch_workload(api, w, patch)
    _post(kube, w, [n for n in action.notes if n.reason != c.EVENT_ABORTED], now, logger)
    if action.abort:
        w = abort_rollout(api, w)
        _post(kube, w, [n for n in action.notes if n.reason == c.EVENT_ABORTED], now, logger)
    if not action.notes:
        logger.debug("%s %s/%s: %s", w.kind.value, w.namespace, w.name, action.summary())
    return w


def _post(kube: Kube, w: Workload, notes: Iterable[Note], now: datetime, logger: Logger) -> None:
    for note in notes:
        announce(kube, involved(w), note.type, note.reason, note.message, now=now, logger=logger)


def exceptions_in(api: client.ApiClient, namespace: str) -> list[FreezeException]:
    """The namespace's FreezeExceptions that parse; expiry is the planner's to judge."""
    items, _ = Kube(api).list(c.GROUP, c.VERSION, c.PLURAL_EXCEPTION, namespace)
    found = []
    for item in items:
        try:
            found.append(parse_exception(item))
        except SpecError:
            continue  # an invalid exception covers nothing; its own handler reports it
    return found


def _policy_names(
    api: client.ApiClient, policy: ErrorBudgetPolicy, workloads: Iterable[Workload]
) -> set[str] | None:
    """The namespace's policy names, read only when a workload names another policy."""
    others = {w.annotations.get(c.ANNOTATION_POLICY) for w in workloads}
    others |= {w.pauser[0] for w in workloads if w.pauser is not None}
    if not others - {None, policy.metadata.name}:
        return None
    items, _ = Kube(api).list(c.GROUP, c.VERSION, c.PLURAL_POLICY, policy.metadata.namespace)
    return {str(item["metadata"]["name"]) for item in items}


# --- Plugging into the poller ----------------------------------------------------------------
@kopf.on.startup()
async def install(memo: kopf.Memo, **_: Any) -> None:
    """Install the enforcer, whether handlers/poller_startup.py has run yet or not."""

    async def enforcer(
        policy: ErrorBudgetPolicy, decision: Decision, held: tuple[HeldTarget, ...]
    ) -> Sequence[HeldTarget]:
        # A failure propagates: the poller logs and counts it and keeps the previous held list.
        api = memo.collaborators.kube.api_client  # built by handlers/startup.py
        return await asyncio.to_thread(enforce_now, policy, decision, api, module_logger, utcnow())

    memo.enforcer = enforcer
    if memo.get("poller") is not None:
        memo.poller.enforce = enforcer
