"""`budgetwarden check [-n NS] KIND/NAME`: may a new version of this workload ship now?

For CI pipelines, before they deploy: the answer is the freeze gate's (core/freeze/gate.py),
which is admission's own decision on a synthetic new version, from the namespace's
ErrorBudgetPolicies and FreezeExceptions as the current KUBECONFIG reads them. One line on
stdout, the one admission would show, and the exit code:

    0  a new version would be admitted (not frozen, a warning, an exception covers it,
       enforcement Warn or DryRun)
    3  the freeze would refuse it
    1  the cluster or the policies cannot be read
    2  usage

A workload that does not exist yet is judged by its name and the labels given with `--label`,
as its first version would be.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from budgetwarden.adapters.kube import KubeError, current_namespace
from budgetwarden.cli._cluster_view import read_workload
from budgetwarden.cli.explain import workload_argument
from budgetwarden.core.freeze.gate import gate, workload_stub
from budgetwarden.core.freeze.view import WorkloadRef


def label_argument(text: str) -> tuple[str, str]:
    """argparse type: KEY=VALUE."""
    key, sep, value = text.partition("=")
    if not key or not sep:
        raise argparse.ArgumentTypeError(f'must be KEY=VALUE; got "{text}"')
    return key, value


def register(parser: argparse.ArgumentParser) -> None:
    """Arguments of `budgetwarden check`."""
    parser.add_argument("workload", type=workload_argument, metavar="KIND/NAME",
                        help="rollout/NAME or deployment/NAME")  # fmt: skip
    parser.add_argument("-n", "--namespace", metavar="NS", help="default: the context's")
    parser.add_argument("-l", "--label", type=label_argument, action="append", default=[],
                        metavar="KEY=VALUE",
                        help="a label of a workload that does not exist yet (repeat)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Print the gate's line; exit 0 (allowed), 3 (frozen) or 1 (cannot read)."""
    kind, name = args.workload
    try:
        namespace = args.namespace or current_namespace()
        obj, state = read_workload(kind, namespace, name)
    except KubeError as error:
        print(f"budgetwarden check: {error}", file=sys.stderr)
        return 1
    if obj is None:
        obj = workload_stub(WorkloadRef(namespace, kind, name), dict(args.label))
    answer = gate(state.view(namespace), obj, kind, datetime.now(UTC))
    print(answer.message)
    return answer.exit_code
