"""The webhook that answers only the API server: a client certificate its CA signed is required.

The test control plane's kube-apiserver presents its webhook client certificate to every
admission webhook (its admission configuration's kubeConfigFile, as a production API server
would be configured). The operator serves the webhook with BUDGETWARDEN_WEBHOOK_CLIENT_CA set to
the control plane's CA: a real `kubectl apply` is still judged and refused during a freeze, while
anyone else who can reach the port, with no certificate or one from another CA, is refused at
the TLS handshake before any request is read.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from kopf.testing import KopfRunner

from budgetwarden.runtime import config
from budgetwarden_dev.devenv.certs import ServingCert, write_serving_cert
from budgetwarden_dev.devenv.cluster import Cluster
from webhook_support import (
    certs_fixture,  # noqa: F401
    deployment,
    enforced_fixture,  # noqa: F401
    fetch,
    freeze,
    operator_with_webhook,
    port_fixture,  # noqa: F401
    registered_fixture,  # noqa: F401
    until_denied,
    write,
)

pytestmark = pytest.mark.cluster


@pytest.fixture
def strict(
    cluster: Cluster, enforced: str, port: int, certs: ServingCert, monkeypatch: pytest.MonkeyPatch
) -> Iterator[KopfRunner]:
    """The operator's webhook, requiring the control plane's client certificates."""
    assert cluster.control_plane is not None, "needs the test control plane's CA"
    monkeypatch.setenv(config.ENV_WEBHOOK_CLIENT_CA, str(cluster.control_plane.pki.ca))
    monkeypatch.setenv(config.ENV_METRICS_PORT, "off")
    pki = cluster.control_plane.pki
    client = (pki.webhook_client_cert, pki.webhook_client_key)
    with operator_with_webhook(enforced, port, certs, monkeypatch, client) as runner:
        yield runner


def answer(port: int, ca: Path, client: tuple[Path, Path] | None) -> int | str:
    """GET /healthz over TLS as `client` (certificate, key) or with none: the HTTP status, or
    how the connection failed."""
    try:
        return asyncio.run(fetch(port, ca, "GET", "/healthz", client=client))[0]
    except (ssl.SSLError, ConnectionError) as error:
        return type(error).__name__
    except IndexError:  # closed before a status line
        return "closed"


def test_only_a_client_with_a_certificate_from_the_api_servers_ca_is_answered(
    cluster: Cluster, enforced: str, port: int, certs: ServingCert, strict: KopfRunner,
    tmp_path: Path,
) -> None:  # fmt: skip
    assert cluster.control_plane is not None
    pki = cluster.control_plane.pki
    apply = write(tmp_path, "v1", deployment(enforced, "worker:1.0"))
    cluster.kubectl("apply", "-f", str(apply))
    freeze(cluster, enforced, "PartialFreeze", "21.4")
    denial = until_denied(cluster, write(tmp_path, "v2", deployment(enforced, "worker:2.0")))
    assert f"[budgetwarden] PartialFreeze on {enforced}/Deployment/checkout-worker:" in denial

    other = write_serving_cert(tmp_path / "other")  # a certificate another CA signed
    answers = [
        answer(port, certs.ca, client)
        for client in (None, (other.cert, other.key), (pki.webhook_client_cert,
                                                       pki.webhook_client_key))
    ]  # fmt: skip
    assert answers[2] == 200, answers
    assert all(isinstance(answer, str) for answer in answers[:2]), answers
