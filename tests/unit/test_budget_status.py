"""From Prometheus samples to SLO and policy status: snapshots, errorBudget, conditions, patches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from budgetwarden.core.budget.reading import budget_query, poll_result, stable_failure
from budgetwarden.core.budget.slo_status import (
    SLOPoll,
    error_budget,
    slo_conditions,
    slo_status_patch,
    total_text,
)
from budgetwarden.core.budget.snapshot import BudgetSnapshot, PollResult, SLORef
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
from budgetwarden.core.slo.spec import SLO, parse_slo

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
MAX_AGE = timedelta(seconds=90)
CHECKOUT = SLORef("shop", "checkout-availability")
REMAINING = "budgetwarden_slo:error_budget_remaining:ratio"
BURN = "budgetwarden_slo:burn_rate"


@dataclass(frozen=True)
class Sample:
    """A sample as the Prometheus adapter returns one."""

    labels: dict[str, str]
    value: Decimal | None
    timestamp: datetime = NOW


def remaining(value: str | None, slo: str = "checkout-availability", **extra: Any) -> Sample:
    labels = {"__name__": REMAINING, "slo_name": slo, "slo_namespace": "shop"}
    number = None if value is None else Decimal(value)
    return Sample(labels, number, extra.get("at", NOW))


def burn(window: str, value: str, at: datetime = NOW) -> Sample:
    labels = {
        "__name__": BURN,
        "slo_name": "checkout-availability",
        "slo_namespace": "shop",
        "slo_window": window,
    }
    return Sample(labels, Decimal(value), at)


def slo(objective: str = "99.5", window: str = "30d") -> SLO:
    return parse_slo(
        {
            "metadata": {"name": "checkout-availability", "namespace": "shop", "generation": 3},
            "spec": {
                "service": "checkout",
                "objective": objective,
                "window": window,
                "indicator": {"ratio": {"errors": "sum(rate(e[{{.window}}]))", "total": "t"}},
            },
        }
    )


def snapshot(left: str | None, **rates: str) -> BudgetSnapshot:
    return BudgetSnapshot(
        slo=CHECKOUT,
        evaluated_at=NOW,
        remaining_percent=None if left is None else Decimal(left),
        burn_rates={k.removeprefix("w"): Decimal(v) for k, v in rates.items()},
    )


# --- the query and the samples ---------------------------------------------------------------
def test_one_query_reads_both_metrics_of_every_slo_and_drops_stale_samples() -> None:
    assert budget_query(MAX_AGE) == (
        f"({REMAINING} and (time() - timestamp({REMAINING}) < 90))"
        f" or ({BURN} and (time() - timestamp({BURN}) < 90))"
    )


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        pytest.param(
            [remaining("0.632"), burn("5m", "0.4"), burn("1h", "1.2")],
            {CHECKOUT: snapshot("63.200", w5m="0.4", w1h="1.2")},
            id="a budget ratio becomes a percent and burn rates are keyed by window",
        ),
        pytest.param(
            [remaining("0.5", at=NOW - MAX_AGE - timedelta(seconds=1)), burn("5m", "2")],
            {CHECKOUT: snapshot(None, w5m="2")},
            id="a sample older than the maximum age counts as missing",
        ),
        pytest.param(
            [remaining(None)],
            {},
            id="NaN (no traffic in the window) counts as missing",
        ),
        pytest.param(
            [remaining("0.9", at=NOW - timedelta(seconds=30)), remaining("0.8")],
            {CHECKOUT: snapshot("80.0")},
            id="the newest of two series for one SLO wins",
        ),
        pytest.param(
            [Sample({"__name__": REMAINING, "slo_name": "x"}, Decimal("0.5"))],
            {},
            id="a sample without slo_namespace belongs to no SLO",
        ),
        pytest.param(
            [Sample({**burn("5m", "1").labels, "slo_window": ""}, Decimal(1))],
            {},
            id="a burn rate without its window is ignored",
        ),
        pytest.param(
            [remaining("-0.25")],
            {CHECKOUT: snapshot("-25.00")},
            id="an overspent budget stays negative",
        ),
    ],
)
def test_samples_become_snapshots(
    samples: list[Sample], expected: dict[SLORef, BudgetSnapshot]
) -> None:
    assert poll_result(samples, NOW, MAX_AGE) == PollResult(NOW, expected)


# --- status.errorBudget ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("objective", "window", "expected"),
    [
        pytest.param("99.5", "30d", "3h36m", id="99.5% over 30 days allows 216 minutes"),
        pytest.param("99.9", "30d", "43m12s", id="99.9% over 30 days allows 43m12s"),
        pytest.param("99.95", "7d", "5m2s400ms", id="99.95% over 7 days allows 5m2.4s"),
        pytest.param("99.9999", "1h", "3ms", id="a tiny budget shows whole milliseconds"),
        pytest.param("99.999999", "1h", "<1ms", id="a budget under a millisecond says so"),
    ],
)
def test_the_total_budget_is_allowed_downtime(objective: str, window: str, expected: str) -> None:
    assert total_text(Decimal(objective), slo(objective, window).spec.window) == expected


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        pytest.param(
            snapshot("63.27", w5m="0.4", w1h="1.2", w30m="0.91", w1d="1.1"),
            {
                "total": "3h36m",
                "remainingPercent": "63.2",
                "consumedPercent": "36.8",
                "burnRates": {"5m": "0.4", "30m": "1.0", "1h": "1.2", "1d": "1.1"},
                "fastBurnRate": "1.2",
                # 63.27% of 30d at 1.2x lasts 15.8175 days
                "exhaustionETA": "2026-12-15T05:37:12Z",
                "evaluatedAt": "2026-11-29T10:00:00Z",
            },
            id="a burning budget gets every field, burn rates rounded up, remaining down",
        ),
        pytest.param(
            snapshot("-12.5", w1h="3"),
            {
                "total": "3h36m",
                "remainingPercent": "-12.5",
                "consumedPercent": "112.5",
                "burnRates": {"1h": "3.0"},
                "fastBurnRate": "3.0",
                "evaluatedAt": "2026-11-29T10:00:00Z",
            },
            id="a spent budget has no exhaustion ETA",
        ),
        pytest.param(
            snapshot("80", w1h="0"),
            {
                "total": "3h36m",
                "remainingPercent": "80.0",
                "consumedPercent": "20.0",
                "burnRates": {"1h": "0.0"},
                "fastBurnRate": "0.0",
                "evaluatedAt": "2026-11-29T10:00:00Z",
            },
            id="a budget that is not burning has no exhaustion ETA",
        ),
        pytest.param(
            snapshot(None, w5m="2"),
            {"total": "3h36m", "burnRates": {"5m": "2.0"}, "evaluatedAt": "2026-11-29T10:00:00Z"},
            id="without a budget series only the total and the burn rates are shown",
        ),
    ],
)
def test_error_budget_body(found: BudgetSnapshot, expected: dict[str, Any]) -> None:
    assert error_budget(slo(), found, NOW) == expected


def test_the_fast_burn_window_of_a_short_slo_is_scaled() -> None:
    # 1d scales the 1h/5m page pair to 2m/10s: the 2m burn rate is the fast one
    found = BudgetSnapshot(CHECKOUT, NOW, Decimal(50), {"2m": Decimal(2), "5m": Decimal(9)})
    assert error_budget(slo(window="1d"), found, NOW)["fastBurnRate"] == "2.0"


# --- conditions ------------------------------------------------------------------------------
FOUND = ("MetricsAvailable", "True", "SeriesFound")


def conditions_of(found: BudgetSnapshot | None, failure: str | None) -> list[tuple[str, ...]]:
    return [(c.type, c.status, c.reason) for c in slo_conditions(found, failure, MAX_AGE)]


@pytest.mark.parametrize(
    ("found", "failure", "expected"),
    [
        pytest.param(
            snapshot("21.4"),
            None,
            [FOUND, ("BudgetExhausted", "False", "BudgetLeft")],
            id="budget left",
        ),
        pytest.param(
            snapshot("0"),
            None,
            [FOUND, ("BudgetExhausted", "True", "BudgetSpent")],
            id="exactly nothing left is exhausted",
        ),
        pytest.param(
            None,
            None,
            [("MetricsAvailable", "False", "NoSeries"), ("BudgetExhausted", "Unknown", "NoSeries")],
            id="no series is unknown, neither spent nor healthy",
        ),
        pytest.param(
            snapshot(None, w5m="30"),
            None,
            [("MetricsAvailable", "False", "NoSeries"), ("BudgetExhausted", "Unknown", "NoSeries")],
            id="burn rates without a budget series are still an unknown budget",
        ),
        pytest.param(
            None,
            "connection refused",
            [
                ("MetricsAvailable", "False", "PrometheusUnavailable"),
                ("BudgetExhausted", "Unknown", "PrometheusUnavailable"),
            ],
            id="Prometheus down is unknown",
        ),
    ],
)
def test_slo_conditions(
    found: BudgetSnapshot | None, failure: str | None, expected: list[tuple[str, ...]]
) -> None:
    assert conditions_of(found, failure) == expected


def test_failure_messages_lose_object_addresses_so_they_do_not_change_every_poll() -> None:
    text = "query failed: NewConnectionError('<HTTPConnection object at 0x7f3a>: refused')"
    assert stable_failure(text) == "query failed: NewConnectionError('<HTTPConnection>: refused')"


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
        if patch is not None:
            self.patches.append(patch)
            self.status = merge_apply(self.status, patch)


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
