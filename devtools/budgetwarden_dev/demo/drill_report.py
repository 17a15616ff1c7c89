"""What a drill prints: the plan before it starts, every change while it runs, a summary after.

`Reporter.changes(before, now)` turns two snapshots into timeline lines: each alert of the
namespace that starts, fires or resolves in Prometheus (demo/alert_watch.py), the policy's
level (with its reason and freeze id), a hold that starts, the MetricsAvailable condition, each
workload's pause and annotations, and `kubectl get slo` when the level moves or, at most every
TABLE_SECONDS, when the budget does. `plan_for` measures how much history Prometheus holds, so
the plan's budget math uses the data the budget is computed over.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden.core.slo.spec import SLO
from budgetwarden.core.slo.windows import burn_rate_windows
from budgetwarden_dev.demo.alert_watch import AlertWatch
from budgetwarden_dev.demo.notifications import Notifications
from budgetwarden_dev.demo.observe import Snapshot, Watcher, Workload
from budgetwarden_dev.demo.plan import HUNDRED, Plan, outage_text, percent, say_duration, seconds
from budgetwarden_dev.demo.timeline import Timeline

TABLE_SECONDS = 10.0


def alert_due(slo: SLO, burn: Decimal) -> tuple[Decimal | None, Decimal]:
    """Seconds until the SLO's fast-burn (page) alert fires at burn rate `burn`, and until it
    resolves once the errors stop (the slowest firing pair's short window must drain)."""
    rows = [
        row
        for row in burn_rate_windows(slo.spec.window, slo.spec.alerting.burn_rate_windows)
        if row.tier == c.TIER_PAGE and burn > row.factor
    ]
    fires = [row.factor * seconds(row.long_window) / burn for row in rows]
    resolves = [seconds(row.short_window) * (1 - row.factor / burn) for row in rows]
    return min(fires, default=None), max(resolves, default=Decimal(0))


def history_covered(watcher: Watcher, slo: SLO) -> timedelta:
    """How much of the SLO's window Prometheus holds recorded total rates for."""
    labels = (
        f'{c.PROM_LABEL_SLO}="{slo.metadata.name}",{c.PROM_LABEL_NAMESPACE}="{watcher.namespace}"'
    )
    window = format_duration(slo.spec.window)
    result = watcher.prometheus(
        "query", query=f"count_over_time({c.METRIC_TOTAL_RATE}{{{labels}}}[{window}])"
    )["result"]
    samples = Decimal(result[0]["value"][1]) if result else Decimal(0)
    covered = timedelta(seconds=float(samples * _rule_interval(watcher, slo)))
    return min(covered, slo.spec.window)


def _rule_interval(watcher: Watcher, slo: SLO) -> Decimal:
    """The evaluation interval of the group recording the SLO's total rate, in seconds."""
    for group in watcher.prometheus("rules", type="record")["groups"]:
        for rule in group["rules"]:
            labels = rule.get("labels") or {}
            if (
                rule.get("name") == c.METRIC_TOTAL_RATE
                and labels.get(c.PROM_LABEL_SLO) == slo.metadata.name
                and labels.get(c.PROM_LABEL_NAMESPACE) == watcher.namespace
            ):
                return Decimal(str(group["interval"]))
    return Decimal(0)  # no rules loaded: no history either


def plan_for(
    watcher: Watcher, slo: SLO, policy: ErrorBudgetPolicy, error_rate: Decimal, now: Snapshot
) -> Plan:
    """The drill's plan, from the SLO, the policy, the history and the budget left now."""
    return Plan(
        objective=slo.spec.objective,
        window=slo.spec.window,
        covered=history_covered(watcher, slo),
        error_rate=error_rate,
        remaining=Decimal(now.remaining or "100"),
        policy=policy.spec,
    )


class Reporter:
    """Prints the drill's lines; remembers which pauses are ours and which a human's."""

    def __init__(
        self, watcher: Watcher, policy: ErrorBudgetPolicy, timeline: Timeline,
        notifications: Notifications | None = None,
    ) -> None:  # fmt: skip
        self.watcher, self.policy, self.timeline = watcher, policy, timeline
        self.notifications = notifications
        # every alert of the namespace, with priority and runbook, for the timeline and debrief
        self.alerts = AlertWatch(lambda: watcher.prometheus("alerts")["alerts"],
                                 watcher.namespace, timeline)  # fmt: skip
        self.humans: list[str] = []
        self.ours: set[str] = set()
        self.levels: list[str] = []
        self._table_at = 0.0
        self._held = ""

    def preamble(self, plan: Plan, now: Snapshot, slo: SLO) -> None:
        """Header, history and math, what is already paused, and the starting state."""
        name = f"{self.watcher.namespace}/{slo.metadata.name}"
        self.timeline.note(
            f"drill high-error-rate: SLO {name} ({slo.spec.objective}% over "
            f"{format_duration(slo.spec.window)}), ErrorBudgetPolicy {self.policy.metadata.name}"
        )
        for line in plan.lines():
            self.timeline.note(line)
        self.humans = [w.key for w in now.workloads.values() if w.paused and not w.paused_by_us]
        for key in self.humans:
            self.timeline.note(f"note: {key} was paused before the drill; it must stay paused")
        self.levels = [now.level]
        self.timeline.line(f"policy {self.policy.metadata.name}: {now.level}: {now.reason}")
        self.table()

    def table(self) -> None:
        """Print `kubectl get slo`."""
        self._table_at = self.timeline.elapsed()
        lines = self.watcher.slo_table()
        self.timeline.line(f"kubectl get slo -n {self.watcher.namespace}", lines)

    def changes(self, before: Snapshot, now: Snapshot) -> None:
        """Print everything that differs between two snapshots."""
        self.alerts.poll()
        if now.metrics != before.metrics:
            self.timeline.line(f"policy condition MetricsAvailable={now.metrics}")
        if now.level != before.level:
            self._level(before, now)
        elif now.reason.startswith("Holding") and _head(now.reason) != self._held:
            self._held = _head(now.reason)
            self.timeline.line(f"policy stays {now.level}: {now.reason}")
        for key, workload in now.workloads.items():
            self._workload(before.workloads.get(key), workload)
        moved = now.remaining != before.remaining
        if moved and self.timeline.elapsed() - self._table_at >= TABLE_SECONDS:
            self.table()
        if self.notifications is not None:
            self.notifications.poll()

    def _level(self, before: Snapshot, now: Snapshot) -> None:
        self.levels.append(now.level)
        freeze = f" [freeze {now.freeze_id}]" if now.freeze_id else ""
        self.timeline.line(
            f"policy {self.policy.metadata.name}: {before.level} → {now.level}{freeze}",
            [now.reason],
        )
        self.table()

    def _workload(self, before: Workload | None, now: Workload) -> None:
        if before is not None and (before.paused, before.annotations) == (
            now.paused,
            now.annotations,
        ):
            return
        if before is None or before.paused != now.paused:
            what = "paused" if now.paused else "resumed"
            who = " by budgetwarden" if now.paused_by_us else ""
            head = f"{now.kind} {now.name} {what}{who}: spec.paused={str(now.paused).lower()}"
            shown = [f"{key}: {value}" for key, value in now.annotations.items()]
            self.timeline.line(head, shown or ["(no budgetwarden.io annotations)"])
            return
        old = before.annotations
        shown = [
            f"{key}: {value}" for key, value in now.annotations.items() if old.get(key) != value
        ]
        shown += [f"{key} removed" for key in old if key not in now.annotations]
        self.timeline.line(f"{now.kind} {now.name}: annotations changed", shown)

    def summary(self, plan: Plan, errors_lasted: Decimal) -> None:
        """What the drill did to the budget, and the levels it passed through."""
        spent = plan.spent_after(errors_lasted)
        settles = plan.remaining - spent
        slo_status = self.watcher.get(c.PLURAL_SLO, self.watcher.slo_name).get("status") or {}
        shown = (slo_status.get("errorBudget") or {}).get("remainingPercent")
        self.table()
        if self.notifications is not None:
            self.notifications.summary()
        self.timeline.line(
            f"✓ drill passed: levels {' → '.join(self.levels)}",
            [
                f"errors ran {say_duration(errors_lasted)} at {percent(plan.error_rate)}: "
                f"{outage_text(plan.error_rate * errors_lasted)} of total outage, "
                f"{spent.quantize(Decimal('0.1'))}% of the budget "
                f"({outage_text(plan.outage_seconds)});",
                f"status shows {shown}% left now, about "
                f"{max(settles, -HUNDRED).quantize(Decimal('0.1'))}% once the 5m rates catch up "
                "(within 5 minutes)",
            ],
        )


def _head(reason: str) -> str:
    """A hold reason up to its first colon: "Holding FullFreeze until ... (minimum hold 30s)"."""
    return reason.split(": ", 1)[0]
