"""The demo service: an HTTP server with an error rate and latency you can turn up at run time.

Started by `budgetwarden demo-service` (and through it by `DemoServiceProcess` in tests, the
drill and `make demo`). Prometheus scrapes its `/metrics`; SLOs over `http_requests_total` and
`http_request_duration_seconds` then burn budget for real when `PUT /control` raises the error
rate or the latency. Built on aiohttp: already installed with kopf, asyncio-native, with a C
HTTP parser and a client for the built-in load generator in the same event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from budgetwarden.core.kernel.errors import SpecError
from budgetwarden_dev.demo.faults import Delay, ErrorPicker
from budgetwarden_dev.demo.load import LoadGenerator
from budgetwarden_dev.demo.pressure import ContainerIdentity, ContainerSeries, Pressure
from budgetwarden_dev.demo.settings import ErrorMode, Settings, format_latency, updated

TRAFFIC_HANDLERS: Final = ("/", "/work")
# Covers the thresholds SLOs usually name (50ms … 1s) with room either side.
LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0)
_SHUTDOWN_SECONDS: Final = 5.0


@dataclass(frozen=True)
class ServiceConfig:
    """How `demo-service` was started: settings plus what cannot change at run time."""

    host: str = "127.0.0.1"
    port: int = 0
    settings: Settings = field(default_factory=Settings)
    error_mode: ErrorMode = ErrorMode.EXACT
    seed: int | None = None
    load_concurrency: int = 256
    port_file: Path | None = None


class _Metrics:
    """The series `/metrics` serves, in a registry of the service's own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "Traffic requests answered, by status code and handler.",
            ["code", "handler"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer traffic requests.",
            ["code", "handler"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.error_rate = Gauge(
            "demo_configured_error_ratio",
            "Share of traffic requests set to fail.",
            registry=self.registry,
        )
        self.latency = Gauge(
            "demo_configured_latency_seconds",
            "Latency set for traffic requests (before jitter).",
            registry=self.registry,
        )
        self.load = Gauge(
            "demo_configured_load_requests_per_second",
            "Rate set for the built-in load generator.",
            registry=self.registry,
        )

    def show(self, settings: Settings) -> None:
        """Publish the current settings as gauges."""
        self.error_rate.set(float(settings.error_rate))
        self.latency.set(settings.latency.total_seconds())
        self.load.set(float(settings.load_rps))


class DemoService:
    """The state behind the HTTP handlers: settings, fault injection, metrics, load."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.settings = config.settings
        self.metrics = _Metrics()
        self.errors = ErrorPicker(config.error_mode, self.settings.error_rate, config.seed)
        self.delay = Delay(self.settings.latency, config.seed)
        self.load: LoadGenerator | None = None
        self.pressure = Pressure(ContainerIdentity())
        self.metrics.registry.register(ContainerSeries(self.pressure))
        self.metrics.show(self.settings)
        for handler in TRAFFIC_HANDLERS:  # zeros from the start: rate() needs a first sample
            for code in ("200", "500"):
                self.metrics.requests.labels(code, handler)
                self.metrics.duration.labels(code, handler)

    def apply(self, settings: Settings) -> None:
        """Switch to new settings; only what changed is touched."""
        if settings.error_rate != self.settings.error_rate:
            self.errors.set_rate(settings.error_rate)
        self.delay.latency = settings.latency
        if self.load is not None and settings.load_rps != self.settings.load_rps:
            self.load.set_rate(settings.load_rps)
        self.pressure.set(settings.cpu_burn, settings.memory_fill)
        self.settings = settings
        self.metrics.show(settings)

    def control_view(self) -> dict[str, str]:
        """What `GET /control` answers."""
        view = self.settings.to_wire()
        view["errorMode"] = self.config.error_mode.value
        return view

    def traffic(self, handler: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        """The handler of a traffic path: 200, or 500 for the requests the error picker chooses."""

        async def answer(_: web.Request) -> web.Response:
            return await self._answer(handler)

        return answer

    async def _answer(self, handler: str) -> web.Response:
        if self.settings.down:
            return _down()
        fails = self.errors.fails()  # decided on arrival: the exact schedule follows arrival order
        started = time.perf_counter()
        await asyncio.sleep(self.delay.seconds())
        code = "500" if fails else "200"
        self.metrics.requests.labels(code, handler).inc()
        self.metrics.duration.labels(code, handler).observe(time.perf_counter() - started)
        return web.Response(status=int(code), text="injected failure\n" if fails else "ok\n")

    async def scrape(self, _: web.Request) -> web.Response:
        """`GET /metrics` in the Prometheus text format."""
        if self.settings.down:
            return _down()
        body = generate_latest(self.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})

    async def get_control(self, _: web.Request) -> web.Response:
        """`GET /control`: the current settings."""
        return web.json_response(self.control_view())

    async def put_control(self, request: web.Request) -> web.Response:
        """`PUT /control`: change the fields given; 400 naming each bad field, nothing changed."""
        try:
            body = json.loads(await request.read() or b"null")
        except ValueError:
            return _bad_request([{"field": "body", "message": "must be JSON"}])
        try:
            self.apply(updated(self.settings, body))
        except SpecError as error:
            return _bad_request([{"field": p.field, "message": p.message} for p in error.problems])
        return web.json_response(self.control_view())

    async def healthz(self, _: web.Request) -> web.Response:
        """`GET /healthz`: up and serving."""
        return web.Response(text="ok\n")


def _down() -> web.Response:
    """What every path but /control and /healthz answers while the service is down."""
    return web.Response(status=503, text='down (PUT /control {"down": false} brings it back)\n')


def _bad_request(problems: list[dict[str, str]]) -> web.Response:
    message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return web.json_response({"error": message, "problems": problems}, status=400)


def build_app(service: DemoService) -> web.Application:
    """The aiohttp application with every route of the demo service."""
    app = web.Application()
    for path in TRAFFIC_HANDLERS:
        app.router.add_get(path, service.traffic(path), allow_head=False)
    app.router.add_get("/metrics", service.scrape)
    app.router.add_get("/control", service.get_control)
    app.router.add_put("/control", service.put_control)
    app.router.add_get("/healthz", service.healthz)
    return app


def _loopback_url(host: str, port: int) -> str:
    """Where the load generator sends: the service itself, over loopback when bound to all."""
    target = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{target}]:{port}/work" if ":" in target else f"http://{target}:{port}/work"


def _write_port_file(path: Path, port: int) -> None:
    """Write the port atomically, so a reader never sees a half-written file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(f"{port}\n")
    os.replace(partial, path)


async def serve(config: ServiceConfig) -> None:
    """Run the demo service until SIGTERM or SIGINT, then drain the load and stop cleanly."""
    disable_created_metrics()  # type: ignore[no-untyped-call]  # *_created series are clutter
    service = DemoService(config)
    runner = web.AppRunner(
        build_app(service),
        access_log=None,
        handle_signals=False,
        shutdown_timeout=_SHUTDOWN_SECONDS,
    )
    await runner.setup()
    try:
        # "" would bind IPv4 and IPv6 apart, each on its own free port when asked for port 0.
        await web.TCPSite(runner, config.host or "0.0.0.0", config.port).start()
        port = int(runner.addresses[0][1])
        await _serve_on(service, port)
    finally:
        await runner.cleanup()
        service.pressure.close()
        if config.port_file is not None:
            config.port_file.unlink(missing_ok=True)


async def _serve_on(service: DemoService, port: int) -> None:
    """Run the load generator, tell the world the port, wait for a signal, drain the load."""
    config = service.config
    load = LoadGenerator(
        _loopback_url(config.host, port),
        service.settings.load_rps,
        config.load_concurrency,
        service.metrics.registry,
    )
    service.load = load
    load_task = asyncio.create_task(load.run())
    try:
        if config.port_file is not None:
            _write_port_file(config.port_file, port)
        _announce(config, port)
        await _until_signalled()
    finally:
        load.close()
        await load_task


def _announce(config: ServiceConfig, port: int) -> None:
    settings = config.settings
    print(
        f"demo-service listening on {config.host or '0.0.0.0'}:{port}: "
        f"error rate {settings.error_rate} ({config.error_mode.value}), "
        f"latency {format_latency(settings.latency)}, load {settings.load_rps} rps",
        file=sys.stderr,
        flush=True,
    )


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
