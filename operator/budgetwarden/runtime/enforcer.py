"""Holding a policy's workloads: what the poller calls after every decision.

The operator (runtime/operator.py) gives the poller an `Enforcer`, which it calls for every
ErrorBudgetPolicy on every poll; `enforce` is the same thing for one call. One call is a recipe:
1. read every Rollout and Deployment of the policy's namespace (two list calls), and during a
   freeze its FreezeExceptions (one more);
2. plan with core.freeze.enforcement (pure: the rules are there);
3. apply each action (conditional merge patches; a canary's pause step restarted first) and
   post its Events;
4. report status.heldTargets.
With nothing to change nothing is written, so calling it every poll is cheap and idempotent.
The whole namespace is read, not only what the selectors match, because a workload relabelled
out of a policy's targets (or a target removed from the spec) during a freeze must still be
resumed. A failed write is logged and skipped: the next poll plans again from a fresh read.
The drift watch (runtime/drift.py) reuses `act` for one workload.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from budgetwarden.adapters.kube import Conflict, Kube, KubeError, NotFound
from budgetwarden.adapters.kube.workloads import (
    abort_rollout,
    involved,
    list_workloads,
    merge_patch,
    patch_workload,
    restart_pause_step,
)
from budgetwarden.core.freeze.enforcement import Stance, held_targets, plan, stance_of
from budgetwarden.core.freeze.exception_spec import FreezeException, parse_exception
from budgetwarden.core.freeze.workload import Action, Note, Workload
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks
from budgetwarden.core.policy.decide import Decision, PolicyState
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, TargetKind
from budgetwarden.core.policy.status_model import HeldTarget
from budgetwarden.runtime.reporting import Logger, announce, utcnow

module_logger = logging.getLogger(__name__)


async def enforce(
    policy: ErrorBudgetPolicy,
    decision: Decision,
    *,
    kube: Kube,
    logger: logging.Logger,
    held: Sequence[HeldTarget] = (),
) -> list[dict[str, Any]]:
    """Bring the policy's workloads in line with the decision, given what its status records
    it holds (`held`); the status.heldTargets entries it holds afterwards."""
    args = (policy, decision, kube, logger, utcnow(), tuple(held))
    return [h.wire() for h in await asyncio.to_thread(enforce_now, *args)]


@dataclass(frozen=True)
class Enforcer:
    """The poller's enforcer: `enforce_now` in a thread, on the operator's connection.

    A failure propagates: the poller logs and counts it and keeps the previous held list.
    """

    kube: Kube
    runbooks: RunbookLinks = SHIPPED_RUNBOOKS  # the pages its Events link

    async def __call__(
        self, policy: ErrorBudgetPolicy, decision: Decision, held: tuple[HeldTarget, ...]
    ) -> Sequence[HeldTarget]:
        return await asyncio.to_thread(
            enforce_now, policy, decision, self.kube, module_logger, utcnow(), held, self.runbooks
        )


def enforce_now(
    policy: ErrorBudgetPolicy,
    state: Decision | PolicyState,
    kube: Kube,
    logger: Logger,
    now: datetime,
    held: tuple[HeldTarget, ...] = (),
    runbooks: RunbookLinks = SHIPPED_RUNBOOKS,
) -> tuple[HeldTarget, ...]:
    """The blocking body of `enforce`: read, plan, apply; the workloads the policy holds.

    `held` is what the policy's status records it holds: a freeze's holds are sticky, and
    their stable templates and pauses come from there (core/freeze/enforcement.py rule 6)."""
    namespace = policy.metadata.namespace
    freeze = stance_of(policy, state) is Stance.FREEZE
    # read: stable templates are looked up only when a freeze records them
    workloads = [
        w for kind in TargetKind for w in list_workloads(kube, namespace, kind, find_stable=freeze)
    ]
    exceptions = exceptions_in(kube, namespace) if freeze else []
    policies = _policy_names(kube, policy, workloads)
    # plan (pure), then apply
    actions = plan(
        policy, state, workloads, now=now, exceptions=exceptions, policies=policies, held=held,
        runbooks=runbooks,
    )  # fmt: skip
    loud = not isinstance(state, Decision) or state.changed
    current = act(kube, actions, workloads, now=now, logger=logger, loud=loud)
    return held_targets(policy, state, current, held)


def act(
    kube: Kube,
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
    for action in actions:
        w = action.workload
        where = f"{w.kind.value} {w.namespace}/{w.name}"
        if action.dry_run:
            (logger.info if loud else logger.debug)("DryRun: would %s %s", action.summary(), where)
            continue
        try:
            current[(w.kind, w.name)] = _apply(kube, action, now, logger)
        except KubeError as error:
            # a conflict or a deleted workload is normal churn; the next poll reads it again
            log = logger.info if isinstance(error, Conflict | NotFound) else logger.warning
            log("%s not changed (%s) this time: %s", where, action.summary(), error)
    return list(current.values())


def _apply(kube: Kube, action: Action, now: datetime, logger: Logger) -> Workload:
    """Restart a pause step, patch, then abort; each step's Events once that step is done."""
    w = action.workload
    if action.restart_pause_step is not None:
        # before the unpause, or the controller ends the step on the old count; the patch
        # below is then conditional on the resourceVersion this status write left
        w = restart_pause_step(kube, w, action.restart_pause_step)
        action = replace(action, workload=w)
    patch = merge_patch(action)
    if patch is not None:
        w = patch_workload(kube, w, patch)
    _post(kube, w, [n for n in action.notes if n.reason != c.EVENT_ABORTED], now, logger)
    if action.abort:
        w = abort_rollout(kube, w)
        _post(kube, w, [n for n in action.notes if n.reason == c.EVENT_ABORTED], now, logger)
    if not action.notes:
        logger.debug("%s %s/%s: %s", w.kind.value, w.namespace, w.name, action.summary())
    return w


def _post(kube: Kube, w: Workload, notes: Iterable[Note], now: datetime, logger: Logger) -> None:
    for note in notes:
        announce(kube, involved(w), note.type, note.reason, note.message, now=now, logger=logger)


def exceptions_in(kube: Kube, namespace: str) -> list[FreezeException]:
    """The namespace's FreezeExceptions that parse; expiry is the planner's to judge."""
    items, _ = kube.list(c.GROUP, c.VERSION, c.PLURAL_EXCEPTION, namespace)
    found = []
    for item in items:
        try:
            found.append(parse_exception(item))
        except SpecError:
            continue  # an invalid exception covers nothing; its own handler reports it
    return found


def _policy_names(
    kube: Kube, policy: ErrorBudgetPolicy, workloads: Iterable[Workload]
) -> set[str] | None:
    """The namespace's policy names, read only when a workload names another policy."""
    others = {w.annotations.get(c.ANNOTATION_POLICY) for w in workloads}
    others |= {w.pauser[0] for w in workloads if w.pauser is not None}
    if not others - {None, policy.metadata.name}:
        return None
    items, _ = kube.list(c.GROUP, c.VERSION, c.PLURAL_POLICY, policy.metadata.namespace)
    return {str(item["metadata"]["name"]) for item in items}
