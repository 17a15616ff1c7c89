"""The operator's own /metrics, with prometheus-client: budgets, levels, and how polling goes.

The poller updates an `OperatorMetrics` after every poll; `serve` exposes it over HTTP on its own
thread (prometheus-client's WSGI app in a threading WSGI server), so a scrape never waits for
the event loop. The same server answers /readyz: 503 until the operator's first full listing is
in its registry and its watches have delivered it too (runtime/operator.py), 200 after; the
chart's readiness probe calls it. Each instance has its own registry, so tests and several
operators in one process do not collide.

Series for SLOs and policies that are gone, or whose budget is unknown, are removed rather than
set to a made-up value: an absent series is how Prometheus says "no data".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from threading import Thread
from typing import Any, cast
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import ThreadingWSGIServer, make_wsgi_app

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.levels import Level

# A poll of 1,000 SLOs should take well under a second; the top buckets catch trouble.
POLL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LEVELS = tuple(Level)


@dataclass
class MetricsServer:
    """A running /metrics endpoint; `close` stops it."""

    server: WSGIServer
    thread: Thread

    @property
    def port(self) -> int:
        """The port it listens on (useful when it was started on port 0)."""
        return int(self.server.server_address[1])

    def close(self) -> None:
        """Stop serving and release the port."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class OperatorMetrics:
    """Every metric the operator exports, in one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.budget_remaining, self.policy_level, self.held_targets = _state_gauges(r)
        self.poll_duration, self.poll_errors, self.poll_queries = _poll_series(r)
        self.notifications = Counter(
            c.OPERATOR_METRIC_NOTIFICATIONS,
            "Notifications by channel (webhook, pagerduty, email) and outcome (delivered, failed).",
            ["channel", "outcome"],
            registry=r,
        )
        self._slos: set[tuple[str, str]] = set()
        self._policies: set[tuple[str, str]] = set()

    def poll_done(self, seconds: float, queries: int) -> None:
        """Record one finished poll: its duration and the queries it issued."""
        self.poll_duration.observe(seconds)
        self.poll_queries.inc(queries)

    def error(self, stage: str) -> None:
        """Count one failure in a stage of the poll."""
        self.poll_errors.labels(stage=stage).inc()

    def notified(self, channel: str, delivered: bool) -> None:
        """Count one notification's outcome on its channel."""
        outcome = "delivered" if delivered else "failed"
        self.notifications.labels(channel=channel, outcome=outcome).inc()

    def set_budgets(self, budgets: Mapping[tuple[str, str], Decimal | None]) -> None:
        """Set every SLO's remaining percent; drop SLOs that are gone or unknown."""
        known = {key for key, value in budgets.items() if value is not None}
        for namespace, slo in self._slos - known:
            self.budget_remaining.remove(namespace, slo)
        for (namespace, slo), value in budgets.items():
            if value is not None:
                self.budget_remaining.labels(namespace=namespace, slo=slo).set(float(value))
        self._slos = known

    def set_policies(self, policies: Mapping[tuple[str, str], tuple[Level, int]]) -> None:
        """Set every policy's level (one-hot) and held-workload count; drop policies gone."""
        for namespace, policy in self._policies - policies.keys():
            self.held_targets.remove(namespace, policy)
            for level in LEVELS:
                self.policy_level.remove(namespace, policy, level.value)
        for (namespace, policy), (current, held) in policies.items():
            for level in LEVELS:
                gauge = self.policy_level.labels(namespace=namespace, policy=policy, level=level)
                gauge.set(1 if level is current else 0)
            self.held_targets.labels(namespace=namespace, policy=policy).set(held)
        self._policies = set(policies)

    def exposition(self) -> bytes:
        """The registry in the text exposition format, as a scrape would see it."""
        return generate_latest(self.registry)

    def serve(
        self,
        port: int,
        address: str = "0.0.0.0",
        ready: Callable[[], bool] = lambda: True,
        routes: Mapping[str, Any] | None = None,
    ) -> MetricsServer:
        """Serve /metrics, /readyz (200 while `ready()`, else 503) and the WSGI apps in
        `routes` by path (the freeze gate), on `address:port` (0 picks a free port) from a
        daemon thread."""
        app = _with_readiness(make_wsgi_app(self.registry), ready, routes or {})
        server = make_server(address, port, app, ThreadingWSGIServer, handler_class=_Quiet)
        thread = Thread(target=server.serve_forever, name="metrics", daemon=True)
        thread.start()
        return MetricsServer(server, thread)


class _Quiet(WSGIRequestHandler):
    """No access log: the readiness probe calls every few seconds."""

    def log_message(self, format: str, *args: Any) -> None:
        return


def _with_readiness(metrics: Any, ready: Callable[[], bool], routes: Mapping[str, Any]) -> Any:
    """The WSGI app: /readyz answers from `ready`, `routes` by path, every other path is
    /metrics."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO") or "")
        if path in routes:
            return cast(Iterable[bytes], routes[path](environ, start_response))
        if path != c.PATH_READYZ:
            return cast(Iterable[bytes], metrics(environ, start_response))
        status, body = (
            ("200 OK", b"ok\n") if ready() else ("503 Service Unavailable", b"not ready\n")
        )
        start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def _state_gauges(r: CollectorRegistry) -> tuple[Gauge, Gauge, Gauge]:
    """The budget, level and held-workload gauges, registered in `r`."""
    budget_remaining = Gauge(
        c.OPERATOR_METRIC_BUDGET_REMAINING,
        "Percent of the SLO's error budget left, as last read from Prometheus.",
        ["namespace", "slo"],
        registry=r,
    )
    policy_level = Gauge(
        c.OPERATOR_METRIC_POLICY_LEVEL,
        "1 for the level an ErrorBudgetPolicy is at, 0 for the other levels.",
        ["namespace", "policy", "level"],
        registry=r,
    )
    held_targets = Gauge(
        c.OPERATOR_METRIC_HELD_TARGETS,
        "Workloads an ErrorBudgetPolicy holds.",
        ["namespace", "policy"],
        registry=r,
    )
    return budget_remaining, policy_level, held_targets


def _poll_series(r: CollectorRegistry) -> tuple[Histogram, Counter, Counter]:
    """The poll duration histogram and the poll error and query counters, registered in `r`."""
    duration = Histogram(
        c.OPERATOR_METRIC_POLL_DURATION,
        "Seconds one poll took: query, decisions, status writes.",
        buckets=POLL_BUCKETS,
        registry=r,
    )
    errors = Counter(
        c.OPERATOR_METRIC_POLL_ERRORS,
        "Failures during polls, by stage (prometheus, slo-status, policy, unexpected).",
        ["stage"],
        registry=r,
    )
    queries = Counter(
        c.OPERATOR_METRIC_POLL_QUERIES, "Prometheus queries issued by polls.", registry=r
    )
    return duration, errors, queries
