"""The admission webhook configurations budgetwarden needs, rendered as plain objects.

`budgetwarden webhook render` prints them, the Helm chart carries the same shapes, and the
integration tests register them against the real API server. They are ours, not kopf-managed:
kopf's managed mode hard-codes a 30s timeout and cannot set namespaceSelector or
matchConditions (research/anchors-enforcement.md §3.2, §7.2).

Choices, with their reasons:
- Workloads (Rollouts and Deployments, the kinds a policy can target) on CREATE and UPDATE: a
  brand-new workload ships new code just as an update does, and core.freeze.admission blocks
  both during a freeze.
  The scale subresource never reaches us.
- `failurePolicy: Ignore` by default: a freeze reduces risk, it is not a security boundary, and
  with Fail an unreachable webhook would block the rollbacks and hotfixes needed in the very
  incident that burned the budget. The detection fallback catches what slips through. Fail is
  an explicit option for strict clusters.
- `timeoutSeconds: 5`: answers come from memory; a slow webhook must not hold up the apiserver.
- Opt-in namespaces by label (`budgetwarden.io/enforce=enabled`), never an objectSelector:
  workload owners could label themselves out of one.
- matchConditions filter inside the API server, so unchanged re-applies from GitOps tools and
  changes that are not new versions never cost a call: see `JUDGED_CHANGE`.
- Rollouts' status subresource too, because `kubectl argo rollouts promote`, `promote --full` and
  `retry` write it before the spec (core/freeze/rollout_status.py). Only writes that move a
  Rollout on are sent, and never the Argo Rollouts controller's (`status_writers`, by default
  upstream's ServiceAccount): it writes status all the time, and refusing it would wedge it.
- Break glass by RBAC verb is opt-in (`breakglass=True`): whoever may `breakglass`
  freezeexceptions in the namespace then skips the webhook. Off by default because wildcard
  grants include every verb: cluster-admin, system:masters and the many GitOps controllers bound
  to `*` would bypass every freeze without anyone deciding so.
- `sideEffects: NoneOnDryRun` on the workload webhook: a change let through by a FreezeException
  is recorded as an Event, never for a dry run.
- The FreezeException webhooks always use Fail and ignore the namespace label: an exception
  whose approver was not recorded must not come into being, and while the webhook is down
  freezes are not enforced anyway, so nobody needs a new exception then.
- ErrorBudgetPolicies on UPDATE and DELETE (core/freeze/policy_guard.py: a policy in force is
  not weakened): the workload webhook's namespace label, failure policy, timeout, break glass
  and operator exemption, since it guards the same freezes; only spec changes and deletes are
  sent (`SPEC_CHANGE_OR_DELETE`), never status writes (a subresource, not in the rules).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Final, Literal

from budgetwarden.core.freeze.rollout_status import PROMOTION, not_status_writer
from budgetwarden.core.kernel import conventions as c

FailurePolicy = Literal["Ignore", "Fail"]
ADMISSION_REGISTRATION: Final = "admissionregistration.k8s.io/v1"
DEFAULT_TIMEOUT_SECONDS: Final = 5

# The API server calls the workload webhook only when JUDGED_CHANGE is true. Every field access is
# guarded by has(): on a missing field CEL raises, and an error would deny the request under Fail.
# CREATE always comes (a new workload is a new version); an UPDATE comes when the pod template or
# a Rollout's workloadRef changes (new versions, rollbacks and restarts, which the server tells
# apart), or when spec.paused goes from true to not true (a promote or resume, refused during a
# freeze when budgetwarden made the pause). Scaling, other spec fields and unchanged re-applies
# are filtered here.
NEW_VERSION_OR_RESUME: Final = " || ".join(
    (
        "request.operation == 'CREATE'",
        "has(object.spec.template) != has(oldObject.spec.template)",
        "(has(object.spec.template) && has(oldObject.spec.template)"
        " && object.spec.template != oldObject.spec.template)",
        "has(object.spec.workloadRef) != has(oldObject.spec.workloadRef)",
        "(has(object.spec.workloadRef) && has(oldObject.spec.workloadRef)"
        " && object.spec.workloadRef != oldObject.spec.workloadRef)",
        "(has(oldObject.spec.paused) && oldObject.spec.paused == true"
        " && !(has(object.spec.paused) && object.spec.paused == true))",
    )
)
_NEW, _OLD = "object.metadata.annotations", "oldObject.metadata.annotations"
_MARK = f"k.startsWith('{c.GROUP}/')"
# Metadata a freeze guards (core/freeze/admission.py): the labels, which may take a held workload
# out of its policy, and the budgetwarden.io/ annotations, the operator's record of the freeze.
# Other annotation changes are frequent (controllers, GitOps tools) and never judged.
FREEZE_METADATA: Final = " || ".join(
    (
        "has(object.metadata.labels) != has(oldObject.metadata.labels)",
        "(has(object.metadata.labels) && object.metadata.labels != oldObject.metadata.labels)",
        f"(has({_NEW}) && {_NEW}.exists(k, {_MARK}"
        f" && !(has({_OLD}) && k in {_OLD} && {_OLD}[k] == {_NEW}[k])))",
        f"(has({_OLD}) && {_OLD}.exists(k, {_MARK} && !(has({_NEW}) && k in {_NEW})))",
    )
)
JUDGED_CHANGE: Final = f"{NEW_VERSION_OR_RESUME} || {FREEZE_METADATA} || {PROMOTION}"
# Objects without a spec are the schema's business; the guard keeps has(object.spec.x) defined.
HAS_SPEC: Final = "has(object.spec) && (request.operation == 'CREATE' || has(oldObject.spec))"
# The API server calls the policy webhook for a DELETE and for an UPDATE that changes the spec.
# DELETE comes first: on a DELETE `object` is null, and CEL's || absorbs the error of the rest.
SPEC_CHANGE_OR_DELETE: Final = (
    "request.operation == 'DELETE' || has(object.spec) != has(oldObject.spec)"
    " || (has(object.spec) && object.spec != oldObject.spec)"
)
NO_BREAKGLASS: Final = (
    f"!authorizer.group('{c.GROUP}').resource('{c.PLURAL_EXCEPTION}')"
    f".namespace(request.namespace).check('{c.VERB_BREAKGLASS}').allowed()"
)


@dataclass(frozen=True)
class ServiceRef:
    """An in-cluster Service in front of the webhook server."""

    namespace: str
    name: str
    port: int = 443


@dataclass(frozen=True)
class WebhookClient:
    """Where the API server reaches the webhook server (a URL or a Service) and the CA to trust."""

    ca_bundle: bytes  # PEM of the CA that issued the serving certificate
    url: str | None = None  # e.g. https://127.0.0.1:9443 for a server outside the cluster
    service: ServiceRef | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.service is None):
            raise ValueError("set exactly one of url or service")
        if self.url is not None and not self.url.startswith("https://"):
            raise ValueError(f'url must start with https://; got "{self.url}"')

    def config(self, path: str) -> dict[str, Any]:
        """The clientConfig of one webhook entry served at `path`."""
        bundle = base64.b64encode(self.ca_bundle).decode()
        if self.url is not None:
            return {"url": self.url.rstrip("/") + path, "caBundle": bundle}
        assert self.service is not None
        service = self.service
        ref = {"namespace": service.namespace, "name": service.name, "path": path}
        return {"service": {**ref, "port": service.port}, "caBundle": bundle}


@dataclass(frozen=True)
class WebhookOptions:
    """The tunables of the workload webhook."""

    failure_policy: FailurePolicy = "Ignore"
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    operator_username: str = ""  # the operator's own changes skip the webhook when set
    breakglass: bool = False  # holders of the breakglass verb skip the webhook (see above)
    # users whose Rollout status writes are never judged: the Argo Rollouts controller's
    status_writers: tuple[str, ...] = (c.ROLLOUTS_CONTROLLER_USERNAME,)
    name: str = c.WEBHOOK_CONFIGURATION_NAME  # of the configuration objects, not the entries


def _metadata(name: str) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": "budgetwarden", "app.kubernetes.io/part-of": "budgetwarden"}
    return {"name": name, "labels": labels}


def _rule(group: str, version: str, resources: list[str]) -> dict[str, Any]:
    return {
        "apiGroups": [group],
        "apiVersions": [version],
        "resources": resources,
        "operations": ["CREATE", "UPDATE"],
        "scope": "Namespaced",
    }


def workload_match_conditions(
    operator_username: str = "",
    *,
    breakglass: bool = False,
    status_writers: tuple[str, ...] = (),
) -> list[dict[str, str]]:
    """The CEL conditions that must all hold for the API server to call the workload webhook."""
    conditions = [
        {"name": "has-spec", "expression": HAS_SPEC},
        {"name": "judged-change", "expression": JUDGED_CHANGE},
    ]
    if status_writers:
        writers = not_status_writer(status_writers)
        conditions.append({"name": "not-rollouts-controller", "expression": writers})
    return conditions + _exemptions(operator_username, breakglass)


def policy_match_conditions(
    operator_username: str = "", *, breakglass: bool = False
) -> list[dict[str, str]]:
    """The CEL conditions that must all hold for the API server to call the policy webhook."""
    conditions = [{"name": "spec-change-or-delete", "expression": SPEC_CHANGE_OR_DELETE}]
    return conditions + _exemptions(operator_username, breakglass)


def _exemptions(operator_username: str, breakglass: bool) -> list[dict[str, str]]:
    """Break glass (when the cluster enables it), then the operator's own user."""
    conditions = []
    if breakglass:
        conditions.append({"name": "no-breakglass", "expression": NO_BREAKGLASS})
    if operator_username:
        quoted = operator_username.replace("\\", "\\\\").replace("'", "\\'")
        conditions.append(
            {"name": "not-budgetwarden", "expression": f"request.userInfo.username != '{quoted}'"}
        )
    return conditions


