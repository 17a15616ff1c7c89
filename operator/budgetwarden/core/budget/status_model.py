"""SLO status as typed, frozen values: the one reader and the one writer of its shape.

`SLOStatus.read` is how status is read back (the poller compares what it would write with it;
`budgetwarden status` shows it); `ErrorBudgetStatus.wire` is the only writer of
status.errorBudget (core/budget/slo_status.py builds the values). Reading is total: a field
this version cannot read reads as absent. Numbers keep the text status shows ("63.2"), as
Decimals; times are RFC 3339 (core/kernel/wire.py).

Who writes what: the SLO handler owns observedGeneration, prometheusRule and the RulesApplied
and Ready conditions; the poller owns errorBudget and the MetricsAvailable and BudgetExhausted
conditions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any

from budgetwarden.core.kernel.durations import parse_duration
from budgetwarden.core.kernel.wire import (
    format_time,
    parse_time,
    read_decimal,
    read_entries,
    read_text,
)


@dataclass(frozen=True)
class ErrorBudgetStatus:
    """status.errorBudget: the budget as downtime, what is left, burn rates, the ETA."""

    total: str = ""
    remaining_percent: Decimal | None = None
    consumed_percent: Decimal | None = None
    burn_rates: tuple[tuple[str, Decimal], ...] = ()  # (window, rate), shortest window first
    fast_burn_rate: Decimal | None = None
    exhaustion_eta: datetime | None = None
    evaluated_at: datetime | None = None

    @cached_property
    def shown(self) -> tuple[Any, ...]:
        """The values a status write compares: every field but the two every poll moves
        (exhaustion_eta, evaluated_at), burn rates in one order whatever order they came in.
        Cached: the poller compares the status it holds with every poll's, 10,000 at a time."""
        return (
            self.total,
            self.remaining_percent,
            self.consumed_percent,
            tuple(sorted(self.burn_rates)),
            self.fast_burn_rate,
        )

    @classmethod
    def read(cls, value: object) -> ErrorBudgetStatus:
        """status.errorBudget as stored; never raises."""
        wire: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
        rates = wire.get("burnRates")
        burn_rates = rates.items() if isinstance(rates, Mapping) else ()
        return cls(
            total=read_text(wire.get("total")),
            remaining_percent=read_decimal(wire.get("remainingPercent")),
            consumed_percent=read_decimal(wire.get("consumedPercent")),
            burn_rates=tuple(
                (str(window), rate)
                for window, text in burn_rates
                if (rate := read_decimal(text)) is not None
            ),
            fast_burn_rate=read_decimal(wire.get("fastBurnRate")),
            exhaustion_eta=parse_time(wire.get("exhaustionETA")),
            evaluated_at=parse_time(wire.get("evaluatedAt")),
        )

    def wire(self) -> dict[str, Any]:
        """status.errorBudget as stored: unknown numbers are absent, never zero."""
        body: dict[str, Any] = {"total": self.total}
        _put(body, "remainingPercent", self.remaining_percent)
        _put(body, "consumedPercent", self.consumed_percent)
        if self.burn_rates:
            ordered = sorted(self.burn_rates, key=lambda pair: _window_order(pair[0]))
            body["burnRates"] = {window: str(rate) for window, rate in ordered}
        _put(body, "fastBurnRate", self.fast_burn_rate)
        if self.exhaustion_eta is not None:
            body["exhaustionETA"] = format_time(self.exhaustion_eta)
        if self.evaluated_at is not None:
            body["evaluatedAt"] = format_time(self.evaluated_at)
        return body


@dataclass(frozen=True)
class SLOStatus:
    """An SLO's status as stored."""

    observed_generation: int = 0
    prometheus_rule: str = ""
    error_budget: ErrorBudgetStatus | None = None
    conditions: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def read(cls, status: object) -> SLOStatus:
        """The status as stored (any JSON value); never raises. An SLOStatus reads as itself."""
        if isinstance(status, SLOStatus):
            return status
        wire: Mapping[str, Any] = status if isinstance(status, Mapping) else {}
        generation = wire.get("observedGeneration")
        budget = wire.get("errorBudget")
        return cls(
            observed_generation=generation if isinstance(generation, int) else 0,
            prometheus_rule=read_text(wire.get("prometheusRule")),
            error_budget=ErrorBudgetStatus.read(budget) if isinstance(budget, Mapping) else None,
            conditions=tuple(read_entries(wire.get("conditions"))),
        )


def _put(body: dict[str, Any], key: str, value: Decimal | None) -> None:
    if value is not None:
        body[key] = str(value)


@lru_cache(maxsize=64)  # a handful of distinct windows, sorted on every status write
def _window_order(window: str) -> tuple[int, float, str]:
    """Windows by length ("5m" before "1h"); one this version cannot read goes last."""
    try:
        return (0, parse_duration(window).total_seconds(), window)
    except ValueError:
        return (1, 0.0, window)
