"""`budgetwarden generate`: SLO files -> PrometheusRule objects or plain Prometheus rule files.

For GitOps pipelines and plain-Prometheus installations: the same generator the operator runs,
offline. Reads every YAML document under the given files and folders, keeps the SLOs, checks
their PromQL, and prints the rules (or writes one file per SLO with `-o`). ErrorBudgetPolicies
among the inputs set the budget-low thresholds of the SLOs they select, as in the operator. Any
problem stops the run before anything is written. Imports only the core generator, so it starts
fast.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from budgetwarden.cli._documents import (
    Document,
    dump_all,
    dump_yaml,
    duration_argument,
    our_kind,
    print_lines,
    read_documents,
    write_outputs,
)
from budgetwarden.core.kernel.conventions import KIND_POLICY, KIND_SLO
from budgetwarden.core.kernel.errors import SpecError
from budgetwarden.core.kernel.levels import Levels
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks, parse_runbook_base
from budgetwarden.core.policy.alert_levels import rule_options_for
from budgetwarden.core.policy.spec import ErrorBudgetPolicy, parse_policy
from budgetwarden.core.slo.rules import RuleOptions, build_prometheus_rule, build_rule_groups
from budgetwarden.core.slo.spec import SLO, parse_slo

FORMAT_PROMETHEUS_RULE = "prometheusrule"
FORMAT_PROMETHEUS = "prometheus"


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden generate`."""
    parser.epilog = "budgetwarden generate pack PACK... prints an alert pack (see its --help)"
    parser.add_argument("paths", nargs="+", metavar="FILE|DIR", help="YAML files or folders")
    parser.add_argument(
        "--format",
        choices=(FORMAT_PROMETHEUS_RULE, FORMAT_PROMETHEUS),
        default=FORMAT_PROMETHEUS_RULE,
        help="PrometheusRule objects (default) or plain Prometheus rule files",
    )
    parser.add_argument(
        "-o", "--output", metavar="DIR", help="write <namespace>-<name>.yaml per SLO here"
    )
    parser.add_argument(
        "--scrape-interval",
        type=duration_argument,
        default=timedelta(seconds=30),
        metavar="DURATION",
        help="how often Prometheus scrapes the SLIs (default 30s)",
    )
    parser.add_argument(
        "--evaluation-interval",
        type=duration_argument,
        default=timedelta(seconds=30),
        metavar="DURATION",
        help="rule group evaluation interval (default 30s)",
    )
    parser.add_argument(
        "--runbook-base-url",
        type=_runbook_base,
        default=SHIPPED_RUNBOOKS,
        metavar="URL",
        help="link each alert's runbook under this URL: the runbooks/ folder of your copy, or a "
        "URL with {page} for a wiki (default: the shipped pages on GitHub)",
    )


def _runbook_base(text: str) -> RunbookLinks:
    """argparse type: a bad URL stops with one line naming the flag."""
    try:
        return parse_runbook_base(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


@dataclass
class Generated:
    """Rules per SLO, keyed by output file name, and one error line per problem."""

    rules: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _build(slo: SLO, options: RuleOptions, fmt: str) -> Any:
    """One SLO's rules in the chosen format; the builders check the PromQL first."""
    if fmt == FORMAT_PROMETHEUS:
        return {"groups": build_rule_groups(slo, options)}
    return build_prometheus_rule(slo, options)


def generate(paths: list[str], options: RuleOptions, fmt: str) -> Generated:
    """Parse and build every SLO document, in input order; other documents are skipped."""
    documents, errors = read_documents(paths)
    result = Generated(errors=errors)
    policies = _policies(documents)
    seen: dict[str, str] = {}
    for document in documents:
        kind, problem = our_kind(document.body)
        if problem is not None:
            result.errors.append(document.line(problem))
        if kind != KIND_SLO:
            continue
        try:
            slo = parse_slo(document.body)
            rules = _build(slo, rule_options_for(slo, policies, options), fmt)
        except SpecError as error:
            result.errors.extend(document.line(p) for p in error.problems)
            continue
        name = f"{slo.metadata.namespace}-{slo.metadata.name}.yaml"
        if name in seen:
            result.errors.append(document.line(f"metadata.name: also defined in {seen[name]}"))
            continue
        seen[name] = document.path
        result.rules[name] = rules
    return result


def _policies(documents: list[Document]) -> list[ErrorBudgetPolicy]:
    """The ErrorBudgetPolicies among the inputs: the SLOs they select alert at their levels, as
    in the operator. One that does not parse is skipped here; `budgetwarden validate` names it."""
    policies = []
    for document in documents:
        if our_kind(document.body)[0] != KIND_POLICY:
            continue
        try:
            policies.append(parse_policy(document.body))
        except SpecError:
            continue
    return policies


def _options(args: argparse.Namespace) -> RuleOptions:
    return RuleOptions(
        scrape_interval=args.scrape_interval,
        evaluation_interval=args.evaluation_interval,
        budget_levels=Levels(),
        runbooks=args.runbook_base_url,
    )


def run(args: argparse.Namespace) -> int:
    """Generate rules; exit 1 with one line per problem, writing nothing, if any SLO is bad."""
    try:
        options = _options(args)
    except ValueError as error:
        print_lines([f"--scrape-interval/--evaluation-interval: {error}"])
        return 2
    result = generate(args.paths, options, args.format)
    if not result.errors and not result.rules:
        result.errors.append(f"{', '.join(args.paths)}: no {KIND_SLO} resources found")
    if result.errors:
        print_lines(result.errors)
        return 1
    if args.output:
        write_outputs(args.output, {name: dump_yaml(r) for name, r in result.rules.items()})
    elif args.format == FORMAT_PROMETHEUS:
        groups = [group for rules in result.rules.values() for group in rules["groups"]]
        sys.stdout.write(dump_yaml({"groups": groups}))
    else:
        sys.stdout.write(dump_all(result.rules.values()))
    return 0
