"""What the demo's Alertmanager delivered during a drill, read from the local receiver.

`Notifications.poll()` reads GET /deliveries of `budgetwarden demo-receiver` and prints a
timeline line for each alert delivered since the last poll: which receiver (pager, chat,
ticket) got which alert, at which priority, firing or resolved. `summary()` lists, per
receiver, everything it got. Alerts that inhibition silenced never reach the receiver, so they
are absent here though Prometheus shows them firing.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.demo.receiver import DELIVERIES_PATH, Delivery
from budgetwarden_dev.demo.timeline import Timeline


def describe(labels: Mapping[str, str]) -> str:
    """An alert in one phrase: name, what it is about, and its level and priority when set."""
    container = "/".join(labels[k] for k in ("pod", "container") if labels.get(k))
    about = labels.get(c.PROM_LABEL_SLO) or labels.get("service") or container
    where = labels.get(c.PROM_LABEL_NAMESPACE) or labels.get("namespace", "")
    level = labels.get("slo_budget_level", "")
    priority = labels.get("priority", "no priority")
    subject = f"{where}/{about}" if where and about else about or where
    return " ".join(p for p in (labels.get("alertname", "?"), subject, level, f"[{priority}]") if p)


class Notifications:
    """Follows the local receiver's deliveries and prints them on the drill's timeline."""

    def __init__(self, receiver_url: str, timeline: Timeline) -> None:
        self.url = receiver_url.rstrip("/")
        self.timeline = timeline
        self.seen: list[tuple[float, Delivery]] = []  # (seconds into the drill, delivery)
        self._http = httpx.Client(timeout=5, trust_env=False)
        self._broken = ""
        self._earlier = self._count()  # what an earlier drill got is not this one's

    def _count(self) -> int:
        try:
            return len(self._http.get(f"{self.url}{DELIVERIES_PATH}").raise_for_status().json())
        except (httpx.HTTPError, ValueError, TypeError):
            return 0  # poll() says what is wrong, once

    def poll(self) -> list[Delivery]:
        """Print and return the deliveries that arrived since the last poll."""
        if self._broken:
            return []
        try:
            answer = self._http.get(f"{self.url}{DELIVERIES_PATH}").raise_for_status()
            listed = [Delivery.from_json(item) for item in answer.json()]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            self._broken = str(error) or type(error).__name__
            self.timeline.line(f"the notification receiver at {self.url} stopped answering: "
                               f"{self._broken}; deliveries are no longer followed")  # fmt: skip
            return []
        new = listed[self._earlier + len(self.seen) :]
        for delivery in new:
            self.seen.append((self.timeline.elapsed(), delivery))
            self.timeline.line(f"Alertmanager → {delivery.receiver}: "
                               f"{describe(delivery.labels)} {delivery.status}")  # fmt: skip
        return new

    def delivered(self, receiver: str, alertname: str, status: str = "firing") -> bool:
        """Whether `receiver` got `alertname` in this state."""
        return any(
            d.receiver == receiver and d.labels.get("alertname") == alertname and d.status == status
            for _, d in self.seen
        )

    def summary(self) -> None:
        """Per receiver, every alert it got, with when (seconds into the drill)."""
        self.poll()
        receivers = sorted({d.receiver for _, d in self.seen})
        if not receivers:
            self.timeline.line("Alertmanager delivered nothing to the local receiver")
            return
        self.timeline.line("Alertmanager delivered, by receiver (alerts silenced by inhibition "
                           "are not delivered):")  # fmt: skip
        for receiver in receivers:
            got = [f"  {at:6.1f}s {describe(d.labels)} {d.status}"
                   for at, d in self.seen if d.receiver == receiver]  # fmt: skip
            self.timeline.note(f"           {receiver}:")
            for line in got:
                self.timeline.note(f"           {line}")

    def close(self) -> None:
        """Release the HTTP client."""
        self._http.close()
