"""The `runbook_url` of every alert generated for an SLO, settled in one place.

`core.slo.rules` calls `link_runbooks` on the alerts of each group once they are built, so an
alert added to `rules_alerts` (or to any group) gets the same treatment without knowing about
it. Most specific first:

1. `spec.alerting.runbooks[]`, the entry naming this alert;
2. what the alert's builder wrote when the SLO chose it: a tier's `runbook_url` annotation
   (`spec.alerting.page|ticket|serviceDown|errorRate.annotations`), else
   `spec.alerting.runbookURL`;
3. the alert's page under the operator's runbook base URL (core/kernel/runbooks.py), in place
   of the shipped page the builder links by default.

`unknown_alerts` warns about entries that name no alert of the SLO: a typo would otherwise leave
the alert on its default page without a word.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.kernel.errors import Problem
from budgetwarden.core.kernel.runbooks import RunbookLinks
from budgetwarden.core.slo.spec import SLO

RUNBOOK_ANNOTATION = "runbook_url"


def link_runbooks(
    slo: SLO, rules: Iterable[dict[str, Any]], links: RunbookLinks
) -> list[dict[str, Any]]:
    """The rules with each alert's runbook_url settled (recording rules unchanged)."""
    return [_linked(slo, rule, links) if "alert" in rule else rule for rule in rules]


def _linked(slo: SLO, rule: dict[str, Any], links: RunbookLinks) -> dict[str, Any]:
    alert = str(rule["alert"])
    annotations = dict(rule.get("annotations") or {})
    annotations[RUNBOOK_ANNOTATION] = runbook_url(
        slo, alert, annotations.get(RUNBOOK_ANNOTATION), links
    )
    return rule | {"annotations": annotations}


def runbook_url(slo: SLO, alert: str, written: str | None, links: RunbookLinks) -> str:
    """The runbook of `alert`, given what its builder wrote (None: nothing)."""
    own = slo.spec.alerting.runbook_of(alert)
    if own is not None:
        return own
    # The builders link the shipped page unless the SLO chose another one.
    if written and written != names.alert_runbook_url(alert):
        return written
    return links.alert(alert)


def unknown_alerts(slo: SLO, generated: Collection[str]) -> list[Problem]:
    """A warning for each spec.alerting.runbooks entry naming no alert of `generated`."""
    known = ", ".join(sorted(generated))
    return [
        Problem(
            f"spec.alerting.runbooks[{index}].alert",
            f'"{entry.alert}" is not an alert of this SLO, so this runbook is not used; its '
            f"alerts are {known}",
        )
        for index, entry in enumerate(slo.spec.alerting.runbooks)
        if entry.alert not in generated
    ]
