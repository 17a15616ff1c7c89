"""A scenario drill: inject one kind of incident, show what on-call would see, restore, debrief.

`run_scenario` changes the demo service as the scenario says (demo/scenarios.py) and follows,
every second, the namespace's alerts in Prometheus (with priority and runbook), what
Alertmanager delivered to which receiver, and the policy's level. It ends the injection once
every expected alert fired (or when the longest wait is over), writes the previous settings
back, waits for what fired to resolve, and prints the debrief (demo/debrief.py). The injection
window is appended to the incidents file that `budgetwarden report alerts --incidents` reads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from budgetwarden.core.kernel import conventions as c
from budgetwarden_dev.demo import incident_record
from budgetwarden_dev.demo.alert_watch import AlertWatch, SeenAlert
from budgetwarden_dev.demo.components import DEMO_JOB
from budgetwarden_dev.demo.control import DemoControl, DrillError
from budgetwarden_dev.demo.debrief import Debrief
from budgetwarden_dev.demo.notifications import Notifications
from budgetwarden_dev.demo.observe import Watcher
from budgetwarden_dev.demo.scenarios import Scenario
from budgetwarden_dev.demo.timeline import Timeline

POLL_SECONDS = 1.0
# How long to wait for an earlier drill's pages (and this one's expected alerts) to resolve
# before starting: a 5m average outlasts its cause by up to five minutes.
QUIET_SECONDS = 330
RESOLVE_SECONDS = 240  # how long to wait after the restore for what fired to resolve
SEEN_UP_SECONDS = 60  # how long to wait for Prometheus to scrape the demo service up once
DELIVERY_SECONDS = 30  # how long the incident goes on after the alerts fire, for Alertmanager


@dataclass(frozen=True)
class ScenarioOptions:
    """Where the drill injects, who is told, and where its incident is written down."""

    demo_url: str
    receiver_url: str | None = None
    record: Path | None = None  # the incidents file for `budgetwarden report alerts`


@dataclass
class _Run:
    """What one run follows: alerts, deliveries, the policy's level."""

    watcher: Watcher
    alerts: AlertWatch
    notifications: Notifications | None
    timeline: Timeline
    level: str = ""

    def delivered(self, alerts: list[SeenAlert | None]) -> bool:
        """Whether each alert reached some receiver (True without a receiver to ask)."""
        if self.notifications is None:
            return True
        got = [d.labels for _, d in self.notifications.seen if d.status == "firing"]
        return all(any(a.labels.items() <= labels.items() for labels in got)
                   for a in alerts if a is not None)  # fmt: skip

    def poll(self) -> None:
        self.alerts.poll()
        if self.notifications is not None:
            self.notifications.poll()
        status = self.watcher.get(c.PLURAL_POLICY, self.watcher.policy_name).get("status")
        level = str((status or {}).get("level") or "")
        if level != self.level:
            reason = str((status or {}).get("reason") or "")
            self.timeline.line(f"policy {self.watcher.policy_name}: {level or 'no level'}",
                               [reason] if reason else [])  # fmt: skip
            self.level = level


def run_scenario(
    watcher: Watcher, scenario: Scenario, options: ScenarioOptions, timeline: Timeline
) -> bool:
    """Run the drill; whether it passed. DrillError when it cannot start."""
    control = DemoControl(options.demo_url)
    alerts = AlertWatch(lambda: watcher.prometheus("alerts")["alerts"], watcher.namespace, timeline)
    notifications = Notifications(options.receiver_url, timeline) if options.receiver_url else None
    run = _Run(watcher, alerts, notifications, timeline)
    previous = control.settings()
    _preamble(scenario, timeline)
    _wait_seen_up(run)
    _wait_quiet(run, scenario)
    began, began_at = datetime.now(UTC), timeline.elapsed()
    control.change(scenario.injection)
    timeline.line(f"injected: PUT {control.url}/control {_body(scenario.injection)}")
    try:
        _follow_injection(run, scenario, began_at)
    finally:
        restore = {key: previous[key] for key in scenario.injection}
        control.change(restore)
        ended = datetime.now(UTC)
        timeline.line(f"restored: PUT {control.url}/control {_body(restore)}")
    _follow_until_resolved(run, began_at)
    if notifications is not None:
        notifications.summary()
    if options.record is not None:
        incident_record.append(options.record, scenario, began, ended)
        timeline.line(f"incident window written to {options.record}")
    return Debrief(scenario, alerts, notifications, began_at).show(timeline)


