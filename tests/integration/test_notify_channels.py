"""PagerDuty, e-mail and reminders from the real operator to real receivers on loopback.

The API server and Prometheus are real (Prometheus scrapes `RecordedSeries`, the stand-in for the
recording rules, tests/poller_support.py); so are the receivers: an HTTP server speaking the
PagerDuty Events API v2 and an SMTP server (aiosmtpd) that requires STARTTLS and a login, whose
certificate the operator trusts through SSL_CERT_FILE as it would in a cluster
(tests/notify_support.py). The first test runs the whole operator (KopfRunner); reminders count
hours, so the second runs the operator's own Poller with its clock moved forward between polls.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from budget_support import RecordedSeries, chat_receiver
from budgetwarden.adapters.kube import Kube
from budgetwarden.adapters.metrics import OperatorMetrics
from budgetwarden.adapters.notify import Notifier
from budgetwarden.adapters.prometheus import PrometheusReader, PrometheusSettings
from budgetwarden.runtime.poller import Poller
from budgetwarden.runtime.registry import Registry
from budgetwarden.runtime.reporting import utcnow
from budgetwarden_dev.devenv.cluster import Cluster
from budgetwarden_dev.devenv.prometheus import PrometheusProcess
from notify_support import SMTP_PASSWORD, SMTP_USER, Mailbox, events_receiver, smtp_server
from operator_support import apply, get, running_operator, wait_for
from poller_support import (
    SLO_NAME,
    operator_metrics_fixture,  # noqa: F401
    policy,
    policy_where,
    prometheus_fixture,  # noqa: F401
    recorded_fixture,  # noqa: F401
    scraped,
    slo,
)

pytestmark = [pytest.mark.cluster, pytest.mark.promtool]


def secret(namespace: str, name: str, **data: str) -> dict[str, Any]:
    encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "data": encoded,
    }


def channels(events_url: str, mailbox: Mailbox, tls: str = "StartTLS") -> list[dict[str, Any]]:
    """spec.notify: PagerDuty at `events_url`, mail to the mailbox (with its login over TLS)."""
    email: dict[str, Any] = {
        "host": mailbox.host, "port": mailbox.port, "tls": tls,
        "from": "budgetwarden@example.com", "to": ["oncall@example.com"],
    }  # fmt: skip
    if tls != "Disabled":
        email["auth"] = {
            "usernameSecretRef": {"name": "smtp", "key": "username"},
            "passwordSecretRef": {"name": "smtp", "key": "password"},
        }
    pagerduty = {"routingKeySecretRef": {"name": "pagerduty", "key": "routing-key"}}
    return [{"pagerDuty": pagerduty | {"url": events_url}}, {"email": email}]


def notifying(cluster: Cluster, namespace: str, notify: list[dict[str, Any]]) -> None:
    """The credentials, the SLO, and the payments policy with `notify` and a short hold."""
    apply(cluster, secret(namespace, "pagerduty", **{"routing-key": "R0UT1NGKEY"}))
    apply(cluster, secret(namespace, "smtp", username=SMTP_USER, password=SMTP_PASSWORD))
    apply(cluster, slo(namespace))
    hysteresis = {"minimumHold": "1s", "exitMarginPercent": "5"}
    apply(cluster, policy(namespace, notify=notify, hysteresis=hysteresis))


@pytest.fixture
def receivers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[str, list[Any], Mailbox]]:
    """(the Events API URL, the events it got, the mailbox); the operator trusts the SMTP CA."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with events_receiver() as (url, events), smtp_server(tmp_path) as mailbox:
        monkeypatch.setenv("SSL_CERT_FILE", str(mailbox.ca))
        yield url, events, mailbox


def assert_first_page(trigger: dict[str, Any], namespace: str, freeze: str) -> None:
    """The event that opens the freeze's alert: keyed by the freeze id, with what on-call needs."""
    assert {k: trigger[k] for k in ("routing_key", "event_action", "dedup_key", "client")} == {
        "routing_key": "R0UT1NGKEY", "event_action": "trigger", "dedup_key": freeze,
        "client": "budgetwarden",
    }  # fmt: skip
    payload = trigger["payload"]
    assert (payload["summary"], payload["severity"], payload["source"]) == (
        f"[budgetwarden] {namespace}/payments: Level set to PartialFreeze — SLO {SLO_NAME} has "
        "21.4% error budget left (partial freeze below 30%)",
        "error",
        f"{namespace}/payments",
    )
    details = payload["custom_details"]
    assert (details["slo"], details["budget_remaining_percent"], details["level"]) == (
        SLO_NAME, "21.4", "PartialFreeze"
    )  # fmt: skip
    assert details["runbook"].endswith("/freeze.md")


