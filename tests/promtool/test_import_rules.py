"""Published Sloth, OpenSLO and Pyrra specs, imported, then validated, generated and checked by
`promtool check rules`; and the Sloth conversions alert like Sloth itself.

Sloth's own expected output for its integration-test spec (tests/fixtures/import/sloth/
out-base.yaml.tpl for 30 days and out-base-28d.yaml.tpl for 28, next to that spec, in-base.yaml)
says at which windows and burn factors Sloth pages and opens tickets; the rules budgetwarden
generates from the converted spec must say the same, read back from the generated alert
expressions.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden.core.kernel.conventions import ALERT_PAGE, ALERT_TICKET
from budgetwarden.core.kernel.durations import parse_duration
from budgetwarden.core.slo.windows import FACTOR_QUANTUM
from cli_support import IMPORTS, run
from promtool_support import check_rules

CONVERTED = {
    "sloth": (
        "getting-started.yml",
        "home-wifi.yml",
        "in-base.yaml",
        "in-multifile.yaml",
        "k8s-getting-started.yml",
        "k8s-home-wifi.yml",
        "kubernetes-apiserver.yml",
        "multifile.yml",
        "no-alerts.yml",
    ),
    "openslo": (
        "sloth-in-openslo.yaml",
        "sloth-openslo-getting-started.yml",
        "sloth-openslo-kubernetes-apiserver.yml",
        "v1_slos.yaml",
    ),
    "pyrra": tuple(
        sorted(path.name for path in (IMPORTS / "pyrra").iterdir() if path.suffix == ".yaml")
    ),
}
SLOTH_OUTPUT = IMPORTS / "sloth" / "out-base.yaml.tpl"  # Sloth's default period, 30 days
# (tier, long window, short window, factor): one burn-rate condition of an alert
Condition = tuple[str, Any, Any, Decimal]


def _imported_rules(capsys: pytest.CaptureFixture[str], tmp_path: Path, *argv: str) -> Path:
    """Import, validate and generate plain Prometheus rule files; the folder they are in."""
    slos, rules = tmp_path / "slos", tmp_path / "rules"
    assert run(capsys, "import", *argv, "-o", str(slos))[0] == 0
    code, out, err = run(capsys, "validate", str(slos))
    assert code == 0, out + err
    code, out, err = run(capsys, "generate", str(slos), "--format", "prometheus", "-o", str(rules))
    assert code == 0, out + err
    return rules


@pytest.mark.parametrize(
    ("source", "name"),
    [pytest.param(s, n, id=f"{s}/{n}") for s, names in CONVERTED.items() for n in names],
)
def test_imported_specs_validate_generate_and_pass_promtool_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, promtool: Path, source: str, name: str
) -> None:
    rules = _imported_rules(capsys, tmp_path, source, str(IMPORTS / source / name))
    files = sorted(rules.iterdir())
    assert files
    for rule_file in files:
        result = check_rules(promtool, rule_file)
        assert result.returncode == 0, result.stdout + result.stderr


def _sloth_rules(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Every rule of Sloth's expected output, with the sloth_id of the SLO it is for."""
    text = text.replace("{{ .version }}", "test").replace('{{"{{', "{{").replace('}}"}}', "}}")
    found = []
    for document in yaml.safe_load_all(text):
        for group in (document or {}).get("groups", []):
            for rule in group["rules"]:
                labelled = rule.get("labels", {}).get("sloth_id")
                read = re.search(r'sloth_id="([^"]+)"', rule["expr"])
                found.append((labelled or read.group(1), rule))  # type: ignore[union-attr]
    return found


def _sloth_conditions(text: str) -> dict[str, set[Condition]]:
    """Sloth's alerts per SLO: each `(short > f*budget) and (long > f*budget)` pair."""
    found: dict[str, set[Condition]] = {}
    for slo, rule in _sloth_rules(text):
        if "alert" in rule:
            tier = rule["labels"]["sloth_severity"]
            found.setdefault(slo, set()).update(_pairs(tier, rule["expr"], short_first=True))
    return found


