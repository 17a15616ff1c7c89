"""The policy engine's truth table: one row per rule and edge of `core.policy.decide`.

Defaults unless a row says otherwise: thresholds 50/30/10 % remaining, exit margin 5 %,
minimum hold 30m, onMetricsUnavailable Hold. `NOW` is one hour after `T0`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import pytest

from budgetwarden.core.budget.snapshot import BudgetSnapshot, PollResult, SLORef
from budgetwarden.core.kernel.levels import Level, Levels, is_freeze, severity
from budgetwarden.core.kernel.wire import percent_text
from budgetwarden.core.policy.assess import Rule, SLOAssessment, level_of
from budgetwarden.core.policy.decide import Decision, PolicyState, decide, freeze_id
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, parse_policy

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)
NEW_ID = "fz-e73a46"  # freeze_id("shop/payments/uid-1", NOW), pinned so a change is seen
FAST_BURN = {"longWindow": "1h", "shortWindow": "5m", "factor": "14.4", "level": "PartialFreeze"}
BURNING = {"1h": "15.2", "5m": "16"}


def policy(**spec: Any) -> ErrorBudgetPolicy:
    """A policy in namespace shop, written as it would be in YAML."""
    meta = {"name": "payments", "namespace": "shop", "uid": "uid-1"}
    return parse_policy({"metadata": meta, "spec": spec})


def snap(name: str, remaining: str | None, burn: Mapping[str, str] | None = None) -> BudgetSnapshot:
    """An SLO in namespace shop as one poll saw it."""
    rates = {window: Decimal(rate) for window, rate in (burn or {}).items()}
    left = None if remaining is None else Decimal(remaining)
    return BudgetSnapshot(SLORef("shop", name), NOW, left, rates)


def state(
    level: Level,
    since: datetime = T0,
    fid: str | None = None,
    unavailable_since: datetime | None = None,
) -> PolicyState:
    return PolicyState(level, since, fid, "earlier reason", unavailable_since)


class Case(NamedTuple):
    snapshots: tuple[BudgetSnapshot, ...]
    previous: PolicyState | None = None
    spec: Mapping[str, Any] = {}
    available: bool = True


class Outcome(NamedTuple):
    level: Level
    since: datetime
    freeze_id: str | None
    rule: Rule
    deciding: str | None
    changed: bool


def outcome(decision: Decision) -> Outcome:
    deciding = decision.deciding_slo.name if decision.deciding_slo else None
    return Outcome(
        decision.level,
        decision.since,
        decision.freeze_id,
        decision.rule,
        deciding,
        decision.changed,
    )


def run(case: Case) -> Decision:
    return decide(policy(**case.spec), case.snapshots, case.previous, NOW, case.available)


N, W, P, F, U = (
    Level.NORMAL,
    Level.WARNING,
    Level.PARTIAL_FREEZE,
    Level.FULL_FREEZE,
    Level.UNKNOWN,
)
TH, BR, HY = Rule.THRESHOLD, Rule.BURN_RATE, Rule.HYSTERESIS
NEAR_HOLD_END = NOW - timedelta(minutes=20)
MARGIN_33 = (
    "Holding PartialFreeze: SLO checkout has 33.0% error budget left; leaving PartialFreeze "
    "needs 35% (partial freeze below 30% plus 5% margin)"
)

THRESHOLDS = [
    pytest.param(
        Case((snap("checkout", "51"),)),
        Outcome(N, NOW, None, TH, "checkout", True),
        "SLO checkout has 51.0% error budget left (warning below 50%)",
        id="51% left is Normal",
    ),
    pytest.param(
        Case((snap("checkout", "50"),)),
        Outcome(N, NOW, None, TH, "checkout", True),
        "SLO checkout has 50.0% error budget left (warning below 50%)",
        id="exactly 50% left is still Normal",
    ),
    pytest.param(
        Case((snap("checkout", "49.9"),)),
        Outcome(W, NOW, None, TH, "checkout", True),
        "SLO checkout has 49.9% error budget left (warning below 50%)",
        id="49.9% left is Warning",
    ),
    pytest.param(
        Case((snap("checkout", "30"),)),
        Outcome(W, NOW, None, TH, "checkout", True),
        "SLO checkout has 30.0% error budget left (warning below 50%)",
        id="exactly 30% left is still Warning",
    ),
    pytest.param(
        Case((snap("checkout", "29.9"),)),
        Outcome(P, NOW, NEW_ID, TH, "checkout", True),
        "SLO checkout has 29.9% error budget left (partial freeze below 30%)",
        id="29.9% left is PartialFreeze with a new freeze id",
    ),
    pytest.param(
        Case((snap("checkout", "10"),)),
        Outcome(P, NOW, NEW_ID, TH, "checkout", True),
        "SLO checkout has 10.0% error budget left (partial freeze below 30%)",
        id="exactly 10% left is still PartialFreeze",
    ),
    pytest.param(
        Case((snap("checkout", "9.9"),)),
        Outcome(F, NOW, NEW_ID, TH, "checkout", True),
        "SLO checkout has 9.9% error budget left (full freeze below 10%)",
        id="9.9% left is FullFreeze",
    ),
    pytest.param(
        Case((snap("checkout", "-12.44"),)),
        Outcome(F, NOW, NEW_ID, TH, "checkout", True),
        "SLO checkout has -12.5% error budget left (full freeze below 10%)",
        id="an overspent budget is FullFreeze and reads no better than it is",
    ),
    pytest.param(
        Case((snap("checkout", "29.96"),)),
        Outcome(P, NOW, NEW_ID, TH, "checkout", True),
        "SLO checkout has 29.9% error budget left (partial freeze below 30%)",
        id="29.96% left reads 29.9% so the text agrees with the level",
    ),
    pytest.param(
        Case(
            (snap("checkout", "59.9"),),
            spec={
                "levels": {
                    "warningBelow": "80",
                    "partialFreezeBelow": "60",
                    "fullFreezeBelow": "40",
                }
            },
        ),
        Outcome(P, NOW, NEW_ID, TH, "checkout", True),
        "SLO checkout has 59.9% error budget left (partial freeze below 60%)",
        id="custom thresholds move the boundaries and the text",
    ),
    pytest.param(
        Case((snap("checkout", "60"), snap("search", "21.4"), snap("login", "45"))),
        Outcome(P, NOW, NEW_ID, TH, "search", True),
        "SLO search has 21.4% error budget left (partial freeze below 30%)",
        id="the worst of several SLOs decides and is named",
    ),
    pytest.param(
        Case((snap("checkout", "25"), snap("search", "15"))),
        Outcome(P, NOW, NEW_ID, TH, "search", True),
        "SLO search has 15.0% error budget left (partial freeze below 30%)",
        id="of two SLOs at the same level the one with less budget is named",
    ),
]

TRIGGERS = [
    pytest.param(
        Case((snap("checkout", "80", BURNING),), spec={"burnRateTriggers": [FAST_BURN]}),
        Outcome(P, NOW, NEW_ID, BR, "checkout", True),
        "SLO checkout burns 15.2x over 1h and 16.0x over 5m (trigger: 14.4x → PartialFreeze)",
        id="both windows above the factor raise the level to the trigger's",
    ),
    pytest.param(
        Case(
            (snap("checkout", "80", {"1h": "15.2", "5m": "3"}),),
            spec={"burnRateTriggers": [FAST_BURN]},
        ),
        Outcome(N, NOW, None, TH, "checkout", True),
        "SLO checkout has 80.0% error budget left (warning below 50%)",
        id="only the long window above the factor does not trigger",
    ),
    pytest.param(
        Case(
            (snap("checkout", "80", {"1h": "2", "5m": "16"}),),
            spec={"burnRateTriggers": [FAST_BURN]},
        ),
        Outcome(N, NOW, None, TH, "checkout", True),
        "SLO checkout has 80.0% error budget left (warning below 50%)",
        id="only the short window above the factor does not trigger",
    ),
    pytest.param(
        Case(
            (snap("checkout", "80", {"1h": "14.4", "5m": "14.4"}),),
            spec={"burnRateTriggers": [FAST_BURN]},
        ),
        Outcome(N, NOW, None, TH, "checkout", True),
        "SLO checkout has 80.0% error budget left (warning below 50%)",
        id="burning exactly at the factor does not trigger",
    ),
    pytest.param(
        Case((snap("checkout", "80", {"1h": "15.2"}),), spec={"burnRateTriggers": [FAST_BURN]}),
        Outcome(N, NOW, None, TH, "checkout", True),
        "SLO checkout has 80.0% error budget left (warning below 50%)",
        id="a window without a series cannot fire a trigger",
    ),
    pytest.param(
        Case((snap("checkout", "8", BURNING),), spec={"burnRateTriggers": [FAST_BURN]}),
        Outcome(F, NOW, NEW_ID, TH, "checkout", True),
        "SLO checkout has 8.0% error budget left (full freeze below 10%)",
        id="a trigger milder than the budget's level leaves the budget's level",
    ),
    pytest.param(
        Case(
            (snap("checkout", "80", {**BURNING, "6h": "7", "30m": "8"}),),
            spec={
                "burnRateTriggers": [
                    {"longWindow": "6h", "shortWindow": "30m", "factor": "6", "level": "Warning"},
                    FAST_BURN,
                ]
            },
        ),
        Outcome(P, NOW, NEW_ID, BR, "checkout", True),
        "SLO checkout burns 15.2x over 1h and 16.0x over 5m (trigger: 14.4x → PartialFreeze)",
        id="of two firing triggers the one with the higher level wins",
    ),
    pytest.param(
        Case((snap("checkout", None, BURNING),), spec={"burnRateTriggers": [FAST_BURN]}),
        Outcome(P, NOW, NEW_ID, BR, "checkout", True),
        "SLO checkout burns 15.2x over 1h and 16.0x over 5m (trigger: 14.4x → PartialFreeze)",
        id="a firing trigger decides for an SLO that has no budget series yet",
    ),
    pytest.param(
        Case(
            (snap("checkout", "80", BURNING),),
            state(P, T0, "fz-prev01"),
            spec={"burnRateTriggers": [FAST_BURN]},
        ),
        Outcome(P, T0, "fz-prev01", BR, "checkout", False),
        "SLO checkout burns 15.2x over 1h and 16.0x over 5m (trigger: 14.4x → PartialFreeze)",
        id="a trigger still firing keeps its level, since and freeze id",
    ),
    pytest.param(
        Case(
            (snap("checkout", "80"),),
            state(P, T0, "fz-prev01"),
            spec={"burnRateTriggers": [FAST_BURN]},
        ),
        Outcome(N, NOW, None, TH, "checkout", True),
        "SLO checkout has 80.0% error budget left (warning below 50%)",
        id="a trigger that stopped firing lets go once margin and hold allow",
    ),
    pytest.param(
        Case(
            (snap("checkout", "60", BURNING),),
            state(F, T0, "fz-prev02"),
            spec={"burnRateTriggers": [FAST_BURN]},
        ),
        Outcome(P, NOW, "fz-prev02", BR, "checkout", True),
        "SLO checkout burns 15.2x over 1h and 16.0x over 5m (trigger: 14.4x → PartialFreeze)",
        id="a recovered FullFreeze steps down only to a trigger still firing",
    ),
]

HYSTERESIS = [
    pytest.param(
        Case((snap("checkout", "45"),), state(W, T0)),
        Outcome(W, T0, None, TH, "checkout", False),
        "SLO checkout has 45.0% error budget left (warning below 50%)",
        id="a level that stays keeps its since",
    ),
    pytest.param(
        Case((snap("checkout", "9"),), state(W, NOW - timedelta(minutes=5))),
        Outcome(F, NOW, NEW_ID, TH, "checkout", True),
        "SLO checkout has 9.0% error budget left (full freeze below 10%)",
        id="escalation from Warning to FullFreeze is immediate even within the minimum hold",
    ),
    pytest.param(
        Case((snap("checkout", "33"),), state(P, T0, "fz-prev01")),
        Outcome(P, T0, "fz-prev01", HY, "checkout", False),
        MARGIN_33,
        id="back above the threshold but inside the margin holds the level",
    ),
    pytest.param(
        Case((snap("checkout", "35"),), state(P, T0, "fz-prev01")),
        Outcome(W, NOW, None, TH, "checkout", True),
        "SLO checkout has 35.0% error budget left (warning below 50%)",
        id="exactly threshold plus margin after the hold leaves the level and clears the id",
    ),
    pytest.param(
        Case((snap("checkout", "40"),), state(P, NEAR_HOLD_END, "fz-prev01")),
        Outcome(P, NEAR_HOLD_END, "fz-prev01", HY, "checkout", False),
        "Holding PartialFreeze until 2026-11-29T11:10:00Z (minimum hold 30m): "
        "SLO checkout has 40.0% error budget left",
        id="past the margin but before the minimum hold holds the level",
    ),
    pytest.param(
        Case((snap("checkout", "40"),), state(P, NOW - timedelta(minutes=30), "fz-prev01")),
        Outcome(W, NOW, None, TH, "checkout", True),
        "SLO checkout has 40.0% error budget left (warning below 50%)",
        id="exactly at the end of the minimum hold the level may be left",
    ),
    pytest.param(
        Case((snap("checkout", "33"),), state(F, T0, "fz-prev02")),
        Outcome(P, NOW, "fz-prev02", HY, "checkout", True),
        MARGIN_33,
        id="leaving FullFreeze steps down only as far as the margin allows and keeps the id",
    ),
    pytest.param(
        Case((snap("checkout", "60"),), state(F, T0, "fz-prev02")),
        Outcome(N, NOW, None, TH, "checkout", True),
        "SLO checkout has 60.0% error budget left (warning below 50%)",
        id="a FullFreeze recovered past every margin goes straight to Normal",
    ),
    pytest.param(
        Case(
            (snap("checkout", "55"),),
            state(W, T0),
            spec={"hysteresis": {"exitMarginPercent": "10", "minimumHold": "1h"}},
        ),
        Outcome(W, T0, None, HY, "checkout", False),
        "Holding Warning: SLO checkout has 55.0% error budget left; leaving Warning "
        "needs 60% (warning below 50% plus 10% margin)",
        id="a custom exit margin is honoured",
    ),
    pytest.param(
        Case(
            (snap("checkout", "45"),),
            state(P, T0, "fz-prev01"),
            spec={"hysteresis": {"exitMarginPercent": "45"}},
        ),
        Outcome(P, T0, "fz-prev01", HY, "checkout", False),
        "Holding PartialFreeze: SLO checkout has 45.0% error budget left; leaving "
        "PartialFreeze needs 75% (partial freeze below 30% plus 45% margin)",
        id="a margin wider than the gap between thresholds holds and never escalates",
    ),
    pytest.param(
        Case((snap("checkout", "33"),), state(P, NEAR_HOLD_END, "fz-prev01")),
        Outcome(P, NEAR_HOLD_END, "fz-prev01", HY, "checkout", False),
        MARGIN_33,
        id="inside the margin and within the hold the margin is what the reason names",
    ),
    pytest.param(
        Case((snap("checkout", "20"),), state(U, T0)),
        Outcome(P, NOW, NEW_ID, TH, "checkout", True),
        "SLO checkout has 20.0% error budget left (partial freeze below 30%)",
        id="the first reading after an Unknown start is taken as it is",
    ),
    pytest.param(
        Case((snap("checkout", "20"),), state(W, T0, "fz-old")),
        Outcome(P, NOW, NEW_ID, TH, "checkout", True),
        "SLO checkout has 20.0% error budget left (partial freeze below 30%)",
        id="entering PartialFreeze from Warning makes a new freeze id",
    ),
    pytest.param(
        Case((snap("checkout", "5"),), state(P, T0, "fz-prev01")),
        Outcome(F, NOW, "fz-prev01", TH, "checkout", True),
        "SLO checkout has 5.0% error budget left (full freeze below 10%)",
        id="escalating PartialFreeze to FullFreeze keeps the freeze id",
    ),
]

MISSING_DATA = [
    pytest.param(
        Case(
            (BudgetSnapshot.no_series(SLORef("shop", "checkout"), NOW),),
            state(F, T0, "fz-prev02"),
            available=False,
        ),
        Outcome(F, T0, "fz-prev02", Rule.METRICS_UNAVAILABLE, None, False),
        "Holding FullFreeze: metrics unavailable since 2026-11-29T11:00:00Z",
        id="Prometheus down under Hold keeps the previous FullFreeze and its id",
    ),
    pytest.param(
        Case((), state(F, T0, "fz-prev02", T0 + timedelta(minutes=50)), available=False),
        Outcome(F, T0, "fz-prev02", Rule.METRICS_UNAVAILABLE, None, False),
        "Holding FullFreeze: metrics unavailable since 2026-11-29T10:50:00Z",
        id="an outage that goes on keeps the time it began in the reason",
    ),
    pytest.param(
        Case((), state(N, T0), available=False),
        Outcome(N, T0, None, Rule.METRICS_UNAVAILABLE, None, False),
        "Holding Normal: metrics unavailable since 2026-11-29T11:00:00Z",
        id="Prometheus down under Hold does not start a freeze",
    ),
    pytest.param(
        Case((), None, available=False),
        Outcome(U, NOW, None, Rule.METRICS_UNAVAILABLE, None, True),
        "Unknown: metrics unavailable since 2026-11-29T11:00:00Z; no earlier level to hold",
        id="Prometheus down under Hold with no earlier level is Unknown",
    ),
    pytest.param(
        Case((), state(U, T0, None, T0 + timedelta(minutes=50)), available=False),
        Outcome(U, T0, None, Rule.METRICS_UNAVAILABLE, None, False),
        "Unknown: metrics unavailable since 2026-11-29T10:50:00Z; no earlier level to hold",
        id="an outage since an Unknown start stays Unknown and keeps its times",
    ),
    pytest.param(
        Case(
            (),
            state(F, NOW - timedelta(minutes=5), "fz-prev02"),
            spec={"onMetricsUnavailable": "Thaw"},
            available=False,
        ),
        Outcome(N, NOW, None, Rule.METRICS_UNAVAILABLE, None, True),
        "Normal (onMetricsUnavailable: Thaw): metrics unavailable since 2026-11-29T11:00:00Z",
        id="Thaw ends a FullFreeze at once despite the hold and clears the id",
    ),
    pytest.param(
        Case((), None, spec={"onMetricsUnavailable": "Thaw"}, available=False),
        Outcome(N, NOW, None, Rule.METRICS_UNAVAILABLE, None, True),
        "Normal (onMetricsUnavailable: Thaw): metrics unavailable since 2026-11-29T11:00:00Z",
        id="Thaw with no earlier level is Normal",
    ),
    pytest.param(
        Case((), state(N, T0), spec={"onMetricsUnavailable": "Freeze"}, available=False),
        Outcome(F, NOW, NEW_ID, Rule.METRICS_UNAVAILABLE, None, True),
        "FullFreeze (onMetricsUnavailable: Freeze): metrics unavailable since 2026-11-29T11:00:00Z",
        id="Freeze turns Normal into FullFreeze with a new id",
    ),
    pytest.param(
        Case((), None, spec={"onMetricsUnavailable": "Freeze"}, available=False),
        Outcome(F, NOW, NEW_ID, Rule.METRICS_UNAVAILABLE, None, True),
        "FullFreeze (onMetricsUnavailable: Freeze): metrics unavailable since 2026-11-29T11:00:00Z",
        id="Freeze with no earlier level is FullFreeze",
    ),
    pytest.param(
        Case(
            (), state(P, T0, "fz-prev01"), spec={"onMetricsUnavailable": "Freeze"}, available=False
        ),
        Outcome(F, NOW, "fz-prev01", Rule.METRICS_UNAVAILABLE, None, True),
        "FullFreeze (onMetricsUnavailable: Freeze): metrics unavailable since 2026-11-29T11:00:00Z",
        id="Freeze raising a PartialFreeze keeps its id",
    ),
    pytest.param(
        Case((snap("checkout", None), snap("search", None)), state(P, T0, "fz-prev01")),
        Outcome(P, T0, "fz-prev01", Rule.METRICS_UNAVAILABLE, None, False),
        "Holding PartialFreeze: no error budget series for SLOs checkout, search "
        "since 2026-11-29T11:00:00Z",
        id="every SLO without series under Hold keeps the previous level",
    ),
    pytest.param(
        Case(tuple(snap(n, None) for n in ("a", "b", "c", "d", "e")), None),
        Outcome(U, NOW, None, Rule.METRICS_UNAVAILABLE, None, True),
        "Unknown: no error budget series for SLOs a, b, c and 2 more since "
        "2026-11-29T11:00:00Z; no earlier level to hold",
        id="many SLOs without series are named three at a time",
    ),
    pytest.param(
        Case((snap("checkout", "60"),), state(F, T0, "fz-prev02", T0 + timedelta(minutes=30))),
        Outcome(N, NOW, None, TH, "checkout", True),
        "SLO checkout has 60.0% error budget left (warning below 50%)",
        id="data back after an outage is read as usual",
    ),
    pytest.param(
        Case((snap("checkout", "60"), snap("search", None)), state(F, T0, "fz-prev02")),
        Outcome(F, T0, "fz-prev02", Rule.PARTIAL_DATA, "search", False),
        "Holding FullFreeze: no error budget series for SLO search",
        id="one SLO without series keeps the others from lowering the level",
    ),
    pytest.param(
        Case(
            (snap("checkout", "60"), snap("search", None)),
            state(F, T0, "fz-prev02"),
            spec={"onMetricsUnavailable": "Thaw"},
        ),
        Outcome(F, T0, "fz-prev02", Rule.PARTIAL_DATA, "search", False),
        "Holding FullFreeze: no error budget series for SLO search",
        id="one SLO without series keeps the level under Thaw too",
    ),
    pytest.param(
        Case((snap("checkout", "5"), snap("search", None)), state(W, T0)),
        Outcome(F, NOW, NEW_ID, TH, "checkout", True),
        "SLO checkout has 5.0% error budget left (full freeze below 10%)",
        id="one SLO without series does not stop the others from escalating",
    ),
    pytest.param(
        Case(
            (snap("checkout", "60"), snap("search", None)),
            state(N, T0),
            spec={"onMetricsUnavailable": "Freeze"},
        ),
        Outcome(N, T0, None, TH, "checkout", False),
        "SLO checkout has 60.0% error budget left (warning below 50%)",
        id="one SLO without series does not freeze under Freeze",
    ),
    pytest.param(
        Case((), state(P, T0, "fz-prev01")),
        Outcome(U, NOW, None, Rule.NO_SLOS, None, True),
        "No SLO matches spec.sloSelector; nothing to hold",
        id="a policy that selects no SLOs is Unknown and ends its freeze",
    ),
]


@pytest.mark.parametrize(
    ("case", "expected", "reason"), THRESHOLDS + TRIGGERS + HYSTERESIS + MISSING_DATA
)
def test_decide(case: Case, expected: Outcome, reason: str) -> None:
    decision = run(case)
    assert (outcome(decision), decision.reason) == (expected, reason)


def test_the_whole_decision_lists_every_slo_and_the_unknown_one_as_unknown() -> None:
    case = Case((snap("search", None), snap("checkout", "60")), state(F, T0, "fz-prev02"))
    assert run(case) == Decision(
        level=F,
        since=T0,
        freeze_id="fz-prev02",
        reason="Holding FullFreeze: no error budget series for SLO search",
        rule=Rule.PARTIAL_DATA,
        deciding_slo=SLORef("shop", "search"),
        slos=(
            SLOAssessment(
                SLORef("shop", "checkout"),
                N,
                Decimal("60"),
                TH,
                "SLO checkout has 60.0% error budget left (warning below 50%)",
                N,
            ),
            SLOAssessment(
                SLORef("shop", "search"),
                U,
                None,
                Rule.NO_DATA,
                "SLO search has no error budget series",
                U,
            ),
        ),
        changed=False,
        enforcement="Enforce",
        metrics_unavailable_since=None,
    )


def test_the_whole_decision_during_an_outage_records_when_it_began() -> None:
    case = Case(
        (BudgetSnapshot.no_series(SLORef("shop", "checkout"), NOW),), state(W, T0), available=False
    )
    assert run(case) == Decision(
        level=W,
        since=T0,
        freeze_id=None,
        reason="Holding Warning: metrics unavailable since 2026-11-29T11:00:00Z",
        rule=Rule.METRICS_UNAVAILABLE,
        deciding_slo=None,
        slos=(
            SLOAssessment(
                SLORef("shop", "checkout"),
                U,
                None,
                Rule.METRICS_UNAVAILABLE,
                "SLO checkout: metrics unavailable",
                U,
            ),
        ),
        changed=False,
        enforcement="Enforce",
        metrics_unavailable_since=NOW,
    )


def test_data_back_after_an_outage_forgets_when_the_outage_began() -> None:
    previous = state(W, T0, None, T0 + timedelta(minutes=30))
    decision = decide(policy(), (snap("checkout", "45"),), previous, NOW, True)
    assert (decision.level, decision.since, decision.metrics_unavailable_since) == (W, T0, None)


@pytest.mark.parametrize("mode", ["Enforce", "Warn", "DryRun"])
def test_enforcement_changes_what_is_done_not_the_level(mode: str) -> None:
    decision = decide(policy(enforcement=mode), (snap("checkout", "20"),), None, NOW, True)
    assert (decision.level, decision.freeze_id, decision.enforcement) == (P, NEW_ID, mode)


def test_deciding_again_from_its_own_state_changes_nothing_but_the_changed_flag() -> None:
    first = decide(policy(), (snap("checkout", "20"),), None, NOW, True)
    later = NOW + timedelta(minutes=1)
    second = decide(policy(), (snap("checkout", "20"),), first.state, later, True)
    assert second.state == first.state
    assert (first.changed, second.changed) == (True, False)


def test_freeze_ids_are_stable_and_differ_by_policy_and_start() -> None:
    ids = {
        freeze_id("shop/payments/uid-1", NOW),
        freeze_id("shop/payments/uid-1", NOW + timedelta(seconds=1)),
        freeze_id("shop/search/uid-2", NOW),
    }
    assert freeze_id("shop/payments/uid-1", NOW) == NEW_ID
    assert len(ids) == 3


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(policy(), (), None, datetime(2026, 11, 29, 11, 0), True)


# --- Helpers others build on ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("remaining", "expected"),
    [
        pytest.param(None, U, id="no series is Unknown"),
        pytest.param("100", N, id="a full budget is Normal"),
        pytest.param("50", N, id="at warningBelow is Normal"),
        pytest.param("49.999999", W, id="a hair below warningBelow is Warning"),
        pytest.param("30", W, id="at partialFreezeBelow is Warning"),
        pytest.param("10", P, id="at fullFreezeBelow is PartialFreeze"),
        pytest.param("0", F, id="an empty budget is FullFreeze"),
        pytest.param("-300", F, id="a budget spent three times over is FullFreeze"),
    ],
)
def test_level_of(remaining: str | None, expected: Level) -> None:
    assert level_of(None if remaining is None else Decimal(remaining), Levels()) == expected


def test_levels_order_mildest_first_and_unknown_has_no_place() -> None:
    assert sorted([F, N, P, W], key=severity) == [N, W, P, F]
    with pytest.raises(ValueError, match="Unknown has no severity"):
        severity(U)


def test_only_partial_and_full_freeze_hold_deployments() -> None:
    assert [level for level in Level if is_freeze(level)] == [P, F]


def test_percent_text_rounds_down_to_a_tenth() -> None:
    values = ["21.45", "29.96", "-12.44", "16", "0"]
    assert [percent_text(Decimal(v)) for v in values] == ["21.4", "29.9", "-12.5", "16.0", "0.0"]


def test_a_poll_gives_a_no_series_snapshot_for_an_slo_it_did_not_see() -> None:
    seen = snap("checkout", "60", {"1h": "2"})
    poll = PollResult(NOW, {seen.slo: seen})
    missing = SLORef("shop", "search")
    assert poll.select([missing, seen.slo]) == (BudgetSnapshot.no_series(missing, NOW), seen)
    assert poll.metrics_available
    assert seen.burn_rate(timedelta(hours=1)) == Decimal("2")
    assert seen.burn_rate(timedelta(minutes=5)) is None


def test_a_failed_poll_says_metrics_are_unavailable_and_selects_no_series() -> None:
    poll = PollResult.unavailable(NOW, "connection refused")
    assert (poll.metrics_available, poll.failure) == (False, "connection refused")
    assert poll.select([SLORef("shop", "checkout")]) == (
        BudgetSnapshot.no_series(SLORef("shop", "checkout"), NOW),
    )