def _preamble(scenario: Scenario, timeline: Timeline) -> None:
    timeline.note(f"drill {scenario.name}: {scenario.summary}")
    for expected in scenario.expects:
        about = f" for {expected.about}" if expected.about else ""
        timeline.note(f"  expects {expected.alert}{about} within {_secs(expected.within)}")
    if not scenario.expects:
        timeline.note(f"  expects no page during {_secs(scenario.lasts)} of it")


def _wait_seen_up(run: _Run) -> None:
    """Wait until Prometheus has scraped the demo service up once. SLOServiceDown pages only
    for a service seen up within the hour (a service that never started is not an outage), so
    an outage injected before the first scrape would never page: a drill run right after the
    demo starts must not race its first scrape."""
    give_up = time.monotonic() + SEEN_UP_SECONDS
    query = f'max(max_over_time(up{{job="{DEMO_JOB}"}}[1h])) == 1'
    while not run.watcher.prometheus("query", query=query)["result"]:
        if time.monotonic() > give_up:
            raise DrillError(f"Prometheus has not scraped the demo service (job {DEMO_JOB}) up "
                             f"in {SEEN_UP_SECONDS}s; is the demo running?")  # fmt: skip
        time.sleep(POLL_SECONDS)


def _wait_quiet(run: _Run, scenario: Scenario) -> None:
    """Wait until no page, and no alert the scenario expects, is pending or firing: an earlier
    drill's page would blur this one's, and an expected alert already active (a ticket the last
    drill raised) could not be told from one this injection raises."""
    give_up = time.monotonic() + QUIET_SECONDS
    said = False
    while True:
        run.poll()
        active = [a for a in run.alerts.active() if a.pages or _expected(scenario, a)]
        if not active:
            return
        names = ", ".join(sorted({a.name for a in active}))
        if time.monotonic() > give_up:
            raise DrillError(f"{names} still active after {QUIET_SECONDS}s; "
                             "start the drill once they resolve")  # fmt: skip
        if not said:
            run.timeline.line(f"waiting for {names} to resolve before injecting")
            said = True
        time.sleep(POLL_SECONDS)


def _expected(scenario: Scenario, alert: SeenAlert) -> bool:
    return any(e.matches(alert.labels) for e in scenario.expects)


def _follow_injection(run: _Run, scenario: Scenario, began_at: float) -> None:
    """Poll until every expected alert fired (and, with a receiver, was delivered, for at most
    DELIVERY_SECONDS more: Alertmanager waits its group_wait first), or the longest wait is
    over."""
    until = began_at + scenario.longest_wait().total_seconds()
    while run.timeline.elapsed() < until:
        time.sleep(POLL_SECONDS)
        run.poll()
        # only what started with the injection, as the debrief counts it
        fired = [a for a in run.alerts.seen.values()
                 if a.firing_at is not None and (a.pending_at or 0) >= began_at]  # fmt: skip
        found = [next((a for a in fired if e.matches(a.labels)), None) for e in scenario.expects]
        if not scenario.expects or None in found:
            continue
        last = max(a.firing_at or 0 for a in found if a is not None)
        if run.delivered(found) or run.timeline.elapsed() > last + DELIVERY_SECONDS:
            return


def _follow_until_resolved(run: _Run, began_at: float) -> None:
    """Poll until no page that started during the drill is still active (bounded): the next
    drill starts quiet. Tickets and chat messages may resolve later (a 5m CPU average does)."""
    give_up = time.monotonic() + RESOLVE_SECONDS
    while time.monotonic() < give_up:
        run.poll()
        if not [a for a in run.alerts.active() if a.pages and (a.pending_at or 0) >= began_at]:
            return
        time.sleep(POLL_SECONDS)
    run.timeline.line(f"a page is still active {RESOLVE_SECONDS}s after the restore")


def _body(fields: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in fields.items())


def _secs(value: timedelta) -> str:
    return f"{value.total_seconds():.0f}s"
