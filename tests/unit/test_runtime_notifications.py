"""Which channel hears of what, and when reminders go out: the notification runtime on fakes.

Secrets come from a fake cluster, HTTP goes to httpx's MockTransport and mail to a recording
Mailer, so each case is a few lines of what was sent. The real receivers are in test_mail.py,
test_notify.py and tests/integration/test_notify_channels.py.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx

from budgetwarden.adapters.mail import Mail, Mailer, SMTPServer
from budgetwarden.adapters.metrics import OperatorMetrics
from budgetwarden.adapters.notify import Delivery, Notifier
from budgetwarden.core.budget.snapshot import SLORef
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.decide import Decision
from budgetwarden.runtime.notifications import Notifications
from notify_support import NOW, decided, notifying_policy, state
from runtime_fakes import FakeCluster

KEY = SLORef("shop", "payments")
HOOK, EVENTS = "https://hooks.example/T0/B0/x", "https://events.example/v2/enqueue"
EVERY_HOUR = {"reminderEvery": "1h"}
WEBHOOK = {"webhook": {"urlSecretRef": {"name": "slack", "key": "url"}}}
PAGERDUTY = {"pagerDuty": {"routingKeySecretRef": {"name": "pd", "key": "key"}, "url": EVENTS}}
EMAIL = {
    "email": {
        "host": "smtp.example.com",
        "from": "budgetwarden@example.com",
        "to": ["oncall@example.com"],
        "auth": {
            "usernameSecretRef": {"name": "smtp", "key": "username"},
            "passwordSecretRef": {"name": "smtp", "key": "password"},
        },
    }
}
SECRETS = {
    ("shop", "slack", "url"): HOOK,
    ("shop", "pd", "key"): "R0UT1NG",
    ("shop", "smtp", "username"): "bw",
    ("shop", "smtp", "password"): "s3cret",
}
FREEZE = decided(None, checkout_availability="21.4")  # PartialFreeze since NOW


class RecordingMailer(Mailer):
    """Records what it would send instead of speaking SMTP."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[SMTPServer, Mail]] = []

    async def send(self, server: SMTPServer, mail: Mail) -> Delivery:
        self.sent.append((server, mail))
        return Delivery(True, 1, 250)


class Sent:
    """Notifications wired to fakes, and what each channel received, in order."""

    def __init__(self, secrets: dict[tuple[str, str, str], str] | None = None) -> None:
        self.posts: list[tuple[str, Any]] = []
        self.mailer = RecordingMailer()
        self.metrics = OperatorMetrics()
        transport = httpx.MockTransport(self._post)
        cluster = FakeCluster(secrets=dict(SECRETS if secrets is None else secrets))
        self.runtime = Notifications(
            cluster, self.metrics, Notifier(transport=transport), self.mailer
        )

    def _post(self, request: httpx.Request) -> httpx.Response:
        self.posts.append((str(request.url), json.loads(request.content)))
        return httpx.Response(202 if str(request.url) == EVENTS else 200)

    def run(self, *steps: Any) -> list[str]:
        """Run (method, args) steps on one event loop, then wait for every detached task; a
        line per message sent: the channel and the headline or action."""
        before = len(self.posts), len(self.mailer.sent)

        async def go() -> None:
            for method, *args in steps:
                getattr(self.runtime, method)(*args)
            while self.runtime.http.pending:
                await asyncio.sleep(0.01)

        asyncio.run(go())
        posts, mails = self.posts[before[0] :], self.mailer.sent[before[1] :]
        return [_line(url, body) for url, body in posts] + [
            f"email {mail.subject}" for _, mail in mails
        ]

    def count(self, channel: str, outcome: str) -> float:
        labels = {"channel": channel, "outcome": outcome}
        return self.metrics.registry.get_sample_value("budgetwarden_notifications_total", labels)


def _line(url: str, body: dict[str, Any]) -> str:
    if url == EVENTS:
        return f"pagerduty {body['event_action']} {body['dedup_key']}"
    return f"webhook {body['attachments'][0]['title']}"


def remind(policy: Any, decision: Decision, after: timedelta) -> tuple[Any, ...]:
    return ("remind", KEY, policy, decision, NOW + after)


def test_a_freeze_goes_to_every_channel_with_its_credentials() -> None:
    sent = Sent()
    policy = notifying_policy(WEBHOOK, PAGERDUTY, EMAIL)
    assert sent.run(("changed", KEY, policy, state(Level.WARNING), FREEZE)) == [
        "webhook [budgetwarden] shop/payments: Warning → PartialFreeze",
        "pagerduty trigger fz-2f9521",
        "email [budgetwarden] PartialFreeze: policy payments in namespace shop "
        "(Warning → PartialFreeze)",
    ]
    ((server, mail),) = sent.mailer.sent
    assert (server, mail.sender, mail.recipients) == (
        SMTPServer("smtp.example.com", 587, "StartTLS", "bw", "s3cret"),
        "budgetwarden@example.com",
        ("oncall@example.com",),
    )
    assert sent.posts[1][1]["routing_key"] == "R0UT1NG"
    assert [sent.count(ch, "delivered") for ch in ("webhook", "pagerduty", "email")] == [1, 1, 1]


