"""`budgetwarden diff FILE|DIR...`: the rules a change would generate against the rules in place.

For pull-request jobs and for reviewing a change before it is merged. Runs `validate`'s gate
over the inputs (same checks and lines as `generate`), builds each SLO's PrometheusRule as
`generate` does, and compares its rule groups with either the files an earlier
`budgetwarden generate -o DIR` wrote (`--against DIR`, no cluster needed) or the PrometheusRule of
the same namespace and name in the cluster. Against a cluster each SLO is first server-side
applied with dryRun=All, so the CRD's schema and CEL rules judge it as `kubectl apply
--dry-run=server` would. Prints a unified diff per changed SLO and `no changes: NS/NAME` lines.
Exit status as diff(1): 0 no differences, 1 differences, 2 a problem with the input, the folder
or the cluster (one line each on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from budgetwarden.adapters.kube import Kube, KubeError, Unavailable, prometheus_rule_ref
from budgetwarden.adapters.kube.client import Ref
from budgetwarden.adapters.kube.dry_run import dry_run_apply
from budgetwarden.cli._documents import add_rule_settings, print_lines, read_inputs
from budgetwarden.cli._output import CliError
from budgetwarden.cli._rule_diff import RuleDiff, against_folder, read_against
from budgetwarden.cli.validate import (
    Checked,
    Outcome,
    check_inputs,
    empty_line,
    register_gate,
    rule_options,
)
from budgetwarden.core.kernel import conventions as c
from budgetwarden.core.slo.rules import build_prometheus_rule

# One SLO's rules as they are now, from (its outcome, its rules file name, its rule object);
# None when the SLO itself is refused.
Current = Callable[[Outcome, str, dict[str, Any]], RuleDiff | None]


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden diff`."""
    register_gate(parser)
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--against",
        metavar="DIR",
        help="compare with the files `budgetwarden generate -o DIR` wrote (no cluster needed)",
    )
    source.add_argument(
        "--kubeconfig",
        metavar="PATH",
        help="the cluster to compare with (default: $KUBECONFIG, in-cluster, ~/.kube/config)",
    )
    add_rule_settings(
        parser,
        "rule group evaluation interval, as the operator runs with (default 30s)",
        "the operator's --runbook-base-url (default: the shipped pages on GitHub)",
    )


def run(args: argparse.Namespace) -> int:
    """Compare the rules of every SLO in the input; exit 0 same, 1 different, 2 trouble."""
    folder = against_folder(args.against) if args.against is not None else None
    options = rule_options(
        args.scrape_interval, args.evaluation_interval, runbooks=args.runbook_base_url
    )
    checked = check_inputs(read_inputs(args.paths), options, build_prometheus_rule)
    if args.strict:
        checked.make_warnings_problems()
    print_lines(checked.lines())
    if checked.exit_code():
        return 2
    if not checked.rules:
        if args.allow_empty:
            return 0
        print_lines([empty_line(checked.inputs, args.paths, f"{c.KIND_SLO} resources")])
        return 2
    if folder is not None:
        return _compare(checked, lambda _, file_name, rule: _from_folder(folder, file_name, rule))
    return _against_cluster(checked, args.kubeconfig)


def _slos(checked: Checked) -> list[tuple[Outcome, str, dict[str, Any]]]:
    """Every SLO the gate built rules for, with its rules file name (as `generate -o DIR`
    names it) and its PrometheusRule, in input order."""
    found = []
    for outcome in checked.outcomes:
        if outcome.kind == c.KIND_SLO and outcome.parsed is not None:
            meta = outcome.parsed.metadata
            file_name = f"{meta.namespace}-{meta.name}.yaml"
            if file_name in checked.rules:
                found.append((outcome, file_name, checked.rules[file_name]))
    return found


def _compare(checked: Checked, current: Current) -> int:
    """Print each SLO's diff (or its no-changes line); the exit status of the whole run."""
    differs, refused = False, False
    for outcome, file_name, rule in _slos(checked):
        diff = current(outcome, file_name, rule)
        if diff is None:
            refused = True
            continue
        sys.stdout.write(diff.text())
        differs = differs or diff.changed
    sys.stdout.flush()
    return 2 if refused else 1 if differs else 0


def _from_folder(folder: Path, file_name: str, rule: dict[str, Any]) -> RuleDiff:
    """The rules as the `--against` folder has them."""
    meta = rule["metadata"]
    current = read_against(folder, file_name)
    desired = rule["spec"]["groups"]
    return RuleDiff(meta["namespace"], meta["name"], current, desired, str(folder / file_name))


def _against_cluster(checked: Checked, kubeconfig: str | None) -> int:
    """Dry-run apply each SLO, then compare its rules with the cluster's PrometheusRule."""
    try:
        kube = Kube.from_environment(kubeconfig)
    except KubeError as error:
        raise CliError(f"{error} (to compare with files instead: --against DIR)") from error
    try:
        return _compare(checked, lambda outcome, _, rule: _from_cluster(kube, outcome, rule))
    except KubeError as error:  # unreachable, or the PrometheusRule may not be read
        raise CliError(str(error)) from error
    finally:
        kube.close()


def _from_cluster(kube: Kube, outcome: Outcome, rule: dict[str, Any]) -> RuleDiff | None:
    """The rules the cluster holds; None (and a line on stderr) when it refuses the SLO."""
    meta = rule["metadata"]
    body = dict(outcome.document.body)
    body["metadata"] = {**body["metadata"], "namespace": meta["namespace"]}
    slo_ref = Ref(c.GROUP, c.VERSION, c.PLURAL_SLO, meta["namespace"], outcome.parsed.metadata.name)
    try:
        dry_run_apply(kube, slo_ref, body)
    except Unavailable:
        raise
    except KubeError as error:
        print_lines([outcome.document.line(" ".join(str(error).split()))])
        return None
    current = kube.get(prometheus_rule_ref(meta["namespace"], meta["name"]))
    groups = None if current is None else (current.get("spec") or {}).get("groups") or []
    label = f"cluster/{meta['namespace']}/{meta['name']}"
    return RuleDiff(meta["namespace"], meta["name"], groups, rule["spec"]["groups"], label)
