"""The offline `import` command, run as a user runs it: Sloth and OpenSLO in, SLO resources out."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from budgetwarden.core.slo.rules import build_rule_groups
from budgetwarden.core.slo.spec import parse_slo
from cli_support import IMPORTS, run

NAME_NOT_KEPT = (
    "not kept: budgetwarden names its burn-rate alerts SLOErrorBudgetFastBurn and "
    "SLOErrorBudgetSlowBurn"
)
RAW = (
    "raw error-ratio SLIs cannot be converted: the period budget is weighted by traffic, which "
    "needs separate error and total queries (rewrite it as sli.events)"
)
PLUGIN = (
    'SLI plugins cannot be converted (plugin "{}" runs Go code inside Sloth); write the error '
    "and total queries it produces as sli.events"
)
SLOTH_LINE = (
    "converted with changes: shop/checkout-requests-availability: "
    f"slos[0].alerting.name: {NAME_NOT_KEPT} | "
    f"slos[1].sli.raw: SLO requests-latency not converted: {RAW} | "
    "slos[2].sli.plugin: SLO dependency-up not converted: "
    + PLUGIN.format("sloth-common/kubernetes/kooper/availability")
)


def test_import_sloth(capsys: pytest.CaptureFixture[str]) -> None:
    source = IMPORTS / "sloth-checkout.yaml"
    code, out, err = run(capsys, "import", "sloth", str(source), "--namespace", "shop")
    resources = list(yaml.safe_load_all(out))
    slos = [parse_slo(resource) for resource in resources]
    assert (code, err.splitlines()) == (0, [f"{source}: {SLOTH_LINE}"])
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
            f"{source}: not converted: slos[0].sli.raw: SLO latency not converted: {RAW} | "
            f"slos[1].sli.plugin: SLO up not converted: {PLUGIN.format('sloth-common/up')}",
            f"nothing converted from {source}",
        ],
    )


REFERENCED = "holds no SLO: the SLOs that name it in the same import use it"
CART_QUERY = 'http_requests_total{{job="cart"{}}}'
OPENSLO_LINES = [
    f"DataSource/cluster-prometheus: not converted: kind: DataSource {REFERENCED}",
    f"SLI/cart-good-requests: not converted: kind: SLI {REFERENCED}",
    "SLO/cart-availability: converted with changes: default/cart-availability: "
    + " | ".join(
        f"spec.indicatorRef.ratioMetric.{side}.metricSource.spec.query: counter "
        f'"{CART_QUERY.format(code)}" read as '
        f'"sum(rate({CART_QUERY.format(code)}[{{{{.window}}}}]))"'
        for side, code in (("good", ',code!~"5.."'), ("total", ""))
    )
    + ' | spec.alertPolicies[0].conditions[0]: AlertCondition "burn-14x" is not in the input; '
    "not converted | spec.alertPolicies: no burnrate condition maps; the default burn-rate "
    "table is used",
    "SLO/payments-errors: converted with changes: default/payments-errors-standard, "
    "default/payments-errors-strict: "
    + " | ".join(
        f'metadata.name: name "payments-errors-{tier}" made a Kubernetes name: '
        f'"payments-errors-{tier.lower()}"'
        for tier in ("Standard", "Strict")
    ),
    "SLO/monthly-report: not converted: spec.timeWindow[0]: calendar windows cannot be "
    'converted: budgetwarden windows are rolling | spec.timeWindow[0].duration: "1M": months, '
    "quarters and years have no fixed length; use days (30d)",
    "SLO/search-latency: not converted: spec.indicator.spec.thresholdMetric: threshold metrics "
    "cannot be converted: use a ratioMetric (good or bad over total)",
    "SLO/billing-availability: not converted: "
    + " | ".join(
        f"spec.indicator.spec.ratioMetric.{side}.metricSource.type: the metric source is "
        '"Datadog"; only Prometheus is converted'
        for side in ("good", "total")
    ),
    'SLO/cart-timeslices: not converted: spec.budgetingMethod: "Timeslices": only Occurrences '
    "(good/total event counts) is supported; time slices are not",
    f"AlertPolicy/fast-burn: not converted: kind: AlertPolicy {REFERENCED}",
]


def test_import_openslo_then_generate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = IMPORTS / "openslo-shop.yaml"
    converted, rules = tmp_path / "slos", tmp_path / "rules"
    code, out, err = run(capsys, "import", "openslo", str(source), "-o", str(converted))
    assert (code, out, err.splitlines()) == (0, "", [f"{source}: {n}" for n in OPENSLO_LINES])
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
