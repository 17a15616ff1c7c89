"""What one admission request, and a burst of them, may cost the operator's process.

Used by adapters/webhook_server.py, whose `WebhookServer` puts every admission route behind one
`Gate`. Anyone who can reach the webhook port can send anything, and the server shares its process
and event loop with the rest of the operator (the poller, the watches), so (docs/admission.md):

- a body over MAX_BODY_BYTES gets 413, from its Content-Length before it is read, or counted
  while it is read when it comes without one;
- a body over LARGE_BODY_BYTES (or of unknown size) is read and decoded only while no other one
  is, in a thread of its own, and large bodies take at most LARGE_SHARE of the time; at most
  LARGE_QUEUE are in the server at once, because each one waiting fills about 1 MiB of TLS and
  HTTP buffers, and the next gets 413 with Retry-After;
- smaller bodies are read as they come and decoded DECODE_SLOTS - 1 at once in the gate's own
  threads (kopf's executor stays free); at most SMALL_QUEUE are in hand, and the next gets 503;
- a body that is not JSON, nests too deeply, or is not an AdmissionReview object with a request
  and its uid gets 400, its one line of text saying what was wrong. Nothing a client sends
  gets a 500: that is kept for a reviewer that fails.

Decoding holds the GIL, so the event loop still pauses while a body is decoded (about 0.1 to 0.2 s
for the worst 3.5 MiB); one large decode at a time, and LARGE_SHARE, bound those pauses.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

# An AdmissionReview request body in, the response body out; must not block (no I/O). Called in
# a worker thread, several at once.
Reviewer = Callable[[Any], Mapping[str, Any]]
# The largest body read: 3.5 MiB. kube-apiserver sends the object and, on UPDATE, the oldObject,
# each at most ~1.5 MiB (etcd's request limit), in a small envelope; a larger body is not a review
# it sent.
MAX_BODY_BYTES = 3 * 1024 * 1024 + 512 * 1024
# Decoding JSON builds up to ~25 bytes of objects per byte of body (75 MiB for 3 MiB of
# `[{},{},...]`). Workload reviews are a few KiB to tens of KiB; bodies above this size take turns
# in a lane of their own, so a burst of them costs one decode (~90 MiB) at a time and never holds
# up the small ones.
LARGE_BODY_BYTES = 256 * 1024
# Bodies decoded and judged at once, one thread each: one large and three small, ~110 MiB beyond
# the operator's own memory in the worst case, well inside the chart's 512Mi limit. More would not
# answer faster: decoding holds the GIL.
DECODE_SLOTS = 4
# The share of the process's time large bodies may take. Decoding holds the GIL (up to ~0.2 s for
# the worst 3.5 MiB), so after each large decode their lane rests three times as long: a stream
# of them leaves three quarters of the time to the event loop and the small reviews.
LARGE_SHARE = 0.25
# Large bodies in the server at once (the one being read or decoded included): 8 wait ~6 s at
# most, and hold ~8 MiB of buffers.
LARGE_QUEUE = 8
# Small bodies in hand at once (read, or being read, or decoded): up to ~1.3 MiB each with their
# connection's buffers. Far above the API server's concurrency to one webhook in practice.
SMALL_QUEUE = 64
# Seconds a request may wait for its turn, and take to send its body, before it is refused (503,
# 408): kube-apiserver gives up after the webhook's timeoutSeconds, at most 30.
WAIT_SECONDS = 30
RETRY = {"Retry-After": "1"}


class Refused(Exception):
    """A request answered with an HTTP error status and one line of text."""

    def __init__(self, status: int, text: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(text)
        self.status, self.text, self.headers = status, text, headers


class _Lane:
    """Bodies of one size class: at most `room` in the server, `width` decoded at once, each in
    one of `width` threads of the lane's own, and each slot resting after a decode so that the
    lane takes at most `share` of the time."""

    def __init__(self, width: int, room: int, full: int, name: str, share: float = 1.0) -> None:
        self.slots = asyncio.Semaphore(width)
        self.room, self.full, self.inside = room, full, 0
        self.pool = ThreadPoolExecutor(width, thread_name_prefix=name)
        self.share, self.rest = share, 0.0  # seconds a slot rests after its last decode

    def enter(self, path: str, what: str) -> None:
        """Count one more body in, or refuse it when the lane is full."""
        if self.inside >= self.room:
            text = f"{path}: busy: {self.room} bodies {what} are being handled; retry\n"
            raise Refused(self.full, text, RETRY)
        self.inside += 1

    async def answer(self, path: str, reviewer: Reviewer, body: bytearray) -> tuple[int, str]:
        """`_answer` in one of the lane's threads; the caller holds one of its slots."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            return await loop.run_in_executor(self.pool, _answer, path, reviewer, body)
        finally:
            self.rest = (loop.time() - started) * (1 / self.share - 1)


