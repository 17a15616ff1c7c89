"""What a level change tells people: the Event on the policy and the Slack-compatible message;
and when a freeze that lasts earns a reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from budgetwarden.core.budget.snapshot import BudgetSnapshot, SLORef
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.decide import Decision, PolicyState, decide
from budgetwarden.core.policy.notification import (
    EventNote,
    change_notice,
    reminder_notice,
    reminders_due,
    slack_payload,
    transition_event,
    went_up,
    worth_notifying,
)
from budgetwarden.core.policy.spec import parse_policy

NOW = datetime(2026, 11, 29, 10, 14, tzinfo=UTC)
POLICY = parse_policy(
    {
        "metadata": {"name": "payments", "namespace": "shop", "uid": "u-1"},
        "spec": {"notify": [{"webhook": {"urlSecretRef": {"name": "slack", "key": "url"}}}]},
    }
)
N, W, P, F, U = (
    Level.NORMAL,
    Level.WARNING,
    Level.PARTIAL_FREEZE,
    Level.FULL_FREEZE,
    Level.UNKNOWN,
)


def state(level: Level) -> PolicyState:
    """A previous state at `level`, since the first of the month."""
    return PolicyState(level, datetime(2026, 11, 1, tzinfo=UTC))


def decided(previous: Level | None, **left: str | None) -> Decision:
    """The decision for SLOs with these budgets left, after a state at `previous`."""
    snapshots = [
        BudgetSnapshot(
            SLORef("shop", name.replace("_", "-")),
            NOW,
            None if value is None else Decimal(value),
        )
        for name, value in left.items()
    ]
    state = None if previous is None else PolicyState(previous, datetime(2026, 11, 1, tzinfo=UTC))
    return decide(POLICY, snapshots, state, NOW, True)


@pytest.mark.parametrize(
    ("previous", "level", "expected"),
    [
        pytest.param(N, W, True, id="Normal to Warning is worse"),
        pytest.param(F, P, False, id="FullFreeze to PartialFreeze is better"),
        pytest.param(None, P, True, id="a first freeze is worse than nothing"),
        pytest.param(None, N, False, id="a first Normal is not worse"),
        pytest.param(U, W, True, id="Unknown to Warning counts from Normal"),
        pytest.param(W, U, True, id="losing the data to decide is worse"),
        pytest.param(U, U, False, id="staying Unknown is not worse"),
    ],
)
def test_went_up(previous: Level | None, level: Level, expected: bool) -> None:
    assert went_up(previous, level) is expected


@pytest.mark.parametrize(
    ("previous", "decision", "expected"),
    [
        pytest.param(
            W,
            decided(W, checkout_availability="21.4"),
            EventNote(
                "Warning",
                "BudgetThreshold",
                "Warning → PartialFreeze: SLO checkout-availability has 21.4% error budget left "
                "(partial freeze below 30%); freeze fz-2f9521",
            ),
            id="a freeze is a Warning event named after its rule, with the freeze id",
        ),
        pytest.param(
            None,
            decided(None, checkout_availability="80"),
            EventNote(
                "Normal",
                "BudgetThreshold",
                "Level set to Normal: SLO checkout-availability has 80.0% error budget left "
                "(warning below 50%)",
            ),
            id="a policy's first level is set, as a Normal event",
        ),
        pytest.param(
            None,
            decided(None),
            EventNote(
                "Warning",
                "NoSLOsSelected",
                "Level set to Unknown: No SLO matches spec.sloSelector; nothing to hold",
            ),
            id="a policy that selects nothing says so",
        ),
    ],
)
def test_transition_event(previous: Level | None, decision: Decision, expected: EventNote) -> None:
    assert transition_event(previous, decision) == expected


@pytest.mark.parametrize(
    ("previous", "level", "expected"),
    [
        pytest.param(W, P, True, id="a level change is announced"),
        pytest.param(P, P, False, id="the same level is not"),
        pytest.param(None, N, False, id="a new policy at Normal is not"),
        pytest.param(None, U, False, id="a new policy without data is not"),
        pytest.param(None, F, True, id="a new policy that freezes at once is"),
    ],
)
def test_worth_notifying(previous: Level | None, level: Level, expected: bool) -> None:
    budgets = {N: "80", W: "40", P: "20", F: "5", U: None}
    decision = decided(previous, checkout_availability=budgets[level])
    assert decision.level is level
    assert worth_notifying(previous, decision) is expected


def test_a_freeze_message_for_slack() -> None:
    decision = decided(W, checkout_availability="21.4", checkout_latency="44.9", search=None)
    text = (
        "[budgetwarden] shop/payments: Warning → PartialFreeze — SLO checkout-availability has "
        "21.4% error budget left (partial freeze below 30%)"
    )
    assert slack_payload(change_notice(POLICY, state(W), decision)) == {
        "text": text,
        "attachments": [
            {
                "fallback": text,
                "color": "#e8912d",
                "title": "[budgetwarden] shop/payments: Warning → PartialFreeze",
                "text": (
                    "SLO checkout-availability has 21.4% error budget left "
                    "(partial freeze below 30%)"
                ),
                "fields": [
                    {"title": "Level", "value": "PartialFreeze", "short": True},
                    {"title": "Since", "value": "2026-11-29T10:14:00Z", "short": True},
                    {"title": "Enforcement", "value": "Enforce", "short": True},
                    {"title": "Freeze id", "value": "fz-2f9521", "short": True},
                    {
                        "title": "Exceptions",
                        "value": "kubectl -n shop get freezeexceptions",
                        "short": True,
                    },
                    {
                        "title": "SLOs",
                        "value": "checkout-availability: 21.4% left (PartialFreeze)\n"
                        "checkout-latency: 44.9% left (Warning)\n"
                        "search: no data (Unknown)",
                        "short": False,
                    },
                ],
                "footer": "budgetwarden",
                "ts": 1795947240,
            }
        ],
    }


def test_a_thaw_message_is_green_and_has_no_freeze_fields() -> None:
    decision = decided(W, checkout_availability="90")
    payload = slack_payload(change_notice(POLICY, state(W), decision))
    attachment = payload["attachments"][0]
    assert (payload["text"], attachment["color"], [f["title"] for f in attachment["fields"]]) == (
        "[budgetwarden] shop/payments: Warning → Normal — SLO checkout-availability has 90.0% "
        "error budget left (warning below 50%)",
        "#2eb67d",
        ["Level", "Since", "Enforcement", "SLOs"],
    )


def test_a_reminder_says_how_long_the_freeze_has_lasted_and_is_dated_now() -> None:
    decision = decided(None, checkout_availability="21.4")
    later = NOW + timedelta(hours=4, minutes=2, seconds=30)
    payload = slack_payload(reminder_notice(POLICY, decision, later))
    attachment = payload["attachments"][0]
    assert (payload["text"], attachment["title"], attachment["ts"]) == (
        "[budgetwarden] shop/payments: still PartialFreeze after 4h2m — SLO "
        "checkout-availability has 21.4% error budget left (partial freeze below 30%)",
        "[budgetwarden] shop/payments: still PartialFreeze after 4h2m",
        int(later.timestamp()),
    )


@pytest.mark.parametrize(
    ("elapsed", "every", "expected"),
    [
        pytest.param(timedelta(), timedelta(hours=4), 0, id="none at the start of the level"),
        pytest.param(
            timedelta(hours=3, minutes=59), timedelta(hours=4), 0, id="none a minute before"
        ),
        pytest.param(timedelta(hours=4), timedelta(hours=4), 1, id="the first at one period"),
        pytest.param(timedelta(hours=9), timedelta(hours=4), 2, id="one per whole period"),
        pytest.param(-timedelta(minutes=1), timedelta(hours=4), 0, id="a clock behind since"),
    ],
)
def test_reminders_count_whole_periods_since_the_level_began(
    elapsed: timedelta, every: timedelta, expected: int
) -> None:
    assert reminders_due(NOW, NOW + elapsed, every) == expected
