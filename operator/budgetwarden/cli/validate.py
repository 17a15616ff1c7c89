"""`budgetwarden validate`: check SLO, ErrorBudgetPolicy and FreezeException files before applying.

For pre-commit hooks and CI. Also the gate `generate` runs (`check_inputs`): both read the
whole input set, parse each resource as the operator would, refuse a resource defined twice
(across files too), build every SLO's rules with the policies among the inputs (which checks its
PromQL), and collect the warnings, so whatever passes here generates and prints the same lines.
Prints `ok FILE (N resources)` per clean file, one line per problem otherwise, and `warning:`
lines that fail the run only with `--strict`. Exit status: 0 ok, 1 problems, 2 usage or I/O.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from budgetwarden.cli._documents import (
    KINDS,
    Document,
    Inputs,
    duration_argument,
    our_kind,
    print_lines,
    read_inputs,
)
from budgetwarden.cli._output import CliError
from budgetwarden.core.freeze.exception_spec import parse_exception
from budgetwarden.core.kernel.conventions import KIND_EXCEPTION, KIND_POLICY, KIND_SLO
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.kernel.levels import Levels
from budgetwarden.core.policy.alert_levels import rule_options_for
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, parse_policy
from budgetwarden.core.slo.rules import RuleOptions, build_rule_groups, rule_warnings
from budgetwarden.core.slo.spec import SLO, parse_slo

Build = Callable[[SLO, RuleOptions], Any]
PARSERS: dict[str, Callable[[Any], Any]] = {
    KIND_SLO: parse_slo,
    KIND_POLICY: parse_policy,
    KIND_EXCEPTION: parse_exception,
}


def register_gate(parser: argparse.ArgumentParser) -> None:
    """The arguments `validate` and `generate` share: the input and how strict to be."""
    parser.add_argument(
        "paths", nargs="+", metavar="FILE|DIR", help="YAML files or folders; - reads stdin"
    )
    parser.add_argument(
        "--scrape-interval",
        type=duration_argument,
        default=timedelta(seconds=30),
        metavar="DURATION",
        help="how often Prometheus scrapes the SLIs; short windows need short ones (default 30s)",
    )
    parser.add_argument("--strict", action="store_true", help="treat warnings as problems")
    parser.add_argument(
        "--allow-empty", action="store_true", help="accept input without any resource of ours"
    )


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden validate`."""
    register_gate(parser)


@dataclass
class Outcome:
    """What the gate found in one document: its kind when it is one of ours, whether it looks
    like ours (one of our kinds or our API group, right or wrong), and the parsed resource."""

    document: Document
    kind: str | None = None
    ours: bool = False
    parsed: Any = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Checked:
    """The gate's verdict on the whole input set, and the rules it built, per output file."""

    inputs: Inputs
    outcomes: list[Outcome]
    rules: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Every problem and warning line, in input order."""
        found = list(self.inputs.io_errors) + list(self.inputs.problems)
        for outcome in self.outcomes:
            found += outcome.problems + [f"warning: {w}" for w in outcome.warnings]
        return found

    def count(self, kinds: tuple[str, ...] = KINDS) -> int:
        """How many resources of these kinds the input holds (well formed or not)."""
        return sum(1 for outcome in self.outcomes if outcome.kind in kinds)

    def make_warnings_problems(self) -> None:
        """`--strict`: every warning is a problem, and says so."""
        for outcome in self.outcomes:
            outcome.problems += (f"{w} (a warning; --strict fails on it)" for w in outcome.warnings)
            outcome.warnings = []

    def exit_code(self) -> int:
        """2 for I/O errors, 1 for problems, else 0."""
        if self.inputs.io_errors:
            return 2
        failed = self.inputs.problems or any(outcome.problems for outcome in self.outcomes)
        return 1 if failed else 0


def _parse(document: Document) -> Outcome:
    kind, problems = our_kind(document.body)
    outcome = Outcome(document, kind, ours=kind is not None or bool(problems))
    outcome.problems += (document.line(p) for p in problems)
    if kind is not None:
        try:
            outcome.parsed = PARSERS[kind](document.body)
        except SpecError as error:
            outcome.problems += (document.line(p) for p in error.problems)
    return outcome


def _duplicates(outcomes: list[Outcome]) -> None:
    """A resource defined twice, in one file or two, is a problem of the second definition."""
    seen: dict[tuple[str, str, str], str] = {}
    for outcome in outcomes:
        if outcome.parsed is None:
            continue
        meta = outcome.parsed.metadata
        key = (str(outcome.kind), meta.namespace, meta.name)
        if key not in seen:
            seen[key] = outcome.document.path
            continue
        message = f"metadata.name: {key[0]} {key[1]}/{key[2]} is also defined in {seen[key]}"
        outcome.problems.append(outcome.document.line(message))
        outcome.parsed = None


def _build_slo(outcome: Outcome, options: RuleOptions, build: Build) -> Any:
    """The SLO's rules, with its warnings noted; None when they cannot be built."""
    slo: SLO = outcome.parsed
    try:
        rules = build(slo, options)
    except SpecError as error:
        outcome.problems += (outcome.document.line(p) for p in error.problems)
        return None
    outcome.warnings += (outcome.document.line(w) for w in rule_warnings(slo))
    return rules