def test_a_freeze_pages_and_mails_and_its_thaw_resolves_the_page(
    cluster: Cluster,
    namespace: str,
    recorded: RecordedSeries,
    prometheus: PrometheusProcess,
    operator_metrics: str,
    receivers: tuple[str, list[Any], Mailbox],
) -> None:
    url, events, mailbox = receivers
    recorded.set(namespace, SLO_NAME, "0.214", w1h="1")
    scraped(prometheus, namespace, SLO_NAME)
    notifying(cluster, namespace, channels(url, mailbox))
    with running_operator(namespace):
        frozen = policy_where(cluster, namespace, level="PartialFreeze")
        wait_for("the page and the mail", lambda: events and mailbox.received)
        recorded.set(namespace, SLO_NAME, "0.05", w1h="1")
        policy_where(cluster, namespace, level="FullFreeze")
        recorded.set(namespace, SLO_NAME, "0.9", w1h="1")
        policy_where(cluster, namespace, level="Normal")
        wait_for("three events and three mails",
                 lambda: len(events) == 3 and len(mailbox.received) == 3)  # fmt: skip
    freeze = frozen["status"]["freezeId"]
    assert_first_page(events[0], namespace, freeze)
    severities = [(e["event_action"], e["dedup_key"], e.get("payload", {}).get("severity"))
                  for e in events]  # fmt: skip
    assert severities == [
        ("trigger", freeze, "error"), ("trigger", freeze, "critical"), ("resolve", freeze, None)
    ]  # fmt: skip
    assert [message["Subject"] for _, _, message in mailbox.received] == [
        f"[budgetwarden] PartialFreeze: policy payments in namespace {namespace} "
        "(Level set to PartialFreeze)",
        f"[budgetwarden] FullFreeze: policy payments in namespace {namespace} "
        "(PartialFreeze → FullFreeze)",
        f"[budgetwarden] Normal: policy payments in namespace {namespace} (FullFreeze → Normal)",
    ]
    assert mailbox.logins == [SMTP_USER] * 3
    assert {(sender, tuple(to)) for sender, to, _ in mailbox.received} == {
        ("budgetwarden@example.com", ("oncall@example.com",))
    }


# --- reminders -------------------------------------------------------------------------------
class SkewedClock:
    """The operator's clock, moved forward by hand."""

    def __init__(self) -> None:
        self.ahead = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.ahead


async def poll_at(cluster: Cluster, namespace: str, poller: Poller) -> None:
    """One poll at the clock's time, over the SLO and the policy as the cluster holds them (as the
    watch would deliver them); then wait for every notification it sent."""
    for plural, name in (("slos", SLO_NAME), ("errorbudgetpolicies", "payments")):
        found = await asyncio.to_thread(get, cluster, plural, name, namespace)
        poller.registry.observe(plural, None, found or {})
    await poller.poll()
    while poller.notifier.pending:
        await asyncio.sleep(0.05)


def sent_at(
    cluster: Cluster,
    namespace: str,
    prometheus: PrometheusProcess,
    received: tuple[list[Any], ...],
    minutes: tuple[int, ...],
) -> list[int]:
    """Polls with the operator's clock that many minutes ahead; how much was received after each."""
    kube, clock = Kube.from_environment(str(cluster.kubeconfig)), SkewedClock()
    poller = Poller(
        registry=Registry(), kube=kube, reader=PrometheusReader(PrometheusSettings(prometheus.url)),
        metrics=OperatorMetrics(), notifier=Notifier(trust_env=False),
        interval=timedelta(seconds=1), max_age=timedelta(seconds=90),
        status_refresh=timedelta(minutes=10), clock=clock,
    )  # fmt: skip

    async def polls() -> list[int]:
        counts = []
        for ahead in minutes:
            clock.ahead = timedelta(minutes=ahead)
            await poll_at(cluster, namespace, poller)
            counts.append(sum(len(items) for items in received))
        await poller.notifier.aclose()
        return counts

    try:
        return asyncio.run(polls())
    finally:
        kube.close()


def test_reminders_come_every_period_while_the_freeze_lasts(
    cluster: Cluster,
    namespace: str,
    recorded: RecordedSeries,
    prometheus: PrometheusProcess,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    recorded.set(namespace, SLO_NAME, "0.214", w1h="1")
    scraped(prometheus, namespace, SLO_NAME)
    with (
        events_receiver() as (url, events),
        smtp_server(tmp_path, "Disabled") as mailbox,
        chat_receiver("/hook") as (hook, chat),
    ):
        apply(cluster, secret(namespace, "slack", url=hook))
        webhook = {"webhook": {"urlSecretRef": {"name": "slack", "key": "url"}}}
        notify = [webhook, *channels(url, mailbox, "Disabled")]
        notifying(cluster, namespace, [entry | {"reminderEvery": "1h"} for entry in notify])
        received = (events, mailbox.received, chat)
        counts = sent_at(cluster, namespace, prometheus, received, minutes=(0, 30, 61, 62, 125))
    # The change: one per channel; nothing at 30m; reminders at 1h and at 2h, and not at 62m.
    assert counts == [3, 3, 6, 6, 9]
    assert [body["text"].split(" — ")[0] for body in chat] == [
        f"[budgetwarden] {namespace}/payments: Level set to PartialFreeze",
        f"[budgetwarden] {namespace}/payments: still PartialFreeze after 1h1m",
        f"[budgetwarden] {namespace}/payments: still PartialFreeze after 2h5m",
    ]
    assert [(e["event_action"], e["payload"]["custom_details"]["what"]) for e in events] == [
        ("trigger", "Level set to PartialFreeze"),
        ("trigger", "still PartialFreeze after 1h1m"),
        ("trigger", "still PartialFreeze after 2h5m"),
    ]
    scope = f"policy payments in namespace {namespace}"
    assert [m["Subject"] for _, _, m in mailbox.received][1:] == [
        f"[budgetwarden] Reminder: PartialFreeze for 1h1m: {scope}",
        f"[budgetwarden] Reminder: PartialFreeze for 2h5m: {scope}",
    ]
    assert json.dumps(events).count("R0UT1NGKEY") == 3
