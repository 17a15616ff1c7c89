"""The fast-burn drill: burn budget for real and print the loop closing, step by step.

`budgetwarden drill fast-burn` calls `run_drill`. Against a namespace where an SLO is
measured on the demo service and an ErrorBudgetPolicy selects it:
1. Preflight: the policy must be at Normal; the plan (demo/plan.py) says how big the budget is,
   how fast this error rate spends it, and when each level is due.
   When a controller runs the targeted Rollout (demo/drill_canary.py), its next version is
   shipped as a canary, which its first pause step holds.
2. Burn: raise the demo service's error rate; wait for the fast-burn alert in Prometheus, the
   levels Warning → PartialFreeze → FullFreeze, and the targets paused by budgetwarden.
3. Admission (demo/drill_admission.py), when a webhook or admission policy is installed: with a
   canary, first a `kubectl argo rollouts promote --full` that must be denied.
4. Restore the error rate; wait for the alert to resolve, the hold to pass, the thaw, and the
   targets budgetwarden paused to be resumed; a canary must stand where the freeze held it and
   is promoted step by step until it is Healthy.
5. Debrief (demo/debrief.py): the fast-burn page must have fired in time and nothing else
   paged; the injection window goes to the incidents file.
Every step has a deadline; a missed one raises StepFailed. The error rate is restored whatever
happens, and the drill's FreezeException is deleted at the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level, is_freeze, severity
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden_dev.demo import drill_admission, drill_canary, incident_record
from budgetwarden_dev.demo.control import DemoControl, DrillError
from budgetwarden_dev.demo.debrief import Debrief
from budgetwarden_dev.demo.drill_canary import Canary, Plugin
from budgetwarden_dev.demo.drill_report import Reporter, alert_due, plan_for
from budgetwarden_dev.demo.notifications import Notifications
from budgetwarden_dev.demo.observe import Snapshot, Watcher
from budgetwarden_dev.demo.plan import FREEZE_LEVELS, Plan, percent, say_duration, seconds
from budgetwarden_dev.demo.scenarios import FULL_LOOP, SCENARIOS
from budgetwarden_dev.demo.timeline import Step, StepFailed, Steps, Timeline, deadline

POLL_SECONDS = 1.0
SETTLE_SECONDS = 120  # how long preflight waits for a policy still thawing from a previous drill
LONGEST_BURN = Decimal(15 * 60)  # a drill that would take longer is refused: raise the rate
ALERT_FIRING = f"{c.ALERT_PAGE} firing in Prometheus"
ALERT_RESOLVED = f"{c.ALERT_PAGE} resolved"
PAUSED = "targets paused by budgetwarden"
THAWED = "freeze lifted after the hold"
RESUMED = "targets resumed"
PAGED = f"{c.ALERT_PAGE} delivered to the pager by Alertmanager"
PAGE_RESOLVED = f"{c.ALERT_PAGE} resolved at the pager"
PAGER = "pager"  # the receiver alertmanager/alertmanager.yml routes P0 and P1 to

__all__ = ["DrillError", "DrillOptions", "StepFailed", "run_drill"]


@dataclass(frozen=True)
class DrillOptions:
    """What to drill on and how hard."""

    error_rate: Decimal
    demo_url: str
    admission: bool = True
    plugin: Plugin | None = None  # `kubectl argo rollouts`, to show and drive a live canary
    receiver_url: str | None = None  # the demo's notification receiver, behind Alertmanager
    record: Path | None = None  # the incidents file `budgetwarden report alerts` reads


def run_drill(watcher: Watcher, options: DrillOptions, timeline: Timeline) -> None:
    """Run the drill; raises StepFailed (a missed step) or DrillError (could not start)."""
    slo, policy = watcher.slo(), watcher.policy()
    before = _settled(watcher, policy, timeline)
    plan = plan_for(watcher, slo, policy, options.error_rate, before)
    fires, resolves = alert_due(slo, plan.burn_rate)
    notifications = Notifications(options.receiver_url, timeline) if options.receiver_url else None
    burn = _burn_steps(timeline, plan, fires, paged=(paged := notifications is not None))
    report = Reporter(watcher, policy, timeline, notifications)
    report.preamble(plan, before, slo)
    canary = drill_canary.find(watcher, policy, options.plugin, timeline)
    if canary is not None:
        canary.start()
    demo = DemoControl(options.demo_url)
    previous = demo.error_rate()
    began = time.monotonic()
    demo.set_error_rate(options.error_rate)
    exception = None
    try:
        burn_rate = f"burn rate {plan.burn_rate.normalize():f}x"
        change = f"{percent(previous)} → {percent(options.error_rate)}"
        timeline.line(f"error rate {change} (PUT {demo.url}/control): {burn_rate}")
        burn.began = timeline.elapsed()
        last = _follow(watcher, policy, report, burn, before, canary)
        if options.admission:
            exception = _admission(watcher, policy, last, timeline, canary)
    finally:
        demo.set_error_rate(previous)
        lasted = Decimal(str(round(time.monotonic() - began, 1)))
        change = f"{percent(options.error_rate)} → {percent(previous)}"
        timeline.line(f"error rate {change} (restored after {say_duration(lasted)})")
    try:
        thaw = _thaw_steps(timeline, policy, float(resolves), canary, paged=paged)
        last = _follow(watcher, policy, report, thaw, last, canary)
    finally:
        if exception is not None:
            watcher.kubectl("delete", c.PLURAL_EXCEPTION, exception, "-n", watcher.namespace)
            timeline.line(f"FreezeException {exception} deleted")
    _debrief(report, options, burn.began, float(lasted))
    report.summary(plan, lasted)


def _debrief(report: Reporter, options: DrillOptions, began_at: float, lasted: float) -> None:
    """The debrief of the alerts (demo/debrief.py), the incident written down; StepFailed when
    an expected alert stayed silent or another one paged."""
    scenario = SCENARIOS[FULL_LOOP]
    if options.record is not None:
        began = datetime.now(UTC) - timedelta(seconds=report.timeline.elapsed() - began_at)
        incident_record.append(options.record, scenario, began, began + timedelta(seconds=lasted))
        report.timeline.line(f"incident window written to {options.record}")
    if not Debrief(scenario, report.alerts, report.notifications, began_at).show(report.timeline):
        raise StepFailed(f"the debrief of drill {scenario.name} found a silent or extra page")


def _admission(
    watcher: Watcher, policy: ErrorBudgetPolicy, now: Snapshot, timeline: Timeline,
    canary: Canary | None,
) -> str | None:  # fmt: skip
    """A promote of the canary, then a new version of another target: denied, then excepted.
    The FreezeException goes to a target other than the canary, so the canary's check after
    the thaw shows what the freeze alone held."""
    if canary is not None and not drill_admission.why_skip(watcher):
        canary.try_promote_full()
    avoid = canary.key if canary is not None else None
    return drill_admission.run(watcher, policy, now, timeline, avoid=avoid)


def _settled(watcher: Watcher, policy: ErrorBudgetPolicy, timeline: Timeline) -> Snapshot:
    """The policy at Normal, waiting a while for one still thawing from an earlier drill."""
    give_up = time.monotonic() + SETTLE_SECONDS
    said = False
    while (now := watcher.snapshot(policy)).level != Level.NORMAL:
        if time.monotonic() > give_up:
            raise DrillError(
                f"ErrorBudgetPolicy {watcher.policy_name} is at {now.level or 'no level yet'}, "
                f"not Normal: {now.reason or 'no status yet'}; run the drill from Normal"
            )
        if not said:
            timeline.line(f"waiting for the policy to settle at Normal (now {now.level})")
            said = True
        time.sleep(POLL_SECONDS)
    return now


def _burn_steps(timeline: Timeline, plan: Plan, alert: Decimal | None, *, paged: bool) -> Steps:
    """The fast-burn alert (and, with a receiver, its page), each level in turn, and the pause;
    due when the plan says."""
    steps = [Step(ALERT_FIRING, _f(alert), deadline(_f(alert)))]
    if paged:  # Prometheus sends at once; Alertmanager waits the P1 route's group_wait
        steps.append(Step(PAGED, _f(alert), deadline(_f(alert), 60)))
    for level in FREEZE_LEVELS:
        due = plan.due(level)
        if due is None or due > LONGEST_BURN:
            when = "never" if due is None else f"only after {say_duration(due)}"
            raise DrillError(
                f"at {percent(plan.error_rate)} errors the policy reaches {level} {when}; "
                "raise --error-rate"
            )
        steps.append(Step(f"policy at {level}", float(due), deadline(float(due))))
    due_pause = _f(plan.due(Level.PARTIAL_FREEZE))
    steps.append(Step(PAUSED, due_pause, deadline(due_pause)))
    return Steps(timeline, steps)


def _thaw_steps(
    timeline: Timeline, policy: ErrorBudgetPolicy, resolves: float, canary: Canary | None,
    *, paged: bool,
) -> Steps:  # fmt: skip
    """Alert resolved (and, with a receiver, its page too); thaw and resume once the short
    window empties and the hold runs out; a canary held where it stood, then promoted to the end."""
    thaw = float(seconds(policy.spec.hysteresis.minimum_hold)) + 15
    steps = [
        Step(ALERT_RESOLVED, resolves, deadline(resolves)),
        Step(THAWED, thaw, deadline(thaw, 60)),
        Step(RESUMED, thaw, deadline(thaw, 60)),
    ]
    if paged:  # Alertmanager tells of a resolution at the group's next interval
        steps.append(Step(PAGE_RESOLVED, resolves, deadline(resolves, 60)))
    return Steps(timeline, steps + (drill_canary.canary_steps(thaw) if canary else []))


def _follow(
    watcher: Watcher, policy: ErrorBudgetPolicy, report: Reporter, steps: Steps, last: Snapshot,
    canary: Canary | None,
) -> Snapshot:  # fmt: skip
    """Poll, print what moved and tick steps until all are done; StepFailed at a deadline."""
    while True:
        now = watcher.snapshot(policy)
        report.changes(last, now)
        _tick(steps, now, report.ours)
        if report.notifications is not None:
            _tick_pages(steps, report.notifications)
        if canary is not None:
            canary.follow(last, now, steps)
        last = now
        if steps.finished():
            return now
        steps.check_deadlines(f"the policy is at {now.level}: {now.reason}")
        time.sleep(POLL_SECONDS)


def _tick(steps: Steps, now: Snapshot, ours: set[str]) -> None:
    """Mark the steps this snapshot shows done."""
    level = Level(now.level) if now.level in {str(x) for x in Level} else Level.UNKNOWN
    frozen = level is not Level.UNKNOWN and is_freeze(level)
    ours.update(w.key for w in now.workloads.values() if w.paused_by_us)
    if steps.has(ALERT_FIRING):
        steps.mark(ALERT_FIRING, now.alert == "firing")
        for target in FREEZE_LEVELS:
            reached = level is not Level.UNKNOWN and severity(level) >= severity(target)
            steps.mark(f"policy at {target}", reached)
        everything_held = all(w.paused for w in now.workloads.values())
        steps.mark(PAUSED, bool(ours) and everything_held)
        return
    steps.mark(ALERT_RESOLVED, now.alert is None)
    thawed = level is not Level.UNKNOWN and not frozen
    steps.mark(THAWED, thawed)
    resumed = all(not now.workloads[key].paused for key in ours if key in now.workloads)
    steps.mark(RESUMED, thawed and resumed)


def _tick_pages(steps: Steps, notifications: Notifications) -> None:
    """Mark the page's delivery and its resolution at the pager."""
    for step, status in ((PAGED, "firing"), (PAGE_RESOLVED, "resolved")):
        if steps.has(step):
            steps.mark(step, notifications.delivered(PAGER, c.ALERT_PAGE, status))


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
