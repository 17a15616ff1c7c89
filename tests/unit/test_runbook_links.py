"""Where runbook links point: the operator's base URL, and each SLO's own runbooks per alert.

The base URL (core/kernel/runbooks.py) is parsed once; every generated alert's runbook_url
(core/slo/runbook_links.py), every Event and every admission denial that links a page is built
from it. An SLO overrides it, most specific first: spec.alerting.runbooks[] for one alert, a
tier's runbook_url annotation, spec.alerting.runbookURL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import yaml

from budgetwarden.core.freeze import policy_guard, vap_policy_guard
from budgetwarden.core.freeze.enforcement import plan
from budgetwarden.core.freeze.pause_step import PauseCondition, PauseStep
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.kernel.errors import Problem, SpecError
from budgetwarden.core.kernel.levels import Level
from budgetwarden.core.kernel.runbooks import (
    SHIPPED_RUNBOOKS,
    RunbookLinks,
    parse_runbook_base,
)
from budgetwarden.core.kernel.wire import format_time
from budgetwarden.core.slo.rules import RuleOptions, rule_warnings
from budgetwarden.core.slo.spec import SLO
from budgetwarden.runtime.admission import Admission
from budgetwarden.runtime.registry import Registry
from budgetwarden.runtime.vap_sync import desired_params
from cli_support import EXAMPLES, run
from enforcement_support import HELD, NOW, PARTIAL, policy, rollout, state
from rules_support import alerts, make_slo

GIT = "https://git.example.com/sre/budgetwarden/-/blob/main/runbooks"
WIKI = "https://wiki.example.com/sre/{page}"
TEAM = "https://runbooks.example.com/checkout"
OPERATOR = RuleOptions(runbooks=RunbookLinks(WIKI))
# Every optional alert switched on, so that the tables below cover every alert an SLO can get.
EVERY_ALERT: dict[str, Any] = {"errorRate": {"threshold": "5"}}


def wiki(alert: str) -> str:
    return f"https://wiki.example.com/sre/alerts/{alert}"


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        pytest.param(
            SHIPPED_RUNBOOKS,
            (f"{c.DEFAULT_RUNBOOK_BASE}/alerts/SLOServiceDown.md",
             f"{c.DEFAULT_RUNBOOK_BASE}/freeze.md",
             f"{c.DEFAULT_RUNBOOK_BASE}/reasons/HeldAtThaw.md"),
            id="unset, links go to the shipped pages on GitHub",
        ),
        pytest.param(
            RunbookLinks(GIT),
            (f"{GIT}/alerts/SLOServiceDown.md", f"{GIT}/freeze.md", f"{GIT}/reasons/HeldAtThaw.md"),
            id="a folder of the Markdown pages gets <base>/<page>.md",
        ),
        pytest.param(
            RunbookLinks(WIKI),
            ("https://wiki.example.com/sre/alerts/SLOServiceDown",
             "https://wiki.example.com/sre/freeze",
             "https://wiki.example.com/sre/reasons/HeldAtThaw"),
            id="a wiki URL gets the page path where {page} stands, without .md",
        ),
    ],
)  # fmt: skip
def test_links_under_a_base(links: RunbookLinks, expected: tuple[str, str, str]) -> None:
    assert (links.alert("SLOServiceDown"), links.freeze, links.reason("HeldAtThaw")) == expected


@pytest.mark.parametrize(
    ("text", "base"),
    [
        pytest.param(f"{GIT}/", GIT, id="a trailing slash is dropped"),
        pytest.param(f"  {WIKI}\n", WIKI, id="surrounding blanks are dropped"),
        pytest.param("http://runbooks.internal/{page}.html", "http://runbooks.internal/{page}.html",
                     id="text after {page} stays"),
    ],
)  # fmt: skip
def test_a_good_base_url(text: str, base: str) -> None:
    assert parse_runbook_base(text) == RunbookLinks(base)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("ftp://files.example.com/runbooks", "must be an http:// or https:// URL",
                     id="another scheme"),
        pytest.param("runbooks/", "must be an http:// or https:// URL", id="a relative path"),
        pytest.param("https://wiki.example.com/sre runbooks", "must be an http:// or https:// URL",
                     id="a space"),
        pytest.param("https://wiki.example.com/{alert}", "may hold {page} once",
                     id="a placeholder other than {page}"),
        pytest.param("https://wiki.example.com/{page}/{page}", "may hold {page} once",
                     id="{page} twice"),
        pytest.param("https://wiki.example.com/" + "a" * 140, "must be at most 160 characters",
                     id="too long for a denial to carry"),
    ],
)  # fmt: skip
def test_a_bad_base_url_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message):
        parse_runbook_base(text)


def runbook_urls(slo: SLO, options: RuleOptions = OPERATOR) -> dict[str, set[str]]:
    """The runbook_url of each alert generated for `slo`, by alert name."""
    return {
        name: {rule["annotations"]["runbook_url"] for rule in rules}
        for name, rules in alerts(slo, options).items()
    }


def alerting(**fields: Any) -> dict[str, Any]:
    return {"alerting": EVERY_ALERT | fields}


# (spec.alerting, the URL every alert gets, the alerts that get another one)
PRECEDENCE: list[Any] = [
    pytest.param(
        alerting(), wiki, {},
        id="every alert links its page under the operator's base",
    ),
    pytest.param(
        alerting(runbookURL=TEAM), lambda _: TEAM, {},
        id="spec.alerting.runbookURL replaces the base for every alert of the SLO",
    ),
    pytest.param(
        alerting(page={"annotations": {"runbook_url": f"{TEAM}/fast"}},
                 serviceDown={"annotations": {"runbook_url": f"{TEAM}/down"}}),
        wiki, {c.ALERT_PAGE: f"{TEAM}/fast", c.ALERT_SERVICE_DOWN: f"{TEAM}/down"},
        id="a tier's runbook_url annotation replaces it for that tier's alert",
    ),
    pytest.param(
        alerting(runbookURL=TEAM, page={"annotations": {"runbook_url": f"{TEAM}/fast"}},
                 runbooks=[{"alert": c.ALERT_PAGE, "url": f"{TEAM}/burn"},
                           {"alert": c.ALERT_ABSENT, "url": f"{TEAM}/no-data"}]),
        lambda _: TEAM, {c.ALERT_PAGE: f"{TEAM}/burn", c.ALERT_ABSENT: f"{TEAM}/no-data"},
        id="spec.alerting.runbooks names one alert and wins over the rest",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "default", "own"), PRECEDENCE)
def test_which_runbook_each_alert_links(
    spec: dict[str, Any], default: Callable[[str], str], own: dict[str, str]
) -> None:
    found = runbook_urls(make_slo(**spec))
    assert found == {name: {own.get(name, default(name))} for name in found}


def test_unset_the_shipped_pages_are_linked_as_before() -> None:
    found = runbook_urls(make_slo(**alerting()), RuleOptions())
    assert found == {name: {c.alert_runbook_url(name)} for name in found}


def test_every_alert_an_slo_generates_can_be_given_its_own_runbook() -> None:
    names = sorted(runbook_urls(make_slo(**alerting())))
    own = [{"alert": name, "url": f"{TEAM}/{name}"} for name in names]
    found = runbook_urls(make_slo(**alerting(runbooks=own)))
    assert found == {name: {f"{TEAM}/{name}"} for name in names}
    generated = {value for key, value in vars(c).items() if key.startswith("ALERT_")}
    assert set(names) == generated  # the table above saw every alert the generator has


def test_a_runbook_for_an_alert_the_slo_does_not_have_is_a_warning() -> None:
    slo = make_slo(alerting={"runbooks": [{"alert": "SLOErrorBudgetFastburn", "url": TEAM}]})
    (warning,) = [w for w in rule_warnings(slo) if "runbooks" in w.field]
    assert warning.field == "spec.alerting.runbooks[0].alert"
    assert warning.message.startswith(
        '"SLOErrorBudgetFastburn" is not an alert of this SLO, so this runbook is not used; '
        "its alerts are SLOErrorBudgetFastBurn, "
    )


def test_one_alert_named_twice_is_refused() -> None:
    twice = [{"alert": c.ALERT_ABSENT, "url": TEAM}, {"alert": c.ALERT_ABSENT, "url": GIT}]
    with pytest.raises(SpecError) as raised:
        make_slo(alerting={"runbooks": twice})
    (problem,) = raised.value.problems
    assert problem == Problem(
        "spec.alerting.runbooks", "names each alert once; SLOMetricsAbsent more than once"
    )


def test_generate_links_under_the_base_it_is_given(capsys: pytest.CaptureFixture[str]) -> None:
    example = str(EXAMPLES / "01-availability-ratio.yaml")
    code, out, err = run(capsys, "generate", example, "--runbook-base-url", WIKI)
    assert (code, err) == (0, "")
    assert f"runbook_url: {wiki(c.ALERT_PAGE)}\n" in out


def test_generate_refuses_a_bad_base_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    example = str(EXAMPLES / "01-availability-ratio.yaml")
    with pytest.raises(SystemExit) as exited:
        run(capsys, "generate", example, "--runbook-base-url", "wiki/{page}")
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert exited.value.code == 2
    assert last.startswith(
        "budgetwarden generate: error: argument --runbook-base-url: must be an http:// or "
    )


# --- Events and denials link the same base --------------------------------------------------
LINKS = RunbookLinks(GIT)


def test_a_freeze_event_links_the_freeze_page_under_the_base() -> None:
    (action,) = plan(policy(), state(PARTIAL), [rollout()], now=NOW, runbooks=LINKS)
    (paused,) = action.notes
    assert paused.reason == c.EVENT_PAUSED
    assert paused.message.endswith(f"see {GIT}/freeze.md")


def test_a_canary_held_at_the_thaw_links_its_reason_page_under_the_base() -> None:
    started = format_time(NOW - timedelta(seconds=30))
    at_step = PauseStep(1, 4, 20, (PauseCondition("CanaryPauseStep", started),))
    workload = rollout(HELD, paused=True, pause_step=at_step)
    normal = state(Level.NORMAL, "", None)
    (action,) = plan(policy(pauseStepAtThaw="Hold"), normal, [workload], now=NOW, runbooks=LINKS)
    (held,) = action.notes
    assert held.message.endswith(f"See {GIT}/reasons/HeldAtThaw.md")


def test_the_policy_guard_links_the_freeze_page_in_both_admission_modes() -> None:
    text = policy_guard.in_force_message("payments", "FullFreeze", "", "deleting it", LINKS.freeze)
    assert text.endswith(f"(runbook: {GIT}/freeze.md).")
    validating_policy = vap_policy_guard.policy_guard(runbook=LINKS.freeze)[0]
    (validation,) = validating_policy["spec"]["validations"]
    assert f"(runbook: {GIT}/freeze.md)." in validation["messageExpression"]


# --- The running operator hands its base to admission ---------------------------------------
FROZEN = {"level": "FullFreeze", "since": "2026-11-29T10:14:00Z", "freezeId": "fz-1"}


def frozen_registry() -> Registry:
    body = yaml.safe_load((EXAMPLES / "05-policy.yaml").read_text())
    registry = Registry()
    registry.observe("errorbudgetpolicies", None, body | {"status": FROZEN})
    return registry


def test_webhook_denials_and_vap_params_link_under_the_operators_base() -> None:
    registry = frozen_registry()
    admission = Admission(registry, runbooks=LINKS)
    (policy,) = admission.view("shop").policies
    params, _ = desired_params(registry, NOW, LINKS)
    assert (policy.runbook_url, params["shop"]["data"]["policy.0.runbookURL"]) == (
        f"{GIT}/freeze.md",
        f"{GIT}/freeze.md",
    )
    old = yaml.safe_load((EXAMPLES / "05-policy.yaml").read_text()) | {"status": FROZEN}
    review = {
        "request": {
            "uid": "u-1",
            "kind": {"group": c.GROUP, "kind": c.KIND_POLICY},
            "operation": "DELETE",
            "oldObject": old,
            "userInfo": {"username": "dev"},
        }
    }
    response = admission.validate_policy(review)["response"]
    assert response["allowed"] is False
    assert response["status"]["message"].endswith(f"(runbook: {GIT}/freeze.md).")
