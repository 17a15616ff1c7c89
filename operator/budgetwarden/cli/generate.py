"""`budgetwarden generate`: SLO files -> PrometheusRule objects or plain Prometheus rule files.

For GitOps pipelines and plain-Prometheus installations: the same generator the operator runs,
offline. Runs `validate`'s gate over the whole input set (same checks, same problem and warning
lines, on stderr), then prints the rules or writes them with `-o` (`_output`). ErrorBudgetPolicies
among the inputs set the budget-low thresholds of the SLOs they select, as in the operator. Any
problem stops the run before anything is written. Imports only the core generator, so it starts
fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from budgetwarden.cli import _output
from budgetwarden.cli._documents import (
    dump_all,
    dump_yaml,
    duration_argument,
    print_lines,
    read_inputs,
)
from budgetwarden.cli.validate import check_inputs, empty_line, register_gate, rule_options
from budgetwarden.core.kernel.conventions import KIND_SLO
from budgetwarden.core.kernel.runbooks import SHIPPED_RUNBOOKS, RunbookLinks, parse_runbook_base
from budgetwarden.core.slo.rules import RuleOptions, build_prometheus_rule, build_rule_groups
from budgetwarden.core.slo.spec import SLO

FORMAT_PROMETHEUS_RULE = "prometheusrule"
FORMAT_PROMETHEUS = "prometheus"


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden generate`."""
    parser.epilog = "budgetwarden generate pack PACK... prints an alert pack (see its --help)"
    register_gate(parser)
    parser.add_argument(
        "--format",
        choices=(FORMAT_PROMETHEUS_RULE, FORMAT_PROMETHEUS),
        default=FORMAT_PROMETHEUS_RULE,
        help="PrometheusRule objects (default) or plain Prometheus rule files",
    )
    _output.add_output_arguments(parser, "<namespace>-<name>.yaml per SLO")
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


def _build(fmt: str) -> Callable[[SLO, RuleOptions], Any]:
    """The builder of one SLO's rules in the chosen format; it checks the PromQL first."""
    if fmt == FORMAT_PROMETHEUS:
        return lambda slo, options: {"groups": build_rule_groups(slo, options)}
    return build_prometheus_rule


def _combined(rules: dict[str, Any], fmt: str) -> str:
    """Every SLO's rules as one text: one rule file of all groups, or `---`-separated objects."""
    if fmt == FORMAT_PROMETHEUS:
        return dump_yaml({"groups": [group for r in rules.values() for group in r["groups"]]})
    return dump_all(rules.values())


def run(args: argparse.Namespace) -> int:
    """Generate rules after validate's checks; on any problem, one line each and nothing written."""
    target = _output.plan(args.output, args.force)
    options = rule_options(
        args.scrape_interval, args.evaluation_interval, runbooks=args.runbook_base_url
    )
    checked = check_inputs(read_inputs(args.paths), options, _build(args.format))
    if args.strict:
        checked.make_warnings_problems()
    lines, code = checked.lines(), checked.exit_code()
    if code == 0 and not checked.count((KIND_SLO,)) and not args.allow_empty:
        lines, code = [empty_line(checked.inputs, args.paths, f"{KIND_SLO} resources")], 1
    print_lines(lines)
    if code:
        return code
    files = {name: dump_yaml(rules) for name, rules in checked.rules.items()}
    _output.write(target, files, _combined(checked.rules, args.format))
    return 0
