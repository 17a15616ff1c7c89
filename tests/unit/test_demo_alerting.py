"""The demo's alerting path without Alertmanager: the routing it gets, the receiver that records
what it delivers, and the drill's lines about it. tests/alertmanager/ runs the same routing and
receiver with a real Alertmanager; tests/e2e/test_demo_live.py runs the whole demo."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from budgetwarden_dev.demo.alerting import local_routing, prometheus_alerting, shipped_routing
from budgetwarden_dev.demo.notifications import Notifications, describe
from budgetwarden_dev.demo.receiver import Inbox, server
from budgetwarden_dev.demo.timeline import Timeline

PAGE = {"alertname": "SLOErrorBudgetFastBurn", "slo_name": "checkout-availability",
        "slo_namespace": "demo", "priority": "P1", "severity": "page"}  # fmt: skip


TIMINGS = ("group_wait", "group_interval", "repeat_interval")


def routes(route: dict) -> Iterator[dict]:
    yield route
    for child in route.get("routes", []):
        yield from routes(child)


def without_timings(route: dict) -> dict:
    kept = {k: v for k, v in route.items() if k not in (*TIMINGS, "routes")}
    return {**kept, "routes": [without_timings(child) for child in route.get("routes", [])]}


def test_the_demo_routing_keeps_routes_and_inhibition_and_delivers_everything_locally() -> None:
    shipped = shipped_routing()
    local = local_routing(shipped, "http://127.0.0.1:9999")
    assert without_timings(local["route"]) == without_timings(shipped["route"])
    assert local["inhibit_rules"] == shipped["inhibit_rules"]
    assert {r["name"]: r["webhook_configs"] for r in local["receivers"]} == {
        "pager": [{"url": "http://127.0.0.1:9999/pager", "send_resolved": True}],
        "chat": [{"url": "http://127.0.0.1:9999/chat", "send_resolved": True}],
        "ticket": [{"url": "http://127.0.0.1:9999/ticket", "send_resolved": False}],
    }
    assert {r.get("group_wait") for r in routes(local["route"])} == {"2s"}
    assert "global" not in local  # SMTP settings of a ticket receiver that is a webhook now


def test_prometheus_sends_to_the_demo_alertmanager() -> None:
    assert prometheus_alerting("http://127.0.0.1:9093") == {
        "alertmanagers": [{"static_configs": [{"targets": ["127.0.0.1:9093"]}]}]
    }


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    record = tmp_path / "deliveries.jsonl"
    httpd = server(("127.0.0.1", 0), Inbox(record))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", record
    finally:
        httpd.shutdown()
        httpd.server_close()


def notify(url: str, receiver: str, status: str, *alerts: dict[str, str]) -> int:
    body = {"version": "4", "status": status,
            "alerts": [{"status": status, "labels": a, "startsAt": "2026-12-06T12:00:00Z"}
                       for a in alerts]}  # fmt: skip
    return httpx.post(f"{url}/{receiver}", json=body, trust_env=False).status_code


def test_the_receiver_records_each_alert_of_each_notification(receiver: tuple[str, Path]) -> None:
    url, record = receiver
    ticket = {**PAGE, "alertname": "SLOErrorBudgetSlowBurn", "priority": "P3"}
    assert notify(url, "pager", "firing", PAGE) == 200
    assert notify(url, "ticket", "firing", ticket, ticket) == 200
    assert httpx.post(f"{url}/chat", content=b"not json", trust_env=False).status_code == 400
    listed = httpx.get(f"{url}/deliveries", trust_env=False).json()
    assert [(d["receiver"], d["labels"]["alertname"], d["status"]) for d in listed] == [
        ("pager", "SLOErrorBudgetFastBurn", "firing"),
        ("ticket", "SLOErrorBudgetSlowBurn", "firing"),
        ("ticket", "SLOErrorBudgetSlowBurn", "firing"),
    ]
    assert [json.loads(line) for line in record.read_text().splitlines()] == listed


def test_the_drill_prints_each_delivery_once_and_a_summary_by_receiver(
    receiver: tuple[str, Path],
) -> None:
    url, _ = receiver
    out = io.StringIO()
    notifications = Notifications(url, Timeline(out, clock=lambda: 0.0))
    notify(url, "pager", "firing", PAGE)
    notify(url, "chat", "firing", PAGE)
    assert [d.receiver for d in notifications.poll()] == ["pager", "chat"]
    assert notifications.poll() == []
    notify(url, "pager", "resolved", PAGE)
    notifications.summary()
    assert notifications.delivered("pager", "SLOErrorBudgetFastBurn")
    assert notifications.delivered("pager", "SLOErrorBudgetFastBurn", "resolved")
    assert not notifications.delivered("chat", "SLOErrorBudgetFastBurn", "resolved")
    page = "SLOErrorBudgetFastBurn demo/checkout-availability [P1]"
    assert out.getvalue().splitlines() == [
        f"[   0.0s] Alertmanager → pager: {page} firing",
        f"[   0.0s] Alertmanager → chat: {page} firing",
        f"[   0.0s] Alertmanager → pager: {page} resolved",
        "[   0.0s] Alertmanager delivered, by receiver (alerts silenced by inhibition are not"
        " delivered):",
        "           chat:",
        f"                0.0s {page} firing",
        "           pager:",
        f"                0.0s {page} firing",
        f"                0.0s {page} resolved",
    ]


def test_a_receiver_that_stops_answering_is_said_once_and_the_drill_goes_on() -> None:
    out = io.StringIO()
    notifications = Notifications("http://127.0.0.1:9", Timeline(out, clock=lambda: 0.0))
    assert notifications.poll() == [] and notifications.poll() == []
    assert len(out.getvalue().splitlines()) == 1
    assert "stopped answering" in out.getvalue()


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (PAGE, "SLOErrorBudgetFastBurn demo/checkout-availability [P1]"),
        ({"alertname": "SLOServiceDown", "namespace": "shop", "service": "checkout",
          "priority": "P0"}, "SLOServiceDown shop/checkout [P0]"),
        ({**PAGE, "alertname": "SLOErrorBudgetLow", "slo_budget_level": "PartialFreeze",
          "priority": "P2"}, "SLOErrorBudgetLow demo/checkout-availability PartialFreeze [P2]"),
        ({"alertname": "Watchdog"}, "Watchdog [no priority]"),
    ],
)  # fmt: skip
def test_an_alert_is_described_by_name_subject_level_and_priority(
    labels: dict[str, str], expected: str
) -> None:
    assert describe(labels) == expected
