"""Every alert-pack rule file passes `promtool check rules`, duplicate-rule lint included, with
the defaults and with every setting moved away from them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from budgetwarden.core.kernel.runbooks import parse_runbook_base
from budgetwarden.core.packs import names
from budgetwarden.core.packs.build import build_pack_groups
from budgetwarden.core.packs.settings import (
    ModelQualitySettings,
    PackSettings,
    ResourcesSettings,
    Threshold,
)
from promtool_support import check_rules

CASES = [
    pytest.param(PackSettings(), id="the defaults"),
    pytest.param(
        PackSettings(
            namespace_selector='namespace=~"shop|payments", namespace!="payments-sandbox"',
            runbooks=parse_runbook_base("https://wiki.example.com/sre/{page}"),
            priorities={"PodCrashLooping": "P1", "ModelDriftDetected": "P2"},
            resources=ResourcesSettings(
                cpu=Threshold("92.5", "1h30m"),
                memory=Threshold("95", "90s"),
                disk=Threshold("80", "1h"),
                node_disks=False,
                crash_looping_for="30m",
            ),
            model_quality=ModelQualitySettings(
                drift_metric="model:psi:max",
                drift=Threshold("0.1", "2h"),
                confidence_metric="ranker_confidence",
                confidence=Threshold("0.55", "5m"),
            ),
        ),
        id="two namespace matchers, a wiki, overrides and every threshold changed",
    ),
]


@pytest.mark.parametrize("settings", CASES)
def test_pack_rules_pass_promtool_check(
    settings: PackSettings, promtool: Path, tmp_path: Path
) -> None:
    groups = build_pack_groups(names.PACKS, settings)
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    result = check_rules(promtool, rule_file)
    count = sum(len(group["rules"]) for group in groups)
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    assert (result.returncode, lines[-1:]) == (0, [f"SUCCESS: {count} rules found"]), (
        result.stdout + result.stderr
    )
