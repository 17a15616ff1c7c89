"""The demo service's built-in load generator: `GET /work` against itself at a steady rate.

Started by `budgetwarden_dev.demo.service` when `--load` or `PUT /control {"loadRPS": ...}` asks for
traffic, so Prometheus sees real requests without another process. Requests leave on a fixed
schedule (start + n / rate), not "one after another", so a slow response never lowers the rate
and burn rates stay predictable; at most `concurrency` are in flight, and a tick that finds
them all busy is skipped and counted rather than queued.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import aiohttp
from prometheus_client import CollectorRegistry, Counter, Gauge

# After a stall (a suspended laptop, a starved CPU) catch up at most this much, then re-anchor,
# so the rate never spikes to make up for lost time.
_CATCH_UP_SECONDS = 1.0
# A rate change takes effect within this long even when the current rate is very low.
_RECHECK_SECONDS = 0.25
_TIMEOUT = aiohttp.ClientTimeout(total=90)


class LoadGenerator:
    """Sends `GET url` at `rps` requests per second until closed."""

    def __init__(
        self, url: str, rps: Decimal, concurrency: int, registry: CollectorRegistry
    ) -> None:
        self._url = url
        self._rps = rps
        self._concurrency = concurrency
        self._generation = 0
        self._changed = asyncio.Event()
        self._closing = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._outcomes = Counter(
            "demo_load_requests",
            "Requests the built-in load generator sent (completed: any HTTP answer; failed: no "
            "answer; skipped: every slot was busy).",
            ["outcome"],
            registry=registry,
        )
        for outcome in ("completed", "failed", "skipped"):
            self._outcomes.labels(outcome)
        Gauge(
            "demo_load_in_flight", "Load requests awaiting an answer.", registry=registry
        ).set_function(lambda: len(self._in_flight))

    def set_rate(self, rps: Decimal) -> None:
        """Change the rate; the schedule restarts from now."""
        self._rps = rps
        self._generation += 1
        self._changed.set()

    async def run(self) -> None:
        """Send requests until `close()`, then wait for the ones in flight."""
        connector = aiohttp.TCPConnector(limit=self._concurrency)
        async with aiohttp.ClientSession(connector=connector, timeout=_TIMEOUT) as session:
            while not self._closing:
                if self._rps == 0:
                    self._changed.clear()
                    await self._changed.wait()
                    continue
                await self._paced(session)
            if self._in_flight:
                await asyncio.wait(self._in_flight)

    def close(self) -> None:
        """Stop sending; `run()` returns once the requests in flight are answered."""
        self._closing = True
        self._changed.set()

    async def _paced(self, session: aiohttp.ClientSession) -> None:
        """Send on schedule at the current rate until the rate changes or we close."""
        loop = asyncio.get_running_loop()
        generation, interval = self._generation, 1 / float(self._rps)
        anchor, sent = loop.time(), 0
        while generation == self._generation and not self._closing:
            now = loop.time()
            if now - (anchor + sent * interval) > _CATCH_UP_SECONDS:
                anchor, sent = now, 0
            while anchor + sent * interval <= now:
                self._fire(session)
                sent += 1
            await asyncio.sleep(min(anchor + sent * interval - now, _RECHECK_SECONDS))

    def _fire(self, session: aiohttp.ClientSession) -> None:
        if len(self._in_flight) >= self._concurrency:
            self._outcomes.labels("skipped").inc()
            return
        task = asyncio.create_task(self._one(session))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _one(self, session: aiohttp.ClientSession) -> None:
        try:
            async with session.get(self._url) as response:
                await response.read()
        except (aiohttp.ClientError, TimeoutError):
            self._outcomes.labels("failed").inc()
        else:
            self._outcomes.labels("completed").inc()
