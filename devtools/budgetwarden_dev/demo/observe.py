"""What a drill watches, read the way a user would: kubectl for objects, Prometheus's HTTP API.

`Watcher.snapshot()` gathers one moment: the policy's level and reason, the SLO's budget, the
fast-burn alert's state in Prometheus, and each workload the policy targets (paused or not, and
the budgetwarden.io/ annotations on it). demo/drill.py compares snapshots and prints what moved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, LabelSelector, parse_policy
from budgetwarden.core.slo.spec import SLO, parse_slo
from budgetwarden_dev.devenv.kubeconfig import RunsKubectl

# kubectl resource names of the kinds a policy targets
RESOURCES = {"Rollout": "rollouts.argoproj.io", "Deployment": "deployments.apps"}
# the annotations enforcement puts on a workload (not kopf's bookkeeping under the same prefix)
SHOWN_ANNOTATIONS = (
    c.ANNOTATION_FREEZE_LEVEL,
    c.ANNOTATION_FREEZE_ID,
    c.ANNOTATION_PAUSED_BY,
    c.ANNOTATION_POLICY,
    c.ANNOTATION_FREEZE_REASON,
    c.ANNOTATION_STABLE_TEMPLATE,
)


@dataclass(frozen=True)
class Workload:
    """A targeted workload as the drill shows it."""

    kind: str
    name: str
    paused: bool
    annotations: dict[str, str]  # only SHOWN_ANNOTATIONS

    @property
    def key(self) -> str:
        """ "Rollout/checkout"."""
        return f"{self.kind}/{self.name}"

    @property
    def paused_by_us(self) -> bool:
        """Paused, and the pause is budgetwarden's."""
        return self.paused and c.ANNOTATION_PAUSED_BY in self.annotations


@dataclass(frozen=True)
class Snapshot:
    """One look at everything the drill follows."""

    level: str
    since: str
    reason: str
    freeze_id: str
    metrics: str  # the policy's MetricsAvailable condition: "True: SeriesFound", ...
    remaining: str | None
    alert: str | None  # "pending", "firing", or None when it is not active
    workloads: dict[str, Workload] = field(default_factory=dict)


class Watcher:
    """Reads one SLO, one policy and the policy's targets in one namespace."""

    def __init__(
        self, kubectl: RunsKubectl, prometheus_url: str, namespace: str, slo: str, policy: str
    ) -> None:
        self.kubectl, self.namespace = kubectl, namespace
        self.slo_name, self.policy_name = slo, policy
        self.prometheus_url = prometheus_url.rstrip("/")
        self._http = httpx.Client(timeout=10, trust_env=False)

    def get(self, resource: str, name: str) -> dict[str, Any]:
        """One object as JSON."""
        found = self.kubectl("get", resource, name, "-n", self.namespace, "-o", "json")
        return dict(json.loads(found.stdout))

    def slo(self) -> SLO:
        """The SLO, parsed."""
        return parse_slo(self.get(c.PLURAL_SLO, self.slo_name))

    def policy(self) -> ErrorBudgetPolicy:
        """The policy, parsed."""
        return parse_policy(self.get(c.PLURAL_POLICY, self.policy_name))

    def slo_table(self) -> list[str]:
        """`kubectl get slo` in the namespace, as lines."""
        found = self.kubectl("get", c.PLURAL_SLO, "-n", self.namespace)
        return found.stdout.rstrip("\n").splitlines()

    def workloads(self, policy: ErrorBudgetPolicy) -> dict[str, Workload]:
        """Every workload the policy's targets select, by "Kind/name"."""
        found: dict[str, Workload] = {}
        for target in policy.spec.targets:
            kind = str(target.kind)
            selector = ["-l", label_selector(target.selector)] if _selects(target.selector) else []
            listed = self.kubectl(
                "get", RESOURCES[kind], "-n", self.namespace, *selector, "-o", "json"
            )
            for item in json.loads(listed.stdout)["items"]:
                workload = _workload(kind, item)
                found[workload.key] = workload
        return found

    def alert_state(self) -> str | None:
        """The fast-burn alert of this SLO in Prometheus: "pending", "firing" or None."""
        states = {
            alert["state"]
            for alert in self.prometheus("alerts")["alerts"]
            if alert["labels"].get("alertname") == c.ALERT_PAGE
            and alert["labels"].get(c.PROM_LABEL_SLO) == self.slo_name
            and alert["labels"].get(c.PROM_LABEL_NAMESPACE) == self.namespace
        }
        return "firing" if "firing" in states else ("pending" if states else None)

    def prometheus(self, path: str, **params: str) -> Any:
        """The `data` of a Prometheus HTTP API answer, e.g. prometheus("query", query="up")."""
        answer = self._http.get(f"{self.prometheus_url}/api/v1/{path}", params=params)
        return answer.raise_for_status().json()["data"]

    def snapshot(self, policy: ErrorBudgetPolicy) -> Snapshot:
        """Everything, now."""
        status = self.get(c.PLURAL_POLICY, self.policy_name).get("status") or {}
        slo_status = self.get(c.PLURAL_SLO, self.slo_name).get("status") or {}
        metrics = next(
            (f"{x['status']}: {x.get('reason', '')}" for x in status.get("conditions") or []
             if x["type"] == c.CONDITION_METRICS_AVAILABLE), "",
        )  # fmt: skip
        try:
            alert = self.alert_state()
        except (httpx.HTTPError, KeyError, ValueError):
            alert = "unknown (Prometheus did not answer)"
        return Snapshot(
            level=str(status.get("level") or ""),
            since=str(status.get("since") or ""),
            reason=str(status.get("reason") or ""),
            freeze_id=str(status.get("freezeId") or ""),
            metrics=metrics,
            remaining=(slo_status.get("errorBudget") or {}).get("remainingPercent"),
            alert=alert,
            workloads=self.workloads(policy),
        )

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()


def _selects(selector: LabelSelector) -> bool:
    return bool(selector.match_labels or selector.match_expressions)


def label_selector(selector: LabelSelector) -> str:
    """A label selector in kubectl's `-l` syntax."""
    parts = [f"{key}={value}" for key, value in sorted(selector.match_labels.items())]
    for requirement in selector.match_expressions:
        values = ",".join(requirement.values)
        parts.append({
            "In": f"{requirement.key} in ({values})",
            "NotIn": f"{requirement.key} notin ({values})",
            "Exists": requirement.key,
            "DoesNotExist": f"!{requirement.key}",
        }[requirement.operator])  # fmt: skip
    return ",".join(parts)


def _workload(kind: str, item: dict[str, Any]) -> Workload:
    annotations = item["metadata"].get("annotations") or {}
    return Workload(
        kind=kind,
        name=item["metadata"]["name"],
        paused=bool((item.get("spec") or {}).get("paused")),
        annotations={k: annotations[k] for k in SHOWN_ANNOTATIONS if k in annotations},
    )
