"""A drill's output: one line per thing that happened, with the seconds since the drill began,
and the steps it expects, each with a deadline.

    [  17.3s] Prometheus: SLOErrorBudgetFastBurn firing for demo/checkout-availability
              continuation lines are indented under the text

`Steps` holds one phase's expectations; the drill marks them done as it sees them and stops
with a failure naming the first one whose deadline passed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TextIO

from budgetwarden_dev.demo.plan import say_duration

INDENT = " " * 11


class Timeline:
    """Prints lines stamped with the seconds since it was created."""

    def __init__(self, out: TextIO | None = None, clock: Callable[[], float] = time.monotonic):
        self.out = out or sys.stdout
        self.clock = clock
        self.started = clock()

    def elapsed(self) -> float:
        """Seconds since the drill began."""
        return self.clock() - self.started

    def line(self, text: str, more: Iterable[str] = ()) -> None:
        """One stamped line, then `more` indented beneath it."""
        print(f"[{self.elapsed():6.1f}s] {text}", file=self.out)
        for extra in more:
            print(f"{INDENT}{extra}", file=self.out)
        self.out.flush()

    def note(self, text: str) -> None:
        """An unstamped line (the plan, headings)."""
        print(text, file=self.out, flush=True)


@dataclass
class Step:
    """Something the drill expects, due about `expected` seconds into its phase."""

    name: str
    expected: float | None
    deadline: float
    done_at: float | None = None


class StepFailed(Exception):
    """A step did not happen before its deadline."""


class Steps:
    """One phase's steps, timed from when the phase began."""

    def __init__(self, timeline: Timeline, steps: Iterable[Step]) -> None:
        self.timeline = timeline
        self.began = timeline.elapsed()
        self.steps = list(steps)

    def since(self) -> float:
        """Seconds since the phase began."""
        return self.timeline.elapsed() - self.began

    def has(self, name: str) -> bool:
        """Whether this phase expects the step."""
        return any(step.name == name for step in self.steps)

    def done(self, name: str) -> bool:
        """Whether the step has happened."""
        return self._step(name).done_at is not None

    def mark(self, name: str, happened: bool) -> None:
        """Record the step as done the first time `happened` is true, with a check line."""
        step = self._step(name)
        if not happened or step.done_at is not None:
            return
        step.done_at = self.since()
        expected = "" if step.expected is None else f", expected ~{_secs(step.expected)}"
        self.timeline.line(f"✓ {step.name} ({_secs(step.done_at)} into this phase{expected})")

    def finished(self) -> bool:
        """Every step has happened."""
        return all(step.done_at is not None for step in self.steps)

    def check_deadlines(self, situation: str) -> None:
        """Raise StepFailed for the first step past its deadline, saying where things stand."""
        for step in self.steps:
            if step.done_at is None and self.since() > step.deadline:
                expected = "" if step.expected is None else f" (expected ~{_secs(step.expected)})"
                raise StepFailed(
                    f"{step.name} did not happen within {_secs(step.deadline)}{expected}; "
                    f"{situation}"
                )

    def _step(self, name: str) -> Step:
        return next(step for step in self.steps if step.name == name)


def deadline(expected: float | None, floor: float = 30) -> float:
    """A generous deadline for a step due after `expected` seconds: twice that plus `floor`."""
    return floor if expected is None else 2 * expected + floor


def _secs(value: float) -> str:
    return say_duration(Decimal(str(round(value, 1))))
