"""`budgetwarden generate`: SLO files -> PrometheusRule objects or plain Prometheus rule files.

For GitOps pipelines and plain-Prometheus installations: the same generator the operator runs,
offline. Reads every YAML document under the given files and folders, keeps the SLOs, checks
their PromQL, and prints the rules (or writes one file per SLO with `-o`). Any problem stops the
run before anything is written. Imports only the core generator, so it starts fast.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
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
from budgetwarden.core.conventions import KIND_SLO
from budgetwarden.core.errors import SpecError
from budgetwarden.core.policy_spec import Levels
from budgetwarden.core.promql import validate_slo_queries
from budgetwarden.core.rules import RuleOptions, build_prometheus_rule, build_rule_groups
from budgetwarden.core.spec import SLO, parse_slo

FORMAT_PROMETHEUS_RULE = "prometheusrule"
FORMAT_PROMETHEUS = "prometheus"


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden generate`."""
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


@dataclass(frozen=True)
class Loaded:
    """The SLOs read from the inputs, with the document each came from."""

    slos: list[tuple[Document, SLO]]
    errors: list[str]


def load_slos(paths: list[str]) -> Loaded:
    """Parse and check every SLO document; other documents are skipped."""
    documents, errors = read_documents(paths)
    slos: list[tuple[Document, SLO]] = []
    seen: dict[tuple[str, str], str] = {}
    for document in documents:
        kind, problem = our_kind(document.body)
        if problem is not None:
            errors.append(document.line(problem))
        if kind != KIND_SLO:
            continue
        try:
            slo = parse_slo(document.body)
            validate_slo_queries(slo)
        except SpecError as error:
            errors.extend(document.line(p) for p in error.problems)
            continue
        key = (slo.metadata.namespace, slo.metadata.name)
        if key in seen:
            errors.append(document.line(f"metadata.name: the same SLO is also in {seen[key]}"))
            continue
        seen[key] = document.path
        slos.append((document, slo))
    return Loaded(slos, errors)


def _render(
    slos: list[tuple[Document, SLO]], options: RuleOptions, fmt: str
) -> tuple[list[Any], list[str]]:
    """The rules of each SLO; a SpecError (a window too short for the intervals) is a line."""
    rendered: list[Any] = []
    errors: list[str] = []
    for document, slo in slos:
        try:
            if fmt == FORMAT_PROMETHEUS:
                rendered.append({"groups": build_rule_groups(slo, options)})
            else:
                rendered.append(build_prometheus_rule(slo, options))
        except SpecError as error:
            errors.extend(document.line(p) for p in error.problems)
    return rendered, errors


def run(args: argparse.Namespace) -> int:
    """Generate rules; exit 1 with one line per problem, writing nothing, if any SLO is bad."""
    loaded = load_slos(args.paths)
    errors = loaded.errors
    if not errors and not loaded.slos:
        errors.append(f"{', '.join(args.paths)}: no {KIND_SLO} resources found")
    try:
        options = RuleOptions(
            scrape_interval=args.scrape_interval,
            evaluation_interval=args.evaluation_interval,
            budget_levels=Levels(),
        )
    except ValueError as error:
        print_lines([f"--scrape-interval/--evaluation-interval: {error}"])
        return 2
    rendered, render_errors = _render(loaded.slos, options, args.format) if not errors else ([], [])
    errors.extend(render_errors)
    if errors:
        print_lines(errors)
        return 1
    if args.output:
        names = [f"{s.metadata.namespace}-{s.metadata.name}.yaml" for _, s in loaded.slos]
        write_outputs(args.output, {n: dump_yaml(r) for n, r in zip(names, rendered, strict=True)})
    elif args.format == FORMAT_PROMETHEUS:
        sys.stdout.write(dump_yaml({"groups": [g for r in rendered for g in r["groups"]]}))
    else:
        sys.stdout.write(dump_all(rendered))
    return 0
