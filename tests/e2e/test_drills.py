"""Every scenario drill of `budgetwarden drill`, end to end on the demo stack, and the alert
review of what they raised.

One demo stack (`budgetwarden demo up`, no controllers: the scenarios change the demo service,
not workloads) serves the module: control plane, demo service, Alertmanager with the shipped
routing and a local receiver, Prometheus, rules-sync, operator. Each drill runs as a user runs
it and must pass: its expected alerts fire within their time, are delivered where the routing
sends them, and nothing else pages. The whole loop, `drill fast-burn`, runs with the
controllers in test_demo_live.py. Last, `budgetwarden report alerts` over the drills' incident
file must count each drill's alerts at the times the drills printed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from cli_support import CONSOLE_SCRIPT

pytestmark = [pytest.mark.e2e, pytest.mark.cluster, pytest.mark.promtool]
AVAILABILITY = "demo/checkout-availability"
CONTAINER = "demo/checkout-demo-0/checkout"
# drill -> (alert as the timeline names it, the receivers the shipped routing sends it to)
# In this order: the surge's requests would stay in the 5m windows of the drills after it for
# five minutes, diluting high-error-rate's errors and raising HighCPUUsage before
# resource-exhaustion (which then waits for it to resolve).
EXPECTED = {
    "service-outage": [(f"SLOServiceDown {AVAILABILITY} [P0]", "pager")],
    "latency-spike": [("SLOErrorBudgetFastBurn demo/checkout-latency [P1]", "chat, pager")],
    "resource-exhaustion": [(f"HighCPUUsage {CONTAINER} [P3]", "ticket"),
                            (f"HighMemoryUsage {CONTAINER} [P2]", "chat")],
    "high-error-rate": [(f"SLOHighErrorRate {AVAILABILITY} [P1]", "chat, pager"),
                        (f"SLOErrorBudgetFastBurn {AVAILABILITY} [P1]", "chat, pager")],
    "traffic-surge": [],
}  # fmt: skip
RUNS: dict[str, str] = {}  # drill -> its timeline, for the report's test
DETECTED = re.compile(r"✓ detected: (\S+) .* fired at ([0-9.]+)s")


def _budgetwarden(
    *args: str, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CONSOLE_SCRIPT), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The demo stack without controllers; the environment a shell gets from its exports."""
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}  # the demo's own cluster
    directory = tmp_path_factory.mktemp("drills") / "demo"
    up = _budgetwarden("demo", "up", "--dir", str(directory), env=env, timeout=300)
    try:
        assert up.returncode == 0, up.stderr
        pairs = (shlex.split(line.removeprefix("export "))[0] for line in up.stdout.splitlines())
        yield {**env, **dict(pair.split("=", 1) for pair in pairs)}
    finally:
        _budgetwarden("demo", "down", "--dir", str(directory), env=env, timeout=120)


@pytest.mark.parametrize("drill", list(EXPECTED))
def test_the_drill_raises_its_alerts_in_time_and_nothing_else_pages(
    demo: dict[str, str], drill: str
) -> None:
    run = _budgetwarden("drill", drill, "--yes", env=demo, timeout=900)
    timeline = run.stdout
    assert run.returncode == 0, timeline + run.stderr
    RUNS[drill] = timeline
    assert f"✓ drill {drill} passed: every expected alert fired in time and nothing else paged" in (
        timeline
    )
    for alert, receivers in EXPECTED[drill]:
        detected = [
            line for line in timeline.splitlines() if f"✓ detected: {alert} fired at" in line
        ]
        assert len(detected) == 1, timeline
        assert re.search(f"; delivered to {receivers}[; ]", detected[0]), timeline
    if not EXPECTED[drill]:
        assert "✓ nothing paged" in timeline
    assert "✗" not in timeline, timeline


def test_a_down_service_pages_once_and_its_burn_alerts_are_not_delivered() -> None:
    timeline = RUNS.get("service-outage")
    assert timeline is not None, "the service-outage drill did not run"
    deliveries = [line for line in timeline.splitlines() if "Alertmanager → " in line]
    assert deliveries and all("SLOServiceDown" in line for line in deliveries), timeline


def test_the_alert_review_counts_each_drill_at_the_times_it_printed(
    demo: dict[str, str],
) -> None:
    assert set(RUNS) == set(EXPECTED), "every drill must have run first"
    incidents_file = Path(demo["BUDGETWARDEN_DEMO_INCIDENTS"])
    asked = ("report", "alerts", "--since", "1h", "--incidents", str(incidents_file), "--format",
             "json")  # fmt: skip
    report = _budgetwarden(*asked, env=demo, timeout=120)
    assert report.returncode == 0, report.stderr
    review = json.loads(report.stdout)
    step = timedelta(seconds=review["period"]["stepSeconds"])
    starts: dict[str, list[datetime]] = {}
    for row in review["alerts"]:
        starts.setdefault(row["alertname"], []).extend(map(_moment, row["starts"]))
    injected = {i["name"].split()[1]: _moment(i["start"])
                for i in yaml.safe_load(incidents_file.read_text())["incidents"]}  # fmt: skip
    for drill, timeline in RUNS.items():
        for alert, seconds in DETECTED.findall(timeline):
            fired = injected[drill] + timedelta(seconds=float(seconds))
            near = [
                s for s in starts.get(alert, []) if abs(s - fired) <= step + timedelta(seconds=2)
            ]
            assert near, f"{drill}: {alert} fired at {fired}; the review has {starts.get(alert)}"
    scored = {row["alertname"]: row for row in review["incidents"]["alerts"]}
    for alert in ("SLOServiceDown", "SLOHighErrorRate", "HighCPUUsage", "HighMemoryUsage"):
        assert scored[alert]["recall"] == 1, scored[alert]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
