"""The policy engine's truth table for budget thresholds, and the level helpers others build on.

Defaults unless a row says otherwise: thresholds 50/30/10 % remaining, exit margin 5 %,
minimum hold 30m, onMetricsUnavailable Hold. `NOW` is one hour after `T0` (tests/policy_support.py).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from budgetwarden.core.kernel.levels import Level, Levels, is_freeze, severity
from budgetwarden.core.kernel.wire import percent_text
from budgetwarden.core.policy.assess import level_of
from policy_support import (
    NEW_ID,
    NOW,
    TH,
    Case,
    F,
    N,
    Outcome,
    P,
    U,
    W,
    outcome,
    run,
    snap,
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


@pytest.mark.parametrize(("case", "expected", "reason"), THRESHOLDS)
def test_decide(case: Case, expected: Outcome, reason: str) -> None:
    decision = run(case)
    assert (outcome(decision), decision.reason) == (expected, reason)


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
