"""The policy engine's truth table when metrics are missing: outages, SLOs without series.

Defaults unless a row says otherwise: thresholds 50/30/10 % remaining, exit margin 5 %,
minimum hold 30m, onMetricsUnavailable Hold. `NOW` is one hour after `T0` (tests/policy_support.py).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from budgetwarden.core.budget.snapshot import BudgetSnapshot, PollResult, SLORef
from budgetwarden.core.policy.assess import Rule, SLOAssessment
from budgetwarden.core.policy.decide import Decision, decide
from policy_support import (
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


@pytest.mark.parametrize(("case", "expected", "reason"), MISSING_DATA)
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