class Gate:
    """Reads, decodes and judges bodies within the limits above, for every route of a server."""

    def __init__(self) -> None:
        self.large = _Lane(1, LARGE_QUEUE, 413, "admission-large", LARGE_SHARE)
        self.small = _Lane(DECODE_SLOTS - 1, SMALL_QUEUE, 503, "admission")

    def handler(self, path: str, reviewer: Reviewer) -> Callable[[web.Request], Any]:
        """The aiohttp handler of one route."""

        async def handle(request: web.Request) -> web.Response:
            try:
                status, text = await self._serve(path, reviewer, request)
            except Refused as refused:
                return web.Response(
                    status=refused.status, text=refused.text, headers=refused.headers
                )
            if status != 200:
                return web.Response(status=status, text=text)
            return web.Response(text=text, content_type="application/json")

        return handle

    async def _serve(self, path: str, reviewer: Reviewer, request: web.Request) -> tuple[int, str]:
        declared = request.content_length
        if declared is not None and declared > MAX_BODY_BYTES:
            size = f"{declared} bytes, more than the {MAX_BODY_BYTES}"
            raise Refused(413, f"{path}: the body is {size} an AdmissionReview can be\n")
        large = declared is None or declared > LARGE_BODY_BYTES
        lane = self.large if large else self.small
        lane.enter(path, f"over {LARGE_BODY_BYTES} bytes" if large else "of up to that size")
        try:
            if large:  # its turn before its body: waiting, it fills only its connection's buffers
                async with _turn(lane, path):
                    return await lane.answer(path, reviewer, await _read(request, path))
            body = await _read(request, path)
            async with _turn(lane, path):
                return await lane.answer(path, reviewer, body)
        finally:
            lane.inside -= 1

    async def close(self, _: web.Application) -> None:
        """Let the threads end once idle (aiohttp's cleanup signal)."""
        for lane in (self.large, self.small):
            lane.pool.shutdown(wait=False, cancel_futures=True)


@asynccontextmanager
async def _turn(lane: _Lane, path: str) -> AsyncIterator[None]:
    """Hold one of the lane's slots, waiting at most WAIT_SECONDS for it; it comes free again
    once it has rested for its share (the answer is not held back)."""
    slots = lane.slots
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            await slots.acquire()
    except TimeoutError:
        raise Refused(
            503, f"{path}: busy: no turn within {WAIT_SECONDS}s; retry\n", RETRY
        ) from None
    lane.rest = 0.0
    try:
        yield
    finally:
        if lane.rest > 0:
            asyncio.get_running_loop().call_later(lane.rest, slots.release)
        else:
            slots.release()


async def _read(request: web.Request, path: str) -> bytearray:
    """The body, counted while it arrives: 413 past MAX_BODY_BYTES, 408 past WAIT_SECONDS."""
    body = bytearray()
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            async for chunk in request.content.iter_any():
                if len(body) + len(chunk) > MAX_BODY_BYTES:
                    more = f"more than the {MAX_BODY_BYTES} bytes an AdmissionReview can be"
                    raise Refused(413, f"{path}: the body is {more}\n")
                body += chunk
    except TimeoutError:
        raise Refused(408, f"{path}: the body did not arrive within {WAIT_SECONDS}s\n") from None
    return body


def _answer(path: str, reviewer: Reviewer, body: bytearray) -> tuple[int, str]:
    """Decode, check, judge and encode one body, in a worker thread: (HTTP status, text)."""
    try:
        review = json.loads(body)
    except RecursionError:
        return 400, f"{path}: the body nests too deeply to be an AdmissionReview\n"
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        return 400, f"{path}: the body is not JSON: {error}\n"
    if problem := _not_a_review(review):
        return 400, f"{path}: the body is {problem}\n"
    try:
        return 200, json.dumps(reviewer(review), separators=(",", ":"))
    except RecursionError:  # the reviewer compared or hashed what the body nests
        return 400, f"{path}: the body nests too deeply to be an AdmissionReview\n"
    except Exception:
        log.exception("admission reviewer for %s failed", path)
        return 500, f"{path}: internal error\n"


_JSON_KINDS = {list: "a JSON array", str: "a JSON string", bool: "a JSON boolean",
               int: "a JSON number", float: "a JSON number"}  # fmt: skip


def _not_a_review(review: Any) -> str:
    """What keeps a decoded body from being an AdmissionReview request; "" when nothing does."""
    if not isinstance(review, dict):
        return f"{_JSON_KINDS.get(type(review), 'JSON null')}, not an AdmissionReview object"
    request = review.get("request")
    if not isinstance(request, dict):
        return "not an AdmissionReview: it has no request object"
    uid = request.get("uid")
    if uid is None or uid == "":
        return "not an AdmissionReview: request.uid is missing"
    if not isinstance(uid, str):
        return "not an AdmissionReview: request.uid is not a string"
    return ""
