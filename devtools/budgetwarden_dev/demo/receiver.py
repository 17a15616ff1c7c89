"""A local notification receiver: what Alertmanager delivers, recorded for people to read.

Alertmanager's routing names receivers (pager, chat, ticket); in the demo each of them is a
webhook to this server at /<receiver name>. Every alert of every notification becomes one
`Delivery`, kept in memory for GET /deliveries (the drill reads it) and appended to a JSON-lines
file. Plain standard-library HTTP: it answers one Alertmanager on loopback.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DELIVERIES_PATH = "/deliveries"


@dataclass(frozen=True)
class Delivery:
    """One alert in one notification: who got it, when, and the alert as Alertmanager sent it."""

    receiver: str
    status: str  # firing | resolved
    labels: dict[str, str]
    received_at: str  # RFC 3339, when the notification arrived here
    starts_at: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Delivery:
        """A delivery as GET /deliveries lists it."""
        return cls(
            receiver=str(data["receiver"]),
            status=str(data["status"]),
            labels={str(k): str(v) for k, v in dict(data["labels"]).items()},
            received_at=str(data["received_at"]),
            starts_at=str(data.get("starts_at", "")),
        )


def deliveries_of(receiver: str, notification: dict[str, Any]) -> list[Delivery]:
    """The deliveries in one Alertmanager webhook notification (version 4 payload)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    alerts = notification.get("alerts") or []
    return [Delivery(receiver, str(a.get("status", "")), dict(a.get("labels") or {}), now,
                     str(a.get("startsAt", ""))) for a in alerts]  # fmt: skip


class Inbox:
    """The deliveries so far; thread-safe, each one also appended to `record` when given."""

    def __init__(self, record: Path | None = None) -> None:
        self.record = record
        self._deliveries: list[Delivery] = []
        self._lock = threading.Lock()

    def add(self, deliveries: list[Delivery]) -> None:
        """Keep these deliveries (and write them down)."""
        with self._lock:
            self._deliveries += deliveries
            if self.record is not None:
                with self.record.open("a") as out:
                    out.writelines(json.dumps(asdict(d)) + "\n" for d in deliveries)

    def all(self) -> list[Delivery]:
        """Every delivery so far, oldest first."""
        with self._lock:
            return list(self._deliveries)


def server(address: tuple[str, int], inbox: Inbox) -> ThreadingHTTPServer:
    """An HTTP server that files POST /<receiver> into `inbox` and lists it at GET /deliveries."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                inbox.add(deliveries_of(self.path.strip("/") or "default", body))
            except (ValueError, AttributeError, TypeError):
                self._answer(400, {"error": "not an Alertmanager webhook notification"})
                return
            self._answer(200, {})

        def do_GET(self) -> None:
            if self.path != DELIVERIES_PATH:
                self._answer(404, {"error": f"only {DELIVERIES_PATH} is served"})
                return
            self._answer(200, [asdict(d) for d in inbox.all()])

        def _answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the record file is the log

    return ThreadingHTTPServer(address, Handler)
