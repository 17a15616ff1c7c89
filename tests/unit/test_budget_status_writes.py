"""From Prometheus samples to SLO and policy status: the patches, and when status is written.

Snapshots, errorBudget and conditions are in test_budget_status.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from budget_status_support import MAX_AGE, NOW, slo, snapshot
from budgetwarden.core.budget.slo_status import (
    BudgetTerms,
    SLOPoll,
    handler_recorded,
    slo_status_patch,
)
from budgetwarden.core.budget.snapshot import BudgetSnapshot
from budgetwarden.core.budget.status_model import ErrorBudgetStatus, SLOStatus
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.kernel.wire import merge_apply, merge_diff
from budgetwarden.core.policy.decide import Decision, decide
from budgetwarden.core.policy.spec import parse_policy
from budgetwarden.core.policy.status import (
    HeldTarget,
    held_targets,
    policy_state,
    policy_status_patch,
)


# --- when status is written ------------------------------------------------------------------
@dataclass
class History:
    """SLO status as the API server holds it across polls, and the patches that got it there."""

    status: dict[str, Any] = field(default_factory=dict)
    patches: list[dict[str, Any]] = field(default_factory=list)

    def poll(
        self, found: BudgetSnapshot | None, failure: str | None = None, at: datetime = NOW
    ) -> None:
        poll = SLOPoll(found, failure, at, MAX_AGE, timedelta(minutes=10), generation=3)
        patch = slo_status_patch(self.status, slo(), poll)
        # as the poller calls it, with the status the registry read once: the same patch
        assert slo_status_patch(self.status, slo(), poll, SLOStatus.read(self.status)) == patch
        if patch is not None:
            self.patches.append(patch)
            self.status = merge_apply(self.status, patch)


@pytest.mark.parametrize(
    ("status", "generation", "recorded"),
    [
        ({}, 1, False),  # new: its handler has not run yet
        ({"observedGeneration": 1}, 2, False),  # a new spec its handler has not recorded
        ({"observedGeneration": 2}, 2, True),
    ],
)
def test_the_poller_writes_once_the_handler_recorded_the_generation(
    status: dict[str, Any], generation: int, recorded: bool
) -> None:
    assert handler_recorded(SLOStatus.read(status), generation) is recorded


@pytest.mark.parametrize("found", [snapshot("63.2", w1h="1.2", w5m="0.4"), None])
def test_the_budget_terms_the_registry_keeps_write_what_the_parsed_slo_writes(
    found: BudgetSnapshot | None,
) -> None:
    poll = SLOPoll(found, None, NOW, MAX_AGE, timedelta(minutes=10), generation=3)
    parsed = slo("99.9", "7d")
    assert slo_status_patch({}, BudgetTerms.of(parsed), poll) == slo_status_patch({}, parsed, poll)


def later(seconds: int) -> datetime:
    return NOW + timedelta(seconds=seconds)


def test_the_first_poll_writes_the_budget_and_both_conditions() -> None:
    history = History()
    history.poll(snapshot("63.2", w1h="1.2"))
    assert [sorted(p) for p in history.patches] == [["conditions", "errorBudget"]]
    assert history.status["errorBudget"]["remainingPercent"] == "63.2"


@pytest.mark.parametrize(
    ("polls", "writes"),
    [
        pytest.param(
            [(later(30), snapshot("63.2", w1h="1.2")), (later(60), snapshot("63.21", w1h="1.15"))],
            1,
            id="the same shown numbers later write nothing, though evaluatedAt and the ETA moved",
        ),
        pytest.param(
            [(later(30), snapshot("63.1", w1h="1.2"))],
            2,
            id="a tenth of a percent less budget is written",
        ),
        pytest.param(
            [(later(30), snapshot("63.2", w1h="2"))],
            2,
            id="a faster burn is written, and with it the ETA",
        ),
        pytest.param(
            [(later(600), snapshot("63.2", w1h="1.2"))],
            2,
            id="unchanged numbers are written again once the refresh is due",
        ),
        pytest.param(
            [(later(30), None), (later(60), None)],
            2,
            id="series that vanish are written once",
        ),
    ],
)
def test_status_is_written_only_when_a_shown_value_changes(
    polls: list[tuple[datetime, BudgetSnapshot | None]], writes: int
) -> None:
    history = History()
    history.poll(snapshot("63.2", w1h="1.2"))
    for at, found in polls:
        history.poll(found, at=at)
    assert len(history.patches) == writes


def test_every_field_of_error_budget_but_the_eta_and_read_time_counts_as_a_change() -> None:
    base = ErrorBudgetStatus("43m12s", Decimal("63.2"), Decimal("36.8"), (("1h", Decimal(1)),))
    other = {"total": "1h", "burn_rates": (("1h", Decimal(2)),), "exhaustion_eta": NOW}
    changed = {
        f.name
        for f in fields(ErrorBudgetStatus)
        if replace(base, **{f.name: other.get(f.name, Decimal(9))}).shown != base.shown
    }
    moving = {"exhaustion_eta", "evaluated_at"}
    assert changed == {f.name for f in fields(ErrorBudgetStatus)} - moving
    # and burn rates compare in one order, whatever order they came in
    two = (("5m", Decimal(1)), ("1h", Decimal(2)))
    assert replace(base, burn_rates=two).shown == replace(base, burn_rates=two[::-1]).shown


def test_vanished_series_remove_the_numbers_with_nulls_and_keep_the_total() -> None:
    history = History()
    history.poll(snapshot("63.2", w1h="1.2"))
    history.poll(None, at=later(30))
    assert history.patches[1]["errorBudget"] == {
        "remainingPercent": None,
        "consumedPercent": None,
        "burnRates": None,
        "fastBurnRate": None,
        "exhaustionETA": None,
        "evaluatedAt": "2026-11-29T10:00:30Z",
    }
    assert history.status["errorBudget"] == {
        "total": "3h36m",
        "evaluatedAt": "2026-11-29T10:00:30Z",
    }


def test_prometheus_down_keeps_the_last_numbers_and_flips_the_conditions_once() -> None:
    history = History()
    history.poll(snapshot("63.2", w1h="1.2"))
    before = history.status["errorBudget"]
    history.poll(None, "connection refused", at=later(30))
    history.poll(None, "connection refused", at=later(60))
    assert len(history.patches) == 2
    assert history.status["errorBudget"] == before
    assert [(c["type"], c["status"]) for c in history.status["conditions"]] == [
        ("MetricsAvailable", "False"),
        ("BudgetExhausted", "Unknown"),
    ]


@pytest.mark.parametrize(
    ("current", "desired", "patch"),
    [
        pytest.param({"a": 1}, {"a": 1}, {}, id="equal gives an empty patch"),
        pytest.param(
            {"a": {"x": 1, "y": 2}}, {"a": {"x": 1}}, {"a": {"y": None}}, id="a dropped key is null"
        ),
        pytest.param({"a": [1, 2]}, {"a": [2]}, {"a": [2]}, id="lists are replaced whole"),
        pytest.param({"other": 1}, {"a": 1}, {"a": 1}, id="keys other writers own are left alone"),
        pytest.param({"a": 1}, {"a": {"b": 2}}, {"a": {"b": 2}}, id="a scalar becomes a mapping"),
    ],
)
def test_merge_diff_and_apply(
    current: dict[str, Any], desired: dict[str, Any], patch: dict[str, Any]
) -> None:
    assert merge_diff(current, desired) == patch
    assert merge_apply(current, patch) == {**current, **desired}


# --- policy status ---------------------------------------------------------------------------
POLICY = parse_policy(
    {"metadata": {"name": "payments", "namespace": "shop", "uid": "u-1", "generation": 2}}
)
HELD = (HeldTarget("Rollout", "checkout", paused_by_us=True),)


SINCE = "2026-11-29T10:00:00Z"


def decided(left: str | None, status: dict[str, Any], at: datetime = NOW) -> Decision:
    return decide(POLICY, [snapshot(left)], policy_state(status), at, True)


def recorded(
    status: dict[str, Any],
    decision: Decision,
    held: tuple[HeldTarget, ...],
    up: bool,
    at: datetime,
) -> dict[str, Any]:
    """Status after the patch for `decision` is applied."""
    patch = policy_status_patch(status, POLICY, decision, held, metrics_available=up, now=at)
    return merge_apply(status, patch or {})


def test_policy_status_records_a_decision_and_reads_back_as_its_state() -> None:
    decision = decided("21.4", {})
    patch = policy_status_patch({}, POLICY, decision, HELD, metrics_available=True, now=NOW)
    assert patch is not None
    assert {k: v for k, v in patch.items() if k != "conditions"} == {
        "level": "PartialFreeze",
        "since": "2026-11-29T10:00:00Z",
        "reason": (
            "SLO checkout-availability has 21.4% error budget left (partial freeze below 30%)"
        ),
        "freezeId": decision.freeze_id,
        "slos": [
            {"name": "checkout-availability", "level": "PartialFreeze", "remainingPercent": "21.4"}
        ],
        "heldTargets": [{"kind": "Rollout", "name": "checkout", "pausedByUs": True}],
    }
    assert (policy_state(patch), held_targets(patch)) == (decision.state, HELD)


def test_an_unchanged_decision_writes_nothing_on_the_next_poll() -> None:
    status = recorded({}, decided("21.4", {}), HELD, True, NOW)
    again = decided("21.4", status, at=later(30))
    patch = policy_status_patch(status, POLICY, again, HELD, metrics_available=True, now=later(30))
    assert patch is None


def test_an_outage_start_survives_a_restart_through_the_condition() -> None:
    status = recorded({}, decided("21.4", {}), (), True, NOW)
    down = decide(POLICY, [snapshot(None)], policy_state(status), later(30), False)
    status = recorded(status, down, (), False, later(30))
    state = policy_state(status)
    assert state is not None
    assert (state.level, state.metrics_unavailable_since) == (Level.PARTIAL_FREEZE, later(30))
    condition = next(c for c in status["conditions"] if c["type"] == "MetricsAvailable")
    assert (condition["status"], condition["reason"]) == ("False", "PrometheusUnavailable")


@pytest.mark.parametrize(
    "status",
    [
        pytest.param({}, id="no status is no state"),
        pytest.param({"level": "Frozen", "since": SINCE}, id="an unknown level"),
        pytest.param({"level": "Normal", "since": "yesterday"}, id="an unreadable since"),
        pytest.param({"level": "Normal", "since": SINCE[:-1]}, id="a since without a zone"),
    ],
)
def test_unreadable_policy_status_is_no_state(status: dict[str, Any]) -> None:
    assert policy_state(status) is None