def _entry(name: str, client: WebhookClient, path: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "admissionReviewVersions": ["v1"],
        "clientConfig": client.config(path),
        "matchPolicy": "Equivalent",
        **fields,
    }


def workload_webhook(client: WebhookClient, options: WebhookOptions) -> dict[str, Any]:
    """The validating entry for Rollouts and Deployments."""
    return _entry(
        c.WEBHOOK_WORKLOADS,
        client,
        c.PATH_VALIDATE_WORKLOADS,
        rules=[
            _rule("argoproj.io", "v1alpha1", ["rollouts", "rollouts/status"]),
            _rule("apps", "v1", ["deployments"]),
        ],
        namespaceSelector={"matchLabels": {c.LABEL_ENFORCE: c.ENFORCE_ENABLED}},
        matchConditions=workload_match_conditions(
            options.operator_username,
            breakglass=options.breakglass,
            status_writers=options.status_writers,
        ),
        failurePolicy=options.failure_policy,
        sideEffects="NoneOnDryRun",
        timeoutSeconds=options.timeout_seconds,
    )


def policy_webhook(client: WebhookClient, options: WebhookOptions) -> dict[str, Any]:
    """The validating entry for ErrorBudgetPolicies in force (UPDATE and DELETE)."""
    rule = {**_rule(c.GROUP, c.VERSION, [c.PLURAL_POLICY]), "operations": ["UPDATE", "DELETE"]}
    return _entry(
        c.WEBHOOK_POLICIES,
        client,
        c.PATH_VALIDATE_POLICIES,
        rules=[rule],
        namespaceSelector={"matchLabels": {c.LABEL_ENFORCE: c.ENFORCE_ENABLED}},
        matchConditions=policy_match_conditions(
            options.operator_username, breakglass=options.breakglass
        ),
        failurePolicy=options.failure_policy,
        sideEffects="None",
        timeoutSeconds=options.timeout_seconds,
    )


