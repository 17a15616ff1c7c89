"""Posts notification payloads to Slack-compatible webhooks with httpx, retrying with backoff.

The poller builds the payload (core.policy.notification) and hands `Notifier.detach` a coroutine
that reads the webhook URL and calls `deliver`; the task runs on its own, so a slow or failing
webhook never delays a status write or enforcement. `deliver` retries connection failures, timeouts,
429 and 5xx answers with exponential backoff (a 429's Retry-After is honoured up to the cap); any
other 4xx is final: the URL is wrong or revoked, and retrying will not fix that. Webhook URLs carry
their credentials, so nothing here logs or returns one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

logger = logging.getLogger(__name__)
# httpx logs every request's URL at INFO, and a webhook URL is a credential: keep it to warnings.
logging.getLogger("httpx").setLevel(logging.WARNING)
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry: delays first, first × 2, … capped at `max_delay`."""

    attempts: int = 5
    first_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        backoff = min(self.first_delay * float(2 ** (attempt - 1)), self.max_delay)
        return backoff if retry_after is None else min(max(retry_after, backoff), self.max_delay)


@dataclass(frozen=True)
class Delivery:
    """How a notification went: delivered or not, after how many attempts, and the last answer."""

    delivered: bool
    attempts: int
    status: int | None = None
    error: str = ""


class Notifier:
    """One HTTP client for every webhook; detached tasks are tracked so shutdown can end them."""

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout_seconds: float = 10.0,
        trust_env: bool = True,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._client = httpx.AsyncClient(
            transport=transport, timeout=timeout_seconds, trust_env=trust_env
        )
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._tasks: set[asyncio.Task[Any]] = set()

    async def deliver(self, url: str, payload: Mapping[str, Any]) -> Delivery:
        """POST `payload` as JSON until it is accepted, a final error, or attempts run out."""
        last = Delivery(False, 0)
        for attempt in range(1, self.retry.attempts + 1):
            last, retry_after = await self._attempt(url, payload, attempt)
            if last.delivered or retry_after is None:
                return last
            if attempt < self.retry.attempts:
                await self._sleep(self.retry.delay(attempt, retry_after or None))
        return last

    async def _attempt(
        self, url: str, payload: Mapping[str, Any], attempt: int
    ) -> tuple[Delivery, float | None]:
        """One POST; the second value is None when retrying is pointless, else Retry-After or 0."""
        try:
            response = await self._client.post(url, json=dict(payload))
        except httpx.HTTPError as error:  # connect errors, timeouts, bad URLs
            final = isinstance(error, httpx.InvalidURL | httpx.UnsupportedProtocol)
            return Delivery(False, attempt, None, type(error).__name__), None if final else 0.0
        status = response.status_code
        if response.is_success:
            return Delivery(True, attempt, status), None
        delivery = Delivery(False, attempt, status, f"HTTP {status}")
        if status == 429 or status >= 500:
            return delivery, _retry_after(response) or 0.0
        return delivery, None

    def detach(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run `work` as its own task; its failure is logged, never raised into the caller."""
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("notification %s failed: %s", task.get_name(), task.exception())

    @property
    def pending(self) -> int:
        """Notifications still being delivered."""
        return len(self._tasks)

    async def aclose(self, grace_seconds: float = 5.0) -> None:
        """Give pending notifications a moment, cancel the rest, close the client."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace_seconds)
        for task in list(self._tasks):
            task.cancel()
        await self._client.aclose()


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds when the server sent a number (HTTP dates are ignored)."""
    value = response.headers.get("retry-after", "")
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None
