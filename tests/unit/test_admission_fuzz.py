"""Admission never raises: any body, any view gives a well-formed AdmissionReview response."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetwarden.core.freeze.admission import respond
from budgetwarden.core.freeze.admission_message import (
    BLOCKED_CREATE,
    BLOCKED_TEMPLATE,
    BLOCKED_UNPAUSE,
    denial_message,
)
from budgetwarden.core.freeze.exception_spec import parse_exception
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze, WorkloadRef
from budgetwarden.core.freeze.workload_diff import RESTARTED_AT_ANNOTATION, template_digest
from budgetwarden.core.kernel.conventions import ANNOTATION_PAUSED_BY
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.spec import parse_policy
from budgetwarden.core.policy.status_model import HeldTarget

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TARGETS = parse_policy(yaml.safe_load((EXAMPLES / "05-policy.yaml").read_text())).spec.targets
HOTFIX = parse_exception(yaml.safe_load((EXAMPLES / "06-freeze-exception.yaml").read_text()))
FULL_HOTFIX = HOTFIX.model_copy(
    update={"spec": HOTFIX.spec.model_copy(update={"max_level": Level.FULL_FREEZE})}
)
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
OPERATOR = "system:serviceaccount:budgetwarden:budgetwarden"

# --- Bodies: mostly the right shape with wrong parts, sometimes anything at all --------------
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
anything = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
names = st.sampled_from(["checkout", "checkout-worker", "search", ""]) | st.text(max_size=300)
labels = st.dictionaries(
    st.sampled_from(["app", "team"]) | st.text(max_size=4),
    st.sampled_from(["checkout", "checkout-worker"]) | scalars,
    max_size=3,
)
annotation_maps = st.dictionaries(
    st.sampled_from([ANNOTATION_PAUSED_BY, RESTARTED_AT_ANNOTATION, "x"]), scalars, max_size=2
)


def optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts holding any subset of `fields`."""
    return st.fixed_dictionaries({}, optional=fields)


IMAGES = ["shop/checkout:1.4.1", "shop/checkout:1.5.0"]
STABLE = template_digest(
    {"metadata": {"labels": {"app": "checkout"}}, "spec": {"containers": [{"image": IMAGES[0]}]}}
)
GUARDED = [
    {"group": "argoproj.io", "version": "v1alpha1", "kind": "Rollout"},
    {"group": "apps", "version": "v1", "kind": "Deployment"},
    {"group": "apps", "version": "v1", "kind": "StatefulSet"},
]

# Well-formed workloads, so most examples reach the decision rules rather than the guards.
sound_templates = st.fixed_dictionaries(
    {
        "metadata": st.fixed_dictionaries(
            {"labels": st.just({"app": "checkout"})}, optional={"annotations": annotation_maps}
        ),
        "spec": st.fixed_dictionaries(
            {"containers": st.tuples(st.fixed_dictionaries({"image": st.sampled_from(IMAGES)}))}
        ).map(lambda spec: {"containers": list(spec["containers"])}),
    }
)
sound_workloads = st.fixed_dictionaries(
    {
        "metadata": st.fixed_dictionaries(
            {
                "name": st.sampled_from(["checkout", "checkout-worker"]),
                "labels": st.sampled_from(
                    [{"app": "checkout"}, {"app": "checkout-worker"}, {"app": "search"}]
                ),
            },
            optional={"annotations": annotation_maps},
        ),
        "spec": st.fixed_dictionaries(
            {"replicas": st.integers(1, 3), "template": sound_templates},
            optional={"paused": st.booleans(), "workloadRef": st.sampled_from([{"name": "a"}])},
        ),
    }
)
templates = optional(
    metadata=optional(labels=labels | anything, annotations=annotation_maps | anything),
    spec=optional(containers=st.lists(optional(image=st.sampled_from(IMAGES)) | anything)),
)
broken_workloads = (
    optional(
        metadata=optional(
            name=names | scalars,
            namespace=names | scalars,
            labels=labels | anything,
            annotations=annotation_maps | anything,
        ),
        spec=optional(
            replicas=st.integers(0, 4) | scalars,
            paused=st.booleans() | scalars,
            template=templates | anything,
            workloadRef=anything,
            strategy=anything,
        )
        | anything,
        status=anything,
    )
    | anything
)
workloads = sound_workloads | broken_workloads
sound_requests = st.fixed_dictionaries(
    {
        "uid": st.uuids().map(str),
        "kind": st.sampled_from(GUARDED),
        "operation": st.sampled_from(["CREATE", "UPDATE", "UPDATE", "UPDATE", "DELETE"]),
        "namespace": st.just("shop"),
        "name": st.sampled_from(["checkout", "checkout-worker"]),
        "object": sound_workloads,
        "oldObject": sound_workloads,
        "userInfo": st.fixed_dictionaries(
            {"username": st.sampled_from(["alice", "bob", "argocd", OPERATOR])}
        ),
        "dryRun": st.booleans(),
    }
)
broken_requests = optional(
    uid=st.uuids().map(str) | scalars,
    kind=st.sampled_from([*GUARDED, {"group": "", "version": "v1", "kind": "Pod"}]) | anything,
    operation=st.sampled_from(["CREATE", "UPDATE", "DELETE", "CONNECT"]) | scalars,
    namespace=st.sampled_from(["shop", "other"]) | scalars,
    name=names | scalars,
    object=workloads,
    oldObject=workloads,
    userInfo=optional(username=st.sampled_from([OPERATOR, "alice"]) | scalars) | anything,
    dryRun=scalars,
    subResource=st.sampled_from(["status", "scale"]) | scalars,
)
envelope = {"apiVersion": st.just("admission.k8s.io/v1"), "kind": st.just("AdmissionReview")}
sound_reviews = st.fixed_dictionaries({**envelope, "request": sound_requests})
broken_reviews = st.fixed_dictionaries({"request": broken_requests}, optional=envelope) | anything

