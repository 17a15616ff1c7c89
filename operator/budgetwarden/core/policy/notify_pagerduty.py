"""The PagerDuty Events API v2 event for a notice: trigger while a freeze lasts, resolve at thaw.

runtime/notifications.py asks `pagerduty_action` whether a notice concerns PagerDuty at all, then
reads the routing key from its Secret and POSTs `pagerduty_event` with the webhook adapter's
retries. One freeze is one PagerDuty alert: `dedup_key` is the freeze id, which stays the same
from the freeze's start to its thaw, so a level change inside it (PartialFreeze → FullFreeze) and
a reminder trigger the same alert again (PagerDuty adds a trigger for an open alert to its log
instead of paging anew, and opens it again if someone resolved it by hand while the freeze goes
on), and the thaw resolves it. Level changes outside a freeze (Normal ↔ Warning, Unknown) are not
pages, so they send nothing.

Field limits are PagerDuty's: `summary` at most 1024 characters, `dedup_key` 255 (a freeze id is
nine), `severity` one of critical, error, warning, info.
"""

from __future__ import annotations

from typing import Any, Literal

from budgetwarden.core.kernel.levels import Level, is_freeze
from budgetwarden.core.kernel.wire import format_time, percent_text
from budgetwarden.core.policy.notification import Notice, deciding, exceptions_hint, slo_lines

Action = Literal["trigger", "resolve"]
# A full freeze blocks every change but rollbacks: critical; a partial one lets fixes through.
SEVERITIES = {Level.PARTIAL_FREEZE: "error", Level.FULL_FREEZE: "critical"}
SUMMARY_LIMIT = 1024
CLIENT = "budgetwarden"


def pagerduty_action(notice: Notice) -> tuple[Action, str] | None:
    """(action, dedup_key) for a notice PagerDuty should hear of; None for any other."""
    decision = notice.decision
    if is_freeze(decision.level) and decision.freeze_id:
        return "trigger", decision.freeze_id
    previous = notice.previous
    if previous is not None and is_freeze(previous.level) and previous.freeze_id:
        return "resolve", previous.freeze_id
    return None


def pagerduty_event(notice: Notice, routing_key: str) -> dict[str, Any] | None:
    """The JSON body for the Events API v2; None when the notice is not PagerDuty's business."""
    action = pagerduty_action(notice)
    if action is None:
        return None
    event_action, dedup_key = action
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": event_action,
        "dedup_key": dedup_key,
    }
    if event_action == "resolve":
        return event  # PagerDuty reads nothing else from a resolve
    return event | {
        "payload": _payload(notice),
        "client": CLIENT,
        "links": [{"href": notice.runbook, "text": "Deployment freeze runbook"}],
    }


def _payload(notice: Notice) -> dict[str, Any]:
    decision = notice.decision
    summary = f"{notice.headline} — {decision.reason}"
    if len(summary) > SUMMARY_LIMIT:
        summary = summary[: SUMMARY_LIMIT - 1] + "…"
    return {
        "summary": summary,
        "source": notice.where,
        "severity": SEVERITIES[decision.level],
        "timestamp": format_time(notice.reminded_at or decision.since),
        "component": notice.policy,
        "group": notice.namespace,
        "class": decision.level.value,
        "custom_details": _details(notice),
    }


def _details(notice: Notice) -> dict[str, Any]:
    """What an on-call engineer needs beside the summary, as PagerDuty shows it: flat fields."""
    decision = notice.decision
    slo = deciding(decision)
    details: dict[str, Any] = {
        "policy": notice.where,
        "level": decision.level.value,
        "what": notice.what,
        "since": format_time(decision.since),
        "freeze_id": decision.freeze_id,
        "reason": decision.reason,
        "enforcement": decision.enforcement,
    }
    if slo is not None:
        details["slo"] = slo.slo.name
        if slo.remaining_percent is not None:
            details["budget_remaining_percent"] = percent_text(slo.remaining_percent)
    details["slos"] = slo_lines(decision)
    details["exceptions"] = exceptions_hint(notice)
    details["runbook"] = notice.runbook
    return details
