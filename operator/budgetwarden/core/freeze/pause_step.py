"""The canary pause step a Rollout stands at, read as the Argo Rollouts controller counts it.

adapters/kube/workloads.py reads a `PauseStep` into each Rollout's `Workload`;
core/freeze/thaw.py decides from it what lifting a pause of budgetwarden's does, and the adapter
writes `PauseStep.restarted` back through the Rollout's status subresource.

The controller keeps a CanaryPauseStep entry in status.pauseConditions with the moment the step
began, and ends a timed step (`pause: {duration: 20s}`) once that moment plus the duration has
passed. It keeps counting while spec.paused holds the Rollout, so a freeze longer than the step
ends the step the moment the Rollout is unpaused. Durations are read as the controller reads
them (v1.10, `RolloutPause.DurationSeconds`): an integer or a string of digits is seconds,
anything else a Go duration ("1m30s", "1.5h") cut to whole seconds. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from budgetwarden.core.freeze.workload_diff import as_mapping, spec_of
from budgetwarden.core.kernel.wire import format_time, parse_time

CANARY_PAUSE_STEP = "CanaryPauseStep"  # the controller's pause reason for a canary pause step

_NANOSECONDS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9}
_NANOSECONDS |= {"m": 60 * 10**9, "h": 3600 * 10**9}
# "ms" before "m": the longest unit that matches is the one meant.
_GO_TERM = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")


@dataclass(frozen=True)
class PauseCondition:
    """One entry of status.pauseConditions, as the controller wrote it."""

    reason: str
    start_time: str


@dataclass(frozen=True)
class PauseStep:
    """A canary Rollout standing at a `pause` step (status.currentStepIndex)."""

    index: int  # status.currentStepIndex, from 0
    steps: int  # how many steps the canary has
    seconds: int | None  # the step's duration as the controller counts it; None: `pause: {}`
    conditions: tuple[PauseCondition, ...] = ()  # status.pauseConditions, in order

    @property
    def started(self) -> datetime | None:
        """When the controller began counting the step; None before it did."""
        found = [p for p in self.conditions if p.reason == CANARY_PAUSE_STEP]
        return parse_time(found[0].start_time) if found else None

    @property
    def timed(self) -> bool:
        """A step the controller ends on its own once its duration has passed since `started`."""
        return self.seconds is not None and self.seconds > 0 and self.started is not None

    def ran_out(self, now: datetime) -> bool:
        """True when a timed step's duration had passed by `now`."""
        started = self.started
        if not self.timed or started is None or self.seconds is None:
            return False
        return now >= started + timedelta(seconds=self.seconds)

    def describe(self) -> str:
        """The step as the controller's Events name it: "step 2/4 (pause: 20s)"."""
        pause = f"{self.seconds}s" if self.seconds is not None else "{}"
        return f"step {self.index + 1}/{self.steps} (pause: {pause})"

    def restarted(self, at: datetime) -> list[dict[str, str]]:
        """status.pauseConditions with the pause step's count begun again at `at`."""
        stamp = format_time(at)
        return [
            {
                "reason": p.reason,
                "startTime": stamp if p.reason == CANARY_PAUSE_STEP else p.start_time,
            }
            for p in self.conditions
        ]


def pause_step_of(obj: object) -> PauseStep | None:
    """The pause step a canary Rollout's status says it stands at; None at any other step."""
    canary = as_mapping(as_mapping(spec_of(obj).get("strategy")).get("canary"))
    steps, status = canary.get("steps"), as_mapping(as_mapping(obj).get("status"))
    index = status.get("currentStepIndex")
    if not isinstance(steps, list) or type(index) is not int or not 0 <= index < len(steps):
        return None
    pause = as_mapping(steps[index]).get("pause")
    if not isinstance(pause, Mapping):
        return None
    conditions = tuple(_conditions(status.get("pauseConditions")))
    return PauseStep(index, len(steps), duration_seconds(pause.get("duration")), conditions)


def _conditions(value: object) -> list[PauseCondition]:
    items = value if isinstance(value, list) else []
    return [
        PauseCondition(str(item.get("reason") or ""), str(item.get("startTime") or ""))
        for item in map(as_mapping, items)
    ]


def duration_seconds(duration: Any) -> int | None:
    """A pause step's duration in whole seconds as the controller reads it; None when the
    step has none (it waits for a promote); -1 when the controller cannot read it either."""
    if duration is None:
        return None
    if type(duration) is int:
        return duration
    text = str(duration)
    if re.fullmatch(r"[+-]?[0-9]+", text):
        return int(text)
    nanoseconds = _go_nanoseconds(text)
    return -1 if nanoseconds is None else int(nanoseconds / 10**9)


def _go_nanoseconds(text: str) -> Decimal | None:
    """A Go duration ("1m30s", "1.5h", "-2s") in nanoseconds, or None when it is not one."""
    sign, body = (-1, text[1:]) if text[:1] == "-" else (1, text.removeprefix("+"))
    if body == "0":
        return Decimal(0)
    terms = _GO_TERM.findall(body)
    if not terms or "".join(number + unit for number, unit in terms) != body:
        return None
    return sign * sum((Decimal(number) * _NANOSECONDS[unit] for number, unit in terms), Decimal())
