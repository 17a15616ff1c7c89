"""Sends plain-text mail through an SMTP server with smtplib, retrying with backoff.

runtime/notifications.py builds the text (core/policy/notify_email.py), reads the login from its
Secrets and calls `Mailer.send` on a task detached from the poll. smtplib blocks, so each attempt
runs in a thread; the waits between attempts do not. Like the webhook adapter (adapters/notify.py,
whose `RetryPolicy` and `Delivery` it shares), it retries what may heal: no connection, timeouts,
a dropped connection and 4xx replies (the SMTP way of saying "try again later"). 5xx replies, a
refused login, a certificate that does not verify or a server without STARTTLS are final.

smtplib is enough here: one message per notice, to a handful of recipients, over a fresh
connection. A library such as aiosmtplib would save the thread but not a line of what matters
(TLS modes, login, error classes), and adds a dependency to the operator's image.

The certificate is checked against the system's CA bundle (`ssl.create_default_context`, which
reads SSL_CERT_FILE when set). A password is only ever sent over TLS: the CRD refuses `auth`
with `tls: Disabled`, and `send` refuses it again rather than trust that.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal

from budgetwarden.adapters.notify import Delivery, RetryPolicy, Sleep

logger = logging.getLogger(__name__)
Security = Literal["StartTLS", "Implicit", "Disabled"]
ContextFactory = Callable[[], ssl.SSLContext]


@dataclass(frozen=True)
class SMTPServer:
    """Where to send and how: host, port, TLS mode, and the login when there is one."""

    host: str
    port: int
    tls: Security = "StartTLS"
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Mail:
    """One plain-text message."""

    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str


class Mailer:
    """Sends `Mail` through an `SMTPServer`; never raises, answers a `Delivery`."""

    def __init__(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout_seconds: float = 10.0,
        tls_context: ContextFactory = ssl.create_default_context,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.timeout_seconds = timeout_seconds
        self._tls_context = tls_context
        self._sleep = sleep

    async def send(self, server: SMTPServer, mail: Mail) -> Delivery:
        """Send `mail` until the server accepts it, a final error, or attempts run out."""
        if server.password is not None and server.tls == "Disabled":
            return Delivery(False, 0, None, "a password is never sent without TLS")
        message = _message(mail)
        last = Delivery(False, 0)
        for attempt in range(1, self.retry.attempts + 1):
            last, retry = await asyncio.to_thread(self._attempt, server, message, attempt)
            if last.delivered or not retry:
                return last
            if attempt < self.retry.attempts:
                await self._sleep(self.retry.delay(attempt))
        return last

    def _attempt(
        self, server: SMTPServer, message: EmailMessage, attempt: int
    ) -> tuple[Delivery, bool]:
        """One connection and one message; the flag says whether another attempt may help."""
        try:
            refused = self._transmit(server, message)
        except smtplib.SMTPRecipientsRefused as error:  # every recipient refused
            codes = [code for code, _ in error.recipients.values()]
            delivery = Delivery(False, attempt, codes[0] if codes else None, "recipients refused")
            return delivery, all(400 <= code < 500 for code in codes)
        except smtplib.SMTPResponseException as error:  # a reply code: 4xx heals, 5xx does not
            code = error.smtp_code
            return Delivery(False, attempt, code, f"SMTP {code}"), 400 <= code < 500
        except (ssl.SSLCertVerificationError, smtplib.SMTPNotSupportedError) as error:
            return Delivery(False, attempt, None, type(error).__name__), False
        except (smtplib.SMTPServerDisconnected, OSError) as error:  # no connection, timeout
            return Delivery(False, attempt, None, type(error).__name__), True
        except smtplib.SMTPException as error:  # no login method in common, and the like
            return Delivery(False, attempt, None, type(error).__name__), False
        if refused:  # some recipients took it; the others are named, addresses are no secret
            logger.warning("mail %s refused by the server for %s", message["Subject"], refused)
        return Delivery(True, attempt, 250), False

    def _transmit(self, server: SMTPServer, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        timeout = self.timeout_seconds
        smtp: smtplib.SMTP
        if server.tls == "Implicit":
            context = self._tls_context()
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with smtp:
            if server.tls == "StartTLS":
                smtp.starttls(context=self._tls_context())
            if server.username is not None and server.password is not None:
                smtp.login(server.username, server.password)
            return smtp.send_message(message)


def _message(mail: Mail) -> EmailMessage:
    """The MIME message: quoted-printable text, so a server without 8BITMIME takes it too."""
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.recipients)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    # A domain of our own: make_msgid's default asks DNS for this host's name on every mail.
    message["Message-ID"] = make_msgid(domain=mail.sender.rpartition("@")[2] or "budgetwarden")
    message.set_content(mail.body, cte="quoted-printable")
    return message
