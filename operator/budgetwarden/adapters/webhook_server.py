"""The HTTPS server the API server calls for admission: AdmissionReview JSON in, the answer out.

Wraps aiohttp and nothing else. runtime/admission.py builds a `WebhookServer` with one `Reviewer`
per route (pure functions from core, bound to the operator's cached state) and starts it in the
operator's event loop; the tests start one directly. Routes:
  POST /validate/workloads          Rollouts and Deployments (core.freeze.admission)
  POST /mutate/freezeexceptions     record the approver (core.freeze.exception_admission.mutate)
  POST /validate/freezeexceptions   approver and lifetime (core.freeze.exception_admission.validate)
  POST /validate/errorbudgetpolicies  policies in force (core.freeze.policy_guard.decide)
  GET  /healthz                     200 "ok" while the server runs
A denial is an HTTP 200 whose body says `allowed: false` with `status.code` 403: that is the
admission protocol, and kube-apiserver shows the status message to the user. A reviewer that
raises gets HTTP 500, which the API server treats by the webhook's failurePolicy.

Every admission route sits behind one `Gate` (adapters/webhook_limits.py): bodies over 3.5 MiB
get 413, malformed ones 400 with one line naming the problem, and decoding runs in a few worker
threads of the server's own, within bounds that keep a burst from anyone who can reach the port
from exhausting the operator's memory.

TLS: the certificate and key are files (a mounted cert-manager Secret, or a test's temp files).
They are checked on every TLS handshake: OpenSSL calls the SNI callback for each ClientHello
(with or without a server name), which stats both files and, when either changed (inode, mtime
or size), loads the pair
into a new context and hands the connection that context. A pair that does not load yet (the
certificate rewritten, the key not) leaves the previous one in use until the next handshake. The
cost is two stat calls per handshake, and the API server keeps its connections open.

Client certificates: with a client CA (BUDGETWARDEN_WEBHOOK_CLIENT_CA) the handshake requires a
certificate that CA signed, so only an API server configured to present one (the kubeConfigFile
of its admission configuration, docs/security.md) can send reviews; anyone else is refused
before a byte of HTTP is read. Without one, any client may connect.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from budgetwarden.adapters.webhook_limits import MAX_BODY_BYTES, Gate, Reviewer
from budgetwarden.core.kernel import conventions as c

__all__ = ["MAX_BODY_BYTES", "ReloadingTLS", "Reviewer", "Routes", "WebhookServer"]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Routes:
    """The reviewer behind each admission path."""

    validate_workloads: Reviewer
    mutate_exceptions: Reviewer
    validate_exceptions: Reviewer
    validate_policies: Reviewer

    def by_path(self) -> dict[str, Reviewer]:
        """Path -> reviewer."""
        return {
            c.PATH_VALIDATE_WORKLOADS: self.validate_workloads,
            c.PATH_MUTATE_EXCEPTIONS: self.mutate_exceptions,
            c.PATH_VALIDATE_EXCEPTIONS: self.validate_exceptions,
            c.PATH_VALIDATE_POLICIES: self.validate_policies,
        }


class ReloadingTLS:
    """A server TLS context whose certificate follows the files on disk, checked per handshake."""

    def __init__(self, cert: Path, key: Path, client_ca: Path | None = None) -> None:
        self.cert, self.key = Path(cert), Path(key)
        # the API server's client certificate is checked against it, when given (the CA file
        # is read once: rotating it needs a restart)
        self.client_ca = Path(client_ca) if client_ca is not None else None
        self._stamp = self._mtimes()
        self._current = self._load()  # raises ssl.SSLError/OSError: no serving without a cert
        self.listening = self._load()
        self.listening.sni_callback = self._on_handshake
        self.reloads = 0

    def _mtimes(self) -> tuple[tuple[int, int, int], ...]:
        # The inode too: mounted Secrets change by an atomic symlink swap, and two writes
        # within one clock tick can leave the mtime as it was.
        stats = (self.cert.stat(), self.key.stat())
        return tuple((s.st_ino, s.st_mtime_ns, s.st_size) for s in stats)

    def _load(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert, self.key)
        if self.client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=self.client_ca)
        return context

    def _on_handshake(self, connection: Any, _server_name: str | None, _: ssl.SSLContext) -> None:
        self.refresh()
        connection.context = self._current  # the newest pair serves this connection

    def refresh(self) -> None:
        """Load the files again if they changed since the last load (errors keep the old pair)."""
        try:
            stamp = self._mtimes()
            if stamp == self._stamp:
                return
            self._current = self._load()
        except (OSError, ssl.SSLError) as error:
            log.warning("keeping the previous webhook certificate: %s", error)
            return
        self._stamp = stamp
        self.reloads += 1
        log.info("webhook certificate reloaded from %s", self.cert)


class WebhookServer:
    """An aiohttp HTTPS server for the admission routes; `start()` and `stop()` it in a loop."""

    def __init__(self, routes: Routes, tls: ReloadingTLS, host: str, port: int) -> None:
        self.routes, self.tls, self.host = routes, tls, host
        self._requested_port = port
        self._runner: web.AppRunner | None = None
        self.port = port  # the bound port once started (useful with port 0)

    def app(self) -> web.Application:
        """The aiohttp application (also usable with aiohttp's test client, without TLS)."""
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        gate = Gate()
        for path, reviewer in self.routes.by_path().items():
            app.router.add_post(path, gate.handler(path, reviewer))
        app.router.add_get(c.PATH_HEALTHZ, _healthz)
        app.on_cleanup.append(gate.close)
        return app

    async def start(self) -> None:
        """Bind and serve; returns once the socket listens."""
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port, ssl_context=self.tls.listening)
        await site.start()
        self._runner = runner
        if runner.addresses:
            self.port = int(runner.addresses[0][1])
        log.info("admission webhook serving on https://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def _healthz(_: web.Request) -> web.Response:
    return web.Response(text="ok\n")
