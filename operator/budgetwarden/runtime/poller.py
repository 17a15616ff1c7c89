"""The budget loop: every interval, one or two Prometheus queries for all SLOs, then the policies.

The operator (runtime/operator.py) starts `Poller.run` as an asyncio task on kopf's event loop;
it polls only while this replica leads (runtime/leader.py), checked before every poll and policy.
It reads Prometheus through a `BudgetSource` and writes through a `Cluster` (runtime/ports.py),
so fast tests run whole polls against fakes. One poll:
1. Read every SLO's budget series, samples older than their max age left out (with a lookback
   per query where the backend takes one, else a second query that names them), in a thread
   (the client blocks). Only the series of the operator's own rules count, one per SLO and
   window (core/budget/reading.py); their age is judged by Prometheus, never against the
   operator's clock (`clock`, a test hook, dates status and decisions only).
2. Per ErrorBudgetPolicy: decide (core.policy.decide, continuing from the state its status
   records), enforce (the `Enforcer` seam), record status, and on a level change post an Event
   (reason: the Rule that set the level) and notify its `spec.notify` channels on detached tasks
   (runtime/notifications.py), which also remind while a freeze lasts.
3. Per SLO: write status.errorBudget and conditions when they changed (core.budget.slo_status),
   once the SLO handler has recorded the SLO's generation (`handler_recorded`): at start-up the
   handlers' writes go first instead of conflicting with the poll's.
4. Update /metrics.
Policies go first, so a freeze never waits behind a thousand SLO status writes. A poll never
raises: each failure is logged, counted in budgetwarden_poll_errors_total{stage}, and the next
poll starts on time. Status patches carry the resourceVersion the registry saw, so a patch
computed from a stale view fails with a conflict (and is redone next poll) instead of
overwriting what another writer just put there.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from budgetwarden.adapters.kube import Conflict, KubeError, NotFound, Ref
from budgetwarden.adapters.mail import Mailer
from budgetwarden.adapters.metrics import OperatorMetrics
from budgetwarden.adapters.notify import Notifier
from budgetwarden.core.budget.reading import poll_result, stable_failure
from budgetwarden.core.budget.slo_status import SLOPoll, handler_recorded, slo_status_patch
from budgetwarden.core.budget.snapshot import PollResult
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.kernel.wire import merge_apply
from budgetwarden.core.policy.decide import Decision, PolicyState, decide
from budgetwarden.core.policy.notification import (
    DEFAULT_FREEZE_RUNBOOK,
    transition_event,
    worth_notifying,
)
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden.core.policy.status import policy_status_patch
from budgetwarden.core.policy.status_model import HeldTarget
from budgetwarden.runtime.notifications import Notifications
from budgetwarden.runtime.ports import BudgetSource, Cluster
from budgetwarden.runtime.registry import Key, Registry, Tracked
from budgetwarden.runtime.reporting import announce, utcnow

logger = logging.getLogger(__name__)
# Status writes in flight at once; the Kubernetes client's connection pool holds four.
WRITE_CONCURRENCY = 4
FOLLOWER_TICK_SECONDS = 1.0


class Enforcer(Protocol):
    """Where enforcement plugs in: called for every policy on every poll, after `decide`.

    Gets the parsed policy, this poll's decision, and the workloads the policy's status says it
    holds; returns the workloads it holds now, which go into status.heldTargets. It must be
    idempotent (it runs every poll, not only on level changes) and may raise: the poller logs
    the error, keeps the previous heldTargets, and calls it again next poll.
    """

    def __call__(
        self, policy: ErrorBudgetPolicy, decision: Decision, held: tuple[HeldTarget, ...]
    ) -> Awaitable[Sequence[HeldTarget]]: ...


async def keep_held(
    policy: ErrorBudgetPolicy, decision: Decision, held: tuple[HeldTarget, ...]
) -> Sequence[HeldTarget]:
    """The enforcer when none is installed: touches nothing, reports what status already held."""
    return held


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for one poll, back on (if it was) when it ends.

    A poll of 10,000 SLOs holds some 30,000 objects the collector tracks (snapshots, their
    keys, statuses) for a second or two and frees them by reference counting at its end. With
    the collector on they aged into its oldest generation on the way, and their number set off
    a collection of the whole heap about once a poll (docs/benchmarks.md, poll_apart). What a
    poll makes is freed by reference counting, so the pause costs little memory; any reference
    cycle left meanwhile, by the poll or another task, is collected after it.
    """
    if not gc.isenabled():  # paused already (a poll inside a poll, in a test)
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass
class Poller:
    """The loop and its collaborators, built once at start-up."""

    registry: Registry
    kube: Cluster
    reader: BudgetSource
    metrics: OperatorMetrics
    notifier: Notifier
    interval: timedelta
    max_age: timedelta
    status_refresh: timedelta
    # The budget left is recorded less often than the burn rates (rules.RuleOptions.
    # budget_interval), so it may be older; max_age when None.
    budget_max_age: timedelta | None = None
    enforce: Enforcer = keep_held
    clock: Callable[[], datetime] = utcnow  # the operator's clock; tests skew it
    leading: Callable[[], bool] = lambda: True  # runtime/leader.py: only the leader polls
    mailer: Mailer = field(default_factory=Mailer)
    freeze_runbook: str = DEFAULT_FREEZE_RUNBOOK  # the page notifications link
    polls: int = 0
    _writes: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(WRITE_CONCURRENCY))
    notifications: Notifications = field(init=False)

    def __post_init__(self) -> None:
        self.notifications = Notifications(
            self.kube, self.metrics, self.notifier, self.mailer, self.freeze_runbook
        )

    async def run(self) -> None:
        """Poll every interval until cancelled; a slow poll delays the next, never overlaps it."""
        loop = asyncio.get_running_loop()
        while True:
            started, pause = loop.time(), self.interval.total_seconds()
            if self.leading():
                await self.poll()
            else:  # another replica polls; check again soon, to take over quickly
                pause = min(pause, FOLLOWER_TICK_SECONDS)
            await asyncio.sleep(max(0.0, pause - (loop.time() - started)))

    async def poll(self) -> None:
        """One poll of every SLO and policy; failures are logged and counted, never raised."""
        started, queries = time.perf_counter(), self.reader.queries_issued
        try:
            with collector_paused():
                now = self.clock()
                result = await self._read(now)
                levels = await self._policies(result, now)
                await self._slos(result, now)
                self._export(result, levels)
        except Exception:
            logger.exception("poll failed")
            self.metrics.error("unexpected")
        finally:
            self.polls += 1
            self.metrics.poll_done(
                time.perf_counter() - started, self.reader.queries_issued - queries
            )

    async def _read(self, now: datetime) -> PollResult:
        """Every SLO's fresh samples, in one or two queries; a failure makes a poll without data."""
        try:
            samples = await asyncio.to_thread(
                self.reader.read_budget_series, self.max_age, self.budget_max_age
            )
        except Exception as error:  # the adapter's PrometheusUnavailable, or a malformed answer
            logger.warning("Prometheus could not be read: %s", error)
            self.metrics.error("prometheus")
            return PollResult.unavailable(now, stable_failure(str(error)))
        return poll_result(samples, now)

    # --- policies ----------------------------------------------------------------------------
    async def _policies(self, result: PollResult, now: datetime) -> dict[Key, tuple[Level, int]]:
        levels: dict[Key, tuple[Level, int]] = {}
        for entry in list(self.registry.policies.values()):
            if entry.model is None or not self.leading():
                continue  # an invalid spec (the policy handler reports it), or leadership lost
            try:
                if await self._seeded(entry.key.namespace):
                    levels[entry.key] = await self._policy(entry, entry.model, result, now)
            except Exception:
                logger.exception("policy %s could not be evaluated", entry.key)
                self.metrics.error("policy")
        self.notifications.keep_only(self.registry.policies.keys())
        return levels

    async def _seeded(self, namespace: str) -> bool:
        """List a namespace's SLOs once, so no policy is decided on a half-known namespace."""
        if namespace in self.registry.seeded_namespaces:
            return True
        try:
            items, _ = await asyncio.to_thread(
                self.kube.list, c.GROUP, c.VERSION, c.PLURAL_SLO, namespace
            )
        except KubeError as error:
            logger.warning("cannot list the SLOs of %s yet: %s", namespace, error)
            self.metrics.error("list")
            return False
        self.registry.seed_slos(namespace, items)
        return True

    async def _policy(
        self,
        entry: Tracked[ErrorBudgetPolicy],
        policy: ErrorBudgetPolicy,
        result: PollResult,
        now: datetime,
    ) -> tuple[Level, int]:
        """Decide, enforce, record; announce a level change once its status is written."""
        slos = self.registry.selected_slos(policy)
        previous = entry.policy_status.state
        snapshots = result.select(slo.key for slo in slos)
        decision = decide(policy, snapshots, previous, now, result.metrics_available)
        held = await self._enforce(policy, decision, entry.policy_status.held_targets)
        available = result.metrics_available
        patch = policy_status_patch(
            entry.status, policy, decision, held, metrics_available=available, now=now
        )
        written = patch is not None and await self._write(entry, c.PLURAL_POLICY, patch, "policy")
        if written and decision.changed:
            await self._announce(entry, policy, previous, decision, now)
        self.notifications.remind(entry.key, policy, decision, now)
        return decision.level, len(held)

    async def _enforce(
        self, policy: ErrorBudgetPolicy, decision: Decision, held: tuple[HeldTarget, ...]
    ) -> tuple[HeldTarget, ...]:
        try:
            return tuple(await self.enforce(policy, decision, held))
        except Exception:
            logger.exception("enforcement of %s failed", policy.metadata.name)
            self.metrics.error("enforcement")
            return held

    async def _announce(
        self,
        entry: Tracked[ErrorBudgetPolicy],
        policy: ErrorBudgetPolicy,
        previous: PolicyState | None,
        decision: Decision,
        now: datetime,
    ) -> None:
        """The Event on the policy, then its notifications, each on a detached task."""
        before = previous.level if previous is not None else None
        note = transition_event(before, decision)
        await asyncio.to_thread(
            announce, self.kube, entry.involved(), note.type, note.reason, note.message,
            now=now, logger=logger,
        )  # fmt: skip
        if worth_notifying(before, decision):
            self.notifications.changed(entry.key, policy, previous, decision)

    # --- SLOs --------------------------------------------------------------------------------
    async def _slos(self, result: PollResult, now: datetime) -> None:
        """Write every SLO's status that changed, a few at a time."""
        writes = []
        for entry in list(self.registry.slos.values()):
            if entry.model is None:
                continue  # an invalid spec has no rules, so no series; its handler reports it
            if not handler_recorded(entry.slo_status, entry.generation):
                continue  # its handler writes first; the next poll writes after it
            poll = SLOPoll(
                snapshot=result.snapshots.get(entry.key),
                failure=result.failure,
                now=now,
                max_age=self.budget_max_age or self.max_age,
                refresh_after=self.status_refresh,
                generation=entry.generation,
            )
            patch = slo_status_patch(entry.status, entry.model, poll, entry.slo_status)
            if patch is not None:
                writes.append(self._write(entry, c.PLURAL_SLO, patch, "slo-status"))
        await asyncio.gather(*writes)

    async def _write(
        self, entry: Tracked[Any], plural: str, patch: dict[str, Any], stage: str
    ) -> bool:
        """Patch status if the object is still as the registry saw it; True when written."""
        ref = Ref(c.GROUP, c.VERSION, plural, entry.key.namespace, entry.key.name)
        async with self._writes:
            try:
                await asyncio.to_thread(
                    self.kube.patch_status, ref, patch, resource_version=entry.resource_version
                )
            except (Conflict, NotFound) as error:
                logger.debug("status of %s not written this poll: %s", entry.key, error)
                return False
            except KubeError as error:
                logger.warning("cannot write the status of %s: %s", entry.key, error)
                self.metrics.error(stage)
                return False
        self.registry.remember_status(plural, entry.key, merge_apply(entry.status, patch))
        return True

    def _export(self, result: PollResult, levels: dict[Key, tuple[Level, int]]) -> None:
        budgets = {
            (key.namespace, key.name): (
                snapshot.remaining_percent if (snapshot := result.snapshots.get(key)) else None
            )
            for key, entry in self.registry.slos.items()
            if entry.model is not None
        }
        self.metrics.set_budgets(budgets)
        self.metrics.set_policies({(k.namespace, k.name): v for k, v in levels.items()})
