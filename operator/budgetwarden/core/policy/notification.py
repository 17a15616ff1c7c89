"""What people are told when a policy changes level: the Kubernetes Event and the chat message.

The poller calls `transition_event` for the Event it posts on the policy (reason: the Rule that
set the level) and, when `worth_notifying`, `slack_payload` for every webhook in
`spec.notify`. The payload is a Slack incoming-webhook message built from `text` plus one
legacy attachment (colour bar, title, fields): Slack renders it, and so do Mattermost and
Rocket.Chat, which ignore Slack's newer `blocks`. `text` alone reads well where attachments are
not shown (phone notifications, plain receivers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from budgetwarden.core.kernel.levels import Level, is_freeze, severity
from budgetwarden.core.kernel.wire import format_time, percent_text
from budgetwarden.core.policy.decide import Decision
from budgetwarden.core.policy.spec import ErrorBudgetPolicy

PREFIX = "[budgetwarden]"
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


def slack_payload(
    policy: ErrorBudgetPolicy, previous: Level | None, decision: Decision
) -> dict[str, Any]:
    """The JSON body POSTed to a Slack-compatible incoming webhook for a level change."""
    meta = policy.metadata
    headline = f"{PREFIX} {meta.namespace}/{meta.name}: {transition(previous, decision)}"
    text = f"{headline} — {decision.reason}"
    fields = [
        _field("Level", decision.level.value),
        _field("Since", format_time(decision.since)),
        _field("Enforcement", decision.enforcement),
    ]
    if decision.freeze_id:
        fields.append(_field("Freeze id", decision.freeze_id))
    if is_freeze(decision.level):
        fields.append(_field("Exceptions", f"kubectl -n {meta.namespace} get freezeexceptions"))
    if decision.slos:
        fields.append(_field("SLOs", _slo_lines(decision), short=False))
    attachment = {
        "fallback": text,
        "color": COLOURS[decision.level],
        "title": headline,
        "text": decision.reason,
        "fields": fields,
        "footer": "budgetwarden",
        "ts": int(decision.since.timestamp()),
    }
    return {"text": text, "attachments": [attachment]}


def _field(title: str, value: str, *, short: bool = True) -> dict[str, Any]:
    return {"title": title, "value": value, "short": short}


def _slo_lines(decision: Decision) -> str:
    lines = [
        f"{a.slo.name}: "
        + (
            "no data"
            if a.remaining_percent is None
            else f"{percent_text(a.remaining_percent)}% left"
        )
        + f" ({a.level})"
        for a in decision.slos[:_SLOS_SHOWN]
    ]
    if len(decision.slos) > _SLOS_SHOWN:
        lines.append(f"… and {len(decision.slos) - _SLOS_SHOWN} more")
    return "\n".join(lines)
