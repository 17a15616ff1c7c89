"""The `priority` (P0–P3) each pack alert starts with, the reasons, and the override's parser.

Pack alerts watch causes, not what users get, so by the alerting policy's first principle none
of them pages on its own (the section "Alert packs" of docs/policies/alerting-policy.md has
this table for people): a cause that hurts users shows in an SLO's burn-rate page too. What is
left is how soon a person must look. `budgetwarden generate pack --priority ALERT=P1` and the
chart's `alertPacks.priorities` replace a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from budgetwarden.core.packs import names
from budgetwarden.core.slo.priorities import Priority, parse_assignment

DEFAULT_PACK_PRIORITIES: Final[Mapping[str, Priority]] = MappingProxyType(
    {
        # A container near its CPU limit is throttled and slows down; if users feel it, the
        # latency SLO pages. Raising the limit or adding replicas is planned work.
        names.ALERT_HIGH_CPU: "P3",
        # Near its memory limit the next spike is an OOM kill and a restart: look the same day.
        names.ALERT_HIGH_MEMORY: "P2",
        # 15% left is usually days of headroom: planned work.
        names.ALERT_DISK_SPACE_LOW: "P3",
        # Full within hours at the present rate: writes will fail today.
        names.ALERT_DISK_FILLING_UP: "P2",
        # One kill restarts one container; a container killed again and again is PodCrashLooping.
        names.ALERT_OOM_KILLED: "P3",
        # A container that does not stay up is capacity lost now; a whole service down pages
        # through its SLO or a ServiceDown alert.
        names.ALERT_CRASH_LOOPING: "P2",
        # The model's inputs moved away from its training data: retraining is planned work.
        names.ALERT_MODEL_DRIFT: "P3",
        # Users get answers the model itself doubts, now: look within working hours today.
        names.ALERT_LOW_CONFIDENCE: "P2",
    }
)


def parse_priority_override(text: str) -> tuple[str, Priority]:
    """ "PodCrashLooping=P1" -> (alert, priority); ValueError naming what is allowed."""
    return parse_assignment(text, DEFAULT_PACK_PRIORITIES, "ALERT=PRIORITY", "ALERT")


def priority_of(alert: str, overrides: Mapping[str, Priority]) -> Priority:
    """The priority `alert` carries: the override if one is set, else the reviewed default."""
    return overrides.get(alert, DEFAULT_PACK_PRIORITIES[alert])
