"""The alerts a drill sees in Prometheus, with when each went pending, fired and resolved.

`AlertWatch.poll()` reads `GET /api/v1/alerts`, keeps the alerts about one namespace (their
`slo_namespace` or `namespace` label), and prints each change of state on the drill's timeline
with the alert's priority and runbook: what a person on call would see in Prometheus. Times are
the drill's seconds (Timeline.elapsed); a state is seen at most one poll late.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.demo.notifications import describe
from budgetwarden_dev.demo.timeline import Timeline

PAGE_PRIORITIES = ("P0", "P1")


@dataclass
class SeenAlert:
    """One alert (one label set) and the drill seconds at which it changed state."""

    labels: dict[str, str]
    runbook: str
    pending_at: float | None = None
    firing_at: float | None = None
    resolved_at: float | None = None

    @property
    def name(self) -> str:
        """The alert's name."""
        return self.labels.get("alertname", "")

    @property
    def pages(self) -> bool:
        """Whether it wakes someone: priority P0 or P1 (severity page without a priority)."""
        priority = self.labels.get("priority")
        return priority in PAGE_PRIORITIES if priority else self.labels.get("severity") == "page"


def _key(labels: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in labels.items() if k != "alertstate"))


class AlertWatch:
    """Follows the namespace's alerts in Prometheus and prints their changes."""

    def __init__(
        self, alerts: Callable[[], list[dict[str, Any]]], namespace: str, timeline: Timeline
    ) -> None:
        self.alerts = alerts  # the `alerts` of GET /api/v1/alerts
        self.namespace = namespace
        self.timeline = timeline
        self.seen: dict[tuple[tuple[str, str], ...], SeenAlert] = {}

    def _ours(self, labels: Mapping[str, str]) -> bool:
        return self.namespace in (labels.get(c.PROM_LABEL_NAMESPACE), labels.get("namespace"))

    def active(self) -> list[SeenAlert]:
        """Alerts pending or firing at the last poll."""
        return [a for a in self.seen.values() if a.resolved_at is None]

    def poll(self) -> None:
        """Read the alerts once; print what started, fired or resolved since the last poll."""
        answer = self.alerts()
        now = self.timeline.elapsed()  # after the answer: the time it was true at
        current: dict[tuple[tuple[str, str], ...], tuple[str, dict[str, Any]]] = {}
        for alert in answer:
            labels = {str(k): str(v) for k, v in alert["labels"].items()}
            if self._ours(labels):
                current[_key(labels)] = (str(alert["state"]), alert)
        for key, (state, alert) in current.items():
            seen = self.seen.get(key)
            if seen is None or seen.resolved_at is not None:
                annotations = alert.get("annotations") or {}
                seen = SeenAlert(dict(key), str(annotations.get("runbook_url", "")))
                self.seen[key] = seen
            if seen.pending_at is None:
                seen.pending_at = now
                self._say(seen, "pending" if state == "pending" else "firing")
            if state == "firing" and seen.firing_at is None:
                seen.firing_at = now
                if seen.pending_at != now:
                    self._say(seen, "firing")
        for key, seen in self.seen.items():
            if key not in current and seen.resolved_at is None:
                seen.resolved_at = now
                self._say(seen, "resolved")

    def _say(self, alert: SeenAlert, state: str) -> None:
        more = [f"runbook: {alert.runbook}"] if state == "firing" and alert.runbook else []
        self.timeline.line(f"Prometheus: {describe(alert.labels)} {state}", more)
