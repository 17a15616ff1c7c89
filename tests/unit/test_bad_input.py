"""Malformed resources are refused with one problem that names the field and says what is allowed.

Each row changes one thing in a valid resource and expects exactly that one Problem back, field
path and message whole. Nothing a user can write makes parsing raise anything but SpecError:
the table, a fuzz run over junk in every field, and the shipped examples show it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetwarden.core.freeze.exception_spec import FreezeException, parse_exception
from budgetwarden.core.kernel.errors import Problem, SpecError
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, parse_policy
from budgetwarden.core.slo.promql import validate_slo_queries
from budgetwarden.core.slo.spec import SLO, parse_slo

EXAMPLES = Path(__file__).parents[2] / "examples"
DROP = object()  # as a value in `changed`: remove the field

SLO_RESOURCE: dict[str, Any] = {
    "apiVersion": "budgetwarden.io/v1alpha1",
    "kind": "SLO",
    "metadata": {"name": "checkout-availability", "namespace": "shop"},
    "spec": {
        "service": "checkout",
        "objective": "99.9",
        "window": "30d",
        "indicator": {
            "ratio": {
                "errors": 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
                "total": "sum(rate(http_requests_total[{{.window}}]))",
            }
        },
    },
}
POLICY_RESOURCE: dict[str, Any] = {
    "apiVersion": "budgetwarden.io/v1alpha1",
    "kind": "ErrorBudgetPolicy",
    "metadata": {"name": "payments", "namespace": "shop"},
    "spec": {"targets": [{"kind": "Rollout", "selector": {"matchLabels": {"app": "checkout"}}}]},
}
EXCEPTION_RESOURCE: dict[str, Any] = {
    "apiVersion": "budgetwarden.io/v1alpha1",
    "kind": "FreezeException",
    "metadata": {"name": "checkout-hotfix", "namespace": "shop"},
    "spec": {
        "targets": [{"kind": "Rollout", "name": "checkout"}],
        "reason": "Fix the retry storm.",
        "expiresAt": "2026-12-01T18:00:00Z",
    },
}


def changed(resource: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `resource` with the field at dotted `path` (list indexes as numbers) set."""
    copied = copy.deepcopy(resource)
    *parents, last = path.split(".")
    node = copied
    for key in parents:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    if value is DROP:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return copied


def parse_slo_and_queries(resource: Any) -> SLO:
    """What the operator and `budgetwarden validate` do: parse, then check the PromQL."""
    parsed = parse_slo(resource)
    validate_slo_queries(parsed)
    return parsed


def slo(path: str, value: Any) -> tuple[Callable[..., Any], dict[str, Any]]:
    return parse_slo_and_queries, changed(SLO_RESOURCE, path, value)


def policy(path: str, value: Any) -> tuple[Callable[..., Any], dict[str, Any]]:
    return parse_policy, changed(POLICY_RESOURCE, path, value)


def exception(path: str, value: Any) -> tuple[Callable[..., Any], dict[str, Any]]:
    return parse_exception, changed(EXCEPTION_RESOURCE, path, value)


def burn_pair(long: str, short: str, factor: str = "14.4") -> list[dict[str, str]]:
    return [{"tier": "page", "longWindow": long, "shortWindow": short, "factor": factor}]


def trigger(long: str, short: str, level: str) -> list[dict[str, str]]:
    return [{"longWindow": long, "shortWindow": short, "factor": "14.4", "level": level}]


LABEL_NAME = "^[a-zA-Z_][a-zA-Z0-9_]*$"
TIMESTAMP = 'must be a timestamp with a time zone such as "2026-12-01T18:00:00Z"; got '
ORDER = "thresholds must be ordered: 100 >= warningBelow > partialFreezeBelow > fullFreezeBelow"

