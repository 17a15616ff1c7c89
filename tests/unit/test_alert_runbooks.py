"""Every alert budgetwarden generates has a runbook page and links it; every priority has a policy.

Alerts: the ALERT_* names of core/kernel/conventions.py (what the SLO generator emits, some only
when an SLO asks for them, like SLOHighErrorRate) and the alert packs' (core/packs/names.py).
Pages: runbooks/alerts/<AlertName>.md, titled with the name, whose **Priority.** paragraph names
the priority the alert gets by default, so that a page never contradicts the reviewed mapping.
Priorities P0-P3: each has its row in the alerting policy and in the on-call policy, and every
alert is named in one of them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden.core.kernel import conventions
from budgetwarden.core.packs import names as pack_names
from budgetwarden.core.packs.build import build_pack_groups
from budgetwarden.core.packs.settings import PackSettings
from budgetwarden.core.slo.priorities import PRIORITIES, PRIORITY_LABEL
from budgetwarden.core.slo.rules import build_prometheus_rule
from budgetwarden.core.slo.spec import parse_slo
from rules_support import label_sets

REPO = Path(__file__).resolve().parents[2]
PAGES = REPO / "runbooks" / "alerts"
POLICIES = REPO / "docs" / "policies"
SLO_ALERTS = sorted(value for key, value in vars(conventions).items() if key.startswith("ALERT_"))
ALERT_NAMES = SLO_ALERTS + sorted(pack_names.PACK_ALERTS)
SLO_EXAMPLES = ("01-availability-ratio", "02-latency", "03-availability-gauge", "04-window-28d")
# Switched on in every example, so that the opt-in alerts are generated too.
OPT_IN: dict[str, Any] = {"errorRate": {"threshold": "5"}}


def _slo_alerts(example: str) -> list[dict[str, Any]]:
    """The alerts of an example SLO with every opt-in alert on and no runbookURL of its own."""
    resource = yaml.safe_load((REPO / "examples" / f"{example}.yaml").read_text())
    alerting = resource["spec"].setdefault("alerting", {})
    alerting.pop("runbookURL", None)
    alerting.update(OPT_IN)
    groups = build_prometheus_rule(parse_slo(resource))["spec"]["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _pack_alerts() -> list[dict[str, Any]]:
    groups = build_pack_groups(pack_names.PACKS, PackSettings())
    return [rule for group in groups for rule in group["rules"]]


GENERATED = [rule for example in SLO_EXAMPLES for rule in _slo_alerts(example)] + _pack_alerts()


@pytest.mark.parametrize(
    "alert", [pytest.param(name, id=f"{name} has a runbook page") for name in ALERT_NAMES]
)
def test_each_alert_has_a_runbook_page(alert: str) -> None:
    page = PAGES / f"{alert}.md"
    assert page.is_file(), f"missing {page.relative_to(REPO)}"
    assert page.read_text().startswith(f"# {alert}")


def test_every_alert_page_belongs_to_an_alert() -> None:
    assert {page.stem for page in PAGES.glob("*.md")} - set(ALERT_NAMES) == set()


def test_generated_alerts_link_to_their_own_page() -> None:
    assert {rule["alert"] for rule in GENERATED} == set(ALERT_NAMES)
    for rule in GENERATED:
        assert rule["annotations"]["runbook_url"].endswith(f"/runbooks/alerts/{rule['alert']}.md")


def _default_priorities() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for rule in GENERATED:
        priorities = {labels[PRIORITY_LABEL] for labels in label_sets(rule)}
        found.setdefault(rule["alert"], set()).update(priorities)
    return found


@pytest.mark.parametrize(
    ("alert", "priorities"),
    [
        pytest.param(alert, sorted(found), id=f"{alert} says {' and '.join(sorted(found))}")
        for alert, found in sorted(_default_priorities().items())
    ],
)
def test_each_page_names_the_priority_its_alert_gets(alert: str, priorities: list[str]) -> None:
    text = (PAGES / f"{alert}.md").read_text()
    paragraph = re.search(r"^\*\*Priority\.\*\*(.*?)(?:\n\n|\Z)", text, re.M | re.S)
    assert paragraph is not None, f"runbooks/alerts/{alert}.md has no **Priority.** paragraph"
    named = set(re.findall(r"\bP[0-3]\b", paragraph.group(1)))
    assert set(priorities) <= named
    index = (REPO / "runbooks" / "README.md").read_text()
    (row,) = re.findall(rf"^\| `{alert}` \|.*$", index, re.M)  # its row in the index, too
    assert set(priorities) <= set(re.findall(r"\bP[0-3]\b", row))


@pytest.mark.parametrize(
    ("policy", "priority"),
    [
        pytest.param(policy, priority, id=f"{policy} says what {priority} means")
        for policy in ("alerting-policy.md", "on-call.md")
        for priority in PRIORITIES
    ],
)
def test_every_priority_is_covered_by_the_policies(policy: str, priority: str) -> None:
    rows = re.findall(r"^\| \*\*(P[0-3])\*\* \|", (POLICIES / policy).read_text(), re.M)
    assert priority in rows


@pytest.mark.parametrize("alert", [pytest.param(a, id=a) for a in ALERT_NAMES])
def test_every_alert_is_named_in_a_policy(alert: str) -> None:
    text = "".join((POLICIES / p).read_text() for p in ("alerting-policy.md", "on-call.md"))
    assert f"`{alert}`" in text