def _exception_entry(name: str, client: WebhookClient, path: str) -> dict[str, Any]:
    return _entry(
        name,
        client,
        path,
        rules=[_rule(c.GROUP, c.VERSION, [c.PLURAL_EXCEPTION])],
        failurePolicy="Fail",
        sideEffects="None",
        timeoutSeconds=DEFAULT_TIMEOUT_SECONDS,
    )


def validating_configuration(client: WebhookClient, options: WebhookOptions) -> dict[str, Any]:
    """The ValidatingWebhookConfiguration: workloads, FreezeExceptions, ErrorBudgetPolicies."""
    return {
        "apiVersion": ADMISSION_REGISTRATION,
        "kind": "ValidatingWebhookConfiguration",
        "metadata": _metadata(options.name),
        "webhooks": [
            workload_webhook(client, options),
            _exception_entry(c.WEBHOOK_EXCEPTIONS, client, c.PATH_VALIDATE_EXCEPTIONS),
            policy_webhook(client, options),
        ],
    }


def mutating_configuration(client: WebhookClient, options: WebhookOptions) -> dict[str, Any]:
    """The MutatingWebhookConfiguration that records a FreezeException's approver."""
    entry = _exception_entry(c.WEBHOOK_EXCEPTION_APPROVER, client, c.PATH_MUTATE_EXCEPTIONS)
    return {
        "apiVersion": ADMISSION_REGISTRATION,
        "kind": "MutatingWebhookConfiguration",
        "metadata": _metadata(options.name),
        "webhooks": [{**entry, "reinvocationPolicy": "Never"}],
    }


def configurations(client: WebhookClient, options: WebhookOptions) -> list[dict[str, Any]]:
    """Both configurations, mutating first (the order `kubectl apply` should create them in)."""
    return [mutating_configuration(client, options), validating_configuration(client, options)]
