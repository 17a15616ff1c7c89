"""What the alert-pack promtool tests share: the packs' rules, input series and expected alerts.

The rules run in `promtool test rules` through the `rule_test` fixture (tests/promtool/conftest.py):
one sample a minute, rules evaluated every minute. Expected labels are written out in each test;
the annotations are the rule's own templates rendered with the alert's labels and value.
"""

from __future__ import annotations

import re
from typing import Any

from budgetwarden.core.packs.build import build_pack_group
from budgetwarden.core.packs.settings import PackSettings

_LABEL = re.compile(r"\{\{ \$labels\.([a-z_]+) \}\}")
_VALUE = re.compile(r"\{\{ \$value \| [^}]+ \}\}")


def pack_groups(pack: str, settings: PackSettings | None = None) -> list[dict[str, Any]]:
    """The one rule group of `pack`, as a list of groups for the rule runner."""
    return [build_pack_group(pack, settings or PackSettings())]


def rules_named(groups: list[dict[str, Any]], alert: str) -> list[dict[str, Any]]:
    return [rule for group in groups for rule in group["rules"] if rule["alert"] == alert]


def series(name: str, values: str, **labels: str) -> dict[str, str]:
    """One input series: `name{labels}` with promtool's expanding notation."""
    matchers = ",".join(f'{key}="{value}"' for key, value in labels.items())
    return {"series": f"{name}{{{matchers}}}", "values": values}


def alert(rule: dict[str, Any], labels: dict[str, str], value: str = "") -> dict[str, Any]:
    """An expected alert: exactly `labels`, and the rule's annotations rendered with them and
    with `value` as the template prints the alert's value."""

    def rendered(text: str) -> str:
        shown = _VALUE.sub(value, text)
        return _LABEL.sub(lambda m: labels.get(m.group(1), ""), shown)

    annotations = {key: rendered(text) for key, text in rule["annotations"].items()}
    return {"exp_labels": labels, "exp_annotations": annotations}


def check(at: str, alertname: str, *alerts: dict[str, Any]) -> dict[str, Any]:
    """An alert_rule_test: exactly `alerts` of `alertname` fire at `at` (none when empty)."""
    return {"eval_time": at, "alertname": alertname, "exp_alerts": list(alerts)}


def case(inputs: list[dict[str, str]], *checks: dict[str, Any]) -> list[dict[str, Any]]:
    """One promtool test case: the series at one sample a minute, and the alert checks."""
    return [{"interval": "1m", "input_series": inputs, "alert_rule_test": list(checks)}]
