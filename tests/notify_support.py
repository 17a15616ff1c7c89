"""What the notification tests share: a policy, decisions made the way the poller makes them, and
real receivers on loopback for the channels (a PagerDuty-compatible HTTP endpoint, an SMTP server
with STARTTLS and a login).

The SMTP server is aiosmtpd (a test dependency), with a certificate from a throw-away CA
(budgetwarden_dev.devenv.certs); the tests trust that CA through the Mailer's TLS context, or,
for the operator in-process, through SSL_CERT_FILE as an operator in a cluster would.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from budgetwarden.core.budget.snapshot import BudgetSnapshot, SLORef
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.decide import Decision, PolicyState, decide
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, parse_policy
from budgetwarden_dev.devenv.certs import ServingCert, write_serving_cert
from budgetwarden_dev.devenv.processes import free_port

NOW = datetime(2026, 11, 29, 10, 14, tzinfo=UTC)
SMTP_USER, SMTP_PASSWORD = "budgetwarden", "s3cret"


def notifying_policy(*notify: dict[str, Any]) -> ErrorBudgetPolicy:
    """The payments policy in namespace shop, with these spec.notify entries."""
    return parse_policy(
        {
            "metadata": {"name": "payments", "namespace": "shop", "uid": "u-1"},
            "spec": {"notify": list(notify)},
        }
    )


POLICY = notifying_policy({"webhook": {"urlSecretRef": {"name": "slack", "key": "url"}}})


def state(level: Level, freeze_id: str | None = None) -> PolicyState:
    """A previous state at `level`, since the first of the month."""
    return PolicyState(level, datetime(2026, 11, 1, tzinfo=UTC), freeze_id)


def decided(previous: PolicyState | None, **left: str | None) -> Decision:
    """The decision for SLOs with these budgets left (None: no data), after `previous`."""
    snapshots = [
        BudgetSnapshot(
            SLORef("shop", name.replace("_", "-")), NOW, None if value is None else Decimal(value)
        )
        for name, value in left.items()
    ]
    return decide(POLICY, snapshots, previous, NOW, True)


# --- a PagerDuty-compatible endpoint ---------------------------------------------------------
@contextmanager
def events_receiver(answers: tuple[int, ...] = ()) -> Iterator[tuple[str, list[Any]]]:
    """An Events API v2 stand-in on loopback: yields (its URL, every JSON body it was sent).

    It answers 202 as PagerDuty does, after the scripted `answers` (e.g. 500 first) run out.
    """
    bodies: list[Any] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            bodies.append(json.loads(self.rfile.read(length)))
            status = answers[len(bodies) - 1] if len(bodies) <= len(answers) else 202
            reply = json.dumps({"status": "success", "message": "Event processed"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v2/enqueue", bodies
    finally:
        server.shutdown()
        server.server_close()


# --- an SMTP server --------------------------------------------------------------------------
@dataclass
class Mailbox:
    """What the SMTP server accepted, and the replies it gives first (e.g. 451 to be retried)."""

    host: str
    port: int
    ca: Path
    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.refusals:
            return self.refusals.pop(0)
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)  # what the default policy parses into
        self.received.append((envelope.mail_from or "", list(envelope.rcpt_tos), message))
        return "250 OK"


def _login_checker(mailbox: Mailbox) -> Any:
    def check(server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        if ok:
            mailbox.logins.append(SMTP_USER)
        # handled=False: aiosmtpd answers a refusal itself (535), as a real server does
        return AuthResult(success=ok, handled=False)

    return check


@contextmanager
def smtp_server(directory: Path, tls: str = "StartTLS") -> Iterator[Mailbox]:
    """A real SMTP server on loopback, speaking TLS as `tls` says (StartTLS: required before
    anything else, Implicit: from the first byte, Disabled: never); a login needs TLS."""
    cert: ServingCert = write_serving_cert(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert.cert, cert.key)
    mailbox = Mailbox("127.0.0.1", free_port(), cert.ca)
    extra: dict[str, Any] = {"auth_require_tls": True, "authenticator": _login_checker(mailbox)}
    if tls == "StartTLS":
        extra |= {"tls_context": context, "require_starttls": True}
    elif tls == "Implicit":  # aiosmtpd only counts STARTTLS as TLS: the login is allowed here
        extra |= {"ssl_context": context, "auth_require_tls": False}
    # aiosmtpd's controller checks its server by connecting to the port: it needs a real one.
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, **extra)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def trusting(ca: Path) -> ssl.SSLContext:
    """A client TLS context that trusts only the test CA."""
    return ssl.create_default_context(cafile=str(ca))
