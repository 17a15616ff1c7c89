"""The policy engine's truth table for leaving a level: exit margin, minimum hold, freeze ids.

Defaults unless a row says otherwise: thresholds 50/30/10 % remaining, exit margin 5 %,
minimum hold 30m, onMetricsUnavailable Hold. `NOW` is one hour after `T0` (tests/policy_support.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from budgetwarden.core.policy.decide import decide, freeze_id
from policy_support import (
    HY,
    NEW_ID,
    NOW,
    T0,
    TH,
    Case,
    F,
    N,
    Outcome,
    P,
    U,
    W,
    outcome,
    policy,
    run,
    snap,
    state,
)

NEAR_HOLD_END = NOW - timedelta(minutes=20)

MARGIN_33 = (
    "Holding PartialFreeze: SLO checkout has 33.0% error budget left; leaving PartialFreeze "
    "needs 35% (partial freeze below 30% plus 5% margin)"
)

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


@pytest.mark.parametrize(("case", "expected", "reason"), HYSTERESIS)
def test_decide(case: Case, expected: Outcome, reason: str) -> None:
    decision = run(case)
    assert (outcome(decision), decision.reason) == (expected, reason)


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
