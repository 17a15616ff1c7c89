"""What a drill should take, worked out before it starts: the budget math and when levels are due.

`budgetwarden drill` prints this plan, then derives each step's deadline from it. Pure
arithmetic on Decimals (no clock, no I/O), so tests compare whole plans.

The model, for a steady load and an error rate switched from zero to `error_rate`:
- A burn-rate trigger compares rates over its long and short windows; each rate ramps up
  linearly over its window, so a window w reaches factor F at burn rate b after F × w / b.
- The period budget sums the recorded 5m rates: for the first 5 minutes they ramp up too, so
  the share of budget spent grows with t² / (2 × 5m) at first, then linearly.
- The budget's size is (1 − objective) × the time Prometheus covers (at most the window), in
  seconds of total outage: 86.4 s for 99.9 % of a full day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.levels import SEVERITY, Level, severity, threshold_of
from budgetwarden.core.policy.spec import ErrorBudgetPolicySpec
from budgetwarden.core.slo.windows import BASE_RATE_WINDOW

HUNDRED = Decimal(100)
FREEZE_LEVELS = SEVERITY[1:]  # Warning, PartialFreeze, FullFreeze


def seconds(value: timedelta) -> Decimal:
    """A timedelta as Decimal seconds."""
    return Decimal(value // timedelta(milliseconds=1)) / 1000


def as_duration(value: Decimal) -> timedelta:
    """Decimal seconds as a timedelta, to the second (at least one)."""
    return timedelta(seconds=max(1, int(value.to_integral_value(ROUND_HALF_UP))))


def say_duration(value: Decimal) -> str:
    """Decimal seconds the way Prometheus writes durations: "1m26s"."""
    return format_duration(as_duration(value))


def outage_text(value: Decimal) -> str:
    """Seconds of outage: "86.4s" below ten minutes, "43m12s" above."""
    if value < 600:
        return f"{value.quantize(Decimal('0.1'))}s"
    return say_duration(value)


def percent(value: Decimal) -> str:
    """A share (0.1) as a percent without trailing zeros ("10%")."""
    return f"{(value * HUNDRED).normalize():f}%"


@dataclass(frozen=True)
class Plan:
    """A drill's numbers: the budget's size, how fast it falls, when each level is due."""

    objective: Decimal  # percent, e.g. 99.9
    window: timedelta
    covered: timedelta  # how much of the window Prometheus holds data for
    error_rate: Decimal  # share of requests failing during the drill
    remaining: Decimal  # percent of budget left when the drill starts
    policy: ErrorBudgetPolicySpec

    @property
    def budget_share(self) -> Decimal:
        """The share of requests allowed to fail, e.g. 0.001."""
        return 1 - self.objective / HUNDRED

    @property
    def burn_rate(self) -> Decimal:
        """How many times faster than allowed the drill burns the budget."""
        return self.error_rate / self.budget_share

    @property
    def outage_seconds(self) -> Decimal:
        """The budget as seconds of total outage over the covered time."""
        return self.budget_share * seconds(self.covered)

    def budget_due(self, spend: Decimal) -> Decimal | None:
        """Seconds until `spend` (a share of the whole budget) is gone; None if never."""
        if spend <= 0:
            return Decimal(0)
        if self.error_rate <= 0:
            return None
        ramp = seconds(BASE_RATE_WINDOW)
        during_ramp = self.error_rate * ramp / (2 * self.outage_seconds)
        if spend <= during_ramp:
            return (spend * 2 * ramp * self.outage_seconds / self.error_rate).sqrt()
        return ramp / 2 + spend * self.outage_seconds / self.error_rate

    def threshold_due(self, level: Level) -> Decimal | None:
        """Seconds until the budget drops below `level`'s threshold."""
        threshold = threshold_of(level, self.policy.levels)
        assert threshold is not None  # only freeze levels are asked for
        return self.budget_due((self.remaining - threshold) / HUNDRED)

    def trigger_due(self, level: Level) -> tuple[Decimal, str] | None:
        """Seconds until the first trigger at `level` or above fires, and which one."""
        found = []
        for trigger in self.policy.burn_rate_triggers:
            if severity(trigger.level) < severity(level) or self.burn_rate <= trigger.factor:
                continue
            longest = max(seconds(trigger.long_window), seconds(trigger.short_window))
            name = (
                f"{format_duration(trigger.long_window)}/{format_duration(trigger.short_window)}"
                f" above {trigger.factor.normalize():f}x"
            )
            found.append((trigger.factor * longest / self.burn_rate, name))
        return min(found, default=None)

    def due(self, level: Level) -> Decimal | None:
        """Seconds until the policy reaches `level`: the first of its triggers and its budget."""
        candidates = [self.threshold_due(level)]
        if (trigger := self.trigger_due(level)) is not None:
            candidates.append(trigger[0])
        known = [c for c in candidates if c is not None]
        return min(known, default=None)

    def spent_after(self, duration: Decimal) -> Decimal:
        """Percent of the budget `duration` seconds at the drill's error rate spend in the end."""
        return HUNDRED * self.error_rate * duration / self.outage_seconds

    def lines(self) -> list[str]:
        """The plan as text, one statement per line."""
        per_percent = self.outage_seconds / HUNDRED / self.error_rate
        burn = f"burn rate {self.burn_rate.normalize():f}x"
        below = ", ".join(
            f"below {threshold_of(level, self.policy.levels)}% after "
            f"{_maybe(self.threshold_due(level))}"
            for level in FREEZE_LEVELS
        )
        lines = [
            self._history_text(),
            f"budget: {percent(self.budget_share)} of the requests in that time: "
            f"{outage_text(self.outage_seconds)} of total outage; {self.remaining}% left now",
            f"math: at {percent(self.error_rate)} errors ({burn})"
            f" the budget falls 1% every {per_percent.quantize(Decimal('0.1'))}s: {below} (the "
            "budget sums 5m rates, which take 5 minutes to catch up; the times include that lag)",
        ]
        for level in FREEZE_LEVELS:
            trigger = self.trigger_due(level)
            via = f"trigger {trigger[1]}" if trigger else "budget threshold"
            if trigger and self.threshold_due(level) == self.due(level):
                via = "budget threshold"
            lines.append(f"expect: {level} after ~{_maybe(self.due(level))} ({via})")
        return lines

    def _history_text(self) -> str:
        window = format_duration(self.window)
        held = format_duration(self.covered) if self.covered else "nothing"
        if self.covered >= self.window - BASE_RATE_WINDOW:
            return (
                f"history: Prometheus holds {held} of this SLO's recorded 5m rates: its whole "
                f"{window} window, so the budget is computed over a full window"
            )
        return (
            f"history: Prometheus holds only {held} of this SLO's {window} window, so the "
            "budget is computed over that: small and jumpy (see docs/demo.md, History)"
        )


def _maybe(value: Decimal | None) -> str:
    return "never" if value is None else say_duration(value)
