"""`budgetwarden validate`: check SLO, ErrorBudgetPolicy and FreezeException files before applying.

For pre-commit hooks and CI. Each resource is parsed as the operator would parse it; SLOs also
get their PromQL checked and a dry run of rule generation, so whatever passes here generates.
Prints `ok FILE (N resources)` per clean file, one line per problem otherwise, and `warning:`
lines (objectives that make an alert unreachable, ...) that do not fail the run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from budgetwarden.cli._documents import (
    Document,
    duration_argument,
    our_kind,
    print_lines,
    read_documents,
)
from budgetwarden.core.freeze.exception_spec import parse_exception
from budgetwarden.core.kernel.conventions import KIND_EXCEPTION, KIND_POLICY, KIND_SLO
from budgetwarden.core.kernel.errors import Problem, SpecError
from budgetwarden.core.kernel.levels import Levels
from budgetwarden.core.policy.spec import parse_policy
from budgetwarden.core.slo.rules import RuleOptions, build_rule_groups, rule_warnings
from budgetwarden.core.slo.spec import parse_slo

Check = Callable[[Mapping[str, Any]], list[Problem]]


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden validate`."""
    parser.add_argument("paths", nargs="+", metavar="FILE|DIR", help="YAML files or folders")
    parser.add_argument(
        "--scrape-interval",
        type=duration_argument,
        default=timedelta(seconds=30),
        metavar="DURATION",
        help="how often Prometheus scrapes the SLIs; short windows need short ones (default 30s)",
    )


def _slo_check(options: RuleOptions) -> Check:
    def check(body: Mapping[str, Any]) -> list[Problem]:
        """Parse, build the rules (which checks the PromQL first); return the warnings."""
        slo = parse_slo(body)
        build_rule_groups(slo, options)
        return list(rule_warnings(slo))

    return check


def _no_warnings(parse: Callable[[Mapping[str, Any]], object]) -> Callable[..., list[Problem]]:
    def check(body: Mapping[str, Any]) -> list[Problem]:
        parse(body)
        return []

    return check


def checks_for(scrape_interval: timedelta = timedelta(seconds=30)) -> dict[str, Check]:
    """The check of each kind; SLO rules are built for the given scrape interval."""
    options = RuleOptions(
        scrape_interval=scrape_interval,
        evaluation_interval=min(scrape_interval, timedelta(seconds=30)),
        budget_levels=Levels(),
    )
    return {
        KIND_SLO: _slo_check(options),
        KIND_POLICY: _no_warnings(parse_policy),
        KIND_EXCEPTION: _no_warnings(parse_exception),
    }


def check_document(
    document: Document, checks: dict[str, Check]
) -> tuple[int, list[str], list[str]]:
    """(resources counted, problem lines, warning lines) for one document."""
    kind, problem = our_kind(document.body)
    if problem is not None:
        return 1, [document.line(problem)], []
    if kind is None:
        return 0, [], []
    check = checks.get(kind)
    if check is None:
        allowed = ", ".join(checks)
        return 1, [document.line(Problem("kind", f'must be one of {allowed}; got "{kind}"'))], []
    try:
        warnings = check(document.body)
    except SpecError as error:
        return 1, [document.line(p) for p in error.problems], []
    return 1, [], [f"warning: {document.line(w)}" for w in warnings]


def check_file(
    path: str, documents: list[Document], checks: dict[str, Check]
) -> tuple[list[str], bool]:
    """The report lines of one file, and whether it is free of problems."""
    count, problems, warnings = 0, [], []
    for document in documents:
        found, document_problems, document_warnings = check_document(document, checks)
        count += found
        problems += document_problems
        warnings += document_warnings
    noun = "resource" if count == 1 else "resources"
    return (problems or [f"ok {path} ({count} {noun})"]) + warnings, not problems


def run(args: argparse.Namespace) -> int:
    """Validate every file; exit 1 if any resource has a problem."""
    documents, unreadable = read_documents(args.paths)
    print_lines(unreadable, sys.stdout)
    by_file: dict[str, list[Document]] = {}
    for document in documents:
        by_file.setdefault(document.path, []).append(document)
    ok = not unreadable
    checks = checks_for(args.scrape_interval)
    for path, file_documents in by_file.items():
        lines, clean = check_file(path, file_documents, checks)
        print_lines(lines, sys.stdout)
        ok = ok and clean
    return 0 if ok else 1
