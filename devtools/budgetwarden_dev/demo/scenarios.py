"""The drills `budgetwarden drill` runs, as data: what each injects and which alerts it expects.

Every scenario changes the demo service through its control API (`PUT /control`), so it runs
wherever the demo service runs (the stack of `make demo`, or a cluster) and is undone by
writing the previous settings back. The numbers fit the demo's SLOs (demo/manifests/):
checkout-availability (99.9 % over 1d, SLOHighErrorRate over 5 % for 30s, SLOServiceDown on
`up` for 30s) and checkout-latency (99 % under 300ms over 1d), whose fast-burn pair is 2m/10s
at 14.4x. `within` is when an expected alert must fire, counted from the injection: the
alert's own delay (its burn math, or its `for:`) with room for the evaluation and the poll.
`fast-burn` is the whole loop (demo/drill.py), the others are scenario drills
(demo/scenario_drill.py); both end with the same debrief.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from budgetwarden.core.kernel import conventions as c

AVAILABILITY = "checkout-availability"
LATENCY = "checkout-latency"
HIGH_ERROR_RATE = "SLOHighErrorRate"
SERVICE_DOWN = "SLOServiceDown"
FULL_LOOP = "fast-burn"


@dataclass(frozen=True)
class Expected:
    """An alert the scenario must raise: its name, what it is about, and by when."""

    alert: str
    about: str  # the SLO it is about (its slo_name label); "" for alerts of no SLO (packs)
    within: timedelta

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether an alert with these labels is this one."""
        about = labels.get(c.PROM_LABEL_SLO, "")
        return labels.get("alertname") == self.alert and about == self.about


@dataclass(frozen=True)
class Scenario:
    """One drill: the control change, how long it may last, and the alerts it expects."""

    name: str
    summary: str
    injection: dict[str, object]  # the PUT /control body that starts the incident
    expects: tuple[Expected, ...]
    lasts: timedelta  # the injection's length when nothing is expected; else until all fired
    confirm: str = ""  # asked before the injection unless --yes; "" asks nothing
    # Pages the incident may rightly raise when it lasts (not expected, not held against it).
    tolerates: tuple[str, ...] = ()

    def longest_wait(self) -> timedelta:
        """How long the injection may last at most."""
        return max((e.within for e in self.expects), default=self.lasts)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "fast-burn",
            "10 % of requests fail, 100x the budget's pace: the fast-burn page, then the whole "
            "loop (freeze, a denied deploy, a FreezeException, the thaw; a canary when a "
            "controller runs the Rollout)",
            {"errorRate": "0.1"},
            (Expected(c.ALERT_PAGE, AVAILABILITY, timedelta(seconds=90)),),
            timedelta(0),
            # 10 % errors for over 2.5 minutes (a slow machine reaching FullFreeze late) is an
            # error-rate page by right
            tolerates=(HIGH_ERROR_RATE,),
        ),
        Scenario(
            "high-error-rate",
            "20 % of requests fail until the 5m error ratio has been over 5 % for 30s (about "
            "two minutes): the error-rate page, beside the fast burn",
            {"errorRate": "0.2"},
            (Expected(HIGH_ERROR_RATE, AVAILABILITY, timedelta(seconds=240)),
             Expected(c.ALERT_PAGE, AVAILABILITY, timedelta(seconds=90))),
            timedelta(0),
        ),
        Scenario(
            "latency-spike",
            "every request takes 500ms, over the latency SLO's 300ms: its fast burn pages",
            {"latency": "500ms"},
            (Expected(c.ALERT_PAGE, LATENCY, timedelta(seconds=120)),),
            timedelta(0),
        ),
        Scenario(
            "traffic-surge",
            "ten times the load for a minute, answered well: a ratio SLO does not move, and "
            "nothing may page",
            {"loadRPS": "200"},
            (),
            timedelta(seconds=60),
        ),
        Scenario(
            "resource-exhaustion",
            "a burner takes the service's whole CPU limit and memory fills to 95 % of its limit, "
            "until the resources pack's HighCPUUsage (a 5m average) and HighMemoryUsage fire: "
            "about three minutes",
            {"cpuBurn": "1", "memoryFill": "0.95"},
            (Expected("HighCPUUsage", "", timedelta(seconds=270)),
             Expected("HighMemoryUsage", "", timedelta(seconds=120))),
            timedelta(0),
        ),
        Scenario(
            "service-outage",
            "the service stops answering, its scrapes included: SLOServiceDown pages (P0); "
            "the burn alerts it would inhibit stay silent",
            {"down": True},
            (Expected(SERVICE_DOWN, AVAILABILITY, timedelta(seconds=90)),),
            timedelta(0),
            confirm="the demo service will stop answering every request until the drill "
            "restores it",
        ),
    )
}  # fmt: skip
