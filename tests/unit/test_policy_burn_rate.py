"""The policy engine's truth table for burn-rate triggers.

Defaults unless a row says otherwise: thresholds 50/30/10 % remaining, exit margin 5 %,
minimum hold 30m, onMetricsUnavailable Hold. `NOW` is one hour after `T0` (tests/policy_support.py).
"""

from __future__ import annotations

import pytest

from policy_support import (
    BR,
    BURNING,
    FAST_BURN,
    NEW_ID,
    NOW,
    T0,
    TH,
    Case,
    F,
    N,
    Outcome,
    P,
    outcome,
    run,
    snap,
    state,
)

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


@pytest.mark.parametrize(("case", "expected", "reason"), TRIGGERS)
def test_decide(case: Case, expected: Outcome, reason: str) -> None:
    decision = run(case)
    assert (outcome(decision), decision.reason) == (expected, reason)
