"""The plain-text mail for a notice: a subject that names the level, policy and namespace, and a
body an on-call engineer can act on without opening anything else.

runtime/notifications.py sends it through adapters/mail.py (smtplib) to every address of a
`spec.notify[].email` entry. Every level change the webhook hears of is mailed too (a mailbox is
not a pager), and so are reminders while a freeze lasts. Plain text only: it reads the same in
every client, in a terminal and in a ticket system that files mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from budgetwarden.core.kernel.durations import format_duration
from budgetwarden.core.kernel.levels import is_freeze
from budgetwarden.core.kernel.wire import format_time
from budgetwarden.core.policy.notification import PREFIX, Notice, exceptions_hint, slo_lines

_LABEL_WIDTH = 13


@dataclass(frozen=True)
class MailText:
    """A mail's subject and plain-text body."""

    subject: str
    body: str


def email_text(notice: Notice) -> MailText:
    """The subject and body of the mail for `notice`."""
    return MailText(subject=_subject(notice), body=_body(notice))


def _subject(notice: Notice) -> str:
    """ "[budgetwarden] FullFreeze: policy payments in namespace shop (Warning → FullFreeze)"."""
    level = notice.decision.level
    scope = f"policy {notice.policy} in namespace {notice.namespace}"
    if notice.reminded_at is not None:
        held = notice.held_for
        lasted = f" for {format_duration(held)}" if held > timedelta() else ""
        return f"{PREFIX} Reminder: {level}{lasted}: {scope}"
    return f"{PREFIX} {level}: {scope} ({notice.what})"


def _body(notice: Notice) -> str:
    decision = notice.decision
    lines = [notice.what[:1].upper() + notice.what[1:], decision.reason, ""]
    lines += [
        _row("Policy", f"{notice.policy} (namespace {notice.namespace})"),
        _row("Level", f"{decision.level} since {format_time(decision.since)}"),
        _row("Enforcement", decision.enforcement),
    ]
    if decision.freeze_id:
        lines.append(_row("Freeze id", decision.freeze_id))
    if decision.slos:
        lines += ["", "SLOs:", *(f"  {line}" for line in slo_lines(decision))]
    lines.append("")
    if is_freeze(decision.level):
        lines.append(_row("Exceptions", exceptions_hint(notice)))
    lines += [_row("Runbook", notice.runbook), "", "-- ", "budgetwarden"]
    return "\n".join(lines) + "\n"


def _row(label: str, value: str) -> str:
    return f"{label + ':':<{_LABEL_WIDTH}}{value}"
