"""Every alert the generator can emit links to a runbook page that exists in runbooks/alerts/."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from budgetwarden.core.kernel import conventions
from budgetwarden.core.slo.rules import build_prometheus_rule
from budgetwarden.core.slo.spec import parse_slo

REPO = Path(__file__).resolve().parents[2]
ALERT_NAMES = sorted(value for key, value in vars(conventions).items() if key.startswith("ALERT_"))


@pytest.mark.parametrize(
    "alert", [pytest.param(name, id=f"{name} has a runbook page") for name in ALERT_NAMES]
)
def test_each_alert_has_a_runbook_page(alert: str) -> None:
    page = REPO / "runbooks" / "alerts" / f"{alert}.md"
    assert page.is_file(), f"missing {page.relative_to(REPO)}"
    assert page.read_text().startswith(f"# {alert}")


def test_generated_alerts_link_to_their_own_page() -> None:
    slo = parse_slo(yaml.safe_load((REPO / "examples" / "01-availability-ratio.yaml").read_text()))
    rules = [
        rule
        for group in build_prometheus_rule(slo)["spec"]["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]
    assert {rule["alert"] for rule in rules} == set(ALERT_NAMES)
    for rule in rules:
        assert rule["annotations"]["runbook_url"].endswith(f"/runbooks/alerts/{rule['alert']}.md")
