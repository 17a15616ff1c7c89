"""The `priority` label (P0–P3) of every generated alert: the reviewed mapping and its override.

`rules_alerts` asks `AlertPriorities` which priority each alert starts with; an SLO's
`spec.alerting` labels may replace it like any other default label, and `spec.py` checks that
such a value is one of P0–P3 (Alertmanager routes on it, so a typo would page nobody).
`runtime/config.py` reads the operator-wide override, BUDGETWARDEN_ALERT_PRIORITIES, with
`parse_priorities`.

Why each default is what it is (docs/policies/alerting-policy.md has the whole policy): the SRE
Workbook (chapter 5, "Alerting on SLOs") pages a human only when the budget burns fast enough
that waiting costs a real share of it, and opens a ticket for burns that a person can fix in
working hours. Priorities say how fast a person must acknowledge: P0 2 minutes, P1 5 minutes,
P2 30 minutes, P3 the next business day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final, Literal, cast, get_args

from budgetwarden.core.kernel.levels import Level

Priority = Literal["P0", "P1", "P2", "P3"]
PRIORITIES: Final[tuple[Priority, ...]] = get_args(Priority)
# The label Alertmanager routes on, beside `severity` (kept for routes that already use it).
PRIORITY_LABEL: Final = "priority"


@dataclass(frozen=True)
class AlertPriorities:
    """The priority each kind of generated alert carries unless an SLO's labels say otherwise.

    P0 is the default of one alert only, SLOServiceDown: a whole service down, which no burn
    rate can tell (an outage that takes the service's own metrics with it leaves no rate to burn).
    """

    # 2% of a 30-day budget in 1h, or 5% in 6h: at this pace the budget is gone in 2 to 5 days,
    # so every hour of waiting costs a visible share of it. The Workbook pages.
    fast_burn: Priority = "P1"
    # 10% of the budget in 1 or 3 days: the budget lasts at least 10 more days, so the next
    # business day is in time. The Workbook opens a ticket.
    slow_burn: Priority = "P3"
    # Budget-low alerts describe a state, not an emergency: below 50% and 30% the team plans
    # reliability work; below 10% (FullFreeze) deployments stop, and the team must decide the
    # same day on reliability work or a FreezeException, so it is P2 (chat, 30 minutes).
    budget_low_warning: Priority = "P3"
    budget_low_partial_freeze: Priority = "P3"
    budget_low_full_freeze: Priority = "P2"
    # No data means the SLO's pages cannot fire, and an outage that takes the service's own
    # metrics with it shows up only here; a renamed metric looks the same, so it does not wake
    # anyone, but someone looks within 30 minutes.
    metrics_absent: Priority = "P2"
    # The service stopped serving (its traffic stopped, or no target is up) after serving in the
    # last hour: everyone is hurt now and no budget arithmetic will say so. Acknowledge in 2 min.
    service_down: Priority = "P0"
    # An opt-in page on the raw error ratio (the seed's HighErrorRate): users are hurt now, as
    # with a fast burn, so it pages like one; the SLO's owner chose the threshold.
    high_error_rate: Priority = "P1"

    def budget_low(self, level: Level) -> Priority:
        """The priority of the budget-low alert of `level` (Warning, PartialFreeze, FullFreeze)."""
        by_level = {
            Level.WARNING: self.budget_low_warning,
            Level.PARTIAL_FREEZE: self.budget_low_partial_freeze,
            Level.FULL_FREEZE: self.budget_low_full_freeze,
        }
        return by_level[level]


DEFAULT_PRIORITIES: Final = AlertPriorities()
# The keys of BUDGETWARDEN_ALERT_PRIORITIES, in the camelCase the rest of the API uses.
SETTING_KEYS: Final = {
    "fastBurn": "fast_burn",
    "slowBurn": "slow_burn",
    "budgetLowWarning": "budget_low_warning",
    "budgetLowPartialFreeze": "budget_low_partial_freeze",
    "budgetLowFullFreeze": "budget_low_full_freeze",
    "metricsAbsent": "metrics_absent",
    "serviceDown": "service_down",
    "highErrorRate": "high_error_rate",
}


def priority_problem(value: str) -> str | None:
    """Why `value` cannot be a priority, or None when it is one of P0–P3."""
    if value in PRIORITIES:
        return None
    return f'must be one of {", ".join(PRIORITIES)}; got "{value[:80]}"'


def parse_assignment(
    text: str, keys: Iterable[str], form: str = "KEY=PRIORITY pairs", key: str = "KEY"
) -> tuple[str, Priority]:
    """ "KEY=P1" -> (key, priority) for a KEY among `keys`; ValueError naming what is allowed
    (`form`: how the whole is written, `key`: what the left side is called)."""
    name, equals, value = (side.strip() for side in text.partition("="))
    known = list(keys)
    if not equals or name not in known:
        raise ValueError(f'must be {form} with {key} one of {", ".join(known)}; got "{text[:80]}"')
    if problem := priority_problem(value):
        raise ValueError(f"{name} {problem}")
    return name, cast(Priority, value)


def parse_priorities(text: str) -> AlertPriorities:
    """ "fastBurn=P0,metricsAbsent=P1" -> the defaults with those replaced; ValueError if bad."""
    changes: dict[str, Priority] = {}
    for item in (part.strip() for part in text.split(",")):
        key, priority = parse_assignment(item, SETTING_KEYS)
        changes[SETTING_KEYS[key]] = priority
    return replace(DEFAULT_PRIORITIES, **changes)
