"""What the budget status tests share: the checkout SLO, its budget snapshots, the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from budgetwarden.core.budget.snapshot import BudgetSnapshot, SLORef
from budgetwarden.core.slo.spec import SLO, parse_slo

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
MAX_AGE = timedelta(seconds=90)
CHECKOUT = SLORef("shop", "checkout-availability")


def slo(objective: str = "99.5", window: str = "30d") -> SLO:
    """The checkout-availability SLO in namespace shop (generation 3)."""
    return parse_slo(
        {
            "metadata": {"name": "checkout-availability", "namespace": "shop", "generation": 3},
            "spec": {
                "service": "checkout",
                "objective": objective,
                "window": window,
                "indicator": {"ratio": {"errors": "sum(rate(e[{{.window}}]))", "total": "t"}},
            },
        }
    )


def snapshot(left: str | None, **rates: str) -> BudgetSnapshot:
    """CHECKOUT's snapshot at NOW: `left` percent remaining, burn rates as w5m="0.4" etc."""
    return BudgetSnapshot(
        slo=CHECKOUT,
        evaluated_at=NOW,
        remaining_percent=None if left is None else Decimal(left),
        burn_rates={k.removeprefix("w"): Decimal(v) for k, v in rates.items()},
    )
