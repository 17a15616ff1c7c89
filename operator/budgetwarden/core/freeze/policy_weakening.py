"""What weakens an ErrorBudgetPolicy: the spec changes a policy in force does not let through.

core/freeze/policy_guard.py (the webhook) judges a change to a frozen policy with `weakened`, and
core/freeze/vap_policy_guard.py writes the same rules in CEL for VAP mode. Field by field, in the
order the denial names them:
- `spec.enforcement` lowered, on Enforce > Warn > DryRun.
- `spec.targets`: every target the policy had is still there, as written. Adding one strengthens
  the policy (more workloads held); removing one, or changing its kind or selector, may let a
  held workload go, so it weakens. Selectors are compared as written, not by what they select:
  a rewrite that selects the same workloads is refused too (it can wait for the thaw).
- `spec.sloSelector`: any change. Selectors cannot be ordered by breadth in general, and a
  narrower one drops the SLO that froze the policy.
- `spec.levels.warningBelow`, `.partialFreezeBelow`, `.fullFreezeBelow` lowered: the level
  starts later and ends sooner.
- `spec.burnRateTriggers`: as targets, every trigger stays; more may be added.
- `spec.hysteresis.exitMarginPercent` lowered, `spec.hysteresis.minimumHold` shortened.
- `spec.onMetricsUnavailable` lowered, on Freeze > Hold > Thaw.
- `spec.inFlight` from Pause or Abort to Ignore.
- `spec.resourceChanges` from Blocked to AllowedAtPartialFreeze.
- `spec.pauseStepAtThaw` lowered, on Hold > Restart > Continue (how long a canary waits at a
  timed pause step after the thaw).
Anything else (notify, metadata) is neutral. An absent field reads as the CRD's default. A value
that cannot be read (the CRD schema refuses it before validating admission runs) weakens the
policy whenever it changed. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from budgetwarden.core.kernel.durations import format_duration, parse_duration
from budgetwarden.core.kernel.levels import Levels
from budgetwarden.core.policy.spec import Hysteresis

Spec = Mapping[str, Any]
Check = Callable[[Spec, Spec], bool]

_LEVELS, _HYSTERESIS = Levels(), Hysteresis()
# What the CRD defaults each field to, as it is written on the wire.
DEFAULTS: Final[Mapping[str, str]] = {
    "enforcement": "Enforce",
    "onMetricsUnavailable": "Hold",
    "inFlight": "Pause",
    "pauseStepAtThaw": "Restart",
    "resourceChanges": "AllowedAtPartialFreeze",
    "levels.warningBelow": str(_LEVELS.warning_below),
    "levels.partialFreezeBelow": str(_LEVELS.partial_freeze_below),
    "levels.fullFreezeBelow": str(_LEVELS.full_freeze_below),
    "hysteresis.exitMarginPercent": str(_HYSTERESIS.exit_margin_percent),
    "hysteresis.minimumHold": format_duration(_HYSTERESIS.minimum_hold),
}
ENFORCEMENT_RANK: Final = {"DryRun": 0, "Warn": 1, "Enforce": 2}
METRICS_RANK: Final = {"Thaw": 0, "Hold": 1, "Freeze": 2}
HOLDING_IN_FLIGHT: Final = ("Pause", "Abort")
PAUSE_STEP_RANK: Final = {"Continue": 0, "Restart": 1, "Hold": 2}
RESOURCE_CHANGES_RANK: Final = {"AllowedAtPartialFreeze": 0, "Blocked": 1}
THRESHOLDS: Final = ("warningBelow", "partialFreezeBelow", "fullFreezeBelow")
KEPT_LISTS: Final = ("targets", "burnRateTriggers")


def value_at(spec: Spec, path: str) -> object:
    """The value at a dotted `path` of the spec, or its default when absent."""
    node: object = spec
    for key in path.split("."):
        node = node.get(key) if isinstance(node, Mapping) else None
    return DEFAULTS.get(path) if node is None else node


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        return None


def _duration(value: object) -> timedelta | None:
    try:
        return parse_duration(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _lowered(path: str, read: Callable[[object], Any]) -> Check:
    """The value at `path` changed to a smaller one, or to one that cannot be read."""

    def check(old: Spec, new: Spec) -> bool:
        before, after = value_at(old, path), value_at(new, path)
        if before == after:
            return False
        was, now = read(before), read(after)
        return was is None or now is None or now < was

    return check


def _ranked(path: str, ranks: Mapping[str, int]) -> Check:
    return _lowered(path, lambda value: ranks.get(value) if isinstance(value, str) else None)


def _kept(field: str) -> Check:
    """An entry of the list at `field` is gone (or changed, which removes the old one)."""

    def check(old: Spec, new: Spec) -> bool:
        before, after = old.get(field), new.get(field)
        before = before if isinstance(before, list) else []
        after = after if isinstance(after, list) else []
        return any(entry not in after for entry in before)

    return check


def _changed(field: str) -> Check:
    return lambda old, new: old.get(field) != new.get(field)


def _in_flight(old: Spec, new: Spec) -> bool:
    before, after = value_at(old, "inFlight"), value_at(new, "inFlight")
    return before in HOLDING_IN_FLIGHT and after not in HOLDING_IN_FLIGHT


RULES: Final[tuple[tuple[str, Check], ...]] = (
    ("spec.enforcement", _ranked("enforcement", ENFORCEMENT_RANK)),
    ("spec.targets", _kept("targets")),
    ("spec.sloSelector", _changed("sloSelector")),
    *((f"spec.levels.{name}", _lowered(f"levels.{name}", _decimal)) for name in THRESHOLDS),
    ("spec.burnRateTriggers", _kept("burnRateTriggers")),
    ("spec.hysteresis.exitMarginPercent", _lowered("hysteresis.exitMarginPercent", _decimal)),
    ("spec.hysteresis.minimumHold", _lowered("hysteresis.minimumHold", _duration)),
    ("spec.onMetricsUnavailable", _ranked("onMetricsUnavailable", METRICS_RANK)),
    ("spec.inFlight", _in_flight),
    ("spec.pauseStepAtThaw", _ranked("pauseStepAtThaw", PAUSE_STEP_RANK)),
    ("spec.resourceChanges", _ranked("resourceChanges", RESOURCE_CHANGES_RANK)),
)


def weakened(old_spec: Spec, new_spec: Spec) -> tuple[str, ...]:
    """The fields whose change weakens the policy, in the order of RULES; () when none."""
    return tuple(field for field, check in RULES if check(old_spec, new_spec))
