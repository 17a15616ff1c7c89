"""`budgetwarden run` and `kopf run` read rule options alike: flags, variables, defaults;
the runbook base URL among them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.kernel.levels import Levels
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks
from budgetwarden.core.slo.rules import RuleOptions
from budgetwarden.runtime.config import OperatorConfig, rule_options

ENV = {
    "BUDGETWARDEN_SCRAPE_INTERVAL": "15s",
    "BUDGETWARDEN_EVALUATION_INTERVAL": "1m",
    "BUDGETWARDEN_BUDGET_LEVELS": "60, 40, 20",
}


@pytest.mark.parametrize(
    ("flags", "env", "expected"),
    [
        pytest.param({}, {}, RuleOptions(), id="nothing set gives the defaults"),
        pytest.param(
            {},
            ENV,
            RuleOptions(
                timedelta(seconds=15),
                timedelta(minutes=1),
                Levels(
                    warning_below=Decimal("60"),
                    partial_freeze_below=Decimal("40"),
                    full_freeze_below=Decimal("20"),
                ),
            ),
            id="variables fill in what flags do not",
        ),
        pytest.param(
            {"scrape_interval": "5s", "evaluation_interval": "10s", "budget_levels": "50,30,10"},
            ENV,
            RuleOptions(timedelta(seconds=5), timedelta(seconds=10)),
            id="flags win over variables",
        ),
    ],
)
def test_rule_options(flags: dict[str, str], env: dict[str, str], expected: RuleOptions) -> None:
    assert rule_options(**flags, env=env) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            {"BUDGETWARDEN_SCRAPE_INTERVAL": "soon"},
            'BUDGETWARDEN_SCRAPE_INTERVAL: must be a duration such as "5m"',
            id="a bad duration names the variable",
        ),
        pytest.param(
            {"BUDGETWARDEN_BUDGET_LEVELS": "50,30"},
            'BUDGETWARDEN_BUDGET_LEVELS: must be three percents like "50,30,10"',
            id="two levels are not enough",
        ),
        pytest.param(
            {"BUDGETWARDEN_BUDGET_LEVELS": "10,30,50"},
            "BUDGETWARDEN_BUDGET_LEVELS: thresholds must be ordered",
            id="levels out of order are refused",
        ),
    ],
)
def test_bad_options_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SpecError) as raised:
        rule_options(env=env)
    assert str(raised.value).startswith(message)


WIKI = "https://wiki.example.com/sre/{page}"
GIT = "https://git.example.com/sre/budgetwarden/-/blob/main/runbooks"


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [
        pytest.param(None, {}, SHIPPED_RUNBOOKS, id="unset, the shipped pages"),
        pytest.param(None, {"BUDGETWARDEN_RUNBOOK_BASE_URL": f"{GIT}/"}, RunbookLinks(GIT),
                     id="the variable sets the base, without its trailing slash"),
        pytest.param(WIKI, {"BUDGETWARDEN_RUNBOOK_BASE_URL": GIT}, RunbookLinks(WIKI),
                     id="the flag wins over the variable"),
    ],
)  # fmt: skip
def test_the_runbook_base_url(
    flag: str | None, env: dict[str, str], expected: RunbookLinks
) -> None:
    assert rule_options(runbook_base_url=flag, env=env).runbooks == expected
    assert OperatorConfig.load(env, runbook_base_url=flag).rules.runbooks == expected


@pytest.mark.parametrize(
    ("flag", "env", "message"),
    [
        pytest.param(None, {"BUDGETWARDEN_RUNBOOK_BASE_URL": "wiki/{page}"},
                     "BUDGETWARDEN_RUNBOOK_BASE_URL: must be an http:// or https:// URL",
                     id="a bad variable is named"),
        pytest.param("https://wiki.example.com/{alert}", {},
                     "--runbook-base-url: may hold {page} once",
                     id="a bad flag is named"),
    ],
)  # fmt: skip
def test_a_bad_runbook_base_url_names_its_source(
    flag: str | None, env: dict[str, str], message: str
) -> None:
    with pytest.raises(SpecError) as raised:
        OperatorConfig.load(env, runbook_base_url=flag)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)
