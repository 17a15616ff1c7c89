"""Messages people can act on: the field probably meant, patterns in words, durations as people
write them, help when no command is given, and the stack only when asked for with --debug."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from budgetwarden import __version__
from budgetwarden.cli import main
from budgetwarden.cli._output import CliError
from budgetwarden.core.freeze.exception_spec import FreezeException
from budgetwarden.core.kernel.durations import human_duration
from budgetwarden.core.kernel.errors import Problem, SpecError
from budgetwarden.core.kernel.patterns import WORDS
from budgetwarden.core.policy.spec import ErrorBudgetPolicy
from budgetwarden.core.slo.rules import RuleOptions, build_rule_groups
from budgetwarden.core.slo.spec import SLO, parse_slo
from cli_support import run

SPEC = {
    "service": "checkout",
    "objective": "99.9",
    "window": "30d",
    "indicator": {
        "ratio": {"errors": "sum(rate(e[{{.window}}]))", "total": "sum(rate(t[{{.window}}]))"}
    },
}


def _slo(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "budgetwarden.io/v1alpha1",
        "kind": "SLO",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": spec,
    }


def _renamed(old: str, new: str) -> dict[str, Any]:
    spec = dict(SPEC)
    spec[new] = spec.pop(old)
    return _slo(spec)


# fmt: off
MISSPELLED = [
    pytest.param(_renamed("objective", "objectiv"),
                 Problem("spec.objectiv", 'unknown field; did you mean "objective"?'),
                 id="a letter missing says which field was meant, once"),
    pytest.param(_renamed("window", "Window"),
                 Problem("spec.Window", 'unknown field; did you mean "window"?'),
                 id="a field in the wrong case"),
    pytest.param(_slo({**SPEC, "indicator": {"ratio": {"error": "e", "total": "t"}}}),
                 Problem("spec.indicator.ratio.error", 'unknown field; did you mean "errors"?'),
                 id="a misspelled field three levels down"),
    pytest.param(_slo({**SPEC, "alerting": {"page": {"labelz": {"a": "b"}}}}),
                 Problem("spec.alerting.page.labelz", 'unknown field; did you mean "labels"?'),
                 id="a misspelled field under alerting"),
    pytest.param(_slo({**SPEC, "owner": "payments"}),
                 Problem("spec.owner", "unknown field; allowed here: alerting, description, "
                                       "indicator, objective, prometheusRule, service, "
                                       "window"),
                 id="a field like none lists the allowed ones"),
]
# fmt: on


@pytest.mark.parametrize(("resource", "problem"), MISSPELLED)
def test_a_misspelled_field_names_the_one_meant(resource: dict[str, Any], problem: Problem) -> None:
    with pytest.raises(SpecError) as caught:
        parse_slo(resource)
    assert caught.value.problems == (problem,)


def _patterns(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        own = {schema["pattern"]} if isinstance(schema.get("pattern"), str) else set()
        return own.union(*(_patterns(value) for value in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_patterns(item) for item in schema))
    return set()


@pytest.mark.parametrize("model", [SLO, ErrorBudgetPolicy, FreezeException])
def test_every_pattern_of_a_resource_has_its_words(model: Any) -> None:
    patterns = _patterns(model.model_json_schema(by_alias=True))
    assert patterns and patterns <= set(WORDS)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(seconds=21.6), "21.6s"),
        (timedelta(seconds=1.5), "1.5s"),
        (timedelta(milliseconds=500), "0.5s"),
        (timedelta(minutes=2, seconds=3.25), "2m3.25s"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(days=30), "30d"),
        (timedelta(0), "0s"),
    ],
    ids=lambda v: str(v),
)
def test_durations_in_messages_read_as_people_write_them(value: timedelta, text: str) -> None:
    assert human_duration(value) == text


def test_a_scrape_message_prints_fractions_of_seconds() -> None:
    with pytest.raises(SpecError) as caught:
        build_rule_groups(parse_slo(_slo({**SPEC, "window": "6h"})), RuleOptions())
    assert str(caught.value).endswith("or scrape at least every 1.5s")


def test_no_command_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert (code, out) == (2, "")
    assert err.startswith("usage: budgetwarden") and "validate" in err and "--debug" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert (exited.value.code, capsys.readouterr().out) == (0, f"budgetwarden {__version__}\n")


@pytest.mark.parametrize("where", ["before the command", "after it"])
def test_debug_lets_the_stack_through(where: str, tmp_path: Path) -> None:
    output = tmp_path / "exists.yaml"
    output.write_text("")
    slo = tmp_path / "slo.yaml"
    slo.write_text(yaml.safe_dump(_slo(SPEC)))
    command = ["generate", str(slo), "-o", str(output)]
    assert main(command) == 2
    debug = ["--debug", *command] if where == "before the command" else [*command, "--debug"]
    with pytest.raises(CliError, match="the file exists; pass --force"):
        main(debug)


def test_budget_prints_a_short_downtime_in_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "budget", "99.9", "6h")
    assert (code, out.splitlines()[2]) == (0, "allowed downtime: 0.36 minutes (21.6s)")
