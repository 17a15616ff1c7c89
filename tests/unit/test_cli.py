"""The offline commands: generate, validate, budget and import, run as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from budgetwarden.cli import main
from budgetwarden.core.slo.rules import build_rule_groups, rule_warnings
from budgetwarden.core.slo.spec import parse_slo

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden"
IMPORTS = ROOT / "tests" / "fixtures" / "import"
CONSOLE_SCRIPT = Path(sys.executable).parent / "budgetwarden"
SLO_EXAMPLES = ("01-availability-ratio", "02-latency", "03-availability-gauge", "04-window-28d")
OTHER_EXAMPLES = ("05-policy", "06-freeze-exception")


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A folder holding the numbered examples, alongside a file that is none of ours."""
    folder = tmp_path / "examples"
    folder.mkdir()
    for name in SLO_EXAMPLES + OTHER_EXAMPLES:
        (folder / f"{name}.yaml").write_text((EXAMPLES / f"{name}.yaml").read_text())
    (folder / "kustomization.yaml").write_text("kind: Kustomization\nresources: []\n")
    return folder


LEGEND = """
ERROR RATIO   the alert fires when both windows see more errors than this
BUDGET SPENT  share of the budget gone by the time it fires
BUDGET LASTS  how long a full budget lasts at this burn rate
"""

BUDGET_99_9 = (
    """objective:        99.9% over 30d
error budget:     0.1% of events
allowed downtime: 43.2 minutes (43m12s)

burn-rate alerts (each fires when both its windows burn faster than its factor):
TIER    LONG  SHORT  FACTOR  ERROR RATIO  BUDGET SPENT  BUDGET LASTS
page    1h    5m     14.4    1.44%        2%            2d2h
page    6h    30m    6       0.6%         5%            5d
ticket  1d    2h     3       0.3%         10%           10d
ticket  3d    6h     1       0.1%         10%           30d
"""
    + LEGEND
)
BUDGET_99_5 = (
    """objective:        99.5% over 30d
error budget:     0.5% of events
allowed downtime: 216 minutes (3h36m)

burn-rate alerts (each fires when both its windows burn faster than its factor):
TIER    LONG  SHORT  FACTOR  ERROR RATIO  BUDGET SPENT  BUDGET LASTS
page    1h    5m     14.4    7.2%         2%            2d2h
page    6h    30m    6       3%           5%            5d
ticket  1d    2h     3       1.5%         10%           10d
ticket  3d    6h     1       0.5%         10%           30d
"""
    + LEGEND
)
BUDGET_93 = (
    """objective:        93% over 30d
error budget:     7% of events
allowed downtime: 3024 minutes (2d2h24m)

burn-rate alerts (each fires when both its windows burn faster than its factor):
TIER    LONG  SHORT  FACTOR  ERROR RATIO  BUDGET SPENT  BUDGET LASTS
page    1h    5m     14.4    100.8%       2%            2d2h
page    6h    30m    6       42%          5%            5d
ticket  1d    2h     3       21%          10%           10d
ticket  3d    6h     1       7%           10%           30d
"""
    + LEGEND
    + "warning: the page alert over 1h needs an error ratio of 100.8% and can never fire "
    "at a 93% objective\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command line in this process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["99.9", "30d"], BUDGET_99_9, id="99.9% over 30d allows 43.2 minutes"),
        pytest.param(["99.5%", "30d"], BUDGET_99_5, id="99.5% over 30d allows 216 minutes"),
        pytest.param(["93", "30d"], BUDGET_93, id="93% warns that the 14.4x page never fires"),
    ],
)
def test_budget(capsys: pytest.CaptureFixture[str], argv: list[str], expected: str) -> None:
    assert run(capsys, "budget", *argv) == (0, expected, "")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["0.999", "30d"],
            'argument OBJECTIVE: must be a percent from 1 to below 100, such as 99.9; got "0.999"',
            id="a fraction where a percent belongs",
        ),
        pytest.param(
            ["99.9", "1y"],
            'argument WINDOW: must be a duration such as "5m", "1h" or "30d"; got "1y"',
            id="a window in years",
        ),
    ],
)
def test_budget_refuses(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("COLUMNS", "120")  # argparse wraps its usage line to the terminal
    with pytest.raises(SystemExit) as exited:
        main(["budget", *argv])
    usage = "usage: budgetwarden budget [-h] [--scrape-interval DURATION] OBJECTIVE WINDOW\n"
    assert (exited.value.code, capsys.readouterr().err) == (
        2,
        f"{usage}budgetwarden budget: error: {message}\n",
    )


def test_console_script_runs_budget() -> None:
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "budget", "99.5", "30d"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, BUDGET_99_5, "")


def _golden(example: str) -> str:
    text = (GOLDEN / f"{example}.yaml").read_text()
    return text.split("\n", 1)[1]  # without the "Generated by" header


def test_generate_writes_one_prometheus_rule_per_slo(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, examples: Path
) -> None:
    out = tmp_path / "rules"
    assert run(capsys, "generate", str(examples), "-o", str(out)) == (0, "", "")
    files = {path.name: path.read_text() for path in out.iterdir()}
    assert files == {
        "shop-checkout-availability.yaml": _golden("01-availability-ratio"),
        "shop-checkout-latency.yaml": _golden("02-latency"),
        "shop-gateway-up.yaml": _golden("03-availability-gauge"),
        "shop-search-availability.yaml": _golden("04-window-28d"),
    }


