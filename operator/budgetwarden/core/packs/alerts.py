"""The parts every pack alert shares: its labels, its annotations and its series selectors.

Called by the pack modules (`resources`, `model_quality`). Labels are the pack's name, the
alert's `priority` (what Alertmanager routes on) and `severity` beside it, for routes that still
use it. Annotations are `runbook_url` (runbooks/alerts/<AlertName>.md under the configured
base, core/kernel/runbooks.py), `summary` and `description`; the texts use Prometheus'
`$labels` and `$value`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from budgetwarden.core.packs import names
from budgetwarden.core.packs.priorities import priority_of
from budgetwarden.core.packs.settings import PackSettings
from budgetwarden.core.slo.priorities import PRIORITY_LABEL

Rule = dict[str, Any]
# What the annotation texts say of a value, in Prometheus' template language.
VALUE = "{{ $value | humanize }}"


@dataclass(frozen=True)
class AlertText:
    """The two annotations people read: a one-line summary and a description that says why."""

    summary: str
    description: str


def pack_alert(
    pack: str,
    alert: str,
    expr: str,
    sustained: str | None,
    text: AlertText,
    settings: PackSettings,
) -> Rule:
    """One alerting rule of `pack`; `sustained` is its `for:` (None: fire on the first match)."""
    rule: Rule = {"alert": alert, "expr": expr}
    if sustained is not None:
        rule["for"] = sustained
    rule["labels"] = {
        names.LABEL_PACK: pack,
        PRIORITY_LABEL: priority_of(alert, settings.priorities),
        "severity": names.SEVERITY,
    }
    rule["annotations"] = {
        "runbook_url": settings.runbooks.alert(alert),
        "summary": text.summary,
        "description": text.description,
    }
    return rule


def selector(*matchers: str, namespaces: str = "") -> str:
    """`{a, b, namespace...}` from fixed matchers and the namespace selector; "" for none."""
    parts = [*matchers, namespaces] if namespaces else list(matchers)
    return "{" + ", ".join(parts) + "}" if parts else ""
