"""What the policy engine's tests (tests/unit/test_policy_*.py) build decisions from.

Defaults unless a case says otherwise: thresholds 50/30/10 % remaining, exit margin 5 %,
minimum hold 30m, onMetricsUnavailable Hold. `NOW` is one hour after `T0`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from budgetwarden.core.budget.snapshot import BudgetSnapshot, SLORef
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.assess import Rule
from budgetwarden.core.policy.decide import Decision, PolicyState, decide
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
    """The state a policy was left in by an earlier decision."""
    return PolicyState(level, since, fid, "earlier reason", unavailable_since)


class Case(NamedTuple):
    """What a decision is made from: snapshots, the earlier state, the spec, the poll's health."""

    snapshots: tuple[BudgetSnapshot, ...]
    previous: PolicyState | None = None
    spec: Mapping[str, Any] = {}
    available: bool = True


class Outcome(NamedTuple):
    """The parts of a decision a truth-table row pins, the reason aside."""

    level: Level
    since: datetime
    freeze_id: str | None
    rule: Rule
    deciding: str | None
    changed: bool


def outcome(decision: Decision) -> Outcome:
    """The pinned parts of `decision`."""
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
    """The policy engine's decision on `case` at NOW."""
    return decide(policy(**case.spec), case.snapshots, case.previous, NOW, case.available)


N, W, P, F, U = (
    Level.NORMAL,
    Level.WARNING,
    Level.PARTIAL_FREEZE,
    Level.FULL_FREEZE,
    Level.UNKNOWN,
)

TH, BR, HY = Rule.THRESHOLD, Rule.BURN_RATE, Rule.HYSTERESIS
