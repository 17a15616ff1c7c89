"""The Kubernetes API, through the official `kubernetes` client and nothing else.

One surface for everything budgetwarden does on the API server: `Kube` (our custom objects,
PrometheusRules, status writes, Events, Secrets, list and watch), `BuiltinObjects` (admission
policies and their params, who the operator is), the Rollout/Deployment functions of
`workloads`, and the `Leases` leader election writes on. Every call goes through one error
classifier (`errors.call`), so callers decide retries on our vocabulary: `NotFound`,
`Conflict`, `Invalid`, `Unavailable`, `Expired`. Calls block; async callers run them in a thread.
"""

from budgetwarden.adapters.kube.builtin import BuiltinObjects, current_namespace
from budgetwarden.adapters.kube.client import (
    PROMETHEUS_RULE_GROUP,
    PROMETHEUS_RULE_PLURAL,
    PROMETHEUS_RULE_VERSION,
    Connection,
    Kube,
    Page,
    Ref,
    prometheus_rule_ref,
)
from budgetwarden.adapters.kube.errors import (
    Conflict,
    Expired,
    Invalid,
    KubeError,
    NotFound,
    Unavailable,
)
from budgetwarden.adapters.kube.lease import LeaseRecord, Leases

__all__ = [
    "PROMETHEUS_RULE_GROUP",
    "PROMETHEUS_RULE_PLURAL",
    "PROMETHEUS_RULE_VERSION",
    "BuiltinObjects",
    "Conflict",
    "Connection",
    "Expired",
    "Invalid",
    "Kube",
    "KubeError",
    "LeaseRecord",
    "Leases",
    "NotFound",
    "Page",
    "Ref",
    "Unavailable",
    "current_namespace",
    "prometheus_rule_ref",
]
