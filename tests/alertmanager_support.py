"""What the Alertmanager tests share: the shipped routing, amtool, a fast copy of the routing for
a real Alertmanager on loopback, and the demo's receiver, which records what it is sent.

tests/alertmanager/ runs amtool on alertmanager/alertmanager.yml and shows its inhibition rules
on a real Alertmanager; tests/integration/test_helm_alertmanager.py checks the chart's copy.
amtool and Alertmanager come from Debian's prometheus-alertmanager package (`make tools`).
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from budgetwarden_dev.demo.alerting import local_routing, start_alertmanager
from budgetwarden_dev.demo.receiver import Delivery, Inbox
from budgetwarden_dev.demo.receiver import server as receiver_server
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
    route's timings cut to FAST_TIMINGS; the routes and inhibition rules stay as they are (the
    demo's routing, with shorter waits)."""
    return local_routing(config, receiver_url, FAST_TIMINGS)


class Receiver:
    """The demo's notification receiver (`budgetwarden demo-receiver`'s server), in a thread."""

    def __init__(self) -> None:
        self._inbox = Inbox()
        self._server = receiver_server(("127.0.0.1", 0), self._inbox)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def received(self) -> list[Delivery]:
        return self._inbox.all()

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
        self.config = config
        self.port = processes.free_port()
        self._client = httpx.Client(base_url=self.url, timeout=10, trust_env=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @contextmanager
    def running(self) -> Iterator[Alertmanager]:
        binary("prometheus-alertmanager")  # a missing binary fails with how to install it
        child, _ = start_alertmanager(self.workdir, self.config, detached=False, port=self.port)
        try:
            yield self
        finally:
            self._client.close()
            child.stop()

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
