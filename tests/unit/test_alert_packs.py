"""The alert packs' generator: which alerts each pack holds, what every alert carries, how the
settings reach the expressions, and which settings are refused and why.

The whole default output is a golden file (tests/golden/packs/, compared by
tests/unit/test_cli_generate_pack.py); promtool proves the behaviour (tests/promtool/test_pack_*).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import promql_parser
import pytest

from budgetwarden.core.kernel.runbooks import parse_runbook_base
from budgetwarden.core.packs import names
from budgetwarden.core.packs.build import build_pack_group, build_pack_groups
from budgetwarden.core.packs.priorities import DEFAULT_PACK_PRIORITIES, parse_priority_override
from budgetwarden.core.packs.settings import (
    ModelQualitySettings,
    PackSettings,
    ResourcesSettings,
    Threshold,
    histogram_name_text,
    namespace_selector_text,
    percent_text,
)

REPO = Path(__file__).resolve().parents[2]
DEFAULTS = PackSettings()


def rules(pack: str, settings: PackSettings = DEFAULTS) -> list[dict[str, Any]]:
    return list(build_pack_group(pack, settings)["rules"])


def rule(pack: str, alert: str, settings: PackSettings = DEFAULTS) -> dict[str, Any]:
    """The first rule of `alert` (for DiskSpaceLow and DiskFillingUp: the volumes' one)."""
    return next(r for r in rules(pack, settings) if r["alert"] == alert)


def test_each_pack_holds_its_alerts_in_a_fixed_order() -> None:
    assert [r["alert"] for r in rules(names.PACK_RESOURCES)] == [
        "HighCPUUsage", "HighMemoryUsage",
        "DiskSpaceLow", "DiskSpaceLow",  # volumes, then node filesystems
        "DiskFillingUp", "DiskFillingUp",
        "ContainerOOMKilled", "PodCrashLooping",
    ]  # fmt: skip
    assert [r["alert"] for r in rules(names.PACK_MODEL_QUALITY)] == [
        "ModelDriftDetected",
        "LowModelConfidence",
    ]


def test_groups_come_in_the_order_asked_and_are_named_after_their_pack() -> None:
    groups = build_pack_groups([names.PACK_MODEL_QUALITY, names.PACK_RESOURCES], DEFAULTS)
    assert [g["name"] for g in groups] == [
        "budgetwarden-pack-model-quality",
        "budgetwarden-pack-resources",
    ]


ALL_RULES = [
    pytest.param(r, id=f"{pack}: {r['alert']} #{index}")
    for pack in names.PACKS
    for index, r in enumerate(rules(pack))
]


@pytest.mark.parametrize("alert_rule", ALL_RULES)
def test_every_alert_has_priority_severity_runbook_and_texts(alert_rule: dict[str, Any]) -> None:
    alert = alert_rule["alert"]
    labels = dict(alert_rule["labels"])
    labels.pop("disk", None)  # the disk alerts' own label: test_disk_rules_are_labelled_apart
    assert labels == {
        "alert_pack": next(p for p, alerts in names.ALERTS_BY_PACK.items() if alert in alerts),
        "priority": DEFAULT_PACK_PRIORITIES[alert],
        "severity": "warning",
    }
    annotations = alert_rule["annotations"]
    assert list(annotations) == ["runbook_url", "summary", "description"]
    assert annotations["runbook_url"] == (
        f"https://github.com/budgetwarden/budgetwarden/blob/main/runbooks/alerts/{alert}.md"
    )
    assert (REPO / "runbooks" / "alerts" / f"{alert}.md").read_text().startswith(f"# {alert}\n")
    promql_parser.parse(alert_rule["expr"])


def test_disk_rules_are_labelled_apart() -> None:
    """Two rules of one name and the same labels are duplicates to promtool and Prometheus."""
    assert [
        (r["alert"], r["labels"].get("disk")) for r in rules("resources") if "disk" in r["labels"]
    ] == [
        ("DiskSpaceLow", "persistentvolumeclaim"),
        ("DiskSpaceLow", "node"),
        ("DiskFillingUp", "persistentvolumeclaim"),
        ("DiskFillingUp", "node"),
    ]


def test_no_pack_alert_pages_by_default() -> None:
    """Pack alerts watch causes: by the alerting policy, none pages on its own."""
    assert set(DEFAULT_PACK_PRIORITIES.values()) <= {"P2", "P3"}
    assert set(DEFAULT_PACK_PRIORITIES) == set(names.PACK_ALERTS)


def test_an_override_replaces_one_priority_and_leaves_the_others() -> None:
    settings = PackSettings(priorities=dict([parse_priority_override("PodCrashLooping=P1")]))
    assert {r["alert"]: r["labels"]["priority"] for r in rules("resources", settings)} == {
        "HighCPUUsage": "P3", "HighMemoryUsage": "P2", "DiskSpaceLow": "P3",
        "DiskFillingUp": "P2", "ContainerOOMKilled": "P3", "PodCrashLooping": "P1",
    }  # fmt: skip


def test_a_wiki_runbook_base_takes_the_page_path() -> None:
    settings = PackSettings(runbooks=parse_runbook_base("https://wiki.example.com/sre/{page}"))
    assert rule("resources", "HighCPUUsage", settings)["annotations"]["runbook_url"] == (
        "https://wiki.example.com/sre/alerts/HighCPUUsage"
    )


def test_the_namespace_selector_reaches_every_namespaced_series_and_no_node_one() -> None:
    settings = PackSettings(namespace_selector=' namespace!~"kube-.*" ')
    exprs = [r["expr"] for pack in names.PACKS for r in rules(pack, settings)]
    node_rules = [e for e in exprs if "node_filesystem" in e]
    assert len(node_rules) == 2
    assert not any("namespace!~" in e for e in node_rules)
    for expr in (e for e in exprs if e not in node_rules):
        selectors = expr.count("{")
        assert expr.count('namespace!~"kube-.*"}') == selectors, expr


def test_thresholds_and_durations_are_copied_as_written() -> None:
    settings = PackSettings(
        resources=ResourcesSettings(
            cpu=Threshold("92.5", "1h30m"), memory=Threshold("95", "90m"), node_disks=False
        ),
        model_quality=ModelQualitySettings(
            drift_metric="psi",
            confidence_metric="clf_confidence",
            confidence=Threshold("0.55", "5m"),
        ),
    )
    cpu = rule("resources", "HighCPUUsage", settings)
    assert (cpu["expr"].splitlines()[-1], cpu["for"]) == ("> 92.5", "1h30m")
    assert "more than 92.5% of its CPU limit for 1h30m" in cpu["annotations"]["description"]
    assert rule("resources", "HighMemoryUsage", settings)["for"] == "90m"
    assert [r["alert"] for r in rules("resources", settings)].count("DiskSpaceLow") == 1
    assert rule("model-quality", "ModelDriftDetected", settings)["expr"] == (
        "max without (instance, pod) (psi) > 0.25"
    )
    confidence = rule("model-quality", "LowModelConfidence", settings)
    assert confidence["expr"] == (
        "sum without (instance, pod) (rate(clf_confidence_sum[10m]))\n"
        "  / sum without (instance, pod) (rate(clf_confidence_count[10m]))\n"
        "< 0.55"
    )


def test_the_oom_alert_fires_without_waiting_and_the_disk_trend_after_30_minutes() -> None:
    assert "for" not in rule("resources", "ContainerOOMKilled")
    assert rule("resources", "DiskFillingUp")["for"] == "30m"


BAD_SETTINGS = [
    pytest.param(lambda: percent_text("120"),
                 'must be a percent above 0 and at most 100, such as "85"; got "120"',
                 id="a percent above 100"),
    pytest.param(lambda: percent_text("0"),
                 'must be a percent above 0 and at most 100, such as "85"; got "0"',
                 id="a zero percent, which would always fire"),
    pytest.param(lambda: percent_text("1e2"), 'must be a number such as "85" or "0.25"; got "1e2"',
                 id="a number with an exponent"),
    pytest.param(lambda: Threshold("0.7", "15"),
                 'must be a duration such as "5m", "1h" or "30d"; got "15"',
                 id="a for: without a unit"),
    pytest.param(lambda: histogram_name_text("model_confidence_count"),
                 'must be the base name, without _sum, _count or _bucket; '
                 'got "model_confidence_count"',
                 id="a histogram's _count series instead of its base name"),
    pytest.param(lambda: ModelQualitySettings(drift_metric="model drift"),
                 'must be a Prometheus metric name such as "model_drift_score"; got "model drift"',
                 id="a metric name with a space"),
    pytest.param(lambda: namespace_selector_text('job="api"'),
                 "must match on the namespace label only; got matchers on job",
                 id="a selector on another label"),
    pytest.param(lambda: namespace_selector_text('namespace="a"} or vector(1'),
                 'must be PromQL label matchers such as namespace=~"shop|payments" or '
                 'namespace!~"kube-.*"; got "namespace="a"} or vector(1"',
                 id="a selector that would smuggle in another expression"),
    pytest.param(lambda: parse_priority_override("PodCrashLooping=urgent"),
                 'PodCrashLooping must be one of P0, P1, P2, P3; got "urgent"',
                 id="a priority outside P0-P3, which would match no route"),
    pytest.param(lambda: replace(DEFAULTS, namespace_selector="namespace"),
                 'must be PromQL label matchers such as namespace=~"shop|payments" or '
                 'namespace!~"kube-.*"; got "namespace"',
                 id="settings built in code are checked too"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "message"), BAD_SETTINGS)
def test_bad_settings_are_refused_saying_what_is_allowed(make: Any, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        make()
    assert str(refused.value) == message


def test_an_unknown_pack_is_refused() -> None:
    with pytest.raises(ValueError, match='must be one of resources, model-quality; got "cost"'):
        build_pack_group("cost", DEFAULTS)