# fmt: off
CASES = [
    pytest.param(*slo("spec.objective", "100"), "spec.objective",
                 'must be below 100 (a 100% objective leaves no error budget); got "100"',
                 id="a 100% objective leaves no error budget"),
    pytest.param(*slo("spec.objective", "99.9%"), "spec.objective",
                 'must be a number written as a string such as "99.9"; got "99.9%"',
                 id="a percent sign in the objective"),
    pytest.param(*slo("spec.objective", "0.999"), "spec.objective",
                 'is a percent, not a fraction; got "0.999", did you mean "99.9"?',
                 id="a fraction where a percent was meant suggests the percent"),
    pytest.param(*slo("spec.objective", 99.9), "spec.objective",
                 'must be a quoted string such as "99.9" (no floats); got 99.9',
                 id="an unquoted YAML float objective"),
    pytest.param(*slo("spec.objective", DROP), "spec.objective", "is required",
                 id="no objective"),
    pytest.param(*slo("spec.owner", "payments"), "spec.owner", "unknown field",
                 id="an unknown field in spec"),
    pytest.param(*slo("spec.indicator.ratio.total", ""), "spec.indicator.ratio.total",
                 "must not be empty", id="an empty query"),
    pytest.param(*slo("spec.indicator.ratio.total", "sum(rate(http_requests_total[{{.window}}])"),
                 "spec.indicator.ratio.total",
                 "is not valid PromQL at column 4: '(' is never closed", id="unparsable PromQL"),
    pytest.param(*slo("spec.window", "5x"), "spec.window",
                 'must be a duration such as "5m", "1h" or "30d"; got "5x"',
                 id="a window in an unknown unit"),
    pytest.param(*slo("spec.window", "0d"), "spec.window", 'must be longer than zero; got "0d"',
                 id="a zero window"),
    pytest.param(*slo("spec.window", "13w"), "spec.window",
                 'must be between 1h and 90d; got "91d"', id="a window longer than 90 days"),
    pytest.param(*slo("spec.alerting", {"burnRateWindows": burn_pair("1h", "1h")}),
                 "spec.alerting.burnRateWindows[0]", "shortWindow must be shorter than longWindow",
                 id="a burn-rate pair whose short window is not shorter"),
    pytest.param(*slo("spec.alerting", {"burnRateWindows": burn_pair("1h", "5m", "0")}),
                 "spec.alerting.burnRateWindows[0].factor", 'must be greater than 0; got "0"',
                 id="a burn factor of zero"),
    pytest.param(*slo("spec.indicator.availability", {"up": 'up{job="checkout"}'}),
                 "spec.indicator", "set exactly one of ratio, latency or availability",
                 id="two indicator kinds"),
    pytest.param(*slo("spec.indicator", {}), "spec.indicator",
                 "set exactly one of ratio, latency or availability", id="no indicator kind"),
    pytest.param(*slo("spec.indicator.ratio.good", "sum(rate(ok[{{.window}}]))"),
                 "spec.indicator.ratio", "set exactly one of errors or good",
                 id="both errors and good"),
    pytest.param(*slo("spec.indicator", {"latency": {"histogram": "latency_bucket"}}),
                 "spec.indicator.latency.threshold", "is required",
                 id="a latency indicator without a threshold"),
    pytest.param(*slo("spec.service", "check out"), "spec.service",
                 'must match ^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$; got "check out"',
                 id="a service name with a space"),
    pytest.param(*slo("spec.alerting", {"page": {"labels": {f"l{n}": "x" for n in range(33)}}}),
                 "spec.alerting.page.labels", "must have at most 32 entries",
                 id="too many alert labels"),
    pytest.param(*slo("spec.alerting", {"labels": {"team-name": "payments"}}),
                 "spec.alerting.labels.team-name", f'key must match {LABEL_NAME}; got "team-name"',
                 id="an alert label that is not a Prometheus label name"),
    pytest.param(*slo("spec.alerting", {"ticket": {"labels": {"priority": "p1"}}}),
                 "spec.alerting.ticket.labels", 'priority must be one of P0, P1, P2, P3; got "p1"',
                 id="a priority Alertmanager has no route for"),
    pytest.param(*slo("spec.alerting", {"runbookURL": "runbooks/slo.md"}),
                 "spec.alerting.runbookURL", 'must match ^https?://; got "runbooks/slo.md"',
                 id="a runbook link that is not a URL"),
    pytest.param(*slo("spec.alerting", {"page": {"disabled": "maybe"}}),
                 "spec.alerting.page.disabled", 'must be true or false; got "maybe"',
                 id="a tier switch that is not a boolean"),
    pytest.param(*slo("metadata.name", "Checkout"), "metadata.name",
                 'must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$; got "Checkout"',
                 id="an SLO name with a capital letter"),
    pytest.param(*slo("spec", "checkout"), "spec", 'must be a mapping of fields; got "checkout"',
                 id="spec as a string"),
    pytest.param(*slo("spec.indicator", ["ratio"]), "spec.indicator",
                 "must be a mapping of fields; got a list", id="an indicator as a list"),
    pytest.param(parse_slo_and_queries, ["not", "a", "resource"], "resource",
                 "must be a mapping of fields; got a list", id="a document that is a list"),
    pytest.param(*policy("spec.levels", {"warningBelow": "30", "partialFreezeBelow": "50"}),
                 "spec.levels", f"{ORDER}; got 30 > 50 > 10", id="thresholds out of order"),
    pytest.param(*policy("spec.levels", {"warningBelow": "120"}), "spec.levels",
                 f"{ORDER}; got 120 > 30 > 10", id="a warning threshold above 100"),
    pytest.param(*policy("spec.enforcement", "Block"), "spec.enforcement",
                 'must be Enforce, Warn or DryRun; got "Block"', id="an unknown enforcement"),
    pytest.param(*policy("spec.targets.0.kind", "Pod"), "spec.targets[0].kind",
                 'must be Rollout or Deployment; got "Pod"',
                 id="a target kind a freeze cannot hold"),
    pytest.param(*policy("spec.burnRateTriggers", trigger("1h", "5m", "Normal")),
                 "spec.burnRateTriggers[0].level",
                 'must be Warning, PartialFreeze or FullFreeze; got "Normal"',
                 id="a burn-rate trigger that sets Normal"),
    pytest.param(*policy("spec.burnRateTriggers", trigger("5m", "1h", "FullFreeze")),
                 "spec.burnRateTriggers[0]", "shortWindow must be shorter than longWindow",
                 id="a burn-rate trigger with its windows swapped"),
    pytest.param(*policy("spec.sloSelector", {"matchExpressions": [{"key": "team",
                                                                     "operator": "In"}]}),
                 "spec.sloSelector.matchExpressions[0]",
                 "values must be set for In and NotIn, and empty otherwise",
                 id="an In selector without values"),
    pytest.param(*policy("spec.hysteresis", {"exitMarginPercent": "150"}),
                 "spec.hysteresis.exitMarginPercent", 'must be at most 100; got "150"',
                 id="an exit margin above 100 percent"),
    pytest.param(*policy("spec.notify", [{"webhook": {"urlSecretRef": {"name": "slack"}}}]),
                 "spec.notify[0].webhook.urlSecretRef.key", "is required",
                 id="a webhook secret reference without a key"),
    pytest.param(*exception("spec.expiresAt", DROP), "spec.expiresAt", "is required",
                 id="an exception without an expiry"),
    pytest.param(*exception("spec.expiresAt", "2026-12-01T18:00:00"), "spec.expiresAt",
                 f'{TIMESTAMP}"2026-12-01T18:00:00"', id="an expiry without a time zone"),
    pytest.param(*exception("spec.expiresAt", 1796148000), "spec.expiresAt",
                 f"{TIMESTAMP}1796148000", id="an expiry as a number"),
    pytest.param(*exception("spec.targets.0.selector", {"matchLabels": {"app": "checkout"}}),
                 "spec.targets[0]", "set exactly one of name or selector",
                 id="an exception target with both a name and a selector"),
    pytest.param(*exception("spec.targets.0", {"kind": "Rollout", "selector": {}}),
                 "spec.targets[0].selector",
                 "must not be empty, which would cover every workload of the kind; set"
                 " matchLabels or matchExpressions, or name the workload",
                 id="an exception target with an empty selector"),
    pytest.param(*exception("spec.targets", []), "spec.targets", "must have at least 1 item",
                 id="an exception for nothing"),
    pytest.param(*exception("spec.maxLevel", "Warning"), "spec.maxLevel",
                 'must be PartialFreeze or FullFreeze; got "Warning"',
                 id="an exception for a level that freezes nothing"),
]
# fmt: on


