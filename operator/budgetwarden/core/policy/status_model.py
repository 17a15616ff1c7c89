"""ErrorBudgetPolicy status as typed, frozen values: the one reader and the one writer of its shape.

Everything that reads a policy's status goes through `PolicyStatus.read`: the poller (where the
policy stood, which workloads it holds), enforcement and the drift watch, admission (webhook
and VAP params, core/freeze/view_from_status.py) and `budgetwarden status` / `explain`. The
poller's decision fields are written by `PolicyStatus.decision_fields` (core/policy/status.py
builds the patch). Reading is total: a field this version cannot read reads as absent, so
admission answers whatever a status holds; a `heldTargets` entry counts as paused by us only
when `pausedByUs` is JSON `true`.

`metrics_unavailable_since` has no field of its own: it is the `lastTransitionTime` of the
policy's MetricsAvailable=False condition, which flips at the same moment `decide` starts
counting the outage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.conditions import find_condition
from budgetwarden.core.kernel.levels import Level, read_level
from budgetwarden.core.kernel.wire import (
    format_time,
    parse_time,
    read_decimal,
    read_entries,
    read_text,
)
from budgetwarden.core.policy.decide import PolicyState

MAX_REASON_LENGTH = 1024  # the CRD's limit on status.reason


@dataclass(frozen=True)
class HeldTarget:
    """A workload a policy holds (one status.heldTargets entry), as the operator recorded it."""

    kind: str
    name: str
    paused_by_us: bool = False
    # workload_diff.template_digest of the stable version's pod template; "" when unknown.
    stable_template: str = ""
    uid: str = ""  # the workload object held: a hold follows it whatever its labels become
    # template_digest of the revision before the stable one: going back to it is a rollback too
    previous_template: str = ""
    # the Deployment a Rollout's spec.workloadRef names: its template is the Rollout's
    template_from: str = ""
    # template_digest of the stable template without containers' resources: a template that
    # differs from the stable one only in resources is no new version (a PartialFreeze mitigation)
    stable_substance: str = ""

    @classmethod
    def read(cls, entry: Mapping[str, Any]) -> HeldTarget | None:
        """The entry, or None when it names no kind and name."""
        kind, name = read_text(entry.get("kind")), read_text(entry.get("name"))
        if not kind or not name:
            return None
        stable, uid = read_text(entry.get("stableTemplate")), read_text(entry.get("uid"))
        previous = read_text(entry.get("previousTemplate"))
        source = read_text(entry.get("templateFrom"))
        substance = read_text(entry.get("stableSubstance"))
        paused = entry.get("pausedByUs") is True
        return cls(kind, name, paused, stable, uid, previous, source, substance)

    def wire(self) -> dict[str, Any]:
        """The entry as status stores it; the templates and uid only when known."""
        entry: dict[str, Any] = {"kind": self.kind, "name": self.name}
        entry["pausedByUs"] = self.paused_by_us
        if self.stable_template:
            entry["stableTemplate"] = self.stable_template
        if self.previous_template:
            entry["previousTemplate"] = self.previous_template
        if self.template_from:
            entry["templateFrom"] = self.template_from
        if self.stable_substance:
            entry["stableSubstance"] = self.stable_substance
        return entry | ({"uid": self.uid} if self.uid else {})

    def is_of(self, kind: str, name: str, uid: str) -> bool:
        """True when this record is of that workload: the same object when both uids are
        known (a workload deleted and created again under the name is another one)."""
        if (self.kind, self.name) != (kind, name) and not (self.uid and self.uid == uid):
            return False
        return not (self.uid and uid and self.uid != uid)


def record_of(held: Iterable[HeldTarget], kind: str, name: str, uid: str) -> HeldTarget | None:
    """The record among `held` of that workload (see `HeldTarget.is_of`), if any."""
    return next((h for h in held if h.is_of(kind, name, uid)), None)


@dataclass(frozen=True)
class SLOLevel:
    """One status.slos entry: an SLO the policy selects, its level and budget left."""

    name: str
    level: Level
    remaining_percent: Decimal | None = None

    @classmethod
    def read(cls, entry: Mapping[str, Any]) -> SLOLevel | None:
        """The entry, or None without a name; an unreadable level reads as Unknown."""
        name = read_text(entry.get("name"))
        if not name:
            return None
        level = read_level(entry.get("level")) or Level.UNKNOWN
        return cls(name, level, read_decimal(entry.get("remainingPercent")))

    def wire(self) -> dict[str, Any]:
        """The entry as status stores it; remainingPercent only when known."""
        entry: dict[str, Any] = {"name": self.name, "level": self.level.value}
        if self.remaining_percent is not None:
            entry["remainingPercent"] = str(self.remaining_percent)
        return entry


@dataclass(frozen=True)
class PolicyStatus:
    """An ErrorBudgetPolicy's status: the poller's decision fields and everyone's conditions."""

    level: Level | None = None
    since: datetime | None = None
    reason: str = ""
    freeze_id: str = ""
    slos: tuple[SLOLevel, ...] = ()
    held_targets: tuple[HeldTarget, ...] = ()
    conditions: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def read(cls, status: object) -> PolicyStatus:
        """The status as stored (any JSON value); never raises. A PolicyStatus reads as itself."""
        if isinstance(status, PolicyStatus):
            return status
        wire: Mapping[str, Any] = status if isinstance(status, Mapping) else {}
        return cls(
            level=read_level(wire.get("level")),
            since=parse_time(wire.get("since")),
            reason=read_text(wire.get("reason")),
            freeze_id=read_text(wire.get("freezeId")),
            slos=_read_all(SLOLevel.read, wire.get("slos")),
            held_targets=_read_all(HeldTarget.read, wire.get("heldTargets")),
            conditions=tuple(read_entries(wire.get("conditions"))),
        )

    @property
    def state(self) -> PolicyState | None:
        """Where the policy stood, for `decide` to carry on; None without a readable level."""
        if self.level is None or self.since is None:
            return None
        return PolicyState(
            level=self.level,
            since=self.since,
            freeze_id=self.freeze_id or None,
            reason=self.reason,
            metrics_unavailable_since=self._unavailable_since(self.since),
        )

    def _unavailable_since(self, since: datetime) -> datetime | None:
        available = find_condition(self.conditions, c.CONDITION_METRICS_AVAILABLE)
        if available is None or available.get("status") != "False":
            return None
        return parse_time(available.get("lastTransitionTime")) or since

    def decision_fields(self) -> dict[str, Any]:
        """level, since, reason, freezeId, slos and heldTargets as status stores them."""
        return {
            "level": (self.level or Level.UNKNOWN).value,
            "since": format_time(self.since) if self.since is not None else "",
            "reason": _clip(self.reason),
            "freezeId": self.freeze_id,
            "slos": [slo.wire() for slo in self.slos],
            "heldTargets": [held.wire() for held in self.held_targets],
        }


def _read_all(read: Any, value: object) -> tuple[Any, ...]:
    return tuple(item for entry in read_entries(value) if (item := read(entry)) is not None)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_REASON_LENGTH else text[: MAX_REASON_LENGTH - 1] + "…"
