"""Webhook delivery: retries with backoff on transient failures, none on final ones, never raising.

The retry logic runs against httpx's MockTransport (answers scripted per attempt, waits recorded
instead of slept); one test posts to a real HTTP receiver on loopback.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from budgetwarden.adapters.notify import Delivery, Notifier, RetryPolicy

URL = "https://hooks.example/services/T0/B0/secret"
PAYLOAD = {"text": "[budgetwarden] shop/payments: Warning → PartialFreeze"}
Answer = int | type[httpx.HTTPError] | tuple[int, dict[str, str]]


def scripted(answers: list[Answer]) -> tuple[Notifier, list[httpx.Request], list[float]]:
    """A Notifier whose attempts get `answers` in turn; the requests and waits are recorded."""
    requests: list[httpx.Request] = []
    waits: list[float] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        answer = answers[min(len(requests), len(answers)) - 1]
        if isinstance(answer, type):
            raise answer("scripted failure", request=request)
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        return httpx.Response(status, headers=headers, text="ok")

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    notifier = Notifier(transport=httpx.MockTransport(handle), sleep=sleep)
    return notifier, requests, waits


def deliver(notifier: Notifier) -> Delivery:
    async def go() -> Delivery:
        try:
            return await notifier.deliver(URL, PAYLOAD)
        finally:
            await notifier.aclose()

    return asyncio.run(go())


DELIVERY_RETRIES = [
    pytest.param([200], Delivery(True, 1, 200), [], id="accepted at once"),
    pytest.param(
        [503, 502, 200], Delivery(True, 3, 200), [1.0, 2.0], id="5xx is retried with backoff"
    ),
    pytest.param(
        [httpx.ConnectError, httpx.ReadTimeout, 204],
        Delivery(True, 3, 204),
        [1.0, 2.0],
        id="connection failures and timeouts are retried",
    ),
    pytest.param(
        [(429, {"Retry-After": "7"}), 200],
        Delivery(True, 2, 200),
        [7.0],
        id="a 429 waits as long as Retry-After asks",
    ),
    pytest.param(
        [(429, {"Retry-After": "3600"}), 200],
        Delivery(True, 2, 200),
        [30.0],
        id="Retry-After is capped",
    ),
    pytest.param(
        [404], Delivery(False, 1, 404, "HTTP 404"), [], id="a 404 is final: the URL is wrong"
    ),
    pytest.param(
        [403], Delivery(False, 1, 403, "HTTP 403"), [], id="a 403 is final: the URL is revoked"
    ),
    pytest.param(
        [500],
        Delivery(False, 5, 500, "HTTP 500"),
        [1.0, 2.0, 4.0, 8.0],
        id="five failed attempts give up, waiting 1, 2, 4 and 8 seconds between them",
    ),
]


@pytest.mark.parametrize(("answers", "expected", "waits"), DELIVERY_RETRIES)
def test_delivery_retries_only_what_may_heal(
    answers: list[Answer], expected: Delivery, waits: list[float]
) -> None:
    notifier, requests, recorded = scripted(answers)
    assert (deliver(notifier), recorded) == (expected, waits)
    assert {json.loads(r.content) == PAYLOAD for r in requests} == {True}


def test_backoff_doubles_up_to_its_cap() -> None:
    retry = RetryPolicy(attempts=10, first_delay=1.0, max_delay=30.0)
    assert [retry.delay(n) for n in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_a_bad_url_is_final_and_raises_nothing() -> None:
    notifier = Notifier(sleep=lambda _: asyncio.sleep(0))

    async def go() -> Delivery:
        try:
            return await notifier.deliver("ftp://hooks.example/x", PAYLOAD)
        finally:
            await notifier.aclose()

    assert asyncio.run(go()) == Delivery(False, 1, None, "UnsupportedProtocol")


def test_a_detached_notification_never_blocks_or_fails_its_caller() -> None:
    release = asyncio.Event()

    async def slow_then_broken() -> None:
        await release.wait()
        raise RuntimeError("webhook exploded")

    async def go() -> tuple[int, int, bool]:
        notifier = Notifier()
        task = notifier.detach(slow_then_broken(), name="shop/payments notify[0]")
        pending_while_running = notifier.pending
        release.set()
        await asyncio.wait({task})
        failed = task.exception() is not None
        await notifier.aclose()
        return pending_while_running, notifier.pending, failed

    assert asyncio.run(go()) == (1, 0, True)


# --- a real receiver -------------------------------------------------------------------------
class Receiver(BaseHTTPRequestHandler):
    """Answers 503 to the first POST and 200 afterwards, keeping every body."""

    bodies: ClassVar[list[Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(503 if len(self.bodies) == 1 else 200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[Any]]]:
    bodies: ClassVar[list[Any]] = []
    handler = type("Handler", (Receiver,), {"bodies": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    server.shutdown()
    server.server_close()


def test_a_real_receiver_gets_the_payload_after_one_retry(receiver: tuple[str, list[Any]]) -> None:
    url, bodies = receiver
    notifier = Notifier(retry=RetryPolicy(first_delay=0.01), trust_env=False)

    async def go() -> Delivery:
        try:
            return await notifier.deliver(url, PAYLOAD)
        finally:
            await notifier.aclose()

    assert (asyncio.run(go()), bodies) == (Delivery(True, 2, 200), [PAYLOAD, PAYLOAD])