def test_generate_plain_rules_to_stdout(capsys: pytest.CaptureFixture[str], examples: Path) -> None:
    code, out, err = run(capsys, "generate", str(examples), "--format", "prometheus")
    groups = [
        group
        for example in SLO_EXAMPLES
        for group in yaml.safe_load(_golden(example))["spec"]["groups"]
    ]
    assert (code, yaml.safe_load(out), err) == (0, {"groups": groups}, "")


def test_generate_prometheus_rules_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "generate", str(EXAMPLES / "01-availability-ratio.yaml"))
    assert (code, out, err) == (0, _golden("01-availability-ratio"), "")


BROKEN = """apiVersion: budgetwarden.io/v1alpha1
kind: SLO
metadata: {name: checkout, namespace: shop}
spec:
  service: checkout
  objective: 99.9
  window: 30d
  indicator:
    ratio:
      errors: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
      total: sum(rate(http_requests_total[{{.window}}]))
---
apiVersion: budgetwarden.io/v1alpha1
kind: SLO
metadata: {name: typo, namespace: shop}
spec:
  service: checkout
  objective: "99.9"
  window: 30d
  indicator:
    ratio:
      errors: sum(rate(http_requests_total{code=~"5.."}[{{.window}}])
      total: sum(rate(http_requests_total[{{.window}}]))
---
apiVersion: budgetwarden.io/v1alpha1
kind: ErrorBudgetPolicy
metadata: {name: payments, namespace: shop}
spec:
  levels: {warningBelow: "20", partialFreezeBelow: "30"}
---
apiVersion: budgetwarden.io/v1
kind: SLO
metadata: {name: old}
---
apiVersion: budgetwarden.io/v1alpha1
kind: Freeze
metadata: {name: x}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
"""


def _broken_lines(path: Path) -> list[str]:
    return [
        f'{path}: SLO/checkout: spec.objective: must be a quoted string such as "99.9" '
        "(no floats); got 99.9",
        f"{path}: SLO/typo: spec.indicator.ratio.errors: is not valid PromQL at column 4: "
        "'(' is never closed",
        f"{path}: ErrorBudgetPolicy/payments: spec.levels: thresholds must be ordered: "
        "100 >= warningBelow > partialFreezeBelow > fullFreezeBelow; got 20 > 30 > 10",
        f'{path}: SLO/old: apiVersion: must be "budgetwarden.io/v1alpha1"; '
        'got "budgetwarden.io/v1"',
        f"{path}: Freeze/x: kind: must be one of SLO, ErrorBudgetPolicy, FreezeException; "
        'got "Freeze"',
    ]


def test_validate_reports_every_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN)
    unreadable = tmp_path / "z-not-yaml.yml"
    unreadable.write_text("a: [1,\n")
    expected = [
        f"{unreadable}: line 2 column 1: not valid YAML: did not find expected node content"
    ]
    expected += _broken_lines(broken)
    assert run(capsys, "validate", str(tmp_path)) == (1, "\n".join(expected) + "\n", "")


def test_validate_examples_and_warnings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, examples: Path
) -> None:
    low = tmp_path / "low.yaml"
    resource = yaml.safe_load((EXAMPLES / "01-availability-ratio.yaml").read_text())
    resource["spec"]["objective"] = "90"
    low.write_text(yaml.safe_dump(resource))
    warnings = [
        f"warning: {low}: SLO/checkout-availability: {w}"
        for w in rule_warnings(parse_slo(resource))
    ]
    code, out, err = run(capsys, "validate", str(examples), str(low))
    names = sorted(SLO_EXAMPLES + OTHER_EXAMPLES)
    expected = [f"ok {examples / name}.yaml (1 resource)" for name in names] + [
        f"ok {examples / 'kustomization.yaml'} (0 resources)",
        f"ok {low} (1 resource)",
        *warnings,
    ]
    assert (code, out.splitlines(), err) == (0, expected, "")
    assert len(warnings) == 1


def test_generate_fails_whole_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, examples: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN)
    out = tmp_path / "out"
    code, stdout, stderr = run(capsys, "generate", str(examples), str(broken), "-o", str(out))
    lines = _broken_lines(broken)
    assert (code, stdout, stderr.splitlines()) == (1, "", [lines[0], lines[1], lines[3]])
    assert not out.exists()


def test_generate_refuses_the_same_slo_twice(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, examples: Path
) -> None:
    copy = tmp_path / "copy.yaml"
    copy.write_text((EXAMPLES / "02-latency.yaml").read_text())
    code, out, err = run(capsys, "generate", str(examples), str(copy))
    expected = f"{copy}: SLO/checkout-latency: metadata.name: also defined in "
    assert (code, out, err) == (1, "", f"{expected}{examples / '02-latency.yaml'}\n")


def test_generate_with_nothing_to_generate(capsys: pytest.CaptureFixture[str]) -> None:
    policy = str(EXAMPLES / "05-policy.yaml")
    assert run(capsys, "generate", policy) == (1, "", f"{policy}: no SLO resources found\n")


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


def test_validate_takes_the_scrape_interval_short_windows_need(
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo_slo = str(EXAMPLES / "demo" / "02-slo.yaml")
    code, out, _ = run(capsys, "validate", demo_slo)
    assert code == 1
    assert "spec.window: 1d scales the page burn-rate windows" in out
    assert run(capsys, "validate", "--scrape-interval", "1s", demo_slo) == (
        0,
        f"ok {demo_slo} (1 resource)\n",
        "",
    )
