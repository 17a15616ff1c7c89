"""What the webhook server tests share: echo routes, a server in its own process, the bodies
that cost a server the most, raw requests.

`echo_routes` answer every review with its uid (one of them raises on purpose), for the
in-process servers of test_webhook_server.py and test_webhook_limits.py.
`served` starts the real routes of runtime/admission.py (an empty registry: no freeze anywhere)
behind the real `WebhookServer` in a child process and yields its port and pid, so a test can
read that process's peak memory (`peak_mib`) after sending it something. The bodies are the
shapes that cost a server the most: many small containers (JSON's most expensive decoding, about
25 times the body's size in objects) and deep nesting.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from budgetwarden.adapters.webhook_server import Routes
from budgetwarden_dev.devenv.certs import ServingCert


def echo_routes() -> Routes:
    """Every route answers with the request's uid; the validating one fails on purpose."""

    def answer(review: Any) -> dict[str, Any]:
        return {"response": {"uid": review["request"]["uid"], "allowed": True}}

    def broken(_: Any) -> dict[str, Any]:
        raise RuntimeError("a bug")

    return Routes(
        validate_workloads=answer,
        mutate_exceptions=answer,
        validate_exceptions=broken,
        validate_policies=answer,
    )


# The child: serve until stdin closes.
SERVER = """
import asyncio, sys
from budgetwarden.adapters.webhook_server import ReloadingTLS, WebhookServer
from budgetwarden.runtime.admission import Admission
from budgetwarden.runtime.registry import Registry

async def main():
    routes = Admission(Registry()).routes()
    server = WebhookServer(routes, ReloadingTLS(sys.argv[1], sys.argv[2]), "127.0.0.1", 0)
    await server.start()
    print(server.port, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.stop()

asyncio.run(main())
"""


@contextmanager
def served(certs: ServingCert) -> Iterator[tuple[int, int]]:
    """(port, pid) of a webhook server in a child process, stopped on exit."""
    argv = [sys.executable, "-c", SERVER, str(certs.cert), str(certs.key)]
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip().isdigit(), f"the server did not start: {line!r}"
        yield int(line), child.pid
    finally:
        child.kill()
        child.wait(timeout=30)


def peak_mib(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for process {pid}")


def many_containers(size: int) -> bytes:
    """A JSON object of about `size` bytes that is a list of empty objects: valid JSON, no
    review, and the most memory per byte JSON decoding can be made to spend."""
    return b'{"items":[' + b",".join([b"{}"] * ((size - 12) // 3)) + b"]}"


def deep_body(depth: int) -> bytes:
    """A JSON object whose request is `depth` nested arrays."""
    return b'{"request":' + b"[" * depth + b"]" * depth + b"}"


def _review(uid: str, kind: dict[str, str], obj: dict[str, Any]) -> bytes:
    request = {
        "uid": uid, "kind": kind, "namespace": "shop", "name": obj["metadata"]["name"],
        "operation": "CREATE", "userInfo": {"username": "alice"}, "object": obj,
    }  # fmt: skip
    review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}
    return json.dumps(review).encode()


def workload_review(uid: str) -> tuple[str, bytes]:
    """A new Deployment: allowed (no freeze anywhere)."""
    labels = {"app": "checkout-worker"}
    containers = [{"name": "worker", "image": "worker:1.0"}]
    template = {"metadata": {"labels": labels}, "spec": {"containers": containers}}
    obj = {"metadata": {"name": "checkout-worker", "namespace": "shop", "labels": labels},
           "spec": {"selector": {"matchLabels": labels}, "template": template}}  # fmt: skip
    kind = {"group": "apps", "version": "v1", "kind": "Deployment"}
    return "/validate/workloads", _review(uid, kind, obj)


def exception_review(uid: str) -> tuple[str, bytes]:
    """A FreezeException without approvedBy: refused by the validating webhook."""
    expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    spec = {"targets": [{"kind": "Rollout", "name": "checkout"}], "reason": "hotfix",
            "expiresAt": expires}  # fmt: skip
    obj = {"apiVersion": "budgetwarden.io/v1alpha1", "kind": "FreezeException",
           "metadata": {"name": "hotfix", "namespace": "shop"}, "spec": spec}  # fmt: skip
    kind = {"group": "budgetwarden.io", "version": "v1alpha1", "kind": "FreezeException"}
    return "/validate/freezeexceptions", _review(uid, kind, obj)


def verdict(text: str) -> bool:
    """`response.allowed` of an answer (False for anything that is not a review answer)."""
    try:
        return json.loads(text)["response"]["allowed"] is True
    except (ValueError, KeyError, TypeError):
        return False


async def fetch_chunked(port: int, ca: Path, path: str, size: int) -> tuple[int, str]:
    """POST `size` bytes of spaces with chunked transfer encoding (no Content-Length)."""
    context = ssl.create_default_context(cafile=str(ca))
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="127.0.0.1"
    )
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    writer.write(f"{head}Content-Type: application/json\r\nConnection: close\r\n\r\n".encode())
    chunk = 64 * 1024
    for start in range(0, size, chunk):
        part = min(chunk, size - start)
        writer.write(f"{part:x}\r\n".encode() + b" " * part + b"\r\n")
    writer.write(b"0\r\n\r\n")
    response = await reader.read()
    writer.close()
    status_line, _, rest = response.decode().partition("\r\n")
    return int(status_line.split()[1]), rest.partition("\r\n\r\n")[2]
