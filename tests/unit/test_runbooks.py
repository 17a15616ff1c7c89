"""Every reason the operator puts on the wire has a runbook page, and every page a reason.

Reasons are the REASON_* constants of core/kernel/conventions.py (condition reasons, and the
rules that name a policy's level-change Event) and its EVENT_* constants (the other Event
reasons; EVENT_COMPONENT is the Events' source, not a reason). Pages are
runbooks/reasons/<Reason>.md and start with the Reason as their title.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from budgetwarden.core.kernel import conventions
from budgetwarden.core.kernel.conditions import REASON_PATTERN
from budgetwarden.core.policy.assess import Rule

PAGES = Path(__file__).resolve().parents[2] / "runbooks" / "reasons"
NOT_A_REASON = {"EVENT_COMPONENT"}
CONDITION_REASONS = {
    name: value
    for name, value in vars(conventions).items()
    if name.startswith("REASON_") and isinstance(value, str)
}
EVENT_REASONS = {
    name: value
    for name, value in vars(conventions).items()
    if name.startswith("EVENT_") and name not in NOT_A_REASON and isinstance(value, str)
}
REASONS = CONDITION_REASONS | EVENT_REASONS


@pytest.mark.parametrize(
    "reason", [pytest.param(r, id=f"{r} has a runbook page") for r in sorted(set(REASONS.values()))]
)
def test_each_reason_has_a_runbook_page(reason: str) -> None:
    page = PAGES / f"{reason}.md"
    assert page.is_file(), f"write {page.relative_to(PAGES.parents[1])}"
    assert page.read_text().splitlines()[0] == f"# {reason}"


@pytest.mark.parametrize(
    "reason",
    [pytest.param(r, id=f"{r} is one CamelCase word") for r in sorted(set(REASONS.values()))],
)
def test_each_reason_is_one_camel_case_word(reason: str) -> None:
    assert REASON_PATTERN.fullmatch(reason)


def test_every_page_belongs_to_a_reason() -> None:
    pages = {page.stem for page in PAGES.glob("*.md")}
    assert pages - set(REASONS.values()) == set()


def test_the_reason_constants_are_found() -> None:
    assert {"RulesApplied", "InvalidSpec", "ApplyFailed", "SpecValid"} <= set(REASONS.values())
    assert {"BudgetThreshold", "NoSLOsSelected"} <= set(CONDITION_REASONS.values())
    assert {"RulesCreated", "Paused", "FreezeExceptionUsed"} <= set(EVENT_REASONS.values())
    assert "budgetwarden" not in REASONS.values()


def test_every_policy_rule_is_a_reason_constant() -> None:
    assert {rule.value for rule in Rule} - set(CONDITION_REASONS.values()) == set()
