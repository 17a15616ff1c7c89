"""The offline `import` command, run as a user runs it: Sloth and OpenSLO in, SLO resources out."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from budgetwarden.core.slo.rules import build_rule_groups
from budgetwarden.core.slo.spec import parse_slo
from cli_support import IMPORTS, run

SLOTH_NOTES = [
    "slos[0].alerting.name: not kept: budgetwarden names its burn-rate alerts "
    "SLOErrorBudgetFastBurn and SLOErrorBudgetSlowBurn",
    "slos[1].sli.raw: SLO requests-latency skipped: raw error-ratio SLIs cannot be converted: "
    "the period budget is weighted by traffic, which needs separate error and total queries "
    "(rewrite it as sli.events)",
    "slos[2].sli.plugin: SLO dependency-up skipped: SLI plugins cannot be converted (plugin "
    '"sloth-common/kubernetes/kooper/availability" runs Go code inside Sloth); write the error '
    "and total queries it produces as sli.events",
    "slos[2].plugins: not converted: Sloth SLO plugins have no equivalent",
]


def test_import_sloth(capsys: pytest.CaptureFixture[str]) -> None:
    source = IMPORTS / "sloth-checkout.yaml"
    code, out, err = run(capsys, "import", "sloth", str(source), "--namespace", "shop")
    resources = list(yaml.safe_load_all(out))
    slos = [parse_slo(resource) for resource in resources]
    assert (code, err.splitlines()) == (0, [f"{source}: {note}" for note in SLOTH_NOTES])
    assert [(s.metadata.namespace, s.metadata.name) for s in slos] == [
        ("shop", "checkout-requests-availability")
    ]
    assert [len(build_rule_groups(slo)) for slo in slos] == [3]


def test_import_of_nothing_convertible_fails(capsys: pytest.CaptureFixture[str]) -> None:
    source = IMPORTS / "sloth-unsupported.yaml"
    code, out, err = run(capsys, "import", "sloth", str(source))
    assert (code, out, err.splitlines()) == (
        1,
        "",
        [
            f"{source}: slos[0].sli.raw: SLO latency skipped: raw error-ratio SLIs cannot be "
            "converted: the period budget is weighted by traffic, which needs separate error "
            "and total queries (rewrite it as sli.events)",
            f"{source}: slos[1].sli.plugin: SLO up skipped: SLI plugins cannot be converted "
            '(plugin "sloth-common/up" runs Go code inside Sloth); write the error and total '
            "queries it produces as sli.events",
            f"nothing converted from {source}",
        ],
    )


OPENSLO_NOTES = [
    "SLO/cart-availability: spec.alertPolicies: not converted: budgetwarden generates "
    "multi-window burn-rate alerts from the SLO itself",
    "SLO/monthly-report: spec.timeWindow[0]: skipped: calendar windows cannot be converted: "
    "budgetwarden windows are rolling",
    "SLO/search-latency: spec.indicator.spec.thresholdMetric: skipped: threshold metrics cannot "
    "be converted: use a ratioMetric (good or bad over total)",
    "SLO/billing-availability: spec.indicator.spec.ratioMetric.good.metricSource: skipped: the "
    'metric source is "Datadog"; only Prometheus sources are converted',
    'SLO/cart-timeslices: spec.budgetingMethod: skipped: "Timeslices": only Occurrences '
    "(good/total event counts) is supported; time slices are not",
    "AlertPolicy/fast-burn: kind: AlertPolicy not converted: budgetwarden generates "
    "multi-window burn-rate alerts from each SLO itself",
]


def test_import_openslo_then_generate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = IMPORTS / "openslo-shop.yaml"
    converted, rules = tmp_path / "slos", tmp_path / "rules"
    code, out, err = run(capsys, "import", "openslo", str(source), "-o", str(converted))
    assert (code, out, err.splitlines()) == (0, "", [f"{source}: {n}" for n in OPENSLO_NOTES])
    names = sorted(path.name for path in converted.iterdir())
    assert names == [
        "default-cart-availability.yaml",
        "default-payments-errors-standard.yaml",
        "default-payments-errors-strict.yaml",
    ]
    header = f"# Converted by budgetwarden import openslo from {source}\n"
    assert all((converted / name).read_text().startswith(header) for name in names)
    assert run(capsys, "generate", str(converted), "-o", str(rules)) == (0, "", "")
    assert sorted(path.name for path in rules.iterdir()) == names