def check_inputs(inputs: Inputs, options: RuleOptions, build: Build = build_rule_groups) -> Checked:
    """Check every document of the input set and build the rules of every good SLO."""
    outcomes = [_parse(document) for document in inputs.documents]
    _duplicates(outcomes)
    policies: list[ErrorBudgetPolicy] = [
        o.parsed for o in outcomes if o.kind == KIND_POLICY and o.parsed is not None
    ]
    checked = Checked(inputs, outcomes)
    owners: dict[str, str] = {}  # rules file name -> the file of the SLO that writes it
    for outcome in outcomes:
        if outcome.kind != KIND_SLO or outcome.parsed is None:
            continue
        meta = outcome.parsed.metadata
        rules = _build_slo(outcome, rule_options_for(outcome.parsed, policies, options), build)
        name = f"{meta.namespace}-{meta.name}.yaml"
        if rules is not None and name in owners:
            message = (
                f"metadata.name: its rules file {name} is also that of an SLO in {owners[name]}"
            )
            outcome.problems.append(outcome.document.line(f"{message}; rename one"))
        elif rules is not None:
            owners[name] = outcome.document.path
            checked.rules[name] = rules
    return checked


def empty_line(inputs: Inputs, paths: list[str], what: str) -> str:
    """The problem of an input set without anything to work on."""
    found = f"no {what} found"
    if not inputs.files:
        found = "no .yaml or .yml files found (hidden files and folders are skipped)"
    return f"{', '.join(paths)}: {found}; pass --allow-empty to accept that"


def rule_options(
    scrape_interval: timedelta, evaluation_interval: timedelta | None = None, **more: Any
) -> RuleOptions:
    """RuleOptions for the flags; raise CliError when the intervals cannot work."""
    evaluation = evaluation_interval or min(scrape_interval, timedelta(seconds=30))
    try:
        return RuleOptions(
            scrape_interval=scrape_interval,
            evaluation_interval=evaluation,
            budget_levels=Levels(),
            **more,
        )
    except ValueError as error:
        raise CliError(f"--scrape-interval: {error}") from error


def report(checked: Checked) -> list[str]:
    """validate's lines: per file, `ok FILE (N resources)` or its problems; then warnings."""
    by_file: dict[str, list[Outcome]] = {name: [] for name in checked.inputs.files}
    for outcome in checked.outcomes:
        by_file[outcome.document.path].append(outcome)
    lines = list(checked.inputs.io_errors)
    for path, outcomes in by_file.items():
        problems = [p for p in checked.inputs.problems if p.startswith(f"{path}: ")]
        problems += (line for o in outcomes for line in o.problems)
        count = sum(1 for o in outcomes if o.ours)
        noun = "resource" if count == 1 else "resources"
        lines += problems or [f"ok {path} ({count} {noun})"]
        lines += (f"warning: {line}" for o in outcomes for line in o.warnings)
    return lines


def run(args: argparse.Namespace) -> int:
    """Validate the whole input set; exit 1 if any resource has a problem."""
    options = rule_options(args.scrape_interval)
    checked = check_inputs(read_inputs(args.paths), options)
    if args.strict:
        checked.make_warnings_problems()
    code = checked.exit_code()
    if code == 0 and not checked.count() and not args.allow_empty:
        what = f"resources of kind {', '.join(KINDS)}"
        print_lines([empty_line(checked.inputs, args.paths, what)], sys.stdout)
        return 1
    print_lines(report(checked), sys.stdout)
    return code