def _pairs(tier: str, expr: str, short_first: bool) -> set[Condition]:
    pattern = r'(?:ratio_rate(\w+)\{[^}]*|slo_window="(\w+)")\}\s*>\s*\(?([0-9.]+)'
    # Sloth writes float factors (5.6000000000000005); budgetwarden's have six decimals at most.
    terms = [
        (a or b, Decimal(factor).quantize(FACTOR_QUANTUM).normalize())
        for a, b, factor in re.findall(pattern, expr)
    ]
    assert len(terms) % 2 == 0 and terms, expr
    conditions = set()
    for first, second in zip(terms[::2], terms[1::2], strict=True):
        assert first[1] == second[1], expr
        short, long = (first, second) if short_first else (second, first)
        conditions.add((tier, parse_duration(long[0]), parse_duration(short[0]), first[1]))
    return conditions


def _budgetwarden_conditions(rules: Path) -> dict[str, set[Condition]]:
    """The generated page and ticket alerts per SLO, read from their expressions."""
    tiers = {ALERT_PAGE: "page", ALERT_TICKET: "ticket"}
    found: dict[str, set[Condition]] = {}
    for rule_file in sorted(rules.iterdir()):
        for group in yaml.safe_load(rule_file.read_text())["groups"]:
            for rule in group["rules"]:
                slo = re.search(r'slo_name="([^"]+)"', rule["expr"])
                conditions = found.setdefault(slo.group(1), set()) if slo else set()
                if rule.get("alert") in tiers:
                    conditions.update(_pairs(tiers[rule["alert"]], rule["expr"], short_first=False))
    return found


@pytest.mark.parametrize(
    ("output", "window"),
    [
        pytest.param("out-base.yaml.tpl", "30d", id="Sloth's default 30-day period"),
        pytest.param("out-base-28d.yaml.tpl", "28d", id="a 28-day period"),
    ],
)
def test_sloth_integration_spec_alerts_at_sloth_windows_and_factors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, output: str, window: str
) -> None:
    sloth = _sloth_conditions((IMPORTS / "sloth" / output).read_text())
    spec = str(IMPORTS / "sloth" / "in-base.yaml")
    ours = _budgetwarden_conditions(
        _imported_rules(capsys, tmp_path, "sloth", spec, "--window", window)
    )
    # Sloth alerts only for svc01-slo1 (slo02's alerts are disabled, and its raw SLI is not
    # converted): the one SLO both sides have.
    assert set(sloth) == {"svc01-slo1"}
    assert ours["svc01-slo1"] == sloth["svc01-slo1"]
    assert {tier for tier, *_ in ours["svc01-slo1"]} == {"page", "ticket"}


def test_the_converted_sloth_spec_records_fewer_series_than_sloths_own_rules(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every recording rule on either side writes one series per SLO: Sloth's 15 for svc01-slo1
    (7 window ratios, the period ratio, 2 burn rates, budget left, 4 metadata) against
    budgetwarden's 14 for the same SLO, converted."""
    sloth = _sloth_rules(SLOTH_OUTPUT.read_text())
    spec = str(IMPORTS / "sloth" / "in-base.yaml")
    ours = [
        rule["labels"]["slo_name"]
        for rule_file in sorted(_imported_rules(capsys, tmp_path, "sloth", spec).iterdir())
        for group in yaml.safe_load(rule_file.read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    ]
    sloth_records = sum(1 for slo, rule in sloth if slo == "svc01-slo1" and "record" in rule)
    assert (sloth_records, ours.count("svc01-slo1")) == (15, 14)


@pytest.mark.parametrize("name", [n for n in CONVERTED["sloth"] if n != "no-alerts.yml"])
def test_every_converted_sloth_spec_alerts_at_sloth_windows_and_factors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    # Sloth's windows and factors depend only on the SLO period (30 days by default), so its
    # published output for one spec gives them for every spec of that period.
    (expected,) = _sloth_conditions(SLOTH_OUTPUT.read_text()).values()
    ours = _budgetwarden_conditions(
        _imported_rules(capsys, tmp_path, "sloth", str(IMPORTS / "sloth" / name))
    )
    assert ours
    assert all(conditions == expected for conditions in ours.values()), ours


def test_sloth_no_alerts_spec_gets_no_burn_rate_alerts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ours = _budgetwarden_conditions(
        _imported_rules(capsys, tmp_path, "sloth", str(IMPORTS / "sloth" / "no-alerts.yml"))
    )
    assert ours == {"myapp-http-availability": set()}
