"""One OperatorConfig from flags and BUDGETWARDEN_* variables, whichever way the operator starts."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from budgetwarden.core.kernel.durations import format_duration, parse_duration
from budgetwarden.core.slo.rules import RuleOptions
from budgetwarden.runtime.config import OperatorConfig
from budgetwarden.runtime.settings import (
    AdmissionConfig,
    BudgetLoopConfig,
    SecretKey,
    WebhookListen,
)

WEBHOOK = {
    "BUDGETWARDEN_WEBHOOK_ADDRESS": "0.0.0.0:9443",
    "BUDGETWARDEN_WEBHOOK_CERT": "/tls/tls.crt",
    "BUDGETWARDEN_WEBHOOK_KEY": "/tls/tls.key",
}
LISTEN = WebhookListen("0.0.0.0", 9443, Path("/tls/tls.crt"), Path("/tls/tls.key"))
MODES = [
    pytest.param({}, {}, AdmissionConfig(), id="nothing set: no admission"),
    pytest.param(WEBHOOK, {}, AdmissionConfig("webhook", LISTEN), id="an address means webhook"),
    pytest.param(
        {**WEBHOOK, "BUDGETWARDEN_ADMISSION_MODE": "vap"}, {},
        AdmissionConfig("vap", LISTEN), id="the variable chooses VAP",
    ),
    pytest.param(
        {"BUDGETWARDEN_ADMISSION_MODE": "vap"}, {"admission_mode": "none"},
        AdmissionConfig("none"), id="the flag wins over the variable",
    ),
    pytest.param(
        {**WEBHOOK, "BUDGETWARDEN_WEBHOOK_CLIENT_CA": "/ca/ca.crt"}, {},
        AdmissionConfig("webhook", WebhookListen(
            "0.0.0.0", 9443, Path("/tls/tls.crt"), Path("/tls/tls.key"), Path("/ca/ca.crt"))),
        id="a client CA makes the webhook require the API server's certificate",
    ),
    pytest.param(
        {**WEBHOOK, "BUDGETWARDEN_ALLOW_SERVICE_ACCOUNT_APPROVERS": "True"}, {},
        AdmissionConfig("webhook", LISTEN, allow_service_account_approvers=True),
        id="ServiceAccount approvers are allowed only when the variable says so",
    ),
    pytest.param(
        {**WEBHOOK, "BUDGETWARDEN_ROLLOUTS_CONTROLLER_USERS": " ci:argo , sa:ops:ro,"},
        {}, AdmissionConfig("webhook", LISTEN, status_writers=("ci:argo", "sa:ops:ro")),
        id="the Argo Rollouts controller's users come comma-separated",
    ),
    pytest.param(
        {**WEBHOOK, "BUDGETWARDEN_ROLLOUTS_CONTROLLER_USERS": ""}, {},
        AdmissionConfig("webhook", LISTEN, status_writers=()),
        id="an empty list judges every status write, the controller's too",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("env", "flags", "expected"), MODES)
def test_the_admission_mode_is_chosen_once(
    env: dict[str, str], flags: dict[str, str], expected: AdmissionConfig
) -> None:
    assert OperatorConfig.load(env, **flags).admission == expected


def test_flags_win_over_variables_for_the_budget_loop() -> None:
    env = {"BUDGETWARDEN_POLL_INTERVAL": "1m", "BUDGETWARDEN_PROMETHEUS_URL": "http://env:9090"}
    loop = OperatorConfig.load(
        env, prometheus_url="http://flag:9090", prometheus_token_secret="mon/prom/token"
    ).budget_loop
    assert (loop.prometheus_url, loop.interval, loop.token_secret) == (
        "http://flag:9090",
        timedelta(minutes=1),
        SecretKey("mon", "prom", "token"),
    )


BAD = [
    pytest.param(
        {"BUDGETWARDEN_ADMISSION_MODE": "webhook"}, {},
        "admission mode webhook needs BUDGETWARDEN_WEBHOOK_ADDRESS",
        id="webhook mode without an address",
    ),
    pytest.param(
        {"BUDGETWARDEN_ADMISSION_MODE": "both"}, {},
        'BUDGETWARDEN_ADMISSION_MODE must be webhook, vap or none; got "both"',
        id="an unknown mode names the variable",
    ),
    pytest.param(
        {}, {"poll_interval": "often"}, "--poll-interval must be a duration",
        id="a bad flag names the flag",
    ),
    pytest.param(
        {"BUDGETWARDEN_METRICS_PORT": "http"}, {},
        "BUDGETWARDEN_METRICS_PORT must be a port number", id="a bad port names the variable",
    ),
    pytest.param(
        {"BUDGETWARDEN_WEBHOOK_ADDRESS": "9443"}, {},
        "BUDGETWARDEN_WEBHOOK_ADDRESS must be HOST:PORT", id="an address needs a host",
    ),
    pytest.param(
        {"BUDGETWARDEN_ALLOW_SERVICE_ACCOUNT_APPROVERS": "yes"}, {},
        'BUDGETWARDEN_ALLOW_SERVICE_ACCOUNT_APPROVERS must be true or false; got "yes"',
        id="a switch is true or false",
    ),
    pytest.param(
        {}, {"role": "webhook"},
        '--role must be all, controller or admission; got "webhook"', id="an unknown role",
    ),
    pytest.param(
        {"BUDGETWARDEN_ROLE": "admission", "BUDGETWARDEN_ADMISSION_MODE": "vap"}, {},
        "BUDGETWARDEN_ROLE admission serves the webhook: it needs admission mode webhook",
        id="role admission without the webhook",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("env", "flags", "message"), BAD)
def test_a_setting_that_cannot_be_used_is_refused_by_name(
    env: dict[str, str], flags: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        OperatorConfig.load(env, **flags)


ROLES = [
    pytest.param({}, {}, ("all", True, True), id="by default one process does everything"),
    pytest.param(
        {"BUDGETWARDEN_ROLE": "controller"}, {}, ("controller", True, False),
        id="the controller serves no webhook",
    ),
    pytest.param(
        {"BUDGETWARDEN_ROLE": "controller"}, {"role": "admission"}, ("admission", False, True),
        id="the flag wins: admission only serves the webhook",
    ),
]  # fmt: skip


def test_the_controller_role_needs_no_webhook_address() -> None:
    env = {"BUDGETWARDEN_ADMISSION_MODE": "webhook", "BUDGETWARDEN_ROLE": "controller"}
    config = OperatorConfig.load(env)
    assert (config.admission.mode, config.admission.webhook, config.serves_webhook) == (
        "webhook",
        None,
        False,
    )


@pytest.mark.parametrize(("env", "flags", "expected"), ROLES)
def test_a_role_splits_the_operator_into_a_controller_and_the_webhook(
    env: dict[str, str], flags: dict[str, str], expected: tuple[str, bool, bool]
) -> None:
    config = OperatorConfig.load({**WEBHOOK, **env}, **flags)
    assert (config.role, config.controls, config.serves_webhook) == expected


@pytest.mark.parametrize(
    ("stale_after", "burn_rate", "budget"),
    [
        pytest.param(None, "1m30s", "7m30s", id="three polls or evaluations of each group"),
        pytest.param("2m", "2m", "4m", id="a set age, plus how much later the budget is due"),
    ],
)
def test_the_budget_left_may_be_older_than_the_burn_rates(
    stale_after: str | None, burn_rate: str, budget: str
) -> None:
    rules = RuleOptions()  # burn rates every 30s, the budget every 2m30s
    loop = BudgetLoopConfig(stale_after=stale_after and parse_duration(stale_after))
    assert format_duration(loop.max_age(rules.evaluation_interval)) == burn_rate
    ages = loop.budget_max_age(rules.evaluation_interval, rules.budget_interval)
    assert format_duration(ages) == budget
