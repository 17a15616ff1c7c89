"""Malformed resources are refused with one problem that names the field and says what is allowed.

Each row changes one thing in a valid resource and expects exactly that one Problem back, field
path and message whole (tests/unit/test_bad_input_fuzz.py throws junk at every field). The
resources and the ways to change them are in tests/bad_input_support.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bad_input_support import (
    DROP,
    LOGIN,
    ORDER,
    SMTP,
    TIMESTAMP,
    WEBHOOK,
    burn_pair,
    exception,
    parse_slo_and_queries,
    policy,
    slo,
    trigger,
)
from budgetwarden.core.kernel.errors import Problem, SpecError

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
    pytest.param(*slo("spec.owner", "payments"), "spec.owner",
                 "unknown field; allowed here: alerting, description, indicator, objective, "
                 "prometheusRule, service, window",
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
                 "must be a Kubernetes label value of letters, digits, '-', '_' and '.', starting "
                 'and ending with a letter or digit; got "check out"',
                 id="a service name with a space"),
    pytest.param(*slo("spec.alerting", {"page": {"labels": {f"l{n}": "x" for n in range(33)}}}),
                 "spec.alerting.page.labels", "must have at most 32 entries",
                 id="too many alert labels"),
    pytest.param(*slo("spec.alerting", {"labels": {"team-name": "payments"}}),
                 "spec.alerting.labels.team-name",
                 "key must be a Prometheus label name of letters, digits and '_', not starting "
                 'with a digit; got "team-name"',
                 id="an alert label that is not a Prometheus label name"),
    pytest.param(*slo("spec.alerting", {"ticket": {"labels": {"priority": "p1"}}}),
                 "spec.alerting.ticket.labels", 'priority must be one of P0, P1, P2, P3; got "p1"',
                 id="a priority Alertmanager has no route for"),
    pytest.param(*slo("spec.alerting", {"runbookURL": "runbooks/slo.md"}),
                 "spec.alerting.runbookURL",
                 'must be an http:// or https:// URL; got "runbooks/slo.md"',
                 id="a runbook link that is not a URL"),
    pytest.param(*slo("spec.alerting", {"page": {"disabled": "maybe"}}),
                 "spec.alerting.page.disabled", 'must be true or false; got "maybe"',
                 id="a tier switch that is not a boolean"),
    pytest.param(
        *slo("spec.alerting", {"errorRate": {"threshold": "0"}}),
        "spec.alerting.errorRate.threshold",
        'must be above 0 and below 100 (a percent of events); got "0"',
        id="an error-rate threshold of 0 would page on every error",
    ),
    pytest.param(
        *slo("spec.alerting", {"errorRate": {"threshold": "0.05"} | {"for": "2h"}}),
        "spec.alerting.errorRate.for",
        'must be at most 1h; got "2h"',
        id="an error-rate page that waits longer than an hour",
    ),
    pytest.param(
        *slo("spec.alerting", {"errorRate": {"for": "2m"}}),
        "spec.alerting.errorRate.threshold",
        "is required",
        id="an error-rate page without a threshold",
    ),
    pytest.param(
        *slo("spec.alerting", {"serviceDown": {"upSelector": "up == 0"}}),
        "spec.alerting.serviceDown.upSelector",
        'must be a series selector such as up{job="api"}; got an expression with an operator',
        id="a service-down upSelector that is not a selector",
    ),
    pytest.param(*slo("metadata.name", "Checkout"), "metadata.name",
                 "must be a Kubernetes name of lowercase letters, digits and '-', starting and "
                 'ending with a letter or digit; got "Checkout"',
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
    pytest.param(
        *policy("spec.notify", [{"webhook": WEBHOOK, "email": SMTP}]),
        "spec.notify[0]",
        "set exactly one of webhook, pagerDuty or email",
        id="one notify entry with two channels",
    ),
    pytest.param(
        *policy("spec.notify", [{"webhook": WEBHOOK, "reminderEvery": "30s"}]),
        "spec.notify[0].reminderEvery",
        'must be at least 1m (a reminder storm is a page storm); got "30s"',
        id="reminders every 30 seconds",
    ),
    pytest.param(
        *policy("spec.notify", [{"email": SMTP | {"tls": "Disabled", "auth": LOGIN}}]),
        "spec.notify[0].email",
        "auth needs tls StartTLS or Implicit: a password is never sent in the clear",
        id="an SMTP password without TLS",
    ),
    pytest.param(
        *policy("spec.notify", [{"email": SMTP | {"to": ["oncall"]}}]),
        "spec.notify[0].email.to[0]",
        'must be one e-mail address such as oncall@example.com; got "oncall"',
        id="a recipient that is not an address",
    ),
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
