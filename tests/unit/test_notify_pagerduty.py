"""What PagerDuty is sent: one alert per freeze (dedup_key = freeze id), triggered when the freeze
starts or changes level and at reminders, resolved at thaw, and nothing outside a freeze."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.decide import Decision, PolicyState
from budgetwarden.core.policy.notification import Notice, change_notice, reminder_notice
from budgetwarden.core.policy.notify_pagerduty import SUMMARY_LIMIT, pagerduty_event
from notify_support import NOW, POLICY, decided, state

N, W, P, F = Level.NORMAL, Level.WARNING, Level.PARTIAL_FREEZE, Level.FULL_FREEZE
RUNBOOK = "https://github.com/budgetwarden/budgetwarden/blob/main/runbooks/freeze.md"
FREEZE = "fz-2f9521"  # the id of the freeze `decided` starts at NOW


def change(previous: PolicyState | None, **left: str | None) -> Notice:
    return change_notice(POLICY, previous, decided(previous, **left))


def test_a_freeze_that_starts_triggers_an_alert_keyed_by_its_freeze_id() -> None:
    notice = change(state(W), checkout_availability="21.4", checkout_latency="44.9")
    reason = "SLO checkout-availability has 21.4% error budget left (partial freeze below 30%)"
    assert pagerduty_event(notice, "R0UT1NG") == {
        "routing_key": "R0UT1NG",
        "event_action": "trigger",
        "dedup_key": FREEZE,
        "payload": {
            "summary": f"[budgetwarden] shop/payments: Warning → PartialFreeze — {reason}",
            "source": "shop/payments",
            "severity": "error",
            "timestamp": "2026-11-29T10:14:00Z",
            "component": "payments",
            "group": "shop",
            "class": "PartialFreeze",
            "custom_details": {
                "policy": "shop/payments",
                "level": "PartialFreeze",
                "what": "Warning → PartialFreeze",
                "since": "2026-11-29T10:14:00Z",
                "freeze_id": FREEZE,
                "reason": reason,
                "enforcement": "Enforce",
                "slo": "checkout-availability",
                "budget_remaining_percent": "21.4",
                "slos": [
                    "checkout-availability: 21.4% left (PartialFreeze)",
                    "checkout-latency: 44.9% left (Warning)",
                ],
                "exceptions": "kubectl -n shop get freezeexceptions",
                "runbook": RUNBOOK,
            },
        },
        "client": "budgetwarden",
        "links": [{"href": RUNBOOK, "text": "Deployment freeze runbook"}],
    }


def essentials(event: dict[str, Any] | None) -> tuple[Any, ...] | None:
    """(action, dedup_key, severity or None, summary's start or None)."""
    if event is None:
        return None
    payload = event.get("payload") or {}
    summary = payload.get("summary", "").split(" — ")[0] or None
    return event["event_action"], event["dedup_key"], payload.get("severity"), summary


NOTICES = [
        pytest.param(
            change(None, checkout_availability="5"),
            ("trigger", FREEZE, "critical",
             "[budgetwarden] shop/payments: Level set to FullFreeze"),
            id="a policy that freezes at its first decision triggers, critical at FullFreeze",
        ),
        pytest.param(
            change(state(P, "fz-0ld1d"), checkout_availability="5"),
            ("trigger", "fz-0ld1d", "critical",
             "[budgetwarden] shop/payments: PartialFreeze → FullFreeze"),
            id="a freeze getting worse triggers the same alert again: the freeze id stays",
        ),
        pytest.param(
            change(state(F, "fz-0ld1d"), checkout_availability="90"),
            ("resolve", "fz-0ld1d", None, None),
            id="the thaw resolves the freeze's alert",
        ),
        pytest.param(
            change(state(P, "fz-0ld1d"), checkout_availability="40"),
            ("resolve", "fz-0ld1d", None, None),
            id="stepping down to Warning is a thaw too",
        ),
        pytest.param(change(state(N), checkout_availability="40"), None,
                     id="Normal to Warning is not a page"),
        pytest.param(change(state(W), checkout_availability="90"), None,
                     id="Warning to Normal is not either"),
        pytest.param(change(state(W), checkout_availability=None), None,
                     id="losing the data outside a freeze is not a page"),
        pytest.param(
            reminder_notice(POLICY, decided(None, checkout_availability="21.4"),
                            NOW + timedelta(hours=4)),
            ("trigger", FREEZE, "error",
             "[budgetwarden] shop/payments: still PartialFreeze after 4h"),
            id="a reminder triggers the freeze's alert again",
        ),
]  # fmt: skip


@pytest.mark.parametrize(("notice", "expected"), NOTICES)
def test_what_each_notice_sends(notice: Notice, expected: tuple[Any, ...] | None) -> None:
    assert essentials(pagerduty_event(notice, "R0UT1NG")) == expected


def test_a_resolve_carries_only_what_pagerduty_reads() -> None:
    notice = change(state(F, "fz-0ld1d"), checkout_availability="90")
    assert pagerduty_event(notice, "R0UT1NG") == {
        "routing_key": "R0UT1NG",
        "event_action": "resolve",
        "dedup_key": "fz-0ld1d",
    }


def test_a_long_summary_is_cut_to_pagerdutys_limit() -> None:
    decision = decided(None, checkout_availability="21.4")
    long = Decision(**{**vars(decision), "reason": "x" * 2000})
    event = pagerduty_event(change_notice(POLICY, None, long), "R0UT1NG")
    assert event is not None
    summary = event["payload"]["summary"]
    assert (len(summary), summary[-1]) == (SUMMARY_LIMIT, "…")
