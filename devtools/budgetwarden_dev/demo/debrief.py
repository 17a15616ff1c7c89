"""The debrief after a scenario drill: time to detect per expected alert, what stayed silent,
what fired that should not have, and whether the drill passed.

A drill passes when every expected alert fired within its time and no other alert paged (P0
or P1). Alerts that fired without paging (a ticket, a chat message) are listed, not held
against it: they may be right, and the alert review (`budgetwarden report alerts`) judges them
over many incidents. Times are seconds from the injection.
"""

from __future__ import annotations

from budgetwarden_dev.demo.alert_watch import AlertWatch, SeenAlert
from budgetwarden_dev.demo.notifications import Notifications, describe
from budgetwarden_dev.demo.scenarios import Expected, Scenario
from budgetwarden_dev.demo.timeline import Timeline


class Debrief:
    """Judges one drill from what it saw."""

    def __init__(
        self, scenario: Scenario, alerts: AlertWatch, notifications: Notifications | None,
        began_at: float,
    ) -> None:  # fmt: skip
        self.scenario = scenario
        self.began_at = began_at
        self.notifications = notifications
        # only what started with the injection: an alert already active is not this drill's
        self.fired = [a for a in alerts.seen.values()
                      if a.firing_at is not None and (a.pending_at or 0) >= began_at]  # fmt: skip

    def show(self, timeline: Timeline) -> bool:
        """Print the debrief; whether the drill passed."""
        lines: list[str] = []
        failures: list[str] = []
        for expected in self.scenario.expects:
            line, failure = self._expected(expected)
            lines.append(line)
            failures += [failure] if failure else []
        for alert in self._unexpected():
            if alert.pages and alert.name in self.scenario.tolerates:
                lines.append(f"· also paged, allowed for this incident: {self._fired(alert)}")
            elif alert.pages:
                lines.append(f"✗ paged, not expected: {self._fired(alert)}")
                failures.append(f"{alert.name} paged")
            else:
                lines.append(f"· also fired, not a page: {self._fired(alert)}")
        if not self.scenario.expects and not failures:
            lines.append("✓ nothing paged")
        timeline.line(f"debrief of drill {self.scenario.name} (seconds from the injection):", lines)
        if failures:
            timeline.line(f"✗ drill {self.scenario.name} failed: {'; '.join(failures)}")
        else:
            timeline.line(f"✓ drill {self.scenario.name} passed: every expected alert fired in "
                          "time and nothing else paged")  # fmt: skip
        return not failures

    def _expected(self, expected: Expected) -> tuple[str, str]:
        """The debrief line of one expected alert, and its failure ("" when none)."""
        limit = expected.within.total_seconds()
        about = f" for {expected.about}" if expected.about else ""
        match = next((a for a in self.fired if expected.matches(a.labels)), None)
        if match is None:
            return (f"✗ silent: {expected.alert}{about} did not fire within {limit:.0f}s",
                    f"{expected.alert} silent")  # fmt: skip
        detected = (match.firing_at or 0) - self.began_at
        if detected > limit:
            return (f"✗ late: {self._fired(match)} (expected within {limit:.0f}s)",
                    f"{expected.alert} late")  # fmt: skip
        return f"✓ detected: {self._fired(match)} (expected within {limit:.0f}s)", ""

    def _unexpected(self) -> list[SeenAlert]:
        expects = self.scenario.expects
        return [a for a in self.fired if not any(e.matches(a.labels) for e in expects)]

    def _fired(self, alert: SeenAlert) -> str:
        """An alert with its time to detect, where it was delivered, and when it resolved."""
        parts = [f"{describe(alert.labels)} fired at {(alert.firing_at or 0) - self.began_at:.1f}s"]
        receivers = self._receivers(alert)
        if receivers:
            parts.append(f"delivered to {', '.join(receivers)}")
        elif self.notifications is not None:
            parts.append("delivered nowhere (inhibited, or still waiting in Alertmanager)")
        if alert.resolved_at is not None:
            parts.append(f"resolved at {alert.resolved_at - self.began_at:.1f}s")
        return "; ".join(parts)

    def _receivers(self, alert: SeenAlert) -> list[str]:
        if self.notifications is None:
            return []
        wanted = {k: v for k, v in alert.labels.items() if k != "alertstate"}
        firing = [d for _, d in self.notifications.seen if d.status == "firing"]
        return sorted({d.receiver for d in firing if wanted.items() <= d.labels.items()})
