"""What people are told when a policy changes level or stays frozen: the Event and the notices.

The poller calls `transition_event` for the Event it posts on the policy (reason: the Rule that
set the level) and, when `worth_notifying`, hands runtime/notifications.py a `change_notice`.
While a freeze lasts, every `spec.notify` entry with `reminderEvery` gets a `reminder_notice`
each time `reminders_due` grows. Each channel shapes a notice its own way: `slack_payload` here,
`pagerduty_event` (notify_pagerduty.py) and `email_text` (notify_email.py).

The Slack payload is an incoming-webhook message built from `text` plus one legacy attachment
(colour bar, title, fields): Slack renders it, and so do Mattermost and Rocket.Chat, which ignore
Slack's newer `blocks`. `text` alone reads well where attachments are not shown (phone
notifications, plain receivers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.levels import Level, is_freeze, severity
from budgetwarden.core.kernel.wire import format_time, percent_text
from budgetwarden.core.policy.assess import SLOAssessment
from budgetwarden.core.policy.decide import Decision, PolicyState
from budgetwarden.core.policy.spec import ErrorBudgetPolicy

PREFIX = "[budgetwarden]"
DEFAULT_FREEZE_RUNBOOK = c.runbook_url(c.RUNBOOK_FREEZE)
# Attachment colours: Slack's green, yellow, orange and red; grey for "no data".
COLOURS = {
    Level.NORMAL: "#2eb67d",
    Level.WARNING: "#ecb22e",
    Level.PARTIAL_FREEZE: "#e8912d",
    Level.FULL_FREEZE: "#e01e5a",
    Level.UNKNOWN: "#9e9e9e",
}
_SLOS_SHOWN = 10


@dataclass(frozen=True)
class EventNote:
    """A Kubernetes Event to post on the policy."""

    type: Literal["Normal", "Warning"]
    reason: str
    message: str


@dataclass(frozen=True)
class Notice:
    """One announcement about a policy: its level changed, or (a reminder) its freeze goes on.

    `previous` is the state before a change: None for a policy's first decision and for
    reminders. `reminded_at` is when a reminder is sent; None for a change. `runbook` is the
    freeze runbook the operator links (BUDGETWARDEN_RUNBOOK_BASE_URL may move it).
    """

    namespace: str
    policy: str
    decision: Decision
    previous: PolicyState | None = None
    reminded_at: datetime | None = None
    runbook: str = DEFAULT_FREEZE_RUNBOOK

    @property
    def where(self) -> str:
        """ "shop/payments": the policy's namespace and name."""
        return f"{self.namespace}/{self.policy}"

    @property
    def held_for(self) -> timedelta:
        """How long the level has lasted at a reminder, in whole minutes; zero for a change."""
        if self.reminded_at is None:
            return timedelta()
        return timedelta(minutes=(self.reminded_at - self.decision.since) // timedelta(minutes=1))

    @property
    def what(self) -> str:
        """ "Warning → PartialFreeze", or "still PartialFreeze after 4h" for a reminder."""
        if self.reminded_at is None:
            return transition(self.previous.level if self.previous else None, self.decision)
        held = self.held_for
        after = f" after {format_duration(held)}" if held > timedelta() else ""
        return f"still {self.decision.level}{after}"

    @property
    def headline(self) -> str:
        """ "[budgetwarden] shop/payments: Warning → PartialFreeze"."""
        return f"{PREFIX} {self.where}: {self.what}"


def change_notice(
    policy: ErrorBudgetPolicy,
    previous: PolicyState | None,
    decision: Decision,
    runbook: str = DEFAULT_FREEZE_RUNBOOK,
) -> Notice:
    """The notice of a level change (or of a policy's first decision)."""
    meta = policy.metadata
    return Notice(meta.namespace, meta.name, decision, previous, None, runbook)


def reminder_notice(
    policy: ErrorBudgetPolicy,
    decision: Decision,
    now: datetime,
    runbook: str = DEFAULT_FREEZE_RUNBOOK,
) -> Notice:
    """The notice that a freeze goes on, sent at `now`."""
    meta = policy.metadata
    return Notice(meta.namespace, meta.name, decision, None, now, runbook)


def reminders_due(since: datetime, now: datetime, every: timedelta) -> int:
    """How many reminders a level that began at `since` has earned by `now`: one per `every`.

    Counting from `since` rather than from the last send keeps the schedule the same on every
    replica and across restarts, so a new leader neither repeats a reminder nor starts a new one.
    """
    return max((now - since) // every, 0)


def went_up(previous: Level | None, level: Level) -> bool:
    """True when `level` is worse than `previous`; losing the data to decide counts as worse."""
    if level is Level.UNKNOWN:
        return previous is not Level.UNKNOWN
    before = Level.NORMAL if previous in (None, Level.UNKNOWN) else previous
    return severity(level) > severity(before)


def transition(previous: Level | None, decision: Decision) -> str:
    """ "Warning → PartialFreeze", or "Level set to Normal" for a policy's first decision."""
    if previous is None:
        return f"Level set to {decision.level}"
    return f"{previous} → {decision.level}"


def transition_event(previous: Level | None, decision: Decision) -> EventNote:
    """The Event for a level change: Warning when things got worse, Normal otherwise."""
    worse = went_up(previous, decision.level) and decision.level is not Level.NORMAL
    freeze = f"; freeze {decision.freeze_id}" if decision.freeze_id else ""
    message = f"{transition(previous, decision)}: {decision.reason}{freeze}"
    return EventNote("Warning" if worse else "Normal", decision.rule.value, message)


def worth_notifying(previous: Level | None, decision: Decision) -> bool:
    """A level change, or a first decision that is anything but Normal or Unknown."""
    if previous is None:
        return decision.level not in (Level.NORMAL, Level.UNKNOWN)
    return previous is not decision.level


def deciding(decision: Decision) -> SLOAssessment | None:
    """The assessment of the SLO whose numbers set or hold the level, if one did."""
    return next((a for a in decision.slos if a.slo == decision.deciding_slo), None)


def budget_text(remaining: Decimal | None) -> str:
    """ "21.4% left", or "no data"."""
    return "no data" if remaining is None else f"{percent_text(remaining)}% left"


def slo_lines(decision: Decision) -> list[str]:
    """One line per selected SLO (the first ten, then a count): name, budget, level."""
    lines = [
        f"{a.slo.name}: {budget_text(a.remaining_percent)} ({a.level})"
        for a in decision.slos[:_SLOS_SHOWN]
    ]
    if len(decision.slos) > _SLOS_SHOWN:
        lines.append(f"… and {len(decision.slos) - _SLOS_SHOWN} more")
    return lines


def exceptions_hint(notice: Notice) -> str:
    """How to see the exceptions that let a fix through a freeze."""
    return f"kubectl -n {notice.namespace} get freezeexceptions"


def slack_payload(notice: Notice) -> dict[str, Any]:
    """The JSON body POSTed to a Slack-compatible incoming webhook."""
    decision = notice.decision
    text = f"{notice.headline} — {decision.reason}"
    fields = [
        _field("Level", decision.level.value),
        _field("Since", format_time(decision.since)),
        _field("Enforcement", decision.enforcement),
    ]
    if decision.freeze_id:
        fields.append(_field("Freeze id", decision.freeze_id))
    if is_freeze(decision.level):
        fields.append(_field("Exceptions", exceptions_hint(notice)))
    if decision.slos:
        fields.append(_field("SLOs", "\n".join(slo_lines(decision)), short=False))
    attachment = {
        "fallback": text,
        "color": COLOURS[decision.level],
        "title": notice.headline,
        "text": decision.reason,
        "fields": fields,
        "footer": "budgetwarden",
        "ts": int((notice.reminded_at or decision.since).timestamp()),
    }
    return {"text": text, "attachments": [attachment]}


def _field(title: str, value: str, *, short: bool = True) -> dict[str, Any]:
    return {"title": title, "value": value, "short": short}
