"""`budgetwarden demo up|down|env`: the whole loop on this machine, for drills and `make demo`.

`up` starts a local control plane, the demo service, Prometheus with a day of backfilled
history, rules-sync and the operator, applies demo/manifests/, and prints the exports (so
`eval "$(budgetwarden demo up)"` works); progress and errors go to stderr; `up --workloads` adds
the controllers that make the demo's Rollout and Deployment really roll out. `down` stops it and
removes its folders; `env` prints the exports again. The work happens in
budgetwarden_dev.demo.stack.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "the whole loop on this machine for drills: up, down, env"


def register(parser: argparse.ArgumentParser) -> None:
    """Add the up/down/env actions and their options."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help_text in (
        ("up", "start the demo stack, apply demo/manifests/, print the exports"),
        ("down", "stop the processes `up` started and remove their folders"),
        ("env", "print the exports for a running demo stack"),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text)
        action.add_argument(
            "--dir", type=Path, default=None, help="state folder (default: .cache/demo in the repo)"
        )
        if name == "up":
            action.add_argument(
                "--namespace", default="demo", help="namespace for demo/manifests/ (default: demo)"
            )
            action.add_argument(
                "--load", type=int, default=20, metavar="RPS",
                help="requests per second the demo service sends itself (default: 20)",
            )  # fmt: skip
            action.add_argument(
                "--workloads", action="store_true",
                help="also start kube-controller-manager, kube-scheduler, kwok (one fake node) and"
                " Argo Rollouts' controller, so the demo's Rollout is a real canary the drill"
                " watches (builds them if missing)",
            )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run the chosen action; errors are one line on stderr and exit code 1."""
    from budgetwarden.core.kernel.errors import BudgetwardenError
    from budgetwarden_dev.demo import stack
    from budgetwarden_dev.devenv import stack as devstack
    from budgetwarden_dev.devenv.errors import DevEnvError

    try:
        directory = (args.dir or stack.default_dir()).resolve()
        if args.action == "up":
            state = stack.up(directory, namespace=args.namespace, load_rps=args.load,
                             workloads=args.workloads)  # fmt: skip
            stack.say("the demo stack is up; `budgetwarden demo down` stops it")
            print(state.exports(), end="")
        elif args.action == "down":
            stopped = devstack.down(directory)
            names = ", ".join(p.name for p in stopped.processes) if stopped else "nothing"
            print(f"stopped {names} ({directory})", file=sys.stderr)
        else:
            found = devstack.StackState.load(directory)
            if found is None:
                raise DevEnvError(f"no demo stack in {directory}; run `budgetwarden demo up`")
            print(found.exports(), end="")
    except (DevEnvError, BudgetwardenError) as e:
        print(f"budgetwarden demo {args.action}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        done = "; what it had started is stopped" if args.action == "up" else ""
        print(f"budgetwarden demo {args.action}: interrupted{done}", file=sys.stderr)
        return 130
    return 0
