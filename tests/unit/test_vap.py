"""ValidatingAdmissionPolicy mode, rendered: the shared case table, params, policies, bindings.

The CEL itself runs in tests/integration/test_vap.py on a real API server; here the table is
held to the webhook's decision (so both modes answer to one set of expectations) and the
rendered objects are compared whole.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from admission_case_status import CONTROLLER
from admission_cases import (
    CASE_IDS,
    NOW,
    OPERATOR,
    PAYMENTS_TARGETS,
    RUNBOOK,
    case_named,
    exception,
    freeze,
    outcome_of,
    review,
    targets,
)
from budgetwarden.core.freeze import vap
from budgetwarden.core.freeze import vap_cel as cel
from budgetwarden.core.freeze.admission import decide
from budgetwarden.core.freeze.view import FreezeView, PolicyFreeze
from budgetwarden.core.freeze.webhook_config import workload_match_conditions
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.policy.spec import LabelSelector, parse_policy
from budgetwarden.core.policy.status_model import HeldTarget

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_the_webhook_gives_each_case_its_expected_outcome(case_id: str) -> None:
    case = case_named(case_id)
    decision = decide(
        review(case.change), case.view, operator_username=OPERATOR, now=NOW,
        status_writers=(CONTROLLER,),
    )  # fmt: skip
    assert outcome_of(decision.allowed, decision.message, decision.warnings) == case.webhook


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        pytest.param({}, "", id="an empty selector selects everything"),
        pytest.param(
            {"matchLabels": {"tier": "web", "app": "checkout"}},
            "app=checkout,tier=web",
            id="matchLabels in key order",
        ),
        pytest.param(
            {
                "matchExpressions": [
                    {"key": "app", "operator": "In", "values": ["cart", "checkout"]},
                    {"key": "example.com/tier", "operator": "NotIn", "values": ["batch", ""]},
                    {"key": "ready", "operator": "Exists"},
                    {"key": "legacy", "operator": "DoesNotExist"},
                ]
            },
            "app=cart|checkout,example.com/tier!=batch|,ready,!legacy",
            id="each matchExpressions operator has its own spelling",
        ),
    ],
)
def test_a_selector_becomes_one_line_cel_can_split(selector: dict, expected: str) -> None:
    assert vap.selector_text(LabelSelector.model_validate(selector)) == expected


@pytest.mark.parametrize(
    ("kind", "selector", "name", "expected"),
    [
        pytest.param("Rollout", None, "checkout", "Rollout/checkout", id="a name"),
        pytest.param("Deployment", LabelSelector(), None, "Deployment", id="every Deployment"),
        pytest.param(
            "Rollout",
            LabelSelector(match_labels={"app": "checkout"}),
            None,
            "Rollout app=checkout",
            id="a selector follows the kind after a space",
        ),
    ],
)
def test_target_lines(
    kind: str, selector: LabelSelector | None, name: str | None, expected: str
) -> None:
    assert vap.target_line(kind, selector, name) == expected


# What the next test expects: the params ConfigMap of namespace shop for its view.
SHOP_PARAMS = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {
        "name": "budgetwarden-admission",
        "namespace": "shop",
        "labels": {
            "budgetwarden.io/admission-params": "true",
            "app.kubernetes.io/managed-by": "budgetwarden",
        },
        "ownerReferences": [
            {"apiVersion": "budgetwarden.io/v1alpha1", "kind": "ErrorBudgetPolicy",
             "name": "a", "uid": "u-1"},
            {"apiVersion": "budgetwarden.io/v1alpha1", "kind": "ErrorBudgetPolicy",
             "name": "payments", "uid": "u-2"},
        ],
    },
    "data": {
        "policies": "3",
        "exceptions": "1",
        "policy.0.name": "platform",
        "policy.0.level": "FullFreeze",
        "policy.0.enforcement": "Enforce",
        "policy.0.runbookURL": "https://github.com/budgetwarden/budgetwarden/blob/main/runbooks/freeze.md",
        "policy.0.targets": "Rollout",
        "policy.1.name": "payments",
        "policy.1.level": "PartialFreeze",
        "policy.1.enforcement": "Enforce",
        "policy.1.freezeId": "fz-7c2e",
        "policy.1.since": "2026-11-29T10:14:00Z",
        "policy.1.slo": "checkout-availability",
        "policy.1.remainingPercent": "21.4",
        "policy.1.thresholdPercent": "30",
        "policy.1.runbookURL": RUNBOOK,
        "policy.1.targets": "Rollout app=checkout\nDeployment app=checkout-worker",
        "policy.1.held": "Rollout/checkout\nDeployment/checkout-worker",
        "policy.1.pausedByUs": "Rollout/checkout",
        "policy.1.resourcesThrough": "true",
        "policy.2.name": "search",
        "policy.2.level": "Normal",
        "policy.2.enforcement": "Enforce",
        "policy.2.since": "2026-11-29T10:14:00Z",
        "policy.2.slo": "checkout-availability",
        "policy.2.remainingPercent": "21.4",
        "policy.2.thresholdPercent": "30",
        "policy.2.runbookURL": RUNBOOK,
        "exception.0.name": "checkout-hotfix-4711",
        "exception.0.maxLevel": "PartialFreeze",
        "exception.0.targets": "Rollout/checkout",
        "exception.0.ticket": "INC-" + "9" * 33 + "...",
        "exception.0.expiresAt": "2026-12-01T18:00:00Z",
    },
}  # fmt: skip


def test_params_hold_every_policy_in_the_webhooks_order_and_only_exceptions_in_force() -> None:
    view = FreezeView(
        policies=(
            freeze(Level.NORMAL, policy="search", freeze_id="", held=(), targets=()),
            freeze(
                held=(
                    HeldTarget("Rollout", "checkout", paused_by_us=True, stable_template="x"),
                    HeldTarget("Deployment", "checkout-worker"),
                )
            ),
            PolicyFreeze("platform", Level.FULL_FREEZE, targets=targets({"kind": "Rollout"})),
        ),
        exceptions=(
            exception("shop", ticket="INC-" + "9" * 60),
            exception("shop", expiresAt="2026-11-29T12:00:00Z").model_copy(
                update={"metadata": exception("shop").metadata.model_copy(update={"name": "old"})}
            ),
            exception("other"),
        ),
    )
    owners = [("payments", "u-2"), ("a", "u-1")]
    assert vap.params_config_map("shop", view, NOW, owners=owners) == SHOP_PARAMS


def test_numbers_are_written_as_the_denial_prints_them() -> None:
    policy = freeze(remaining_percent=Decimal("-12.3456"), threshold_percent=Decimal("30.00"))
    data = vap.params_data(FreezeView((policy,)), "shop", NOW)
    assert (data["policy.0.remainingPercent"], data["policy.0.thresholdPercent"]) == ("-12.4", "30")


@pytest.mark.parametrize(
    ("expiries", "expected"),
    [
        pytest.param([], None, id="no exception: nothing to refresh for"),
        pytest.param(["2026-11-29T11:00:00Z"], None, id="an expired exception is already out"),
        pytest.param(
            ["2026-12-01T18:00:00Z", "2026-11-29T13:00:00Z"],
            NOW + timedelta(hours=1),
            id="the earliest expiry in the params",
        ),
    ],
)
def test_params_are_refreshed_when_an_exception_in_them_expires(expiries, expected) -> None:
    view = FreezeView((freeze(),), tuple(exception("shop", expiresAt=e) for e in expiries))
    assert vap.next_refresh(view, "shop", NOW) == expected


def test_each_policy_is_bound_once_with_its_action_and_params_from_the_namespace() -> None:
    objects = vap.admission_policies(OPERATOR, failure_policy="Fail")
    shown = [
        (o["kind"], o["metadata"]["name"], o["spec"].get("validationActions"),
         o["spec"].get("failurePolicy"), len(o["spec"].get("validations", [])))
        for o in objects
    ]  # fmt: skip
    assert shown == [
        ("ValidatingAdmissionPolicy", "budgetwarden-freeze", None, "Fail", 1),
        ("ValidatingAdmissionPolicyBinding", "budgetwarden-freeze", ["Deny"], None, 0),
        ("ValidatingAdmissionPolicy", "budgetwarden-freeze-warnings", None, "Fail", 8),
        ("ValidatingAdmissionPolicyBinding", "budgetwarden-freeze-warnings", ["Warn"], None, 0),
        ("ValidatingAdmissionPolicy", "budgetwarden-freeze-audit", None, "Fail", 1),
        ("ValidatingAdmissionPolicyBinding", "budgetwarden-freeze-audit", ["Audit"], None, 0),
        ("ValidatingAdmissionPolicy", "budgetwarden-admission-params", None, "Fail", 1),
        ("ValidatingAdmissionPolicyBinding", "budgetwarden-admission-params", ["Deny"], None, 0),
    ]
    assert objects[1]["spec"]["paramRef"] == {
        "selector": {"matchLabels": {"budgetwarden.io/admission-params": "true"}},
        "parameterNotFoundAction": "Allow",
    }


def test_namespaces_opt_in_and_changes_are_filtered_as_for_the_webhook() -> None:
    policy = vap.freeze_policy("budgetwarden-freeze", OPERATOR, breakglass=True)["spec"]
    assert policy["matchConstraints"]["namespaceSelector"] == {
        "matchLabels": {"budgetwarden.io/enforce": "enabled"}
    }
    assert policy["matchConditions"] == workload_match_conditions(OPERATOR, breakglass=True)
    assert policy["failurePolicy"] == "Ignore"


def test_without_the_operators_user_there_is_no_guard_and_an_empty_selector_enforces_all() -> None:
    objects = vap.admission_policies(namespace_selector={})
    assert [o["metadata"]["name"] for o in objects] == [
        "budgetwarden-freeze", "budgetwarden-freeze",
        "budgetwarden-freeze-warnings", "budgetwarden-freeze-warnings",
        "budgetwarden-freeze-audit", "budgetwarden-freeze-audit",
    ]  # fmt: skip
    assert "namespaceSelector" not in objects[0]["spec"]["matchConstraints"]
    assert [c["name"] for c in objects[0]["spec"]["matchConditions"]] == [
        "has-spec",
        "judged-change",
    ]


@pytest.mark.parametrize("name", ["budgetwarden-freeze", "budgetwarden-freeze-warnings",
                                  "budgetwarden-freeze-audit"])  # fmt: skip
def test_every_variable_reads_only_variables_defined_before_it(name: str) -> None:
    spec = vap.freeze_policy(name)["spec"]
    defined: set[str] = set()
    for variable in spec["variables"]:
        used = set(re.findall(r"variables\.(\w+)", variable["expression"]))
        assert used <= defined, f"{variable['name']} reads {sorted(used - defined)} too early"
        defined.add(variable["name"])
    later = [v["expression"] for v in spec["validations"]]
    later += [v["messageExpression"] for v in spec["validations"]]
    later += [a["valueExpression"] for a in spec.get("auditAnnotations", [])]
    assert set(re.findall(r"variables\.(\w+)", " ".join(later))) <= defined


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("plain", "'plain'", id="plain text"),
        pytest.param("it's", "'it\\'s'", id="a quote is escaped"),
        pytest.param("a\\b\nc", "'a\\\\b\\nc'", id="backslashes and newlines are escaped"),
    ],
)
def test_string_literals(value: str, expected: str) -> None:
    assert cel.lit(value) == expected


def test_the_tables_payments_policy_targets_what_examples_05_targets() -> None:
    example = yaml.safe_load((EXAMPLES / "05-policy.yaml").read_text())
    assert parse_policy(example).spec.targets == PAYMENTS_TARGETS
