"""What a scenario drill concludes from the alerts it saw: the alert watch's timeline, the
debrief's verdict, and the incident file the alert review reads. Prometheus is replaced by the
list of alerts its API would answer at each poll; tests/e2e/test_drills.py runs the drills."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden.core.report.incidents import parse_incidents
from budgetwarden_dev.demo import incident_record
from budgetwarden_dev.demo.alert_watch import AlertWatch
from budgetwarden_dev.demo.debrief import Debrief
from budgetwarden_dev.demo.scenarios import SCENARIOS
from budgetwarden_dev.demo.timeline import Timeline


def alert(name: str, state: str, priority: str, namespace: str = "demo") -> dict[str, Any]:
    labels = {"alertname": name, "slo_name": "checkout-availability", "slo_namespace": namespace,
              "priority": priority}  # fmt: skip
    return {"labels": labels, "state": state,
            "annotations": {"runbook_url": f"https://runbooks.example/{name}.md"}}  # fmt: skip


class Polls:
    """The alerts Prometheus answers, one list per poll, on a clock that moves 10s a poll."""

    def __init__(self, *answers: list[dict[str, Any]]) -> None:
        self.answers = list(answers)
        self.now = 0.0

    def __call__(self) -> list[dict[str, Any]]:
        self.now += 10
        return self.answers.pop(0)


def watch(polls: Polls) -> tuple[AlertWatch, io.StringIO]:
    out = io.StringIO()
    alerts = AlertWatch(polls, "demo", Timeline(out, clock=lambda: polls.now))
    for _ in range(len(polls.answers)):
        alerts.poll()
    return alerts, out


def test_the_watch_prints_each_state_once_with_priority_and_runbook() -> None:
    polls = Polls(
        [
            alert("SLOServiceDown", "pending", "P0"),
            alert("SLOServiceDown", "pending", "P0", "else"),
        ],
        [alert("SLOServiceDown", "firing", "P0")],
        [alert("SLOServiceDown", "firing", "P0")],
        [],
    )
    _, out = watch(polls)
    assert out.getvalue().splitlines() == [
        "[  10.0s] Prometheus: SLOServiceDown demo/checkout-availability [P0] pending",
        "[  20.0s] Prometheus: SLOServiceDown demo/checkout-availability [P0] firing",
        "           runbook: https://runbooks.example/SLOServiceDown.md",
        "[  40.0s] Prometheus: SLOServiceDown demo/checkout-availability [P0] resolved",
    ]


@pytest.mark.parametrize(
    ("answers", "verdict", "lines"),
    [
        pytest.param(
            [[alert("SLOServiceDown", "firing", "P0")], []],
            "✓ drill service-outage passed: every expected alert fired in time and nothing else "
            "paged",
            ["✓ detected: SLOServiceDown demo/checkout-availability [P0] fired at 10.0s; "
             "resolved at 20.0s (expected within 90s)"],
            id="the expected page in time passes",
        ),
        pytest.param(
            [[alert("SLOServiceDown", "firing", "P0"), alert("SLOErrorBudgetFastBurn", "firing",
                                                             "P1")]],
            "✗ drill service-outage failed: SLOErrorBudgetFastBurn paged",
            ["✓ detected: SLOServiceDown demo/checkout-availability [P0] fired at 10.0s "
             "(expected within 90s)",
             "✗ paged, not expected: SLOErrorBudgetFastBurn demo/checkout-availability [P1] fired "
             "at 10.0s"],
            id="another page fails the drill",
        ),
        pytest.param(
            [[alert("SLOServiceDown", "firing", "P0"), alert("SLOErrorBudgetSlowBurn", "firing",
                                                             "P3")]],
            "✓ drill service-outage passed: every expected alert fired in time and nothing else "
            "paged",
            ["✓ detected: SLOServiceDown demo/checkout-availability [P0] fired at 10.0s "
             "(expected within 90s)",
             "· also fired, not a page: SLOErrorBudgetSlowBurn demo/checkout-availability [P3] "
             "fired at 10.0s"],
            id="a ticket beside the page is listed, not held against the drill",
        ),
        pytest.param(
            [[] for _ in range(10)] + [[alert("SLOServiceDown", "firing", "P0")]],
            "✗ drill service-outage failed: SLOServiceDown late",
            ["✗ late: SLOServiceDown demo/checkout-availability [P0] fired at 110.0s (expected "
             "within 90s)"],
            id="a page after its time is late",
        ),
        pytest.param(
            [[alert("SLOServiceDown", "pending", "P0")], []],
            "✗ drill service-outage failed: SLOServiceDown silent",
            ["✗ silent: SLOServiceDown for checkout-availability did not fire within 90s"],
            id="pending and gone is silent",
        ),
    ],
)  # fmt: skip
def test_the_debrief_passes_only_expected_pages_in_time(
    answers: list[list[dict[str, Any]]], verdict: str, lines: list[str]
) -> None:
    alerts, _ = watch(Polls(*answers))
    out = io.StringIO()
    passed = Debrief(SCENARIOS["service-outage"], alerts, None, began_at=0.0).show(
        Timeline(out, clock=lambda: 0.0)
    )
    printed = out.getvalue().splitlines()
    assert printed[0] == "[   0.0s] debrief of drill service-outage (seconds from the injection):"
    assert [line.strip() for line in printed[1:-1]] == lines
    assert printed[-1] == f"[   0.0s] {verdict}"
    assert passed is verdict.startswith("✓")


def test_an_alert_active_before_the_injection_is_not_the_drills() -> None:
    alerts, _ = watch(Polls([alert("SLOErrorBudgetFastBurn", "firing", "P1")], []))
    out = io.StringIO()
    assert not Debrief(SCENARIOS["service-outage"], alerts, None, began_at=15.0).show(
        Timeline(out, clock=lambda: 0.0)
    )
    assert "paged, not expected" not in out.getvalue()


def test_each_drill_appends_an_incident_the_alert_review_reads(tmp_path: Path) -> None:
    path = tmp_path / "incidents.yaml"
    began = datetime(2026, 12, 6, 12, 0, 0, 400000, tzinfo=UTC)
    incident_record.append(path, SCENARIOS["service-outage"], began, began + timedelta(seconds=33))
    incident_record.append(path, SCENARIOS["traffic-surge"], began, began + timedelta(seconds=0.3))
    incidents = parse_incidents(yaml.safe_load(path.read_text())).incidents
    assert [(i.name, i.start.isoformat(), i.end.isoformat(), i.expects) for i in incidents] == [
        ("drill service-outage 2026-12-06T12:00:00Z", "2026-12-06T12:00:00+00:00",
         "2026-12-06T12:00:33+00:00", ("SLOServiceDown",)),
        ("drill traffic-surge 2026-12-06T12:00:00Z", "2026-12-06T12:00:00+00:00",
         "2026-12-06T12:00:01+00:00", ()),
    ]  # fmt: skip


def test_a_page_the_incident_may_rightly_raise_is_allowed_not_expected() -> None:
    fired = [alert("SLOErrorBudgetFastBurn", "firing", "P1"), alert("SLOHighErrorRate", "firing",
                                                                    "P1")]  # fmt: skip
    alerts, _ = watch(Polls(fired))
    out = io.StringIO()
    assert Debrief(SCENARIOS["fast-burn"], alerts, None, began_at=0.0).show(
        Timeline(out, clock=lambda: 0.0)
    )
    assert (
        "· also paged, allowed for this incident: SLOHighErrorRate demo/checkout-availability [P1]"
        " fired at 10.0s"
    ) in out.getvalue()
