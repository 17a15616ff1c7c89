"""The numbers the alert review judges by, each with its reason; docs/alert-review.md explains
them to readers of the report.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Final

# Flapping: at least this many fires of one alert within this long. Three starts in an hour
# means the alert resolved and came back twice while, most likely, nothing changed: one
# incident paged as three. (The alerting policy's looser "more than 3 times a day" still
# counts every start; this catches the bursts.)
FLAP_FIRES: Final = 3
FLAP_WINDOW: Final = timedelta(minutes=60)

# On-call load: the SRE book (chapter 11, "Being On-Call") allows at most 2 incidents per
# 12-hour shift, since handling one and its follow-up (postmortem, fixes) takes about 6 hours;
# docs/policies/alerting-policy.md section 8 takes the same target for pages.
PAGES_PER_SHIFT: Final = 2
SHIFT: Final = timedelta(hours=12)
# One SLO should page at most a handful of times a week. Two is that handful for a single SLO:
# a rotation carries several, and an SLO that pages more than twice a week spends a whole
# shift's allowance every week on its own.
PAGES_PER_SLO_WEEK: Final = Decimal(2)
# What counts as a page: priority P0 or P1 (the priorities routed to the pager); an alert
# without a priority label pages when its severity says so.
PAGE_PRIORITIES: Final = frozenset({"P0", "P1"})
PAGE_SEVERITIES: Final = frozenset({"critical", "page"})

# A fire that starts this long after an incident's end still belongs to it: burn-rate alerts
# read windows of up to 6h and can start late; the incidents file may set its own.
INCIDENT_GRACE: Final = timedelta(minutes=15)

# Range queries: at most this many points each (Prometheus refuses more than 11,000).
MAX_POINTS: Final = 11_000
# The step for a period: at most `period`, this step. Fine enough to tell two fires a few
# minutes apart; coarse enough that a long period costs a handful of queries. The step is
# raised to the longest evaluation interval of the loaded rule groups, so that every step holds
# an evaluation.
STEPS: Final = (
    (timedelta(days=3), timedelta(seconds=30)),
    (timedelta(days=45), timedelta(minutes=1)),
    (timedelta(days=400), timedelta(minutes=5)),
)
MAX_PERIOD: Final = STEPS[-1][0]

# Runbook addresses that are placeholders: the domains reserved for documentation (RFC 2606)
# and the top-level names that never resolve.
PLACEHOLDER_DOMAINS: Final = ("example.com", "example.org", "example.net")
PLACEHOLDER_SUFFIXES: Final = (".example", ".invalid", ".test", ".localhost")
