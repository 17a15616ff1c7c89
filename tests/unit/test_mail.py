"""Mail delivery against a real SMTP server on loopback (aiosmtpd): STARTTLS, implicit TLS and
plain relays, the login, and retries with backoff only for what may heal, never raising.

Waits between attempts are recorded instead of slept; the SMTP server's certificate comes from a
throw-away CA the Mailer is told to trust (tests/notify_support.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from budgetwarden.adapters.mail import Mail, Mailer, SMTPServer
from budgetwarden.adapters.notify import Delivery, RetryPolicy
from budgetwarden_dev.devenv.processes import free_port
from notify_support import SMTP_PASSWORD, SMTP_USER, Mailbox, smtp_server, trusting

MAIL = Mail(
    sender="budgetwarden@example.com",
    recipients=("oncall@example.com", "payments@example.com"),
    subject="[budgetwarden] FullFreeze: policy payments in namespace shop (Warning → FullFreeze)",
    body="Warning → FullFreeze\nSLO checkout-availability has 5.0% error budget left\n",
)


def send(mailer: Mailer, server: SMTPServer) -> Delivery:
    return asyncio.run(mailer.send(server, MAIL))


def recorded(mailbox: Mailbox | None = None) -> tuple[Mailer, list[float]]:
    """A Mailer trusting the mailbox's CA (if any), recording its waits instead of sleeping."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    if mailbox is None:
        return Mailer(sleep=sleep, timeout_seconds=5), waits
    return Mailer(sleep=sleep, timeout_seconds=5, tls_context=lambda: trusting(mailbox.ca)), waits


def login(mailbox: Mailbox, tls: str = "StartTLS", password: str = SMTP_PASSWORD) -> SMTPServer:
    return SMTPServer(mailbox.host, mailbox.port, tls, SMTP_USER, password)  # type: ignore[arg-type]


@pytest.fixture
def starttls(tmp_path: Path) -> Iterator[Mailbox]:
    with smtp_server(tmp_path) as mailbox:
        yield mailbox


@pytest.mark.parametrize("tls", ["StartTLS", "Implicit"])
def test_a_mail_is_sent_over_tls_with_the_login(tmp_path: Path, tls: str) -> None:
    with smtp_server(tmp_path, tls) as mailbox:
        mailer, waits = recorded(mailbox)
        assert send(mailer, login(mailbox, tls)) == Delivery(True, 1, 250)
    ((sender, recipients, message),) = mailbox.received
    assert (sender, recipients, mailbox.logins, waits) == (
        MAIL.sender, list(MAIL.recipients), [SMTP_USER], []
    )  # fmt: skip
    assert (message["From"], message["To"], message["Subject"]) == (
        MAIL.sender, "oncall@example.com, payments@example.com", MAIL.subject
    )  # fmt: skip
    text = message.get_content().replace("\r\n", "\n")  # SMTP carries CRLF line ends
    assert (message.get_content_type(), text) == ("text/plain", MAIL.body)


def test_a_relay_without_tls_takes_a_mail_without_a_login(tmp_path: Path) -> None:
    with smtp_server(tmp_path, "Disabled") as mailbox:
        mailer, _ = recorded()
        server = SMTPServer(mailbox.host, mailbox.port, "Disabled")
        assert send(mailer, server) == Delivery(True, 1, 250)
    assert [subject for _, _, message in mailbox.received for subject in [message["Subject"]]] == [
        MAIL.subject
    ]


def test_a_password_is_never_sent_without_tls(starttls: Mailbox) -> None:
    mailer, _ = recorded(starttls)
    delivery = send(mailer, login(starttls, "Disabled"))
    assert (delivery, starttls.received) == (
        Delivery(False, 0, None, "a password is never sent without TLS"),
        [],
    )


def test_a_4xx_reply_is_retried_with_backoff(starttls: Mailbox) -> None:
    starttls.refusals += ["451 4.3.0 try again later", "452 4.3.1 insufficient storage"]
    mailer, waits = recorded(starttls)
    assert (send(mailer, login(starttls)), waits) == (Delivery(True, 3, 250), [1.0, 2.0])
    assert len(starttls.received) == 1


@pytest.mark.parametrize(
    ("password", "refusal", "expected"),
    [
        pytest.param(SMTP_PASSWORD, "554 5.7.1 rejected", Delivery(False, 1, 554, "SMTP 554"),
                     id="a 5xx reply is final"),
        pytest.param("wrong", None, Delivery(False, 1, 535, "SMTP 535"),
                     id="a refused login is final"),
    ],
)  # fmt: skip
def test_a_final_refusal_is_not_retried(
    starttls: Mailbox, password: str, refusal: str | None, expected: Delivery
) -> None:
    starttls.refusals += [refusal] if refusal else []
    mailer, waits = recorded(starttls)
    assert (send(mailer, login(starttls, password=password)), waits) == (expected, [])


def test_a_certificate_that_does_not_verify_is_final(starttls: Mailbox) -> None:
    mailer, waits = recorded()  # the system CAs do not know the test CA
    delivery = send(mailer, login(starttls))
    assert (delivery, waits, starttls.received) == (
        Delivery(False, 1, None, "SSLCertVerificationError"), [], []
    )  # fmt: skip


def test_starttls_asked_of_a_server_without_it_is_final(tmp_path: Path) -> None:
    with smtp_server(tmp_path, "Disabled") as mailbox:
        mailer, _ = recorded(mailbox)
        delivery = send(mailer, SMTPServer(mailbox.host, mailbox.port, "StartTLS"))
    assert delivery == Delivery(False, 1, None, "SMTPNotSupportedError")


def test_no_server_is_retried_until_attempts_run_out() -> None:
    mailer, waits = recorded()
    mailer.retry = RetryPolicy(attempts=3)
    server = SMTPServer("127.0.0.1", free_port(), "Disabled")
    assert (send(mailer, server), waits) == (
        Delivery(False, 3, None, "ConnectionRefusedError"), [1.0, 2.0]
    )  # fmt: skip
