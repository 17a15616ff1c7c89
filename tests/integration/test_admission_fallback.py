"""The webhook down on a real API server: failurePolicy Ignore lets changes land, and the
operator's drift detection reports a new version that landed during a freeze.

The webhook configurations come from `budgetwarden webhook render` and are applied once per
module; the test runs the operator (KopfRunner, in-process) with its webhook server, scoped to a
fresh namespace labelled for enforcement, then points the configurations at a port nobody
listens on, and finally stops the operator. The fixtures and helpers are in
tests/webhook_support.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from budgetwarden_dev.devenv.certs import ServingCert
from budgetwarden_dev.devenv.cluster import Cluster
from operator_support import events, wait_for
from webhook_support import (
    certs_fixture,  # noqa: F401
    deployment,
    enforced_fixture,  # noqa: F401
    free_port,
    freeze,
    image_of,
    kubectl,
    operator_with_webhook,
    port_fixture,  # noqa: F401
    registered_fixture,  # noqa: F401
    render,
    until_denied,
    write,
)


@pytest.mark.cluster
def test_with_the_webhook_unreachable_or_stopped_ignore_lets_changes_land_and_drift_is_reported(
    cluster: Cluster,
    enforced: str,
    port: int,
    certs: ServingCert,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    v2 = write(tmp_path, "v2", deployment(enforced, "worker:2.0"))
    v3 = write(tmp_path, "v3", deployment(enforced, "worker:3.0"))
    with operator_with_webhook(enforced, port, certs, monkeypatch):
        cluster.kubectl("apply", "-f", str(write(tmp_path, "v1", deployment(enforced, "w:1"))))
        freeze(cluster, enforced, "FullFreeze", "8.23")
        until_denied(cluster, v2)  # enforced while the server answers
        # The server becomes unreachable while the operator keeps running: its drift detection
        # sees the new version land and reports it.
        cluster.kubectl("apply", "-f", "-", input=render(free_port(), certs))
        try:
            wait_for("the API server to fail open", lambda: kubectl(
                cluster, "apply", "--dry-run=server", "-f", str(v2)).returncode == 0)  # fmt: skip
            landed = kubectl(cluster, "apply", "-f", str(v2))
            drift = ("Warning", "TemplateChangedDuringFreeze")
            wait_for(
                "the drift Event", lambda: drift in events(cluster, enforced, "checkout-worker")
            )
        finally:
            cluster.kubectl("apply", "-f", "-", input=render(port, certs))
    # The operator, and with it the webhook server, is stopped now.
    stopped = kubectl(cluster, "apply", "-f", str(v3))
    assert (landed.returncode, landed.stderr) == (0, "")
    assert (stopped.returncode, stopped.stdout, stopped.stderr) == (
        0,
        "deployment.apps/checkout-worker configured\n",
        "",
    )
    assert image_of(cluster, "deployment", "checkout-worker", enforced) == "worker:3.0"
