"""An SLO's budget-low alerts fire at the levels of the ErrorBudgetPolicies that select it: the
selection and the rule for several policies (core/policy/alert_levels.py), the generated alerts,
and `budgetwarden generate` reading policies beside the SLOs.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden.core.kernel import conventions as names
from budgetwarden.core.kernel.levels import Levels
from budgetwarden.core.policy.alert_levels import budget_alert_levels, rule_options_for
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, parse_policy
from budgetwarden.core.slo.rules import RuleOptions
from budgetwarden.core.slo.spec import parse_slo
from cli_support import run
from rules_support import BASE, alerts, at_value, make_slo

OPERATOR_LEVELS = Levels()  # 50/30/10: what --budget-levels gives when unset
TEAM = {"matchLabels": {"team": "payments"}}


def levels(warning: str, partial: str, full: str) -> Levels:
    return Levels(
        warning_below=Decimal(warning),
        partial_freeze_below=Decimal(partial),
        full_freeze_below=Decimal(full),
    )


def policy(name: str, selector: dict[str, Any], levels_of: dict[str, str] | None = None,
           namespace: str = "shop") -> ErrorBudgetPolicy:  # fmt: skip
    """A policy as written in YAML; `levels_of` None leaves spec.levels at its defaults."""
    spec: dict[str, Any] = {"sloSelector": selector}
    if levels_of is not None:
        spec["levels"] = levels_of
    return parse_policy({"metadata": {"name": name, "namespace": namespace}, "spec": spec})


def payments_slo() -> dict[str, Any]:
    """The checkout SLO in namespace shop, labelled team=payments."""
    resource = copy.deepcopy(BASE)
    resource["metadata"]["labels"] = {"team": "payments"}
    return resource


STRICT = {"warningBelow": "70", "partialFreezeBelow": "40", "fullFreezeBelow": "15"}
LATE_WARNING = {"warningBelow": "60", "partialFreezeBelow": "45", "fullFreezeBelow": "5"}

CASES = [
    pytest.param([], OPERATOR_LEVELS, id="no policy: the operator-wide levels"),
    pytest.param([policy("payments", TEAM, STRICT)], levels("70", "40", "15"),
                 id="the policy whose sloSelector matches the SLO's labels sets the levels"),
    pytest.param([policy("search", {"matchLabels": {"team": "search"}}, STRICT)],
                 OPERATOR_LEVELS, id="a policy that selects other SLOs does not count"),
    pytest.param([policy("payments", TEAM, STRICT, namespace="other")], OPERATOR_LEVELS,
                 id="a policy in another namespace does not count"),
    pytest.param([policy("everything", {}, STRICT)], levels("70", "40", "15"),
                 id="an empty sloSelector selects every SLO of the namespace"),
    pytest.param([policy("payments", TEAM)], OPERATOR_LEVELS,
                 id="a policy without levels selects the SLO at the policy defaults, 50/30/10"),
    pytest.param([policy("payments", TEAM, STRICT), policy("all", {}, LATE_WARNING)],
                 levels("70", "45", "15"),
                 id="several policies: each level at the highest threshold any of them sets"),
]  # fmt: skip


@pytest.mark.parametrize(("policies", "expected"), CASES)
def test_the_levels_of_the_policies_that_select_the_slo(
    policies: list[ErrorBudgetPolicy], expected: Levels
) -> None:
    labelled = parse_slo(payments_slo())
    assert budget_alert_levels(labelled, policies, OPERATOR_LEVELS) == expected


def test_the_operator_wide_levels_are_the_fallback_whatever_they_are() -> None:
    operator = levels("80", "60", "20")
    assert budget_alert_levels(make_slo(), [], operator) == operator


def test_the_alerts_fire_in_the_bands_of_the_selecting_policy() -> None:
    labelled = parse_slo(payments_slo())
    options = rule_options_for(labelled, [policy("payments", TEAM, STRICT)], RuleOptions())
    remaining = f'{names.METRIC_BUDGET_REMAINING}{{slo_name="checkout",slo_namespace="shop"}}'
    (rule,) = alerts(labelled, options)[names.ALERT_BUDGET_LOW]
    assert rule["expr"] == f"{remaining} < 0.7"
    level = rule["labels"]["slo_budget_level"]
    assert [at_value(level, left) for left in (0.69, 0.4, 0.39, 0.15, 0.149, -1.0)] == [
        "Warning", "Warning", "PartialFreeze", "PartialFreeze", "FullFreeze", "FullFreeze",
    ]  # fmt: skip
    assert options.scrape_interval == RuleOptions().scrape_interval


def test_generate_uses_the_policies_among_its_inputs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    payments = {
        "apiVersion": "budgetwarden.io/v1alpha1",
        "kind": "ErrorBudgetPolicy",
        "metadata": {"name": "payments", "namespace": "shop"},
        "spec": {"sloSelector": TEAM, "levels": STRICT},
    }
    (tmp_path / "slo.yaml").write_text(yaml.safe_dump(payments_slo()))
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(payments))
    code, out, err = run(capsys, "generate", str(tmp_path), "--format", "prometheus")
    rules = [r for g in yaml.safe_load(out)["groups"] for r in g["rules"]]
    (summary,) = [
        r["annotations"]["summary"] for r in rules if r.get("alert") == names.ALERT_BUDGET_LOW
    ]
    assert (code, err) == (0, "")
    assert re.findall(r"(\d+)%", summary) == ["15", "40", "70"]  # lowest level first
