"""Sends a policy's notifications to its `spec.notify` channels, and reminds while a freeze lasts.

The poller (runtime/poller.py) calls `changed` once a level change is in status, and `remind`
for every policy on every poll. Each notice goes to each channel on its own detached task
(`Notifier.detach`), so a slow or failing receiver never delays the poll, and a failure is
logged and counted (budgetwarden_notifications_total{channel, outcome="failed"}), never raised.
Credentials (webhook URLs, PagerDuty routing keys, SMTP logins) are read from their Secrets when a
notice is sent, so rotating one needs no restart, and they are never logged.

Reminders are counted from the start of the current level (core.policy.notification
`reminders_due`). This replica remembers how many it sent for each entry; when it has no memory
of a freeze (it just started, or just became the leader), it takes the count as already sent, so
a restart or a new leader never repeats a reminder — at worst, one due during the hand-over is
skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from budgetwarden.adapters.kube import KubeError
from budgetwarden.adapters.mail import Mail, Mailer, SMTPServer
from budgetwarden.adapters.metrics import OperatorMetrics
from budgetwarden.adapters.notify import Delivery, Notifier
from budgetwarden.core.kernel.levels import is_freeze
from budgetwarden.core.policy import spec as policy_spec
from budgetwarden.core.policy.decide import Decision, PolicyState
from budgetwarden.core.policy.notification import (
    DEFAULT_FREEZE_RUNBOOK,
    Notice,
    change_notice,
    reminder_notice,
    reminders_due,
    slack_payload,
)
from budgetwarden.core.policy.notify_email import email_text
from budgetwarden.core.policy.notify_pagerduty import pagerduty_action, pagerduty_event
from budgetwarden.core.policy.spec import (
    EmailNotifier,
    ErrorBudgetPolicy,
    PagerDutyNotifier,
    SecretKeyRef,
    WebhookNotifier,
)
from budgetwarden.runtime.ports import Cluster
from budgetwarden.runtime.registry import Key

logger = logging.getLogger(__name__)
Slot = tuple[Key, int]  # a policy and the index of one spec.notify entry
Work = Coroutine[Any, Any, None]


@dataclass
class Notifications:
    """The notify channels of every policy, and the reminders this replica has sent."""

    kube: Cluster
    metrics: OperatorMetrics
    http: Notifier  # webhooks and PagerDuty; it also tracks every detached task
    mailer: Mailer
    runbook: str = DEFAULT_FREEZE_RUNBOOK
    _reminded: dict[Slot, tuple[datetime, int]] = field(default_factory=dict)

    def changed(
        self, key: Key, policy: ErrorBudgetPolicy, previous: PolicyState | None, decision: Decision
    ) -> None:
        """Announce a level change on every channel; its reminders count from now on."""
        notice = change_notice(policy, previous, decision, self.runbook)
        for index, entry in enumerate(policy.spec.notify):
            self._send((key, index), entry, notice)
            if entry.reminder_every is not None:
                self._reminded[(key, index)] = (_to_the_second(decision.since), 0)

    def remind(
        self, key: Key, policy: ErrorBudgetPolicy, decision: Decision, now: datetime
    ) -> None:
        """Send the reminders that fell due since the last poll, while the policy freezes."""
        if not (is_freeze(decision.level) and decision.freeze_id):
            self._forget({key})
            return
        for index, entry in enumerate(policy.spec.notify):
            if entry.reminder_every is None:
                continue
            count = reminders_due(decision.since, now, entry.reminder_every)
            if self._due((key, index), decision.since, count):
                self._send(
                    (key, index), entry, reminder_notice(policy, decision, now, self.runbook)
                )

    def keep_only(self, keys: Collection[Key]) -> None:
        """Forget the reminders of policies that are gone."""
        self._forget({slot[0] for slot in self._reminded} - set(keys))

    def _forget(self, keys: Collection[Key]) -> None:
        for slot in [slot for slot in self._reminded if slot[0] in keys]:
            del self._reminded[slot]

    def _due(self, slot: Slot, since: datetime, count: int) -> bool:
        """Record that `count` reminders are due for the level that began at `since`; True when
        that is more than were sent. With no record of that level (this replica just started or
        took over) the count is taken as sent."""
        began = _to_the_second(since)
        sent = self._reminded.get(slot)
        self._reminded[slot] = (began, count)
        return sent is not None and sent[0] == began and count > sent[1]

    def _send(self, slot: Slot, entry: policy_spec.Notifier, notice: Notice) -> None:
        key, index = slot
        work: Work | None = None
        if entry.webhook is not None:
            work = self._webhook(key, entry.webhook, notice)
        elif entry.pager_duty is not None:
            # Only a freeze's start, changes and end are pages; Normal <-> Warning is not.
            if pagerduty_action(notice) is not None:
                work = self._pagerduty(key, entry.pager_duty, notice)
        elif entry.email is not None:
            work = self._email(key, entry.email, notice)
        if work is not None:
            self.http.detach(work, name=f"{key} notify[{index}]")

    async def _webhook(self, key: Key, channel: WebhookNotifier, notice: Notice) -> None:
        read = await self._credentials(key, "webhook", ("webhook URL", channel.url_secret_ref))
        if read is not None:
            (url,) = read
            self._record("webhook", key, await self.http.deliver(url, slack_payload(notice)))

    async def _pagerduty(self, key: Key, channel: PagerDutyNotifier, notice: Notice) -> None:
        ref = ("PagerDuty routing key", channel.routing_key_secret_ref)
        read = await self._credentials(key, "pagerduty", ref)
        event = pagerduty_event(notice, read[0]) if read is not None else None
        if event is not None:
            self._record("pagerduty", key, await self.http.deliver(channel.url, event))

    async def _email(self, key: Key, channel: EmailNotifier, notice: Notice) -> None:
        username = password = None
        if (auth := channel.auth) is not None:
            user = ("SMTP user", auth.username_secret_ref)
            read = await self._credentials(
                key, "email", user, ("SMTP password", auth.password_secret_ref)
            )
            if read is None:
                return
            username, password = read
        server = SMTPServer(channel.host, channel.port, channel.tls, username, password)
        text = email_text(notice)
        mail = Mail(channel.sender, channel.to, text.subject, text.body)
        self._record("email", key, await self.mailer.send(server, mail))

    async def _credentials(
        self, key: Key, channel: str, *wanted: tuple[str, SecretKeyRef]
    ) -> list[str] | None:
        """Each credential from its Secret; None, logged and counted as failed, when one is
        missing or unreadable. Values are never logged."""
        values = []
        for what, ref in wanted:
            where = f"Secret {key.namespace}/{ref.name} key {ref.key}"
            try:
                value = await asyncio.to_thread(
                    self.kube.secret_value, key.namespace, ref.name, ref.key
                )
            except KubeError as error:
                logger.warning("cannot read the %s from %s: %s", what, where, error)
                value = None
            if not value:
                logger.warning("no %s in %s; %s not notified by %s", what, where, key, channel)
                self.metrics.notified(channel, False)
                return None
            values.append(value)
        return values

    def _record(self, channel: str, key: Key, delivery: Delivery) -> None:
        self.metrics.notified(channel, delivery.delivered)
        if not delivery.delivered:
            logger.warning(
                "%s notification of %s failed after %d attempts: %s",
                channel, key, delivery.attempts, delivery.error,
            )  # fmt: skip


def _to_the_second(moment: datetime) -> datetime:
    # Status keeps times to the second: the `since` read back must match the one announced.
    return moment.replace(microsecond=0)
