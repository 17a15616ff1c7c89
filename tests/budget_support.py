"""What the budget-loop tests share: recorded series to scrape, and counters read over HTTP.

`RecordedSeries` stands in for the recording rules in integration tests: a prometheus-client
registry serving `budgetwarden_slo:error_budget_remaining:ratio` and `budgetwarden_slo:burn_rate`
with the SLO labels, which a real Prometheus scrapes every second. Setting a value reaches the
operator within about two seconds; no history is needed because the poller reads instant
values. (The end-to-end test uses the real generated rules instead.)

The poller reads only series labelled exactly as the rules label them, and every scraped series
gets its target's `job` and `instance`, which a rule's output never has. So the stand-in's
scrape config drops those two labels again (`metric_relabel_configs`, the last step before
Prometheus stores a sample): the stored series then have exactly the names and labels the
generated rules would give them. `RecordedSeries(as_rules=False)` keeps them, as a pod of
another namespace exposing look-alike series would be scraped.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from budgetwarden.core.kernel import conventions as c


class RecordedSeries:
    """A /metrics target with the series the recording rules would produce.

    `job` names its scrape job; with `as_rules` (the default) Prometheus stores its series
    without the target's labels, as the rules' outputs, otherwise as any scraped series.
    """

    def __init__(self, job: str = "recorded", *, as_rules: bool = True) -> None:
        self.job, self.as_rules = job, as_rules
        self.registry = registry = CollectorRegistry()
        labels = [c.PROM_LABEL_NAMESPACE, c.PROM_LABEL_SLO, c.PROM_LABEL_SERVICE]
        self.remaining = Gauge(c.METRIC_BUDGET_REMAINING, "budget left", labels, registry=registry)
        windowed = [*labels, c.PROM_LABEL_WINDOW]
        self.burn = Gauge(c.METRIC_BURN_RATE, "burn rate", windowed, registry=registry)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _exposition(registry))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def target(self) -> str:
        """host:port for a scrape config."""
        return f"127.0.0.1:{self.server.server_address[1]}"

    def scrape_config(self) -> dict[str, Any]:
        """Prometheus scrapes it every second and keeps its labels as they are; as the rules'
        stand-in, without the job and instance every scraped series gets."""
        config: dict[str, Any] = {
            "job_name": self.job,
            "honor_labels": True,
            "scrape_interval": "1s",
            "static_configs": [{"targets": [self.target]}],
        }
        if self.as_rules:
            config["metric_relabel_configs"] = [{"action": "labeldrop", "regex": "job|instance"}]
        return config

    def set(
        self, namespace: str, slo: str, remaining: str, *, service: str = "checkout", **rates: str
    ) -> None:
        """Budget left as a ratio ("0.632") and burn rates by window (w1h="1.2"), for the SLO
        of `service` (the examples' "checkout")."""
        self.remaining.labels(namespace, slo, service).set(float(remaining))
        for window, rate in rates.items():
            self.burn.labels(namespace, slo, service, window.removeprefix("w")).set(float(rate))

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


class TextTarget:
    """A /metrics endpoint serving what `render()` returns at each scrape, in the text format."""

    def __init__(self, render: Callable[[], str]) -> None:
        class Exposition(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Exposition)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        """host:port for a scrape config."""
        return f"127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _exposition(registry: CollectorRegistry) -> type[BaseHTTPRequestHandler]:
    """Serves the registry in the classic text format whatever the scraper asks for.

    prometheus-client's OpenMetrics output (which Prometheus prefers) rewrites the colons of
    recording-rule names to underscores; the text format keeps them.
    """

    class Exposition(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = generate_latest(registry)
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE_LATEST)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Exposition


def samples(url: str) -> dict[str, list[tuple[Mapping[str, str], float]]]:
    """Every sample of a /metrics page by sample name: [(labels, value)]."""
    text = httpx.get(url, timeout=10, trust_env=False).text
    found: dict[str, list[tuple[Mapping[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def total(url: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels` (0 when there are none)."""
    return sum(
        value
        for found, value in samples(url).get(name, [])
        if all(found.get(k) == v for k, v in labels.items())
    )


def between_polls(
    operator_metrics: str, read: Callable[[], float], timeout: float = 60
) -> tuple[float, float]:
    """(polls finished, read()) taken right after a poll ended, before the next one starts.

    Polls run every second and take milliseconds, so a value read just after the poll counter
    moved belongs to the same quiet gap as the counter itself.
    """
    polls = total(operator_metrics, "budgetwarden_poll_duration_seconds_count")
    deadline = time.monotonic() + timeout
    while (now := total(operator_metrics, "budgetwarden_poll_duration_seconds_count")) == polls:
        if time.monotonic() > deadline:
            raise AssertionError("the operator stopped polling")
        time.sleep(0.02)
    return now, read()


@contextmanager
def chat_receiver(path: str) -> Iterator[tuple[str, list[Any]]]:
    """A Slack-compatible webhook on loopback: yields (url, every JSON body it was sent)."""
    bodies: list[Any] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}", bodies
    finally:
        server.shutdown()
        server.server_close()
