"""Which requests fail and how long each one takes: the demo service's injected faults.

Used by `budgetwarden_dev.demo.service` once per `/work` request. Two ways to pick failures (see
`ErrorMode`): the exact schedule makes end-to-end burn rates predictable to the request, the
seeded random draw looks like a real service and still repeats run after run.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from budgetwarden_dev.demo.settings import JITTER, ErrorMode


class ErrorPicker:
    """Decides, request by request in arrival order, whether the request fails."""

    def __init__(self, mode: ErrorMode, rate: Decimal, seed: int | None = None) -> None:
        self.mode = mode
        self._rate = rate
        self._random = random.Random(seed)
        self._owed = Decimal(0)

    def set_rate(self, rate: Decimal) -> None:
        """Switch to a new rate; the exact schedule starts afresh, so counts after it are exact."""
        self._rate = rate
        self._owed = Decimal(0)

    def fails(self) -> bool:
        """Whether the next request fails."""
        if self.mode is ErrorMode.RANDOM:
            return self._random.random() < self._rate
        # Each request adds its share of a failure to what is owed; a whole one is paid out as a
        # 500. After n requests exactly floor(n × rate) have failed, evenly spread.
        self._owed += self._rate
        if self._owed >= 1:
            self._owed -= 1
            return True
        return False


class Delay:
    """How long to sleep before answering: the latency with ±JITTER spread, uniformly."""

    def __init__(self, latency: timedelta, seed: int | None = None) -> None:
        self.latency = latency
        # A generator of its own, so changing the latency never shifts the error sequence.
        self._random = random.Random(None if seed is None else seed + 1)

    def seconds(self) -> float:
        """The next sleep, in seconds."""
        base = self.latency.total_seconds()
        if base == 0:
            return 0.0
        spread = float(JITTER)
        return base * (1 - spread + 2 * spread * self._random.random())
