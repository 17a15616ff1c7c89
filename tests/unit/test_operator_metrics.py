"""The operator's /metrics: budgets and levels as series, gone or unknown ones removed, served."""

from __future__ import annotations

from decimal import Decimal

import httpx

from budgetwarden.adapters.metrics import OperatorMetrics
from budgetwarden.core.kernel.levels import Level


def series(metrics: OperatorMetrics, prefix: str) -> list[str]:
    """The exposition's sample lines of metrics starting with `prefix`."""
    text = metrics.exposition().decode()
    return [line for line in text.splitlines() if line.startswith(prefix)]


def test_budgets_of_gone_or_unknown_slos_are_removed_not_zeroed() -> None:
    metrics = OperatorMetrics()
    metrics.set_budgets({("shop", "checkout"): Decimal("21.4"), ("shop", "search"): Decimal(80)})
    metrics.set_budgets({("shop", "checkout"): None, ("shop", "search"): Decimal("79.5")})
    assert series(metrics, "budgetwarden_error_budget_remaining_percent{") == [
        'budgetwarden_error_budget_remaining_percent{namespace="shop",slo="search"} 79.5'
    ]


def test_a_policy_level_is_one_hot_and_a_deleted_policy_disappears() -> None:
    metrics = OperatorMetrics()
    frozen = (Level.PARTIAL_FREEZE, 2)
    metrics.set_policies({("shop", "payments"): frozen, ("ops", "x"): (Level.NORMAL, 0)})
    metrics.set_policies({("shop", "payments"): frozen})
    labels = 'namespace="shop",policy="payments"'
    assert series(metrics, "budgetwarden_policy_level{") + series(metrics, "budgetwarden_held") == [
        f'budgetwarden_policy_level{{level="Normal",{labels}}} 0.0',
        f'budgetwarden_policy_level{{level="Warning",{labels}}} 0.0',
        f'budgetwarden_policy_level{{level="PartialFreeze",{labels}}} 1.0',
        f'budgetwarden_policy_level{{level="FullFreeze",{labels}}} 0.0',
        f'budgetwarden_policy_level{{level="Unknown",{labels}}} 0.0',
        f"budgetwarden_held_targets{{{labels}}} 2.0",
    ]


def test_polls_errors_and_queries_are_counted_and_served_over_http() -> None:
    metrics = OperatorMetrics()
    metrics.poll_done(0.02, queries=1)
    metrics.poll_done(0.03, queries=1)
    metrics.error("prometheus")
    server = metrics.serve(0, address="127.0.0.1")
    try:
        text = httpx.get(f"http://127.0.0.1:{server.port}/metrics", trust_env=False).text
    finally:
        server.close()
    wanted = (
        "budgetwarden_poll_duration_seconds_count 2.0",
        "budgetwarden_poll_queries_total 2.0",
        'budgetwarden_poll_errors_total{stage="prometheus"} 1.0',
    )
    assert sorted(line for line in text.splitlines() if line in wanted) == sorted(wanted)
