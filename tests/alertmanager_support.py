"""What the Alertmanager tests share: the shipped routing, amtool, a fast copy of the routing for
a real Alertmanager on loopback, and an HTTP receiver that records what it is sent.

tests/alertmanager/ runs amtool on alertmanager/alertmanager.yml and shows its inhibition rules
on a real Alertmanager; tests/integration/test_helm_alertmanager.py checks the chart's copy.
amtool and Alertmanager come from Debian's prometheus-alertmanager package (`make tools`).
"""

from __future__ import annotations

import copy
import json
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from budgetwarden_dev.devenv import processes
from budgetwarden_dev.devenv.binaries import find_binary
from budgetwarden_dev.devenv.errors import MissingBinaryError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "alertmanager" / "alertmanager.yml"
# Short enough that a notification arrives within a second of its alert, and long enough that
# the inhibiting alert is known before any group is flushed (both are posted at once).
FAST_TIMINGS = {"group_wait": "500ms", "group_interval": "1s", "repeat_interval": "1h"}


def binary(name: str) -> Path:
    """amtool or prometheus-alertmanager; fails the test with the command that installs it."""
    try:
        return find_binary(name)
    except MissingBinaryError:
        hint = "run `make tools` (installs Debian's prometheus-alertmanager package)"
        pytest.fail(f"{name} not found: {hint}", pytrace=False)


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    """Run amtool; captured text output."""
    command = [str(binary("amtool")), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


def receivers_for(config: Path, labels: Mapping[str, str]) -> list[str]:
    """The receivers an alert with `labels` reaches, as `amtool config routes test` says."""
    matchers = [f"{key}={value}" for key, value in labels.items()]
    result = amtool("config", "routes", "test", f"--config.file={config}", *matchers)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split(",")


def fast_copy(config: Mapping[str, Any], receiver_url: str) -> dict[str, Any]:
    """The routing with every receiver a webhook to `receiver_url`/<receiver name> and every
    route's timings cut to FAST_TIMINGS; the routes and inhibition rules stay as they are."""
    fast = copy.deepcopy(dict(config))
    fast["receivers"] = [
        {"name": r["name"], "webhook_configs": [{"url": f"{receiver_url}/{r['name']}"}]}
        for r in config["receivers"]
    ]
    fast["route"].update(FAST_TIMINGS)  # child routes inherit what they do not set
    children = list(fast["route"].get("routes", []))
    while children:
        route = children.pop()
        route.update({k: v for k, v in FAST_TIMINGS.items() if k in route})
        children.extend(route.get("routes", []))
    return fast


@dataclass(frozen=True)
class Delivery:
    """One alert in one notification: which receiver got it, and the alert's labels."""

    receiver: str
    labels: Mapping[str, str]


class Receiver:
    """An HTTP server on loopback that records every alert Alertmanager's webhooks post."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def received(self) -> list[Delivery]:
        with self._lock:
            return list(self.deliveries)

    def _record(self, receiver: str, body: dict[str, Any]) -> None:
        with self._lock:
            self.deliveries += [Delivery(receiver, alert["labels"]) for alert in body["alerts"]]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        record = self._record

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                record(self.path.strip("/"), body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: pytest shows the assertion, not a request log

        return Handler

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        self._thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


class Alertmanager:
    """A real Alertmanager on loopback with a given configuration, no clustering."""

    def __init__(self, config: Mapping[str, Any], workdir: Path) -> None:
        self.workdir = workdir
        self.port = processes.free_port()
        (workdir / "alertmanager.yml").write_text(yaml.safe_dump(dict(config), sort_keys=False))
        self._client = httpx.Client(base_url=self.url, timeout=10, trust_env=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @contextmanager
    def running(self) -> Iterator[Alertmanager]:
        argv = [
            str(binary("prometheus-alertmanager")),
            f"--config.file={self.workdir / 'alertmanager.yml'}",
            f"--storage.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",  # empty: no gossip port, no peers to wait for
        ]
        log = self.workdir / "alertmanager.log"
        spawned, child = processes.spawn("alertmanager", argv, log, detached=False)
        try:
            processes.wait_http(f"{self.url}/-/ready", spawned, timeout=60)
            yield self
        finally:
            self._client.close()
            processes.stop(spawned, child)

    def post(self, alerts: list[Mapping[str, str]]) -> None:
        """Fire alerts with these label sets (API v2); they stay firing for resolve_timeout."""
        response = self._client.post("/api/v2/alerts", json=[{"labels": a} for a in alerts])
        response.raise_for_status()

    def groups(self) -> list[tuple[str, list[str]]]:
        """(receiver, the alerts' keys) of each aggregation group Alertmanager holds."""
        response = self._client.get("/api/v2/alerts/groups")
        response.raise_for_status()
        return sorted(
            (group["receiver"]["name"], sorted(key(a["labels"]) for a in group["alerts"]))
            for group in response.json()
        )

    def inhibited(self) -> dict[str, list[str]]:
        """alertname/slo_name or service of each alert the API lists -> what inhibits it."""
        response = self._client.get("/api/v2/alerts")
        response.raise_for_status()
        return {key(a["labels"]): a["status"]["inhibitedBy"] for a in response.json()}


def key(labels: Mapping[str, str]) -> str:
    """A short name for an alert in assertions: alertname, then its SLO or service, and level."""
    where = labels.get("slo_name") or labels.get("service", "")
    level = labels.get("slo_budget_level", "")
    return "/".join(part for part in (labels["alertname"], where, level) if part)
