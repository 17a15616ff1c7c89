"""What the operator tests share: running the operator in-process, applying examples, waiting.

The operator runs under kopf's own `KopfRunner` (a thread in the test process), scoped to the
test's namespace, against the session `cluster`. Waiting is polling with a generous deadline; the
deadline only bounds a failure, nothing asserts on how long anything took.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import yaml
from kopf.testing import KopfRunner

from budgetwarden_dev.devenv.cluster import Cluster

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
T = TypeVar("T")
# kopf's line when every handler of a resumed object has run (its log prefix names the object).
RESUMED = "Resuming is processed"


@contextmanager
def running_operator(namespace: str) -> Iterator[KopfRunner]:
    """The operator watching `namespace`, stopped (and its errors re-raised) on exit."""
    args = ["run", "--standalone", "--namespace", namespace, "-m", "budgetwarden.handlers"]
    with KopfRunner(args, timeout=60) as runner:
        yield runner
    assert runner.exit_code == 0, runner.output


def example(name: str, namespace: str) -> dict[str, Any]:
    """An example resource from examples/, moved into `namespace`."""
    resource: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    resource["metadata"]["namespace"] = namespace
    return resource


def apply(cluster: Cluster, resource: dict[str, Any]) -> None:
    """kubectl apply one resource."""
    cluster.kubectl("apply", "-f", "-", input=json.dumps(resource))


def get(cluster: Cluster, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
    """The object as JSON, or None when it does not exist."""
    result = cluster.kubectl(
        "get", kind, name, "-n", namespace, "-o", "json", "--ignore-not-found", check=True
    )
    return json.loads(result.stdout) if result.stdout.strip() else None


def events(cluster: Cluster, namespace: str, name: str) -> list[tuple[str, str]]:
    """(type, reason) of every Event about object `name`, oldest first."""
    result = cluster.kubectl(
        "get",
        "events",
        "-n",
        namespace,
        "-o",
        "json",
        f"--field-selector=involvedObject.name={name}",
    )
    # resourceVersions grow with every write, so they order Events within one second too
    items = sorted(
        json.loads(result.stdout)["items"], key=lambda e: int(e["metadata"]["resourceVersion"])
    )
    return [(e["type"], e["reason"]) for e in items]


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 60) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


def condition(obj: dict[str, Any] | None, type_: str) -> dict[str, Any] | None:
    """The condition of this type in an object's status."""
    for entry in ((obj or {}).get("status") or {}).get("conditions") or []:
        if entry["type"] == type_:
            return dict(entry)
    return None


def observed(
    cluster: Cluster, kind: str, name: str, namespace: str, generation: int | None = None
) -> dict[str, Any]:
    """The object once its status describes its current generation (or `generation`)."""

    def probe() -> dict[str, Any] | None:
        obj = get(cluster, kind, name, namespace)
        if obj is None:
            return None
        want = generation or obj["metadata"]["generation"]
        return obj if (obj.get("status") or {}).get("observedGeneration") == want else None

    return wait_for(f"{kind} {namespace}/{name} to be observed", probe)


def as_applied(obj: dict[str, Any]) -> dict[str, Any]:
    """An object without what the API server adds (uid, resourceVersion, managedFields...)."""
    kept = ("name", "namespace", "labels", "annotations", "ownerReferences")
    metadata = {k: v for k, v in obj["metadata"].items() if k in kept}
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": metadata}
