"""The chart's alert packs (values `alertPacks`): with the same settings, its PrometheusRules hold
exactly the rule groups `budgetwarden generate pack` prints, and bad settings are refused by the
values schema before anything is rendered.

Marked `cluster` like the other chart tests: helm is built with the control plane's toolchain
(hack/helm/build.sh). Only rendering happens here; `helm_support.VALUE_SETS` has a value set with
the packs on, which tests/integration/test_helm_chart.py lints and dry-run applies.
"""

from __future__ import annotations

from typing import Any

import pytest

from budgetwarden.core.kernel.runbooks import parse_runbook_base
from budgetwarden.core.packs.build import build_pack_prometheus_rule
from budgetwarden.core.packs.settings import (
    ModelQualitySettings,
    PackSettings,
    ResourcesSettings,
    Threshold,
)
from helm_support import CHART, FULLNAME, RELEASE, Render, build_helm, helm_run, renderer, set_args

pytestmark = pytest.mark.cluster

BOTH = {"alertPacks.resources.enabled": "true", "alertPacks.modelQuality.enabled": "true"}
WIKI = "https://wiki.example.com/sre/{page}"


@pytest.fixture(scope="module")
def render() -> Render:
    """render(namespace, values, *extra) -> the rendered documents."""
    return renderer(build_helm())


def pack_rules(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The chart's alert-pack PrometheusRules by pack."""
    label = "budgetwarden.io/alert-pack"
    return {
        doc["metadata"]["labels"][label]: doc
        for doc in docs
        if doc["kind"] == "PrometheusRule" and label in doc["metadata"]["labels"]
    }


SAME_SETTINGS = [
    pytest.param({}, PackSettings(), id="the chart's defaults are the CLI's defaults"),
    pytest.param(
        {
            "alertPacks.namespaceSelector": '"namespace=~\\"shop|payments\\", namespace!=\\"x\\""',
            "alertPacks.runbookBaseURL": f'"{WIKI}"',
            "alertPacks.priorities": '{"PodCrashLooping": "P1", "LowModelConfidence": "P3"}',
            "alertPacks.resources.cpu": '{"threshold": "92.5", "for": "1h30m"}',
            "alertPacks.resources.memory": '{"threshold": "95", "for": "90s"}',
            "alertPacks.resources.disk": '{"threshold": "80", "for": "1h", "nodes": false}',
            "alertPacks.resources.crashLooping.for": '"30m"',
            "alertPacks.modelQuality.drift": '{"metric": "psi", "threshold": "0.1", "for": "2h"}',
            "alertPacks.modelQuality.confidence":
                '{"metric": "ranker_confidence", "threshold": "0.55", "for": "5m"}',
        },
        PackSettings(
            namespace_selector='namespace=~"shop|payments", namespace!="x"',
            runbooks=parse_runbook_base(WIKI),
            priorities={"PodCrashLooping": "P1", "LowModelConfidence": "P3"},
            resources=ResourcesSettings(
                cpu=Threshold("92.5", "1h30m"), memory=Threshold("95", "90s"),
                disk=Threshold("80", "1h"), node_disks=False, crash_looping_for="30m",
            ),
            model_quality=ModelQualitySettings(
                drift_metric="psi", drift=Threshold("0.1", "2h"),
                confidence_metric="ranker_confidence", confidence=Threshold("0.55", "5m"),
            ),
        ),
        id="every setting changed renders what the CLI prints with the same flags",
    ),
    pytest.param(
        {"operator.runbookBaseURL": '"https://git.example.com/sre/runbooks/"'},
        PackSettings(runbooks=parse_runbook_base("https://git.example.com/sre/runbooks/")),
        id="without a runbook base of their own the packs link under the operator's",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("values", "settings"), SAME_SETTINGS)
def test_the_chart_renders_the_rules_the_cli_prints(
    render: Render, values: dict[str, str], settings: PackSettings
) -> None:
    chart = pack_rules(render("monitoring", BOTH | values))
    assert sorted(chart) == ["model-quality", "resources"]
    for pack, rule in chart.items():
        assert rule["metadata"]["name"] == f"{FULLNAME}-pack-{pack}"
        assert rule["metadata"]["namespace"] == "monitoring"
        assert rule["spec"] == build_pack_prometheus_rule(pack, settings)["spec"]


def test_packs_are_off_by_default_and_each_comes_alone(render: Render) -> None:
    assert pack_rules(render("monitoring", {})) == {}
    only = pack_rules(render("monitoring", {"alertPacks.modelQuality.enabled": "true"}))
    assert list(only) == ["model-quality"]


def test_the_rules_carry_the_labels_prometheus_selects_them_by(render: Render) -> None:
    values = BOTH | {"alertPacks.labels": '{"release": "kube-prometheus-stack"}'}
    for rule in pack_rules(render("monitoring", values)).values():
        assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        assert rule["metadata"]["labels"]["app.kubernetes.io/instance"] == RELEASE


BAD_VALUES = [
    pytest.param({"alertPacks.resources.cpu.threshold": '"120"'},
                 "at '/alertPacks/resources/cpu/threshold': '120' does not match pattern",
                 id="a CPU threshold above 100 percent"),
    pytest.param({"alertPacks.resources.memory.threshold": "90"},
                 "at '/alertPacks/resources/memory/threshold': got number, want string",
                 id="a threshold as a number, not a string"),
    pytest.param({"alertPacks.resources.disk.for": '"15"'},
                 "at '/alertPacks/resources/disk/for': '15' does not match pattern",
                 id="a for: without a unit"),
    pytest.param({"alertPacks.namespaceSelector": '"job=\\"api\\""'},
                 "at '/alertPacks/namespaceSelector'",
                 id="a selector on another label than namespace"),
    pytest.param({"alertPacks.priorities": '{"PodCrashLooping": "urgent"}'},
                 "at '/alertPacks/priorities/PodCrashLooping': value must be one of",
                 id="a priority outside P0-P3"),
    pytest.param({"alertPacks.priorities": '{"PodCrashlooping": "P1"}'},
                 "invalid propertyName 'PodCrashlooping'",  # helm names a wrong path here
                 id="a misspelt alert name in the priorities"),
    pytest.param({"alertPacks.modelQuality.drift.metric": '"model drift"'},
                 "at '/alertPacks/modelQuality/drift/metric': 'model drift' does not match pattern",
                 id="a metric name with a space"),
]  # fmt: skip


@pytest.mark.parametrize(("values", "message"), BAD_VALUES)
def test_bad_pack_values_are_refused(values: dict[str, str], message: str) -> None:
    result = helm_run(build_helm(), "template", RELEASE, str(CHART), *set_args(BOTH | values))
    assert (result.returncode, message in result.stderr) == (1, True), result.stderr
