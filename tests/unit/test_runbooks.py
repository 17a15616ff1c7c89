"""Every reason the operator puts on the wire has a runbook page, and the runbooks hold together.

Reasons are the REASON_* constants of core/kernel/conventions.py (condition reasons, and the
rules that name a policy's level-change Event) and its EVENT_* constants (the other Event
reasons; EVENT_COMPONENT is the Events' source, not a reason). Pages are
runbooks/reasons/<Reason>.md and start with the Reason as their title.

The incident runbooks (runbooks/NNN-*.md) have the sections an on-call engineer looks for, the
index (runbooks/README.md) lists them and every alert page, every relative link in runbooks/
reaches a file and heading that exist, and every command they tell people to run exists: each
`budgetwarden` command parses with the real command line, each `kubectl` one with the kubectl
the dev tools install (`kubectl ... --help`), each `kubectl argo rollouts` verb is the plugin's.
Alert pages have their own contract in tests/unit/test_alert_runbooks.py.
"""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from budgetwarden.cli import COMMANDS, NESTED_COMMANDS
from budgetwarden.core.kernel import conventions
from budgetwarden.core.kernel.conditions import REASON_PATTERN
from budgetwarden.core.policy.assess import Rule

RUNBOOKS = Path(__file__).resolve().parents[2] / "runbooks"
PAGES = RUNBOOKS / "reasons"
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


# --- Incident runbooks, the index, links and commands ------------------------------------------
INCIDENT_RUNBOOKS = sorted(RUNBOOKS.glob("[0-9][0-9][0-9]-*.md"))
SECTIONS = (
    "Trigger", "Symptoms", "Common causes", "Triage", "Mitigation", "Verification", "Escalation",
    "Communication",
)  # fmt: skip
DOCS = sorted(RUNBOOKS.glob("**/*.md"))
FENCE = re.compile(r"^[ \t]*```[a-z]*\n(.*?)^[ \t]*```", re.M | re.S)
CODE_SPAN = re.compile(r"`([^`\n]+(?:\n[^`\n]+)*)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
# The verbs of the Argo Rollouts kubectl plugin (argo-rollouts.readthedocs.io, "Kubectl Plugin").
ROLLOUTS_VERBS = {
    "abort", "create", "dashboard", "get", "lint", "list", "notifications", "pause", "promote",
    "restart", "retry", "set", "status", "terminate", "undo", "version",
}  # fmt: skip
KUBECTL = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in INCIDENT_RUNBOOKS])
def test_each_incident_runbook_has_the_sections_on_call_needs(path: Path) -> None:
    text = path.read_text()
    headings = re.findall(r"^## (.*)$", text, re.M)
    missing = [s for s in SECTIONS if not any(h.startswith(s) for h in headings)]
    assert missing == [], f"{path.name} lacks {missing}"
    assert re.search(r"\*\*MTTR goal\*\* \| \*\*\d+ minutes\*\*", text), "no MTTR goal"
    assert re.search(r"\*\*Priority\*\* \| \*\*P[0-3]\*\*", text), "no priority"
    assert "(../docs/templates/status-update.md)" in text


def test_the_index_lists_every_incident_runbook_and_alert_page() -> None:
    index = (RUNBOOKS / "README.md").read_text()
    pages = [p.name for p in INCIDENT_RUNBOOKS]
    pages += [f"alerts/{p.name}" for p in sorted((RUNBOOKS / "alerts").glob("*.md"))]
    assert [p for p in pages if f"]({p})" not in index] == []


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub writes it."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text())
    return {_slug(heading) for heading in re.findall(r"^#+ (.*)$", text, re.M)}


@pytest.mark.parametrize("path", [pytest.param(p, id=str(p.relative_to(RUNBOOKS))) for p in DOCS])
def test_every_relative_link_reaches_a_file_and_heading(path: Path) -> None:
    broken = []
    for target in LINK.findall(FENCE.sub("", path.read_text())):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        if not linked.exists() or (
            anchor and linked.suffix == ".md" and anchor not in _anchors(linked)
        ):
            broken.append(target)
    assert broken == []


def _commands(text: str) -> list[str]:
    """The commands in fenced blocks (continuations joined, comments dropped) and code spans."""
    found = []
    for block in FENCE.findall(text):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            found.append(re.sub(r"\s+#.*$", "", line.strip()).removeprefix("$ "))
    found += [" ".join(span.split()) for span in CODE_SPAN.findall(FENCE.sub("", text))]
    return [c for c in found if c.startswith(("budgetwarden ", "kubectl "))]


COMMAND_LINES = sorted({c for path in DOCS for c in _commands(path.read_text())})


def _budgetwarden_options(argv: list[str]) -> set[str]:
    """The options of `budgetwarden <command>` (or a nested one such as `generate pack`)."""
    nested = NESTED_COMMANDS.get((argv[0], argv[1]) if len(argv) > 1 else ("", ""))
    module = importlib.import_module(f"budgetwarden.cli.{(nested or COMMANDS[argv[0]])[0]}")
    parser = argparse.ArgumentParser(prog=f"budgetwarden {argv[0]}")
    module.register(parser)
    return set(parser._option_string_actions)


@pytest.mark.parametrize("line", [pytest.param(c, id=c) for c in COMMAND_LINES])
def test_every_command_the_runbooks_give_exists(line: str) -> None:
    # Placeholders stand for values: "1" parses as a name and as a number alike.
    argv = [re.sub(r"<[^>]+>", "1", word) for word in shlex.split(line)]
    if argv[0] == "budgetwarden":
        # Prose names a command and its flags without every argument: each must exist.
        assert argv[1] in COMMANDS, f"no command budgetwarden {argv[1]}"
        flags = {word.split("=")[0] for word in argv[2:] if word.startswith("-")}
        assert flags - _budgetwarden_options(argv[1:]) == set()
    elif argv[1:3] == ["argo", "rollouts"]:
        assert argv[3] in ROLLOUTS_VERBS, f"no verb kubectl argo rollouts {argv[3]}"
    else:
        assert KUBECTL is not None, "kubectl is not installed: make venv installs it"
        own = argv[1 : argv.index("--")] if "--" in argv else argv[1:]  # `--` starts a command
        checked = subprocess.run([KUBECTL, *own, "--help"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