# --- Views: real policies in every level and mode, with odd numbers and names ----------------
policies = st.builds(
    PolicyFreeze,
    policy=st.sampled_from(["payments", "platform"]) | st.text(max_size=80),
    level=st.sampled_from([*Level, Level.PARTIAL_FREEZE, Level.FULL_FREEZE]),
    targets=st.just(TARGETS),
    enforcement=st.sampled_from(["Enforce", "Warn", "DryRun"]),
    freeze_id=st.text(max_size=60),
    since=st.none() | st.datetimes(timezones=st.none() | st.just(UTC)),
    slo=st.text(max_size=80),
    remaining_percent=st.none() | st.decimals(),
    threshold_percent=st.none() | st.decimals(),
    runbook_url=st.text(max_size=300),
    held=st.lists(
        st.builds(
            HeldTarget,
            kind=st.sampled_from(["Rollout", "Deployment"]),
            name=st.sampled_from(["checkout", "checkout-worker"]) | names,
            paused_by_us=st.booleans(),
            stable_template=st.sampled_from(["", STABLE]) | st.text(max_size=8),
        ),
        max_size=2,
    ).map(tuple),
)
views = st.builds(
    FreezeView,
    policies=st.lists(policies, min_size=1, max_size=3).map(tuple),
    exceptions=st.sampled_from([(), (HOTFIX,), (HOTFIX, FULL_HOTFIX)]),
)


def assert_one_line(text: Any, limit: int) -> None:
    assert isinstance(text, str)
    assert text.startswith("[budgetwarden] ")
    assert len(text) <= limit
    assert text.isascii() and text.isprintable()


def assert_well_formed(body: dict[str, Any]) -> None:
    assert set(body) == {"apiVersion", "kind", "response"}
    assert (body["apiVersion"], body["kind"]) == ("admission.k8s.io/v1", "AdmissionReview")
    response = body["response"]
    assert set(response) <= {"uid", "allowed", "status", "warnings", "auditAnnotations"}
    assert isinstance(response["uid"], str) and isinstance(response["allowed"], bool)
    if not response["allowed"]:
        status = response["status"]
        assert (status["code"], status["reason"]) == (403, "Forbidden")
        assert_one_line(status["message"], 600)
    for warning in response.get("warnings", []):
        assert_one_line(warning, 600)
    json.dumps(body, allow_nan=False)  # the webhook can send it as it is


@settings(max_examples=1500, deadline=None)
@given(review=sound_reviews, view=views, now=st.datetimes(timezones=st.none() | st.just(UTC)))
def test_any_sound_request_gets_a_well_formed_stable_response(
    review: Any, view: FreezeView, now: datetime
) -> None:
    body = respond(review, view, operator_username=OPERATOR, now=now)
    assert_well_formed(body)
    assert body["response"]["uid"] == review["request"]["uid"]
    assert respond(review, view, operator_username=OPERATOR, now=now) == body


@settings(max_examples=1000, deadline=None)
@given(review=broken_reviews, view=views)
def test_any_broken_body_is_allowed_with_a_well_formed_response(
    review: Any, view: FreezeView
) -> None:
    body = respond(review, view, operator_username=OPERATOR, now=NOW)
    assert_well_formed(body)


@settings(max_examples=300, deadline=None)
@given(review=sound_reviews, view=views)
def test_dry_run_never_changes_the_answer(review: Any, view: FreezeView) -> None:
    real = {**review, "request": {**review["request"], "dryRun": False}}
    dry = {**review, "request": {**review["request"], "dryRun": True}}
    assert respond(dry, view, operator_username=OPERATOR, now=NOW) == respond(
        real, view, operator_username=OPERATOR, now=NOW
    )


@settings(max_examples=500, deadline=None)
@given(
    policy=policies,
    ref=st.builds(WorkloadRef, namespace=st.text(), kind=st.text(max_size=20), name=st.text()),
    blocked=st.sampled_from([BLOCKED_TEMPLATE, BLOCKED_CREATE, BLOCKED_UNPAUSE]),
)
def test_every_denial_is_one_printable_line_of_at_most_600_characters(
    policy: PolicyFreeze, ref: WorkloadRef, blocked: str
) -> None:
    assert_one_line(denial_message(policy, ref, blocked), 600)
