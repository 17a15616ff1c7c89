"""coordination.k8s.io/v1 Leases: the record leader election is written on.

runtime/leader.py elects one replica through these three calls. `update` sends the
resourceVersion the record was read at, so of two replicas that read the same record and both
write, exactly one wins and the other gets `Conflict` (someone else renewed or took it first).
Calls block; callers run them in a thread. Failures are `KubeError` subclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kubernetes import client

from budgetwarden.adapters.kube.errors import NotFound, call

TIMEOUT_SECONDS = 10  # shorter than any lease: a hung renewal must not outlive leadership


@dataclass(frozen=True)
class LeaseRecord:
    """What a Lease says: who holds it, for how long, since when; and its resourceVersion."""

    holder: str
    duration_seconds: int
    renew_time: datetime | None
    acquire_time: datetime | None = None
    transitions: int = 0
    resource_version: str = ""


class Leases:
    """Get, create and update the Leases of one namespace."""

    def __init__(self, api: client.ApiClient, namespace: str) -> None:
        self.api = client.CoordinationV1Api(api)
        self.namespace = namespace

    def get(self, name: str) -> LeaseRecord | None:
        """The Lease, or None when there is none."""
        method = self.api.read_namespaced_lease
        where = f"get Lease {self.namespace}/{name}"
        try:
            lease = call(
                where, lambda: method(name, self.namespace, _request_timeout=TIMEOUT_SECONDS)
            )
        except NotFound:
            return None
        return _record(lease)

    def create(self, name: str, record: LeaseRecord) -> LeaseRecord:
        """Create the Lease; Conflict when another replica created it first."""
        method, body = self.api.create_namespaced_lease, _lease(name, record)
        where = f"create Lease {self.namespace}/{name}"
        return _record(
            call(where, lambda: method(self.namespace, body, _request_timeout=TIMEOUT_SECONDS))
        )

    def update(self, name: str, record: LeaseRecord) -> LeaseRecord:
        """Replace the Lease while it is still at `record.resource_version` (Conflict if not)."""
        method, body = self.api.replace_namespaced_lease, _lease(name, record)
        where = f"update Lease {self.namespace}/{name}"
        return _record(
            call(
                where, lambda: method(name, self.namespace, body, _request_timeout=TIMEOUT_SECONDS)
            )
        )


def _lease(name: str, record: LeaseRecord) -> client.V1Lease:
    meta = client.V1ObjectMeta(name=name, resource_version=record.resource_version or None)
    spec = client.V1LeaseSpec(
        holder_identity=record.holder,
        lease_duration_seconds=record.duration_seconds,
        acquire_time=record.acquire_time,
        renew_time=record.renew_time,
        lease_transitions=record.transitions,
    )
    return client.V1Lease(metadata=meta, spec=spec)


def _record(lease: client.V1Lease) -> LeaseRecord:
    spec = lease.spec or client.V1LeaseSpec()
    return LeaseRecord(
        holder=spec.holder_identity or "",
        duration_seconds=int(spec.lease_duration_seconds or 0),
        renew_time=spec.renew_time,
        acquire_time=spec.acquire_time,
        transitions=int(spec.lease_transitions or 0),
        resource_version=str((lease.metadata or client.V1ObjectMeta()).resource_version or ""),
    )