def test_a_change_outside_a_freeze_is_not_paged() -> None:
    sent = Sent()
    policy = notifying_policy(WEBHOOK, PAGERDUTY, EMAIL)
    warning = decided(state(Level.NORMAL), checkout_availability="40")
    assert sent.run(("changed", KEY, policy, state(Level.NORMAL), warning)) == [
        "webhook [budgetwarden] shop/payments: Normal → Warning",
        "email [budgetwarden] Warning: policy payments in namespace shop (Normal → Warning)",
    ]


def test_reminders_go_out_once_per_period_while_the_freeze_lasts() -> None:
    sent = Sent()
    policy = notifying_policy(WEBHOOK | EVERY_HOUR, PAGERDUTY | EVERY_HOUR, EMAIL)
    sent.run(("changed", KEY, policy, state(Level.WARNING), FREEZE))
    thaw = decided(None, checkout_availability="90")
    assert thaw.level is Level.NORMAL
    assert [
        sent.run(remind(policy, FREEZE, timedelta(minutes=30))),
        sent.run(remind(policy, FREEZE, timedelta(hours=1, seconds=1))),
        sent.run(remind(policy, FREEZE, timedelta(hours=1, minutes=30))),
        sent.run(remind(policy, FREEZE, timedelta(hours=3))),
        sent.run(remind(policy, thaw, timedelta(hours=4))),
    ] == [
        [],
        [
            "webhook [budgetwarden] shop/payments: still PartialFreeze after 1h",
            "pagerduty trigger fz-2f9521",
        ],
        [],
        [  # two periods passed since the last poll (an outage, say): one reminder, not two
            "webhook [budgetwarden] shop/payments: still PartialFreeze after 3h",
            "pagerduty trigger fz-2f9521",
        ],
        [],
    ]


def test_a_new_leader_or_a_restart_neither_repeats_nor_bursts_reminders() -> None:
    sent = Sent()  # remembers nothing of the freeze announced before it started
    policy = notifying_policy(WEBHOOK | EVERY_HOUR)
    assert [
        sent.run(remind(policy, FREEZE, timedelta(hours=5, minutes=10))),
        sent.run(remind(policy, FREEZE, timedelta(hours=5, minutes=50))),
        sent.run(remind(policy, FREEZE, timedelta(hours=6))),
    ] == [[], [], ["webhook [budgetwarden] shop/payments: still PartialFreeze after 6h"]]


def test_a_level_change_inside_the_freeze_starts_the_count_again() -> None:
    sent = Sent()
    policy = notifying_policy(WEBHOOK | EVERY_HOUR)
    sent.run(("changed", KEY, policy, state(Level.WARNING), FREEZE))
    later = NOW + timedelta(minutes=50)
    worse = Decision(**{**vars(decided(FREEZE.state, checkout_availability="5")), "since": later})
    assert worse.level is Level.FULL_FREEZE
    assert [
        sent.run(("changed", KEY, policy, FREEZE.state, worse)),
        sent.run(remind(policy, worse, timedelta(hours=1, minutes=10))),
        sent.run(remind(policy, worse, timedelta(hours=1, minutes=50))),
    ] == [
        ["webhook [budgetwarden] shop/payments: PartialFreeze → FullFreeze"],
        [],
        ["webhook [budgetwarden] shop/payments: still FullFreeze after 1h"],
    ]


def test_a_missing_credential_is_logged_and_counted_never_raised(caplog: Any) -> None:
    sent = Sent(secrets={("shop", "slack", "url"): HOOK})
    policy = notifying_policy(WEBHOOK, PAGERDUTY, EMAIL)
    assert sent.run(("changed", KEY, policy, state(Level.WARNING), FREEZE)) == [
        "webhook [budgetwarden] shop/payments: Warning → PartialFreeze"
    ]
    assert [sent.count(ch, "failed") for ch in ("pagerduty", "email")] == [1, 1]
    assert "no PagerDuty routing key in Secret shop/pd key key" in caplog.text
    assert "R0UT1NG" not in caplog.text and HOOK not in caplog.text


def test_reminders_of_policies_that_are_gone_are_forgotten() -> None:
    sent = Sent()
    policy = notifying_policy(WEBHOOK | EVERY_HOUR)
    sent.run(("changed", KEY, policy, state(Level.WARNING), FREEZE), ("keep_only", []))
    # Forgotten: the next poll counts as a first sight, as after a restart.
    assert [
        sent.run(remind(policy, FREEZE, timedelta(hours=1))),
        sent.run(remind(policy, FREEZE, timedelta(hours=2))),
    ] == [[], ["webhook [budgetwarden] shop/payments: still PartialFreeze after 2h"]]
