"""The poller, fast: whole polls against a fake Prometheus and a fake API server.

The same code runs against the real adapters in tests/integration/test_poller.py; here each
poll takes milliseconds, so the rules of the loop are checked one by one: one query per poll,
status written once and then not again, every status write carrying the resourceVersion it was
computed from, no status written before the SLO's handler recorded its generation, Prometheus
down holding the level, a failing enforcer keeping what was held, only the rules' own series
read (one per SLO and window), and samples dated by Prometheus' clock.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from budgetwarden.adapters.kube import Ref
from budgetwarden.adapters.metrics import OperatorMetrics
from budgetwarden.adapters.notify import Notifier
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.decide import Decision
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden.core.policy.status_model import HeldTarget
from budgetwarden.runtime.poller import Enforcer, Poller
from budgetwarden.runtime.registry import Registry
from operator_support import EXAMPLES
from runtime_fakes import FakeCluster, FakeSource

NS, SLO, POLICY = "shop", "checkout-availability", "payments"
NOW = datetime.now(UTC)


class Loop:
    """A poller wired to fakes, with the registry fed as kopf's watch would feed it."""

    def __init__(
        self, enforce: Enforcer | None = None, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.source, self.cluster, self.registry = FakeSource(), FakeCluster(), Registry()
        self.metrics = OperatorMetrics()
        extra: dict[str, Any] = {"enforce": enforce} if enforce is not None else {}
        extra |= {"clock": clock} if clock is not None else {}
        self.poller = Poller(
            registry=self.registry, kube=self.cluster, reader=self.source,
            metrics=self.metrics, notifier=Notifier(), interval=timedelta(seconds=1),
            max_age=timedelta(minutes=5), status_refresh=timedelta(minutes=10), **extra,
        )  # fmt: skip

    def add(self, plural: str, example: str, *, handled: bool = True) -> None:
        """Create an example resource and deliver its watch event; an SLO `handled` carries the
        observedGeneration its handler records."""
        resource = yaml.safe_load((EXAMPLES / example).read_text())
        if plural == "slos" and handled:
            resource["status"] = {"observedGeneration": 1}
        self.registry.observe(plural, None, self.cluster.create(plural, resource))

    def poll(self, *, watch: bool = True) -> None:
        """One poll; then, like the watch, bring the registry up to what the cluster holds."""
        asyncio.run(self.poller.poll())
        if watch:
            self.watch()

    def watch(self) -> None:
        """Deliver a MODIFIED event for every object, as they are stored now."""
        for plural, ns, name in list(self.cluster.objects):
            self.registry.observe(plural, "MODIFIED", self.cluster.get(plural, ns, name))

    def status(self, plural: str, name: str) -> dict[str, Any]:
        return dict(self.cluster.get(plural, NS, name).get("status") or {})


@pytest.fixture
def loop() -> Loop:
    loop = Loop()
    loop.add("slos", "01-availability-ratio.yaml")
    return loop


def reasons(status: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in status.get("conditions") or []}


def test_one_query_per_poll_and_an_unchanged_budget_is_written_once(loop: Loop) -> None:
    loop.source.budget(NS, SLO, "0.632", NOW, w5m="0.4", w1h="1.2")
    loop.poll()
    loop.poll()
    loop.poll()
    budget = loop.status("slos", SLO)["errorBudget"]
    assert {k: budget[k] for k in ("remainingPercent", "burnRates", "fastBurnRate")} == {
        "remainingPercent": "63.2",
        "burnRates": {"5m": "0.4", "1h": "1.2"},
        "fastBurnRate": "1.2",
    }
    assert reasons(loop.status("slos", SLO)) == {
        "MetricsAvailable": ("True", "SeriesFound"),
        "BudgetExhausted": ("False", "BudgetLeft"),
    }
    assert (loop.source.queries_issued, len(loop.cluster.status_writes)) == (3, 1)


def test_each_read_gives_the_budget_left_its_own_max_age(loop: Loop) -> None:
    loop.poller.budget_max_age = timedelta(minutes=7)
    loop.poll()
    assert (loop.source.reads, loop.source.budget_reads) == (
        [timedelta(minutes=5)],
        [timedelta(minutes=7)],
    )
    # and a missing budget is reported with the age it was read with
    conditions = {x["type"]: x for x in loop.status("slos", SLO)["conditions"]}
    assert "newer than 7m:" in conditions["MetricsAvailable"]["message"]


def test_the_poller_writes_only_the_status_fields_it_owns(loop: Loop) -> None:
    loop.source.budget(NS, SLO, "0.05", NOW, w1h="1")
    loop.poll()
    ((plural, _, patch),) = loop.cluster.status_writes
    owned = {c["type"] for c in patch["conditions"]}
    assert (plural, sorted(patch), owned) == (
        "slos",
        ["conditions", "errorBudget"],
        {"MetricsAvailable", "BudgetExhausted"},
    )


def test_a_status_computed_from_a_stale_read_is_not_written(loop: Loop) -> None:
    loop.source.budget(NS, SLO, "0.632", NOW, w1h="1.2")
    # someone else writes the SLO after the registry saw it: the poller's view is stale
    loop.cluster.create("slos", loop.cluster.get("slos", NS, SLO))
    loop.poll(watch=False)
    assert loop.cluster.status_writes == []
    loop.watch()  # the watch brings the new resourceVersion: now it is written
    loop.poll()
    assert loop.status("slos", SLO)["errorBudget"]["remainingPercent"] == "63.2"


def test_an_slo_its_handler_has_not_recorded_gets_no_status_from_the_poller() -> None:
    loop = Loop()
    loop.add("slos", "01-availability-ratio.yaml", handled=False)
    loop.source.budget(NS, SLO, "0.632", NOW, w1h="1.2")
    loop.poll()
    assert loop.cluster.status_writes == []
    # the handler records generation 1: the next poll writes the budget
    stored = loop.cluster.get("slos", NS, SLO)
    ref = Ref(c.GROUP, c.VERSION, c.PLURAL_SLO, NS, SLO)
    loop.cluster.patch_status(ref, {"observedGeneration": 1}, stored["metadata"]["resourceVersion"])
    loop.watch()
    loop.poll()
    assert loop.status("slos", SLO)["errorBudget"]["remainingPercent"] == "63.2"
    # a new spec (generation 2) waits for its handler again
    loop.cluster.objects[("slos", NS, SLO)]["metadata"] |= {
        "generation": 2,
        "resourceVersion": "99",
    }
    loop.source.budget(NS, SLO, "0.5", NOW, w1h="1.2")
    writes = len(loop.cluster.status_writes)
    loop.watch()
    loop.poll()
    assert len(loop.cluster.status_writes) == writes


def test_a_policy_freezes_announces_once_and_holds_while_prometheus_is_down(loop: Loop) -> None:
    loop.add("errorbudgetpolicies", "05-policy.yaml")
    loop.source.budget(NS, SLO, "0.214", NOW, w1h="1", w5m="1")
    loop.poll()
    loop.poll()
    frozen = loop.status("errorbudgetpolicies", POLICY)
    assert (frozen["level"], frozen["reason"]) == (
        "PartialFreeze",
        f"SLO {SLO} has 21.4% error budget left (partial freeze below 30%)",
    )
    loop.source.down = True
    loop.poll()
    held = loop.status("errorbudgetpolicies", POLICY)
    assert (held["level"], held["freezeId"], held["since"]) == (
        "PartialFreeze", frozen["freezeId"], frozen["since"]
    )  # fmt: skip
    assert reasons(held)["MetricsAvailable"] == ("False", "PrometheusUnavailable")
    assert reasons(loop.status("slos", SLO))["BudgetExhausted"] == (
        "Unknown", "PrometheusUnavailable"
    )  # fmt: skip
    assert [(n, r) for n, _, r, _ in loop.cluster.events] == [(POLICY, "BudgetThreshold")]


def test_what_the_enforcer_holds_goes_into_status_and_a_failure_keeps_it() -> None:
    calls: list[tuple[Level, tuple[HeldTarget, ...]]] = []
    answers: list[Exception | tuple[HeldTarget, ...]] = [
        (HeldTarget("Rollout", "checkout", paused_by_us=True),),
        RuntimeError("the API server refused the pause"),
    ]

    async def enforce(
        policy: ErrorBudgetPolicy, decision: Decision, held: tuple[HeldTarget, ...]
    ) -> Sequence[HeldTarget]:
        calls.append((decision.level, held))
        answer = answers[len(calls) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    loop = Loop(enforce)
    loop.add("slos", "01-availability-ratio.yaml")
    loop.add("errorbudgetpolicies", "05-policy.yaml")
    loop.source.budget(NS, SLO, "0.214", NOW, w1h="1")
    loop.poll()
    loop.poll()
    held = [{"kind": "Rollout", "name": "checkout", "pausedByUs": True}]
    assert loop.status("errorbudgetpolicies", POLICY)["heldTargets"] == held
    assert calls == [
        (Level.PARTIAL_FREEZE, ()),
        (Level.PARTIAL_FREEZE, (HeldTarget("Rollout", "checkout", True),)),
    ]
    errors = {"stage": "enforcement"}
    assert loop.metrics.registry.get_sample_value("budgetwarden_poll_errors_total", errors) == 1


def test_a_policy_waits_for_every_slo_of_its_namespace_to_be_listed() -> None:
    loop = Loop()
    loop.cluster.create(
        "slos", yaml.safe_load((EXAMPLES / "01-availability-ratio.yaml").read_text())
    )
    loop.add("errorbudgetpolicies", "05-policy.yaml")  # the SLO's watch event has not come yet
    loop.source.budget(NS, SLO, "0.05", NOW)
    loop.poll(watch=False)
    assert loop.status("errorbudgetpolicies", POLICY)["level"] == "FullFreeze"


FOREIGN = {"job": "metrics", "instance": "10.1.2.3:8080", "namespace": "other", "pod": "p-1"}


def test_a_foreign_series_with_the_slo_labels_cannot_move_a_budget(loop: Loop) -> None:
    loop.add("errorbudgetpolicies", "05-policy.yaml")
    loop.source.budget(NS, SLO, "0.05", NOW, w5m="1", w1h="1")
    # another namespace's pod, scraped by the same Prometheus, claims a healthy budget
    loop.source.budget(NS, SLO, "0.99", NOW, extra=FOREIGN, w5m="0", w1h="0")
    loop.poll()
    budget = loop.status("slos", SLO)["errorBudget"]
    assert (budget["remainingPercent"], budget["burnRates"]) == ("5.0", {"5m": "1.0", "1h": "1.0"})
    assert loop.status("errorbudgetpolicies", POLICY)["level"] == "FullFreeze"


def test_two_series_for_one_slo_and_window_make_it_unknown_and_say_why(loop: Loop) -> None:
    loop.add("errorbudgetpolicies", "05-policy.yaml")
    loop.source.budget(NS, SLO, "0.05", NOW, w1h="1")
    loop.source.budget(NS, SLO, "0.9", NOW, service="impostor", w1h="0.1")
    loop.poll()
    status = loop.status("slos", SLO)
    assert reasons(status) == {
        "MetricsAvailable": ("False", "DuplicateSeries"),
        "BudgetExhausted": ("Unknown", "DuplicateSeries"),
    }
    assert sorted(status["errorBudget"]) == ["evaluatedAt", "total"]
    policy = loop.status("errorbudgetpolicies", POLICY)
    assert (policy["level"], policy["slos"]) == ("Unknown", [{"name": SLO, "level": "Unknown"}])


def test_a_poller_whose_clock_runs_ten_minutes_ahead_still_freezes() -> None:
    ahead = Loop(clock=lambda: datetime.now(UTC) + timedelta(minutes=10))
    ahead.add("slos", "01-availability-ratio.yaml")
    ahead.add("errorbudgetpolicies", "05-policy.yaml")
    ahead.source.budget(NS, SLO, "0.05", datetime.now(UTC), w1h="1")  # Prometheus' time
    ahead.poll()
    assert ahead.status("errorbudgetpolicies", POLICY)["level"] == "FullFreeze"
    assert reasons(ahead.status("slos", SLO))["MetricsAvailable"] == ("True", "SeriesFound")


def test_the_garbage_collector_is_paused_for_a_poll_and_back_on_after_it(loop: Loop) -> None:
    seen: list[bool] = []
    read = loop.source.read_budget_series

    def reading(*args: Any) -> Sequence[Any]:
        seen.append(gc.isenabled())
        return read(*args)

    loop.source.read_budget_series = reading  # type: ignore[method-assign]
    loop.source.budget(NS, SLO, "0.632", NOW, w1h="1.2")
    loop.poll()
    loop.source.down = True  # a poll whose read fails resumes it too
    loop.poll()
    assert (seen, gc.isenabled()) == ([False, False], True)
    gc.disable()  # and one paused by someone else stays paused
    try:
        loop.poll()
        assert gc.isenabled() is False
    finally:
        gc.enable()