@pytest.mark.parametrize(("parse", "resource", "field", "message"), CASES)
def test_a_malformed_resource_gives_one_problem_naming_the_field(
    parse: Callable[..., Any], resource: Any, field: str, message: str
) -> None:
    with pytest.raises(SpecError) as caught:
        parse(resource)
    assert caught.value.problems == (Problem(field, message),)


def paths(node: Any, prefix: str = "") -> Iterator[str]:
    """Every dotted path in a resource, containers included."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in items:
        path = f"{prefix}.{key}" if prefix else str(key)
        yield path
        if isinstance(child, dict | list):
            yield from paths(child, path)


# What YAML can hand us: scalars (dates included), lists and mappings of them.
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
JUNK = st.recursive(
    SCALARS | st.dates() | st.datetimes(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(SCALARS.map(str) | st.integers(), inner, max_size=3)
    ),
    max_leaves=6,
)
RESOURCES = [
    (parse_slo_and_queries, SLO_RESOURCE),
    (parse_policy, POLICY_RESOURCE),
    (parse_exception, EXCEPTION_RESOURCE),
]


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_junk_in_any_field_is_a_spec_error_or_a_valid_resource(data: st.DataObject) -> None:
    parse, resource = data.draw(st.sampled_from(RESOURCES))
    path = data.draw(st.sampled_from(sorted(paths(resource))))
    mangled = changed(resource, path, data.draw(JUNK))
    try:
        parse(mangled)
    except SpecError as error:
        assert error.problems
        assert all(p.field and p.message for p in error.problems)


PARSERS: dict[str, tuple[Callable[..., Any], type]] = {
    "SLO": (parse_slo, SLO),
    "ErrorBudgetPolicy": (parse_policy, ErrorBudgetPolicy),
    "FreezeException": (parse_exception, FreezeException),
}


@pytest.mark.parametrize(
    "path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: f"example {p.name} parses"
)
def test_every_example_parses(path: Path) -> None:
    documents = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    assert documents
    for document in documents:
        parse, model = PARSERS[document["kind"]]
        parsed = parse(document)
        assert isinstance(parsed, model)
        assert parsed.metadata.name == document["metadata"]["name"]
