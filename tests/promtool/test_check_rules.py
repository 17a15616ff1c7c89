"""Every generated rule file passes `promtool check rules`, duplicate-rule lint included."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from budgetwarden.core.slo.rules import RuleOptions, build_rule_groups
from budgetwarden.core.slo.spec import SLO, parse_slo
from promtool_support import FIXTURES, check_rules, fixture_slo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SLO_EXAMPLES = ("01-availability-ratio", "02-latency", "03-availability-gauge", "04-window-28d")


def example(name: str) -> SLO:
    return parse_slo(yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text()))


def variant(base: str, **spec: object) -> SLO:
    """The fixture SLO `base` with some spec fields replaced."""
    resource = yaml.safe_load((FIXTURES / f"{base}.yaml").read_text())
    resource["spec"].update(spec)
    return parse_slo(resource)


CASES = [
    *(pytest.param(example(name), RuleOptions(), id=f"examples/{name}") for name in SLO_EXAMPLES),
    pytest.param(fixture_slo("checkout-6h"), RuleOptions(), id="a 6h SLO with one page pair"),
    pytest.param(
        variant(
            "checkout-30d",
            window="7d",
            indicator={"latency": {"histogram": 'h_seconds_bucket{job="a"}', "threshold": "2s"}},
        ),
        RuleOptions(),
        id="a 7d latency SLO with a whole-second threshold",
    ),
    pytest.param(
        variant(
            "checkout-30d",
            window="1d",
            indicator={
                "ratio": {
                    "errors": "sum(rate(a_errors[{{.window}}])) + sum(rate(b_errors[{{.window}}]))",
                    "total": "sum(rate(a_total[{{.window}}])) or sum(rate(b_total[{{.window}}]))",
                }
            },
            alerting={"labels": {"team": "payments"}, "ticket": {"disabled": True}},
        ),
        RuleOptions(scrape_interval=timedelta(seconds=5)),
        id="a 1d SLO with compound queries, a 5s scrape and no ticket tier",
    ),
]


@pytest.mark.parametrize(("slo", "options"), CASES)
def test_generated_rules_pass_promtool_check(
    slo: SLO, options: RuleOptions, promtool: Path, tmp_path: Path
) -> None:
    groups = build_rule_groups(slo, options)
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    result = check_rules(promtool, rule_file)
    count = sum(len(group["rules"]) for group in groups)
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    assert (result.returncode, lines[-1:]) == (0, [f"SUCCESS: {count} rules found"]), (
        result.stdout + result.stderr
    )
