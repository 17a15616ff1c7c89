"""The webhook server alone, without an API server: TLS reload and the HTTP edges.

The server runs in-process on a free loopback port with a serving certificate from
`write_serving_cert`; requests are plain asyncio over TLS (`fetch`). Its limits (body sizes,
malformed bodies, a burst from anyone who can reach it) are in test_webhook_limits.py. The
admission tests on a real API server are in test_admission_webhook.py,
test_admission_exceptions.py and test_admission_fallback.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
from pathlib import Path

from budgetwarden.adapters.webhook_server import ReloadingTLS, WebhookServer
from budgetwarden_dev.devenv.certs import write_serving_cert
from webhook_server_support import echo_routes
from webhook_support import fetch


def test_the_server_answers_reviews_and_says_what_is_wrong(tmp_path: Path) -> None:
    certs = write_serving_cert(tmp_path)
    review = json.dumps({"request": {"uid": "u-1"}}).encode()

    async def scenario() -> list[tuple[int, str]]:
        server = WebhookServer(echo_routes(), ReloadingTLS(certs.cert, certs.key), "127.0.0.1", 0)
        await server.start()
        try:
            return [
                await fetch(server.port, certs.ca, "GET", "/healthz"),
                await fetch(server.port, certs.ca, "POST", "/validate/workloads", review),
                await fetch(server.port, certs.ca, "POST", "/mutate/freezeexceptions", b"{no"),
                await fetch(server.port, certs.ca, "POST", "/validate/freezeexceptions", review),
            ]
        finally:
            await server.stop()

    assert asyncio.run(scenario()) == [
        (200, "ok\n"),
        (200, '{"response":{"uid":"u-1","allowed":true}}'),
        (
            400,
            "/mutate/freezeexceptions: the body is not JSON: Expecting property name enclosed"
            " in double quotes: line 1 column 2 (char 1)\n",
        ),
        (500, "/validate/freezeexceptions: internal error\n"),
    ]


def test_a_renewed_certificate_is_served_from_the_next_handshake(tmp_path: Path) -> None:
    first = write_serving_cert(tmp_path / "first")
    live = tmp_path / "live"
    live.mkdir()
    for name in ("tls.crt", "tls.key"):
        (live / name).write_bytes((tmp_path / "first" / name).read_bytes())
    second = write_serving_cert(tmp_path / "second")  # another CA: only its clients trust it

    async def scenario() -> list[object]:
        tls = ReloadingTLS(live / "tls.crt", live / "tls.key")
        server = WebhookServer(echo_routes(), tls, "127.0.0.1", 0)
        await server.start()
        seen: list[object] = [await fetch(server.port, first.ca, "GET", "/healthz")]
        for name in ("tls.key", "tls.crt"):  # a renewal replaces both files, as kubelet does
            (live / f".{name}").write_bytes((tmp_path / "second" / name).read_bytes())
            os.replace(live / f".{name}", live / name)
        seen.append(await fetch(server.port, second.ca, "GET", "/healthz"))
        try:
            await fetch(server.port, first.ca, "GET", "/healthz")
        except ssl.SSLCertVerificationError as error:
            seen.append(error.verify_message)
        seen.append(tls.reloads)
        await server.stop()
        return seen

    assert asyncio.run(scenario()) == [
        (200, "ok\n"),
        (200, "ok\n"),
        "certificate signature failure",  # both CAs share a name; the old one does not sign
        1,
    ]
