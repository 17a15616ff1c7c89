"""Both Prometheus readers against a real HTTPS server on loopback that demands a client
certificate and checks the Authorization header, as a proxied Prometheus, Thanos Query or
VictoriaMetrics behind an authenticating proxy would.

The server (python's http.server and ssl, in a thread) answers the two API paths the readers
use. Each reader must verify the server by the CA, present the client certificate, and send the
token or basic auth on every request: a token file rotated between two requests is sent with the
second. The certificates come from budgetwarden_dev.devenv.certs.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from budgetwarden.adapters.prometheus import PrometheusReader, PrometheusUnavailable
from budgetwarden.adapters.prometheus_access import PrometheusAccess, PrometheusSettings
from budgetwarden.adapters.prometheus_history import PrometheusHistory, PrometheusHistoryError
from budgetwarden_dev.devenv.certs import LOOPBACK_HOSTS, Authority, pem_cert, pem_key

SAMPLE = {"metric": {"__name__": "up", "job": "api"}, "value": [1764979200, "1"]}
RULE = {"type": "alerting", "name": "SLOServiceDown", "labels": {}, "annotations": {}}
ANSWERS = {
    "/api/v1/query": {"resultType": "vector", "result": [SAMPLE]},
    "/api/v1/rules": {"groups": [{"name": "g", "interval": 30, "rules": [RULE]}]},
}


@dataclass
class Seen:
    """What the server requires, and the path, Authorization and client CN of each request."""

    authorization: str = ""
    requests: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Pki:
    """The CA, a client certificate it signed, and a CA that signed nothing here."""

    ca: str
    cert: str
    key: str
    stranger_ca: str


class _Handler(BaseHTTPRequestHandler):
    seen: Seen

    def do_GET(self) -> None:
        peer = self.connection.getpeercert() or {}  # type: ignore[attr-defined]
        subject = dict(pair[0] for pair in peer.get("subject", ()))
        authorization = self.headers.get("Authorization", "")
        path = self.path.split("?")[0]
        self.seen.requests.append((path, authorization, subject.get("commonName", "")))
        if authorization != self.seen.authorization:
            self._answer(401, {"status": "error", "error": "unauthorized"})
        else:
            self._answer(200, {"status": "success", "data": ANSWERS[path]})

    def _answer(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pki, Path, Path]:
    """The client's files, and the server's certificate and key."""
    folder = tmp_path_factory.mktemp("pki")
    ca, stranger = Authority.create("prometheus-ca"), Authority.create("stranger-ca")
    server_key, server_cert = ca.issue("prometheus", hosts=LOOPBACK_HOSTS)
    client_key, client_cert = ca.issue("budgetwarden", client=True)
    files = {
        "ca.crt": pem_cert(ca.cert), "stranger.crt": pem_cert(stranger.cert),
        "client.crt": pem_cert(client_cert), "client.key": pem_key(client_key),
        "server.crt": pem_cert(server_cert), "server.key": pem_key(server_key),
    }  # fmt: skip
    for name, data in files.items():
        (folder / name).write_bytes(data)
    client = Pki(*(str(folder / n) for n in ("ca.crt", "client.crt", "client.key", "stranger.crt")))
    return client, folder / "server.crt", folder / "server.key"


@pytest.fixture
def server(pki: tuple[Pki, Path, Path]) -> Iterator[tuple[str, Seen]]:
    """(https URL, what it saw): an HTTPS server that requires a client certificate."""
    client, cert, key = pki
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.load_verify_locations(client.ca)
    context.verify_mode = ssl.CERT_REQUIRED
    seen = Seen()
    handler = type("Handler", (_Handler,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()
    thread.join()


# reader -> (make(settings) -> ask(), the reader's error)
Ask = Callable[[], list[str]]


def _poller(settings: PrometheusSettings) -> Ask:
    reader = PrometheusReader(settings)
    return lambda: [sample.labels["job"] for sample in reader.query("up")]


def _report(settings: PrometheusSettings) -> Ask:
    history = PrometheusHistory(settings)
    return lambda: [rule.name for rule in history.alerting_rules()]


READERS = {
    "poller": (_poller, PrometheusUnavailable, "/api/v1/query", ["api"]),
    "report": (_report, PrometheusHistoryError, "/api/v1/rules", ["SLOServiceDown"]),
}
reader_names = pytest.mark.parametrize("reader", list(READERS))


def mtls(url: str, pki: Pki, **access: Any) -> PrometheusSettings:
    """Settings with the CA and the client certificate, and `access` besides."""
    both = PrometheusAccess(cert_file=pki.cert, key_file=pki.key, **access)
    return PrometheusSettings(url, ca_file=pki.ca, access=both)


@reader_names
def test_the_reader_sends_its_certificate_and_a_rotated_token(
    reader: str, server: tuple[str, Seen], pki: tuple[Pki, Path, Path], tmp_path: Path
) -> None:
    make, _, path, answer = READERS[reader]
    url, seen = server
    token = tmp_path / "token"
    token.write_text("first\n")
    ask = make(mtls(url, pki[0], token_file=str(token)))
    seen.authorization = "Bearer first"
    assert ask() == answer
    rotated = tmp_path / "token.next"
    rotated.write_text("second\n")
    os.replace(rotated, token)  # as the kubelet swaps a projected ServiceAccount token
    seen.authorization = "Bearer second"
    assert ask() == answer
    assert seen.requests == [
        (path, "Bearer first", "budgetwarden"),
        (path, "Bearer second", "budgetwarden"),
    ]


@reader_names
def test_the_reader_sends_basic_auth_from_its_password_file(
    reader: str, server: tuple[str, Seen], pki: tuple[Pki, Path, Path], tmp_path: Path
) -> None:
    make, _, _, answer = READERS[reader]
    url, seen = server
    password = tmp_path / "password"
    password.write_text("s3cret\n")
    seen.authorization = "Basic " + base64.b64encode(b"budgetwarden:s3cret").decode()
    settings = mtls(
        url, pki[0], basic_auth_username="budgetwarden", basic_auth_password_file=str(password)
    )
    assert make(settings)() == answer


@reader_names
def test_a_reader_without_a_client_certificate_is_refused(
    reader: str, server: tuple[str, Seen], pki: tuple[Pki, Path, Path]
) -> None:
    make, error, _, _ = READERS[reader]
    url, seen = server
    with pytest.raises(error):
        make(PrometheusSettings(url, "token", ca_file=pki[0].ca))()
    assert seen.requests == []  # refused in the handshake


@reader_names
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # as asked
def test_a_server_the_ca_did_not_sign_is_refused_unless_verification_is_skipped(
    reader: str, server: tuple[str, Seen], pki: tuple[Pki, Path, Path]
) -> None:
    make, error, _, answer = READERS[reader]
    url, seen = server
    client = pki[0]
    access = PrometheusAccess(cert_file=client.cert, key_file=client.key)
    with pytest.raises(error, match="CERTIFICATE_VERIFY_FAILED"):
        make(PrometheusSettings(url, "token", ca_file=client.stranger_ca, access=access))()
    seen.authorization = "Bearer token"
    skip = PrometheusAccess(cert_file=client.cert, key_file=client.key, insecure_skip_verify=True)
    assert make(PrometheusSettings(url, "token", access=skip))() == answer


@reader_names
def test_a_token_file_gone_since_start_up_fails_the_request_not_the_reader(
    reader: str, server: tuple[str, Seen], pki: tuple[Pki, Path, Path], tmp_path: Path
) -> None:
    make, error, _, _ = READERS[reader]
    url, seen = server
    token = tmp_path / "token"
    token.write_text("first\n")
    ask = make(mtls(url, pki[0], token_file=str(token)))
    token.unlink()
    with pytest.raises(error, match=f"cannot read the bearer token file {token}"):
        ask()
    assert seen.requests == []
