"""The FreezeView admission reads, built from policies' specs and statuses, and exceptions."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden.core.freeze.admission_message import cause_text
from budgetwarden.core.freeze.exception_spec import parse_exception
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze
from budgetwarden.core.freeze.view_from_status import freeze_view, policy_freeze
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks
from budgetwarden.core.policy.spec import parse_policy
from budgetwarden.core.policy.status_model import HeldTarget

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
POLICY = parse_policy(yaml.safe_load((EXAMPLES / "05-policy.yaml").read_text()))
FROZEN = {
    "level": "PartialFreeze",
    "since": "2026-11-29T10:14:00Z",
    "freezeId": "fz-7c2e",
    "slos": [
        {"name": "checkout-latency", "remainingPercent": "44.0", "level": "Warning"},
        {"name": "checkout-availability", "remainingPercent": "21.4", "level": "PartialFreeze"},
        {"name": "checkout-errors", "remainingPercent": "25.0", "level": "PartialFreeze"},
    ],
    "heldTargets": [
        {"kind": "Rollout", "name": "checkout", "pausedByUs": True, "stableTemplate": "sha256:ab"},
        {"kind": "Deployment", "name": "checkout-worker"},
    ],
}
BURN = (
    "SLO checkout-availability burns 16.2x over 1h and 18x over 5m (trigger: 14.4x → PartialFreeze)"
)
BASE = PolicyFreeze(
    policy="payments",
    level=Level.PARTIAL_FREEZE,
    targets=POLICY.spec.targets,
    enforcement="Enforce",
    freeze_id="fz-7c2e",
    since=datetime(2026, 11, 29, 10, 14, tzinfo=UTC),
    slo="checkout-availability",
    remaining_percent=Decimal("21.4"),
    threshold_percent=Decimal("30"),
    runbook_url=SHIPPED_RUNBOOKS.freeze,
    held=(
        HeldTarget("Rollout", "checkout", paused_by_us=True, stable_template="sha256:ab"),
        HeldTarget("Deployment", "checkout-worker"),
    ),
)


CASES = [
    pytest.param(
        FROZEN,
        BASE,
        id="a frozen policy names the SLO at its level with the least budget left",
    ),
    pytest.param(
        {**FROZEN, "level": "FullFreeze", "slos": FROZEN["slos"][:2]},
        dataclasses.replace(BASE, level=Level.FULL_FREEZE, threshold_percent=None),
        id="held by hysteresis above the threshold, the message cites no threshold it is above",
    ),
    pytest.param(
        {
            **FROZEN,
            "slos": [
                {"name": "checkout-availability", "remainingPercent": "99.0", "level": "Normal"}
            ],
        },
        dataclasses.replace(BASE, remaining_percent=Decimal("99.0"), threshold_percent=None),
        id="frozen by a burn-rate trigger with budget left, no 'below 30%' is claimed",
    ),
    pytest.param(
        {
            **FROZEN,
            "reason": BURN,
            "slos": [
                {"name": "checkout-availability", "remainingPercent": "99.0", "level": "Normal"}
            ],
        },
        dataclasses.replace(
            BASE,
            remaining_percent=Decimal("99.0"),
            threshold_percent=None,
            cause=BURN,
            earliest_thaw=datetime(2026, 11, 29, 10, 14, tzinfo=UTC)
            + POLICY.spec.hysteresis.minimum_hold,
        ),
        id="the trigger that keeps the freeze and the earliest thaw are recorded for the message",
    ),
    pytest.param(
        {**FROZEN, "reason": BURN},
        BASE,
        id="with the budget below the threshold the budget is the cause",
    ),
    pytest.param(
        None,
        PolicyFreeze(
            policy="payments",
            level=Level.UNKNOWN,
            targets=POLICY.spec.targets,
            runbook_url=SHIPPED_RUNBOOKS.freeze,
        ),
        id="a policy without status yet is Unknown",
    ),
    pytest.param(
        {
            "level": "Frozen",
            "since": "yesterday",
            "freezeId": 7,
            "slos": "x",
            "heldTargets": [{"kind": "Rollout"}, "x"],
        },
        PolicyFreeze(
            policy="payments",
            level=Level.UNKNOWN,
            targets=POLICY.spec.targets,
            runbook_url=SHIPPED_RUNBOOKS.freeze,
        ),
        id="a status this version cannot read gives Unknown, not an error",
    ),
    pytest.param(
        {
            **FROZEN,
            "slos": [
                {
                    "name": "checkout-availability",
                    "level": "PartialFreeze",
                    "remainingPercent": "NaN",
                }
            ],
        },
        dataclasses.replace(BASE, remaining_percent=None, threshold_percent=None),
        id="a number that is not finite reads as no reading",
    ),
]


@pytest.mark.parametrize(("status", "expected"), CASES)
def test_policy_freeze(status: dict[str, Any] | None, expected: PolicyFreeze) -> None:
    assert policy_freeze(POLICY, status) == expected


def test_the_view_keeps_only_exceptions_whose_approver_was_recorded() -> None:
    raw = yaml.safe_load((EXAMPLES / "06-freeze-exception.yaml").read_text())
    unapproved = parse_exception(raw)
    raw["spec"]["approvedBy"] = "alice"
    raw["metadata"]["name"] = "approved"
    approved = parse_exception(raw)
    assert freeze_view([(POLICY, FROZEN)], [unapproved, approved]) == FreezeView(
        policies=(BASE,), exceptions=(approved,)
    )


def test_denials_link_the_freeze_page_under_the_operators_runbook_base() -> None:
    wiki = RunbookLinks("https://wiki.example.com/sre/{page}")
    (policy,) = freeze_view([(POLICY, FROZEN)], [], wiki).policies
    assert policy.runbook_url == "https://wiki.example.com/sre/freeze"


def test_the_cause_is_shortened_and_printable_in_the_message() -> None:
    policy = dataclasses.replace(BASE, cause=BURN + " " + "x" * 200, earliest_thaw=None)
    shown = cause_text(policy)
    assert shown.startswith("; frozen by SLO checkout-availability burns 16.2x over 1h")
    assert "(trigger: 14.4x ? PartialFreeze)" in shown and shown.endswith("...")
    assert len(shown) == len("; frozen by ") + 160 and shown.isascii()
