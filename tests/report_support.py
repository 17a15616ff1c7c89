"""A known alert history for `budgetwarden report alerts`: the rules, the fires, the incidents.

tests/integration/test_report_alerts.py writes `FIRES` as OpenMetrics `ALERTS` samples,
backfills them with `promtool tsdb create-blocks-from openmetrics`, and starts a real Prometheus
on the blocks with `RULES` loaded; the rules never fire (`vector(0) > 1`), so the report knows
them, their labels and their runbooks, and the history stays exactly what was written.

Times are offsets from the period's start, `until - 10d`; `until` is a whole hour at least 3h
ago, so the blocks lie behind Prometheus' head. Samples are written once a minute, 45 seconds
before each whole minute, as a rule group with a 1m interval would; the report's step is 1m.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from budgetwarden.core.kernel.conventions import alert_runbook_url
from budgetwarden_dev.devenv.binaries import find_binary

SINCE = timedelta(days=10)
CHECKOUT = {"slo_name": "checkout-availability", "slo_namespace": "shop", "slo_service": "checkout"}
SEARCH = {"slo_name": "search-latency", "slo_namespace": "shop", "slo_service": "search"}
FAST = "SLOErrorBudgetFastBurn"
SLOW = "SLOErrorBudgetSlowBurn"
DOWN = "SLOServiceDown"
ABSENT = "SLOMetricsAbsent"
LOW = "SLOErrorBudgetLow"
OLD = "HighErrorRate"  # fired, but its rule is no longer loaded
LOW_BY_LEVEL = {
    "priority": "{{ if lt $value 0.1 }}P2{{ else }}P3{{ end }}",
    "slo_budget_level": (
        "{{ if lt $value 0.1 }}FullFreeze{{ else if lt $value 0.3 }}PartialFreeze"
        "{{ else }}Warning{{ end }}"
    ),
}


def _labels(slo: dict[str, str], priority: str, **more: str) -> dict[str, str]:
    severity = "critical" if priority in ("P0", "P1") else "warning"
    return {**slo, "priority": priority, "severity": severity, **more}


# (alert, static labels, runbook_url: None for no annotation)
RULES: tuple[tuple[str, dict[str, str], str | None], ...] = (
    (FAST, _labels(CHECKOUT, "P1", slo_tier="page"), alert_runbook_url(FAST)),
    (SLOW, _labels(CHECKOUT, "P3", slo_tier="ticket"), "https://runbooks.example.com/slow-burn"),
    (DOWN, _labels(CHECKOUT, "P0", slo_tier="page"), None),
    (ABSENT, _labels(CHECKOUT, "P2", slo_tier="ticket"), ""),
    (FAST, _labels(SEARCH, "P1", slo_tier="page"), alert_runbook_url(FAST)),
    # one rule for every level, as generated: the level and its priority are templates of the
    # rule, written out in each series
    (LOW, {**CHECKOUT, "severity": "warning", **LOW_BY_LEVEL}, alert_runbook_url(LOW)),
)


@dataclass(frozen=True)
class Fired:
    """One fire: the series' labels, its start (offset from the period's start), and length."""

    alert: str
    labels: dict[str, str]
    at: timedelta
    length: timedelta


def _h(hours: float) -> timedelta:
    return timedelta(hours=hours)


_FAST = _labels(CHECKOUT, "P1", slo_tier="page")
_SLOW = _labels(CHECKOUT, "P3", slo_tier="ticket")
_DOWN = _labels(CHECKOUT, "P0", slo_tier="page")
_LOW = _labels(CHECKOUT, "P3", slo_budget_level="Warning")
_OLD = {"service": "checkout", "priority": "P2", "severity": "warning"}
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
FIRES = (
    Fired(FAST, _FAST, 1 * DAY + _h(10), 30 * MINUTE),
    Fired(FAST, _FAST, 3 * DAY + _h(14), 60 * MINUTE),
    Fired(FAST, _FAST, 5 * DAY + _h(9), 10 * MINUTE),
    # three fires within 40 minutes: flapping
    Fired(SLOW, _SLOW, 2 * DAY + _h(8), 5 * MINUTE),
    Fired(SLOW, _SLOW, 2 * DAY + _h(8) + 20 * MINUTE, 5 * MINUTE),
    Fired(SLOW, _SLOW, 2 * DAY + _h(8) + 40 * MINUTE, 5 * MINUTE),
    Fired(SLOW, _SLOW, 8 * DAY + _h(12), 120 * MINUTE),
    Fired(DOWN, _DOWN, 3 * DAY + _h(13) + 50 * MINUTE, 20 * MINUTE),
    Fired(OLD, _OLD, 9 * DAY + _h(16), 15 * MINUTE),
    # still firing when the period ends (its last sample falls in the last step): counted, but
    # with no time to resolve
    Fired(LOW, _LOW, 9 * DAY + _h(20), 4 * 60 * MINUTE + MINUTE),
)


def incidents(start: datetime) -> list[dict[str, Any]]:
    """The known incidents, one of them long before the period."""

    def at(offset: timedelta) -> str:
        return (start + offset).strftime("%Y-%m-%dT%H:%M:%SZ")

    return [
        {"name": "checkout-outage", "start": at(3 * DAY + _h(13.75)),
         "end": at(3 * DAY + _h(15) + 10 * MINUTE), "expects": [DOWN, FAST]},
        {"name": "search-slowdown", "start": at(6 * DAY + _h(10)), "end": at(6 * DAY + _h(11)),
         "expects": [FAST]},
        # the slow burn starts 10 minutes after the end: within the 15m grace
        {"name": "checkout-slow-burn", "start": at(8 * DAY + _h(11.5)),
         "end": at(8 * DAY + _h(11) + 50 * MINUTE), "expects": [SLOW]},
        {"name": "last-month", "start": at(-20 * DAY), "end": at(-20 * DAY + _h(1)),
         "expects": [DOWN]},
    ]  # fmt: skip


def until_time(now: datetime | None = None) -> datetime:
    """The end of the period: a whole hour, at least 3 hours ago."""
    moment = (now or datetime.now(UTC)) - _h(3)
    return moment.replace(minute=0, second=0, microsecond=0)


def openmetrics(start: datetime) -> str:
    """Every fire as `ALERTS` samples, one a minute, 45s before each whole minute."""
    lines = ["# TYPE ALERTS gauge"]
    for fire in sorted(FIRES, key=lambda f: (f.alert, sorted(f.labels.items()), f.at)):
        labels = {"alertname": fire.alert, "alertstate": "firing", **fire.labels}
        text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        first = start + fire.at - timedelta(seconds=45)
        for minute in range(int(fire.length / MINUTE)):
            moment = first + minute * MINUTE
            lines.append(f"ALERTS{{{text}}} 1 {int(moment.timestamp())}")
    # OpenMetrics wants each series' samples together and in time order: FIRES sorted so.
    return "\n".join([*lines, "# EOF"]) + "\n"


def rule_file() -> str:
    """The rules Prometheus loads: the same names and labels, and never firing."""
    rules = []
    for alert, labels, runbook in RULES:
        rule: dict[str, Any] = {"alert": alert, "expr": "vector(0) > 1", "labels": labels}
        if runbook is not None:
            rule["annotations"] = {"runbook_url": runbook, "summary": f"{alert} test rule"}
        rules.append(rule)
    return yaml.safe_dump({"groups": [{"name": "slo-alerts", "interval": "1m", "rules": rules}]})


def backfill(data_dir: Path, start: datetime, workdir: Path) -> None:
    """The history as TSDB blocks in `data_dir`, before Prometheus starts."""
    source = workdir / "alerts.om"
    source.write_text(openmetrics(start))
    data_dir.mkdir(parents=True, exist_ok=True)
    promtool = str(find_binary("promtool"))
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data_dir)],
        check=True,
        capture_output=True,
    )
