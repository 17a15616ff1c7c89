"""The `budgetwarden` command line.

Each subcommand lives in its own module under `budgetwarden.cli` and is imported only when it
runs, so `budgetwarden generate` does not pay for kopf or the Kubernetes client at start-up.
A module exposes `register(parser)` (add its arguments) and `run(args) -> int` (the exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# command name -> (module under budgetwarden.cli, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("generate", "SLO files -> PrometheusRule or Prometheus rule files"),
    "validate": ("validate", "check SLO, ErrorBudgetPolicy and FreezeException files"),
    "budget": ("budget", "allowed downtime and burn-rate table for an objective and window"),
    "import": ("importer", "convert Sloth or OpenSLO specs into SLO resources"),
    "dev": ("dev", "a local kube-apiserver + etcd (and Prometheus): up, down, env"),
    "demo-service": ("demo_service", "an HTTP service with an error rate and latency you control"),
    "run": ("run", "run the operator against your cluster"),
    "rules-sync": ("rules_sync", "mirror PrometheusRules into a Prometheus rules directory"),
    "demo": ("demo", "the whole loop on this machine for drills: up, down, env"),
    "drill": ("drill", "burn error budget for real and watch the freeze happen"),
    "webhook": ("webhook", "render the admission webhook configurations"),
    "status": ("status", "freeze state: policies, held workloads, active exceptions"),
    "explain": ("explain", "why a workload is or is not frozen, and what a new version gets"),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser; subcommand modules add their own arguments lazily."""
    parser = argparse.ArgumentParser(
        prog="budgetwarden",
        description="Run services by their SLOs: rules, error budgets, deployment freezes.",
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, help_text) in COMMANDS.items():
        subcommands.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    top = build_parser()
    if not argv or argv[0] not in COMMANDS:
        top.parse_args(argv)  # prints usage or the unknown-command error and exits
        return 2
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(f"budgetwarden.cli.{COMMANDS[name][0]}")
    parser = argparse.ArgumentParser(prog=f"budgetwarden {name}", description=COMMANDS[name][1])
    module.register(parser)
    args = parser.parse_args(rest)
    return int(module.run(args))
