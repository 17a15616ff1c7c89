"""`budgetwarden generate`: SLO files -> PrometheusRule objects, plain Prometheus rule files, or
VictoriaMetrics VMRule objects.

For GitOps pipelines and plain-Prometheus installations: the same generator the operator runs,
offline. Runs `validate`'s gate over the whole input set (same checks, same problem and warning
lines, on stderr), then prints the rules or writes them with `-o` (`_output`). ErrorBudgetPolicies
among the inputs set the budget-low thresholds of the SLOs they select, as in the operator. Any
problem stops the run before anything is written. Each file `-o` writes starts with a line naming
the SLO and its file, to edit instead; stdout stays plain YAML. `--rule-label` and
`--rule-annotation` go on every PrometheusRule object, under an SLO's own spec.prometheusRule.
Imports only the core generator, so it starts fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from budgetwarden.cli import _output
from budgetwarden.cli._documents import (
    add_rule_settings,
    dump_yaml,
    print_lines,
    read_inputs,
)
from budgetwarden.cli.validate import (
    Checked,
    check_inputs,
    empty_line,
    register_gate,
    rule_options,
)
from budgetwarden.core.kernel.conventions import KIND_SLO
from budgetwarden.core.slo.rule_object import generated_note, merge_pairs, parse_pair
from budgetwarden.core.slo.rulefiles import vm_rule
from budgetwarden.core.slo.rules import RuleOptions, build_prometheus_rule, build_rule_groups
from budgetwarden.core.slo.spec import SLO

FORMAT_PROMETHEUS_RULE = "prometheusrule"
FORMAT_PROMETHEUS = "prometheus"
FORMAT_VMRULE = "vmrule"


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden generate`."""
    parser.epilog = "budgetwarden generate pack PACK... prints an alert pack (see its --help)"
    register_gate(parser)
    parser.add_argument(
        "--format",
        choices=(FORMAT_PROMETHEUS_RULE, FORMAT_PROMETHEUS, FORMAT_VMRULE),
        default=FORMAT_PROMETHEUS_RULE,
        help="PrometheusRule objects (default), plain Prometheus rule files, or VMRule objects "
        "of the VictoriaMetrics operator",
    )
    _output.add_output_arguments(parser, "<namespace>-<name>.yaml per SLO")
    add_rule_settings(
        parser,
        "rule group evaluation interval (default 30s)",
        "link each alert's runbook under this URL: the runbooks/ folder of your copy, or a URL "
        "with {page} for a wiki (default: the shipped pages on GitHub)",
    )
    _register_rule_object(parser)


def _register_rule_object(parser: argparse.ArgumentParser) -> None:
    """--rule-label and --rule-annotation: metadata of every PrometheusRule object."""
    parser.add_argument(
        "--rule-label",
        type=_rule_label,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="label every PrometheusRule object (repeatable), e.g. release=kube-prometheus-stack "
        "for its ruleSelector; an SLO's spec.prometheusRule.labels win",
    )
    parser.add_argument(
        "--rule-annotation",
        type=_rule_annotation,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="annotate every PrometheusRule object (repeatable); an SLO's own annotations win",
    )


def _rule_label(text: str) -> tuple[str, str]:
    """argparse type of --rule-label: one KEY=VALUE, refused with one line naming the flag."""
    try:
        return parse_pair(text, labels=True)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _rule_annotation(text: str) -> tuple[str, str]:
    """argparse type of --rule-annotation: one KEY=VALUE; the value may hold commas."""
    try:
        return parse_pair(text, labels=False)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _build(fmt: str) -> Callable[[SLO, RuleOptions], Any]:
    """The builder of one SLO's rules in the chosen format; it checks the PromQL first."""
    if fmt == FORMAT_PROMETHEUS:
        return lambda slo, options: {"groups": build_rule_groups(slo, options)}
    if fmt == FORMAT_VMRULE:
        # vmalert's records reach storage after its group's later rules may read them
        return lambda slo, options: vm_rule(
            build_prometheus_rule(slo, replace(options, chained_records=False))
        )
    return build_prometheus_rule


def _combined(rules: dict[str, Any], fmt: str, headers: dict[str, str]) -> str:
    """Every SLO's rules as one text: one rule file of all groups, or `---`-separated objects,
    each after its header (a rule file has every header at the top)."""
    if fmt == FORMAT_PROMETHEUS:
        top = "".join(headers.values())
        return top + dump_yaml({"groups": [group for r in rules.values() for group in r["groups"]]})
    return "---\n".join(headers.get(name, "") + dump_yaml(rule) for name, rule in rules.items())


def _headers(checked: Checked) -> dict[str, str]:
    """Rules file name -> its first line: which SLO, from which file, to edit instead."""
    headers = {}
    for outcome in checked.outcomes:
        if outcome.kind == KIND_SLO and outcome.parsed is not None:
            meta = outcome.parsed.metadata
            name = f"{meta.namespace}-{meta.name}.yaml"  # as check_inputs names it
            note = generated_note(meta.namespace, meta.name, outcome.document.path)
            headers[name] = f"# {note}\n"
    return {name: headers[name] for name in checked.rules if name in headers}


def run(args: argparse.Namespace) -> int:
    """Generate rules after validate's checks; on any problem, one line each and nothing written."""
    target = _output.plan(args.output, args.force)
    options = rule_options(
        args.scrape_interval,
        args.evaluation_interval,
        runbooks=args.runbook_base_url,
        rule_labels=merge_pairs(args.rule_label),
        rule_annotations=merge_pairs(args.rule_annotation),
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
    # Files say where they come from; stdout stays plain YAML for pipes.
    headers = _headers(checked) if target.path is not None else {}
    files = {name: headers.get(name, "") + dump_yaml(r) for name, r in checked.rules.items()}
    _output.write(target, files, _combined(checked.rules, args.format, headers))
    return 0
