"""`budgetwarden dev up|down|env`: a local kube-apiserver + etcd (and Prometheus) for development.

`up` starts the stack detached and prints `export KUBECONFIG=...` (so `eval "$(budgetwarden dev
up)"` works); progress and errors go to stderr; `up --workloads` adds the controllers that make
workloads progress. `down` stops it and removes its folders; `env` prints the exports again. The
work happens in budgetwarden_dev.devenv.stack.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "a local kube-apiserver + etcd (and Prometheus): up, down, env"


def register(parser: argparse.ArgumentParser) -> None:
    """Add the up/down/env actions and their options."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help_text in (
        ("up", "start etcd + kube-apiserver, install the CRDs, print the exports"),
        ("down", "stop the processes `up` started and remove their folders"),
        ("env", "print the exports for a running stack"),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text)
        action.add_argument(
            "--dir", type=Path, default=None, help="state folder (default: .cache/dev in the repo)"
        )
        if name == "up":
            action.add_argument(
                "--with-prometheus",
                action="store_true",
                help="also start Prometheus (rules from DIR/rules, scraping itself)",
            )
            action.add_argument(
                "--workloads",
                action="store_true",
                help="also start kube-controller-manager, kube-scheduler, kwok (one fake node) and"
                " Argo Rollouts' controller, so workloads really roll out (builds them if missing)",
            )
            action.add_argument(
                "--evaluation-interval",
                default="5s",
                help="Prometheus scrape and rule evaluation interval (default: 5s)",
            )


def run(args: argparse.Namespace) -> int:
    """Run the chosen action; errors are one line on stderr and exit code 1."""
    from budgetwarden_dev.devenv import stack
    from budgetwarden_dev.devenv.errors import DevEnvError

    try:
        directory = (args.dir or stack.default_dir()).resolve()
        if args.action == "up":
            print(f"starting the local control plane in {directory}", file=sys.stderr)
            state = stack.up(
                directory,
                with_prometheus=args.with_prometheus,
                evaluation_interval=args.evaluation_interval,
                with_workloads=args.workloads,
            )
            print(state.exports(), end="")
        elif args.action == "down":
            stopped = stack.down(directory)
            names = ", ".join(p.name for p in stopped.processes) if stopped else "nothing"
            print(f"stopped {names} ({directory})", file=sys.stderr)
        else:
            found = stack.StackState.load(directory)
            if found is None:
                raise DevEnvError(f"no stack in {directory}; run `budgetwarden dev up`")
            print(found.exports(), end="")
    except DevEnvError as e:
        print(f"budgetwarden dev {args.action}: {e}", file=sys.stderr)
        return 1
    return 0
